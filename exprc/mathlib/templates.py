"""Table-driven float32 elementary functions computed in float64, as exprc IR.

Why float64 inside: a float32 result is correctly rounded when the value it is rounded from is
closer to the true value than to any float32 rounding boundary. Evaluated in float64 with
errors near 2**-53, only a few inputs out of 2**32 come that close; the generation step
(search/approx/library.py) finds them by proving every input and lists them as exceptions,
which the program returns directly (CORE-MATH's technique).

Each template takes its parameters and fitted constants as data (exprc/mathlib/float32.json)
and returns the program over one float32 argument. Tables are `table` ops (a gather, or a
register permute where the table fits), bit manipulation uses the integer ops.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from typing import Callable, Sequence

from .. import ir

F64 = "float64"
# Selects here are eager_where: special cases and exceptions that nearly no lane takes must not
# turn the function's main path into a branch (branches.py) a vector jumps around.


def _c(value) -> ir.Node:
    return ir.const(value, F64)


def _f(op: str, *args) -> ir.Node:
    return ir.apply(op, *[a if isinstance(a, ir.Node) else _c(a) for a in args])


def horner(coeffs: Sequence, x: ir.Node) -> ir.Node:
    """c0 + x*(c1 + x*(...)) as nested fma."""
    acc = _c(coeffs[-1])
    for c in reversed(coeffs[:-1]):
        acc = _f("fma", acc, x, c)
    return acc


def _i(op: str, a: ir.Node, b) -> ir.Node:
    return ir.apply(op, a, b if isinstance(b, ir.Node) else ir.const(b, a.dtype))


@dataclass(frozen=True)
class Design:
    """One fitted instance of a template: everything the program is built from."""
    function: str                 # exp, exp2, log, log2
    template: str                 # exp_table or log_table
    bits: int                     # table index bits (2**bits entries)
    poly: tuple                   # polynomial coefficients (exact values), low degree first
    tables: dict                  # name -> tuple of exact values
    constants: dict               # name -> exact value
    exceptions: tuple = ()        # (input, correctly rounded output) float32 pairs
    extra: dict = field(default_factory=dict)

    def build(self, *args: ir.Node) -> ir.Node:
        """The function of its arguments (float32 or float64, as the template is), exceptions
        (of one-argument functions) included."""
        y = TEMPLATES[self.template](self, *args)
        x = args[0]
        for xin, yout in self.exceptions:
            y = ir.apply("eager_where", ir.apply("eq", x, ir.const(xin, x.dtype)), ir.const(yout, x.dtype), y)
        return y


SHIFTER = Fraction(3, 2) * 2 ** 52     # x + SHIFTER rounds x to an integer held in the low bits


def clamp(x: ir.Node, lo, hi) -> ir.Node:
    """x limited to [lo, hi] by compare and select in its own dtype (NaN passes through)."""
    c = lambda v: ir.const(v, x.dtype)   # noqa: E731
    x = ir.apply("eager_where", ir.apply("lt", x, c(lo)), c(lo), x)
    return ir.apply("eager_where", ir.apply("gt", x, c(hi)), c(hi), x)


def log_specials(x: ir.Node, core: ir.Node) -> ir.Node:
    """log_b x from its core where 0 < x < inf: x itself at inf and NaN, -inf at +-0, NaN below."""
    c = lambda v: ir.const(v, x.dtype)   # noqa: E731
    return ir.apply("eager_where", ir.apply("gt", x, c(0)),
                    ir.apply("eager_where", ir.apply("lt", x, c(float("inf"))), core, x),
                    ir.apply("eager_where", ir.apply("eq", x, c(0)), c(float("-inf")), c(float("nan"))))


def exp_table(d: Design, x: ir.Node) -> ir.Node:
    """b**x = 2**(k/N) * b**r: k = round(x * N / log_b 2) (x clamped where the result is 0 or
    inf anyway), r the exact remainder for base 2 and a two-part Cody–Waite remainder for base
    e; 2**(k/N) = T[k mod N] with k div N added to its exponent bits; b**r = 1 + q(r).
    k is rounded by adding 1.5 * 2**52, which leaves it in the low bits of the sum."""
    n = 1 << d.bits
    k_ = d.constants
    a = ir.apply("to_float64", clamp(x, k_["lo"], k_["hi"]))
    kd = _f("fma", a, k_["inv_step"], SHIFTER)
    k = _f("sub", kd, SHIFTER)
    if d.function == "exp2":
        r = _f("fma", k, _c(-Fraction(1, n)), a)                  # exact: x*N is exact
    else:
        r = _f("fma", _f("neg", k), k_["step_hi"], a)
        r = _f("fma", _f("neg", k), k_["step_lo"], r)
    ki = ir.apply("asint", kd)
    t = ir.table(_i("iand", ki, n - 1), d.tables["t"], F64)
    scale = _i("shl", _i("shr", ki, d.bits), 52)      # k div N into the exponent field (mod 2**12)
    t = ir.apply("asfloat", ir.apply("iadd", ir.apply("asint", t), scale))
    q = _f("mul", r, horner(d.poly, r))
    return ir.apply("to_float32", _f("fma", t, q, t))


def log_table(d: Design, x: ir.Node) -> ir.Node:
    """log_b x = e log_b 2 + log_b c_j + log_b(1 + r): x = 2**e * m with m in [1, 2) read from
    the float64 bits (float32 subnormals are normal there), j the top mantissa bits; m is
    halved (and e raised) for j >= split so that results near 1 never cancel; r = m/c_j - 1 is
    exact because 1/c_j is stored with 29 bits; e log_b 2 + log_b c_j is exact in float64 by
    the tables' construction (multiples of 2**-42), the small rest is added last."""
    k_ = d.constants
    a = ir.apply("to_float64", x)
    ix = ir.apply("asint", a)
    mant = _i("iand", ix, (1 << 52) - 1)
    j = _i("ushr", mant, 52 - d.bits)
    big = ir.apply("ge", j, ir.const(k_["split"], "int64"))
    e = ir.apply("eager_where", big, _i("isub", _i("shr", ix, 52), 1022), _i("isub", _i("shr", ix, 52), 1023))
    expo = ir.apply("eager_where", big, ir.const(0x3FE << 52, "int64"), ir.const(0x3FF << 52, "int64"))
    m = ir.apply("asfloat", ir.apply("ior", mant, expo))
    r = _f("fma", m, ir.table(j, d.tables["invc"], F64), -1)
    ef = ir.apply("tofloat", e)
    r2 = _f("mul", r, r)
    if d.function == "log2":      # r/log(2) + r**2 P(r), 1/log(2) in two parts, rounded once
        p = _f("fma", r, k_["inv_ln2_hi"], _f("fma", r, k_["inv_ln2_lo"], _f("mul", r2, horner(d.poly, r))))
        s = _f("add", ef, ir.table(j, d.tables["hi"], F64))
        rest = _f("add", p, ir.table(j, d.tables["lo"], F64))
    else:
        p = _f("fma", r2, horner(d.poly, r), r)
        s = _f("fma", ef, k_["ln2_hi"], ir.table(j, d.tables["hi"], F64))
        rest = _f("add", p, _f("fma", ef, k_["ln2_lo"], ir.table(j, d.tables["lo"], F64)))
    return log_specials(x, ir.apply("to_float32", _f("add", s, rest)))




