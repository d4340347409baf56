"""Reverse-mode derivatives as IR, from the registry's derivative templates.

Why IR and not numbers: constant fitting needs d(loss)/d(parameter) compiled into the same
kernel as the loss, sharing subexpressions with it; hash-consing does the sharing.
Only nodes that depend on a differentiated leaf receive adjoints, so x**3 never asks for
log(3) and constant subtrees cost nothing.
"""
from __future__ import annotations

from typing import Sequence

from . import ir, ops
from .errors import ExprcError
from .passes.rewrite import instantiate

_TEMPLATES: dict[tuple[str, int], ir.Node] = {}


def _template(opname: str, k: int) -> ir.Node | None:
    key = (opname, k)
    if key not in _TEMPLATES:
        from .parser import parse
        rule = ops.REGISTRY[opname].deriv
        text = rule[k] if rule is not None else None
        _TEMPLATES[key] = parse(text) if text and not text.startswith("!") else None
    return _TEMPLATES[key]


def _leaf_key(n: ir.Node) -> str | None:
    if n.op == ir.VAR:
        return n.value
    if n.op == ir.PARAM:
        return "$" + n.value
    return None


def gradients(outputs: Sequence[ir.Node], seeds: Sequence[ir.Node], wrt: Sequence[ir.Node]) -> list[ir.Node]:
    """sum_k seeds[k] * d outputs[k] / d w for each leaf w in wrt (reverse mode over the DAG)."""
    order = ir.topo(list(outputs))
    targets = {id(w) for w in wrt}
    active: set[int] = set()
    for n in order:   # forward: which nodes depend on a target leaf
        if id(n) in targets or any(id(a) in active for a in n.args):
            active.add(id(n))
    adj: dict[int, ir.Node] = {}
    for o, s in zip(outputs, seeds):
        if id(o) in active:
            adj[id(o)] = ir.apply("add", adj[id(o)], s) if id(o) in adj else s
    for n in reversed(order):
        g = adj.get(id(n))
        if g is None or not n.args:
            continue
        op = ops.REGISTRY[n.op]
        dtype = n.dtype if n.dtype != "bool" else "float64"
        for k, a in enumerate(n.args):
            if id(a) not in active:
                continue
            if op.deriv is None:
                if a.dtype == "bool":
                    continue
                raise ExprcError(f"{n.op} has no derivative (it is piecewise constant); "
                                 "its argument depends on a differentiated leaf")
            rule = op.deriv[k]
            if rule and rule.startswith("!"):
                raise ExprcError(rule[1:] + "; its argument depends on a differentiated leaf")
            t = _template(n.op, k)
            if t is None:
                continue
            binding = {"g": g, "y": n}
            binding.update(zip("abc", n.args))
            contrib = instantiate(t, binding, dtype)
            adj[id(a)] = ir.apply("add", adj[id(a)], contrib) if id(a) in adj else contrib
    zero = lambda w: ir.const(0, w.dtype)   # noqa: E731
    return [adj.get(id(w), zero(w)) for w in wrt]


def grad(expr: ir.Node, wrt: Sequence[str] | None = None, simplify: bool = True) -> list[ir.Node]:
    """d expr / d name for each name in wrt: variable names, or parameter names ("a" or "$a").
    Default: every variable, then every parameter."""
    if wrt is None:
        wrt = list(expr.variables) + ["$" + p for p in expr.parameters]
    leaves = []
    for name in wrt:
        if name.startswith("$"):
            leaves.append(ir.param(name[1:], expr.dtype))
        elif name in expr.parameters and name not in expr.variables:
            leaves.append(ir.param(name, expr.dtype))
        else:
            leaves.append(ir.var(name, expr.dtype))
    out = gradients([expr], [ir.const(1, expr.dtype)], leaves)
    if simplify:
        from .passes import optimize
        out = optimize(out, level=1)
    return out
