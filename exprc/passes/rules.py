"""The algebraic rewrites exprc applies, as data. Each says whether it is exact in IEEE
arithmetic (allowed in strict mode) or only valid under fast-math.

Exact means: for every input, NaN and infinities and signed zeros included, both sides give
the same value (NaN payloads aside). x*1 -> x is exact; x+0 -> x is not (-0 + 0 is +0);
x-x -> 0 is not (inf - inf is NaN).
"""
from __future__ import annotations

import math

from .. import ir
from ..dtypes import FORMATS
from ..numbers import round_value
from .rewrite import Rule


def _reciprocal_is_exact(b) -> bool:
    """True when 1/k is a normal power of two, so x/k == x*(1/k) for every x."""
    k = b["k"]
    if k.op != ir.CONST or isinstance(k.value, bool):
        return False
    v = float(round_value(k.value, k.dtype))
    if v == 0 or not math.isfinite(v):
        return False
    m, e = math.frexp(abs(v))
    if m != 0.5:
        return False
    inv_exp = -(e - 1)
    fmt = FORMATS[k.dtype]
    return fmt.emin <= inv_exp <= fmt.emax


def _times_reciprocal(b, node):
    k = b["k"]
    return ir.apply("mul", b["x"], ir.const(1 / k.value, k.dtype))


def _negative_constant(b) -> bool:
    """True when k is a constant below zero (its negation is exact)."""
    k = b["k"]
    if k.op != ir.CONST or isinstance(k.value, bool):
        return False
    return float(round_value(k.value, k.dtype)) < 0


def _flip(op: str, const_first: bool = True):
    """x -/+ k*y -> x +/- (-k)*y: (-k)*y is -(k*y) bit for bit (rounding is symmetric in
    sign) and x - (-z) is x + z by IEEE's definition of subtraction."""
    def build(b, node):
        k = ir.const(-b["k"].value, b["k"].dtype)
        product = ir.apply("mul", k, b["y"]) if const_first else ir.apply("mul", b["y"], k)
        return ir.apply(op, b["x"], product)
    return build


# Integer powers that have an exact product form. They are applied at every -O level (see
# pipeline.py), so that x**2 is the correctly rounded x*x everywhere, never libm's pow.
POWER_RULES: tuple[Rule, ...] = (
    Rule("x ** 1", "x"),
    Rule("x ** 0", "1", why="pow(x, 0) is 1 for every x, NaN included"),
    Rule("x ** 2", "x * x", why="both are the correctly rounded square"),
    Rule("x ** -1", "1 / x", why="both are the correctly rounded reciprocal"),
    Rule("sqrt(x) ** 2", "sqrt(x) * sqrt(x)"),
)

STRICT_RULES: tuple[Rule, ...] = POWER_RULES + (
    Rule("x * 1", "x"),
    Rule("x / 1", "x"),
    Rule("x + -0.0", "x", why="x + (-0) is x for every x, +0 and -0 included"),
    Rule("x - 0", "x"),
    Rule("x * -1", "-x"),
    Rule("x / -1", "-x"),
    Rule("x / k", _times_reciprocal, guard=_reciprocal_is_exact,
         why="division by a power of two is multiplication by its exact reciprocal"),
    Rule("-(-x)", "x"),
    Rule("x - (-y)", "x + y"),
    Rule("x + (-y)", "x - y"),
    Rule("x - k * y", _flip("add"), guard=_negative_constant,
         why="a - -486*b prints as a + 486*b; negating a product's constant is exact"),
    Rule("x + k * y", _flip("sub"), guard=_negative_constant,
         why="a + -486*b prints as a - 486*b"),
    Rule("x - y * k", _flip("add", const_first=False), guard=_negative_constant),
    Rule("x + y * k", _flip("sub", const_first=False), guard=_negative_constant),
    Rule("(-x) * (-y)", "x * y"),
    Rule("(-x) / (-y)", "x / y"),
    Rule("abs(-x)", "abs(x)"),
    Rule("abs(abs(x))", "abs(x)"),
    Rule("min(x, x)", "x"),
    Rule("max(x, x)", "x"),
    Rule("where(c, x, x)", "x"),
    Rule("where(0 < 1, x, y)", "x"),
    Rule("where(1 < 0, x, y)", "y"),
    Rule("fma(x, 1, y)", "x + y"),
    Rule("fma(1, x, y)", "x + y"),
    Rule("fma(x, y, -0.0)", "x * y"),
    Rule("floor(floor(x))", "floor(x)"),
    Rule("ceil(ceil(x))", "ceil(x)"),
    Rule("trunc(trunc(x))", "trunc(x)"),
    Rule("round(round(x))", "round(x)"),
)

