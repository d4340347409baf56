"""Editing expressions as trees: the variation operators of the search drivers work here.

Positions are paths of argument indices from the root, so an edit rebuilds only the nodes on
the path (everything else is shared through hash-consing). Parameters ($p0, $p1, ...) carry
the constants a search fits; renumber() keeps them in order of first appearance.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from exprc import ir

Path = tuple[int, ...]


def positions(node: ir.Node, max_count: int = 100_000) -> list[tuple[Path, ir.Node]]:
    """Every (path, subtree) of the tree, root first (pre-order)."""
    out = []
    stack = [((), node)]
    while stack and len(out) < max_count:
        path, n = stack.pop()
        out.append((path, n))
        for k in range(len(n.args) - 1, -1, -1):
            stack.append((path + (k,), n.args[k]))
    return out


def get(node: ir.Node, path: Path) -> ir.Node:
    for k in path:
        node = node.args[k]
    return node


def replace(node: ir.Node, path: Path, new: ir.Node) -> ir.Node:
    """node with the subtree at path replaced by new (only the path is rebuilt)."""
    if not path:
        return new
    spine = [node]
    for k in path[:-1]:
        spine.append(spine[-1].args[k])
    for parent, k in zip(reversed(spine), reversed(path)):
        args = list(parent.args)
        args[k] = new
        new = ir.rebuild(parent, args)
    return new


def renumber(node: ir.Node, values: dict[str, float], prefix: str = "p", default: float = 1.0,
             dtype: str | None = None) -> tuple[ir.Node, np.ndarray]:
    """Rename parameters to $p0, $p1, ... in order of first appearance; returns the node and
    the parameter values in that order (names missing from values get default)."""
    dtype = dtype or node.dtype
    names = node.parameters
    mapping = {old: ir.param(f"{prefix}{k}", dtype) for k, old in enumerate(names)}
    renamed = ir.substitute([node], mapping, kind=ir.PARAM)[0] if names else node
    vals = np.array([values.get(old, default) for old in names], dtype=np.float64)
    return renamed, vals


def fresh_param(node: ir.Node, dtype: str, prefix: str = "p") -> ir.Node:
    """A parameter whose name the node does not use yet."""
    used = set(node.parameters)
    k = 0
    while f"{prefix}{k}" in used:
        k += 1
    return ir.param(f"{prefix}{k}", dtype)


def random_position(node: ir.Node, rng: np.random.Generator, ops_only: bool = False) -> tuple[Path, ir.Node] | None:
    pos = positions(node)
    if ops_only:
        pos = [(p, n) for p, n in pos if n.args]
    if not pos:
        return None
    return pos[int(rng.integers(len(pos)))]


def crossover(a: ir.Node, b: ir.Node, rng: np.random.Generator) -> ir.Node:
    """a with one of its subtrees replaced by a random subtree of b."""
    pa, _ = random_position(a, rng)
    _, sb = random_position(b, rng)
    return replace(a, pa, sb)


def depth(node: ir.Node) -> int:
    best, stack = 0, [(node, 1)]
    while stack:
        n, d = stack.pop()
        best = max(best, d)
        stack.extend((a, d + 1) for a in n.args)
    return best


def count_params(nodes: Sequence[ir.Node]) -> int:
    return sum(len(n.parameters) for n in nodes)
