"""Finishing the front: polish the constants, snap them to simple numbers where that costs
no accuracy, and turn each model into one exprc expression."""
from __future__ import annotations


import math
from decimal import Decimal
from fractions import Fraction
from typing import Sequence

import numpy as np

from exprc import ir
from exprc.population import Population

from ..fitting import levenberg_marquardt
from .engine import DTYPE, Candidate, wrap
from .results import Equation


SNAP_REL, SNAP_ABS = 1e-4, 1e-24       # a snap may raise the normalized loss this much
POLISH_ITERATIONS = 30
POLISH_ROWS = 10_000


def _snap_values(v: float) -> list[Fraction]:
    """Simple numbers near v, simplest first: 0, the nearest integer, fractions up to /12."""
    out = [Fraction(0)]
    if not math.isfinite(v):
        return out
    near = lambda c: abs(float(c) - v) <= 0.05 * abs(v) + 1e-12  # noqa: E731
    r = Fraction(round(v))
    if r != 0 and near(r):
        out.append(r)
    for den in (2, 3, 4, 5, 6, 8, 10, 12):
        f = Fraction(v).limit_denominator(den)
        if f.denominator > 1 and f not in out and near(f):
            out.append(f)
    return out


def _decimal(v: float) -> ir.Node:
    """A constant that prints as the shortest decimal of v and rounds back to v."""
    return ir.const(Fraction(Decimal(repr(float(v)))), DTYPE)


def _losses(nodes: Sequence[ir.Node], params: Sequence[np.ndarray], X, y, names) -> np.ndarray:
    if not nodes:
        return np.zeros(0)
    with np.errstate(all="ignore"):
        mse = Population(list(nodes), variables=names, dtype=DTYPE).loss(X, y, metric="mse",
                                                                         params=[np.asarray(p) for p in params])
    return np.where(np.isfinite(mse), mse, np.inf)


def _assemble(node: ir.Node, a, b) -> ir.Node:
    """a + b * node written simply (a, b: Fractions or float values)."""
    def const(v):
        return ir.const(v, DTYPE) if isinstance(v, Fraction) else _decimal(v)
    bv = float(b)
    if bv == 0:
        return const(a)
    if bv == 1:
        term = node
    elif bv == -1:
        term = ir.apply("neg", node)
    else:
        term = ir.apply("mul", const(b), node)
    if float(a) == 0:
        return term
    if float(a) < 0:
        return ir.apply("sub", term, const(-a if isinstance(a, Fraction) else -float(a)))
    return ir.apply("add", term, const(a))


def finalize(front: Sequence[Candidate], X, y, names: Sequence[str]) -> list[Equation]:
    """The archive's models polished, with simple constants snapped, as exprc expressions
    (numeric constants, no parameters), Pareto-filtered on (complexity, MSE)."""
    from exprc.passes.pipeline import optimize
    from exprc.passes.rewrite import rewrite
    from exprc.passes.rules import PHASE_RULES, PRINT_RULES
    names = list(names)
    var_y = float(np.var(y))
    front = list(front)
    if not front:
        m = float(np.mean(y))
        node = _decimal(m)
        mse = float(np.mean((y - m) ** 2))
        return [Equation(1, mse, 0.0, str(node), node)]
    # polish: a longer constant fit on (up to) POLISH_ROWS rows
    rows = np.arange(len(y)) if len(y) <= POLISH_ROWS else np.linspace(0, len(y) - 1, POLISH_ROWS).astype(int)
    wrapped = [wrap(c.node) for c in front]
    params = [c.full_params() for c in front]
    fitk = [k for k, c in enumerate(front) if len(c.values)]
    if fitk:
        fitted, _ = levenberg_marquardt([wrapped[k] for k in fitk], [params[k] for k in fitk], X[rows], y[rows],
                                        names, iterations=POLISH_ITERATIONS, dtype=DTYPE)
        trial = list(params)
        for j, k in enumerate(fitk):
            trial[k] = fitted[j]
        old = _losses(wrapped, params, X, y, names)
        new = _losses(wrapped, trial, X, y, names)
        params = [trial[k] if new[k] <= old[k] else params[k] for k in range(len(front))]
        base = np.minimum(old, new)
    else:
        base = _losses(wrapped, params, X, y, names)
    # snapping: per parameter position, every model's candidates in one population call
    nodes = list(wrapped)
    values = [dict(zip(w.parameters, map(float, p))) for w, p in zip(wrapped, params)]
    limit = base * (1 + SNAP_REL) + SNAP_ABS * var_y
    for j in range(max(len(w.parameters) for w in wrapped)):
        trials, owners = [], []
        for k, w in enumerate(wrapped):
            if j >= len(w.parameters):
                continue
            name = w.parameters[j]
            for f in _snap_values(values[k][name]):
                t = ir.substitute([nodes[k]], {name: ir.const(f, DTYPE)}, kind=ir.PARAM)[0]
                trials.append(t)
                owners.append((k, name, f))
        if not trials:
            continue
        tparams = [np.array([values[k][p] for p in t.parameters]) for t, (k, _, _) in zip(trials, owners)]
        losses = _losses(trials, tparams, X, y, names)
        taken: set[int] = set()
        for t, (k, name, f), loss in zip(trials, owners, losses):
            if k not in taken and loss <= limit[k]:
                taken.add(k)
                nodes[k] = t
                values[k].pop(name)
    # numeric constants for what is left, the scale written out, fast-math cleanup
    finals = []
    for k, c in enumerate(front):
        node = nodes[k]
        consts = {p: _decimal(v) for p, v in values[k].items()}
        node = ir.substitute([node], consts, kind=ir.PARAM)[0] if consts else node
        # node is a + b * f with a and b now constants: rewrite the scale simply
        if node.op == "add" and node.args[1].op == "mul":
            a_node, (b_node, f) = node.args[0], node.args[1].args
            if a_node.op == ir.CONST and b_node.op == ir.CONST:
                node = _assemble(f, a_node.value, b_node.value)
        node = rewrite([optimize(node, level=1, fastmath=True)], PHASE_RULES)[0]
        finals.append(rewrite([optimize(node, level=1, fastmath=True)], PRINT_RULES)[0])
    # the printed text is the model: read it back (a fraction such as 4/7 prints as a division)
    from exprc.parser import parse
    finals = [parse(str(n), dtype=DTYPE) for n in finals]
    mse = _losses(finals, [np.zeros(0)] * len(finals), X, y, names)
    eqs = []
    for node, m in zip(finals, mse):
        if not math.isfinite(m):
            continue
        r2 = 1.0 - m / var_y if var_y > 0 else (1.0 if m == 0 else 0.0)
        eqs.append(Equation(node.size, float(m), float(r2), str(node), node))
    eqs.sort(key=lambda e: (e.complexity, e.loss))
    out, best = [], math.inf
    for e in eqs:
        if e.loss < best:
            out.append(e)
            best = e.loss
    if not out:
        return finalize([], X, y, names)
    return out
