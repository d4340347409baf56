"""A piecewise approximation as one exprc program in its dtype (float32 or float64): cell index from x, piece index by a
table when knots are adaptive, knot and coefficients by tables, Horner in fma (fit.evaluate is
the same op sequence in numpy for float32; float64 pieces are judged by this program itself)."""
from __future__ import annotations

from exprc import ir

from .knots import Knots


def build(knots: Knots, x: ir.Node | None = None) -> ir.Node:
    """The program of x (a variable named x of the layout's dtype unless given). Outside the
    interval the index is clamped, so the end pieces extrapolate."""
    dtype = knots.layout.dtype
    x = ir.var("x", dtype) if x is None else x
    index = knots.layout.program(x)
    if knots.mapping is not None:
        index = ir.table(index, [int(i) for i in knots.mapping], dtype)
    pieces = knots.pieces

    def column(values) -> ir.Node:
        if len(set(values)) == 1:
            return ir.const(values[0], dtype)
        return ir.table(index, list(values), dtype)

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
    return ir.apply("mul", acc, ir.const(2.0 ** -scale, dtype)) if scale else acc
