"""Numpy implementations of the ops whose exact semantics numpy does not give directly.

Why: the numpy backend is the oracle the compiled backends must match bit for bit, so every
op it runs must round exactly as the language defines: fma rounds once, min/max follow
IEEE 754-2019 minimum/maximum (NaN propagates, -0 < +0), sign keeps zeros and NaN.
"""
from __future__ import annotations

import math
from fractions import Fraction

import numpy as np

from .dtypes import FORMATS
from .numbers import round_fraction


def power(a, b):
    """C pow. numpy's power special-cases scalar exponents (x**0.5 becomes sqrt, which differs
    at -0 and -inf), so the exponent is made a real array (not a stride-0 view, which is
    special-cased as well) of at least one element (0-d exponents, as constant folding
    passes, are special-cased too) to get the libm semantics."""
    a, b = np.asarray(a), np.asarray(b)
    shape = np.broadcast_shapes(a.shape, b.shape)
    if b.shape != shape or not shape:
        b = np.full(shape or (1,), b, dtype=b.dtype)
    return np.power(a, b).reshape(shape)


def minimum(a, b):
    """IEEE 754-2019 minimum: NaN if either is NaN; -0.0 is less than +0.0."""
    a, b = np.asarray(a), np.asarray(b)
    return np.where(a == b, np.where(np.signbit(a), a, b), np.minimum(a, b))


def maximum(a, b):
    """IEEE 754-2019 maximum: NaN if either is NaN; +0.0 is greater than -0.0."""
    a, b = np.asarray(a), np.asarray(b)
    return np.where(a == b, np.where(np.signbit(a), b, a), np.maximum(a, b))


def copysign(a, b):
    """|a| with the sign of b; |a| when b is NaN. IEEE leaves the sign of a NaN produced by an
    operation unspecified (x86 sets it, others clear it), so exprc does not let it leak."""
    b = np.asarray(b)
    return np.copysign(a, np.where(np.isnan(b), np.ones((), dtype=b.dtype), b))


def ldexp(x, n):
    """x * 2**trunc(n) rounded once (subnormal results included); NaN when n is NaN."""
    x = np.asarray(x)
    n = np.asarray(n, dtype=np.float64)
    k = np.where(np.isnan(n), 0, np.clip(np.trunc(n), -4000, 4000)).astype(np.int32)
    r = np.ldexp(x, k).astype(x.dtype, copy=False)
    return np.where(np.isnan(n), np.asarray(np.nan, dtype=x.dtype), r)


def logb(x):
    """The binary exponent floor(log2|x|) as a float: -inf at 0, +inf at +-inf, NaN at NaN."""
    x = np.asarray(x)
    _, e = np.frexp(x)
    out = (e - 1).astype(x.dtype)
    out = np.where(x == 0, -np.inf, out)
    return np.where(np.isinf(x), np.inf, np.where(np.isnan(x), x, out)).astype(x.dtype, copy=False)


def sign(x):
    """-1, +1, or x itself for +-0 and NaN."""
    x = np.asarray(x)
    one = np.ones((), dtype=x.dtype)
    return np.where(np.isnan(x) | (x == 0), x, np.copysign(one, x))


def fma_scalar(a: float, b: float, c: float, fmt) -> float:
    """a*b+c rounded once, for one element; handles every special case by IEEE rules."""
    if math.isnan(a) or math.isnan(b) or math.isnan(c):
        return math.nan
    if math.isinf(a) or math.isinf(b):
        if a == 0 or b == 0:
            return math.nan
        p = math.copysign(math.inf, a) * math.copysign(1.0, b)
        if math.isinf(c) and c != p:
            return math.nan
        return p
    if math.isinf(c):
        return c
    exact = Fraction(a) * Fraction(b) + Fraction(c)
    if exact == 0:
        product_negative = (math.copysign(1.0, a) * math.copysign(1.0, b)) < 0
        both_negative = product_negative and math.copysign(1.0, c) < 0 and a * b == 0
        return -0.0 if both_negative else 0.0
    return round_fraction(exact, fmt)


def _two_sum(a, b):
    s = a + b
    bb = s - a
    return s, (a - (s - bb)) + (b - bb)


def _round_to_odd_fix(s, err):
    """Turn RN(a+b) into RO(a+b) given the exact error of the sum."""
    bits = s.view(np.int64)
    fix = (err != 0) & ((bits & 1) == 0) & np.isfinite(s)
    if np.any(fix):
        toward = np.where(err > 0, np.inf, -np.inf)
        s = np.where(fix, np.nextafter(s, toward), s)
    return s


def _fma32(a, b, c):
    # The product of two float32 is exact in float64; the sum rounded to odd in float64
    # (53 >= 24 + 2 bits) then rounded to float32 is the correctly rounded fma.
    a64, b64, c64 = (np.asarray(t, dtype=np.float64) for t in (a, b, c))
    p = a64 * b64
    s, err = _two_sum(p, c64)
    with np.errstate(invalid="ignore"):
        s = _round_to_odd_fix(np.asarray(s, dtype=np.float64), np.nan_to_num(err))
    return s.astype(np.float32)


def _split(a):
    t = 134217729.0 * a
    hi = t - (t - a)
    return hi, a - hi


