"""The user's cache directory and signed files: nothing another user can write is ever run.

Why: exprc keeps native objects, generated Triton modules and checkpoints (pickles) on disk,
and loading any of them runs code. So the cache root must be a directory this user owns and
nobody else can write (0700), and every file exprc loads carries an HMAC-SHA256 under a
per-user key kept in that directory (0600). A planted, tampered, truncated or corrupt file
fails the check and reads as a miss, never as code or a crash.
"""
from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import stat
import threading
import warnings
from pathlib import Path

MAGIC = b"exprc-signed-1\n"
_DIGEST = hashlib.sha256().digest_size
_KEY_BYTES = 32
_LOCK = threading.Lock()
_KEYS: dict[str, bytes] = {}
_WARNED: set[str] = set()


def enabled() -> bool:
    """False when EXPRC_CACHE=0 (or off/false/no) turns the disk cache off."""
    return os.environ.get("EXPRC_CACHE", "1").lower() not in ("0", "off", "false", "no")


def root_path() -> Path:
    """EXPRC_CACHE_DIR, else $XDG_CACHE_HOME/exprc, else ~/.cache/exprc (not created here)."""
    base = os.environ.get("EXPRC_CACHE_DIR")
    if base:
        return Path(base)
    xdg = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(xdg) / "exprc"


def _warn_once(what: str, message: str) -> None:
    if what not in _WARNED:
        _WARNED.add(what)
        warnings.warn(message, RuntimeWarning, stacklevel=3)


def private_dir(path: Path) -> Path | None:
    """path as a directory owned by this user with no access for others (created 0700; an own
    directory with looser permissions is tightened). None when that cannot be had."""
    try:
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
        st = os.lstat(path)
        if not stat.S_ISDIR(st.st_mode) or st.st_uid != os.geteuid():
            _warn_once(str(path), f"exprc: not using cache directory {path}: it is not a "
                                  "directory owned by this user")
            return None
        if st.st_mode & 0o077:
            os.chmod(path, 0o700)
        return path
    except OSError:
        return None


def cache_subdir(name: str) -> Path | None:
    """A private subdirectory of the cache root for one kind of entry; None when the cache is
    off or the root is not private to this user."""
    if not enabled():
        return None
    root = private_dir(root_path())
    return None if root is None else private_dir(root / name)


def _read_own_file(path: Path) -> bytes | None:
    """The bytes of path when it is a regular file this user owns that nobody else can write."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError:
        return None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode) or st.st_uid != os.geteuid() or st.st_mode & 0o022:
            return None
        with os.fdopen(fd, "rb", closefd=False) as fh:
            return fh.read()
    except OSError:
        return None
    finally:
        os.close(fd)


def _key() -> bytes | None:
    """This user's signing key, made on first use (0600, in the private cache root)."""
    root = private_dir(root_path())
    if root is None:
        return None
    path = root / "key"
    cached = _KEYS.get(str(path))
    if cached is not None:
        return cached
    with _LOCK:
        key = _read_own_file(path)
        if key is None and not path.exists():
            tmp = root / f".key.{os.getpid()}.{secrets.token_hex(8)}"
            try:
                fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                with os.fdopen(fd, "wb") as fh:
                    fh.write(secrets.token_bytes(_KEY_BYTES))
                try:
                    os.link(tmp, path)      # atomic and never replaces another process's key
                except FileExistsError:
                    pass
            except OSError:
                return None
            finally:
                try:
                    os.unlink(tmp)
                except OSError:
                    pass
            key = _read_own_file(path)
        if key is None or len(key) != _KEY_BYTES:
            _warn_once(str(path), f"exprc: not using signing key {path}: it is not a {_KEY_BYTES}-byte "
                                  "file owned by this user and private to it")
            return None
        _KEYS[str(path)] = key
        return key


def _mac(key: bytes, label: str, data: bytes) -> bytes:
    return hmac.new(key, label.encode() + b"\0" + data, hashlib.sha256).digest()


def sign(data: bytes, label: str) -> bytes | None:
    """data with a header that binds it to this user's key and to label (what the entry is:
    a cache key or 'checkpoint'), so an entry cannot be moved to another name. None when
    there is no key to sign with."""
    key = _key()
    if key is None:
        return None
    return MAGIC + _mac(key, label, data) + data


def verify(blob: bytes | None, label: str) -> bytes | None:
    """The data inside a signed blob, or None when it is not one this user signed for label."""
    if blob is None or not blob.startswith(MAGIC) or len(blob) < len(MAGIC) + _DIGEST:
        return None
    key = _key()
    if key is None:
        return None
    tag, data = blob[len(MAGIC):len(MAGIC) + _DIGEST], blob[len(MAGIC) + _DIGEST:]
    return data if hmac.compare_digest(tag, _mac(key, label, data)) else None


def read_signed(path: Path | str, label: str) -> bytes | None:
    """The verified data of a signed file this user owns; None for a miss of any kind."""
    return verify(_read_own_file(Path(path)), label)


def write_signed(path: Path | str, data: bytes, label: str) -> bool:
    """Write data signed, atomically (a unique temporary file renamed into place, so readers
    never see half a file and concurrent writers never collide). False when it could not."""
    path = Path(path)
    blob = sign(data, label)
    if blob is None:
        return False
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.{secrets.token_hex(4)}.tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(blob)
        os.replace(tmp, path)
        return True
    except OSError:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        return False


def write_checkpoint(path: Path | str, state, kind: str) -> None:
    """Pickle state to path, signed: only a file this user's exprc wrote is ever unpickled."""
    import pickle
    from .errors import ExprcError
    if not write_signed(path, pickle.dumps(state, protocol=pickle.HIGHEST_PROTOCOL), f"checkpoint:{kind}"):
        raise ExprcError(f"cannot write checkpoint {path}")


def read_checkpoint(path: Path | str, kind: str):
    """The state a checkpoint holds. ExprcError, before unpickling anything, when path is not
    a file this user owns and alone can write, or its signature is not this user's."""
    import pickle
    from .errors import ExprcError
    blob = _read_own_file(Path(path))
    if blob is None:
        raise ExprcError(f"cannot use checkpoint {path}: it is not a regular file owned by this "
                         "user that only this user can write")
    data = verify(blob, f"checkpoint:{kind}")
    if data is None:
        raise ExprcError(f"{path} is not a {kind} checkpoint written by this user's exprc "
                         "(no valid signature); remove it or choose another file")
    try:
        return pickle.loads(data)
    except Exception as exc:     # signed by us but unreadable now: an older exprc's classes
        raise ExprcError(f"cannot read checkpoint {path}: {exc}") from None
