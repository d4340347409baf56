"""Generate exprc's float32 math library: fit each table-driven template, prove it on every
float32 input, list the inputs it misrounds as exceptions, measure its speed, keep the
cheapest design that is correctly rounded everywhere, and write exprc/mathlib/float32.json.

The search is over the templates' parameters (table size, polynomial degree): for each table
size the lowest polynomial degree whose fitted error is negligible beside float64 rounding is
found by Remez exchange (remez.py) with the coefficients rounded to float64; each design is
then timed as a compiled kernel (the cost that matters is measured, not counted), and proved
in order of speed until one proves with at most `max_exceptions` exceptions.

Run: exprc approx --library   (about a minute per function on two cores)
"""
from __future__ import annotations

import json
import math
import time
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache
from pathlib import Path
from typing import Callable

import mpmath
import numpy as np

from exprc import ir
from exprc.dtypes import FLOAT32, FLOAT64
from exprc.mathlib import DATA_PATH, DATA_PATHS, design_from_json, design_to_json
from exprc.mathlib.templates import Design
from exprc.numbers import from_mpf, round_fraction
from exprc.ulp import report_vs_mpmath, summarize, ulp_errors_vs_mpmath

from .remez import max_error, minimax, round_coefficients
from .verify import Verification, verify

PREC = 200
POLY_TARGET = 2.0 ** -58          # the fit's share of the result's relative error: far below 2**-53
TOLERANCE = 2.0 ** -24            # boundary band: the float64 libm reference is within 2**-26 ULP
SPLIT_HIGH = math.sqrt(2)         # log: mantissas at or above this are halved
GRID_BITS = 42                    # log tables: e*log(2) + log(c) exact in float64 on this grid


@dataclass(frozen=True)
class Spec:
    function: str
    template: str
    mp: Callable                  # the function on mpf
    reference: str                # its exprc text, for the verifier's float64 reference
    bits_choices: tuple[int, ...]


def _mp(name: str) -> Callable:
    """The function on mpf, as exprc's registry maps it to mpmath (exact.py)."""
    from exprc import ops
    from exprc.exact import mp_apply
    op = ops.REGISTRY[name]
    return lambda x: mp_apply(op, [x])


SPECS = {
    "exp": Spec("exp", "exp_table", _mp("exp"), "exp(x)", (3, 4, 5, 6, 7)),
    "exp2": Spec("exp2", "exp_table", _mp("exp2"), "exp2(x)", (3, 4, 5, 6, 7)),
    "log": Spec("log", "log_table", _mp("log"), "log(x)", (3, 4, 5, 6, 7)),
    "log2": Spec("log2", "log_table", _mp("log2"), "log2(x)", (3, 4, 5, 6, 7)),
}


def _d(x) -> float:
    """Round an mpf or Fraction once to float64."""
    v = from_mpf(x) if isinstance(x, mpmath.mpf) else x
    return round_fraction(v, FLOAT64) if not isinstance(v, float) else v


def _grid(x, bits: int = GRID_BITS) -> Fraction:
    return Fraction(int(mpmath.nint(x * 2 ** bits)), 2 ** bits)


def _fit(f, interval, fixed, degree_range, relative=True, scale=1.0):
    """Lowest degree whose float64-rounded minimax polynomial meets POLY_TARGET once its error
    is multiplied by scale (how much of it reaches the result); returns the coefficients (as
    Fractions) and the measured error."""
    for degree in degree_range:
        res = minimax(f, degree, interval, relative=relative, fixed=fixed, prec=PREC)
        coeffs = round_coefficients(res.coefficients, "float64")
        for k, v in fixed.items():
            coeffs[k] = v
        err = float(max_error(coeffs, f, interval, relative=relative))
        if err * scale <= POLY_TARGET:
            return [Fraction(c) for c in coeffs], err
    raise ArithmeticError(f"no degree in {list(degree_range)} reaches {POLY_TARGET}")


