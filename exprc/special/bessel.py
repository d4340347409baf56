"""log I_v(x) and log K_v(x) as exprc IR, computed in log space by region (Plesner et al. 2024).

Why IR: written over exprc's own ops, the functions compile on every backend (numpy, LLVM, C,
Triton) like any expression, and never overflow: every region works with logarithms or with
ratios that stay in range.

Regions (v >= 0, x >= 0):
  log I  v >= 20            uniform (Debye) expansion, terms chosen by v (DEBYE_TERMS)
         v < 20, x <= 2     power series in x^2/4 over (v+1)_k k!, with log Gamma(v+1)
         v < 20, x > 2      Debye at order v+20 and v+21, then the ratio I_{n+1}/I_n
                            recurred down to v (stable downwards)
  log K  v >= 20            uniform (Debye) expansion
         v < 20, x <= 2     Temme's series for K_mu, K_{mu+1}, |mu| <= 1/2
         v < 20, 2 < x < 30 Steed's continued fraction CF2 for K_mu, K_{mu+1}
         v < 20, x >= 30    the large-argument (Hankel) expansion for K_mu, K_{mu+1}
         then v < 20        the ratio K_{n+1}/K_n recurred up to v (stable upwards)
Near the zero of the Debye exponent eta (x close to Z0 * v) the exponent is summed as a Taylor
series in x - Z0*v, whose leading constant is split in two so that no digits cancel.
"""
from __future__ import annotations

from fractions import Fraction
from functools import lru_cache

from .. import ir
from .debye import debye_polynomials

DEBYE_MIN_ORDER = 20
SHIFT = 20                      # orders the I recurrence starts above v
SERIES_MAX_X = 2
SERIES_TERMS = 14
TEMME_TERMS = 19
CF2_STEPS = 70                  # converged at x = 2 (32 would do from x = 5, but a vector of
                                # mixed x then runs both: measured no faster on mixed inputs)
HANKEL_MIN_X = 30
HANKEL_TERMS = 18
ETA_TERMS = 16                  # Taylor terms of eta near its zero (|w| < 1/16)
# (lowest order, number of Debye terms): truncation below 1e-16 (measured against mpmath)
# Two tiers, not one per order decade: a vector of mixed orders computes every tier it touches,
# so more tiers cost more on mixed inputs than they save on uniform ones (measured).
DEBYE_TERMS = ((20, 15), (300, 6))


def _pi(dtype: str) -> ir.Node:
    """pi rounded once (expansions run after constant folding, so no named constants)."""
    import mpmath as mp
    with mp.workdps(60):
        return ir.const(+mp.pi, dtype)


def _w(c, a, b):
    return ir.apply("where", c, a, b)


def _f(name, *args):
    return ir.apply(name, *args)


def _horner(z: ir.Node, coeffs) -> ir.Node:
    acc = ir.const(coeffs[-1], z.dtype)
    for c in reversed(coeffs[:-1]):
        acc = _f("fma", acc, z, ir.const(c, z.dtype))
    return acc


@lru_cache(maxsize=None)
def _eta_taylor():
    """Z0 (the zero of eta(z) = sqrt(1+z^2) - asinh(1/z)), split into hi + lo doubles, and
    eta's Taylor coefficients c_k = eta^(k)(Z0)/k!, k >= 1, as exact values."""
    import mpmath as mp
    with mp.workdps(60):
        eta = lambda z: mp.sqrt(1 + z * z) - mp.asinh(1 / z)      # noqa: E731
        z0 = mp.findroot(eta, 0.66)
        coeffs = mp.taylor(eta, z0, ETA_TERMS)[1:]
        hi = float(z0)
        lo = float(z0 - hi)
        return Fraction(hi), Fraction(lo), tuple(mp.mpf(c) for c in coeffs)


def _debye_exponent(v, x, s, scaled=False):
    """v * eta(x/v) = s + v log(x/(v+s)); near its zero a series in d = x - Z0 v. scaled:
    minus x, with s - x written v^2 / (s + x) so that nothing cancels."""
    hi, lo, coeffs = _eta_taylor()
    direct = (v * v / (s + x) if scaled else s) + v * _f("log", x / (v + s))
    d = _f("fma", ir.const(-hi, v.dtype), v, x) - ir.const(lo, v.dtype) * v
    w = d / v
    series = d * _horner(w, list(coeffs))
    near = _f("lt", _f("abs", w), ir.const(Fraction(1, 16), v.dtype))
    return _w(near, series - x if scaled else series, direct)