def _fma64(a, b, c):
    # Boldo & Melquiond (2008): exact product, TwoSum, a sum rounded to odd, then one
    # rounding to nearest. Elements near the edges of the exponent range, zeros and
    # specials take the exact scalar path instead.
    a, b, c = np.broadcast_arrays(*(np.asarray(t, dtype=np.float64) for t in (a, b, c)))
    shape = a.shape
    a, b, c = (np.atleast_1d(t) for t in (a, b, c))
    with np.errstate(all="ignore"):
        ea, eb, ec = np.abs(a), np.abs(b), np.abs(c)
        safe = ((ea >= 2.0 ** -400) & (ea <= 2.0 ** 400) & (eb >= 2.0 ** -400) & (eb <= 2.0 ** 400)
                & ((ec == 0) | ((ec >= 2.0 ** -800) & (ec <= 2.0 ** 900))))
        ph = a * b
        ah, al = _split(a)
        bh, bl = _split(b)
        pl = ((ah * bh - ph) + ah * bl + al * bh) + al * bl
        th, tl = _two_sum(c, ph)
        v, verr = _two_sum(tl, pl)
        v = _round_to_odd_fix(np.asarray(v, dtype=np.float64), np.nan_to_num(verr))
        out = np.asarray(th + v, dtype=np.float64)
    if not np.all(safe):
        out = np.array(out, copy=True)
        idx = np.nonzero(~safe)
        fmt = FORMATS["float64"]
        out[idx] = [fma_scalar(float(x), float(y), float(z), fmt)
                    for x, y, z in zip(a[idx], b[idx], c[idx])]
    return out.reshape(shape)


def fma(a, b, c):
    """a*b+c with a single rounding, in the dtype of the operands."""
    dt = np.result_type(a, b, c)
    if dt == np.float32:
        return _fma32(a, b, c)
    return _fma64(a, b, c)


def _through_float64(fn):
    """Apply a float64-only function and round once to the input dtype."""
    def apply(x):
        x = np.asarray(x)
        return np.asarray(fn(x.astype(np.float64)), dtype=np.float64).astype(x.dtype)
    return apply


def _scipy_or_math(name: str):
    try:
        import scipy.special as sc
        return _through_float64(getattr(sc, name))
    except ImportError:  # pragma: no cover - scipy is in the test extra
        f = np.frompyfunc(getattr(math, name), 1, 1)
        return _through_float64(lambda x: f(x).astype(np.float64))


def _scipy_or_math_named(scipy_name: str, math_name: str):
    try:
        import scipy.special as sc
        return _through_float64(getattr(sc, scipy_name))
    except ImportError:  # pragma: no cover - scipy is in the test extra
        f = np.frompyfunc(_nan_outside(getattr(math, math_name)), 1, 1)
        return _through_float64(lambda x: f(x).astype(np.float64))


def _nan_outside(fn):
    def safe(x):
        try:
            return fn(x)
        except (ValueError, OverflowError):
            return math.nan if not (x == 0 or x > 0) else math.inf
    return safe


def _lgamma_scipy(x):
    import scipy.special as sc
    return np.where(np.isneginf(x), np.inf, sc.gammaln(x))


def tgamma(x):
    """C tgamma: +-inf at +-0, NaN at negative integers and -inf."""
    x = np.asarray(x)
    with np.errstate(all="ignore"):
        r = _gamma(x)
    pole = (x == 0)
    return np.where(pole, np.copysign(np.asarray(np.inf, x.dtype), x),
                    np.where(np.isneginf(x) | ((x < 0) & (np.floor(x) == x)), np.asarray(np.nan, x.dtype), r))


def lgamma(x):
    """C lgamma: log|gamma(x)|, +inf at the poles and at +-inf."""
    x = np.asarray(x)
    with np.errstate(all="ignore"):
        return _lgamma(x)


def as_number(predicate):
    """A numpy predicate as 1.0 / 0.0 in the input's float dtype."""
    def apply(a):
        a = np.asarray(a)
        return predicate(a).astype(a.dtype)
    return apply


def signbit(a):
    """1 where a is negative or -0 (never for NaN, whose sign exprc does not expose)."""
    a = np.asarray(a)
    return (np.signbit(a) & ~np.isnan(a)).astype(a.dtype)


def fdim(a, b):
    """C fdim: a - b where a > b, +0 where a <= b, NaN where either is NaN."""
    a, b = np.asarray(a), np.asarray(b)
    with np.errstate(all="ignore"):
        return np.where(a <= b, np.zeros((), dtype=np.result_type(a, b)), a - b)


def ieee_remainder(a, b):
    """C remainder, exact: r = fmod(a, b), moved by |b| when |r| > |b|/2 (Sterbenz: exact),
    and at |r| == |b|/2 when the truncated quotient is odd (fmod(a, 2b) tells which)."""
    a, b = np.broadcast_arrays(np.asarray(a), np.asarray(b))
    with np.errstate(all="ignore"):
        r = np.fmod(a, b)
        ab = np.abs(b)
        half = ab * np.asarray(0.5, ab.dtype)
        big = ab > np.finfo(ab.dtype).max / 2          # 2b would overflow: quotient is 0 or 1
        q_odd = np.where(big, np.abs(a) >= ab, np.abs(np.fmod(a, ab + ab)) >= ab)
        move = (np.abs(r) > half) | ((np.abs(r) == half) & q_odd)
        out = np.where(move, r - np.copysign(ab, r), r)
        out = np.where(out == 0, np.copysign(np.zeros_like(out), a), out)
    return out


erf = _scipy_or_math("erf")
erfc = _scipy_or_math("erfc")
_gamma = _scipy_or_math_named("gamma", "gamma")
try:
    import scipy.special  # noqa: F401
    _lgamma = _through_float64(_lgamma_scipy)
except ImportError:  # pragma: no cover
    _lgamma = _scipy_or_math_named("gammaln", "lgamma")
