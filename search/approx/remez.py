"""High-precision polynomial approximations that seed and judge the float32 approximation search.

The search that discovers float32 kernels (exp2 on [0, 1], exp, log, log2, erf, sin, cos on reduced
intervals) needs two things from outside float32: good starting coefficients and the best error any
polynomial of a given shape can reach, so that a candidate can be judged against the optimum rather
than against another candidate. This module computes both with mpmath in high precision:

* `minimax`: the Remez exchange algorithm for the best polynomial (relative or absolute error), over
  any set of monomials, with some coefficients optionally held fixed (``p(x) = 1 + x + x^2 q(x)``).
* `taylor` and `pade`: the classical expansions, as baselines.
* `round_coefficients`: exact round-to-nearest-even into float32/float64 (no double rounding through
  float64), which is where every float32 seed starts from.
* `max_error`: the error of any coefficient list, in exact arithmetic, on a dense grid.

All computation happens inside ``mpmath.workprec``; the global mpmath precision is never touched.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Callable, Sequence, Union

import mpmath
from mpmath import mpf

__all__ = ["MinimaxResult", "minimax", "taylor", "pade", "round_coefficients", "max_error",
           "resolve_function", "FUNCTIONS"]

Function = Callable[[mpf], mpf]
FunctionLike = Union[str, Function]

FUNCTIONS: dict[str, Function] = {
    "exp": mpmath.exp,
    "exp2": lambda x: mpmath.power(2, x),
    "exp10": lambda x: mpmath.power(10, x),
    "expm1": mpmath.expm1,
    "log": mpmath.log,
    "log2": lambda x: mpmath.log(x, 2),
    "log10": lambda x: mpmath.log(x, 10),
    "log1p": mpmath.log1p,
    "log2_1p": lambda x: mpmath.log1p(x) / mpmath.ln2,
    "sin": mpmath.sin,
    "cos": mpmath.cos,
    "tan": mpmath.tan,
    "atan": mpmath.atan,
    "tanh": mpmath.tanh,
    "erf": mpmath.erf,
    "erfc": mpmath.erfc,
    "sqrt": mpmath.sqrt,
    "cbrt": mpmath.cbrt,
}

_FORMATS = {"float32": (24, -126, 128), "float64": (53, -1022, 1024)}  # (precision, emin, emax+1)


@dataclass
class MinimaxResult:
    """A best approximation: ``coefficients[k]`` multiplies ``x**k`` (0 for unused monomials);
    `extrema` is the final alternating reference (on the half interval when parity was used)."""
    coefficients: list
    error: mpf
    iterations: int
    converged: bool
    extrema: list = field(default_factory=list)


def resolve_function(f: FunctionLike) -> Function:
    """Accept a callable or a name, so search configurations can stay plain data."""
    if callable(f):
        return f
    if f in FUNCTIONS:
        return FUNCTIONS[f]
    fn = getattr(mpmath, f, None)
    if not callable(fn):
        raise ValueError(f"unknown function {f!r}")
    return fn


# ---------------------------------------------------------------------------------------------
# Error functions


def _to_mpf(x) -> mpf:
    """mpf of anything numeric, Fractions included (mpmath does not take them directly)."""
    if isinstance(x, Fraction):
        return mpf(x.numerator) / x.denominator
    return mpf(x)


def _horner(coeffs: Sequence[mpf], x: mpf) -> mpf:
    acc = mpf(0)
    for c in reversed(coeffs):
        acc = acc * x + c
    return acc


def _error_function(coeffs: Sequence[mpf], f: Function, interval: tuple[mpf, mpf],
                    relative: bool) -> Function:
    """p - f or (p - f)/f as a function of x. Where f vanishes, the relative error is taken as its
    limit, evaluated a hair away inside the interval, so that 0/0 points (log2(1+x) at 0 fitted with
    monomials from x up) contribute their finite value instead of a division by zero."""
    a, b = interval
    nudge = (b - a) * mpf(2) ** (-(mpmath.mp.prec // 2))

    def err(x: mpf) -> mpf:
        fx = f(x)
        if not relative:
            return _horner(coeffs, x) - fx
        if fx == 0:
            x = x + nudge if x + nudge <= b else x - nudge
            fx = f(x)
        return (_horner(coeffs, x) - fx) / fx
    return err


def _grid(a: mpf, b: mpf, n: int, chebyshev: bool) -> list:
    """n points from a to b inclusive; Chebyshev spacing crowds them where extrema crowd."""
    if chebyshev:
        mid, half = (a + b) / 2, (b - a) / 2
        pts = [mid - half * mpmath.cospi(mpf(k) / (n - 1)) for k in range(n)]
    else:
        pts = [a + (b - a) * k / (n - 1) for k in range(n)]
    pts[0], pts[-1] = a, b
    return pts


def max_error(coeffs: Sequence, f: FunctionLike, interval: tuple, relative: bool = True,
              points: int = 20000, prec: int = 200) -> mpf:
    """Max |error| of a coefficient list (index = exponent) in exact arithmetic on a uniform grid,
    so that rounded float32 coefficients are judged without float32 evaluation noise."""
    f = resolve_function(f)
    with mpmath.workprec(prec):
        a, b = _to_mpf(interval[0]), _to_mpf(interval[1])
        err = _error_function([_to_mpf(c) for c in coeffs], f, (a, b), relative)
        return max(abs(err(x)) for x in _grid(a, b, points, chebyshev=False))


# ---------------------------------------------------------------------------------------------
# Remez exchange


def _brent_max(g: Function, lo: mpf, hi: mpf, x0: mpf, xtol: mpf, maxiter: int = 100):
    """Maximize g on [lo, hi] from x0 (Brent: parabolic steps with golden-section safeguard).
    Extremum values are what matter, and they are quadratically insensitive to x, so xtol can be
    the square root of the working precision."""
    cgold = (3 - mpmath.sqrt(5)) / 2
    a, b = lo, hi
    x = w = v = x0
    fx = fw = fv = -g(x0)
    d = e = mpf(0)
    for _ in range(maxiter):
        m = (a + b) / 2
        tol1, tol2 = xtol, 2 * xtol
        if abs(x - m) <= tol2 - (b - a) / 2:
            break
        golden = True
        if abs(e) > tol1:
            r = (x - w) * (fx - fv)
            q = (x - v) * (fx - fw)
            p = (x - v) * q - (x - w) * r
            q = 2 * (q - r)
            if q > 0:
                p = -p
            q = abs(q)
            etemp, e = e, d
            if abs(p) < abs(q * etemp / 2) and q * (a - x) < p < q * (b - x):
                d = p / q
                u = x + d
                if u - a < tol2 or b - u < tol2:
                    d = tol1 if m >= x else -tol1
                golden = False
        if golden:
            e = (a - x) if x >= m else (b - x)
            d = cgold * e
        u = x + d if abs(d) >= tol1 else x + (tol1 if d > 0 else -tol1)
        fu = -g(u)
        if fu <= fx:
            if u >= x:
                a = x
            else:
                b = x
            v, fv, w, fw, x, fx = w, fw, x, fx, u, fu
        else:
            if u < x:
                a = u
            else:
                b = u
            if fu <= fw or w == x:
                v, fv, w, fw = w, fw, u, fu
            elif fu <= fv or v == x or v == w:
                v, fv = u, fu
    return x, -fx


def _local_extrema(err: Function, xs: list, xtol: mpf) -> list:
    """(x, e(x)) at every local extremum of e on the sample points, each refined by Brent between
    its neighbours. Points where e is exactly 0 (forced zeros, e.g. p(0) = f(0) held fixed) carry
    no sign and are skipped."""
    es = [err(x) for x in xs]
    found = []
    for k, (x, ex) in enumerate(zip(xs, es)):
        if ex == 0:
            continue
        s = 1 if ex > 0 else -1
        left = es[k - 1] if k > 0 else None
        right = es[k + 1] if k + 1 < len(xs) else None
        if (left is not None and s * left > s * ex) or (right is not None and s * right > s * ex):
            continue
        lo, hi = xs[max(k - 1, 0)], xs[min(k + 1, len(xs) - 1)]
        xr, vr = _brent_max(lambda t: s * err(t), lo, hi, x, xtol)
        found.append((xr, s * vr) if vr > s * ex else (x, ex))
    return found


def _alternating(cands: list, count: int) -> list:
    """An alternating-sign subset of `count` points keeping the largest errors: one point (the
    largest) per run of equal signs, then drop the smallest while alternation survives."""
    runs: list = []
    for x, ex in sorted(cands, key=lambda c: c[0]):
        if ex == 0:
            continue
        if runs and (runs[-1][1] > 0) == (ex > 0):
            if abs(ex) > abs(runs[-1][1]):
                runs[-1] = (x, ex)
        else:
            runs.append((x, ex))
    while len(runs) > count:
        if len(runs) == count + 1:
            runs.pop(0 if abs(runs[0][1]) < abs(runs[-1][1]) else -1)
            continue
        k = min(range(len(runs)), key=lambda i: abs(runs[i][1]))
        if k in (0, len(runs) - 1):
            runs.pop(k)
        else:  # removing k makes its neighbours one run: keep the larger of them
            keep = runs[k - 1] if abs(runs[k - 1][1]) >= abs(runs[k + 1][1]) else runs[k + 1]
            runs[k - 1:k + 2] = [keep]
    return runs


def _solve_reference(ref: list, free: list, rest: Function, weight: Function):
    """Coefficients of the free monomials and the levelled error E with
    sum c_j x_i^e_j - rest(x_i) = (-1)^i E weight(x_i) on the reference."""
    n = len(free)
    A = mpmath.matrix(n + 1, n + 1)
    rhs = mpmath.matrix(n + 1, 1)
    for i, x in enumerate(ref):
        for j, ex in enumerate(free):
            A[i, j] = x ** ex if ex else mpf(1)
        A[i, n] = -(-1) ** i * weight(x)
        rhs[i] = rest(x)
    sol = mpmath.lu_solve(A, rhs)
    return [sol[j] for j in range(n)], sol[n]


def _symmetric_half(f: Function, a: mpf, b: mpf, exponents: list) -> tuple[mpf, mpf]:
    """When all monomials share a parity matching f's, |error| is even, and the odd/even basis is
    not a Haar system on an interval around 0: fit on the longer half instead."""
    if not (a < 0 < b) or len({e % 2 for e in exponents}) != 1:
        return a, b
    sign = -1 if exponents[0] % 2 else 1
    h = min(-a, b)
    tol = mpf(2) ** (-(mpmath.mp.prec // 2))
    for t in (h / 7, h / 3, h * 5 / 7, h):
        ft, fm = f(t), f(-t)
        if abs(fm - sign * ft) > tol * abs(ft):
            return a, b
    return (a, mpf(0)) if -a > b else (mpf(0), b)


def minimax(f: FunctionLike, degree: int, interval: tuple, relative: bool = True,
            fixed: dict | None = None, monomials: Sequence[int] | None = None, prec: int = 200,
            max_iter: int = 60, tol: float = 1e-12, points: int = 20000) -> MinimaxResult:
    """Best approximation of f on `interval` by sum c_k x^k over `monomials` (default 0..degree),
    minimizing the max relative (or absolute) error, with the coefficients in `fixed`
    ({exponent: value}) held. Remez exchange: Chebyshev start, dense sampling plus Brent to find
    extrema, stop when the reference equioscillates to `tol`. `error` is measured on a uniform grid
    of `points` points plus the final extrema; if the exchange stalls, the best iterate is returned
    with converged=False."""
    f = resolve_function(f)
    fixed = dict(fixed or {})
    exps = sorted(set(range(degree + 1) if monomials is None else monomials))
    if any(e < 0 or e > degree for e in list(exps) + list(fixed)):
        raise ValueError("exponents must lie in 0..degree")
    free = [e for e in exps if e not in fixed]
    if not free:
        raise ValueError("no free coefficients")
    with mpmath.workprec(prec):
        a0, b0 = _to_mpf(interval[0]), _to_mpf(interval[1])
        fixed_m = {e: _to_mpf(v) for e, v in fixed.items()}
        a, b = _symmetric_half(f, a0, b0, free + [e for e, v in fixed_m.items() if v != 0])
        fixed_poly = [fixed_m.get(k, mpf(0)) for k in range(degree + 1)]
        nudge = (b - a) * mpf(2) ** (-(prec // 2))

        def rest(x: mpf) -> mpf:  # f minus the fixed part: what the free monomials must supply
            return f(x) - _horner(fixed_poly, x)

        def weight(x: mpf) -> mpf:  # the error unit: f (relative) or 1 (absolute)
            return f(x) if relative else mpf(1)

        def away_from_zero(x: mpf) -> mpf:  # a 0/0 reference point is taken as its limit
            if relative and f(x) == 0:
                return x + nudge if x + nudge <= b else x - nudge
            return x

        n = len(free)
        ref = _grid(a, b, n + 3, chebyshev=True)[1:-1]  # n + 1 interior Chebyshev points
        samples = _grid(a, b, max(400, 48 * (n + 2)), chebyshev=True)
        xtol = (b - a) * mpf(2) ** (-(prec // 2))
        scale = mpf(1) if relative else max(abs(f(x)) for x in samples)
        noise = scale * mpf(2) ** (16 - prec)
        best = None
        converged = False
        it = 0
        for it in range(1, max_iter + 1):
            try:
                coef_free, _level = _solve_reference([away_from_zero(x) for x in ref], free, rest,
                                                       weight)
            except (ZeroDivisionError, ValueError):
                break
            coeffs = list(fixed_poly)
            for e, c in zip(free, coef_free):
                coeffs[e] = c
            err = _error_function(coeffs, f, (a, b), relative)
            cands = _local_extrema(err, sorted(samples + ref), xtol)
            top = max(abs(v) for _, v in cands) if cands else mpf(0)
            new = _alternating(cands, n + 1)
            if best is None or top < best[1]:
                best = (coeffs, top, [x for x, _ in cands], [x for x, _ in new])
            if top <= noise:  # f is in the span: an exact fit up to rounding
                converged = True
                break
            if len(new) < n + 1:
                break
            if top - min(abs(v) for _, v in new) <= tol * top:
                converged = True
                break
            ref = [x for x, _ in new]
        if best is None:
            raise ArithmeticError("Remez: the first reference system is singular")
        coeffs, _, extrema, reference = best
        err = _error_function(coeffs, f, (a0, b0), relative)
        error = max(abs(err(x)) for x in _grid(a0, b0, points, chebyshev=False) + extrema)
        return MinimaxResult(coeffs, error, it, converged, reference)


# ---------------------------------------------------------------------------------------------
# Classical expansions


def taylor(f_or_name: FunctionLike, degree: int, center=0, prec: int = 200) -> list:
    """Taylor coefficients about `center`: the baseline a minimax fit must beat."""
    f = resolve_function(f_or_name)
    with mpmath.workprec(prec):
        return [mpf(c) for c in mpmath.taylor(f, mpf(center), degree)]


def pade(f_or_name: FunctionLike, m: int, n: int, center=0, prec: int = 200) -> tuple[list, list]:
    """Padé [m/n] coefficients (numerator, denominator with constant term 1), for rational seeds."""
    with mpmath.workprec(prec):
        p, q = mpmath.pade(taylor(f_or_name, m + n, center, prec), m, n)
        q0 = q[0]
        return [mpf(c) / q0 for c in p], [mpf(c) / q0 for c in q]


# ---------------------------------------------------------------------------------------------
# Exact rounding


def _to_fraction(x) -> Fraction | float:
    """Exact rational value (or a float for inf/nan/-0.0, which carry no rational value)."""
    if isinstance(x, Fraction):
        return x
    if isinstance(x, int):
        return Fraction(x)
    if isinstance(x, float):
        return x if (math.isinf(x) or math.isnan(x) or x == 0) else Fraction(x)
    x = mpf(x) if not isinstance(x, mpf) else x
    if mpmath.isinf(x) or mpmath.isnan(x):
        return float(x)
    man, exp = x.man_exp          # the magnitude's: mpmath keeps the sign apart
    man = -int(man) if x < 0 else int(man)
    return Fraction(man * 2 ** exp) if exp >= 0 else Fraction(man, 2 ** -exp)


def _round_fraction(v: Fraction, precision: int, emin: int, emax: int) -> float:
    """Nearest binary floating-point value (ties to even) with `precision` significant bits,
    subnormals below 2^emin, overflow to infinity at 2^emax."""
    if v == 0:
        return 0.0
    sign = -1.0 if v < 0 else 1.0
    v = abs(v)
    e = v.numerator.bit_length() - v.denominator.bit_length()  # 2^e <= v < 2^(e+2)
    if Fraction(2) ** e > v:
        e -= 1
    elif Fraction(2) ** (e + 1) <= v:
        e += 1
    q = max(e, emin) - (precision - 1)  # quantum: value of the last significand bit
    scaled = v * (Fraction(2) ** -q)
    n = round(scaled)  # Fraction rounds half to even
    if n == 0:
        return sign * 0.0
    if n.bit_length() + q > emax:  # n * 2^q >= 2^emax
        return sign * math.inf
    return sign * math.ldexp(float(n), q)


def round_coefficients(coeffs: Sequence, dtype: str = "float32") -> list[float]:
    """Each coefficient rounded once, exactly, to the nearest float32 (or float64), ties to even.
    Going through float64 first would round twice and can miss by one ulp at ties."""
    if dtype not in _FORMATS:
        raise ValueError(f"dtype must be one of {sorted(_FORMATS)}")
    fmt = _FORMATS[dtype]
    out = []
    for c in coeffs:
        v = _to_fraction(c)
        out.append(v if isinstance(v, float) else _round_fraction(v, *fmt))
    return out
