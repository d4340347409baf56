"""A piecewise approximation as one exprc float32 program: cell index from x, piece index by a
table when knots are adaptive, knot and coefficients by tables, Horner in fma (fit.evaluate is
the same op sequence in numpy)."""
from __future__ import annotations

from exprc import ir

from .knots import Knots

F32 = "float32"


def build(knots: Knots, x: ir.Node | None = None) -> ir.Node:
    """The program of x (a float32 variable named x unless given). Outside the interval the
    index is clamped, so the end pieces extrapolate."""
    x = ir.var("x", F32) if x is None else x
    index = knots.layout.program(x)
    if knots.mapping is not None:
        index = ir.table(index, [int(i) for i in knots.mapping], F32)
    pieces = knots.pieces

    def column(values) -> ir.Node:
        if len(set(values)) == 1:
            return ir.const(values[0], F32)
        return ir.table(index, list(values), F32)

    x0 = [p.x0 for p in pieces]
    t = x if set(x0) == {0.0} else ir.apply("sub", x, column(x0))
    degree = len(pieces[0].coeffs) - 3       # c0..c_d, B, H (fit.evaluate)
    acc = column([p.coeffs[degree] for p in pieces])
    for k in range(degree - 1, -1, -1):
        acc = ir.apply("fma", acc, t, column([p.coeffs[k] for p in pieces]))
    lead = [p.coeffs[-2] for p in pieces]
    if set(lead) != {0.0}:
        acc = ir.apply("fma", t, column(lead), acc)
    head = [p.coeffs[-1] for p in pieces]
    if set(head) != {0.0}:
        acc = ir.apply("add", acc, column(head))
    scale = pieces[0].scale
    return ir.apply("mul", acc, ir.const(2.0 ** -scale, F32)) if scale else acc
