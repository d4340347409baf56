"""Constant folding: exact real arithmetic, rounded once to the dtype."""
import math
from fractions import Fraction

import numpy as np
import pytest

import exprc
from exprc import parse
from exprc.dtypes import FLOAT32, FLOAT64
from exprc.numbers import round_fraction, round_value
from exprc.passes import fold

from conftest import same_bits


def folded(text, dtype="float64"):
    n = fold([parse(text, dtype=dtype)])[0]
    assert n.op == "const", str(n)
    return round_value(n.value, dtype) if not isinstance(n.value, bool) else n.value


def test_physics_constant_folds_to_its_correctly_rounded_value():
    text = "-32/5 * 6.67430e-11**4 / 2.99792458e8**5"
    exact = Fraction(-32, 5) * Fraction("6.67430e-11") ** 4 / Fraction("2.99792458e8") ** 5
    for dtype, fmt in (("float32", FLOAT32), ("float64", FLOAT64)):
        assert folded(text, dtype) == round_fraction(exact, fmt)
    assert folded(text, "float64") != 0                    # about -5.2e-83


def test_float32_intermediates_that_overflow_do_not_matter():
    # c**5 overflows float32 (and c**-5 underflows it), but the exact quotient is c itself.
    c = np.float32(2.99792458e8)
    with np.errstate(all="ignore"):
        assert np.isinf(c ** 5 / c ** 4)                    # what step-by-step float32 gives
    assert folded("2.99792458e8**5 / 2.99792458e8**4", "float32") == c
    assert folded("6.67430e-11**4 / 6.67430e-11**3", "float32") == np.float32(6.67430e-11)


def test_double_rounding_is_avoided():
    # 1 + 2**-24 + 2**-60 is above the float32 midpoint; rounding through float64 first would tie to 1.
    assert folded("1 + 2**-24 + 2**-60", "float32") == np.float32(1 + 2 ** -23)
    assert folded("1 + 2**-24", "float32") == np.float32(1.0)           # exact tie -> even


@pytest.mark.parametrize("text, value", [
    ("0.1 + 0.2", 0.30000000000000004 if False else float(Fraction(3, 10))),
    ("sin(pi)", 0.0), ("sin(pi/6) - 0.5", 0.0), ("cos(pi/3) * 2 - 1", 0.0),
    ("sqrt(2)**2", 2.0),
    ("exp(1) - e", 0.0),
    ("log(e**3)", 3.0),
    ("2**0.5 * 2**0.5", 2.0),
])
def test_exact_real_results(text, value):
    assert float(folded(text)) == pytest.approx(value, abs=1e-300)


def test_transcendental_constants_are_correctly_rounded():
    import mpmath
    from exprc.numbers import from_mpf
    with mpmath.workprec(200):
        refs = [("sin(1)", mpmath.sin(1)), ("exp(-7.5)", mpmath.exp(-7.5)), ("atan2(1, 3)", mpmath.atan2(1, 3)),
                ("pi", +mpmath.pi), ("log10(7)", mpmath.log10(7))]
    for text, ref in refs:
        for dt, fmt in (("float32", FLOAT32), ("float64", FLOAT64)):
            expected = round_fraction(from_mpf(ref), fmt)
            assert float(folded(text, dt)) == expected, (text, dt)


@pytest.mark.parametrize("text, bits", [
    ("-0.0", "-0.0"), ("0 * -1", "-0.0"), ("trunc(-0.5)", "-0.0"), ("round(-0.4)", "-0.0"),
    ("0 - 0", "0.0"), ("-0.0 + 0", "0.0"), ("-0.0 - 0", "-0.0"), ("fmod(-1, 1)", "-0.0"),
    ("ceil(-0.5)", "-0.0"), ("sqrt(-0.0)", "-0.0"),
])
def test_signed_zeros_follow_ieee(text, bits):
    assert repr(float(folded(text))) == bits


