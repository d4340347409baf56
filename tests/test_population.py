"""Population evaluation: every tier gives the single-expression kernel's bits, losses come
out of the kernel, a bad candidate never disturbs the others, and memory stays flat."""
import gc

import numpy as np
import pytest

import exprc
from exprc import ir
from exprc.random_expr import TreeSpec, random_inputs, random_population

from conftest import same_bits

VARS = ("x0", "x1", "x2")


def _population(seed, count, dtype, ops=("add", "sub", "mul", "div", "sin", "exp", "log", "sqrt", "fma",
                                           "where", "max", "pow", "tanh", "abs"), params=True):
    spec = TreeSpec(variables=VARS, ops=ops, dtype=dtype, param_prob=0.15 if params else 0.0,
                    parameters=("a", "b") if params else (), constants=(0.5, -1.5, 2.0, 1e-3, 0.1))
    return random_population(seed, count, 18, spec)


def _data(rows, dtype, seed=0):
    rng = np.random.default_rng(seed)
    X = np.stack([random_inputs(rng, rows, dtype, special_fraction=0.05) for _ in VARS], axis=1)
    return X, random_inputs(rng, rows, dtype, special_fraction=0.0)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("rows", [1, 300, 1000])
def test_predictions_equal_single_expression_kernels(dtype, rows):
    nodes = _population(1, 60, dtype)
    X, _ = _data(rows, dtype)
    pop = exprc.Population(nodes, variables=VARS, dtype=dtype)
    rng = np.random.default_rng(2)
    params = [rng.uniform(-2, 2, len(p)) for p in pop.parameters]
    with np.errstate(all="ignore"):
        got = pop.predict(X, params=params, tier="interpreter")
        for k, node in enumerate(nodes):
            k1 = exprc.compile(node, dtype=dtype, optimize=0, variables=VARS, parameters=pop.parameters[k])
            want = np.broadcast_to(k1(*X.T, params=params[k]), (rows,)).astype(dtype)
            assert same_bits(got[k], want), str(node)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_tiers_and_thread_counts_agree_bit_for_bit(dtype):
    nodes = _population(3, 40, dtype)
    X, y = _data(500, dtype, seed=1)
    pop = exprc.Population(nodes, variables=VARS, dtype=dtype)
    params = [np.full(len(p), 0.75) for p in pop.parameters]
    with np.errstate(all="ignore"):
        ref = pop.predict(X, params=params, tier="interpreter", threads=1)
        assert same_bits(pop.predict(X, params=params, tier="jit"), ref)
        assert same_bits(pop.predict(X, params=params, tier="interpreter", threads=2), ref)
        for metric in ("mse", "mae", "max", "r2"):
            a = pop.loss(X, y, metric, params=params, tier="interpreter", threads=1)
            b = pop.loss(X, y, metric, params=params, tier="jit", threads=2)
            assert np.array_equal(a, b, equal_nan=True), metric


def test_losses_match_their_definition():
    nodes = _population(4, 30, "float32", params=False)
    X, y = _data(999, "float32", seed=3)
    pop = exprc.Population(nodes, variables=VARS)
    with np.errstate(all="ignore"):
        P = pop.predict(X)
        r = (P - y).astype(np.float64)          # the residual is rounded to the dtype first
        finite = np.isfinite(r).all(axis=1)
        expected = {"mse": np.mean(r * r, axis=1), "mae": np.mean(np.abs(r), axis=1),
                    "max": np.max(np.abs(r), axis=1),
                    "r2": 1 - np.sum(r * r, axis=1) / np.sum((y.astype(np.float64) - y.mean(dtype=np.float64)) ** 2)}
    for metric, want in expected.items():
        got = pop.loss(X, y, metric)
        assert np.array_equal(np.isnan(got), ~finite)
        assert np.allclose(got[finite], want[finite], rtol=1e-12), metric


def test_a_bad_candidate_gets_nan_and_disturbs_nobody():
    X = np.linspace(-1, 1, 400, dtype=np.float32).reshape(-1, 1)
    y = X[:, 0] * 2
    pop = exprc.Population(["x * 2", "log(x)", "1 / (x - x)", "x * 2 + 1", "exp(1000 * x)"], variables=["x"])
    loss = pop.loss(X, y)
    assert loss[0] == 0.0 and loss[3] == pytest.approx(1.0)
    assert np.isnan(loss[1]) and np.isnan(loss[2]) and np.isnan(loss[4])


