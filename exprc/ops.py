"""The op registry: every operation declared once, with everything each layer needs.

Why: adding an op must touch one table, not five files (compare JAX's primitives with their
registered lowering rules). Each entry says its arity and typing rule, how numpy computes it
(the oracle), how to fold it exactly, how sympy spells it, its derivative, its cost, and how
each backend lowers it. Derivatives and expansions are written as exprc text templates over
the arguments a, b, c, the incoming adjoint g and the node's own value y, so they are data too.

Lowering specs are small tuples interpreted by each backend:
  llvm:   ("inst", "fadd") an IRBuilder instruction; ("intrinsic", "llvm.sqrt") an overloaded
          intrinsic; ("libm", "sin") a libm function (vectorized through libmvec when present);
          ("fcmp", "<", ordered); ("select",); ("copysign",) copysign with a NaN sign source
          read as positive. None: lower the `expand` template instead.
  c:      a format string over {0} {1} {2} with {f} for the float suffix ("f" in float32).
  triton: a format string over {0} {1} {2} ({t}: f32 or f64 helper suffix), or None to lower
          `expand`.
Integer ops format C with {i}/{u} (the signed/unsigned C type of their width) and {m} (the
shift-count mask, width - 1), Triton with {it}/{ut}/{ft} (tl.int32, tl.uint32, tl.float32 or
the 64-bit ones) and {m}.
"""
from __future__ import annotations

import math
import operator
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Callable

import numpy as np

from . import npbits, npmath

# Typing rules.
ARITH = "arith"        # floats in, same float out
COMPARE = "compare"    # floats in, bool out
SELECT = "select"      # bool, T, T -> T
NULLARY = "nullary"    # named constants such as pi
CONVERT = "convert"    # one float in, the float type its name says out (to_float64, to_float32)
INTEGER = "integer"    # integers of one width in, the same out (two's complement, wrapping)
TO_INT = "to_int"      # a float in, the integer of its width out
TO_FLOAT = "to_float"  # an integer in, the float of its width out
TABLE = "table"        # an integer index in, an entry of the node's constant table out
BIT_KINDS = (INTEGER, TO_INT, TO_FLOAT, TABLE)


@dataclass(frozen=True)
class Op:
    name: str
    arity: int
    kind: str
    numpy: Callable
    cost: int
    exact: Callable | None = None        # exact fold on Fractions: returns Fraction, or None if not exact
    mp: str | None = None                # mpmath function name for high-precision folding and references
    sympy: Callable | None = None        # (sympy_module, *args) -> sympy expression
    sympy_names: tuple[str, ...] = ()    # sympy class / function names that map back to this op
    deriv: tuple[str, ...] | None = None  # one template per argument; None: derivative is zero
    llvm: tuple | None = None
    c: str | None = None
    triton: str | None = None
    expand: str | Callable | None = None  # definition in terms of other ops: text over a, b, c,
                                          # or a function (args..., dtype) -> IR
    ieee_exact: bool = False             # exact or correctly rounded: all backends agree bit for bit
    aliases: tuple[str, ...] = ()
    infix: str | None = None             # printed as an operator
    prec: int = 6                        # printing precedence (see printer.py)
    commutative: bool = False
    variadic: bool = False               # f(a, b, c) means f(f(a, b), c)
    internal: bool = False               # produced by lowering only; not a function users write
    population: bool = True              # an opcode of the population interpreter (False: too
                                         # large an expansion to inline in every opcode body)
    doc: str = ""

    @property
    def differentiable(self) -> bool:
        return self.deriv is not None


def _fdiv(a: Fraction, b: Fraction):
    return None if b == 0 else a / b


def _fmod(a: Fraction, b: Fraction):
    if b == 0:
        return None
    q = a / b
    return a - b * (math.floor(q) if q >= 0 else math.ceil(q))


def _floor_mod(a: Fraction, b: Fraction):
    return None if b == 0 else a - b * math.floor(a / b)


def _round_half_even(a: Fraction) -> Fraction:
    return Fraction(round(a))   # Python's round on Fraction is half to even


def _exact_sqrt(a: Fraction):
    if a < 0:
        return None
    n, d = math.isqrt(a.numerator), math.isqrt(a.denominator)
    if n * n == a.numerator and d * d == a.denominator:
        return Fraction(n, d)
    return None   # irrational: fold with mpmath instead


def _exact_pow(a: Fraction, b: Fraction):
    if b.denominator == 1 and abs(b.numerator) <= 256 and not (a == 0 and b < 0):
        return a ** int(b)
    return None


