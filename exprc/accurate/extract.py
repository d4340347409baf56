"""Error-aware extraction: from each e-class, the terms that compute it most accurately.

Why not egglog's own extraction: its costs are static per node, and accuracy is a property of
a whole term on the inputs. Every class of the e-graph denotes one real function, so each
class gets an exact reference on the sample (from the input's own subterm where the class has
one, since real-only rules may equate terms that differ outside their domain); then, bottom
up, each class keeps a small pool of candidate terms evaluated op by op in the dtype, scored
by bits of error against that reference. Pools are chosen under several weightings of the
sample (all points, and each half of every variable's range), so that the root's pool holds
terms that are best on part of the inputs too, which regime inference then combines.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np

from .. import ir, ops
from ..dtypes import BOOL
from ..exact import fold_values
from ..numbers import round_value
from .egraph import EGraph
from .sampling import MAX_BITS, Sample, bits_of_error, mp_evaluate, mp_leaf, mp_op, mp_to_float

POOL_PER_WEIGHT = 2
MAX_PASSES = 8


@dataclass
class Candidate:
    node: ir.Node
    values: np.ndarray         # the term evaluated in the dtype on the sample
    bits: np.ndarray           # bits of error per point against its class's reference
    cost: int


class OutOfTime(Exception):
    """The time limit passed before every class had its references."""


def references(g: EGraph, root: ir.Node, sample: Sample, deadline: float = math.inf) -> dict:
    """Exact value per class per point (mpf, bool or None), for every class computable from
    the leaves; classes of input subterms take the input's own value."""
    import mpmath
    trusted = {}
    for n in ir.topo([root]):
        trusted.setdefault(g.subterms[id(n)], n)
    done = set(trusted)
    plan = []                       # (class, enode) in an order where kids come first
    changed = True
    while changed:
        changed = False
        for cls, nodes in g.classes.items():
            if cls in done:
                continue
            for en in nodes:
                if all(k in done for k in en.kids):
                    plan.append((cls, en))
                    done.add(cls)
                    changed = True
                    break
    refs = {cls: [None] * sample.size for cls in done}
    for k in range(sample.size):
        if k % 16 == 15 and time.perf_counter() > deadline:
            raise OutOfTime()
        point = {v: sample.columns[v][k] for v in sample.variables}
        memo: dict = {}
        mp_evaluate(root, point, sample.precision[k], memo)
        for cls, n in trusted.items():
            refs[cls][k] = memo[id(n)]
        with mpmath.workprec(sample.precision[k]):
            for cls, en in plan:
                refs[cls][k] = _mp_enode(en, [refs[c][k] for c in en.kids], point)
    return refs


def _mp_enode(en, args, point):
    if en.leaf is not None:
        return mp_leaf(en.leaf, point)
    if not en.kids:                                 # pi, e
        return +mp_leaf(ir.nullary(en.op), point)
    return mp_op(en.op, args)


def _reference_arrays(refs: dict, dtype: str) -> dict:
    """Per class: (reference rounded to dtype, valid mask, is_bool)."""
    out = {}
    for cls, vals in refs.items():
        is_bool = any(isinstance(v, bool) for v in vals)
        valid = np.array([v is not None for v in vals])
        if is_bool:
            arr = np.array([bool(v) if v is not None else False for v in vals])
        else:
            with np.errstate(all="ignore"):
                arr = np.array([mp_to_float(v, dtype) if v is not None else np.nan for v in vals], dtype=dtype)
        out[cls] = (arr, valid, is_bool)
    return out