def fit_exp(function: str, bits: int) -> Design:
    n = 1 << bits
    with mpmath.workprec(PREC):
        ln2 = mpmath.log(2)
        if function == "exp":
            step = ln2 / n
            half = step / 2 * (1 + mpmath.mpf(2) ** -20)

            def p(r):       # (e**r - 1) / r
                return mpmath.expm1(r) / r if r != 0 else mpmath.mpf(1)
            coeffs, err = _fit(p, (-half, half), {0: 1}, range(3, 12), scale=float(half))
            hi = _d(step)
            consts = {"lo": -104, "hi": 89, "inv_step": _d(n / ln2), "step_hi": hi,
                      "step_lo": _d(from_mpf(step) - Fraction(hi))}
        else:
            half = mpmath.mpf(1) / (2 * n)

            def p(r):       # (2**r - 1) / r
                return mpmath.expm1(r * ln2) / r if r != 0 else ln2
            coeffs, err = _fit(p, (-half, half), {}, range(3, 12), scale=float(half))
            consts = {"lo": -151, "hi": 129, "inv_step": n}
        table = tuple(Fraction(_d(mpmath.power(2, mpmath.mpf(j) / n))) for j in range(n))
    return Design(function, "exp_table", bits, tuple(coeffs), {"t": table},
                  {k: Fraction(v) for k, v in consts.items()}, extra={"poly_error": err})


def _round_bits(x, bits: int) -> Fraction:
    """x rounded to `bits` significant bits."""
    e = int(mpmath.floor(mpmath.log(abs(x), 2)))
    scale = Fraction(2) ** (bits - 1 - e)
    return Fraction(int(mpmath.nint(x * mpmath.mpf(scale.numerator) / scale.denominator))) / scale


def log_tables(bits: int):
    """invc (29 bits, so m * invc is exact in float64), the split index, and the range of r."""
    n = 1 << bits
    split = math.ceil((SPLIT_HIGH - 1) * n)
    invc, rlo, rhi = [], mpmath.mpf(0), mpmath.mpf(0)
    with mpmath.workprec(PREC):
        for j in range(n):
            lo, hi = 1 + mpmath.mpf(j) / n, 1 + mpmath.mpf(j + 1) / n
            if j >= split:
                lo, hi = lo / 2, hi / 2
            if j == 0 or j == n - 1:
                v = Fraction(1)     # around 1 the result is log(1 + r) alone: no cancellation
            else:
                v = _round_bits(2 / (lo + hi), 29)
            invc.append(v)
            fv = mpmath.mpf(v.numerator) / v.denominator
            rlo, rhi = min(rlo, lo * fv - 1), max(rhi, hi * fv - 1)
    return invc, split, (rlo * (1 + mpmath.mpf(2) ** -20), rhi * (1 + mpmath.mpf(2) ** -20))


def fit_log(function: str, bits: int) -> Design:
    invc, split, interval = log_tables(bits)
    with mpmath.workprec(PREC):
        base = mpmath.log(2) if function == "log2" else mpmath.mpf(1)
        his, los = [], []
        for v in invc:
            val = -mpmath.log(mpmath.mpf(v.numerator) / v.denominator) / base
            h = _grid(val)
            his.append(h)
            los.append(Fraction(_d(from_mpf(val) - h)))

        def p(r):       # (log(1 + r) - r) / r**2 / log(b), by its series where the difference cancels
            if abs(r) < mpmath.mpf(2) ** -24:
                return mpmath.fsum((-1) ** (k + 1) * r ** k / (k + 2) for k in range(12)) / base
            return (mpmath.log1p(r) - r) / r ** 2 / base
        coeffs, err = _fit(p, interval, {}, range(3, 14), scale=float(max(-interval[0], interval[1])))
        if function == "log2":
            inv = 1 / base
            hi = _d(inv)
            consts = {"split": split, "inv_ln2_hi": Fraction(hi), "inv_ln2_lo": Fraction(_d(from_mpf(inv) - Fraction(hi)))}
        else:
            ln2 = mpmath.log(2)
            h = _grid(ln2)
            consts = {"split": split, "ln2_hi": h, "ln2_lo": Fraction(_d(from_mpf(ln2) - h))}
    tables = {"invc": tuple(invc), "hi": tuple(his), "lo": tuple(los)}
    return Design(function, "log_table", bits, tuple(coeffs), tables, consts, extra={"poly_error": err})


