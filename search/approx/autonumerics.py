"""Programs published in AutoNumerics-Zero, recorded as exprc straight-line programs.

Paper: Esteban Real, Yao Chen, Mirko Rossini, Connal de Souza, Manav Garg, Akhil Verghese,
Moritz Firsching, Quoc V. Le, Ekin Dogus Cubuk, David H. Park, "AutoNumerics-Zero: Automated
Discovery of State-of-the-Art Mathematical Functions", Google, arXiv:2312.08472 (2023; v2 2026,
ICML 2026). Code: github.com/google-deepmind/autonumerics_zero.

What is recorded, and where it comes from
-----------------------------------------
The paper evolves, from empty code, programs over {+, -, *, /}, constants and the input x that
approximate 2**x on (0, 1], minimising the maximum relative error and the number of
operations. Its headline result is "f10", a 10-operation program with about 14 significant
figures (maximum relative error about 5e-15 in real arithmetic).

* f2, f3, f5, f10 (exp2 on (0, 1]): the paper's Figure 11, which lists the evolved programs in
  full (constants and operations). The paper text itself was not readable in the search
  corpora (only the abstract and introduction of https://arxiv.org/html/2312.08472 came back).
  The programs were taken from a third-party transcription that states it copies Figure 11
  "constants verbatim": repository alcides/aeon, file
  examples/synthesis/autonumerics/exp2_reference.ae (commit 01d937b5...). The same
  repository's exp2_metric.py gives f10's bound as "proven below ~5.4e-15".
  Figure numbering, constants and op counts are therefore those of the transcription. They
  are corroborated numerically. Evaluated exactly (mpmath, 90 bits, 40,000 points), f10's
  relative error on (0, 1] stays within [-3.52e-15, 3.24e-15], inside the ~5.4e-15 bound.
  Compiled in float64 by exprc it measures 4.7e-15 to 4.9e-15. Compiled in float32 it
  measures 13.6 ULP, which matches the paper's "about 14 ULP" (tests/test_autonumerics.py).
  A wrong digit in a constant would usually push the error far above the paper's 14
  significant figures.
* Nothing else: the official repository (google-deepmind/autonumerics_zero, commit
  ed53c911...) publishes the search code and its *baselines* (Sollya / Taylor / minimax / Pade
  polynomials for exp2, log2 and erf in bfloat16, float32 and float64, in
  evolution/projects/graphs/joy/baselines.py). It does not publish the evolved programs. No
  source in the corpora gave the paper's evolved float32/float64 exp2, log2 or erf programs
  (the ones with ULP targets), so they are not recorded here.

reported_error holds what the paper reports where a source gave it. Otherwise it holds the
transcription's own float64 measurement, marked as such.

Conventions: a program is a straight-line list of steps `(name, exprc text)` over the input
`x`, as in exprc.vecmath.VecImpl. Each later step may use earlier names, and the last step is
the result. Constants are steps of their own (c1, c2, ...), as the paper lists them, with
every digit kept. A negative literal such as "-2.1258595374472384" is one constant, not a
negation op: build() folds the parser's neg(const) into a negative constant. That keeps the
op count equal to the paper's.
"""
from __future__ import annotations

from dataclasses import dataclass

import exprc
from exprc import ir

_TRANSCRIPTION = ("arXiv:2312.08472, Figure 11, via alcides/aeon "
                  "examples/synthesis/autonumerics/exp2_reference.ae")


@dataclass(frozen=True)
class PublishedProgram:
    name: str
    function: str                   # numpy name of the target: "exp2", "log2", "erf"
    interval: tuple[float, float]   # domain; programs dividing by x exclude x = 0
    source: str
    reported_error: str
    steps: tuple[tuple[str, str], ...]
    op_count: int | None = None     # arithmetic operations as the paper counts them, if stated


def _fold_negated_literals(node: ir.Node) -> ir.Node:
    """neg(const c) -> const(-c): the text "-2.5" is one constant, as in the paper."""
    def step(n: ir.Node, args):
        n = ir.rebuild(n, args)
        if n.op == "neg" and n.args[0].op == ir.CONST and n.args[0].dtype != "bool":
            return ir.const(-n.args[0].value, n.dtype)
        return n
    return ir.transform([node], step)[0]


