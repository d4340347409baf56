"""Constant folding: every subexpression without variables or parameters becomes one constant.

This is part of the language's semantics (see exact.py), so it runs at every -O level.
"""
from __future__ import annotations

from fractions import Fraction

import numpy as np
from typing import Sequence

from .. import ir, ops
from ..dtypes import is_int
from ..exact import fold_values, ieee_eval
from ..numbers import round_value, to_value
from ..npbits import table_lookup


def fold_node(node: ir.Node, args: Sequence[ir.Node]) -> ir.Node:
    """node rebuilt over args, folded to a constant when all args are constants."""
    if not node.args:
        if node.op in ir.LEAVES:
            return node
        op = ops.REGISTRY[node.op]            # a named constant such as pi
        return ir.const(fold_values(op, [], node.dtype), node.dtype)
    if all(a.op == ir.CONST for a in args):
        if node.op == "table" or any(is_int(x.dtype) for x in (node, *args)):
            return _fold_bits(node, args)
        value = fold_values(ops.REGISTRY[node.op], [a.value for a in args], node.dtype)
        return ir.const(value) if isinstance(value, bool) else ir.const(value, node.dtype)
    return ir.rebuild(node, args)


def _fold_bits(node: ir.Node, args: Sequence[ir.Node]) -> ir.Node:
    """An integer, bit or table op on constants: computed exactly as the numpy oracle does."""
    vals = [np.bool_(a.value) if a.dtype == "bool" else round_value(a.value, a.dtype) for a in args]
    with np.errstate(all="ignore"):
        r = (table_lookup(node.value, node.dtype, vals[0]) if node.op == "table"
             else ops.REGISTRY[node.op].numpy(*vals))
    r = np.asarray(r)
    if node.dtype == "bool":
        return ir.const(bool(r))
    if is_int(node.dtype):
        return ir.const(int(r), node.dtype)
    return ir.const(to_value(float(r)), node.dtype)


FINE_BITS = 704
ILL_CONDITIONED_BITS = 100   # coarse and fine agreeing in fewer leading bits: no exact value


def fold(roots: Sequence[ir.Node]) -> list[ir.Node]:
    """Fold every constant subtree. Subtrees with irrational steps are evaluated both at the
    default precision and at FINE_BITS: where the results round differently the finer one
    wins, and a result that shrinks by far more than the precision gained (an exact zero such
    as sin(pi), seen through approximations of pi) becomes an exact zero; one whose leading
    bits change with the precision (a pole: tan(pi/2)) is what the kernel computes on the
    rounded arguments."""
    coarse_of: dict[int, object] = {}   # const nodes made here from irrational steps
    fine_of: dict[int, object] = {}

    def step(node: ir.Node, args: Sequence[ir.Node]) -> ir.Node:
        folded = fold_node(node, args)
        if folded.op != ir.CONST or folded is node or node.op == ir.CONST:
            return folded
        op = ops.REGISTRY[node.op]
        irrational = op.kind == ops.NULLARY or any(id(a) in fine_of for a in args) or op.mp is not None
        if not irrational or isinstance(folded.value, bool) and op.kind != ops.COMPARE:
            return folded
        coarse = fold_values(op, [coarse_of.get(id(a), a.value) for a in args], node.dtype)
        fine = fold_values(op, [fine_of.get(id(a), a.value) for a in args], node.dtype, FINE_BITS)
        if isinstance(fine, bool) or fine == coarse:
            chosen = fine
        elif (isinstance(fine, Fraction) and isinstance(coarse, Fraction)
              and (coarse == 0 or fine == 0 or abs(fine) * 2 ** 128 < abs(coarse))):
            chosen = coarse = fine = Fraction(0)       # cancellation to an exact zero
        elif (isinstance(fine, Fraction) and isinstance(coarse, Fraction)
              and abs(fine - coarse) * 2 ** ILL_CONDITIONED_BITS > abs(fine)):
            # more precision changes the leading bits: a pole such as tan(pi/2), whose exact
            # value does not exist; the kernel's value on the rounded argument is the answer
            chosen = coarse = fine = ieee_eval(op, [a.value for a in args], node.dtype)
        else:
            chosen = fine
        result = ir.const(chosen) if isinstance(chosen, bool) else ir.const(chosen, node.dtype)
        if not isinstance(chosen, bool):
            coarse_of[id(result)], fine_of[id(result)] = coarse, fine
        return result

    return ir.transform(list(roots), step)


def fold_where_needed(root: ir.Node) -> ir.Node:
    """The same result as fold([root])[0], visiting only the paths that lead to constant
    subtrees (node flags): cheap for the many expressions that have none."""
    if not root.flags & ir.FOLDABLE:
        return root
    memo: dict[int, ir.Node] = {}
    stack = [(root, False)]
    while stack:
        n, done = stack.pop()
        if id(n) in memo:
            continue
        if n.flags & ir.CONSTANT_ONLY:
            memo[id(n)] = fold([n])[0]
            continue
        if not done:
            stack.append((n, True))
            stack.extend((a, False) for a in n.args if a.flags & ir.FOLDABLE and id(a) not in memo)
            continue
        args = tuple(memo.get(id(a), a) for a in n.args)
        memo[id(n)] = n if all(x is y for x, y in zip(args, n.args)) else ir.rebuild(n, args)
    return memo[id(root)]
