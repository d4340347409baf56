"""Seeded random expression trees, for differential tests, benchmarks and search initialization.

Why here and not in tests: the benchmarks and the search drivers need the same generator as
the tests, so that "the same random population for every tool" means the same trees.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from . import ir, ops

EXACT_OPS = ("add", "sub", "mul", "div", "neg", "sqrt", "fma", "abs", "min", "max", "copysign",
             "floor", "ceil", "trunc", "round", "sign", "fmod", "where")
COMPARE_OPS = ("lt", "le", "gt", "ge", "eq", "ne")
ARITH_OPS = ("add", "sub", "mul", "div")
TRANSCENDENTAL_OPS = ("sin", "cos", "exp", "log")

SPECIAL_CONSTANTS = (0.0, -0.0, 1.0, -1.0, 0.5, 2.0, 3.0, 1e-40, 1e30, float("inf"), float("-inf"),
                     float("nan"))


@dataclass
class TreeSpec:
    variables: Sequence[str] = ("x", "y", "z")
    ops: Sequence[str] = ARITH_OPS
    parameters: Sequence[str] = ()
    constants: Sequence[float] = (0.5, 1.0, 2.0, 3.0)
    const_prob: float = 0.2
    param_prob: float = 0.0
    dtype: str = "float32"
    constant_subtrees: bool = True   # False: no op has only constant arguments (as after simplification)


def random_tree(rng: np.random.Generator, size: int, spec: TreeSpec) -> ir.Node:
    """A random expression with about `size` nodes (leaves included), built bottom-up."""
    def leaf() -> ir.Node:
        r = rng.random()
        if spec.parameters and r < spec.param_prob:
            return ir.param(str(rng.choice(list(spec.parameters))), spec.dtype)
        if r < spec.param_prob + spec.const_prob:
            return ir.const(float(rng.choice(list(spec.constants))), spec.dtype)
        return ir.var(str(rng.choice(list(spec.variables))), spec.dtype)

    def grow(budget: int) -> ir.Node:
        # iterative: a stack of (budget, op or None) frames would do, but sizes are small;
        # keep recursion bounded by the requested size
        if budget <= 1:
            return leaf()
        opname = str(rng.choice(list(spec.ops)))
        op = ops.REGISTRY[opname]
        if op.kind == ops.SELECT:
            a, b = grow(max(1, (budget - 2) // 2)), grow(max(1, (budget - 2) // 2))
            cmp = str(rng.choice(COMPARE_OPS))
            return ir.apply("where", ir.apply(cmp, leaf(), leaf()), a, b)
        if op.arity == 1:
            arg = grow(budget - 1)
            if not spec.constant_subtrees and arg.flags & ir.CONSTANT_ONLY:
                arg = ir.var(str(rng.choice(list(spec.variables))), spec.dtype)
            return ir.apply(opname, arg)
        parts = rng.multinomial(max(0, budget - 1 - op.arity), [1.0 / op.arity] * op.arity) + 1
        args = [grow(int(p)) for p in parts]
        if not spec.constant_subtrees and all(a.flags & ir.CONSTANT_ONLY for a in args):
            args[-1] = ir.var(str(rng.choice(list(spec.variables))), spec.dtype)
        return ir.apply(opname, *args)

    return grow(max(1, int(size)))


def random_population(seed: int, count: int, mean_size: int, spec: TreeSpec) -> list[ir.Node]:
    """count trees with sizes drawn around mean_size (uniform in [mean/2, 3*mean/2])."""
    rng = np.random.default_rng(seed)
    lo, hi = max(1, mean_size // 2), max(2, (3 * mean_size) // 2)
    return [random_tree(rng, int(rng.integers(lo, hi + 1)), spec) for _ in range(count)]


def special_values(dtype: str) -> np.ndarray:
    """Inputs that exercise IEEE corner cases: signed zeros, subnormals, extremes, inf, NaN."""
    t = np.dtype(dtype).type
    info = np.finfo(t)
    vals = [0.0, -0.0, 1.0, -1.0, 0.5, -0.5, 1.5, 2.5, -2.5, 3.0, 1e-3, 7.0, 1e10, -1e10,
            float(info.tiny), -float(info.tiny), float(info.smallest_subnormal), float(info.max),
            -float(info.max), float(info.eps), np.inf, -np.inf, np.nan]
    return np.array(vals, dtype=t)


def random_inputs(rng: np.random.Generator, n: int, dtype: str, special_fraction: float = 0.1) -> np.ndarray:
    """n values: mostly log-uniform magnitudes of both signs, with special values mixed in."""
    t = np.dtype(dtype).type
    mags = np.exp(rng.uniform(-8, 8, n)) * rng.choice([-1.0, 1.0], n)
    out = mags.astype(t)
    k = int(n * special_fraction)
    if k:
        out[rng.integers(0, n, k)] = rng.choice(special_values(dtype), k)
    return out