def _pow2(m: ir.Node) -> ir.Node:
    """2**m as a float64 from its exponent bits (m within the normal range)."""
    return ir.apply("asfloat", _i("shl", _i("iadd", m, 1023), 52))


def exp64_table(d: Design, x: ir.Node) -> ir.Node:
    """float64 b**x within one ULP: as exp_table, with 2**(j/N) as a double-double (hi, lo), the
    result T_hi + (T_lo + T_hi q) rounded once, and the scale 2**m applied in two halves so
    that results in the subnormal range round once and huge ones overflow cleanly."""
    return _exp64(d.function, d.bits, d.poly, d.tables, d.constants, x)


def _exp64(function: str, bits: int, poly, tables: dict, k_: dict, x: ir.Node, x_lo: ir.Node | None = None) -> ir.Node:
    """exp64_table's program on x (plus x_lo, the low part of a double-double argument, for
    base e: added to the reduced r, which it shifts by far less than r's range)."""
    n = 1 << bits
    a = clamp(x, k_["lo"], k_["hi"])
    kd = _f("fma", a, k_["inv_step"], SHIFTER)
    k = _f("sub", kd, SHIFTER)
    if function == "exp2":
        r = _f("fma", k, _c(-Fraction(1, n)), a)
    else:
        r = _f("fma", _f("neg", k), k_["step_hi"], a)
        r = _f("fma", _f("neg", k), k_["step_lo"], r if x_lo is None else _f("add", r, x_lo))
    ki = ir.apply("asint", kd)
    j = _i("iand", ki, n - 1)
    hi, lo = ir.table(j, tables["hi"], F64), ir.table(j, tables["lo"], F64)
    if function == "exp2":        # q = 2**r - 1 = r (ln2 + r P(r)), ln2 in two parts
        q = _f("fma", r, k_["ln2_hi"], _f("mul", r, _f("fma", r, horner(poly, r), k_["ln2_lo"])))
    else:                         # q = e**r - 1 = r + r**2 P(r)
        q = _f("fma", _f("mul", r, r), horner(poly, r), r)
    v = _f("add", hi, _f("fma", hi, q, lo))
    m = _i("shr", ki, bits)
    m1 = _i("shr", m, 1)
    return _f("mul", _f("mul", v, _pow2(m1)), _pow2(ir.apply("isub", m, m1)))