def fit_exp64(function: str, bits: int) -> Design:
    """float64 exp/exp2: 2**(j/N) as double-double, the polynomial for (b**r - 1 - r log b)/r**2."""
    n = 1 << bits
    with mpmath.workprec(PREC):
        ln2 = mpmath.log(2)
        base = ln2 if function == "exp2" else mpmath.mpf(1)
        step = (1 / mpmath.mpf(n)) if function == "exp2" else ln2 / n
        half = step / 2 * (1 + mpmath.mpf(2) ** -20)

        def p(r):       # (b**r - 1 - r log b) / r**2, by its series near 0
            if abs(r) < mpmath.mpf(2) ** -30:
                return mpmath.fsum((r * base) ** k * base ** 2 / mpmath.factorial(k + 2) for k in range(10))
            return (mpmath.expm1(r * base) - r * base) / r ** 2
        coeffs, err = _fit(p, (-half, half), {}, range(2, 10), scale=float(half))
        his, los = [], []
        for j in range(n):
            v = mpmath.power(2, mpmath.mpf(j) / n)
            h = Fraction(_d(v))
            his.append(h)
            los.append(Fraction(_d(from_mpf(v) - h)))
        if function == "exp2":
            h = Fraction(_d(ln2))
            consts = {"lo": -1076, "hi": 1025, "inv_step": n, "ln2_hi": h, "ln2_lo": Fraction(_d(from_mpf(ln2) - h))}
        else:
            hi = Fraction(_d(step))
            consts = {"lo": -746, "hi": 710, "inv_step": Fraction(_d(n / ln2)), "step_hi": hi,
                      "step_lo": Fraction(_d(from_mpf(step) - hi))}
    return Design(function, "exp64_table", bits, tuple(coeffs), {"hi": tuple(his), "lo": tuple(los)},
                  {k: Fraction(v) for k, v in consts.items()}, extra={"poly_error": err})


def fit_log64(function: str, bits: int) -> Design:
    """float64 log/log2: the float32 tables' construction (m*invc - 1 is rounded once here)."""
    d = fit_log(function, bits)
    return Design(function, "log64_table", bits, d.poly, d.tables, d.constants, extra=d.extra)


TRIG_RANGE = 2.0 ** 28            # trig64: |x| up to this by Cody–Waite in double-double, the C library beyond
TRIG_TINY = 2.0 ** -27            # sin x and tan x round to x below this
# a faithful (not correctly rounded) target: -1/6 rounded to float64 alone leaves 2**-57.2 of the
# result (0.05 ULP), which no refit of the other coefficients removes
TRIG_POLY_TARGET = 2.0 ** -56


def _fit_terms(f, interval, first: int, degree_range, scale: float, target: float):
    """Lowest degree whose float64-rounded minimax polynomial sum_{k >= first} c_k z**k meets
    target in absolute error times scale; the coefficients from c_first on."""
    for degree in degree_range:
        mono = list(range(first, degree + 1))
        res = minimax(f, degree, interval, relative=False, monomials=mono, prec=PREC)
        coeffs = round_coefficients(res.coefficients, "float64")
        err = float(max_error(coeffs, f, interval, relative=False))
        if err * scale <= target:
            return [Fraction(c) for c in coeffs[first:]], err
    raise ArithmeticError(f"no degree in {list(degree_range)} reaches {target}")


def pio2_parts() -> tuple[Fraction, Fraction, Fraction]:
    """pi/2 as three float64 numbers, each the rounding of what the ones before leave."""
    with mpmath.workprec(PREC):
        pio2 = from_mpf(mpmath.pi / 2)
    p1 = Fraction(_d(pio2))
    p2 = Fraction(_d(pio2 - p1))
    return p1, p2, Fraction(_d(pio2 - p1 - p2))


def fit_trig64(function: str, bits: int = 0) -> Design:
    """float64 sin/cos/tan (templates.trig64) on |r| <= pi/4 (a little over: k is rounded from a
    rounded x 2/pi), in z = r**2: (sin r - r)/r = z S(z) and cos r - 1 + z/2 = z**2 C(z), fitted
    in absolute error (what reaches the result, over |sin r / r| >= 0.9 and cos r >= 0.7); and
    pi/2 in three float64 parts."""
    with mpmath.workprec(PREC):
        top = (mpmath.pi / 4 * (1 + mpmath.mpf(2) ** -20)) ** 2
        fact = mpmath.factorial
        small = mpmath.mpf(2) ** -20

        def sin_part(z):
            if z < small:
                return mpmath.fsum((-1) ** (n + 1) * z ** (n + 1) / fact(2 * n + 3) for n in range(8))
            r = mpmath.sqrt(z)
            return (mpmath.sin(r) - r) / r

        def cos_part(z):
            if z < small:
                return mpmath.fsum((-1) ** n * z ** (n + 2) / fact(2 * n + 4) for n in range(8))
            return mpmath.cos(mpmath.sqrt(z)) - 1 + z / 2
        s_coeffs, s_err = _fit_terms(sin_part, (0, top), 1, range(4, 12), 1.12, TRIG_POLY_TARGET)
        c_coeffs, c_err = _fit_terms(cos_part, (0, top), 2, range(5, 13), 1.42, TRIG_POLY_TARGET)
        p1, p2, p3 = pio2_parts()
        consts = {"inv_pio2": Fraction(_d(2 / mpmath.pi)), "pio2_1": p1, "pio2_2": p2, "pio2_3": p3,
                  "range": Fraction(TRIG_RANGE), "tiny": Fraction(TRIG_TINY)}
    return Design(function, "trig64", 0, tuple(s_coeffs), {"cos_poly": tuple(c_coeffs)}, consts,
                  extra={"poly_error": max(s_err, c_err)})


