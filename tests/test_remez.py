"""Remez minimax, Taylor/Padé baselines and exact float32 rounding (exprc.search.approx.remez).

Optimality is checked by the alternation theorem rather than by trusting the iteration: a
polynomial whose error takes equal magnitude with alternating signs at (free coefficients + 1)
points is the best one."""
from fractions import Fraction

import mpmath
import numpy as np
import pytest
from mpmath import mpf

from exprc.search.approx import remez
from exprc.search.approx.remez import max_error, minimax, pade, round_coefficients, taylor

PREC = 110
EXP_HALF = (-mpmath.ln2 / 2, mpmath.ln2 / 2)
LOG_INTERVAL = (mpmath.sqrt(mpf(1) / 2) - 1, mpmath.sqrt(2) - 1)
PI4 = (-mpmath.pi / 4, mpmath.pi / 4)


def exp2(x):
    return mpmath.power(2, x)


def log2_1p(x):
    return mpmath.log1p(x) / mpmath.ln2


def _close(got, want, rel):
    return abs(got / mpf(want) - 1) < rel


# --- known values --------------------------------------------------------------------------------

@pytest.mark.parametrize("degree, b, want", [(5, 1, 1.0689e-7), (4, 0.5, 9.692e-8), (3, 0.25, 3.2023e-7)])
def test_sollya_remez_values_absolute(degree, b, want):
    """Sollya's remez(2^x, n, [0;b]) minimizes the absolute error: these are its values."""
    r = minimax(exp2, degree, (0, b), relative=False, prec=PREC)
    assert r.converged
    assert _close(r.error, want, 1e-3)


@pytest.mark.parametrize("degree, b, want", [(5, 1, 7.4936e-8), (4, 0.5, 8.1297e-8), (3, 0.25, 2.9343e-7)])
def test_relative_error_values(degree, b, want):
    r = minimax(exp2, degree, (0, b), relative=True, prec=PREC)
    assert r.converged
    assert _close(r.error, want, 1e-4)


def test_exp_and_exp2_have_the_same_relative_minimax_error():
    """e^x on [-ln2/2, ln2/2] is 2^(x/ln2), i.e. 2^t on [0, 1] up to a constant factor and an affine
    change of variable, neither of which changes the best relative error."""
    r2 = minimax(exp2, 5, (0, 1), prec=PREC)
    re = minimax(mpmath.exp, 5, EXP_HALF, prec=PREC)
    assert _close(re.error, r2.error, 1e-8)


# --- optimality on every shape the search uses ---------------------------------------------------

CASES = {
    **{f"exp2-{d}": (exp2, d, (0, 1), {}) for d in range(3, 9)},
    **{f"exp-{d}": (mpmath.exp, d, EXP_HALF, {}) for d in range(3, 8)},
    "log2-1..10": (log2_1p, 10, LOG_INTERVAL, {"monomials": range(1, 11)}),
    "sin-odd": (mpmath.sin, 9, PI4, {"monomials": [1, 3, 5, 7, 9]}),
    "cos-even": (mpmath.cos, 8, PI4, {"monomials": [0, 2, 4, 6, 8]}),
    "erf-abs": (mpmath.erf, 7, (0, 1), {"relative": False}),
    "exp2-fixed0": (exp2, 5, (0, 1), {"fixed": {0: 1}}),
    "exp-fixed01": (mpmath.exp, 5, EXP_HALF, {"fixed": {0: 1, 1: 1}}),
}


@pytest.mark.parametrize("name", list(CASES))
def test_minimax_equioscillates(name):
    f, degree, interval, kw = CASES[name]
    r = minimax(f, degree, interval, prec=PREC, points=4000, **kw)
    assert r.converged
    monomials = kw.get("monomials", range(degree + 1))
    n_free = len([e for e in monomials if e not in kw.get("fixed", {})])
    relative = kw.get("relative", True)
    with mpmath.workprec(PREC):
        err = remez._error_function(r.coefficients, f, (mpf(interval[0]), mpf(interval[1])), relative)
        values = [err(x) for x in r.extrema]
    assert len(values) == n_free + 1
    assert all((u > 0) != (v > 0) for u, v in zip(values, values[1:]))
    assert all(_close(abs(v), r.error, 1e-9) for v in values)
    for e in set(range(degree + 1)) - set(monomials):
        assert r.coefficients[e] == 0
    # a coarser grid cannot find more error than the refined extrema (up to rounding noise)
    assert max_error(r.coefficients, f, interval, relative, points=1000, prec=PREC) <= r.error * (1 + 1e-15)


