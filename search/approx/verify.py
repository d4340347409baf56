"""Prove the accuracy of a float32 program: every float32 input of an interval (or all 2**32),
against a reference, as MEASURING.md defines ULP error.

The work runs in one compiled kernel (backends/llvm/verifier.py) split over the cores. The
float64 reference is far more accurate than float32 needs, except within 2**-20 ULP of a
rounding boundary; those inputs come back from the kernel and are settled here with mpmath
at 256 bits, so "not correctly rounded" counts are exact.
"""
from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass

import numpy as np

from exprc import ir
from exprc.ulp import mp_ulp

CHUNK = 1 << 24
SETTLE_LIMIT = 4_000    # boundary cases settled in high precision per verification (~0.3 s)


@dataclass
class Verification:
    max_ulp: float
    worst_input: float | None
    count: int                     # inputs judged (in the interval, reference finite / normal)
    not_correctly_rounded: int     # results off by more than half an ULP
    nonfinite_failures: int        # NaN or infinity where the reference is finite
    boundary_cases: int            # inputs within 2**-20 ULP of the half-ULP boundary
    exhaustive: bool
    seconds: float
    unsettled_boundary_cases: int = 0   # boundary cases not settled (counted as correctly rounded)
    misrounded_inputs: tuple = ()       # settled boundary inputs whose result is not correctly rounded

    def as_dict(self) -> dict:
        return asdict(self)

    @property
    def faithful(self) -> bool:
        return self.max_ulp <= 1.0 and self.nonfinite_failures == 0


def float32_bits(x: float) -> int:
    return int(np.float32(x).view(np.uint32))


def bit_ranges(interval: tuple[float, float] | None) -> list[tuple[int, int]]:
    """Half-open ranges of float32 bit patterns covering every float32 in [a, b]."""
    if interval is None:
        return [(0, 1 << 32)]
    a, b = (float(np.float32(v)) for v in interval)
    if a > b:
        raise ValueError("interval must have a <= b")
    out = []
    if b >= 0:
        lo = 0 if a <= 0 else float32_bits(a)        # from +0 (max(-0.0, 0.0) is -0.0)
        out.append((lo, float32_bits(b) + 1))
    if a < 0 or (a == 0 and math.copysign(1, a) < 0):
        hi_val = min(b, -0.0) if b < 0 else -0.0
        out.append((float32_bits(hi_val), float32_bits(a) + 1))
    return out


def _chunks(ranges, size=CHUNK):
    for lo, hi in ranges:
        for s in range(lo, hi, size):
            yield s, min(s + size, hi)


def _exact_error(candidate: ir.Node, reference: ir.Node, xs: np.ndarray, ys: np.ndarray) -> list[float]:
    """ULP errors settled exactly: the reference evaluated by mpmath at 256 bits at each input
    (through its sympy form, compiled once), the float32 ULP taken from the exact value."""
    import mpmath
    import sympy as sp
    x = sp.Symbol("x", real=True)
    expr = ir.retype(reference, "float64").to_sympy()
    expr = expr.subs({s: x for s in expr.free_symbols if s.name == "x"})
    f = sp.lambdify([x], expr, modules="mpmath")
    out = []
    with mpmath.workprec(256):
        for xv, yv in zip(xs, ys):
            try:
                ref = mpmath.mpf(f(mpmath.mpf(float(xv))))
            except (TypeError, ValueError, ZeroDivisionError, OverflowError):
                out.append(0.0)
                continue
            if not mpmath.isfinite(ref) or ref == 0:
                out.append(0.0)
                continue
            out.append(float(abs(mpmath.mpf(float(yv)) - ref) / mp_ulp(ref, "float32")))
    return out


