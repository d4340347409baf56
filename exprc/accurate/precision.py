"""precision="auto": float64 for the parts of a float32 program that need it, float32 elsewhere.

Why: physics formulas in float32 overflow (c**2 * m**2), underflow (h**2 / m) or cancel
(1 - v**2/c**2) on their own input ranges, though every input and the result fit float32;
computing a few subexpressions in float64 fixes them at a fraction of an all-float64 cost.

Method: sample the ranges and compute exact results (sampling.draw); then greedily move
whole subexpressions to float64 (their operands converted up exactly, their result rounded
once to float32 by to_float32), each step taking the subexpression whose move leaves the
fewest points above the tolerance (ties: the smaller subexpression), until every sampled
point is within it or no move helps. Constants inside a float64 part are rounded once to
float64 from their exact values.
"""
from __future__ import annotations

import numpy as np

from .. import ir
from ..dtypes import BOOL
from .sampling import Sample, draw, evaluate_float

TOLERANCE = 1e-6           # relative error every sampled point should meet (100x inside 1e-4)
MAX_STEPS = 8


def promoted(root: ir.Node, wide: set) -> ir.Node:
    """root (float32) with the nodes whose id is in `wide` computed in float64."""
    narrow_memo: dict[int, ir.Node] = {}
    wide_memo: dict[int, ir.Node] = {}

    def as64(n: ir.Node) -> ir.Node:
        if id(n) in wide_memo:
            return wide_memo[id(n)]
        if n.op == ir.CONST:
            out = n if n.dtype == BOOL else ir.const(n.value, "float64")
        elif not n.args and n.op not in (ir.VAR, ir.PARAM):
            out = ir.nullary(n.op, "float64")
        elif id(n) in wide and n.args:
            out = ir.apply(n.op, *[as64(a) for a in n.args])
        elif n.dtype == BOOL:
            out = as32(n)
        else:
            out = ir.apply("to_float64", as32(n))
        wide_memo[id(n)] = out
        return out

    def as32(n: ir.Node) -> ir.Node:
        if id(n) in narrow_memo:
            return narrow_memo[id(n)]
        if id(n) in wide and n.args:
            w = as64(n)
            out = w if w.dtype == BOOL else ir.apply("to_float32", w)
        elif not n.args:
            out = n
        else:
            out = ir.apply(n.op, *[as32(a) for a in n.args])
        narrow_memo[id(n)] = out
        return out
    return as32(root)


def _subtree(n: ir.Node) -> set:
    return {id(m) for m in ir.topo([n]) if m.args}


def relative_errors(node: ir.Node, sample: Sample) -> np.ndarray:
    """Per point; points whose exact result is subnormal in float32 count as exact (no float32
    result can be relatively close there)."""
    y = evaluate_float(node, sample.columns, "float32").astype(np.float64)
    exact = np.array([float(v) for v in sample.exact])
    tiny = float(np.finfo(np.float32).tiny)
    y = np.where(np.abs(exact) < tiny, exact, y)
    with np.errstate(all="ignore"):
        err = np.abs(y - exact) / np.where(exact == 0, 1.0, np.abs(exact))
    return np.where(np.isfinite(err), err, np.inf)


def _score(err: np.ndarray, tol: float) -> tuple:
    return (int(np.count_nonzero(err > tol)), float(np.mean(np.log2(np.minimum(err, 1e300) + 2 ** -60))))


def auto_precision(expr, ranges: dict | None = None, *, points: int = 1024, seed: int = 0,
                   tolerance: float = TOLERANCE, sample: Sample | None = None) -> ir.Node:
    """expr as a float32 program with float64 where its float32 evaluation fails on ranges
    {name: (lo, hi)} (a variable without one: +-1e37). A float64 expression is returned as is."""
    from ..api import to_node
    node = to_node(expr, "float32") if not isinstance(expr, ir.Node) else expr
    if node.dtype != "float32":
        return node
    variables = list(ir.leaf_names([node], ir.VAR))
    if sample is None:
        try:
            sample = draw(node, variables, ranges or {}, points, "float32", seed=seed)
        except ValueError:
            return node                 # no input with a finite answer: nothing to measure
    candidates = [n for n in ir.topo([node]) if n.args and n.dtype != BOOL]
    wide: set = set()
    best = promoted(node, wide)
    best_score = _score(relative_errors(best, sample), tolerance)
    for _ in range(MAX_STEPS):
        if best_score[0] == 0:
            break
        step = None
        for n in candidates:
            if id(n) in wide:
                continue
            trial = wide | _subtree(n)
            prog = promoted(node, trial)
            s = _score(relative_errors(prog, sample), tolerance)
            key = (s[0], len(trial), s[1])          # fewest failing points, then least float64
            if s < best_score and (step is None or key < step[0]):
                step = (key, trial, prog, s)
        if step is None:
            break
        _, wide, best, best_score = step
    return best
