"""A worker process for SymbolicRegressor(n_jobs=k): hosts islands and steps them on request.

Started as `python -m exprc.search.sr_worker` (not through multiprocessing, so the caller's
__main__ is never re-imported: fit() works from scripts without a main guard, notebooks and
stdin). Messages are pickles with an 8-byte length prefix on the worker's stdin and stdout;
anything else the worker prints goes to stderr.
"""
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
    head = fh.read(_HEADER.size)
    if len(head) < _HEADER.size:
        raise EOFError
    (n,) = _HEADER.unpack(head)
    data = fh.read(n)
    if len(data) < n:
        raise EOFError
    return pickle.loads(data)


def main() -> int:
    inp = os.fdopen(os.dup(0), "rb")
    out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)                       # stray prints must not corrupt the protocol
    sys.stdout = sys.stderr
    from exprc.search.sr_engine import Island
    try:
        X, y, cfg, seeds, states = receive(inp)
        islands = [Island(X, y, cfg, s, k) for s, k in seeds]
        for isl, st in zip(islands, states or ()):
            isl.set_state(st)
        send(out, ("ok", None))
    except EOFError:
        return 0
    except Exception as exc:  # noqa: BLE001 - reported by the parent
        send(out, ("error", f"{type(exc).__name__}: {exc}"))
        return 1
    while True:
        try:
            msg = receive(inp)
        except (EOFError, KeyboardInterrupt):
            return 0
        if msg[0] == "close":
            return 0
        try:
            send(out, ("ok", [isl.step(imm, msg[2]) for isl, imm in zip(islands, msg[1])]))
        except KeyboardInterrupt:
            return 0
        except Exception as exc:  # noqa: BLE001
            send(out, ("error", f"{type(exc).__name__}: {exc}"))


if __name__ == "__main__":
    sys.exit(main())
