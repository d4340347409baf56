"""log_iv and log_kv: accurate in log space across every region, on every CPU backend.

The reference table (tests/data/bessel_reference.json, from mpmath; make_bessel_table.py) holds
points on both sides of each region boundary of exprc/special/bessel.py."""
import json
import os

import mpmath
import numpy as np
import pytest

import exprc
from exprc.errors import ExprcError

TABLE = json.load(open(os.path.join(os.path.dirname(__file__), "data", "bessel_reference.json")))
ROWS = np.array(TABLE["rows"])
V, X = ROWS[:, 0], ROWS[:, 1]
COLUMN = {name: k for k, name in enumerate(TABLE["columns"])}
NAMES = ["log_iv", "log_kv", "log_ive", "log_kve"]


def _error(got, want):
    return np.abs(got - want) / np.maximum(np.abs(want), 1)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("backend", ["numpy", "llvm"])
def test_float64_error_within_1e13_everywhere(name, backend):
    k = exprc.compile(f"{name}(v, x)", variables=["v", "x"], backend=backend)
    got = k(V, X)
    want = ROWS[:, COLUMN[name]]
    assert np.all(np.isfinite(got))
    err = _error(got, want)
    worst = int(np.argmax(err))
    assert err[worst] <= 1e-13, (V[worst], X[worst], got[worst], want[worst])
    assert np.median(err) <= 1e-15


@pytest.mark.parametrize("backend", ["llvm", "numpy"])
@pytest.mark.parametrize("name", NAMES)
def test_float32_error_within_2e6(name, backend):
    k = exprc.compile(f"{name}(v, x)", variables=["v", "x"], dtype="float32", backend=backend)
    v32, x32 = V.astype(np.float32), X.astype(np.float32)
    from exprc.special.reference import mp_log_bessel
    keep = np.isfinite(x32) & (x32 > 0)
    got = k(v32, x32)[keep]
    want = np.array([float(mp_log_bessel(name, float(a), float(b), digits=30)) for a, b in zip(v32[keep], x32[keep])])
    err = _error(got.astype(np.float64), want)
    print(name, "float32 max error", err.max())
    assert np.all(np.isfinite(got))
    assert err.max() <= 2e-6


@pytest.mark.parametrize("name,at_zero,at_inf", [("log_iv", -np.inf, np.inf), ("log_kv", np.inf, -np.inf),
                                                  ("log_ive", -np.inf, -np.inf), ("log_kve", np.inf, -np.inf)])
def test_edges_are_the_limits_and_nan_outside_the_domain(name, at_zero, at_inf):
    k = exprc.compile(f"{name}(v, x)", variables=["v", "x"])
    v = np.array([2.0, 2.0, -1.0, 1.0, np.nan, 1.0, np.inf])
    x = np.array([0.0, np.inf, 1.0, -1.0, 1.0, np.nan, 1.0])
    got = k(v, x)
    assert got[0] == at_zero and got[1] == at_inf
    assert np.all(np.isnan(got[2:]))
    assert k(np.array([0.0]), np.array([0.0]))[0] == (0.0 if name.startswith("log_iv") else np.inf)


DEFINITIONS = {   # each op as an mpmath function of (v, x)
    "log_iv": lambda v, x: mpmath.log(mpmath.besseli(v, x)),
    "log_kv": lambda v, x: mpmath.log(mpmath.besselk(v, x)),
    "log_ive": lambda v, x: mpmath.log(mpmath.besseli(v, x)) - x,
    "log_kve": lambda v, x: mpmath.log(mpmath.besselk(v, x)) + x,
    "iv": mpmath.besseli,
    "kv": mpmath.besselk,
}


@pytest.mark.parametrize("name", sorted(DEFINITIONS))
def test_derivative_in_x_is_the_ratio_formula(name):
    g = exprc.grad(exprc.parse(f"{name}(3.25, x)"), ["x"])[0]
    k = exprc.compile(g, variables=["x"])
    xs = np.array([0.5, 4.0, 50.0])
    want = [float(mpmath.diff(lambda t: DEFINITIONS[name](3.25, t), float(x))) for x in xs]
    np.testing.assert_allclose(k(xs), want, rtol=1e-12)


@pytest.mark.parametrize("name", ["iv", "kv"])
def test_unlogged_functions_match_mpmath_and_scipy_where_finite(name):
    from scipy import special
    v, x = np.array([0.0, 0.3, 2.5, 19.5, 25.0, 300.0]), np.array([1e-6, 1.0, 2.5, 40.0, 0.5, 280.0])
    got = exprc.compile(f"{name}(v, x)", variables=["v", "x"])(v, x)
    want = np.array([float(DEFINITIONS[name](a, b)) for a, b in zip(v, x)])
    np.testing.assert_allclose(got, want, rtol=1e-13)
    np.testing.assert_allclose(got, getattr(special, name)(v, x), rtol=1e-12)


def test_derivative_in_the_order_is_refused():
    with pytest.raises(ExprcError, match="no derivative in the order"):
        exprc.grad(exprc.parse("log_kv(v, 2)"), ["v"])


def test_sympy_mapping_is_log_of_the_bessel_function():
    import sympy
    e = exprc.parse("log_iv(v, x) + log_kv(v, x)").to_sympy()
    sym = {str(s): s for s in e.free_symbols}
    v, x = sym["v"], sym["x"]
    assert sympy.simplify(e - (sympy.log(sympy.besseli(v, x)) + sympy.log(sympy.besselk(v, x)))) == 0

