"""IR to infix text that parses back to the same node (up to constant folding).

Why: str(node) is how expressions are shown, stored in JSON and passed between processes, so
it must be exact: constants print as their exact decimal (or exact ratio) and parentheses are
inserted exactly where the grammar's precedence would otherwise change the tree.
"""
from __future__ import annotations

from collections import Counter

from . import ops
from .ir import CONST, PARAM, VAR, Node, topo
from .numbers import format_value, shortest_repr

ATOM = 6
UNARY = 4


def _const_text(node: Node, pretty: bool) -> tuple[str, int]:
    v = node.value
    if pretty and not isinstance(v, bool):
        text = shortest_repr(v, node.dtype)
    else:
        text = format_value(v)
    return text, (UNARY if text.startswith("-") else ATOM)


def to_text(root: Node, pretty: bool = False) -> str:
    """Infix text for root. pretty=True shows constants as the shortest decimal of their dtype value."""
    order = topo([root])
    uses = Counter(id(a) for n in order for a in n.args)
    done: dict[int, tuple[str, int]] = {}

    def take(child: Node, need: int) -> str:
        text, prec = done[id(child)]
        uses[id(child)] -= 1
        if uses[id(child)] == 0:
            del done[id(child)]   # free text of children nobody else needs
        return text if prec >= need else f"({text})"

    for n in order:
        if n.op == VAR:
            done[id(n)] = (n.value, ATOM)
        elif n.op == PARAM:
            done[id(n)] = ("$" + n.value, ATOM)
        elif n.op == CONST:
            done[id(n)] = _const_text(n, pretty)
        else:
            op = ops.REGISTRY[n.op]
            if op.kind == ops.NULLARY:
                done[id(n)] = (n.op, ATOM)
            elif op.infix and op.arity == 1:
                inner = take(n.args[0], UNARY)
                done[id(n)] = (op.infix + inner, UNARY)
            elif op.infix == "**":
                left = take(n.args[0], ATOM)
                right = take(n.args[1], UNARY)
                done[id(n)] = (f"{left}**{right}", op.prec)
            elif op.infix:
                p = op.prec
                left_need = p if op.kind != ops.COMPARE else p + 1
                left = take(n.args[0], left_need)
                right = take(n.args[1], p + 1)
                done[id(n)] = (f"{left} {op.infix} {right}", p)
            elif n.op == "table":
                entries = ", ".join(format_value(v) for v in n.value)
                done[id(n)] = (f"table({take(n.args[0], 0)}, {entries})", ATOM)
            else:
                args = ", ".join(take(a, 0) for a in n.args)
                done[id(n)] = (f"{n.op}({args})", ATOM)
    return done[id(root)][0]
