"""Files exprc loads (cached objects, generated modules, parser tables, checkpoints) are never
trusted: a planted, tampered, truncated or corrupt one never runs, never crashes the process
and never changes a result. Each case runs in a child process, so a crash fails the test
instead of killing pytest."""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from exprc import cache


def child(code: str, cache_dir: Path, **env) -> subprocess.CompletedProcess:
    full = dict(os.environ, EXPRC_CACHE_DIR=str(cache_dir), **env)
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], env=full,
                          capture_output=True, text=True, timeout=300)


KERNEL = """
    import numpy as np, exprc
    x = np.arange(100.0)
    assert np.array_equal(exprc.compile("x * 2 + 1")(x), x * 2 + 1)
    print("ok")
"""


def _objects(d: Path) -> list[Path]:
    return sorted((d / "llvm").glob("*.o"))


@pytest.mark.parametrize("damage", ["empty", "truncated", "random", "bad-elf", "unsigned", "flipped"])
def test_damaged_object_cache_is_a_miss(tmp_path, damage):
    r = child(KERNEL, tmp_path)
    assert r.returncode == 0, r.stderr
    objs = _objects(tmp_path)
    assert objs and all(p.read_bytes().startswith(cache.MAGIC) for p in objs)
    for p in objs:
        blob = p.read_bytes()
        body = blob[len(cache.MAGIC) + 32:]            # the real ELF object inside
        p.write_bytes({"empty": b"", "truncated": blob[: len(blob) // 2], "random": os.urandom(4096),
                       "bad-elf": b"\x7fELF" + os.urandom(60), "unsigned": body,
                       "flipped": blob[:-100] + bytes([blob[-100] ^ 1]) + blob[-99:]}[damage])
    r = child(KERNEL, tmp_path)
    assert r.returncode == 0 and "ok" in r.stdout, r.stderr
    assert all(p.read_bytes().startswith(cache.MAGIC) for p in _objects(tmp_path))   # rewritten


def test_cache_directory_is_private(tmp_path):
    r = child(KERNEL, tmp_path / "c")
    assert r.returncode == 0, r.stderr
    for d in (tmp_path / "c", tmp_path / "c" / "llvm"):
        assert d.stat().st_mode & 0o777 == 0o700
    assert (tmp_path / "c" / "key").stat().st_mode & 0o777 == 0o600


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to make a directory another user owns")
def test_cache_directory_owned_by_another_user_is_not_used(tmp_path):
    d = tmp_path / "c"
    (d / "llvm").mkdir(parents=True)
    os.chown(d, 65534, 65534)
    r = child(KERNEL, d)
    assert r.returncode == 0 and "ok" in r.stdout, r.stderr
    assert not any((d / "llvm").iterdir()) and not (d / "key").exists()


def test_signed_entry_cannot_be_moved_to_another_key(tmp_path, monkeypatch):
    monkeypatch.setenv("EXPRC_CACHE_DIR", str(tmp_path))
    assert cache.write_signed(tmp_path / "a", b"payload", "key-a")
    assert cache.read_signed(tmp_path / "a", "key-a") == b"payload"
    assert cache.read_signed(tmp_path / "a", "key-b") is None


def test_lark_parser_tables_are_not_read_from_temp(tmp_path):
    r = child("""
        import exprc
        exprc.parse("x + 1")
        print("ok")
    """, tmp_path, TMPDIR=str(tmp_path))
    assert r.returncode == 0, r.stderr
    assert not list(tmp_path.glob(".lark_cache_*"))      # nothing written there, so nothing read


def test_planted_triton_module_is_never_imported(tmp_path):
    pytest.importorskip("triton")
    marker = tmp_path / "ran"
    r = child(f"""
        import hashlib, os
        from exprc.backends import triton_backend as tb
        src = "X = 1\\n"
        digest = hashlib.sha256(src.encode()).hexdigest()[:24]
        for d in (os.path.join(os.environ["EXPRC_CACHE_DIR"], "triton"),):
            os.makedirs(d, exist_ok=True)
            open(os.path.join(d, f"k_{{digest}}.py"), "w").write("open({str(marker)!r}, 'w')\\nX = 2\\n")
        assert tb.load_module(src, interpret=True).X == 1
        try:
            tb.load_module("raise ValueError('broken')\\n", interpret=True)
        except ValueError:
            pass
        import sys
        assert not any(n.startswith("exprc_triton_") and getattr(sys.modules[n], "X", 1) != 1
                       for n in list(sys.modules) if n.startswith("exprc_triton_"))
        print("ok")
    """, tmp_path)
    assert r.returncode == 0 and "ok" in r.stdout, r.stderr
    assert not marker.exists()


def test_failed_triton_module_is_not_kept(monkeypatch):
    pytest.importorskip("triton")
    from exprc.backends import triton_backend as tb
    with pytest.raises(ZeroDivisionError):
        tb.load_module("1 / 0\n", interpret=True)
    assert not [n for n, m in sys.modules.items() if n.startswith("exprc_triton_") and m is None]
    with pytest.raises(ZeroDivisionError):                 # tried again, not a half module
        tb.load_module("1 / 0\n", interpret=True)


@pytest.mark.parametrize("kind", ["approx", "sr"])
def test_unsigned_checkpoint_is_refused_before_unpickling(tmp_path, monkeypatch, kind):
    import pickle

    from exprc.errors import ExprcError
    monkeypatch.setenv("EXPRC_CACHE_DIR", str(tmp_path / "c"))
    marker = tmp_path / "ran"

    class Evil:
        def __reduce__(self):
            return (open, (str(marker), "w"))

    f = tmp_path / "ck.pkl"
    f.write_bytes(pickle.dumps(Evil()))
    with pytest.raises(ExprcError, match="signature"):
        cache.read_checkpoint(f, kind)
    assert not marker.exists()
    cache.write_checkpoint(f, {"a": 1}, kind)
    assert cache.read_checkpoint(f, kind) == {"a": 1}
    other = "sr" if kind == "approx" else "approx"
    with pytest.raises(ExprcError):
        cache.read_checkpoint(f, other)
    os.chmod(f, 0o666)                                     # writable by others: refused
    with pytest.raises(ExprcError, match="only this user"):
        cache.read_checkpoint(f, kind)


def test_approx_cli_refuses_a_planted_checkpoint(tmp_path, capsys):
    import pickle

    from exprc.cli import main
    marker = tmp_path / "ran"

    class Evil:
        def __reduce__(self):
            return (open, (str(marker), "w"))

    f = tmp_path / "ck.pkl"
    f.write_bytes(pickle.dumps(Evil()))
    code = main(["approx", "exp2", "--interval", "0", "1", "--time", "1", "--max-ops", "4",
                 "--checkpoint", str(f)])
    assert code == 2 and not marker.exists()
    assert len(capsys.readouterr().err.strip().splitlines()) == 1