def _ieee_remainder(a: Fraction, b: Fraction):
    if b == 0:
        return None
    r = a - b * round(a / b)        # Fraction rounding is half to even, as IEEE's remainder
    return r if r != 0 else None    # zero takes a's sign: leave it to IEEE arithmetic


def _ldexp(a: Fraction, b: Fraction):
    k = math.trunc(b)
    return a * Fraction(2) ** k if abs(k) <= 100_000 else None


def _logb(a: Fraction):
    if a == 0:
        return None
    n, d = abs(a.numerator), a.denominator
    e = n.bit_length() - d.bit_length()
    if (n << max(0, -e)) < (d << max(0, e)):
        e -= 1
    return Fraction(e)


def _sign(a: Fraction) -> Fraction:
    return Fraction((a > 0) - (a < 0))


def _copysign(a: Fraction, b: Fraction) -> Fraction:
    return abs(a) if b >= 0 else -abs(a)


def _sp(name: str):
    return lambda sp, *args: getattr(sp, name)(*args)


def _spf(name: str):
    """A sympy function object for ops sympy has no class for (kept by name for round trips)."""
    return lambda sp, *args: sp.Function(name)(*args)


REGISTRY: dict[str, Op] = {}


def _register(*ops: Op) -> None:
    for op in ops:
        REGISTRY[op.name] = op


def _unary_libm(name, cost, deriv, sympy=None, mp=None, aliases=(), sympy_names=None, doc="",
                numpy=None):
    """A unary transcendental from the C math library: the common case, declared in one line."""
    npf = numpy or getattr(np, {"asin": "arcsin", "acos": "arccos", "atan": "arctan", "asinh": "arcsinh",
                       "acosh": "arccosh", "atanh": "arctanh"}.get(name, name))
    return Op(name, 1, ARITH, npf, cost, mp=mp or name, sympy=sympy or _sp(name),
              sympy_names=sympy_names if sympy_names is not None else (name,),
              deriv=(deriv,), llvm=("libm", name), c=name + "{f}({0})",
              triton=f"libdevice.{name}({{0}})", aliases=aliases, doc=doc)


def _special(name: str, sympy, dx: str, doc: str, expand=None) -> Op:
    """A special function of (v, x) defined by an IR expansion (exprc/special/): every backend
    lowers the expansion; numpy evaluates it as the oracle; constants fold with mpmath.
    expand: a definition over other ops (text) instead of its own expansion."""
    def own_expansion(v, x, dtype):
        from .special import expansion
        return expansion(name, v, x, dtype)

    def numpy(v, x):
        from .special import evaluate
        return evaluate(name, v, x)
    return Op(name, 2, ARITH, numpy, 400, mp=name, sympy=sympy, sympy_names=(),
              deriv=("!" + name + " has no derivative in the order v", dx), expand=expand or own_expansion,
              population=False, doc=doc + "; NaN unless v >= 0 and x >= 0")