def test_degree5_exp2_close_to_taylor_in_low_coefficients():
    """The low coefficients are Taylor's; the top ones absorb the truncated tail (c5 is about
    ln2^5/5! + 3 ln2^6/6!, 40% above Taylor), so only c0..c2 are expected within 1e-3."""
    r = minimax(exp2, 5, (0, 1), prec=PREC)
    t = [mpmath.ln2 ** k / mpmath.factorial(k) for k in range(6)]
    for k in range(3):
        assert _close(r.coefficients[k], t[k], 1e-3)
    for k in range(3, 6):
        assert _close(r.coefficients[k], t[k], 0.5)


def test_fixed_constant_term():
    free = minimax(exp2, 5, (0, 1), prec=PREC)
    held = minimax(exp2, 5, (0, 1), fixed={0: 1}, prec=PREC)
    assert held.coefficients[0] == 1
    assert free.error < held.error < 2 * free.error


def test_names_resolve_like_callables():
    a = minimax("exp2", 4, (0, 1), prec=PREC, points=2000)
    b = minimax(exp2, 4, (0, 1), prec=PREC, points=2000)
    assert a.coefficients == b.coefficients


def test_no_convergence_falls_back_to_best_iterate():
    r = minimax(mpmath.exp, 6, (-1, 1), max_iter=1, prec=PREC, points=2000)
    assert not r.converged and r.iterations == 1
    best = minimax(mpmath.exp, 6, (-1, 1), prec=PREC, points=2000)
    assert best.error <= r.error < 10 * best.error


def test_exact_fit_of_a_polynomial():
    r = minimax(lambda x: 1 + x + x ** 3, 3, (Fraction(1, 2), 2), fixed={0: Fraction(1)}, prec=PREC,
                points=500)
    assert r.converged and r.error < mpf(2) ** -90
    assert all(abs(c - w) < mpf(2) ** -90 for c, w in zip(r.coefficients, [1, 1, 0, 1]))


def test_bad_exponents_rejected():
    with pytest.raises(ValueError):
        minimax(exp2, 3, (0, 1), monomials=[0, 1, 5])
    with pytest.raises(ValueError):
        minimax(exp2, 1, (0, 1), fixed={0: 1, 1: 1})


def test_global_precision_untouched():
    before = mpmath.mp.prec
    minimax(exp2, 3, (0, 1), prec=150, points=1000)
    taylor("exp", 4)
    assert mpmath.mp.prec == before


# --- baselines ------------------------------------------------------------------------------------

def test_taylor_exp2():
    got = taylor("exp2", 6)
    with mpmath.workprec(200):
        for k, c in enumerate(got):
            assert abs(c - mpmath.ln2 ** k / mpmath.factorial(k)) < mpf(2) ** -150


def test_taylor_about_center():
    got = taylor(mpmath.exp, 3, center=1)
    with mpmath.workprec(200):
        for k, c in enumerate(got):
            assert abs(c - mpmath.e / mpmath.factorial(k)) < mpf(2) ** -150


def test_pade_exp_2_2():
    num, den = pade("exp", 2, 2)
    with mpmath.workprec(200):
        assert all(abs(g - w) < mpf(2) ** -150 for g, w in zip(num, [1, mpf(1) / 2, mpf(1) / 12]))
        assert all(abs(g - w) < mpf(2) ** -150 for g, w in zip(den, [1, -mpf(1) / 2, mpf(1) / 12]))
    assert len(num) == 3 and len(den) == 3 and den[0] == 1


def test_max_error_of_rounded_coefficients():
    r = minimax(exp2, 5, (0, 1), prec=PREC, points=4000)
    rounded = round_coefficients(r.coefficients)
    e32 = max_error(rounded, exp2, (0, 1), points=4000, prec=PREC)
    assert r.error < e32 < 4 * r.error


def test_max_error_relative_at_a_zero_of_f():
    """log2(1+x) with p(x) = x/ln2: relative error 0 at x = 0 by the limit, finite elsewhere."""
    coeffs = [0, 1 / mpmath.ln2]
    e = max_error(coeffs, log2_1p, (-0.25, 0.25), points=1001, prec=PREC)
    assert 0 < e < 0.2