def _log64_reduce(x: ir.Node, bits: int, split) -> tuple[ir.Node, ir.Node, ir.Node]:
    """x = 2**e * m (subnormals scaled by 2**64 first), m in [1, 2) or, for table index
    j >= split, halved into [0.5, 1) with e raised (so results near 1 never cancel): (j, e as a
    float, m)."""
    tiny = ir.apply("lt", x, _c(2.0 ** -1022))
    xs = ir.apply("eager_where", tiny, _f("mul", x, 2.0 ** 64), x)
    ix = ir.apply("asint", xs)
    mant = _i("iand", ix, (1 << 52) - 1)
    j = _i("ushr", mant, 52 - bits)
    big = ir.apply("ge", j, ir.const(split, "int64"))
    e = _i("isub", _i("shr", ix, 52), 1023)
    e = ir.apply("eager_where", big, _i("iadd", e, 1), e)
    e = ir.apply("eager_where", tiny, _i("isub", e, 64), e)
    expo = ir.apply("eager_where", big, ir.const(0x3FE << 52, "int64"), ir.const(0x3FF << 52, "int64"))
    return j, ir.apply("tofloat", e), ir.apply("asfloat", ir.apply("ior", mant, expo))


def pow64(d: Design, x: ir.Node, y: ir.Node) -> ir.Node:
    """float64 x**y within one ULP where x > 0 and x, y are finite: exp(y log x) with log x a
    double-double and the product kept as one (t_hi + t_lo), so that an error of 2**-66 in
    log x, times |y log x| <= 745, stays a small part of an ULP of the result.

    log x = e ln2 + log c_j + log1p(r + p_lo): log64_table's reduction, m c_j split exactly by
    fma into p + p_lo so that r = p - 1 (Sterbenz) and p_lo are exact; log1p(r + p_lo) =
    r - r**2/2 + r**3 Q(r) + p_lo (1 - r), r**2 split exactly, the exact terms (e ln2_hi +
    hi_j, r, -r**2/2) summed by TwoSum. exp(t_hi + t_lo): exp64_table's program with t_lo added
    to the reduced argument. Every other (x, y) (x <= 0 or NaN, x or y infinite: the special
    cases of C pow) or whose result is outside the normal range (|y log x| > t_max) goes to
    the scalar C library, per lane."""
    k_, T = d.constants, d.tables
    j, ef, m = _log64_reduce(x, d.bits, k_["split"])
    c = ir.table(j, T["invc"], F64)
    p = _f("mul", m, c)
    p_lo = _f("fma", m, c, _f("neg", p))
    r = _f("sub", p, 1)
    s = _f("fma", ef, k_["ln2_hi"], ir.table(j, T["hi"], F64))           # exact (2**-42 grid)
    small = _f("fma", ef, k_["ln2_lo"], ir.table(j, T["lo"], F64))
    rr = _f("mul", r, r)
    rr_lo = _f("fma", r, r, _f("neg", rr))
    a_hi, a_lo = _two_sum(s, r)
    b_hi, b_lo = _two_sum(a_hi, _f("mul", rr, -0.5))
    cubic = _f("fma", _f("mul", rr, r), horner(d.poly, r), _f("mul", rr_lo, -0.5))
    tail = _f("add", _f("add", a_lo, b_lo), _f("add", small, _f("add", cubic, _f("fma", p_lo, _f("neg", r), p_lo))))
    l_hi, l_lo = _fast_two_sum(b_hi, tail)
    t_hi = _f("mul", y, l_hi)
    t_lo = _f("fma", y, l_lo, _f("fma", y, l_hi, _f("neg", t_hi)))
    v = _exp64("exp", int(k_["exp_bits"]), T["exp_poly"], {"hi": T["exp_hi"], "lo": T["exp_lo"]},
               {name[4:]: value for name, value in k_.items() if name.startswith("exp_")}, t_hi, t_lo)
    not_finite = ir.apply("ne", _f("add", _f("sub", x, x), _f("sub", y, y)), _c(0))    # x or y inf or NaN
    special = ir.apply("eager_where", ir.apply("gt", x, _c(0)), not_finite, ir.const(True, "bool"))
    # and results outside the normal range (overflow, underflow, subnormal: y log x beyond +-708)
    special = ir.apply("eager_where", special, special, ir.apply("gt", ir.apply("abs", t_hi), _c(k_["t_max"])))
    return ir.apply("lazy_where", special, ir.apply("pow", x, y), v)


