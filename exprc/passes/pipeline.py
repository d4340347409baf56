"""The -O0/-O1/-O2 pipelines.

-O0  constant folding and the exact integer powers of rules.POWER_RULES (both are part of the
     language's semantics, so they always run: x**2 is x*x at every level)
-O1  + the exact algebraic identities of rules.STRICT_RULES
-O2  + the same again after integer-power lowering (fast-math only) and, with fastmath=True,
       the rewrites of rules.FAST_RULES, which are not exact in IEEE arithmetic
Common subexpressions need no pass: hash-consing shares them as the IR is built.
Dead code needs none either: backends schedule only what the outputs reach (program.py).
"""
from __future__ import annotations

import numbers
from typing import Callable, Sequence

from .. import ir
from ..errors import ExprcError
from .fold import fold
from .powers import integer_powers
from .rewrite import rewrite
from .rules import FAST_RULES, POWER_RULES, STRICT_RULES

Pass = Callable[[Sequence[ir.Node]], list]


def passes_for(level: int, fastmath: bool = False) -> list[tuple[str, Pass]]:
    if isinstance(level, bool) or not isinstance(level, numbers.Integral) or level not in (0, 1, 2):
        raise ExprcError(f"optimization level must be 0, 1 or 2, not {level!r}")
    steps: list[tuple[str, Pass]] = [("fold", fold)]
    if level == 0:
        steps.append(("powers", lambda roots: rewrite(roots, POWER_RULES)))
    if level >= 1:
        rules = STRICT_RULES + (FAST_RULES if fastmath else ())
        steps.append(("identities", lambda roots: rewrite(roots, rules)))
    if level >= 2 and fastmath:
        steps.append(("integer_powers", integer_powers))
        steps.append(("identities", lambda roots: rewrite(roots, STRICT_RULES + FAST_RULES)))
    return steps


def optimize(roots: Sequence[ir.Node] | ir.Node, level: int = 2, fastmath: bool = False):
    """Run the pipeline for level; accepts one node or a sequence (returns the same shape)."""
    single = isinstance(roots, ir.Node)
    current = [roots] if single else list(roots)
    for _name, p in passes_for(level, fastmath):
        current = p(current)
    return current[0] if single else current
