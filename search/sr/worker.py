"""A worker process for SymbolicRegressor(n_jobs=k): hosts islands and steps them on request.

Started as `python -m exprc.search.sr.worker` (not through multiprocessing, so the caller's
__main__ is never re-imported: fit() works from scripts without a main guard, notebooks and
stdin). Messages are exprc.ipc's length-prefixed pickles on the worker's stdin and stdout.
"""
from __future__ import annotations

import sys

from exprc.ipc import receive, send, worker_pipes


def main() -> int:
    inp, out = worker_pipes()
    from exprc.search.sr.island import Island, step_islands
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
            send(out, ("ok", step_islands(islands, msg[1], msg[2])))
        except KeyboardInterrupt:
            return 0
        except Exception as exc:  # noqa: BLE001
            send(out, ("error", f"{type(exc).__name__}: {exc}"))


if __name__ == "__main__":
    sys.exit(main())