@pytest.mark.parametrize("text, expected", [
    ("1/0", math.inf), ("-1/0", -math.inf), ("log(0)", -math.inf), ("0/0", "nan"), ("sqrt(-1)", "nan"),
    ("log(-1)", "nan"), ("asin(2)", "nan"), ("inf - inf", "nan"), ("exp(1000)", math.inf),
    ("exp(-1000)", 0.0), ("1e400", math.inf), ("1e-400 * 1e400", 1.0),
])
def test_specials_and_domain_errors_follow_ieee(text, expected):
    v = float(folded(text))
    if expected == "nan":
        assert math.isnan(v)
    else:
        assert v == expected


def test_comparisons_and_where_fold():
    assert folded("1 < 2") is True
    assert folded("nan == nan") is False
    assert folded("nan != nan") is True
    assert float(folded("where(0.1 + 0.2 == 0.3, 1, 2)")) == 1.0   # exact reals: 0.1 + 0.2 is 0.3


def test_folding_stops_at_variables_and_parameters():
    assert str(fold([parse("x * (2 + 3)")])[0]) == "x * 5"
    assert str(fold([parse("$a * (2 + 3)")])[0]) == "$a * 5"


@pytest.mark.parametrize("q", [Fraction(1, 3), Fraction(2, 3), Fraction(10 ** 40 + 1, 10 ** 40),
                               Fraction(1, 2 ** 149), Fraction(3, 2 ** 150), Fraction(2 ** 128 - 2 ** 103),
                               Fraction(2 ** 128 - 2 ** 104), Fraction(-7, 2 ** 130)])
def test_round_fraction_matches_numpy_conversion_of_exactly_representable_paths(q):
    # float64 -> float32 is exact when the float64 value is exact; compare against a slow reference
    got = round_fraction(q, FLOAT32)
    # reference: nearest float32 by checking neighbours
    with np.errstate(all="ignore"):
        x = np.float32(float(q)) if abs(q) < 2 ** 128 else np.float32(np.inf)
        candidates = [np.nextafter(x, np.float32(-np.inf)), x, np.nextafter(x, np.float32(np.inf))]
    finite = [c for c in candidates if np.isfinite(c)]
    best = min(finite, key=lambda c: (abs(Fraction(float(c)) - q), int(np.float32(c).view(np.uint32)) & 1))
    if abs(q) >= Fraction(2 ** 128 - 2 ** 103):
        assert math.isinf(got)
    else:
        assert got == float(best)


@pytest.mark.parametrize("text", ["pow(-0.0, 0.5)", "pow(-inf, 0.5)", "pow(-inf, 1.5)", "tan(pi/2)",
                                  "tan(3*pi/2)", "tan(-pi/2)"])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_folding_agrees_with_the_kernel(text, dtype):
    """A folded constant is what the kernel computes on the same (rounded) arguments; at a pole
    such as tan(pi/2) there is no exact value, so the kernel's is the answer."""
    folded = exprc.compile(text + " + x * 0", dtype=dtype, optimize=0).expression.args[0]
    assert folded.op == "const"
    ref = {"pow(-0.0, 0.5)": np.power(np.array([-0.0], dtype), np.array([0.5], dtype)),
           "pow(-inf, 0.5)": np.power(np.array([-np.inf], dtype), np.array([0.5], dtype)),
           "pow(-inf, 1.5)": np.power(np.array([-np.inf], dtype), np.array([1.5], dtype)),
           }.get(text)
    if ref is None:
        arg = {"tan(pi/2)": np.pi / 2, "tan(3*pi/2)": 3 * np.pi / 2, "tan(-pi/2)": -np.pi / 2}[text]
        ref = np.tan(np.array([arg], dtype=dtype))
    got = np.array([float(folded.value)], dtype=dtype)
    assert same_bits(got, ref.astype(dtype)), (got, ref)


@pytest.mark.parametrize("opname, args, want", [
    ("pow", (2, -3), 0.125), ("floor", (-2.5,), -3.0), ("fmod", (-7, 3), -1.0), ("copysign", (2, -1), -2.0),
])
def test_high_precision_references_keep_the_sign_of_negative_arguments(opname, args, want):
    """mp_apply (the references of the accuracy tools) reads mpf arguments exactly, sign included."""
    import mpmath
    from exprc.exact import mp_apply
    assert float(mp_apply(exprc.ops.REGISTRY[opname], [mpmath.mpf(a) for a in args])) == want
