"""Constant folding: every subexpression without variables or parameters becomes one constant.

This is part of the language's semantics (see exact.py), so it runs at every -O level.
"""
from __future__ import annotations

from typing import Sequence

from .. import ir, ops
from ..exact import fold_values


def fold_node(node: ir.Node, args: Sequence[ir.Node]) -> ir.Node:
    """node rebuilt over args, folded to a constant when all args are constants."""
    if not node.args:
        if node.op in ir.LEAVES:
            return node
        op = ops.REGISTRY[node.op]            # a named constant such as pi
        return ir.const(fold_values(op, [], node.dtype), node.dtype)
    if all(a.op == ir.CONST for a in args):
        value = fold_values(ops.REGISTRY[node.op], [a.value for a in args], node.dtype)
        return ir.const(value) if isinstance(value, bool) else ir.const(value, node.dtype)
    return ir.rebuild(node, args)


def fold(roots: Sequence[ir.Node]) -> list[ir.Node]:
    return ir.transform(list(roots), fold_node)
