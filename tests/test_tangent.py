"""Forward-mode Jacobians built in bulk (exprc/population/tangent.py): every population op
with a derivative, checked against central differences of the op's own predictions."""
import numpy as np
import pytest

from exprc import ops
from exprc.population import Population
from exprc.population import encoding as enc

DIFFERENTIABLE = [n for n in enc.OPCODES if ops.REGISTRY[n].kind == ops.ARITH
                  and ops.REGISTRY[n].deriv is not None
                  and not any(d and d.startswith("!") for d in ops.REGISTRY[n].deriv)]


def _central(pop, X, params, k, j, h=1e-6):
    up = [p.copy() for p in params]
    dn = [p.copy() for p in params]
    up[k][j] += h
    dn[k][j] -= h
    return (pop.predict(X, params=up)[k] - pop.predict(X, params=dn)[k]) / (2 * h)


@pytest.mark.parametrize("name", DIFFERENTIABLE)
def test_every_differentiable_op_matches_central_differences(name):
    arity = ops.REGISTRY[name].arity
    # each argument an affine function of its own parameter, so every partial is exercised
    args = [f"($p{k} * x + {0.3 + 0.2 * k})" for k in range(arity)]
    text = f"{name}({', '.join(args)})"
    rng = np.random.default_rng(1)
    X = rng.uniform(0.6, 0.9, (64, 1))
    pop = Population([text], variables=["x"], dtype="float64")
    params = [rng.uniform(0.7, 0.9, len(pop.parameters[0]))]
    pred, jac = pop.jacobian(X, params)
    assert np.array_equal(pred, pop.predict(X, params=params), equal_nan=True)
    for j in range(len(params[0])):
        fd = _central(pop, X, params, 0, j)
        ok = np.isfinite(fd)
        np.testing.assert_allclose(jac[0][ok, j], fd[ok], rtol=1e-5, atol=1e-6, err_msg=text)


def test_mixed_population_shapes_and_zero_and_missing_parameters():
    exprs = ["x * y", "$a", "$a * sin($b * x) + $c", "floor($a * x) + $b * x", "x / ($a + y) - y / ($b + x)"]
    rng = np.random.default_rng(0)
    X = rng.uniform(0.5, 2.0, (300, 2))
    pop = Population(exprs, variables=["x", "y"], dtype="float64")
    params = [rng.uniform(0.5, 1.5, len(p)) for p in pop.parameters]
    pred, jac = pop.jacobian(X, params)
    assert [j.shape for j in jac] == [(300, len(p)) for p in params]
    assert np.array_equal(pred, pop.predict(X, params=params))
    np.testing.assert_array_equal(jac[1][:, 0], 1.0)
    np.testing.assert_array_equal(jac[3][:, 0], 0.0)          # floor is piecewise constant
    for k in (2, 4):
        for j in range(len(params[k])):
            np.testing.assert_allclose(jac[k][:, j], _central(pop, X, params, k, j), rtol=1e-6, atol=1e-7)


def test_an_op_without_derivative_gives_nan_not_an_error():
    pop = Population(["tgamma($a * x) + $b"], variables=["x"], dtype="float64")
    _, jac = pop.jacobian(np.linspace(1, 2, 8)[:, None], [np.array([1.0, 2.0])])
    assert np.isnan(jac[0][:, 0]).all() and (jac[0][:, 1] == 1).all()


def test_rows_layout_and_concatenated_parameters():
    pop = Population(["$a * x + $b", "x * $c"], variables=["x"], dtype="float32")
    X = np.linspace(0, 1, 10)[:, None]
    rows, rstart = pop.jacobian_rows(X, np.array([2.0, 3.0, 5.0]))
    assert list(rstart) == [0, 3, 5]
    np.testing.assert_array_equal(rows[1], X[:, 0].astype(np.float32))
    np.testing.assert_array_equal(rows[2], 1.0)
    np.testing.assert_array_equal(rows[4], X[:, 0].astype(np.float32))