FAST_RULES: tuple[Rule, ...] = (
    Rule("x + 0", "x", exact=False, why="wrong for x = -0"),
    Rule("0 - x", "-x", exact=False, why="wrong for x = +0"),
    Rule("x - x", "0", exact=False, why="wrong for inf and NaN"),
    Rule("x * 0", "0", exact=False, why="wrong for inf, NaN and negative x"),
    Rule("x / x", "1", exact=False, why="wrong for 0, inf and NaN"),
    Rule("x ** 0.5", "sqrt(x)", exact=False, why="differs at -0 and -inf"),
    Rule("x ** -0.5", "1 / sqrt(x)", exact=False, why="two roundings"),
    Rule("exp(log(x))", "x", exact=False, why="wrong for x < 0 and rounds differently"),
    Rule("log(exp(x))", "x", exact=False, why="wrong where exp overflows"),
    Rule("sqrt(x * x)", "abs(x)", exact=False, why="wrong where x*x overflows"),
    Rule("sqrt(x) * sqrt(x)", "x", exact=False, why="rounds differently; NaN for x < 0"),
    Rule("x * (1 / x)", "1", exact=False, why="wrong for 0, inf, NaN and rounds differently"),
    Rule("(x * y) / y", "x", exact=False),
    Rule("(x + y) - y", "x", exact=False),
)


# How fitted models print: exact in IEEE arithmetic (x - c is x + (-c) by definition, and
# addition and multiplication commute), so a model reads as a person would write it.
def _const(b, name="k") -> bool:
    k = b[name]
    return k.op == ir.CONST and not isinstance(k.value, bool)


def _negated_const(b, name="k"):
    return ir.const(-b[name].value, b[name].dtype)


PRINT_RULES: tuple[Rule, ...] = (
    Rule("x + k", lambda b, n: ir.apply("sub", b["x"], _negated_const(b)), guard=_negative_constant,
         why="a + -3 prints as a - 3"),
    Rule("x - k", lambda b, n: ir.apply("add", b["x"], _negated_const(b)), guard=_negative_constant,
         why="a - -3 prints as a + 3"),
    Rule("k + x", lambda b, n: ir.apply("sub", b["x"], _negated_const(b)),
         guard=lambda b: _negative_constant(b) and not _negative_constant({"k": b["x"]}),
         why="-3 + a prints as a - 3 (addition commutes)"),
    Rule("x * k", "k * x", guard=lambda b: _const(b) and not _const(b, "x"),
         why="constants lead products (multiplication commutes)"),
    Rule("k * (-x)", lambda b, n: ir.apply("mul", _negated_const(b), b["x"]), guard=_const,
         why="2 * -a prints as -2 * a; negating a product's constant is exact"),
)


def _quarter_turns(b) -> int | None:
    """c as a whole number of quarter turns (to 1e-9), or None."""
    if not _const(b, "c"):
        return None
    k = float(b["c"].value) / (math.pi / 2)
    return int(round(k)) if abs(k - round(k)) <= 1e-9 and abs(k) <= 1e6 else None


