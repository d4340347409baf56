"""exprc.improve: the same real function, more accurate in a dtype on given input ranges.

Method (after Herbie): sample inputs over the ranges and compute exact results; saturate an
egglog e-graph of the expression under exprc's accuracy rules (passes/rules.py); extract,
class by class, the terms measured most accurate; add truncated series as candidates; split
the range into regimes where no single candidate wins; keep the result only if it measures
better than the input. Every step is bounded (e-graph size and iterations, series time), and
the input comes back unchanged when nothing beats it.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from .. import ir
from ..passes.fold import fold
from ..passes.rules import ACCURACY_RULES
from . import regimes as regime_mod
from . import series as series_mod
from .egraph import saturate
from .extract import Candidate, Extractor, OutOfTime, program_cost, references, weightings
from .sampling import Sample, bits_of_error, draw, evaluate_float, ulp_errors

MIN_GAIN_BITS = 0.05       # mean bits an answer must gain over the input to replace it


@dataclass
class ErrorStats:
    """Error on the sample: mean bits (Herbie's), max ULP where the result is finite, and how
    many points got a NaN or an infinity for a finite answer."""
    mean_bits: float
    max_ulp: float
    points: int
    nonfinite: int = 0

    def __str__(self) -> str:
        bad = f", NaN/inf at {self.nonfinite} of {self.points} points" if self.nonfinite else ""
        return f"{self.mean_bits:.2f} bits mean, {self.max_ulp:.3g} ULP max{bad}"


@dataclass
class Improvement:
    """What improve found: the answer, the input, and both measured on the same sample."""
    original: ir.Node
    node: ir.Node
    dtype: str
    ranges: dict
    before: ErrorStats
    after: ErrorStats
    cost_before: int
    cost_after: int
    regimes: object = None
    egraph_nodes: int = 0
    egraph_iterations: int = 0
    candidates: int = 0
    seconds: float = 0.0
    notes: list = field(default_factory=list)

    @property
    def improved(self) -> bool:
        return self.node is not self.original


def stats(node: ir.Node, sample: Sample) -> ErrorStats:
    y = evaluate_float(node, sample.columns, sample.dtype)
    bits = bits_of_error(y, sample.exact_floats(), sample.dtype)
    ulps = ulp_errors(y, sample.exact, sample.dtype)
    finite = ulps[np.isfinite(ulps)]
    return ErrorStats(float(bits.mean()), float(finite.max()) if finite.size else 0.0, sample.size,
                      int(ulps.size - finite.size))


def improve_report(expr, dtype: str = "float64", ranges: dict | None = None, *, points: int = 256,
                   seed: int = 0, iterations: int = 6, node_limit: int = 4000, series: bool = True,
                   time_limit: float = 30.0) -> Improvement:
    """Improve expr (text, node, sympy) for dtype on ranges {name: (lo, hi)} (a variable
    without one: +-1e300 in float64, +-1e37 in float32) and say how it measured."""
    from ..api import to_node
    from ..dtypes import normalize_dtype
    from ..errors import ExprcError
    start = time.perf_counter()
    d = normalize_dtype(dtype)
    node = to_node(expr, d)
    if ir.leaf_names([node], ir.PARAM):
        raise ExprcError("improve needs every input as a variable with a range: bind parameters first")
    if node.dtype == "bool":
        raise ExprcError("improve works on numeric expressions, not conditions")
    if points < 1:
        raise ExprcError("improve needs at least one sample point")
    variables = list(ir.leaf_names([node], ir.VAR))
    unknown = set(ranges or {}) - set(variables)
    if unknown:
        raise ExprcError(f"ranges name {', '.join(sorted(unknown))}, not variables of the expression")
    sample = draw(node, variables, ranges or {}, points, d, seed=seed)
    before = stats(node, sample)
    expansions = series_mod.candidates(node, d, seconds_each=min(1.0, time_limit / 30)) if series else []
    g = saturate([node], ACCURACY_RULES, iterations=iterations,
                 node_limit=node_limit, time_limit=max(1.0, time_limit / 4))
    deadline = start + time_limit
    try:
        refs = references(g, node, sample, deadline)
    except OutOfTime:
        return Improvement(node, node, d, dict(ranges or {}), before, before, program_cost(node),
                           program_cost(node), None, g.size, g.iterations, 0, time.perf_counter() - start,
                           [f"time limit ({time_limit:g} s) reached before any candidate was scored"])
    ex = Extractor(g, refs, sample, weightings(sample))
    pools = ex.run(deadline)
    root = g.roots[0]
    cands: list[Candidate] = list(pools.get(root, ()))
    cands.append(ex.candidate(root, node))
    notes = []
    if g.unsound_at:
        notes.append(f"e-graph iteration {g.unsound_at} equated different leaves and was undone")
    for s in expansions:
        try:
            cands.append(ex.candidate(root, fold([s])[0]))
        except Exception:
            continue
    cands = _distinct(cands)
    bits = np.array([c.bits for c in cands])
    means = bits.mean(axis=1)
    best_i = min(range(len(cands)), key=lambda i: (round(float(means[i]), 6), cands[i].cost))
    answer = cands[best_i].node
    chosen_regimes = None
    order = np.argsort(means)[:12]
    reg = regime_mod.infer(bits[order], sample.columns, d)
    if reg is not None and reg.mean_bits + regime_mod.PENALTY_BITS * (len(reg.choice) - 1) < means[best_i]:
        reg.choice = [int(order[c]) for c in reg.choice]
        answer = regime_mod.build(reg, [c.node for c in cands], d)
        chosen_regimes = reg
    answer = fold([answer])[0]
    after = stats(answer, sample)
    if not (after.mean_bits < before.mean_bits - MIN_GAIN_BITS and after.nonfinite <= before.nonfinite):
        answer, after, chosen_regimes = node, before, None
    return Improvement(node, answer, d, dict(ranges or {}), before, after, program_cost(node),
                       program_cost(answer), chosen_regimes, g.size, g.iterations, len(cands),
                       time.perf_counter() - start, notes)


def _distinct(cands: list[Candidate]) -> list[Candidate]:
    seen: dict[int, Candidate] = {}
    for c in cands:
        seen.setdefault(id(c.node), c)
    return list(seen.values())


def improve(expr, dtype: str = "float64", ranges: dict | None = None, **options) -> ir.Node:
    """The same real function as expr, more accurate in dtype on ranges {name: (lo, hi)}
    (measured against exact results on sampled inputs); expr itself when nothing is better
    (fewer bits of error on average, and no more NaN or infinite results). The sympy series
    step runs only in the main thread (it needs an alarm to stay bounded).
    options: points, seed, iterations, node_limit, series, time_limit (improve_report)."""
    return improve_report(expr, dtype, ranges, **options).node