def _debye_sum(v, t, terms: int, sign: int):
    """log(sum_k (sign)^k u_k(t) / v^k), as log1p of the tail. u_k(t) is t^k times a polynomial
    P_k in t^2, so the sum is sum_k q^k P_k(t^2) with q = sign t / v: Horner in q over
    Horner in t^2, about a third of the multiply-adds of expanding each u_k in t."""
    polys = debye_polynomials(terms)
    q = t / v if sign > 0 else -t / v
    t2 = t * t
    acc = None
    for k in range(terms - 1, 0, -1):
        u = polys[k]
        assert all(c == 0 for j, c in enumerate(u) if j < k or (j - k) % 2), "u_k = t^k P_k(t^2)"
        pk = _horner(t2, list(u[k::2]))
        acc = pk if acc is None else _f("fma", acc, q, pk)
    return _f("log1p", acc * q)


def _debye_sum_by_order(v, t, sign):
    out = None
    for lowest, terms in DEBYE_TERMS:
        val = _debye_sum(v, t, terms, sign)
        out = val if out is None else _w(_f("ge", v, ir.const(lowest, v.dtype)), val, out)
    return out


def _debye_log_iv(v, x, scaled=False):
    s = _f("hypot", v, x)
    t = v / s
    half_log = ir.const(Fraction(1, 2), v.dtype) * _f("log", _pi(v.dtype) * 2 * s)
    return _debye_exponent(v, x, s, scaled) - half_log + _debye_sum_by_order(v, t, +1)


def _debye_log_kv(v, x, scaled=False):
    s = _f("hypot", v, x)
    t = v / s
    half_log = ir.const(Fraction(1, 2), v.dtype) * _f("log", _pi(v.dtype) / (s * 2))
    return half_log - _debye_exponent(v, x, s, scaled) + _debye_sum_by_order(v, t, -1)


def _lgamma1p(v):
    """log Gamma(v + 1) for 0 <= v < 20+: Stirling's series at v + 9 shifted down by a product."""
    y = v + 9
    prod = v + 1
    for k in range(2, 9):
        prod = prod * (v + k)
    bern = [Fraction(1, 6), Fraction(-1, 30), Fraction(1, 42), Fraction(-1, 30), Fraction(5, 66),
            Fraction(-691, 2730), Fraction(7, 6), Fraction(-3617, 510), Fraction(43867, 798)]
    coeffs = [b / ((2 * k + 2) * (2 * k + 1)) for k, b in enumerate(bern)]
    r = ir.const(1, v.dtype) / y
    corr = r * _horner(r * r, coeffs)
    import mpmath as mp
    with mp.workdps(40):
        half_log_2pi = mp.log(2 * mp.pi) / 2
    stirling = (y - ir.const(Fraction(1, 2), v.dtype)) * _f("log", y) - y + ir.const(half_log_2pi, v.dtype) + corr
    return stirling - _f("log", prod)


def _series_log_iv(v, x):
    y = x * x * ir.const(Fraction(1, 4), v.dtype)
    term = ir.const(1, v.dtype)
    tail = None
    for k in range(1, SERIES_TERMS + 1):
        term = term * y / (ir.const(k, v.dtype) * (v + k))
        tail = term if tail is None else tail + term
    lead = _w(_f("eq", v, ir.const(0, v.dtype)), ir.const(0, v.dtype), v * _f("log", x * ir.const(Fraction(1, 2), v.dtype)))
    return lead - _lgamma1p(v) + _f("log1p", tail)


def _recurred_log_iv(v, x, scaled=False):
    """log I_v from Debye at v+SHIFT: r_n = I_{n+1}/I_n, r_{n-1} = 1 / (2n/x + r_n)."""
    top = v + SHIFT
    l0, l1 = _debye_log_iv(top, x, scaled), _debye_log_iv(top + 1, x, scaled)
    r = _f("exp", l1 - l0)
    prod = ir.const(1, v.dtype)
    two_x = ir.const(2, v.dtype) / x                             # one division, not one a step
    for j in range(SHIFT, 0, -1):
        r = ir.const(1, v.dtype) / ((v + j) * two_x + r)           # r_{v+j-1}
        prod = prod * r
    return l0 - _f("log", prod)


@lru_cache(maxsize=None)
def _rgamma_taylor():
    """1/Gamma(1+z) = sum_k a_k z^k (entire), for Temme's gamma1 and gamma2."""
    import mpmath as mp
    with mp.workdps(50):
        return tuple(mp.taylor(lambda z: mp.rgamma(1 + z), 0, 30))