def log64_table(d: Design, x: ir.Node) -> ir.Node:
    """float64 log_b x within one ULP: as log_table on x's own bits (subnormals scaled by 2**64
    first), with r = m/c_j - 1 rounded once by fma, e log_b 2 + log_b c_j exact, and the sum
    (s + r) kept as a double-double (Fast2Sum) before the small terms are added."""
    k_ = d.constants
    j, ef, m = _log64_reduce(x, d.bits, k_["split"])
    r = _f("fma", m, ir.table(j, d.tables["invc"], F64), -1)
    hi_t, lo_t = ir.table(j, d.tables["hi"], F64), ir.table(j, d.tables["lo"], F64)
    if d.function == "log2":      # r/ln2 as a double-double (r * inv_hi exact error by fma)
        s = _f("add", ef, hi_t)
        rh = _f("mul", r, k_["inv_ln2_hi"])
        rl = _f("fma", r, k_["inv_ln2_hi"], _f("neg", rh))
        small = _f("fma", r, k_["inv_ln2_lo"], _f("add", rl, lo_t))
    else:
        s = _f("fma", ef, k_["ln2_hi"], hi_t)
        rh = r
        small = _f("fma", ef, k_["ln2_lo"], lo_t)
    top = _f("add", s, rh)
    err = _f("add", _f("sub", s, top), rh)               # Fast2Sum: |s| >= |rh| or s == 0
    poly = _f("mul", _f("mul", r, r), horner(d.poly, r))
    return log_specials(x, _f("add", top, _f("add", err, _f("add", poly, small))))


def _two_sum(a: ir.Node, b: ir.Node) -> tuple[ir.Node, ir.Node]:
    """s + e = a + b exactly (Knuth's TwoSum: no condition on the magnitudes)."""
    s = _f("add", a, b)
    bb = _f("sub", s, a)
    return s, _f("add", _f("sub", a, _f("sub", s, bb)), _f("sub", b, bb))


def _fast_two_sum(a: ir.Node, b: ir.Node) -> tuple[ir.Node, ir.Node]:
    """s + e = a + b exactly where |a| >= |b| (or a == 0)."""
    s = _f("add", a, b)
    return s, _f("add", _f("sub", a, s), b)


def _flip_sign(v: ir.Node, bit: ir.Node) -> ir.Node:
    """v with its sign flipped where the int64 `bit` (0 or 2) is 2: xor of bit << 62."""
    return ir.apply("asfloat", ir.apply("ixor", ir.apply("asint", v), _i("shl", bit, 62)))