_SHIFTED = {"sin": (("sin", 1), ("cos", 1), ("sin", -1), ("cos", -1)),     # sin(u + k pi/2)
            "cos": (("cos", 1), ("sin", -1), ("cos", -1), ("sin", 1))}     # cos(u + k pi/2)


def _phase_rule(fn: str, pattern: str, sign: int) -> Rule:
    def build(b, node):
        op, s = _SHIFTED[fn][(sign * _quarter_turns(b)) % 4]
        out = ir.apply(op, b["u"])
        return out if s > 0 else ir.apply("neg", out)
    return Rule(pattern, build, exact=False, guard=lambda b: _quarter_turns(b) is not None,
                why="real-only: the fitted constant is k*pi/2 only to 1e-9")


# sin/cos of u shifted by a whole number of quarter turns, as a fitted model often has them.
PHASE_RULES: tuple[Rule, ...] = tuple(
    _phase_rule(fn, pattern.format(fn=fn), sign) for fn in ("sin", "cos")
    for pattern, sign in (("{fn}(u + c)", 1), ("{fn}(c + u)", 1), ("{fn}(u - c)", -1)))


# ----------------------------------------------------------------------------------------
# Accuracy rewriting (exprc.improve): identities an e-graph explores, whose candidates are
# then ranked by error measured against an exact reference (ACCURACY_RULES, below: these and
# the fast-math identities above, x - x -> 0, x / x -> 1, ...). Two sets, kept apart:
# ACCURACY_EXACT_RULES are exact in IEEE arithmetic as well (they reorder nothing a rounding
# sees); ACCURACY_REAL_RULES hold on the reals only, often only on part of the domain
# (sqrt(a) * sqrt(a) is a for a >= 0); a candidate they produce is kept only where it
# measures better, so a rule that is wrong somewhere costs nothing but search.
def _both(a: str, b: str, why: str = "", exact: bool = False) -> tuple[Rule, Rule]:
    return Rule(a, b, exact=exact, why=why), Rule(b, a, exact=exact, why=why)


ACCURACY_EXACT_RULES: tuple[Rule, ...] = (
    Rule("a + b", "b + a", why="IEEE addition commutes"),
    Rule("a * b", "b * a", why="IEEE multiplication commutes"),
    *_both("a - b", "a + (-b)", "subtraction is addition of the negation, by definition", exact=True),
    *_both("-(a * b)", "(-a) * b", "rounding is symmetric in sign", exact=True),
    *_both("-(a / b)", "(-a) / b", "rounding is symmetric in sign", exact=True),
    Rule("-(-a)", "a"),
    Rule("(-a) * (-b)", "a * b"),
    Rule("a * 1", "a"),
    Rule("a / 1", "a"),
)