_register(
    # ---- arithmetic: exact in IEEE arithmetic, bit-identical everywhere ----
    Op("add", 2, ARITH, np.add, 1, exact=operator.add, sympy=lambda sp, a, b: a + b,
       sympy_names=("Add",), deriv=("g", "g"), llvm=("inst", "fadd"), c="({0} + {1})",
       triton="({0} + {1})", ieee_exact=True, aliases=("plus",), infix="+", prec=2, commutative=True),
    Op("sub", 2, ARITH, np.subtract, 1, exact=operator.sub, sympy=lambda sp, a, b: a - b,
       deriv=("g", "-g"), llvm=("inst", "fsub"), c="({0} - {1})", triton="({0} - {1})",
       ieee_exact=True, aliases=("subtract", "minus"), infix="-", prec=2),
    Op("mul", 2, ARITH, np.multiply, 1, exact=operator.mul, sympy=lambda sp, a, b: a * b,
       sympy_names=("Mul",), deriv=("g * b", "g * a"), llvm=("inst", "fmul"), c="({0} * {1})",
       triton="({0} * {1})", ieee_exact=True, aliases=("multiply", "times"), infix="*", prec=3,
       commutative=True),
    Op("div", 2, ARITH, np.true_divide, 4, exact=_fdiv, sympy=lambda sp, a, b: a / b,
       deriv=("g / b", "-(g * y) / b"), llvm=("inst", "fdiv"), c="({0} / {1})", triton="tl.div_rn({0}, {1})",
       ieee_exact=True, aliases=("divide", "true_divide"), infix="/", prec=3),
    Op("neg", 1, ARITH, np.negative, 1, exact=operator.neg, sympy=lambda sp, a: -a,
       deriv=("-g",), llvm=("inst", "fneg"), c="(-{0})", triton="(-{0})", ieee_exact=True,
       aliases=("negative",), infix="-", prec=4),
    Op("pow", 2, ARITH, npmath.power, 20, exact=_exact_pow, mp="power", sympy=lambda sp, a, b: a ** b,
       sympy_names=("Pow",), deriv=("g * b * a ** (b - 1)", "g * y * log(a)"), llvm=("libm", "pow"),
       c="pow{f}({0}, {1})", triton="libdevice.pow({0}, {1})", aliases=("power", "Pow"), infix="**", prec=5),
    Op("fma", 3, ARITH, npmath.fma, 1, exact=lambda a, b, c: a * b + c,
       sympy=lambda sp, a, b, c: a * b + c, deriv=("g * b", "g * a", "g"),
       llvm=("intrinsic", "llvm.fma"), c="fma{f}({0}, {1}, {2})", triton="tl.fma({0}, {1}, {2})",
       ieee_exact=True,
       doc="a*b+c rounded once"),
    Op("sqrt", 1, ARITH, np.sqrt, 4, exact=_exact_sqrt, mp="sqrt", sympy=_sp("sqrt"),
       deriv=("g / (2 * y)",), llvm=("intrinsic", "llvm.sqrt"), c="sqrt{f}({0})",
       triton="tl.sqrt_rn({0})", ieee_exact=True),
    Op("abs", 1, ARITH, np.abs, 1, exact=abs, sympy=_sp("Abs"), sympy_names=("Abs",),
       deriv=("g * sign(a)",), llvm=("intrinsic", "llvm.fabs"), c="fabs{f}({0})",
       triton="tl.abs({0})", ieee_exact=True, aliases=("Abs", "fabs", "absolute")),
    Op("min", 2, ARITH, npmath.minimum, 1, exact=min, sympy=_sp("Min"), sympy_names=("Min",),
       deriv=("where(a <= b, g, 0)", "where(a <= b, 0, g)"), llvm=("intrinsic", "llvm.minimum"),
       c="exprc_minimum{f}({0}, {1})", triton="exprc_minimum_{t}({0}, {1})", ieee_exact=True,
       aliases=("Min", "fmin", "minimum", "amin"), commutative=True, variadic=True,
       doc="IEEE 754-2019 minimum: NaN propagates, -0 < +0"),
    Op("max", 2, ARITH, npmath.maximum, 1, exact=max, sympy=_sp("Max"), sympy_names=("Max",),
       deriv=("where(a >= b, g, 0)", "where(a >= b, 0, g)"), llvm=("intrinsic", "llvm.maximum"),
       c="exprc_maximum{f}({0}, {1})", triton="exprc_maximum_{t}({0}, {1})", ieee_exact=True,
       aliases=("Max", "fmax", "maximum", "amax"), commutative=True, variadic=True,
       doc="IEEE 754-2019 maximum: NaN propagates, +0 > -0"),
    Op("copysign", 2, ARITH, npmath.copysign, 1, exact=_copysign, sympy=_spf("copysign"),
       deriv=("g * sign(a) * sign(y)", None), llvm=("copysign",),
       c="copysign{f}({0}, isnan({1}) ? 1 : {1})",
       triton="libdevice.copysign({0}, tl.where({1} != {1}, 1.0, {1}))", ieee_exact=True,
       doc="|a| with the sign of b (positive when b is NaN: NaN signs are unspecified in IEEE)"),
    Op("ldexp", 2, ARITH, npmath.ldexp, 2, exact=_ldexp, sympy=lambda sp, a, b: a * 2 ** b,
       sympy_names=(), deriv=("g * 2 ** trunc(b)", None), llvm=("ldexp",),
       c="(isnan({1}) ? NAN : ldexp{f}({0}, (int)fmax(fmin({1}, 1e9), -1e9)))",
       triton="exprc_ldexp_{t}({0}, {1})", ieee_exact=True,
       aliases=("scalbn", "scalb"), doc="a * 2**trunc(b) rounded once (NaN when b is NaN)"),
    Op("logb", 1, ARITH, npmath.logb, 3, exact=_logb, sympy=_spf("logb"), deriv=None, llvm=("logb",),
       c="logb{f}({0})", triton="libdevice.logb({0})", ieee_exact=True,
       doc="the binary exponent floor(log2|a|) as a float"),
    Op("sign", 1, ARITH, npmath.sign, 2, exact=_sign, sympy=_sp("sign"), deriv=None,
       expand="where(a != a, a, where(a == 0, a, copysign(1, a)))", c=None, ieee_exact=True,
       aliases=("sgn",), doc="-1 or +1; +-0 and NaN are returned unchanged"),
    # ---- classification (FPCore and C names), 1 or 0 as numbers; defined over other ops ----
    Op("isnan", 1, ARITH, npmath.as_number(np.isnan), 1, exact=lambda a: Fraction(0), sympy=_spf("isnan"),
       deriv=None, expand="where(a != a, 1, 0)", ieee_exact=True, doc="1 where a is NaN, else 0"),
    Op("isinf", 1, ARITH, npmath.as_number(np.isinf), 1, exact=lambda a: Fraction(0), sympy=_spf("isinf"),
       deriv=None, expand="where(abs(a) == inf, 1, 0)", ieee_exact=True, doc="1 where a is +-inf, else 0"),
    Op("isfinite", 1, ARITH, npmath.as_number(np.isfinite), 1, exact=lambda a: Fraction(1),
       sympy=_spf("isfinite"), deriv=None, expand="where(abs(a) < inf, 1, 0)", ieee_exact=True,
       doc="1 where a is finite, else 0"),
    Op("signbit", 1, ARITH, npmath.signbit, 1, exact=lambda a: Fraction(int(a < 0)), sympy=_spf("signbit"),
       deriv=None, expand="where(copysign(1, a) < 0, 1, 0)", ieee_exact=True,
       doc="1 where a is negative or -0, else 0 (0 for NaN: exprc does not expose NaN signs)"),
    Op("fdim", 2, ARITH, npmath.fdim, 2, exact=lambda a, b: max(a - b, Fraction(0)), sympy=_spf("fdim"),
       deriv=("where(a > b, g, 0)", "where(a > b, -g, 0)"), expand="where(a <= b, 0, a - b)", ieee_exact=True,
       doc="a - b where a > b, else +0 (NaN if either is NaN), as C fdim"),
    Op("floor", 1, ARITH, np.floor, 1, exact=lambda a: Fraction(math.floor(a)), sympy=_sp("floor"),
       deriv=None, llvm=("intrinsic", "llvm.floor"), c="floor{f}({0})", triton="tl.floor({0})",
       ieee_exact=True),
    Op("ceil", 1, ARITH, np.ceil, 1, exact=lambda a: Fraction(math.ceil(a)), sympy=_sp("ceiling"),
       sympy_names=("ceiling",), deriv=None, llvm=("intrinsic", "llvm.ceil"), c="ceil{f}({0})",
       triton="tl.ceil({0})", ieee_exact=True, aliases=("ceiling",)),
    Op("trunc", 1, ARITH, np.trunc, 1, exact=lambda a: Fraction(math.trunc(a)), sympy=_spf("trunc"),
       deriv=None, llvm=("intrinsic", "llvm.trunc"), c="trunc{f}({0})", triton="libdevice.trunc({0})",
       ieee_exact=True,
       aliases=("fix",)),
    Op("round", 1, ARITH, np.rint, 1, exact=_round_half_even, sympy=_spf("round"), deriv=None,
       llvm=("intrinsic", "llvm.roundeven"), c="nearbyint{f}({0})", triton="libdevice.rint({0})",
       ieee_exact=True,
       aliases=("rint", "roundeven", "nearbyint", "around"), doc="round half to even"),
    Op("fmod", 2, ARITH, np.fmod, 4, exact=_fmod, sympy=_spf("fmod"),
       deriv=("g", "-g * trunc(a / b)"), llvm=("inst", "frem"), c="fmod{f}({0}, {1})",
       triton="libdevice.fmod({0}, {1})",
       ieee_exact=True, doc="remainder with the sign of the dividend, as C fmod"),
    Op("mod", 2, ARITH, np.remainder, 6, exact=_floor_mod, sympy=lambda sp, a, b: sp.Mod(a, b),
       sympy_names=("Mod",), deriv=("g", "-g * floor(a / b)"),
       expand="where(fmod(a, b) == 0, copysign(0, b), where(fmod(a, b) < 0, where(b > 0, fmod(a, b) + b, "
              "fmod(a, b)), where(b < 0, fmod(a, b) + b, fmod(a, b))))",
       ieee_exact=True, aliases=("remainder",), infix="%", prec=3,
       doc="floored modulo, the sign of the divisor: Python's % and numpy's remainder (numexpr's %)"),
    Op("nextafter", 2, ARITH, np.nextafter, 2, sympy=_spf("nextafter"), deriv=("g", None),
       llvm=("libm", "nextafter"), c="nextafter{f}({0}, {1})", triton="libdevice.nextafter({0}, {1})",
       ieee_exact=True, doc="the next float after a in the direction of b"),
    Op("ones_like", 1, ARITH, np.ones_like, 0, exact=lambda a: Fraction(1), sympy=lambda sp, a: sp.Integer(1),
       sympy_names=(), deriv=None, expand="1", ieee_exact=True, doc="1 in the shape of a (numexpr's name)"),
    # ---- comparisons and selection ----
    Op("lt", 2, COMPARE, np.less, 1, exact=operator.lt, sympy=lambda sp, a, b: sp.Lt(a, b),
       sympy_names=("StrictLessThan",), llvm=("fcmp", "<", True), c="({0} < {1})",
       triton="({0} < {1})", ieee_exact=True, aliases=("less",), infix="<", prec=1),
    Op("le", 2, COMPARE, np.less_equal, 1, exact=operator.le, sympy=lambda sp, a, b: sp.Le(a, b),
       sympy_names=("LessThan",), llvm=("fcmp", "<=", True), c="({0} <= {1})",
       triton="({0} <= {1})", ieee_exact=True, aliases=("less_equal",), infix="<=", prec=1),
    Op("gt", 2, COMPARE, np.greater, 1, exact=operator.gt, sympy=lambda sp, a, b: sp.Gt(a, b),
       sympy_names=("StrictGreaterThan",), llvm=("fcmp", ">", True), c="({0} > {1})",
       triton="({0} > {1})", ieee_exact=True, aliases=("greater",), infix=">", prec=1),
    Op("ge", 2, COMPARE, np.greater_equal, 1, exact=operator.ge, sympy=lambda sp, a, b: sp.Ge(a, b),
       sympy_names=("GreaterThan",), llvm=("fcmp", ">=", True), c="({0} >= {1})",
       triton="({0} >= {1})", ieee_exact=True, aliases=("greater_equal",), infix=">=", prec=1),
    Op("eq", 2, COMPARE, np.equal, 1, exact=operator.eq, sympy=lambda sp, a, b: sp.Eq(a, b),
       sympy_names=("Equality",), llvm=("fcmp", "==", True), c="({0} == {1})",
       triton="({0} == {1})", ieee_exact=True, aliases=("equal",), infix="==", prec=1,
       commutative=True),
    Op("ne", 2, COMPARE, np.not_equal, 1, exact=operator.ne, sympy=lambda sp, a, b: sp.Ne(a, b),
       sympy_names=("Unequality",), llvm=("fcmp", "!=", False), c="({0} != {1})",
       triton="({0} != {1})", ieee_exact=True, aliases=("not_equal",), infix="!=", prec=1,
       commutative=True, doc="true when either side is NaN"),
    Op("where", 3, SELECT, np.where, 1, exact=lambda c, a, b: a if c else b,
       sympy=lambda sp, c, a, b: sp.Piecewise((a, c), (b, True)), sympy_names=("Piecewise",),
       deriv=(None, "where(a, g, 0)", "where(a, 0, g)"), llvm=("select",), c="({0} ? {1} : {2})",
       triton="tl.where({0}, {1}, {2})", ieee_exact=True, aliases=("select", "if_else", "ifelse"),
       doc="where(cond, a, b): a where cond holds, else b"),
    Op("lazy_where", 3, SELECT, np.where, 1, exact=lambda c, a, b: a if c else b,
       sympy=lambda sp, c, a, b: sp.Piecewise((a, c), (b, True)), deriv=(None, "where(a, g, 0)", "where(a, 0, g)"),
       llvm=("select",), c="({0} ? {1} : {2})", triton="tl.where({0}, {1}, {2})", ieee_exact=True,
       internal=True, doc="where(c, a, b) whose a is computed only for vectors where some lane needs it"),
    Op("eager_where", 3, SELECT, np.where, 1, exact=lambda c, a, b: a if c else b,
       sympy=lambda sp, c, a, b: sp.Piecewise((a, c), (b, True)), deriv=(None, "where(a, g, 0)", "where(a, 0, g)"),
       llvm=("select",), c="({0} ? {1} : {2})", triton="tl.where({0}, {1}, {2})", ieee_exact=True,
       internal=True, population=False,
       doc="where(c, a, b) with both sides computed for every vector: the selects inside a library "
           "function (special cases, exceptions), whose main side nearly every lane takes"),
    # ---- named constants ----
    Op("pi", 0, NULLARY, lambda: np.pi, 0, mp="pi", sympy=lambda sp: sp.pi, sympy_names=("Pi",),
       doc="3.14159..., folded in high precision"),
    Op("e", 0, NULLARY, lambda: np.e, 0, mp="e", sympy=lambda sp: sp.E, sympy_names=("Exp1",),
       doc="2.71828..., folded in high precision"),
    # ---- transcendental and other functions from libm ----
    _unary_libm("sin", 15, "g * cos(a)"),
    _unary_libm("cos", 15, "-g * sin(a)"),
    _unary_libm("tan", 20, "g * (1 + y * y)"),
    _unary_libm("asin", 20, "g / sqrt(1 - a * a)", aliases=("arcsin",)),
    _unary_libm("acos", 20, "-g / sqrt(1 - a * a)", aliases=("arccos",)),
    _unary_libm("atan", 18, "g / (1 + a * a)", aliases=("arctan",)),
    _unary_libm("sinh", 18, "g * cosh(a)"),
    _unary_libm("cosh", 18, "g * sinh(a)"),
    _unary_libm("tanh", 18, "g * (1 - y * y)"),
    _unary_libm("asinh", 20, "g / sqrt(a * a + 1)", aliases=("arcsinh",)),
    _unary_libm("acosh", 20, "g / sqrt(a * a - 1)", aliases=("arccosh",)),
    _unary_libm("atanh", 20, "g / (1 - a * a)", aliases=("arctanh",)),
    _unary_libm("exp", 12, "g * y"),
    _unary_libm("exp2", 12, "g * y * 0.693147180559945309417232121458176568",
                sympy=lambda sp, a: 2 ** a, mp="exp2", sympy_names=()),
    _unary_libm("expm1", 14, "g * (y + 1)", sympy=lambda sp, a: sp.exp(a) - 1, sympy_names=()),
    _unary_libm("log", 12, "g / a", aliases=("ln",)),
    _unary_libm("log2", 12, "g / (a * 0.693147180559945309417232121458176568)",
                sympy=lambda sp, a: sp.log(a, 2), mp="log2", sympy_names=()),
    _unary_libm("log10", 12, "g / (a * 2.30258509299404568401799145468436421)",
                sympy=lambda sp, a: sp.log(a, 10), mp="log10", sympy_names=()),
    _unary_libm("log1p", 14, "g / (a + 1)", sympy=lambda sp, a: sp.log(1 + a), mp="log1p",
                sympy_names=()),
    _unary_libm("cbrt", 15, "g / (3 * y * y)", sympy=_sp("cbrt"), mp="cbrt", sympy_names=()),
    _unary_libm("erf", 18, "g * 1.12837916709551257389615890312154517 * exp(-(a * a))",
                numpy=npmath.erf),
    _unary_libm("erfc", 18, "-g * 1.12837916709551257389615890312154517 * exp(-(a * a))",
                numpy=npmath.erfc),
    _unary_libm("tgamma", 40, "!tgamma has no derivative (digamma is not an op)", numpy=npmath.tgamma,
                mp="gamma", sympy=_sp("gamma"), sympy_names=("gamma",),
                doc="the gamma function (C tgamma); NaN at the poles 0, -1, -2, ... except +-inf at +-0"),
    _unary_libm("lgamma", 40, "!lgamma has no derivative (digamma is not an op)", numpy=npmath.lgamma,
                sympy=lambda sp, a: sp.log(sp.Abs(sp.gamma(a))), sympy_names=(),
                doc="log|gamma(x)| (C lgamma); +inf at the poles"),
    Op("ieee_remainder", 2, ARITH, npmath.ieee_remainder, 6, exact=_ieee_remainder,
       sympy=_spf("ieee_remainder"), deriv=("g", "-g * round(a / b)"), llvm=("libm", "remainder"),
       c="remainder{f}({0}, {1})", triton="libdevice.remainder({0}, {1})", ieee_exact=True,
       doc="C remainder (FPCore's remainder): a - n*b, n the integer nearest a/b, ties to even; exact"),
    Op("atan2", 2, ARITH, np.arctan2, 25, mp="atan2", sympy=_sp("atan2"),
       deriv=("g * b / (a * a + b * b)", "-g * a / (a * a + b * b)"), llvm=("libm", "atan2"),
       c="atan2{f}({0}, {1})", triton="libdevice.atan2({0}, {1})", aliases=("arctan2",), doc="atan2(y, x)"),
    _special("log_iv", lambda sp, v, x: sp.log(sp.besseli(v, x)), "g * (exp(log_iv(a + 1, b) - y) + a / b)",
             "log of the modified Bessel function I_v(x), computed in log space (never overflows)"),
    _special("log_kv", lambda sp, v, x: sp.log(sp.besselk(v, x)), "g * (a / b - exp(log_kv(a + 1, b) - y))",
             "log of the modified Bessel function K_v(x), computed in log space (never overflows)"),
    _special("log_ive", lambda sp, v, x: sp.log(sp.besseli(v, x)) - x,
             "g * (exp(log_ive(a + 1, b) - y) + a / b - 1)",
             "log(I_v(x) exp(-x)) (SciPy's ive in log space), x taken out inside each region"),
    _special("log_kve", lambda sp, v, x: sp.log(sp.besselk(v, x)) + x,
             "g * (a / b - exp(log_kve(a + 1, b) - y) + 1)",
             "log(K_v(x) exp(x)) (SciPy's kve in log space), x taken out inside each region"),
    _special("iv", lambda sp, v, x: sp.besseli(v, x), "g * (exp(log_iv(a + 1, b)) + a / b * y)",
             "the modified Bessel function I_v(x), as exp(log_iv(v, x))", expand="exp(log_iv(a, b))"),
    _special("kv", lambda sp, v, x: sp.besselk(v, x), "g * (a / b * y - exp(log_kv(a + 1, b)))",
             "the modified Bessel function K_v(x), as exp(log_kv(v, x))", expand="exp(log_kv(a, b))"),
    # ---- precision changes: the work between them is done in the wider type ----
    Op("to_float64", 1, CONVERT, lambda a: np.asarray(a, np.float64), 1, exact=lambda a: a,
       sympy=lambda sp, a: a, llvm=("convert",), c="((double)({0}))", triton="{0}.to(tl.float64)",
       ieee_exact=True, internal=True, population=False, doc="the value as a float64 (exact)"),
    Op("to_float32", 1, CONVERT, lambda a: np.asarray(a, np.float32), 1, exact=lambda a: a,
       sympy=lambda sp, a: a, llvm=("convert",), c="((float)({0}))", triton="{0}.to(tl.float32)",
       ieee_exact=True, internal=True, population=False, doc="the value rounded once to float32"),
    # ---- integers and bits: what table-driven math libraries are made of; exact everywhere ----
    Op("asint", 1, TO_INT, npbits.asint, 0, sympy=_spf("asint"), llvm=("bitcast",), c="exprc_asint{f}({0})",
       triton="{0}.to({it}, bitcast=True)", ieee_exact=True, population=False, aliases=("float_as_int",),
       doc="the float's bit pattern as a signed integer of its width (int32 or int64)"),
    Op("asfloat", 1, TO_FLOAT, npbits.asfloat, 0, sympy=_spf("asfloat"), llvm=("bitcast",),
       c="exprc_asfloat{f}({0})", triton="{0}.to({ft}, bitcast=True)", ieee_exact=True, population=False,
       aliases=("int_as_float",), doc="an integer's bits read as the float of its width"),
    Op("toint", 1, TO_INT, npbits.toint, 1, sympy=_spf("toint"), llvm=("fptosi_sat",), c="exprc_toint{f}({0})",
       triton="exprc_toint_{t}({0})", ieee_exact=True, population=False,
       doc="truncated toward zero to an integer of the float's width, saturating; NaN gives 0"),
    Op("tofloat", 1, TO_FLOAT, npbits.tofloat, 1, sympy=_spf("tofloat"), llvm=("sitofp",), c="(({t}){0})",
       triton="{0}.to({ft})", ieee_exact=True, population=False,
       doc="an integer's value rounded to the float of its width"),
    Op("iadd", 2, INTEGER, npbits.iadd, 1, sympy=_spf("iadd"), llvm=("int", "add"),
       c="(({i})(({u}){0} + ({u}){1}))", triton="({0} + {1})", ieee_exact=True, population=False,
       commutative=True, doc="integer sum, wrapping"),
    Op("isub", 2, INTEGER, npbits.isub, 1, sympy=_spf("isub"), llvm=("int", "sub"),
       c="(({i})(({u}){0} - ({u}){1}))", triton="({0} - {1})", ieee_exact=True, population=False,
       doc="integer difference, wrapping"),
    Op("imul", 2, INTEGER, npbits.imul, 3, sympy=_spf("imul"), llvm=("int", "mul"),
       c="(({i})(({u}){0} * ({u}){1}))", triton="({0} * {1})", ieee_exact=True, population=False,
       commutative=True, doc="integer product, wrapping"),
    Op("iand", 2, INTEGER, np.bitwise_and, 1, sympy=_spf("iand"), llvm=("int", "and"), c="({0} & {1})",
       triton="({0} & {1})", ieee_exact=True, population=False, commutative=True, doc="bitwise and"),
    Op("ior", 2, INTEGER, np.bitwise_or, 1, sympy=_spf("ior"), llvm=("int", "or"), c="({0} | {1})",
       triton="({0} | {1})", ieee_exact=True, population=False, commutative=True, doc="bitwise or"),
    Op("ixor", 2, INTEGER, np.bitwise_xor, 1, sympy=_spf("ixor"), llvm=("int", "xor"), c="({0} ^ {1})",
       triton="({0} ^ {1})", ieee_exact=True, population=False, commutative=True, doc="bitwise exclusive or"),
    Op("shl", 2, INTEGER, npbits.shl, 1, sympy=_spf("shl"), llvm=("shift", "shl"),
       c="(({i})(({u}){0} << ({1} & {m})))", triton="({0} << ({1} & {m}))", ieee_exact=True, population=False,
       doc="shift left by b mod the width"),
    Op("shr", 2, INTEGER, npbits.shr, 1, sympy=_spf("shr"), llvm=("shift", "ashr"), c="({0} >> ({1} & {m}))",
       triton="({0} >> ({1} & {m}))", ieee_exact=True, population=False,
       doc="arithmetic shift right by b mod the width (the sign fills in)"),
    Op("ushr", 2, INTEGER, npbits.ushr, 1, sympy=_spf("ushr"), llvm=("shift", "lshr"),
       c="(({i})(({u}){0} >> ({1} & {m})))",
       triton="({0}.to({ut}, bitcast=True) >> ({1} & {m}).to({ut}, bitcast=True)).to({it}, bitcast=True)",
       ieee_exact=True, population=False, doc="logical shift right by b mod the width (zeros fill in)"),
    Op("table", 1, TABLE, npbits.table_lookup, 2, sympy=_spf("table"), llvm=("table",), c="table",
       triton="table", ieee_exact=True, population=False, aliases=("lookup",),
       doc="table(i, c0, c1, ...): the entry c_i of a constant table, i an integer clamped into it"),
    Op("hypot", 2, ARITH, np.hypot, 8, mp="hypot", sympy=lambda sp, a, b: sp.sqrt(a * a + b * b),
       deriv=("g * a / y", "g * b / y"), llvm=("libm", "hypot"), c="hypot{f}({0}, {1})",
       triton="libdevice.hypot({0}, {1})"),
)

