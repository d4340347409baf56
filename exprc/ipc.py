"""Length-prefixed pickle messages over a child process's pipes: the one wire format of exprc's
worker processes (the symbolic-regression islands, the LLVM compile worker). Both ends are
the same user's exprc, started by the parent; nothing here reads a file."""
from __future__ import annotations

import os
import pickle
import struct
import sys

_HEADER = struct.Struct("<Q")


def send(fh, obj) -> None:
    data = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    fh.write(_HEADER.pack(len(data)))
    fh.write(data)
    fh.flush()


def receive(fh):
    """The next message; EOFError when the other end has gone."""
    head = fh.read(_HEADER.size)
    if len(head) < _HEADER.size:
        raise EOFError
    (n,) = _HEADER.unpack(head)
    data = fh.read(n)
    if len(data) < n:
        raise EOFError
    return pickle.loads(data)


def start_worker(module: str, env: dict | None = None):
    """`python -m module` as a child with message pipes on its stdin and stdout, seeing this
    process's import path (so an uninstalled checkout works too)."""
    import subprocess
    full = dict(os.environ, **(env or {}))
    full["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p)
    return subprocess.Popen([sys.executable, "-m", module], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            env=full)


def worker_pipes():
    """In a worker: (messages in, messages out), with stray prints sent to stderr so they
    cannot corrupt the protocol."""
    inp = os.fdopen(os.dup(0), "rb")
    out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    return inp, out
