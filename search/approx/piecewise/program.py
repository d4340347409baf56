"""A piecewise approximation as one exprc float32 program: cell index from x, piece index by a
table when knots are adaptive, knot and coefficients by tables, Horner in fma (fit.evaluate is
the same op sequence in numpy)."""
from __future__ import annotations

from exprc import ir

from .fit import ZERO_SCALE
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
    scale = scale_of(knots)
    up = (lambda v: v) if not scale else (lambda v: ir.apply("mul", v, ir.const(2.0 ** scale, F32)))
    degree = len(pieces[0].coeffs) - 3       # c0..c_d, B, H (fit.evaluate)
    c0 = [p.coeffs[0] * 2.0 ** scale for p in pieces]
    if degree == 0:
        acc = column(c0)
    else:
        ts = up(t)
        acc = column([p.coeffs[degree] for p in pieces])
        for k in range(degree - 1, 0, -1):
            acc = ir.apply("fma", acc, t, column([p.coeffs[k] for p in pieces]))
        acc = ir.apply("fma", acc, ts, column(c0))
        lead = [p.coeffs[-2] for p in pieces]
        if set(lead) != {0.0}:
            acc = ir.apply("fma", ts, column(lead), acc)
    head = [p.coeffs[-1] * 2.0 ** scale for p in pieces]
    if set(head) != {0.0}:
        acc = ir.apply("add", acc, column(head))
    return ir.apply("mul", acc, ir.const(2.0 ** -scale, F32)) if scale else acc


def scale_of(knots: Knots) -> int:
    """fit.ZERO_SCALE when a piece is in the zero form and nothing scaled can overflow, else 0."""
    if not any(p.form == "zero" for p in knots.pieces):
        return 0
    big = max([abs(c) for p in knots.pieces for c in (p.coeffs[0], p.coeffs[-1])] + [abs(knots.layout.a), abs(knots.layout.b)])
    return ZERO_SCALE if big < 2.0 ** (120 - ZERO_SCALE) else 0