class Extractor:
    """Bottom-up candidate pools over an e-graph, scored on a sample."""

    def __init__(self, g: EGraph, refs: dict, sample: Sample, weights: np.ndarray):
        self.g, self.sample, self.dtype = g, sample, sample.dtype
        self.ref = _reference_arrays(refs, sample.dtype)
        self.weights = weights                          # [n_weightings, n_points]
        self.pools: dict = {}
        self.cache: dict = {}

    def score(self, cand: Candidate, w: np.ndarray) -> float:
        return float(np.dot(cand.bits, w) / max(w.sum(), 1e-300))

    def _bits(self, cls, values) -> np.ndarray:
        ref, valid, is_bool = self.ref[cls]
        if is_bool:
            bits = np.where(np.asarray(values, dtype=bool) != ref, MAX_BITS[self.dtype], 0.0)
        else:
            bits = bits_of_error(values, ref, self.dtype)
        return np.where(valid, bits, 0.0)

    def _leaf(self, cls, en) -> Candidate | None:
        n = self.sample.size
        node = en.leaf if en.leaf is not None else ir.nullary(en.op, self.dtype)
        if node.op == ir.VAR:
            vals = self.sample.columns[node.value]
        elif node.op == ir.CONST:
            vals = np.full(n, round_value(node.value, self.dtype), dtype=self.dtype)
        elif node.op == ir.PARAM:
            return None
        else:
            v = round_value(fold_values(ops.REGISTRY[node.op], [], self.dtype), self.dtype)
            vals = np.full(n, v, dtype=self.dtype)
        return Candidate(node, vals, self._bits(cls, vals), 0)

    def _apply(self, cls, en, kids: list[Candidate]) -> Candidate | None:
        key = (en.op, tuple(id(k.node) for k in kids))
        hit = self.cache.get(key)
        if hit is not None:
            return hit
        op = ops.REGISTRY[en.op]
        try:
            node = ir.apply(en.op, *[k.node for k in kids])
        except Exception:
            return None
        with np.errstate(all="ignore"):
            vals = op.numpy(*[k.values for k in kids])
        vals = np.asarray(vals)
        if vals.dtype != np.bool_:
            vals = vals.astype(self.dtype, copy=False)
        vals = np.broadcast_to(vals, (self.sample.size,))
        cand = Candidate(node, vals, self._bits(cls, vals), op.cost + sum(k.cost for k in kids))
        self.cache[key] = cand
        return cand

    def _select(self, cands: list[Candidate]) -> list[Candidate]:
        unique = {id(c.node): c for c in cands}
        cands = list(unique.values())
        keep: dict[int, Candidate] = {}
        for w in self.weights:
            ranked = sorted(cands, key=lambda c: (round(self.score(c, w), 6), c.cost))
            for c in ranked[:POOL_PER_WEIGHT]:
                keep[id(c.node)] = c
        return list(keep.values())

    def run(self, deadline: float = math.inf) -> dict:
        """Pools per class; passes repeat until nothing changes (or the deadline: the pools of
        the last full pass are kept)."""
        classes = [c for c in self.g.classes if c in self.ref]
        for _ in range(MAX_PASSES):
            if self.pools and time.perf_counter() > deadline:
                break
            changed = False
            for cls in classes:
                cands = list(self.pools.get(cls, ()))
                for en in self.g.classes[cls]:
                    if not en.kids:
                        c = self._leaf(cls, en)
                        if c is not None:
                            cands.append(c)
                        continue
                    if not all(k in self.pools for k in en.kids):
                        continue
                    for w in self.weights:
                        kids = [min(self.pools[k], key=lambda c: (self.score(c, w), c.cost)) for k in en.kids]
                        c = self._apply(cls, en, kids)
                        if c is not None:
                            cands.append(c)
                pool = self._select(cands)
                if {id(c.node) for c in pool} != {id(c.node) for c in self.pools.get(cls, ())}:
                    self.pools[cls] = pool
                    changed = True
            if not changed:
                break
        return self.pools

    def candidate(self, cls, node: ir.Node) -> Candidate:
        """Any term of the class's function (a series, the input) scored like the pool."""
        from .sampling import evaluate_float
        vals = evaluate_float(node, self.sample.columns, self.dtype)
        return Candidate(node, vals, self._bits(cls, vals), program_cost(node))


def program_cost(node: ir.Node) -> int:
    return sum(ops.REGISTRY[n.op].cost for n in ir.topo([node]) if n.args and n.op in ops.REGISTRY)


def weightings(sample: Sample) -> np.ndarray:
    """All points alike, then each half (by rank) of every variable's values."""
    n = sample.size
    rows = [np.ones(n)]
    for v in sample.variables:
        rank = np.argsort(np.argsort(sample.columns[v], kind="stable"), kind="stable")
        low = (rank < n // 2).astype(float)
        rows += [low, 1.0 - low]
    return np.array(rows)


__all__ = ["Candidate", "Extractor", "references", "weightings", "program_cost", "BOOL"]
