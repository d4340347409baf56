"""Which nodes only one branch of a `where` needs: the analysis behind branch-skipping selects.

Why: a vector backend evaluates where(c, a, b) for a block of lanes. When no lane of the block
takes branch a, nothing computed only for a is needed, so the backend can jump around it. The
results are those of evaluating every branch, bit for bit: a lane reads a branch only when the
branch was computed for its block, and computing a node never depends on which other nodes
were computed.

A branch is a condition node and a side (1: where it holds, 2: where it does not); every where
with the same (hash-consed) condition shares it, so the work two wheres need on the same
branch (a function's value and its derivative, say) is skipped together. A node belongs to
branch (c, side) when every path from the outputs to it passes through that branch: the
branch dominates it in the use graph where each where reaches its branch argument through the
branch's virtual node. Branches nest, so the result is a tree of regions.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from . import ir, ops

SELECTS = ("where", "lazy_where")
ALWAYS_LAZY = {"lazy_where": (1,)}   # sides skipped whatever their cost (library calls)
MIN_BRANCH_COST = 16                 # registry cost below which a jump costs more than it saves
ROOT = ("root",)


@dataclass
class Regions:
    """order: nodes and branch keys (id(condition), side), arguments first, so that a branch
    comes after everything its work reads and before every where that uses it.
    members[key]: what is computed in that region (None: the top level), in that order; a
    branch key among a region's members is a nested branch. lazy[id(where)]: its sides that
    are branches."""
    order: list
    members: dict = field(default_factory=dict)
    lazy: dict = field(default_factory=dict)
    conds: dict = field(default_factory=dict)      # branch key -> its condition node
    results: dict = field(default_factory=dict)    # branch key -> the nodes wheres read from it


class _Cycle(Exception):
    """A where inside a branch of its own condition: it cannot share that branch."""
    def __init__(self, where_id: int):
        self.where_id = where_id


def _key(n: ir.Node, side: int, private: set) -> tuple:
    return (id(n.args[0]), side, id(n)) if id(n) in private else (id(n.args[0]), side)


def _graph(outputs, sides, private=frozenset()):
    """The use graph with branch nodes: arguments-first order and each item's users."""
    branch_args: dict = {}
    for n in ir.topo(outputs):
        for p in sides.get(id(n), ()):
            branch_args.setdefault(_key(n, p, private), []).append(n.args[p])

    def children(item):
        if isinstance(item, tuple):
            return branch_args[item]
        return [_key(item, p, private) if p in sides.get(id(item), ()) else a for p, a in enumerate(item.args)]
    key = lambda item: item if isinstance(item, tuple) else id(item)      # noqa: E731
    order, seen, open_ = [], set(), set()
    users: dict = {}
    for o in outputs:
        users.setdefault(id(o), []).append(ROOT)
    for root in outputs:
        if id(root) in seen:
            continue
        seen.add(id(root))
        open_.add(id(root))
        stack = [(root, iter(children(root)))]
        while stack:
            item, it = stack[-1]
            for child in it:
                if key(child) in open_:            # where -> its own condition's shared branch
                    raise _Cycle(id(item))
                users.setdefault(key(child), []).append(key(item))
                if key(child) not in seen:
                    seen.add(key(child))
                    open_.add(key(child))
                    stack.append((child, iter(children(child))))
                    break
            else:
                stack.pop()
                open_.discard(key(item))
                order.append(item)
    return order, users, key, branch_args


def _owners(order, users, key) -> dict:
    """key -> the innermost branch that dominates it (None: the top level)."""
    idom: dict = {ROOT: None}
    depth: dict = {ROOT: 0}

    def lca(a, b):
        while a != b:
            if depth[a] < depth[b]:
                a, b = b, a
            a = idom[a]
        return a
    for item in reversed(order):           # users first
        ps = users[key(item)]
        d = ps[0]
        for p in ps[1:]:
            d = lca(d, p)
        idom[key(item)], depth[key(item)] = d, depth[d] + 1
    owner: dict = {}
    for item in reversed(order):
        up = idom[key(item)]
        owner[key(item)] = None if up == ROOT else (up if isinstance(up, tuple) else owner[up])
    return owner


def _build(outputs, sides):
    """The graph and each item's owner. A where nested in a branch of its own condition
    gets branches of its own (sharing would make the graph cyclic)."""
    private: set = set()
    while True:
        try:
            order, users, key, branch_args = _graph(outputs, sides, private)
            return order, _owners(order, users, key), key, branch_args, private
        except _Cycle as c:
            private.add(c.where_id)


def work_cost(roots) -> int:
    """The registry cost of computing roots."""
    return sum(ops.REGISTRY[n.op].cost for n in ir.topo(list(roots)) if n.op in ops.REGISTRY)


def regions(outputs, min_cost: int | None = MIN_BRANCH_COST, hidden_cost: dict | None = None) -> Regions:
    """The branch regions of the DAG of outputs. A branch becomes a region when the work only
    it needs costs at least min_cost (registry costs), or when its select always skips it;
    min_cost None: no branches (every branch evaluated for every row). hidden_cost: id(leaf)
    -> the cost of work a leaf stands for (a backend's float64 part of a float32 program)."""
    hidden_cost = hidden_cost or {}
    outputs = list(outputs)
    candidates = {id(n): (1, 2) for n in ir.topo(outputs) if n.op in SELECTS and min_cost is not None}
    order, owner, key, _, private = _build(outputs, candidates)
    cost: dict = {}
    for item in order:                     # each node's cost, to every branch that holds it
        if isinstance(item, tuple):
            continue
        c = ops.REGISTRY[item.op].cost if item.op in ops.REGISTRY else hidden_cost.get(id(item), 0)
        k = owner[id(item)]
        while k is not None:
            cost[k] = cost.get(k, 0) + c
            k = owner[k]
    keep = {}
    for item in order if min_cost is not None else ():
        if isinstance(item, tuple) or item.op not in SELECTS:
            continue
        forced = ALWAYS_LAZY.get(item.op, ())
        s = tuple(p for p in (1, 2) if p in forced or cost.get(_key(item, p, private), 0) >= min_cost)
        if s:
            keep[id(item)] = s
    order, owner, key, branch_args, private = _build(outputs, keep)
    r = Regions(order=order, lazy=keep)
    r.members[None] = []
    for item in order:
        r.members.setdefault(owner[key(item)], []).append(item)
    for n in ir.topo(outputs):
        for p in keep.get(id(n), ()):
            r.conds[_key(n, p, private)] = n.args[0]
    for k, args in branch_args.items():      # what the branch computes for its wheres
        r.results[k] = list({id(a): a for a in args if owner[id(a)] == k}.values())
    return r