def fit_pow64(function: str = "pow", bits: int = 4) -> Design:
    """float64 pow (templates.pow64): log64's tables for `bits`, Q(r) = (log1p(r) - r + r**2/2)/r**3
    on its range of r, and exp64's design with 16 entries."""
    log = fit_log64("log", bits)
    _, _, interval = log_tables(bits)
    with mpmath.workprec(PREC):
        def q(r):
            if abs(r) < mpmath.mpf(2) ** -20:
                return mpmath.fsum((-1) ** k * r ** k / (k + 3) for k in range(10))
            return (mpmath.log1p(r) - r + r * r / 2) / r ** 3
        # r**3 Q(r) is at most 2**-11.6 of log x (|r| <= 2**-5), so a relative error of 2**-53 in
        # Q (1/3 rounded alone gives 2**-54) is 2**-64.6 of log x: 0.1 ULP of x**y at |y log x| = 745
        coeffs, err = _fit(q, interval, {}, range(3, 14), scale=2.0 ** -5)
    e = fit_exp64("exp", 4)
    tables = {**log.tables, "exp_hi": e.tables["hi"], "exp_lo": e.tables["lo"], "exp_poly": e.poly}
    consts = {**log.constants, "exp_bits": e.bits, **{f"exp_{k}": v for k, v in e.constants.items()},
              "t_max": 708}          # beyond: over/underflow or subnormal results, the C library's
    return Design("pow", "pow64", bits, tuple(coeffs), tables, consts, extra={"poly_error": err})


FITS = {"exp_table": fit_exp, "log_table": fit_log, "exp64_table": fit_exp64, "log64_table": fit_log64,
        "trig64": fit_trig64, "pow64": fit_pow64}


def correctly_rounded(function: str, x: float) -> float:
    """f(x) rounded once to float32, from 300-bit mpmath."""
    with mpmath.workprec(300):
        v = SPECS[function].mp(mpmath.mpf(x))
        return float(round_fraction(from_mpf(v), FLOAT32))


FLOAT64_TEMPLATE = {"exp_table": "exp64_table", "log_table": "log64_table"}   # the float32 one's twin
# float64 functions with no float32 design of their own: the template itself
SPECS64 = {name: Spec(name, "trig64", _mp(name), f"{name}(x)", (0,)) for name in ("sin", "cos", "tan")}
SPECS64["pow"] = Spec("pow", "pow64", lambda x, y: mpmath.power(x, y), "pow(x, y)", (3, 4, 5))


def dtype_of(design: Design) -> str:
    float64 = {*FLOAT64_TEMPLATE.values(), *(s.template for s in SPECS64.values())}
    return "float64" if design.template in float64 else "float32"


def _spec(function: str) -> Spec:
    return SPECS.get(function) or SPECS64[function]


def _template64(function: str) -> str:
    spec = _spec(function)
    return FLOAT64_TEMPLATE.get(spec.template, spec.template)


def arguments(design: Design) -> list[str]:
    from exprc import ops
    return ["x", "y"][:ops.REGISTRY[design.function].arity]


def program(design: Design) -> ir.Node:
    return design.build(*[ir.var(name, dtype_of(design)) for name in arguments(design)])