def verify(candidate: ir.Node, reference, interval: tuple[float, float] | None = None,
           normal_only: bool = False, threads: int | None = None, mathlib: str = "exprc",
           deadline: float | None = None, tolerance: float | None = None,
           settle_limit: int = SETTLE_LIMIT) -> Verification | None:
    """Max ULP error of candidate (a float32 program in x) against reference (text or node, in
    x, evaluated in float64) over every float32 in interval (all 2**32 inputs when None).
    normal_only: judge only inputs whose reference value rounds to a normal float32.
    deadline (a time.monotonic() value): give up, returning None, if the proof is not done by
    then (checked between chunks of 2**24 inputs, so the overrun is one chunk per thread).
    tolerance: the boundary band in ULPs (backends/llvm/verifier.py); settle_limit: how many
    boundary cases at most are settled with mpmath."""
    from exprc.backends.llvm import _pool, default_threads, verifier as vk
    from exprc.parser import parse
    if isinstance(reference, str):
        reference = parse(reference, dtype="float64")
    t0 = time.perf_counter()
    tolerance = vk.BOUNDARY_TOLERANCE if tolerance is None else tolerance
    fn = vk.verifier(candidate, reference, normal_only, mathlib, tolerance)
    from exprc.backends.llvm import target
    W = target.target().width("float32")
    jobs = list(_chunks(bit_ranges(interval)))
    stats = [np.zeros(2 * W + 8, dtype=np.float64) for _ in jobs]
    amb = [np.zeros(vk.AMBIGUOUS_CAPACITY, dtype=np.uint32) for _ in jobs]

    unfinished = []

    def run(k):
        if deadline is not None and (unfinished or time.monotonic() > deadline):
            unfinished.append(k)
            return
        lo, hi = jobs[k]
        fn(lo, hi, stats[k].ctypes.data, amb[k].ctypes.data)
    t = default_threads() if threads is None else max(1, threads)
    if t > 1 and len(jobs) > 1:
        list(_pool().map(run, range(len(jobs))))
    else:
        for k in range(len(jobs)):
            run(k)
    if unfinished:
        return None
    max_ulp, worst = 0.0, None
    count = wrong = fails = unsettled = 0
    boundary = []
    for s, a in zip(stats, amb):
        lanes = s[:W]
        args = s[W:2 * W].view(np.int64)
        cnt = s[2 * W:2 * W + 5].view(np.int64)
        j = int(np.argmax(lanes))
        if lanes[j] > max_ulp:
            max_ulp = float(lanes[j])
            worst = float(np.uint32(args[j]).view(np.float32))
        count += int(cnt[0])
        wrong += int(cnt[1])
        fails += int(cnt[2])
        boundary.append(a[:int(cnt[4])])
        unsettled += int(cnt[3] - cnt[4])
    near = np.concatenate(boundary) if boundary else np.zeros(0, np.uint32)
    total_boundary = int(near.size) + unsettled
    if near.size > settle_limit:     # e.g. a constant term 1 - 2**-24: every tiny input is one
        keep = np.sort(np.random.default_rng(0).choice(near.size, settle_limit, replace=False))
        unsettled += int(near.size) - settle_limit
        near = near[keep]
    misrounded: tuple = ()
    if near.size:
        import exprc
        xs = near.view(np.float32)
        ys = exprc.compile(candidate, dtype="float32", optimize=0, variables=["x"])(xs)
        exact = _exact_error(candidate, reference, xs, ys)
        wrong += sum(1 for e in exact if e > 0.5)
        misrounded = tuple(float(v) for v, e in zip(xs, exact) if e > 0.5)
        k = int(np.argmax(exact))
        if exact[k] > max_ulp:
            max_ulp, worst = exact[k], float(xs[k])
    # boundary cases beyond SETTLE_LIMIT (or the kernel's buffer) stay counted as correctly
    # rounded and are reported as unsettled: their error is 0.5 ULP within 2**-20, so the max
    # ULP is exact whenever it exceeds 0.5 + 2**-20, and at most that otherwise
    if unsettled and max_ulp < 0.5 + tolerance:
        max_ulp = 0.5 + tolerance
    return Verification(max_ulp, worst, count, wrong, fails, total_boundary, True, time.perf_counter() - t0,
                        unsettled, misrounded)
