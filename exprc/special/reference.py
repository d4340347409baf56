"""Correctly rounded references for log I_v(x) and log K_v(x) with mpmath.

Why two methods: mpmath's besseli/besselk sum hypergeometric series that stall for large
orders and arguments ((v, x) = (1e5, 10) does not finish), so for v >= DEBYE_REFERENCE_ORDER
the reference is the uniform expansion with REFERENCE_TERMS terms, whose truncation error is
below 1e-28 there. Either way the working precision grows until two precisions agree.
"""
from __future__ import annotations

DEBYE_REFERENCE_ORDER = 50
REFERENCE_TERMS = 24


def _debye(mp, name, v, x):
    from .debye import debye_polynomials
    polys = debye_polynomials(REFERENCE_TERMS)
    s = mp.sqrt(v * v + x * x)
    t = v / s
    eta = s - v * mp.asinh(v / x)
    sign = 1 if name == "log_iv" else -1
    total = mp.fsum(sign ** k * mp.polyval([mp.mpf(c.numerator) / c.denominator for c in reversed(p)], t) / v ** k
                    for k, p in enumerate(polys))
    if name == "log_iv":
        return eta - mp.log(2 * mp.pi * s) / 2 + mp.log(total)
    return mp.log(mp.pi / (2 * s)) / 2 - eta + mp.log(total)


def _direct(mp, name, v, x):
    if name == "log_iv":
        return mp.log(mp.besseli(v, x, maxterms=10**6))
    return mp.log(mp.besselk(v, x))


def mp_log_bessel(name: str, v, x, digits: int = 50):
    """log I_v(x) or log K_v(x) (name 'log_iv' / 'log_kv') as an mpf, to about `digits` digits;
    'log_ive' / 'log_kve' are log(I_v(x) e^-x) and log(K_v(x) e^x)."""
    import mpmath as mp
    if name in ("log_ive", "log_kve"):
        base = mp_log_bessel(name[:-1], v, x, digits)
        x = mp.mpf(x)
        if mp.isinf(x) and not mp.isnan(base):
            return mp.ninf
        with mp.workdps(digits + 20):
            return base - x if name == "log_ive" else base + x
    v, x = mp.mpf(v), mp.mpf(x)
    if v < 0 or x < 0 or mp.isnan(v) or mp.isnan(x) or mp.isinf(v):
        return mp.nan
    if x == 0:
        if name == "log_kv":
            return mp.inf
        return mp.mpf(0) if v == 0 else mp.ninf
    if mp.isinf(x):
        return mp.inf if name == "log_iv" else mp.ninf
    method = _debye if v >= DEBYE_REFERENCE_ORDER else _direct
    previous = None
    dps = digits
    while True:
        with mp.workdps(dps):
            value = method(mp, name, v, x)
        if previous is not None and abs(value - previous) <= (abs(value) + 1) * mp.mpf(10) ** (10 - digits):
            return value
        previous, dps = value, dps + 20
        if dps > digits + 60:
            return value