ACCURACY_REAL_RULES: tuple[Rule, ...] = (
    Rule("-(a - b)", "b - a", exact=False, why="differs in the sign of a zero result"),
    # regrouping and distributing: reals only (each rounds differently)
    *_both("(a + b) + c", "a + (b + c)", "associativity"),
    *_both("(a * b) * c", "a * (b * c)", "associativity"),
    *_both("(a + b) - c", "a + (b - c)", "associativity"),
    *_both("(a - b) + c", "a - (b - c)", "associativity"),
    *_both("(a - b) - c", "a - (b + c)", "associativity"),
    *_both("(a * b) / c", "a * (b / c)", "associativity"),
    *_both("(a / b) / c", "a / (b * c)", "associativity"),
    Rule("a / (b / c)", "(a * c) / b", exact=False, why="b, c nonzero"),
    *_both("a * (b + c)", "a * b + a * c", "distributivity"),
    *_both("a * (b - c)", "a * b - a * c", "distributivity"),
    *_both("(a + b) / c", "a / c + b / c", "distributivity"),
    *_both("(a - b) / c", "a / c - b / c", "distributivity"),
    Rule("a * b - a", "a * (b - 1)", exact=False, why="factoring"),
    Rule("a * b + a", "a * (b + 1)", exact=False, why="factoring"),
    # cancellation
    Rule("(a + b) - a", "b", exact=False, why="cancels exactly on the reals"),
    Rule("a - (a - b)", "b", exact=False, why="cancels exactly on the reals"),
    Rule("a - (a + b)", "-b", exact=False, why="cancels exactly on the reals"),
    Rule("(a * b) / a", "b", exact=False, why="a nonzero"),
    # squares and roots: difference of squares, rationalizing, hypot
    *_both("a * a - b * b", "(a + b) * (a - b)", "difference of squares"),
    Rule("sqrt(a) - sqrt(b)", "(a - b) / (sqrt(a) + sqrt(b))", exact=False, why="rationalize; a, b >= 0"),
    Rule("sqrt(a) - b", "(a - b * b) / (sqrt(a) + b)", exact=False, why="rationalize"),
    Rule("a - sqrt(b)", "(a * a - b) / (a + sqrt(b))", exact=False, why="rationalize"),
    Rule("a + sqrt(b)", "(a * a - b) / (a - sqrt(b))", exact=False,
         why="rationalize: -b + sqrt(b*b - 4*a*c) becomes 4*a*c / (-b - sqrt(...)) after cancelling"),
    Rule("sqrt(a) * sqrt(b)", "sqrt(a * b)", exact=False, why="a, b >= 0"),
    Rule("sqrt(a * a + b * b)", "hypot(a, b)", exact=False, why="hypot neither overflows nor underflows"),
    Rule("sqrt(1 + a * a)", "hypot(1, a)", exact=False, why="no overflow of a*a"),
    Rule("cbrt(a) - cbrt(b)", "(a - b) / (cbrt(a) * cbrt(a) + cbrt(a) * cbrt(b) + cbrt(b) * cbrt(b))",
         exact=False, why="rationalize a difference of cube roots"),
    # fractions
    Rule("a / b - c / d", "(a * d - b * c) / (b * d)", exact=False, why="common denominator"),
    Rule("a / b + c / d", "(a * d + b * c) / (b * d)", exact=False, why="common denominator"),
    Rule("1 / a - 1 / b", "(b - a) / (a * b)", exact=False, why="common denominator"),
    # exponentials and logarithms
    *_both("exp(a) - 1", "expm1(a)", "expm1 keeps the bits exp(a) - 1 cancels"),
    *_both("log(1 + a)", "log1p(a)", "log1p keeps the bits 1 + a rounds away"),
    Rule("log(a + 1)", "log1p(a)", exact=False, why="log1p keeps the bits a + 1 rounds away"),
    *_both("exp(a + b)", "exp(a) * exp(b)", "reals"),
    *_both("exp(a - b)", "exp(a) / exp(b)", "reals"),
    Rule("exp(-a)", "1 / exp(a)", exact=False, why="reals"),
    *_both("log(a * b)", "log(a) + log(b)", "a, b > 0"),
    *_both("log(a / b)", "log(a) - log(b)", "a, b > 0"),
    Rule("log1p(expm1(a))", "a", exact=False, why="reals"),
    Rule("expm1(log1p(a))", "a", exact=False, why="a > -1"),
    *_both("pow(a, b)", "exp(b * log(a))", "a > 0"),
    Rule("pow(a, b) - 1", "expm1(b * log(a))", exact=False, why="a > 0"),
    Rule("log(pow(a, b))", "b * log(a)", exact=False, why="a > 0"),
    Rule("exp(a) - exp(b)", "exp(b) * expm1(a - b)", exact=False, why="no cancellation for a near b"),
    Rule("exp(a) - exp(-a)", "2 * sinh(a)", exact=False, why="sinh is accurate near 0"),
    Rule("exp(a) + exp(-a)", "2 * cosh(a)", exact=False, why="reals"),
    Rule("cosh(a) - 1", "2 * (sinh(a / 2) * sinh(a / 2))", exact=False, why="no cancellation near 0"),
    Rule("sinh(a) / cosh(a)", "tanh(a)", exact=False, why="no overflow"),
    Rule("log(a + sqrt(a * a + 1))", "asinh(a)", exact=False, why="reals"),
    Rule("log(a + sqrt(a * a - 1))", "acosh(a)", exact=False, why="a >= 1"),
    Rule("log(a) - log(b)", "log1p((a - b) / b)", exact=False, why="a near b"),
    # trigonometry: half angles and sums to products, where differences cancel
    Rule("1 - cos(a)", "2 * (sin(a / 2) * sin(a / 2))", exact=False, why="no cancellation near 0"),
    Rule("1 + cos(a)", "2 * (cos(a / 2) * cos(a / 2))", exact=False, why="no cancellation near pi"),
    Rule("cos(a) - 1", "-2 * (sin(a / 2) * sin(a / 2))", exact=False, why="no cancellation near 0"),
    Rule("cos(a) - cos(b)", "-2 * (sin((a + b) / 2) * sin((a - b) / 2))", exact=False, why="sum to product"),
    Rule("sin(a) - sin(b)", "2 * (cos((a + b) / 2) * sin((a - b) / 2))", exact=False, why="sum to product"),
    Rule("tan(a) - tan(b)", "sin(a - b) / (cos(a) * cos(b))", exact=False, why="sum to product"),
    *_both("sin(a + b)", "sin(a) * cos(b) + cos(a) * sin(b)", "angle sum"),
    *_both("cos(a + b)", "cos(a) * cos(b) - sin(a) * sin(b)", "angle sum"),
    Rule("sin(a) / cos(a)", "tan(a)", exact=False, why="reals"),
    Rule("(1 - cos(a)) / sin(a)", "tan(a / 2)", exact=False, why="half angle"),
    Rule("sin(a) / (1 + cos(a))", "tan(a / 2)", exact=False, why="half angle"),
    Rule("sin(a) * sin(a) + cos(a) * cos(a)", "1", exact=False, why="Pythagoras"),
    Rule("1 - sin(a) * sin(a)", "cos(a) * cos(a)", exact=False, why="Pythagoras"),
    Rule("1 - cos(a) * cos(a)", "sin(a) * sin(a)", exact=False, why="Pythagoras"),
    Rule("atan(a) - atan(b)", "atan2(a - b, 1 + a * b)", exact=False, why="difference of arctangents"),
    Rule("cos(a) * cos(a) - sin(a) * sin(a)", "cos(2 * a)", exact=False, why="double angle"),
    Rule("acos(1 - a)", "2 * asin(sqrt(a / 2))", exact=False, why="no cancellation near 1"),
    # more fraction and factoring forms that expose a cancellation to the rules above
    Rule("a - b / c", "(a * c - b) / c", exact=False, why="common denominator"),
    Rule("a / b - c", "(a - c * b) / b", exact=False, why="common denominator"),
    Rule("a / b + c", "(a + c * b) / b", exact=False, why="common denominator"),
    Rule("a * a - 1", "(a + 1) * (a - 1)", exact=False, why="difference of squares"),
    Rule("1 - a * a", "(1 + a) * (1 - a)", exact=False, why="difference of squares"),
    Rule("log(1 + exp(a))", "a + log1p(exp(-a))", exact=False, why="no overflow of exp(a) for large a"),
    Rule("log(exp(a) + 1)", "a + log1p(exp(-a))", exact=False, why="no overflow of exp(a) for large a"),
    # Smith's complex division (1962): scale by the larger of |c|, |d| so c*c + d*d cannot
    # overflow or underflow; the real and the imaginary part of (a + bi) / (c + di)
    Rule("(a * c + b * d) / (c * c + d * d)",
         "where(abs(d) <= abs(c), (a + b * (d / c)) / (c + d * (d / c)), (a * (c / d) + b) / (c * (c / d) + d))",
         exact=False, why="Smith's algorithm: no overflow of c*c + d*d"),
    Rule("(b * c - a * d) / (c * c + d * d)",
         "where(abs(d) <= abs(c), (b - a * (d / c)) / (c + d * (d / c)), (b * (c / d) - a) / (c * (c / d) + d))",
         exact=False, why="Smith's algorithm: no overflow of c*c + d*d"),
    # one rounding instead of two: fma is a real identity and more accurate
    Rule("a * b + c", "fma(a, b, c)", exact=False, why="rounds once"),
    Rule("a * b - c", "fma(a, b, -c)", exact=False, why="rounds once"),
)