def build(program: PublishedProgram, dtype="float32") -> ir.Node:
    """The program as one exprc expression over the variable x (dtype float32 or float64)."""
    env: dict[str, ir.Node] = {}
    node = None
    for name, text in program.steps:
        template = _fold_negated_literals(exprc.parse(text, dtype=dtype))
        node = ir.substitute([template], env)[0]
        env[name] = node
    if node is None:
        raise ValueError(f"{program.name}: no steps")
    return node


F2 = PublishedProgram(
    name="f2",
    function="exp2",
    interval=(0.0, 1.0),
    source=_TRANSCRIPTION,
    reported_error="max relative error ~4.1e-2 (the transcription's float64 grid measurement; "
                   "the paper's figure value was not readable)",
    op_count=2,
    steps=(
        ("c1", "-2.1258595374472384"),
        ("c2", "-2.0413845597733418"),
        ("x1", "c2 + x"),
        ("x2", "c1 / x1"),
    ),
)

F3 = PublishedProgram(
    name="f3",
    function="exp2",
    interval=(0.0, 1.0),
    source=_TRANSCRIPTION,
    reported_error="max relative error ~1.2e-3 (the transcription's float64 grid measurement)",
    op_count=3,
    steps=(
        ("c1", "-8.387819235563974"),
        ("c2", "1.4427239805682266"),
        ("c3", "-3.4355225277901402"),
        ("x1", "c3 + x"),
        ("x2", "c1 / x1"),
        ("x3", "x2 - c2"),
    ),
)

F5 = PublishedProgram(
    name="f5",
    function="exp2",
    interval=(0.0, 1.0),   # divides by x: open at 0
    source=_TRANSCRIPTION,
    reported_error="max relative error ~6.3e-6 (the transcription's float64 grid measurement)",
    op_count=5,
    steps=(
        ("c1", "25.596749740144819"),
        ("c2", "17.746150088734609"),
        ("x1", "c1 / x"),
        ("c3", "-0.99999366143081858"),
        ("c4", "-8.8505996518073289"),
        ("x2", "x + x1"),
        ("x3", "c4 + x2"),
        ("x4", "c2 / x3"),
        ("x5", "x4 - c3"),
    ),
)

F10 = PublishedProgram(
    name="f10",
    function="exp2",
    interval=(0.0, 1.0),   # divides by x: open at 0
    source=_TRANSCRIPTION,
    reported_error="max relative error ~5e-15 in real arithmetic (14 significant figures; "
                   "bound ~5.4e-15 as transcribed); ~14 ULP when every op rounds to float32",
    op_count=10,
    steps=(
        ("c1", "15141.981176922711"),
        ("c2", "-250.55247494972059"),
        ("c3", "5783.5330096027765"),
        ("x1", "c3 / x"),
        ("x2", "x + x1"),
        ("x3", "c1 / x2"),
        ("x4", "x3 + x2"),
        ("x5", "c2 + x4"),
        ("c4", "501.10494991027866"),
        ("x6", "c4 / x5"),
        ("c5", "-0.99999999999999956"),
        ("x7", "x6 - c5"),
        ("x8", "x7 * x7"),
        ("x9", "x8 * x8"),
        ("x10", "x9 * x9"),
    ),
)

PROGRAMS: tuple[PublishedProgram, ...] = (F2, F3, F5, F10)
BY_NAME = {p.name: p for p in PROGRAMS}


def evaluate_published(dtype: str = "float32") -> list[dict]:
    """Each recorded program's max ULP error in float32 over every float32 input of its interval
    (0 excluded where the program divides by x), against the correctly rounded 2**x."""
    import numpy as np
    from exprc.program import Program
    from .verify import verify
    rows = []
    for p in PROGRAMS:
        node = build(p, dtype)
        lo = p.interval[0] if p.interval[0] > 0 else float(np.nextafter(np.float32(0), np.float32(1)))
        v = verify(node, f"{p.function}(x)", interval=(lo, p.interval[1]), normal_only=True)
        rows.append({"name": p.name, "ops": Program.build([node], dtype).op_count(), "max_ulp": v.max_ulp,
                     "worst_input": v.worst_input, "not_correctly_rounded": v.not_correctly_rounded})
    return rows
