"""Branch-skipping where: the LLVM kernel jumps around a branch no lane of a vector takes, and
gives exactly the bits of evaluating every branch for every row (branches=False)."""
import numpy as np
import pytest

import exprc
from exprc import branches, ir
from exprc.parser import parse

from conftest import same_bits

COSTLY = "exp(sin(x) * cos(y)) + log1p(x * x)"          # well above MIN_BRANCH_COST
PROGRAMS = [
    f"where(x > 0, {COSTLY}, -x)",
    f"where(x > 0, -y, {COSTLY})",
    f"where(x > 0, {COSTLY}, atan(y) * tanh(x) + erf(y))",
    # nested: the inner where lives inside the outer one's second branch
    f"where(x > 1, {COSTLY}, where(y < 0, tanh(y) * atan(x) + erf(x), {COSTLY} * y))",
    # two wheres on the same condition share one branch; a value both branches need stays outside
    f"where(x > 0, {COSTLY}, 1.5) + where(x > 0, sin({COSTLY}), cos(x)) * exp(y)",
    # a where inside a branch of its own condition
    f"where(x > 0, where(x > 0, {COSTLY}, 2.0) + exp(cos(y)) * atan(x), exp(tanh(x)) * erf(y))",
    "where(x != x, sign(x) + (x + x), x + x + (x + x))",
    # a branch value that is also read outside the where
    f"where(x > 0, {COSTLY}, y) * ({COSTLY})",
]


def _inputs(n):
    rng = np.random.default_rng(1)
    mixed = rng.normal(size=(2, n)) * 3
    blocks = np.repeat(np.where(rng.random(n // 16 + 1) < 0.5, -2.0, 2.0), 16)[:n]   # whole vectors on one side
    x = np.concatenate([mixed[0], blocks, [np.nan, np.inf, -np.inf, 0.0, -0.0]])
    y = np.concatenate([mixed[1], -blocks * 0.3, [1.0, np.nan, 2.0, -np.inf, 0.5]])
    return x, y


@pytest.mark.parametrize("text", PROGRAMS)
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_branching_kernel_matches_all_branch_evaluation_bit_for_bit(text, dtype):
    x, y = (a.astype(dtype) for a in _inputs(203))      # odd length: a partial last vector too
    fast = exprc.compile(text, dtype=dtype, variables=["x", "y"])
    every = exprc.compile(text, dtype=dtype, variables=["x", "y"], branches=False)
    if COSTLY in text and text != PROGRAMS[-1]:   # (the last one's is needed outside the where)
        assert "reduce." in fast.source()
    assert "reduce" not in every.source()
    assert same_bits(fast(x, y), every(x, y))


def _regions(text):
    node = parse(text, "float64")
    return node, branches.regions([node])


def test_costly_branches_become_regions_and_cheap_ones_do_not():
    node, r = _regions(f"where(x > 0, {COSTLY}, -x)")
    assert r.lazy[id(node)] == (1,)
    assert any(n.op == "exp" for n in r.members[(id(node.args[0]), 1)])
    assert all(not isinstance(m, tuple) or m[1] == 1 for m in r.members[None])


def test_wheres_on_one_condition_share_a_branch():
    node, r = _regions(f"where(x > 0, {COSTLY}, 1.5) + where(x > 0, sin({COSTLY}), cos(x))")
    keys = [k for k in r.members if k is not None]
    assert len({k for k in keys if k[1] == 1}) == 1


def test_work_needed_outside_the_where_is_not_skipped():
    node, r = _regions(f"where(x > 0, {COSTLY}, y) * ({COSTLY})")
    top = {id(n) for n in r.members[None] if not isinstance(n, tuple)}
    costly = [n for n in ir.topo([node]) if n.op == "exp"]
    assert costly and all(id(n) in top for n in costly)