def seconds_per_element(design: Design, n: int = 1 << 20, repeats: int = 7) -> float:
    """Best-of-repeats wall time of the compiled kernel per element, one thread, inputs where
    the function is finite (so no shortcut path is timed)."""
    import exprc
    dtype = dtype_of(design)
    k = exprc.compile(program(design), dtype=dtype, variables=arguments(design), mathlib="libm")
    rng = np.random.default_rng(0)
    if design.template == "trig64":          # within the reduction's range (the fallback is the C library's)
        xs = [rng.uniform(-100, 100, n)]
    elif design.template == "pow64":         # results in the normal range (the fallback is the C library's)
        xs = [np.exp(rng.uniform(-20, 20, n)), rng.uniform(-30, 30, n)]
    else:
        xs = [rng.uniform(-80, 80, n) if design.template.startswith("exp") else np.exp(rng.uniform(-80, 80, n))]
    xs = [x.astype(dtype) for x in xs]
    out = np.empty_like(xs[0])
    k(*xs, out=out, threads=1)
    best = math.inf
    for _ in range(repeats):
        t0 = time.perf_counter()
        k(*xs, out=out, threads=1)
        best = min(best, time.perf_counter() - t0)
    return best / n


def prove(design: Design, deadline: float | None = None) -> Verification | None:
    return verify(program(design), SPECS[design.function].reference, tolerance=TOLERANCE,
                  settle_limit=1 << 16, deadline=deadline)


FLOAT64_SAMPLE = 200_000


