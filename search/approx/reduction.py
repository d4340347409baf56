"""Range-reduction templates: a core approximation on a small interval becomes a whole float32
function. Each template is exprc IR around a core program in x (the reduced argument), so the
whole function is scored, compiled and verified like any other program.

exp   k = round(x * log2(e)); r = x - k*ln2 in two fma steps (Cody-Waite); 2**k * core(r),
      core ~ e**r on [-ln2/2, ln2/2]
exp2  k = round(x); r = x - k (exact); 2**k * core(r), core ~ 2**r on [-1/2, 1/2]
log2  x = 2**e * m with m in [sqrt(1/2), sqrt(2)); f = m - 1 (exact); e + core(f),
      core ~ log2(1 + f)
log   as log2, then e*ln2 (two parts) + core(f), core ~ log(1 + f)
sin   k = round(x / pi); r = x - k*pi in three fma steps (pi = P1 + P2 + P3, P1 in 12 bits, so
      k*P1 and x - k*P1 are exact for |k| < 2**12); (-1)**k * core(r), core ~ sin on
      [-pi/2, pi/2]. Stated bound: |x| <= 4096.
cos   as sin with j = k + 1/2 (the nearest half-integer to x/pi): r = x - j*pi,
      cos(x) = -(-1)**k * sin(r), core ~ sin on [-pi/2, pi/2]. Same bound.
"""
from __future__ import annotations

from dataclasses import dataclass

from exprc import ir
from exprc.parser import parse

# ln2 = LN2_HI + LN2_LO: hi has 16 significant bits (k * hi is exact for |k| < 2**8), lo is
# the exact rest (rounded once to float32 where it is used)
LN2_HI, LN2_LO = "0.693145751953125", "1.42860682030941723212e-6"


@dataclass(frozen=True)
class Template:
    function: str                   # the whole function, a registry op name
    core_function: str              # what the core approximates, as exprc text in x
    core_interval: tuple[float, float]
    domain: tuple[float, float]     # inputs the whole function is judged on (results normal)
    before: tuple[tuple[str, str], ...]    # steps over the input `a` computing the reduced `r`
    after: str                      # the result, over `a`, earlier step names and `c` (the core)
    note: str

    def assemble(self, core: ir.Node, dtype: str = "float32") -> ir.Node:
        """The whole function in x: the core (a program in x) applied to the reduced argument."""
        from exprc.passes import fold
        env = {"a": ir.var("x", dtype)}
        for name, text in self.before:
            env[name] = fold(ir.substitute([parse(text, dtype=dtype)], env))[0]
        env["c"] = ir.substitute([ir.retype(core, dtype)], {"x": env["r"]})[0]
        from exprc.passes import fold
        return fold(ir.substitute([parse(self.after, dtype=dtype)], env))[0]

    def overhead(self) -> int:
        """Ops the template adds around the core."""
        from exprc.program import Program
        whole = self.assemble(ir.var("x", "float32"))      # an identity core: only the template's ops
        return Program.build([whole], "float32").op_count()


# pi = PI1 + PI2 + PI3 (+ 4e-21): PI1 has 12 significant bits, PI2 and PI3 are float32
PI1, PI2, PI3 = "3.1416015625", "-8.90890987648163e-06", "-3.3027991149306435e-13"
INV_PI = "0.31830987334251404"
TRIG_BOUND = 4096.0
_HALF_PI_WIDE = 1.5707963267948966 * (1 + 2.0 ** -10)    # round(x/pi) may be off by one ulp

TEMPLATES = {
    "exp": Template("exp", "exp(x)", (-0.3465735912322998, 0.3465735912322998), (-87.33654, 88.72283),
                    (("k", "round(a * 1.44269502162933349609375)"),
                     ("r", f"fma(k, -{LN2_LO}, fma(k, -{LN2_HI}, a))")),
                    "ldexp(c, k)", "Cody-Waite with ln2 = hi + lo, hi exact in 16 bits"),
    "exp2": Template("exp2", "exp2(x)", (-0.5, 0.5), (-126.0, 127.99999),
                     (("k", "round(a)"), ("r", "a - k")),
                     "ldexp(c, k)", "reduction by the nearest integer, exact"),
    "log2": Template("log2", "log2(1 + x)", (-0.29289321881345254, 0.41421356237309515), (1.1754944e-38, 3.4028235e38),
                     (("e0", "logb(a)"), ("m0", "ldexp(a, -e0)"), ("big", "m0 > 1.41421353816986083984375"),
                      ("ex", "where(big, e0 + 1, e0)"), ("r", "where(big, m0 * 0.5, m0) - 1")),
                     "ex + c", "exponent split, mantissa in [sqrt(1/2), sqrt(2))"),
    "log": Template("log", "log(1 + x)", (-0.29289321881345254, 0.41421356237309515), (1.1754944e-38, 3.4028235e38),
                    (("e0", "logb(a)"), ("m0", "ldexp(a, -e0)"), ("big", "m0 > 1.41421353816986083984375"),
                     ("ex", "where(big, e0 + 1, e0)"), ("r", "where(big, m0 * 0.5, m0) - 1")),
                    "fma(ex, 0.693147182464599609375, fma(ex, -1.9046542121259335544891655445098876953125e-9, c))",
                    "exponent split, ln2 in two float32 parts"),
    "sin": Template("sin", "sin(x)", (-_HALF_PI_WIDE, _HALF_PI_WIDE), (-TRIG_BOUND, TRIG_BOUND),
                    (("k", f"round(a * {INV_PI})"),
                     ("r", f"fma(k, -{PI3}, fma(k, -{PI2}, fma(k, -{PI1}, a)))"),
                     ("even", "fmod(k, 2) == 0")),
                    "where(even, c, -c)", "Cody-Waite by pi in three parts, |x| <= 4096"),
    "cos": Template("cos", "sin(x)", (-_HALF_PI_WIDE, _HALF_PI_WIDE), (-TRIG_BOUND, TRIG_BOUND),
                    (("k", f"round(fma(a, {INV_PI}, -0.5))"), ("j", "k + 0.5"),
                     ("r", f"fma(j, -{PI3}, fma(j, -{PI2}, fma(j, -{PI1}, a)))"),
                     ("even", "fmod(k, 2) == 0")),
                    "where(even, -c, c)", "Cody-Waite by pi at half-integers, |x| <= 4096"),
}
