"""exprc's own float32 elementary functions, written as exprc IR over exact ops.

Why: inlined into the kernel they run without call overhead or register spills, vectorize on
any backend that lowers fma/round/ldexp, and their accuracy is measured like any program's
(benchmarks/ulp_table.py): every op in them is exact or correctly rounded, so the LLVM kernel
and the numpy interpreter of the same IR agree bit for bit. Coefficients come from Sollya's
fpminimax (benchmarks/vecmath_coefficients.sollya reproduces them).

An implementation is a list of steps `name = exprc text` over the argument `a`; the last step
is the result (names must not shadow constants such as e or pi). A guard (text over `a`) marks lanes outside the fast path's range: there the
library function is used, computed only for vectors that have such a lane (op lazy_where).
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from . import ir

# ln 2 split into float32 parts (Cody–Waite reduction with fma)
LN2 = ("0.693147182464599609375", "-1.9046542121259335544891655445098876953125e-9")


def _horner(var: str, coeffs: list[str]) -> str:
    """c0 + var*(c1 + var*(...)) as nested fma."""
    text = coeffs[-1]
    for c in reversed(coeffs[:-1]):
        text = f"fma({text}, {var}, {c})"
    return text


@dataclass(frozen=True)
class VecImpl:
    op: str
    dtype: str
    steps: tuple[tuple[str, str], ...]
    guard: str | None = None
    note: str = ""

    def build(self, arg: ir.Node) -> ir.Node:
        """The implementation applied to arg (IR), fallback included."""
        from .parser import parse
        env: dict[str, ir.Node] = {"a": arg}
        node = arg
        for name, text in self.steps:
            template = parse(text, dtype=self.dtype)
            node = ir.substitute([template], env)[0]
            env[name] = node
        if self.guard is not None:
            guard = ir.substitute([parse(self.guard, dtype=self.dtype)], env)[0]
            node = ir.apply("lazy_where", guard, ir.apply(self.op, arg), node)
        return node


EXP_POLY = ["1", "1", "0.4999999105930328369140625", "0.16666521131992340087890625",
            "4.16689626872539520263671875e-2", "8.36866907775402069091796875e-3",
            "1.378246000967919826507568359375e-3"]
EXP2_POLY = ["1", "0.693147182464599609375", "0.240226447582244873046875", "5.55035881698131561279296875e-2",
             "9.61883366107940673828125e-3", "1.339130220003426074981689453125e-3",
             "1.52412845636717975139617919921875e-4"]
LOG1P_POLY = ["-0.49999988079071044921875", "0.3333332538604736328125", "-0.2500160038471221923828125",
              "0.20002003014087677001953125", "-0.1660876572132110595703125", "0.1418113410472869873046875",
              "-0.13244561851024627685546875", "0.12909089028835296630859375", "-7.6239742338657379150390625e-2"]
LOG2_1P_POLY = ["0", "1.44269502162933349609375", "-0.721347332000732421875", "0.480900824069976806640625",
                "-0.36069905757904052734375", "0.2884725630283355712890625", "-0.23950590193271636962890625",
                "0.2059147357940673828125", "-0.19302268326282501220703125", "0.17998139560222625732421875",
                "-9.879513084888458251953125e-2"]

# Shared range reduction for the log family: x = 2**e * m, m in [sqrt(1/2), sqrt(2)), f = m - 1.
_LOG_REDUCE = (
    ("e0", "logb(a)"),
    ("m0", "ldexp(a, -e0)"),
    ("big", "m0 > 1.41421353816986083984375"),
    ("ex", "where(big, e0 + 1, e0)"),
    ("f", "where(big, m0 * 0.5, m0) - 1"),
)
_LOG_SPECIALS = "where(a > 0, where(a < inf, {core}, a), where(a == 0, -inf, nan))"

# sin and cos reduce by pi/2 in three fma steps (x = k*pi/2 + r, |r| <= pi/4) and evaluate both
# polynomials; the quadrant k mod 4 picks one and its sign. One odd polynomial over [-pi/2, pi/2]
# would save five ops but costs accuracy near |r| = pi/2 (2.1 ULP instead of 1.4, exhaustive).
PIO2 = ("1.57079637050628662109375", "-4.371138828673792886547744274139404296875e-8",
        "-1.7151245100058818728039344847502434276975691318511962890625e-15")
SIN_POLY = ["-0.16666667163372039794921875", "8.33337195217609405517578125e-3",
            "-1.98499110410921275615692138671875e-4", "2.800547008519060909748077392578125e-6"]
COS_POLY = ["-0.5", "4.16666455566883087158203125e-2", "-1.388731063343584537506103515625e-3",
            "2.443256744300015270709991455078125e-5"]
_TRIG_REDUCE = (
    ("k", "round(a * 0.636619746685028076171875)"),
    ("r", f"fma(-k, {PIO2[2]}, fma(-k, {PIO2[1]}, fma(-k, {PIO2[0]}, a)))"),
    ("r2", "r * r"),
    ("s", f"fma(r * r2, {_horner('r2', SIN_POLY)}, r)"),
    ("c", f"fma(r2, {_horner('r2', COS_POLY)}, 1)"),
    ("q", "k - 4 * floor(k * 0.25)"),
    ("odd", "k * 0.5 != floor(k * 0.5)"),
)
TRIG_RANGE = "105414.3515625"   # beyond this |x| the library function takes over (see ulp_table)

_ALL = (
    VecImpl("exp", "float32", (
        ("xc", "min(max(a, -104), 89)"),
        ("k", "round(xc * 1.44269502162933349609375)"),
        ("r", f"fma(-k, {LN2[1]}, fma(-k, {LN2[0]}, xc))"),
        ("y", f"ldexp({_horner('r', EXP_POLY)}, k)"),
    ), note="Cody–Waite by ln 2 in two parts, degree-6 fpminimax polynomial, ldexp"),
    VecImpl("exp2", "float32", (
        ("xc", "min(max(a, -151), 129)"),
        ("k", "round(xc)"),
        ("r", "xc - k"),
        ("y", f"ldexp({_horner('r', EXP2_POLY)}, k)"),
    ), note="exact reduction by the nearest integer, degree-6 fpminimax polynomial, ldexp"),
    VecImpl("log", "float32", _LOG_REDUCE + (
        ("p", f"fma(f * f, {_horner('f', LOG1P_POLY)}, f)"),
        ("core", f"fma(ex, {LN2[0]}, fma(ex, {LN2[1]}, p))"),
        ("y", _LOG_SPECIALS.format(core="core")),
    ), note="exponent split, degree-10 fpminimax polynomial for log(1+f), two-part ln 2"),
    VecImpl("log2", "float32", _LOG_REDUCE + (
        ("p", _horner("f", LOG2_1P_POLY)),
        ("core", "ex + p"),
        ("y", _LOG_SPECIALS.format(core="core")),
    ), note="exponent split, degree-10 fpminimax polynomial for log2(1+f)"),
    VecImpl("sin", "float32", _TRIG_REDUCE + (
        ("v", "where(odd, c, s)"),
        ("sv", "where(q >= 2, -v, v)"),
        ("y", "where(abs(a) < 0.000244140625, a, sv)"),
    ), guard=f"abs(a) > {TRIG_RANGE}",
        note="reduction by pi/2 in three fma steps for |x| <= 105414, fpminimax polynomials of degree 9 "
             "(sin) and 8 (cos) on [-pi/4, pi/4]; libm beyond"),
    VecImpl("cos", "float32", _TRIG_REDUCE + (
        ("v", "where(odd, s, c)"),
        ("y", "where(q == 1, -v, where(q == 2, -v, v))"),
    ), guard=f"abs(a) > {TRIG_RANGE}",
        note="as sin, with the quadrant shifted by one; libm beyond"),
)
IMPLEMENTATIONS: dict[tuple[str, str], VecImpl] = {(impl.op, impl.dtype): impl for impl in _ALL}


def available(op: str, dtype: str) -> bool:
    return (op, dtype) in IMPLEMENTATIONS


@lru_cache(maxsize=None)
def _template(op: str, dtype: str) -> ir.Node:
    return IMPLEMENTATIONS[(op, dtype)].build(ir.var("__arg", dtype))


def expand(roots, dtype: str) -> list[ir.Node]:
    """Replace every op that has an exprc implementation for dtype by that implementation."""
    def step(node: ir.Node, args) -> ir.Node:
        n = ir.rebuild(node, args)
        if n.args and (n.op, n.dtype) in IMPLEMENTATIONS:
            return ir.substitute([_template(n.op, n.dtype)], {"__arg": n.args[0]})[0]
        return n
    return ir.transform(list(roots), step)