def _temme(mu, x):
    """(log K_mu, K_{mu+1}/K_mu) for |mu| <= 1/2, 0 < x <= 2 (Temme 1975; Numerical Recipes bessik)."""
    one = ir.const(1, mu.dtype)
    a = _rgamma_taylor()
    gampl = _horner(mu, list(a))                      # 1/Gamma(1+mu)
    gammi = _horner(-mu, list(a))                     # 1/Gamma(1-mu)
    # gam1 = (gammi - gampl) / (2 mu) = -sum_{j odd} a_j mu^(j-1);  gam2 = (gammi + gampl) / 2
    m2 = mu * mu
    gam1 = _horner(m2, [-a[j] for j in range(1, len(a), 2)])
    gam2 = _horner(m2, [a[j] for j in range(0, len(a), 2)])
    x2 = x * ir.const(Fraction(1, 2), mu.dtype)
    pimu = _pi(mu.dtype) * mu
    small = lambda z, series, full: _w(_f("lt", _f("abs", z), ir.const(Fraction(1, 8), mu.dtype)), series, full)  # noqa: E731
    z2 = pimu * pimu
    fact = small(pimu, _horner(z2, [Fraction(1), Fraction(1, 6), Fraction(7, 360), Fraction(31, 15120),
                                    Fraction(127, 604800), Fraction(73, 3421440)]), pimu / _f("sin", pimu))
    d = -_f("log", x2)
    e = mu * d
    e2 = e * e
    fact2 = small(e, _horner(e2, [Fraction(1), Fraction(1, 6), Fraction(1, 120), Fraction(1, 5040),
                                  Fraction(1, 362880), Fraction(1, 39916800)]), _f("sinh", e) / e)
    ff = fact * (gam1 * _f("cosh", e) + gam2 * fact2 * d)
    total = ff
    ee = _f("exp", e)
    p = ir.const(Fraction(1, 2), mu.dtype) * ee / gampl
    q = ir.const(Fraction(1, 2), mu.dtype) / (ee * gammi)
    c = one
    dd = x2 * x2
    total1 = p
    for i in range(1, TEMME_TERMS + 1):      # one division a term: 1/(i^2 - mu^2) gives all three
        fi = ir.const(i, mu.dtype)
        r = one / ((fi - mu) * (fi + mu))
        ff = (fi * ff + p + q) * r
        c = c * dd * ir.const(Fraction(1, i), mu.dtype)
        p = p * (fi + mu) * r
        q = q * (fi - mu) * r
        total = total + c * ff
        total1 = total1 + c * (p - fi * ff)
    return _f("log", total), total1 * 2 / (x * total)


def _steed(mu, x, scaled=False):
    """(log K_mu, K_{mu+1}/K_mu) for |mu| <= 1/2, x > 2 by Steed's method on CF2."""
    one = ir.const(1, mu.dtype)
    b = (one + x) * 2
    d = one / b
    h = d
    delh = d
    q1 = ir.const(0, mu.dtype)
    q2 = one
    a1 = ir.const(Fraction(1, 4), mu.dtype) - mu * mu
    q = a1
    c = a1
    a = -a1
    s = one + q * delh
    for i in range(1, CF2_STEPS + 1):
        a = a - 2 * i
        c = -a * c * ir.const(Fraction(1, i + 1), mu.dtype)
        qnew = (q1 - b * q2) / a
        q1, q2 = q2, qnew
        q = q + c * qnew
        b = b + 2
        d = one / (b + a * d)
        delh = (b * d - one) * delh
        h = h + delh
        s = s + q * delh
    half_log = ir.const(Fraction(1, 2), mu.dtype) * _f("log", _pi(mu.dtype) / (x * 2))
    log_k = (half_log if scaled else half_log - x) - _f("log", s)
    ratio = (mu + x + ir.const(Fraction(1, 2), mu.dtype) - a1 * h) / x
    return log_k, ratio


def _hankel_sum(nu, x):
    """sum_k a_k(nu) / x^k, a_k = prod_{j<=k} (4 nu^2 - (2j-1)^2) / (k! 8^k) (DLMF 10.40.2)."""
    r = ir.const(1, nu.dtype) / x
    m = nu * nu * 4
    acc = ir.const(1, nu.dtype)
    for k in range(HANKEL_TERMS, 0, -1):      # 1 + f1 (1 + f2 (1 + ...)), f_k = (m - (2k-1)^2)/(8k x)
        acc = _f("fma", acc * (m - (2 * k - 1) ** 2) * ir.const(Fraction(1, 8 * k), nu.dtype), r,
                 ir.const(1, nu.dtype))
    return acc


def _hankel(mu, x, scaled=False):
    """(log K_mu, K_{mu+1}/K_mu) for x >= HANKEL_MIN_X by the large-argument expansion."""
    s0, s1 = _hankel_sum(mu, x), _hankel_sum(mu + 1, x)
    half_log = ir.const(Fraction(1, 2), mu.dtype) * _f("log", _pi(mu.dtype) / (x * 2))
    log_k = (half_log if scaled else half_log - x) + _f("log", s0)
    return log_k, s1 / s0


