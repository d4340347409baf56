"""Sample inputs, exact references and Herbie's error measure for accuracy rewriting.

Why: a rewrite is better only where it is measured to be. Inputs are drawn uniformly over the
bit patterns of each range (as Herbie does), so tiny and huge magnitudes are as likely as
ordinary ones; references are mpmath evaluations at a precision raised per point until
the value rounds the same at twice the precision (cancellation of 1000 bits included);
error is "bits of error", log2(1 + ordinal distance) between the computed and the correctly
rounded result, averaged over points, with max ULP (MEASURING.md) beside it.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from .. import ir, ops
from ..exact import mp_apply

MAX_BITS = {"float64": 64.0, "float32": 32.0}
_INT = {"float64": (np.int64, np.uint64), "float32": (np.int32, np.uint32)}
_START_PREC, _MAX_PREC = 128, 8192


def ordinals(x: np.ndarray, dtype: str) -> np.ndarray:
    """Floats as int64 integers in the order of their values (-0 and +0 both 0): neighbours
    differ by 1, so distances between them count ULPs exactly."""
    x = np.asarray(x, dtype=dtype)
    itype, utype = _INT[dtype]
    mag = (x.view(utype) & np.array(np.iinfo(itype).max, utype)).astype(np.int64)
    return np.where(x.view(itype) < 0, -mag, mag)


def ordinal_distance(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """|a - b| for int64 ordinals, as float64 (exact below 2**53; past that, where the two
    have opposite signs and the int64 difference could overflow, close enough)."""
    same = (a >= 0) == (b >= 0)
    with np.errstate(over="ignore"):
        exact = np.abs(np.where(same, a - b, 0)).astype(np.float64)
    far = np.abs(a.astype(np.float64)) + np.abs(b.astype(np.float64))
    return np.where(same, exact, far)


def bits_of_error(y: np.ndarray, exact: np.ndarray, dtype: str) -> np.ndarray:
    """log2(1 + |ordinal(y) - ordinal(exact rounded)|) per point; a NaN or an infinity where
    the exact result is finite costs every bit."""
    y = np.asarray(y, dtype=dtype)
    exact = np.asarray(exact, dtype=dtype)
    with np.errstate(all="ignore"):
        bits = np.log2(1.0 + ordinal_distance(ordinals(y, dtype), ordinals(exact, dtype)))
    bad = ~np.isfinite(y) & np.isfinite(exact) | np.isnan(y)
    return np.where(bad, MAX_BITS[dtype], np.minimum(bits, MAX_BITS[dtype]))


def ulp_errors(y: np.ndarray, exact_mp: list, dtype: str) -> np.ndarray:
    """|y - exact| / ulp(exact) per point (MEASURING.md), inf for a non-finite mismatch."""
    from ..ulp import ulp_errors_vs_mpmath
    err, fail = ulp_errors_vs_mpmath(np.asarray(y, dtype=np.float64), exact_mp, dtype)
    return np.where(fail, np.inf, err)


LINEAR_SHARE = 0.25     # of the points drawn uniformly in value rather than in bit pattern


def sample_range(rng: np.random.Generator, lo: float, hi: float, n: int, dtype: str) -> np.ndarray:
    """n floats of dtype between lo and hi: most uniform over the bit patterns (tiny and huge
    magnitudes as likely as ordinary ones, as Herbie samples), a quarter uniform in value (the
    magnitudes near the ends of the range, where data usually lives, well covered too)."""
    bits = _bit_uniform(rng, lo, hi, n, dtype)
    linear = rng.random(n) < LINEAR_SHARE
    if linear.any() and math.isfinite(hi - lo):
        values = np.asarray(rng.uniform(lo, hi, int(linear.sum())), dtype=dtype)
        bits[linear] = np.clip(values, np.asarray(lo, dtype), np.asarray(hi, dtype))
    return bits


def _bit_uniform(rng: np.random.Generator, lo: float, hi: float, n: int, dtype: str) -> np.ndarray:
    """n floats of dtype drawn uniformly over the bit patterns between lo and hi."""
    lo_o, hi_o = (int(ordinals(np.array([v]), dtype)[0]) for v in (lo, hi))
    if not lo_o <= hi_o:
        raise ValueError(f"empty range [{lo}, {hi}]")
    return from_ordinals(rng.integers(lo_o, hi_o, n, endpoint=True), dtype)


def from_ordinals(o: np.ndarray, dtype: str) -> np.ndarray:
    """The floats of dtype whose ordinals (see ordinals) are o."""
    o = np.asarray(o, dtype=np.int64)
    itype, utype = _INT[dtype]
    mag = np.abs(o).astype(utype)
    sign = np.where(o < 0, np.array(1, utype) << np.array(8 * np.dtype(itype).itemsize - 1, utype), 0).astype(utype)
    return (mag | sign).view(dtype)


# a variable without a range: these bounds (all but the last few binades of finite floats)
DEFAULT_RANGE = {"float64": (-1e300, 1e300), "float32": (-1e37, 1e37)}


@dataclass
class Sample:
    """Points (one array per variable), their exact results (mpf) and working precisions."""
    variables: list[str]
    columns: dict[str, np.ndarray]
    exact: list            # mpf per point
    precision: list[int]   # bits per point at which `exact` is stable
    dtype: str

    @property
    def size(self) -> int:
        return len(self.exact)

    def exact_floats(self) -> np.ndarray:
        return np.array([mp_to_float(v, self.dtype) for v in self.exact], dtype=self.dtype)


def mp_to_float(v, dtype: str) -> float:
    """An mpf rounded once to dtype (float32 through 24 bits, not through float64 first;
    float32 subnormals excepted)."""
    import mpmath
    if dtype == "float32" and mpmath.isfinite(v) and v != 0 and abs(v) >= 2.0 ** -126:
        with mpmath.workprec(24):
            v = +v
    return float(v)


def mp_leaf(node: ir.Node, point: dict):
    """A leaf's exact value at a point (a variable, a constant, pi or e at the working precision)."""
    import mpmath
    if node.op == ir.VAR:
        return mpmath.mpf(float(point[node.value]))
    if node.op == ir.CONST:
        v = node.value
        if isinstance(v, bool):
            return v
        if isinstance(v, float):
            return mpmath.mpf(v)
        f = Fraction(v)
        return mpmath.mpf(f.numerator) / f.denominator
    return getattr(mpmath, ops.REGISTRY[node.op].mp)   # pi, e at the working precision


