"""Kernels take only arrays they can address safely: read-only outputs, strides that are not a
whole number of items and non-real dtypes are refused or copied, never written through or
misread. Crash cases run in a child process."""
from __future__ import annotations

import subprocess
import sys
import textwrap
import warnings

import numpy as np
import pytest

import exprc
from exprc.errors import BindError


def run_child(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True,
                          text=True, timeout=300)


@pytest.mark.parametrize("backend", ["llvm", "numpy"])
def test_read_only_out_is_refused(backend):
    k = exprc.compile("x * 2", backend=backend)
    x = np.arange(8.0)
    ro = np.zeros(8)
    ro.flags.writeable = False
    with pytest.raises(BindError, match="read-only"):
        k(x, out=ro)
    assert not ro.any()
    with pytest.raises(BindError, match="read-only"):
        k(x, out=np.frombuffer(bytes(64)))


def test_read_only_memmap_out_does_not_crash(tmp_path):
    r = run_child(f"""
        import numpy as np, exprc
        np.zeros(1000).tofile({str(tmp_path / 'm.bin')!r})
        m = np.memmap({str(tmp_path / 'm.bin')!r}, dtype=np.float64, mode="r")
        try:
            exprc.compile("x + 1")(np.arange(1000.0), out=m)
        except exprc.ExprcError as e:
            print("refused", e)
    """)
    assert r.returncode == 0 and "refused" in r.stdout, r.stderr


PACKED = np.dtype([("a", "f4"), ("b", "f8")], align=False)   # b: stride 12, unaligned


def test_packed_structured_field_is_read_and_written_correctly():
    rec = np.zeros(1000, dtype=PACKED)
    rec["a"] = -1
    rec["b"] = np.arange(1000.0)
    k = exprc.compile("x * 2 + 1")
    assert np.array_equal(k(rec["b"]), np.arange(1000.0) * 2 + 1)
    k(rec["b"], out=rec["b"])
    assert np.array_equal(rec["b"], np.arange(1000.0) * 2 + 1)
    assert (rec["a"] == -1).all()                          # the neighbouring field is untouched


def test_reversed_packed_field_does_not_corrupt_the_heap():
    r = run_child("""
        import gc, numpy as np, exprc
        rec = np.zeros(1000, dtype=np.dtype([("a", "f4"), ("b", "f8")], align=False))
        rec["b"] = np.arange(1000.0)
        v = rec["b"][::-1]
        k = exprc.compile("x + y")
        out = rec["b"][::-1]
        assert np.array_equal(k(v, v), v * 2)
        k(v, 1.0, out=out)
        gc.collect()
        assert np.array_equal(rec["b"], np.arange(1000.0) + 1)
        print("ok")
    """)
    assert r.returncode == 0 and "ok" in r.stdout, r.stderr


@pytest.mark.parametrize("value", [np.arange(3) + 1j, np.array(["1", "2"]), np.array([object(), 1]),
                                   np.zeros(3, dtype=PACKED), np.array(["2020-01-01"], dtype="M8[D]")],
                         ids=["complex", "string", "object", "structured", "datetime"])
def test_non_real_arrays_raise(value):
    k = exprc.compile("x + 1")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(BindError, match="real numbers"):
            k(value)


def test_numbers_that_numpy_converts_still_work():
    k = exprc.compile("x + 1")
    assert k(2 ** 70) == 2.0 ** 70 + 1
    assert np.array_equal(k(np.array([1.5, 2], dtype=object)), [2.5, 3.0])
    assert np.array_equal(k(np.arange(3, dtype=np.int16)), [1.0, 2.0, 3.0])
