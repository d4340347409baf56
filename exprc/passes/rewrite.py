"""A small pattern-rewrite engine: rules are data, written as exprc text (after tinygrad's
PatternMatcher). A pattern's variables capture subtrees (the same name must capture the same
node); its constants match constants that round to the same value in the node's dtype.
Commutative ops match in either order.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Sequence

import numpy as np

from .. import ir, ops
from ..dtypes import BOOL
from ..numbers import round_value
from .fold import fold, fold_node

Binding = dict


@dataclass(frozen=True)
class Rule:
    """pattern -> replacement. exact: valid under strict IEEE semantics (else fast-math only)."""
    pattern: str
    replacement: str | Callable[[Binding, ir.Node], ir.Node]
    exact: bool = True
    guard: Callable[[Binding], bool] | None = None
    why: str = ""
    constants: tuple[str, ...] = ()       # pattern variables that match only a number
    _compiled: list = field(default_factory=list, compare=False, repr=False)

    def compiled(self):
        if not self._compiled:
            from ..parser import parse
            pat = fold([parse(self.pattern)])[0]
            rep = fold([parse(self.replacement)])[0] if isinstance(self.replacement, str) else None
            self._compiled.extend([pat, rep])
        return self._compiled[0], self._compiled[1]


def _bits(node: ir.Node):
    if node.dtype == BOOL:
        return ("b", bool(node.value))
    x = round_value(node.value, node.dtype)
    return ("f", np.asarray(x).tobytes())


def _const_matches(pat: ir.Node, node: ir.Node) -> bool:
    if node.op != ir.CONST or (pat.dtype == BOOL) != (node.dtype == BOOL):
        return False
    if node.dtype == BOOL:
        return bool(pat.value) == bool(node.value)
    return _bits(ir.const(pat.value, node.dtype)) == _bits(node)


def _is_condition_variable(pat: ir.Node) -> bool:
    """A pattern variable written as a condition (where(c, ...)) parses as c != 0."""
    return (pat.op == "ne" and pat.args[0].op == ir.VAR and pat.args[1].op == ir.CONST
            and pat.args[1].value == 0)


def match(pat: ir.Node, node: ir.Node, binding: Binding) -> Binding | None:
    if node.dtype == BOOL and _is_condition_variable(pat):
        pat = pat.args[0]      # it captures any boolean node
    if pat.op == ir.VAR:
        bound = binding.get(pat.value)
        if bound is None:
            return {**binding, pat.value: node}
        return binding if bound is node else None
    if pat.op == ir.CONST:
        return binding if _const_matches(pat, node) else None
    if pat.op != node.op or len(pat.args) != len(node.args):
        return None
    orders = [node.args]
    if ops.REGISTRY[pat.op].commutative and node.args[0] is not node.args[1]:
        orders.append((node.args[1], node.args[0]) + node.args[2:])
    for args in orders:
        b = binding
        for p, a in zip(pat.args, args):
            b = match(p, a, b)
            if b is None:
                break
        else:
            return b
    return None


def instantiate(template: ir.Node, binding: Binding, dtype: str) -> ir.Node:
    """The template with its variables replaced by the bound nodes and its constants typed to
    dtype. A template variable used as a condition (parsed as `v != 0`) that is bound to a
    boolean node is replaced by that node directly."""
    def step(n: ir.Node, args) -> ir.Node:
        if n.op == ir.VAR:
            return binding[n.value]
        if n.op == ir.CONST:
            return n if n.dtype == BOOL else ir.const(n.value, dtype)
        if (n.op == "ne" and n.args[0].op == ir.VAR and n.args[1].op == ir.CONST
                and binding.get(n.args[0].value) is not None and binding[n.args[0].value].dtype == BOOL):
            return binding[n.args[0].value]
        return ir.rebuild(n, args)
    return ir.transform([template], step)[0]


def _index(rules: Sequence[Rule]) -> dict[str, list[Rule]]:
    table: dict[str, list[Rule]] = {}
    for r in rules:
        table.setdefault(r.compiled()[0].op, []).append(r)
    return table


def rewrite(roots: Sequence[ir.Node], rules: Sequence[Rule], max_rounds: int = 8) -> list[ir.Node]:
    """Apply rules bottom-up until nothing changes (constants refold after every rewrite)."""
    table = _index(rules)

    def step(node: ir.Node, args) -> ir.Node:
        n = fold_node(node, args)
        for _ in range(16):   # a node may be rewritten a few times in a row
            for rule in table.get(n.op, ()):
                pat, rep = rule.compiled()
                b = match(pat, n, {})
                if b is None or (rule.guard is not None and not rule.guard(b)):
                    continue
                if any(b[v].op != ir.CONST or b[v].dtype == BOOL for v in rule.constants):
                    continue
                float_dtype = n.dtype if n.dtype != BOOL else "float64"
                new = rep_node = (instantiate(rep, b, float_dtype) if rep is not None
                                  else rule.replacement(b, n))
                if rep_node.dtype != n.dtype:
                    continue   # a rule must never change a node's type
                n = fold([new])[0]
                break
            else:
                return n
        return n

    current = list(roots)
    for _ in range(max_rounds):
        new = ir.transform(current, step)
        if all(a is b for a, b in zip(new, current)):
            break
        current = new
    return current