# --- exact rounding ---------------------------------------------------------------------------------

def _exact(x) -> Fraction:
    return remez._to_fraction(x)


def _brute_float32(v: Fraction) -> float:
    """Nearest float32 by search around numpy's (possibly double-rounded) conversion; ties to even."""
    c = np.float32(float(v))
    cands = [c]
    for direction in (np.float32(np.inf), np.float32(-np.inf)):
        y = c
        for _ in range(3):
            y = np.nextafter(y, direction, dtype=np.float32)
            cands.append(y)
    finite = [y for y in cands if np.isfinite(y)]
    key = lambda y: (abs(Fraction(float(y)) - v), int(np.array(y, np.float32).view(np.uint32)) & 1)
    return float(min(finite, key=key))


def _tricky_values():
    with mpmath.workprec(200):
        one = Fraction(1)
        return [
            mpf(1) / 3, mpf("0.1"), -mpf("0.1"), mpmath.ln2, mpmath.pi,
            one + Fraction(1, 2 ** 24),                      # tie: rounds down to even 1.0
            one + Fraction(3, 2 ** 24),                      # tie: rounds up to even
            one + Fraction(1, 2 ** 24) + Fraction(1, 2 ** 80),  # above a tie; float64 rounds onto it
            mpf(1) + mpf(2) ** -24 + mpf(2) ** -80,
            -(one + Fraction(1, 2 ** 24) + Fraction(1, 2 ** 80)),
            Fraction(3, 2 ** 150),                           # subnormal tie -> 2^-148
            Fraction(5, 2 ** 151),                           # subnormal, above tie
            mpf(2) ** -126 * (1 - mpf(2) ** -30),            # rounds up to the smallest normal
            Fraction(1, 3) * Fraction(1, 2 ** 130),          # subnormal with many bits
        ]


@pytest.mark.parametrize("k", range(len(_tricky_values())))
def test_round_float32_exact(k):
    v = _tricky_values()[k]
    got = round_coefficients([v])[0]
    assert got == _brute_float32(_exact(v))
    assert got == float(np.float32(got))


def test_round_double_rounding_trap():
    v = Fraction(1) + Fraction(1, 2 ** 24) + Fraction(1, 2 ** 80)
    assert float(np.float32(float(v))) == 1.0  # via float64: wrong
    assert round_coefficients([v]) == [1.0 + 2.0 ** -23]


def test_round_edges():
    assert round_coefficients([Fraction(1, 2 ** 150)]) == [0.0]                 # tie with 0 -> 0
    assert round_coefficients([Fraction(1, 2 ** 150) + Fraction(1, 2 ** 200)]) == [2.0 ** -149]
    top = (2 - 2.0 ** -23) * 2.0 ** 127
    assert round_coefficients([Fraction(top) + Fraction(2 ** 103) - 1]) == [top]
    assert round_coefficients([Fraction(top) + Fraction(2 ** 103)]) == [float("inf")]
    assert round_coefficients([0, -0.0, mpf(0)]) == [0.0, 0.0, 0.0]
    assert np.signbit(round_coefficients([-0.0])[0])


def test_round_float64():
    with mpmath.workprec(200):
        third = mpf(1) / 3
        tie = Fraction(1) + Fraction(1, 2 ** 53) + Fraction(1, 2 ** 120)
    assert round_coefficients([third], "float64") == [1 / 3]
    assert round_coefficients([tie], "float64") == [1 + 2.0 ** -52]
    assert round_coefficients([Fraction(1, 2 ** 1075)], "float64") == [0.0]


def test_round_minimax_coefficients_are_float32():
    r = minimax(exp2, 4, (0, 1), prec=PREC, points=1000)
    for c, y in zip(r.coefficients, round_coefficients(r.coefficients)):
        assert y == float(np.float32(y))
        half_ulp = Fraction(float(np.spacing(np.float32(abs(y))))) / 2
        assert abs(Fraction(y) - _exact(c)) <= half_ulp


def test_round_keeps_the_sign_of_mpmath_values():
    # minimax returns mpf coefficients; mpmath stores their sign apart from the mantissa
    got = round_coefficients([mpmath.mpf(-0.5), mpmath.mpf(-1) / 3, mpmath.mpf(2) ** -200 * -3], "float64")
    assert got == [-0.5, -1 / 3, -3 * 2.0 ** -200]