def trig64(d: Design, x: ir.Node) -> ir.Node:
    """float64 sin, cos or tan within one ULP for |x| <= range (the C library beyond, per lane).

    x = k pi/2 + r with k = round(x 2/pi) (the shifter leaves k mod 4 in the low bits) and r as
    a double-double r_hi + r_lo: x - k P1 is exact by fma (P1 = pi/2 rounded; for k != 0, x's ULP
    is at least 2**-53 and |x - k P1| < 1), k P2 is split exactly by fma and added by TwoSum, k P3
    rounded once: r is good to about 2**-70 relative even where x is within 2**-60 of a multiple
    of pi/2. Then on |r| <= pi/4, with z = r_hi**2:
      sin r = r_hi + (r_hi z S(z) + r_lo (1 - z/2))           (small part below 0.1 |r|)
      cos r = w + (((1 - w) - z/2) + z**2 C(z) - (r_hi r_lo + e_z/2)),  w = 1 - z/2,
    e_z = r_hi**2 - z exact by fma; both kept as double-doubles (Fast2Sum). The quadrant picks
    and signs them; tan = sin/cos (or -cos/sin) with the quotient corrected by its exact
    residual. Tiny |x| returns x for sin and tan (and keeps the sign of -0)."""
    k_ = d.constants
    kd = _f("fma", x, k_["inv_pio2"], SHIFTER)
    k = _f("sub", kd, SHIFTER)
    q = _i("iand", ir.apply("asint", kd), 3)
    a = _f("fma", _f("neg", k), k_["pio2_1"], x)
    p = _f("mul", k, k_["pio2_2"])
    pe = _f("fma", k, k_["pio2_2"], _f("neg", p))
    r_hi, err = _two_sum(a, _f("neg", p))
    r_lo = _f("fma", _f("neg", k), k_["pio2_3"], _f("sub", err, pe))
    z = _f("mul", r_hi, r_hi)
    hz = _f("mul", z, 0.5)
    small = _f("fma", _f("mul", r_hi, z), horner(d.poly, z), _f("mul", r_lo, _f("sub", 1, hz)))
    s_hi, s_lo = _fast_two_sum(r_hi, small)
    ez = _f("fma", r_hi, r_hi, _f("neg", z))
    w = _f("sub", 1, hz)
    tail = _f("fma", _f("mul", z, z), horner(d.tables["cos_poly"], z), _f("neg", _f("fma", r_hi, r_lo, _f("mul", ez, 0.5))))
    c_hi, c_lo = _fast_two_sum(w, _f("add", _f("sub", _f("sub", 1, w), hz), tail))
    odd = ir.apply("ne", _i("iand", q, 1), ir.const(0, "int64"))
    pick = lambda u, v: ir.apply("eager_where", odd, u, v)   # noqa: E731
    if d.function == "sin":
        y = _flip_sign(pick(c_hi, s_hi), _i("iand", q, 2))
    elif d.function == "cos":
        y = _flip_sign(pick(s_hi, c_hi), _i("iand", _i("iadd", q, 1), 2))
    else:
        n_hi, n_lo, m_hi, m_lo = pick(c_hi, s_hi), pick(c_lo, s_lo), pick(s_hi, c_hi), pick(s_lo, c_lo)
        t = _f("div", n_hi, m_hi)
        res = _f("fma", _f("neg", t), m_lo, _f("add", _f("fma", _f("neg", t), m_hi, n_hi), n_lo))
        y = _flip_sign(_f("add", t, _f("div", res, m_hi)), _i("shl", _i("iand", q, 1), 1))
    if d.function != "cos":
        y = ir.apply("eager_where", ir.apply("lt", ir.apply("abs", x), _c(k_["tiny"])), x, y)
    return ir.apply("lazy_where", ir.apply("gt", ir.apply("abs", x), _c(k_["range"])), ir.apply(d.function, x), y)


TEMPLATES: dict[str, Callable[[Design, ir.Node], ir.Node]] = {
    "exp_table": exp_table, "log_table": log_table, "exp64_table": exp64_table, "log64_table": log64_table,
    "trig64": trig64, "pow64": pow64}
