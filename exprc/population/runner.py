"""Running bytecode through the LLVM interpreter kernel, split across cores by work."""
from __future__ import annotations

import threading

import numpy as np

from ..dtypes import np_dtype
from . import encoding as enc


def reduce_lanes(acc: np.ndarray, metric: str) -> np.ndarray:
    """Per-candidate totals from W float64 lanes, in one fixed order for every tier."""
    if metric == "max":
        return acc.max(axis=-1)
    out = acc[..., 0].copy()
    for k in range(1, acc.shape[-1]):
        out += acc[..., k]
    return out


def threads_for(threads: int | None) -> int:
    from ..backends.llvm import default_threads
    return default_threads() if threads is None else max(1, int(threads))


def split(weights: np.ndarray, parts: int) -> list[tuple[int, int]]:
    """Contiguous ranges of candidates with about equal total weight."""
    n = len(weights)
    if parts <= 1 or n <= 1:
        return [(0, n)]
    cum = np.cumsum(weights, dtype=np.float64)
    cuts = np.searchsorted(cum, cum[-1] * np.arange(1, parts) / parts)
    bounds = [0] + sorted(set(int(c) + 1 for c in cuts if 0 <= c < n - 1)) + [n]
    return [(a, b) for a, b in zip(bounds, bounds[1:]) if b > a]


def run_split(fn, ranges: list[tuple[int, int]]) -> None:
    """fn(a, b) for each range, the first on this thread and the rest on the shared pool."""
    if len(ranges) == 1:
        fn(*ranges[0])
        return
    from ..backends.llvm import _pool
    futures = [_pool().submit(fn, a, b) for a, b in ranges[1:]]
    fn(*ranges[0])
    for f in futures:
        f.result()


class Runner:
    """Runs bytecode through the interpreter kernel on prepared columns."""

    def __init__(self, dtype: str, mathlib: str = "exprc"):
        from ..backends.llvm import interpreter as interp
        from ..backends.llvm import target
        self.dtype = dtype
        self.fn = interp.interpreter(dtype, mathlib)
        self.B = enc.BLOCK[dtype]
        self.W = target.target().width(dtype)

    def run(self, code: enc.Bytecode, X: np.ndarray, n_rows: int, params: np.ndarray, poff: np.ndarray,
            mode: str, out: np.ndarray | None = None, acc: np.ndarray | None = None,
            aoff: np.ndarray | None = None, y: np.ndarray | None = None, threads: int | None = None,
            active: np.ndarray | None = None) -> None:
        """active: a bool per candidate; the others are not run (their outputs and accumulators
        are left as they are)."""
        dt = np_dtype(self.dtype)
        vals = code.v32 if self.dtype == "float32" else code.v64
        keep = [np.ascontiguousarray(a) for a in (code.op, code.dst, code.a, code.b, code.c, code.arg)]
        vals = np.ascontiguousarray(vals, dtype=dt)
        params = np.ascontiguousarray(params, dtype=dt)
        acc = np.zeros(self.W, dtype=np.float64) if acc is None else acc
        out = np.zeros(1, dt) if out is None else out
        y = np.zeros(1, dt) if y is None else y
        aoff = np.zeros(code.n, dtype=np.int64) if aoff is None else aoff
        ptr = lambda a: a.ctypes.data  # noqa: E731
        values = {"op": ptr(keep[0]), "dst": ptr(keep[1]), "a": ptr(keep[2]), "b": ptr(keep[3]),
                  "c": ptr(keep[4]), "arg": ptr(keep[5]), "vals": ptr(vals), "cstart": ptr(code.cstart),
                  "pstart": ptr(code.pstart), "res": ptr(code.res), "rstart": ptr(code.rstart),
                  "poff": ptr(poff), "params": ptr(params), "X": ptr(X), "n_pad": X.shape[1],
                  "n_rows": n_rows, "mode": enc.MODES[mode], "out": ptr(out), "acc": ptr(acc), "y": ptr(y),
                  "aoff": ptr(aoff)}
        desc = np.array([values[f] for f in enc.DESC_FIELDS], dtype=np.int64)
        work = np.diff(code.cstart).astype(np.float64) + 4    # instructions + the per-block output step
        if active is None:
            ranges = split(work, threads_for(threads))
            scratch = {a: np.empty(code.slots * self.B + 16, dtype=dt) for a, _ in ranges}
            run_split(lambda a, b: self.fn(a, b, ptr(desc), ptr(scratch[a])), ranges)
            return
        # runs of consecutive active candidates, shared out across threads by work
        act = np.asarray(active, dtype=bool)
        edge = np.diff(np.concatenate([[0], act.astype(np.int8), [0]]))
        firsts, ends = np.flatnonzero(edge == 1), np.flatnonzero(edge == -1)
        if not len(firsts):
            return
        run_work = np.add.reduceat(np.where(act, work, 0.0), firsts) if len(work) else np.zeros(0)
        groups = split(run_work, threads_for(threads))

        def go(g0: int, g1: int) -> None:
            buf = np.empty(code.slots * self.B + 16, dtype=dt)
            for a, b in zip(firsts[g0:g1].tolist(), ends[g0:g1].tolist()):
                self.fn(a, b, ptr(desc), ptr(buf))
        run_split(go, groups)


_RUNNERS: dict[str, Runner] = {}
_RUNNERS_LOCK = threading.Lock()


def runner(dtype: str) -> Runner:
    with _RUNNERS_LOCK:
        r = _RUNNERS.get(dtype)
        if r is None:
            r = _RUNNERS[dtype] = Runner(dtype)
        return r
