"""The fitted front: Equation, the table of it, which model is best, sympy."""
from __future__ import annotations


import math
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np

from exprc import ir


@dataclass(frozen=True)
class Equation:
    """One model of the Pareto front. Reads like a dict too: eq["loss"]."""
    complexity: int           # nodes of the expression, leaves included
    loss: float               # mean squared error on the training data
    r2: float
    expression: str           # exprc text (parse() gives the node back)
    node: ir.Node = field(repr=False, compare=False)

    def __getitem__(self, key: str):
        if key not in ("complexity", "loss", "r2", "expression", "node"):
            raise KeyError(key)
        return getattr(self, key)

    def to_dict(self) -> dict:
        return {"complexity": self.complexity, "loss": self.loss, "r2": self.r2, "expression": self.expression}


def fmt_loss(v: float) -> str:
    return f"{v:.4g}" if math.isfinite(v) else str(v)


def equations_table(equations: Sequence[Equation], best: int | None = None) -> str:
    """The front as aligned text: complexity, loss (MSE), R^2, expression; '>' marks the best."""
    rows = [(">" if k == best else " ", str(e.complexity), fmt_loss(e.loss), fmt_loss(e.r2), e.expression)
            for k, e in enumerate(equations)]
    head = (" ", "complexity", "loss", "r2", "expression")
    widths = [max(len(r[i]) for r in rows + [head]) for i in range(4)]
    lines = [" ".join(h.rjust(w) if i in (1, 2, 3) else h.ljust(w) for i, (h, w) in enumerate(zip(head, widths)))
             + " " + head[4]]
    for r in rows:
        lines.append(" ".join(c.rjust(w) if i in (1, 2, 3) else c.ljust(w)
                              for i, (c, w) in enumerate(zip(r, widths))) + " " + r[4])
    return "\n".join(lines)


def select_best(equations: Sequence[Equation], var_y: float, rule: str = "best") -> int:
    """'accuracy': the lowest loss; 'best': the smallest model within 1.5x of the lowest loss
    (or within a normalized loss of 1e-24 of zero: exact fits differ only by rounding)."""
    losses = np.array([e.loss for e in equations])
    k_min = int(np.argmin(losses))
    if rule == "accuracy":
        return k_min
    limit = max(1.5 * losses[k_min], 1e-24 * var_y)
    for k, e in enumerate(equations):       # sorted by complexity
        if e.loss <= limit:
            return k
    return k_min


def to_sympy(node: ir.Node):
    """node as sympy: constants with long decimal expansions become Floats."""
    import sympy
    expr = node.to_sympy()
    repl = {r: sympy.Float(float(r), 17) for r in expr.atoms(sympy.Rational)
            if r.q > 1000 or abs(r.p) > 10 ** 6}
    return expr.xreplace(repl) if repl else expr