def _recurred_log_kv(v, x, scaled=False):
    n = _f("round", v)
    mu = v - n
    small_x = _f("min", x, ir.const(SERIES_MAX_X, v.dtype))
    lt, rt = _temme(mu, small_x)
    if scaled:
        lt = lt + small_x
    mid = _f("min", _f("max", x, ir.const(SERIES_MAX_X, v.dtype)), ir.const(HANKEL_MIN_X, v.dtype))
    ls, rs = _steed(mu, mid, scaled)
    lh, rh = _hankel(mu, _f("max", x, ir.const(HANKEL_MIN_X, v.dtype)), scaled)
    small = _f("le", x, ir.const(SERIES_MAX_X, v.dtype))
    large = _f("ge", x, ir.const(HANKEL_MIN_X, v.dtype))
    log_k = _w(small, lt, _w(large, lh, ls))
    q = _w(small, rt, _w(large, rh, rs))
    prod, scale = ir.const(1, v.dtype), ir.const(0, v.dtype)
    two_x = ir.const(2, v.dtype) / x
    for j in range(0, DEBYE_MIN_ORDER):
        prod = prod * _w(_f("lt", ir.const(j, v.dtype), n), q, ir.const(1, v.dtype))
        q = (mu + (j + 1)) * two_x + ir.const(1, v.dtype) / q      # K_{mu+j+2}/K_{mu+j+1}
        if j % 4 == 3:                                             # keep prod in range, exactly
            e = _f("logb", prod)
            prod, scale = _f("ldexp", prod, -e), scale + e
    ln2 = ir.const(Fraction(6243314768165359, 2 ** 53), v.dtype)   # ln 2 rounded (scale is an integer)
    return log_k + _f("log", prod) + scale * ln2


def _domain(v, x, value, at_zero, at_inf):
    zero, nan = ir.const(0, v.dtype), ir.const(float("nan"), v.dtype)
    inner = _w(_f("eq", x, zero), at_zero, _w(_f("eq", x, ir.const(float("inf"), v.dtype)), at_inf, value))
    return _w(_f("ge", v, zero), _w(_f("ge", x, zero), _w(_f("lt", v, ir.const(float("inf"), v.dtype)), inner, nan), nan), nan)


def log_iv(v: ir.Node, x: ir.Node, scaled: bool = False) -> ir.Node:
    """log I_v(x) as IR in v's dtype (NaN outside v >= 0, x >= 0); scaled: log(I_v(x) e^-x),
    with the x taken out inside each region rather than subtracted from a large result."""
    zero = ir.const(0, v.dtype)
    big = _f("ge", v, ir.const(DEBYE_MIN_ORDER, v.dtype))
    vs = _f("min", v, ir.const(DEBYE_MIN_ORDER, v.dtype))        # keeps unused branches in range
    xs = _f("max", x, ir.const(Fraction(1, 2**1000), v.dtype))
    small_x = _f("le", x, ir.const(SERIES_MAX_X, v.dtype))
    x_series = _f("min", xs, ir.const(SERIES_MAX_X, v.dtype))
    series = _series_log_iv(vs, x_series)
    low = _w(small_x, series - x_series if scaled else series,
             _recurred_log_iv(vs, _f("max", xs, ir.const(SERIES_MAX_X, v.dtype)), scaled))
    value = _w(big, _debye_log_iv(_f("max", v, ir.const(DEBYE_MIN_ORDER, v.dtype)), xs, scaled), low)
    at_zero = _w(_f("eq", v, zero), zero, ir.const(float("-inf"), v.dtype))
    return _domain(v, x, value, at_zero, ir.const(float("-inf" if scaled else "inf"), v.dtype))


def log_kv(v: ir.Node, x: ir.Node, scaled: bool = False) -> ir.Node:
    """log K_v(x) as IR in v's dtype (NaN outside v >= 0, x >= 0); scaled: log(K_v(x) e^x)."""
    big = _f("ge", v, ir.const(DEBYE_MIN_ORDER, v.dtype))
    xs = _f("max", x, ir.const(Fraction(1, 2**1000), v.dtype))
    vs = _f("min", v, ir.const(DEBYE_MIN_ORDER, v.dtype))
    value = _w(big, _debye_log_kv(_f("max", v, ir.const(DEBYE_MIN_ORDER, v.dtype)), xs, scaled),
               _recurred_log_kv(vs, xs, scaled))
    return _domain(v, x, value, ir.const(float("inf"), v.dtype), ir.const(float("-inf"), v.dtype))


def log_ive(v: ir.Node, x: ir.Node) -> ir.Node:
    """log(I_v(x) e^-x), SciPy's ive in log space."""
    return log_iv(v, x, scaled=True)


def log_kve(v: ir.Node, x: ir.Node) -> ir.Node:
    """log(K_v(x) e^x), SciPy's kve in log space."""
    return log_kv(v, x, scaled=True)