# Everything exprc.improve's e-graph saturates under: the real identities FAST_RULES already
# states (x + 0 -> x, x / x -> 1, exp(log(x)) -> x, ...) are not written a second time.
ACCURACY_RULES: tuple[Rule, ...] = ACCURACY_EXACT_RULES + FAST_RULES + ACCURACY_REAL_RULES


# ----------------------------------------------------------------------------------------
# Symbolic regression (search/sr): every number in a candidate is a constant the search fits
# again, so two constants in a row are one constant, and a candidate is scored as a + b * f
# with a, b fitted: an offset, a scale or a sign at the root of f is redundant. Reals only;
# j and k match numbers only. The same rewriter as above applies them to IR; the search
# applies them to whole populations at once (exprc/population/rewrite.py).
def _numbers(*rules: tuple[str, str]) -> tuple[Rule, ...]:
    return tuple(Rule(p, r, exact=False, constants=("j", "k"), why="constants are fitted") for p, r in rules)


SEARCH_RULES: tuple[Rule, ...] = STRICT_RULES + FAST_RULES + (
    Rule("x + x", "2 * x", why="x + x is exactly 2 * x"),
    Rule("-(-x)", "x"),
    Rule("(-x) * (-y)", "x * y"),
    Rule("(-x) / (-y)", "x / y"),
    Rule("abs(abs(x))", "abs(x)"),
    Rule("abs(-x)", "abs(x)"),
) + _numbers(
    ("(x + j) + k", "x + (j + k)"), ("(x - j) + k", "x + (k - j)"), ("(j - x) + k", "(j + k) - x"),
    ("(x + j) - k", "x + (j - k)"), ("(x - j) - k", "x - (j + k)"), ("(j - x) - k", "(j - k) - x"),
    ("j - (x + k)", "(j - k) - x"), ("j - (x - k)", "(j + k) - x"), ("j - (k - x)", "(j - k) + x"),
    ("(x * j) * k", "x * (j * k)"), ("(x / j) * k", "x * (k / j)"), ("(j / x) * k", "(j * k) / x"),
    ("(x * j) / k", "x * (j / k)"), ("(x / j) / k", "x / (j * k)"), ("(j / x) / k", "(j / k) / x"),
    ("j / (x * k)", "(j / k) / x"), ("j / (x / k)", "(j * k) / x"), ("j / (k / x)", "(j / k) * x"),
    ("(-x) * k", "x * (-k)"), ("(-x) / k", "x / (-k)"), ("k / (-x)", "(-k) / x"),
    ("x - k", "x + (-k)"), ("(-x) + k", "k - x"), ("x + (-y)", "x - y"), ("x - (-y)", "x + y"),
    ("j * x + k * x", "(j + k) * x"), ("j * x - k * x", "(j - k) * x"),
    ("x * j + x", "x * (j + 1)"), ("x * j - x", "x * (j - 1)"),
)

# At the root of f only: a + b * f absorbs an offset, a scale and a sign.
LINEAR_SCALING_RULES: tuple[Rule, ...] = _numbers(
    ("k + x", "x"), ("x - k", "x"), ("k - x", "x"), ("k * x", "x"), ("x / k", "x"),
) + (Rule("-x", "x", exact=False, why="a + b * f absorbs a sign"),)