# Every spelling a user may write for a function, resolved to its registry name. Names of
# ops with an infix form work as calls too: add(x, y), multiply(x, y), less(x, y).
FUNCTION_NAMES: dict[str, str] = {}
for _op in REGISTRY.values():
    if _op.kind != NULLARY and not _op.internal:
        FUNCTION_NAMES[_op.name] = _op.name
        for _alias in _op.aliases:
            FUNCTION_NAMES[_alias] = _op.name
del _op

# Functions that are the identity on real numbers, accepted for numexpr's and numpy's spellings.
IDENTITY_FUNCTIONS = ("copy", "conj", "conjugate", "real", "positive")
IDENTITY_ATTRIBUTES = ("real",)   # x.real, as numexpr writes it

# Module prefixes people paste with function names: np.sin, math.exp, sympy.Abs, torch.tanh.
MODULE_PREFIXES = ("np", "numpy", "math", "cmath", "sp", "sympy", "torch", "jnp", "jax.numpy",
                   "tf", "tf.math", "mpmath", "scipy.special", "special", "tl", "T")

# Names that denote constants rather than variables.
CONSTANT_NAMES = {"pi": "pi", "e": "e", "inf": "inf", "nan": "nan", "Inf": "inf", "NaN": "nan",
                  "infinity": "inf", "oo": "inf"}


def library_functions() -> list[Op]:
    """The library functions with rounding error: lowered to a libm call, not exact (nextafter
    and remainder are exact, and a float32 one is not its float64 one rounded)."""
    return [op for op in REGISTRY.values() if op.llvm and op.llvm[0] == "libm" and not op.ieee_exact]


def lookup(name: str) -> Op:
    return REGISTRY[name]