def float64_sample(function: str, n: int = FLOAT64_SAMPLE, seed: int = 0) -> np.ndarray:
    """Where float64 functions go wrong: uniform over the finite range, tiny and huge
    magnitudes, the subnormal results and inputs, around 1 (logs) and 0 (exps)."""
    rng = np.random.default_rng(seed)
    q = n // 4
    if function in SPECS64:      # trig: moderate, the reduction's whole range, huge, tiny and subnormal,
        sign = lambda m: rng.choice([-1.0, 1.0], m)   # noqa: E731    and next to multiples of pi/2
        p1, p2, _ = pio2_parts()
        k = rng.integers(1, int(TRIG_RANGE / float(p1)), q // 2)       # multiples inside the reduction's range
        near = np.float64(k * float(p1)) + np.float64(k * float(p2))
        parts = [rng.uniform(-10, 10, q), sign(q) * 2.0 ** rng.uniform(math.log2(TRIG_TINY), math.log2(TRIG_RANGE), q),
                 sign(q // 2) * 2.0 ** rng.uniform(math.log2(TRIG_RANGE), 1024, q // 2),
                 sign(q // 4) * 2.0 ** rng.uniform(-1074, math.log2(TRIG_TINY), q // 4),
                 sign(q // 4) * rng.integers(1, 2 ** 52, q // 4, dtype=np.int64).view(np.float64),
                 np.concatenate([near, np.nextafter(near, np.inf), np.nextafter(near, -np.inf)])]
    elif function.startswith("exp"):
        lo, hi = (-746, 710) if function == "exp" else (-1076, 1025)
        parts = [rng.uniform(lo, hi, 2 * q), rng.uniform(-1, 1, q) * 2.0 ** -rng.integers(1, 1000, q),
                 rng.uniform(lo, lo + 40, q // 2), rng.uniform(hi - 2, hi, q // 2)]
    else:
        parts = [2.0 ** rng.uniform(-1074, 1024, 2 * q), 1 + rng.uniform(-2 ** -6, 2 ** -6, q // 2),
                 1 + rng.uniform(-1, 1, q // 2) * 2.0 ** -rng.integers(7, 52, q // 2),
                 rng.integers(1, 2 ** 52, q, dtype=np.int64).view(np.float64)]       # subnormals
    return np.concatenate(parts)


def pow_sample(n: int = FLOAT64_SAMPLE, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(x, y) pairs where pow goes wrong: x log-uniform over the finite range with y making
    |y log x| up to 800 (over- and underflow, subnormal results), x near 1 with large y, small
    integer and half-integer y, and the special cases (x <= 0, zeros, infinities, NaN)."""
    rng = np.random.default_rng(seed)
    q = n // 4
    x1 = 2.0 ** rng.uniform(-1074, 1024, q)
    y1 = rng.uniform(-800, 800, q) / np.log(x1)
    x2 = 1 + rng.uniform(-1, 1, q) * 2.0 ** -rng.integers(1, 52, q)
    y2 = rng.uniform(-1, 1, q) * 2.0 ** rng.uniform(0, 60, q)
    x3 = 2.0 ** rng.uniform(-20, 20, q)
    y3 = rng.integers(-40, 40, q) / rng.choice([1, 2], q)
    specials = np.array([0.0, -0.0, 1.0, -1.0, 2.0, -2.0, 0.5, np.inf, -np.inf, np.nan, 5e-324, 1e308])
    x4, y4 = (a.reshape(-1) for a in np.meshgrid(specials, np.array([0.0, -0.0, 1.0, -1.0, 2.0, -3.0, 0.5, -0.5,
                                                                     np.inf, -np.inf, np.nan, 1e300])))
    return np.concatenate([x1, x2, x3, x4]), np.concatenate([y1, y2, y3, y4])


def sampled_error(design: Design, n: int = FLOAT64_SAMPLE) -> dict:
    """float64 designs, which no one can prove over 2**64 inputs: the max ULP error against
    300-bit mpmath on float64_sample (pow: pow_sample) (MEASURING.md's ULP, subnormal spacing
    below 2**-1022)."""
    import exprc
    if design.function == "pow":
        x, y_arg = pow_sample(n)
        with np.errstate(all="ignore"):
            y = exprc.compile(program(design), dtype="float64", variables=arguments(design), mathlib="libm")(x, y_arg)
        rep = pow_report(x, y_arg, y)
        worst = rep.worst_input[0]               # the x of the worst pair
    else:
        x = float64_sample(design.function, n)
        y = exprc.compile(program(design), dtype="float64", variables=["x"], mathlib="libm")(x)
        rep = report_vs_mpmath(_spec(design.function).mp, x, y, "float64")
        worst = rep.worst_input
    return {"max_ulp": rep.max_ulp, "worst_input": float(worst), "nonfinite_failures": rep.nonfinite_failures,
            "sampled": int(x.size), "exhaustive": False, "date": time.strftime("%Y-%m-%d")}


@lru_cache(maxsize=None)
def c_library(name: str):
    """The C library's float64 function `name` (a registry op) on Python floats: what the LLVM
    backend calls in a lazy_where's fallback lanes (numpy's own functions differ from C's at some
    inputs: its power at (-inf)**0.5, its tan near 2**60)."""
    import ctypes
    import ctypes.util
    from exprc import ops
    f = getattr(ctypes.CDLL(ctypes.util.find_library("m")), name)
    f.restype, f.argtypes = ctypes.c_double, [ctypes.c_double] * ops.REGISTRY[name].arity
    return f


def pow_report(x: np.ndarray, y: np.ndarray, got: np.ndarray, prec: int = 300):
    """The ULP report (exprc.ulp) of pow results got at the pairs (x, y) against C pow's value
    (_pow_reference) at prec bits."""
    with mpmath.workprec(prec):
        refs = [_pow_reference(a, b) for a, b in zip(x.tolist(), y.tolist())]
    return summarize(*ulp_errors_vs_mpmath(got, refs, "float64"), (x, y))


def _pow_reference(x: float, y: float):
    """C pow's value for (x, y) as an mpf (its special cases: pow(x, 0) = 1 even for NaN x,
    pow(1, y) = 1, negative x only with integer y; None where C gives NaN)."""
    if y == 0 or x == 1:
        return mpmath.mpf(1)
    if math.isnan(x) or math.isnan(y):
        return None
    if math.isinf(x) or math.isinf(y) or x == 0:
        return mpmath.mpf(c_library("pow")(x, y))      # C's exact special values (0, -0, inf, -inf, 1)
    if x < 0 and y != int(y):
        return None
    return mpmath.power(mpmath.mpf(x), mpmath.mpf(y))


def with_exceptions(design: Design, inputs) -> Design:
    pairs = tuple(sorted({(float(x), correctly_rounded(design.function, float(x))) for x in inputs}
                         | set(design.exceptions)))
    return Design(design.function, design.template, design.bits, design.poly, design.tables,
                  design.constants, pairs, design.extra)


@dataclass
class Outcome:
    design: Design
    proof: Verification
    seconds_per_element: float
    tried: list


def generate_function64(function: str, log=print) -> tuple[Design, dict, float, list]:
    """The fastest float64 design within one ULP on the sample (accuracy cannot be proved
    exhaustively in float64; the sample is labelled as such)."""
    template = _template64(function)
    candidates = []
    for bits in _spec(function).bits_choices:
        d = FITS[template](function, bits)
        s = seconds_per_element(d)
        candidates.append((s, d))
        log(f"{function} float64: {1 << bits if bits else 'no'} table entries, degree {len(d.poly) - 1}: "
            f"{s * 1e9:.3f} ns/element")
    tried = []
    for s, d in sorted(candidates, key=lambda c: c[0]):
        err = sampled_error(d)
        tried.append({"bits": d.bits, "degree": len(d.poly) - 1, "ns_per_element": round(s * 1e9, 4),
                      "sampled_max_ulp": err["max_ulp"]})
        log(f"{function} float64: {1 << d.bits if d.bits else 'no'} table entries: max {err['max_ulp']:.4f} ULP on {err['sampled']:,} inputs")
        if err["max_ulp"] <= 1.0 and err["nonfinite_failures"] == 0:
            return d, err, s, tried
    raise ArithmeticError(f"{function} float64: no design within one ULP; tried {tried}")


def generate_function(function: str, max_exceptions: int = 16, proved: int = 3, log=print) -> Outcome:
    """The fastest proven-correctly-rounded design of function: every table size fitted and
    timed, the `proved` fastest proved (exceptions added where a few inputs misround, and the
    result proved again), the fastest proven one kept (timed again with its exceptions)."""
    spec = SPECS[function]
    candidates = []
    for bits in spec.bits_choices:
        d = FITS[spec.template](function, bits)
        s = seconds_per_element(d)
        candidates.append((s, d))
        log(f"{function}: {1 << bits} entries, degree {len(d.poly) - 1}: {s * 1e9:.3f} ns/element")
    tried, proven = [], []
    for s, d in sorted(candidates, key=lambda c: c[0])[:proved]:
        proof = prove(d)
        misrounded = proof.misrounded_inputs
        row = {"bits": d.bits, "degree": len(d.poly) - 1, "ns_per_element": round(s * 1e9, 4),
               "not_correctly_rounded": proof.not_correctly_rounded, "unsettled": proof.unsettled_boundary_cases}
        tried.append(row)
        log(f"{function}: {1 << d.bits} entries: {proof.not_correctly_rounded} not correctly rounded, "
            f"max {proof.max_ulp:.4f} ULP ({proof.seconds:.0f} s)")
        if (proof.unsettled_boundary_cases or proof.nonfinite_failures
                or proof.not_correctly_rounded != len(misrounded) or len(misrounded) > max_exceptions):
            continue
        final = with_exceptions(d, misrounded) if misrounded else d
        check = prove(final) if misrounded else proof
        if check.not_correctly_rounded == 0 and check.nonfinite_failures == 0 and not check.unsettled_boundary_cases:
            speed = seconds_per_element(final)
            row["with_exceptions_ns_per_element"] = round(speed * 1e9, 4)
            proven.append((speed, final, check))
    if not proven:
        raise ArithmeticError(f"{function}: no design proved correctly rounded; tried {tried}")
    speed, final, check = min(proven, key=lambda p: p[0])
    return Outcome(final, check, speed, tried)


def generate(functions=None, path: Path = DATA_PATH, log=print, dtype: str = "float32") -> dict:
    """Regenerate the library for functions (all by default), keeping the others' entries."""
    if dtype == "float64":
        return generate64(functions, DATA_PATHS["float64"] if path == DATA_PATH else path, log)
    data = json.loads(path.read_text()) if path.exists() else {}
    for name in functions or SPECS:
        out = generate_function(name, log=log)
        entry = design_to_json(out.design)
        entry["proof"] = {"max_ulp": out.proof.max_ulp, "worst_input": out.proof.worst_input,
                          "not_correctly_rounded": out.proof.not_correctly_rounded,
                          "inputs_judged": out.proof.count, "boundary_cases_settled": out.proof.boundary_cases,
                          "exhaustive": out.proof.exhaustive, "seconds": round(out.proof.seconds, 1),
                          "date": time.strftime("%Y-%m-%d")}
        entry["ns_per_element"] = round(out.seconds_per_element * 1e9, 4)
        entry["search"] = out.tried
        assert design_from_json(entry) == out.design
        data[name] = entry
        path.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n")
    return data


def generate64(functions=None, path: Path | None = None, log=print) -> dict:
    path = path or DATA_PATHS["float64"]
    data = json.loads(path.read_text()) if path.exists() else {}
    for name in functions or [*SPECS, *SPECS64]:
        design, err, speed, tried = generate_function64(name, log=log)
        entry = design_to_json(design)
        entry["proof"] = err
        entry["ns_per_element"] = round(speed * 1e9, 4)
        entry["search"] = tried
        assert design_from_json(entry) == design
        data[name] = entry
        path.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n")
    return data