def test_text_prefix_and_nodes_as_candidates():
    pop = exprc.Population(["x0 * x1 + 1", ["add", "mul", "x0", "x1", "1"], exprc.parse("x0 * x1 + 1", dtype="float32")],
                           variables=["x0", "x1"])
    X = np.array([[1.0, 2.0], [3.0, 4.0]], dtype=np.float32)
    assert np.array_equal(pop.predict(X), [[3.0, 13.0]] * 3)
    assert list(pop.sizes) == [5, 5, 5]


def test_constant_subtrees_are_folded_like_the_language_says():
    pop = exprc.Population(["x * (0.1 + 0.2)"], variables=["x"])
    X = np.array([[3.0]], dtype=np.float32)
    k = exprc.compile("x * (0.1 + 0.2)", dtype="float32")
    assert pop.predict(X)[0, 0] == k(np.float32([3.0]))[0]
    assert pop.sizes[0] == 5                   # nodes as given count, before folding


def test_loss_gradients_match_finite_differences():
    exprs = ["$a * sin(x0) + $b * x1", "exp($a * x0) / (1 + $b * x1 * x1)", "$a * x0 * x0 + $b + $c * sqrt(x1)",
             "x0 * x1"]
    rng = np.random.default_rng(5)
    X = rng.uniform(0.1, 1.5, (400, 2))
    y = 1.5 * np.sin(X[:, 0]) + 0.5 * X[:, 1]
    pop = exprc.Population(exprs, variables=["x0", "x1"], dtype="float64")
    params = [rng.uniform(0.2, 1.0, len(p)) for p in pop.parameters]
    loss, grads = pop.loss_and_grad(X, y, params)
    assert np.array_equal(loss, pop.loss(X, y, params=params))
    assert grads[3].shape == (0,)
    for k, g in enumerate(grads):
        for j in range(len(g)):
            h = 1e-6
            up = [p.copy() for p in params]
            dn = [p.copy() for p in params]
            up[k][j] += h
            dn[k][j] -= h
            fd = (pop.loss(X, y, params=up)[k] - pop.loss(X, y, params=dn)[k]) / (2 * h)
            assert g[j] == pytest.approx(fd, rel=1e-5, abs=1e-8), (exprs[k], j)


def test_bad_arguments_are_clear_errors():
    pop = exprc.Population(["x0 + $a"], variables=["x0"])
    X = np.ones((3, 1), dtype=np.float32)
    with pytest.raises(exprc.BindError, match="params"):
        pop.predict(X)
    with pytest.raises(exprc.BindError, match="1 parameters, got 2"):
        pop.predict(X, params=[[1.0, 2.0]])
    with pytest.raises(exprc.BindError, match="shape"):
        pop.predict(np.ones((3, 2)), params=[[1.0]])
    with pytest.raises(exprc.ExprcError, match="not in variables"):
        exprc.Population(["x0 + z"], variables=["x0"])
    with pytest.raises(exprc.ExprcError, match="metric"):
        pop.loss(X, np.ones(3), "rmse", params=[[1.0]])


def _rss_bytes() -> int:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * 4096


def test_memory_stays_flat_over_many_distinct_candidates():
    X, y = _data(256, "float32", seed=9)
    spec = TreeSpec(variables=VARS, dtype="float32")
    rng = np.random.default_rng(0)
    from exprc.random_expr import random_tree

    def batch(seed):
        r = np.random.default_rng(seed)
        pop = exprc.Population([random_tree(r, 15, spec) for _ in range(2000)], variables=VARS)
        with np.errstate(all="ignore"):
            pop.loss(X, y)
    for s in range(3):
        batch(s)                       # warm up: interpreter compiled, pools allocated
    gc.collect()
    rss, nodes = _rss_bytes(), ir.interned_count()
    for s in range(3, 53):             # 100,000 more distinct candidates
        batch(s)
    gc.collect()
    assert ir.interned_count() - nodes < 1000
    assert _rss_bytes() - rss < 40 * 2 ** 20