def mp_evaluate(root: ir.Node, point: dict, prec: int, memo: dict | None = None):
    """root at one point in mpmath arithmetic of prec bits: an mpf, a bool, or None where the
    real function is undefined (complex, division by zero, domain error)."""
    import mpmath
    memo = {} if memo is None else memo
    with mpmath.workprec(prec):
        for n in ir.topo([root]):
            if id(n) in memo:
                continue
            if not n.args:
                v = mp_leaf(n, point)
                memo[id(n)] = v if isinstance(v, bool) else +v
                continue
            args = [memo[id(a)] for a in n.args]
            memo[id(n)] = mp_op(n.op, args)
    return memo[id(root)]


def mp_op(opname: str, args: list):
    """One op on exact values (mpf or bool; None where a value is undefined, which a select
    not taking it ignores)."""
    op = ops.REGISTRY[opname]
    if op.kind == ops.SELECT:
        c, a, b = args
        return None if c is None else (a if c else b)
    if any(a is None for a in args):
        return None
    if op.kind == ops.CONVERT:
        return args[0]
    return mp_apply(op, args)


def _start_precision(point: dict) -> int:
    """Bits enough that terms like x**2 beside 1 (1 - cos(x) at x = 1e-300) are not lost
    before the stability test can see them: twice the largest binary exponent of an input,
    plus a margin. (A test of p against 2p alone is fooled where both round to 1.)"""
    exps = [abs(math.frexp(float(v))[1]) for v in point.values() if v != 0 and math.isfinite(float(v))]
    return max(_START_PREC, 2 * max(exps, default=0) + _START_PREC)


