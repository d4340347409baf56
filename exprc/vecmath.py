"""exprc's own float32 elementary functions, written as exprc IR over exact ops.

exp, exp2, log and log2 are the correctly rounded designs of exprc/mathlib (generated and
proved over every float32 input by `exprc approx --library`); the other library functions are
their float64 versions rounded once (faithful everywhere); the float32 sin and cos written
here are what fastmath kernels use.

Why: inlined into the kernel they run without call overhead or register spills, vectorize on
any backend that lowers fma/round/ldexp, and their accuracy is measured like any program's
(benchmarks/ulp_table.py): every op in them is exact or correctly rounded, so the LLVM kernel
and the numpy interpreter of the same IR agree bit for bit, but for the library calls they
keep (each backend calls its own library: the LLVM backend libmvec, or in a lazy_where's
fallback lanes the scalar C library). Coefficients come from Sollya's
fpminimax (benchmarks/vecmath_coefficients.sollya reproduces them).

An implementation is a list of steps `name = exprc text` over the argument `a`; the last step
is the result (names must not shadow constants such as e or pi). A guard (text over `a`) marks lanes outside the fast path's range: there the
library function is used, computed only for vectors that have such a lane (op lazy_where).
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from . import ir, mathlib, ops

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
FAST: dict[tuple[str, str], VecImpl] = {(impl.op, impl.dtype): impl for impl in _ALL}


@dataclass(frozen=True)
class Promoted:
    """A float32 library function computed by its float64 version and rounded once: within
    0.5 + 2**-26 ULP of the true value wherever the float64 function is within 4 float64 ULP
    (glibc's libmvec, libdevice), i.e. faithful on every float32 input, huge ones included."""
    op: str
    note: str = "the float64 library function, rounded once to float32"

    def build(self, *args: ir.Node) -> ir.Node:
        return ir.apply("to_float32", ir.apply(self.op, *[ir.apply("to_float64", a) for a in args]))


# Strict mode: exp, exp2, log and log2 are the correctly rounded designs the generation step
# found and proved (exprc/mathlib/, search/approx/library.py); every other float32 library
# function is promoted to float64. float64 exp, exp2, log, log2, sin, cos, tan and pow are
# exprc's own designs (within one ULP on sampled inputs; sin/cos/tan hand huge arguments, pow
# its special cases and results outside the normal range, to the scalar C library). fastmath: sin and cos use the float32 code above instead
# (1.49 ULP, proved over every float32 input; faster).
IMPLEMENTATIONS: dict[tuple[str, str], object] = {(op.name, "float32"): Promoted(op.name)
                                                  for op in ops.library_functions()}
for _dtype in ("float32", "float64"):
    for _name in ("exp", "exp2", "log", "log2", "sin", "cos", "tan", "pow"):
        _design = mathlib.design(_name, _dtype)
        if _design is not None:
            IMPLEMENTATIONS[(_name, _dtype)] = _design
# fastmath float64 sin/cos/tan: libmvec's (1.5-3 ULP, faster) instead of the faithful designs
LIBM_WHEN_FAST = {("sin", "float64"), ("cos", "float64"), ("tan", "float64")}


def available(op: str, dtype: str) -> bool:
    return (op, dtype) in IMPLEMENTATIONS


def implementation(op: str, dtype: str, fastmath: bool = False):
    if fastmath and (op, dtype) in LIBM_WHEN_FAST:
        return None
    return (FAST.get((op, dtype)) if fastmath else None) or IMPLEMENTATIONS.get((op, dtype))


@lru_cache(maxsize=None)
def _template(op: str, dtype: str, fastmath: bool) -> ir.Node:
    arity = ops.REGISTRY[op].arity
    return implementation(op, dtype, fastmath).build(*[ir.var(f"__arg{k}", dtype) for k in range(arity)])


def expand(roots, dtype: str, fastmath: bool = False) -> list[ir.Node]:
    """Replace every op that has an exprc implementation for dtype by that implementation
    (fastmath: the faster, less accurate ones where there are such)."""
    def step(node: ir.Node, args) -> ir.Node:
        n = ir.rebuild(node, args)
        if n.args and implementation(n.op, n.dtype, fastmath) is not None:
            binding = {f"__arg{k}": a for k, a in enumerate(n.args)}
            return ir.substitute([_template(n.op, n.dtype, fastmath)], binding)[0]
        return n
    return ir.transform(list(roots), step)
