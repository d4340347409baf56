"""Evaluate one op on constant values: exactly when possible, else in high precision, rounded once.

Why: the language defines a constant subexpression as its exact real value rounded once to
the dtype, so `-32/5 * 6.67430e-11**4 / 2.99792458e8**5` folds to the correctly rounded
float32 of the true value instead of underflowing through float32 intermediates.

Order of attempts: the op's exact rule on Fractions; else mpmath at 320 bits (irrational
results); else, for specials (nan, inf, -0.0), domain errors and results beyond 2**+-20000,
the op evaluated in IEEE arithmetic of the dtype, which is what the kernel would compute.
A zero result takes the sign IEEE arithmetic gives it (trunc(-0.5) is -0.0).

The fold pass (passes/fold.py) evaluates constant subtrees with irrational steps twice, at
320 and 704 bits: when the results round differently the finer one wins, and a result that
shrinks with the precision (sin(pi) is about 1e-97 at 320 bits) is the exact zero it stands for.
"""
from __future__ import annotations

import math
from fractions import Fraction

import numpy as np

from . import ops
from .dtypes import BOOL
from .numbers import Value, from_mpf, in_exact_range, round_value, to_value

PRECISION_BITS = 320

_MP_SPECIAL = {
    "exp2": lambda mp, x: mp.power(2, x),
    "log2": lambda mp, x: mp.log(x, 2),
    "cbrt": lambda mp, x: mp.sign(x) * mp.cbrt(abs(x)),   # the real cube root
    "lgamma": lambda mp, x: mp.log(abs(mp.gamma(x))),     # C's lgamma is log|gamma|
    "log_iv": lambda mp, v, x: _mp_bessel(mp, "log_iv", v, x),
    "log_kv": lambda mp, v, x: _mp_bessel(mp, "log_kv", v, x),
    "log_ive": lambda mp, v, x: _mp_bessel(mp, "log_ive", v, x),
    "log_kve": lambda mp, v, x: _mp_bessel(mp, "log_kve", v, x),
    "iv": lambda mp, v, x: mp.exp(_mp_bessel(mp, "log_iv", v, x)),
    "kv": lambda mp, v, x: mp.exp(_mp_bessel(mp, "log_kv", v, x)),
}


def _mp_bessel(mp, name, v, x):
    """At the caller's working precision, as the fold pass asks of every mpmath evaluation."""
    from .special.reference import mp_log_bessel
    return mp_log_bessel(name, v, x, digits=mp.mp.dps)


def _np_arg(v, dtype: str):
    if isinstance(v, bool):
        return np.bool_(v)
    return round_value(v, dtype)


def ieee_eval(op: ops.Op, values: list, dtype: str):
    """The op computed as the kernel would: in IEEE arithmetic of dtype on rounded operands."""
    float_dtype = dtype if dtype != BOOL else "float64"
    args = [np.asarray(_np_arg(v, float_dtype)) for v in values]
    with np.errstate(all="ignore"):
        r = op.numpy(*args) if args else op.numpy()
    r = np.asarray(r)
    if r.dtype == np.bool_:
        return bool(r)
    return to_value(float(r))


def _mp_eval(op: ops.Op, values: list[Fraction], prec: int):
    import mpmath
    with mpmath.workprec(prec):
        xs = [mpmath.mpf(v.numerator) / v.denominator for v in values]
        r = _mp_call(op, xs)
        return None if r is None else from_mpf(r)


def _mp_call(op: ops.Op, xs: list):
    """op.mp on mpf arguments at the caller's working precision; None outside the real domain."""
    import mpmath
    fn = _MP_SPECIAL.get(op.mp)
    try:
        r = fn(mpmath, *xs) if fn else getattr(mpmath, op.mp)(*xs)
    except (ValueError, ZeroDivisionError):
        return None
    return r if isinstance(r, mpmath.mpf) else None    # complex: outside the real domain


_MP_ARITH = {
    # + - * exactly (no rounding at any precision), so cancellation costs no bits at all
    "add": lambda mp, a, b: mp.fadd(a, b, exact=True), "sub": lambda mp, a, b: mp.fsub(a, b, exact=True),
    "mul": lambda mp, a, b: mp.fmul(a, b, exact=True),
    "div": lambda mp, a, b: None if b == 0 else a / b, "neg": lambda mp, a: -a,
    "abs": lambda mp, a: abs(a), "fma": lambda mp, a, b, c: mp.fadd(mp.fmul(a, b, exact=True), c),
    "sqrt": lambda mp, a: None if a < 0 else mp.sqrt(a),
    "min": lambda mp, a, b: min(a, b), "max": lambda mp, a, b: max(a, b),
    "lt": lambda mp, a, b: a < b, "le": lambda mp, a, b: a <= b, "gt": lambda mp, a, b: a > b,
    "ge": lambda mp, a, b: a >= b, "eq": lambda mp, a, b: a == b, "ne": lambda mp, a, b: a != b,
}


def mp_apply(op: ops.Op, args: list):
    """The real value of op on mpf (or bool) arguments: + - * exact, the rest rounded once to
    the caller's mpmath working precision; None where the real function is undefined. Ops with an exact rule on
    rationals (floor, fmod, copysign, ...) use it; transcendental ones their mpmath function."""
    import mpmath
    fn = _MP_ARITH.get(op.name)
    if fn is not None:
        return fn(mpmath, *args)
    if any(isinstance(a, bool) for a in args):
        args = [mpmath.mpf(int(a)) if isinstance(a, bool) else a for a in args]
    if op.exact is not None:
        try:
            r = op.exact(*[_fraction(a) for a in args])
        except (ZeroDivisionError, ValueError, OverflowError):
            r = None
        if r is not None:
            return r if isinstance(r, bool) else mpmath.mpf(r.numerator) / r.denominator
    if op.mp is None:
        return None
    return _mp_call(op, args)


def _fraction(x) -> Fraction:
    import mpmath
    if not mpmath.isfinite(x):
        raise ValueError("not finite")
    man, exp = x.man_exp          # the magnitude's: mpmath keeps the sign apart
    man = -int(man) if x < 0 else int(man)
    return Fraction(man) * Fraction(2) ** exp if exp >= 0 else Fraction(man, 2 ** -exp)


def fold_values(op: ops.Op, values: list, dtype: str, prec: int = PRECISION_BITS):
    """The constant value op(values) denotes in a program of the given result dtype.
    prec: the working precision in bits where the result is irrational."""
    if op.kind == ops.NULLARY:
        import mpmath
        with mpmath.workprec(prec):
            return from_mpf(+getattr(mpmath, op.mp))
    if any(isinstance(v, float) for v in values):   # a special: IEEE semantics decide
        return ieee_eval(op, values, dtype)
    result = None
    if op.exact is not None:
        try:
            result = op.exact(*values)
        except (ZeroDivisionError, ValueError, OverflowError):
            result = None
    if result is None and op.mp is not None:
        result = _mp_eval(op, values, prec)
    if result is None:
        return ieee_eval(op, values, dtype)
    if isinstance(result, bool):
        return result
    if isinstance(result, int):
        result = Fraction(result)
    if isinstance(result, Fraction):
        if not in_exact_range(result):
            return ieee_eval(op, values, dtype)
        if result == 0:
            ieee = ieee_eval(op, values, dtype)
            if isinstance(ieee, float) and ieee == 0 and math.copysign(1.0, ieee) < 0:
                return -0.0
    return result