def _stable(root: ir.Node, point: dict, dtype: str):
    """(value, precision) with value rounding to the same dtype float at prec and 2*prec."""
    prec = _start_precision(point)
    prev = mp_evaluate(root, point, prec)
    while prec < _MAX_PREC:
        cur = mp_evaluate(root, point, 2 * prec)
        if _same_rounding(prev, cur, dtype):
            return cur, 2 * prec
        prev, prec = cur, 2 * prec
    return None, prec


def mp_settled(root: ir.Node, point: dict, bits: int):
    """root at a point good to `bits` bits relative (an mpf, or None where undefined): evaluated
    at doubling precision from _start_precision until two evaluations agree that far (0 where
    both are 0). For references finer than one rounding, e.g. a double-double."""
    import mpmath
    prec = _start_precision(point)
    prev = mp_evaluate(root, point, prec)
    while prec < _MAX_PREC:
        cur = mp_evaluate(root, point, 2 * prec)
        if prev is None and cur is None:
            return None
        if prev is not None and cur is not None and not isinstance(cur, bool):
            with mpmath.workprec(4 * prec):
                if (cur == 0 and prev == 0) or abs(cur - prev) <= abs(cur) * mpmath.mpf(2) ** -bits:
                    return cur
        prev, prec = cur, 2 * prec
    return prev


def _same_rounding(a, b, dtype: str) -> bool:
    if a is None or b is None or isinstance(a, bool) or isinstance(b, bool):
        return a is b or a == b
    with np.errstate(over="ignore"):
        fa, fb = np.asarray(float(a), dtype), np.asarray(float(b), dtype)
    return fa.tobytes() == fb.tobytes()


def draw(root: ir.Node, variables: list[str], ranges: dict, n: int, dtype: str, seed: int = 0,
         max_tries: int = 20) -> Sample:
    """n points where the exact result is a finite real of dtype (other points are redrawn,
    as Herbie does: a program is judged where its real function has a float answer)."""
    rng = np.random.default_rng(seed)
    finfo = np.finfo(dtype)
    cols = {v: [] for v in variables}
    exact, precs = [], []
    for _ in range(max_tries):
        need = n - len(exact)
        if need <= 0:
            break
        draw_n = max(2 * need, 16)
        batch = {v: sample_range(rng, *_range(ranges, v, dtype), draw_n, dtype) for v in variables}
        for k in range(draw_n):
            point = {v: batch[v][k] for v in variables}
            value, prec = _stable(root, point, dtype)
            if value is None or isinstance(value, bool) or not _finite_in(value, finfo):
                continue
            for v in variables:
                cols[v].append(point[v])
            exact.append(value)
            precs.append(prec)
            if len(exact) == n:
                break
    if not exact:
        raise ValueError("no input in the given ranges has a finite real result")
    return Sample(list(variables), {v: np.array(c, dtype=dtype) for v, c in cols.items()}, exact, precs, dtype)


def _finite_in(value, finfo) -> bool:
    import mpmath
    return mpmath.isfinite(value) and abs(value) <= finfo.max


def _range(ranges: dict, name: str, dtype: str) -> tuple[float, float]:
    lo, hi = (ranges or {}).get(name, DEFAULT_RANGE[dtype])
    return float(lo), float(hi)


def evaluate_float(root: ir.Node, columns: dict, dtype: str) -> np.ndarray:
    """root evaluated op by op in dtype by the numpy oracle, one array over the columns."""
    from ..backends.numpy_backend import evaluate
    from ..program import Program
    program = Program.build([root], dtype, variables=list(columns))
    n = len(next(iter(columns.values()))) if columns else 1
    out = evaluate(program, columns, {})[0]
    return np.broadcast_to(np.asarray(out, dtype=dtype), (n,)).copy()
