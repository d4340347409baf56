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
