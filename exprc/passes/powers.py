"""Integer powers to multiplications.

Strict mode keeps pow except for x**2 and x**-1 (exact, in rules.py): x**3 as x*x*x rounds
twice, so it is a fast-math rewrite. Under fast-math, x**n for integer |n| <= 32 becomes a
binary-powering chain of at most 2*log2(n) multiplications (and one division if n < 0).
"""
from __future__ import annotations

from fractions import Fraction
from typing import Sequence

from .. import ir
from ..dtypes import BOOL
from .fold import fold_node

MAX_EXPONENT = 32


def power_chain(x: ir.Node, n: int) -> ir.Node:
    """x**n for n >= 1 by binary powering."""
    result = None
    base = x
    while n:
        if n & 1:
            result = base if result is None else ir.apply("mul", result, base)
        n >>= 1
        if n:
            base = ir.apply("mul", base, base)
    return result


def integer_powers(roots: Sequence[ir.Node]) -> list[ir.Node]:
    def step(node: ir.Node, args) -> ir.Node:
        n = fold_node(node, args)
        if n.op != "pow" or n.args[1].op != ir.CONST or n.args[1].dtype == BOOL:
            return n
        e = n.args[1].value
        if not isinstance(e, Fraction) or e.denominator != 1 or not 1 <= abs(e) <= MAX_EXPONENT:
            return n
        chain = power_chain(n.args[0], abs(int(e)))
        return chain if e > 0 else ir.apply("div", ir.const(1, n.dtype), chain)
    return ir.transform(list(roots), step)
