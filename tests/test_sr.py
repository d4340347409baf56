"""The symbolic regressor (exprc.search.SymbolicRegressor) and `exprc fit` / `exprc predict`.

Every search here has a small evaluation budget and no time limit, so the tests are fast and
each result is reproducible from its seed.
"""
from __future__ import annotations

import ast
import json
import os
import shutil
import subprocess

import numpy as np
import pytest

import exprc
from exprc.errors import ExprcError
from exprc.search import SymbolicRegressor
from exprc.search.sr import Equation, NotFittedError
from exprc.search.sr.engine import parse_operators


def easy_data(n=200, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.uniform(-2, 2, (n, 3))
    return X, 2.5 * X[:, 0] * X[:, 1] + np.sin(X[:, 2])


def small(**kw) -> SymbolicRegressor:
    """A regressor sized for tests: budgets by evaluations only, so runs are reproducible."""
    args = dict(population_size=60, n_islands=2, max_evaluations=1500, time_limit=None, random_state=0)
    args.update(kw)
    return SymbolicRegressor(**args)


@pytest.fixture(scope="module")
def fitted():
    X, y = easy_data()
    return small(population_size=100, max_evaluations=15000, target_loss=1e-20).fit(X, y), X, y


# ----------------------------------------------------------------------------- search quality

def test_recovers_easy_formula(fitted):
    sr, X, y = fitted
    assert sr.score(X, y) > 0.999
    Xn, yn = easy_data(300, seed=1)               # and generalizes: the formula itself was found
    assert sr.score(Xn, yn) > 0.999
    assert sr.best_.loss <= 1e-20                 # target_loss stopped the search early ...
    assert sr.n_evaluations_ < 15000              # ... before the evaluation budget ran out
    assert set(sr.best_.node.variables) == {"x0", "x1", "x2"}


def test_custom_operator_defined_as_an_expression():
    rng = np.random.default_rng(2)
    X = rng.uniform(0.5, 2, (150, 2))
    y = 3 * (X[:, 0] + X[:, 1]) ** 2 + 1
    sr = small(operators=["add", "mul", "sq(a) = a*a"], max_evaluations=3000, target_loss=1e-20).fit(X, y)
    assert sr.score(X, y) > 0.999
    assert "sq" not in sr.best_.expression          # expanded into IR: no second mapping to undo
    ops = parse_operators({"sq": "a*a", "mix": "a*$k + b"})
    assert [(o.name, o.arity) for o in ops] == [("sq", 1), ("mix", 2)]
    x = exprc.var("x")
    built = ops[0].build([x + 1], lambda v: exprc.param("k"))
    assert str(built) == "(x + 1) * (x + 1)"


def test_operators_by_name_alias_and_symbol():
    ops = parse_operators(["+", "multiply", "sin", "Abs", "pow"])
    assert [o.name for o in ops] == ["add", "mul", "sin", "abs", "pow"]
    assert [o.name for o in parse_operators("add, sub, sq(a)=a*a")] == ["add", "sub", "sq"]
    assert [o.name for o in parse_operators(None)] == ["add", "sub", "mul", "div", "sin", "cos", "exp",
                                                       "log", "sqrt"]


# ----------------------------------------------------------------------------- scikit-learn

def test_sklearn_conformance_basics():
    sklearn = pytest.importorskip("sklearn")
    from sklearn.base import clone
    from sklearn.exceptions import NotFittedError as SkNotFitted
    sr = SymbolicRegressor(time_limit=5, random_state=3, operators=["add", "mul"])
    params = sr.get_params()
    assert params["time_limit"] == 5 and params["random_state"] == 3 and params["operators"] == ["add", "mul"]
    assert {"ray_address", "n_islands", "checkpoint", "resume", "progress", "max_evaluations",
            "target_loss", "max_size", "population_size"} <= set(params)
    assert sr.set_params(max_size=20) is sr and sr.max_size == 20
    c = clone(sr)
    assert c is not sr and c.get_params() == sr.get_params()
    with pytest.raises(SkNotFitted):
        sr.predict(np.zeros((3, 2)))
    with pytest.raises(NotFittedError, match="not fitted"):
        sr.export("c")
    assert issubclass(NotFittedError, ExprcError)
    assert sklearn.base.is_regressor(sr)


def test_sklearn_check_estimator_passes_every_check():
    pytest.importorskip("sklearn")
    from sklearn.utils.estimator_checks import check_estimator
    est = SymbolicRegressor(population_size=40, n_islands=1, max_evaluations=400, time_limit=None,
                            random_state=0, n_jobs=1)
    import unittest
    results = list(_estimator_check_results(check_estimator, est))
    failed = [(check, str(exc)[:200]) for _, check, exc in results
              if exc is not None and not isinstance(exc, unittest.SkipTest)]
    assert len(results) >= 50 and not failed


def _estimator_check_results(check_estimator, est):
    """(estimator, check name, exception or None) for every scikit-learn check."""
    for row in check_estimator(est, on_fail=None):
        yield row["estimator"], row["check_name"], row["exception"]


@pytest.mark.parametrize("X,y,message", [
    (np.zeros((5, 2)), np.zeros(4), "inconsistent numbers of samples"),
    (np.zeros((5, 2)), np.array([0, 1, np.nan, 3, 4.0]), "NaN"),
    (np.zeros((5, 2)), np.array([0, 1, np.inf, 3, 4.0]), "infinity"),
    (np.zeros((5, 2)) + 1j, np.zeros(5), "Complex data not supported"),
    (np.zeros(5), np.zeros(5), "Expected a 2-dimensional container|Expected 2D array"),
    (np.zeros((0, 2)), np.zeros(0), "0 sample"),
])
def test_unusable_training_data_is_refused_with_a_value_error(X, y, message):
    pytest.importorskip("sklearn")
    with pytest.raises(ValueError, match=message):
        small().fit(X, y)


def test_default_uses_every_core():
    import os
    assert SymbolicRegressor()._jobs() == min(os.cpu_count() or 1, 4)
    assert SymbolicRegressor(n_jobs=1)._jobs() == 1
    assert SymbolicRegressor(n_jobs=-1, n_islands=64)._jobs() == (os.cpu_count() or 1)


def test_predict_checks_the_number_of_features():
    X, y = easy_data(60, seed=2)
    sr = small(max_evaluations=200).fit(X, y)
    with pytest.raises(ValueError, match="features"):
        sr.predict(np.zeros((3, X.shape[1] + 1)))


def test_determinism_with_seed_and_evaluation_budget():
    X, y = easy_data(120, seed=4)
    a = small(random_state=7, max_evaluations=1200).fit(X, y)
    b = small(random_state=7, max_evaluations=1200).fit(X, y)
    assert [e.to_dict() for e in a.equations_] == [e.to_dict() for e in b.equations_]
    assert a.n_evaluations_ == b.n_evaluations_ and a.best_index_ == b.best_index_


# ----------------------------------------------------------------------------- the results

def test_front_is_a_pareto_front(fitted):
    sr, X, y = fitted
    eqs = sr.equations_
    assert all(isinstance(e, Equation) for e in eqs)
    assert [e.complexity for e in eqs] == sorted({e.complexity for e in eqs})
    assert all(a.loss > b.loss for a, b in zip(eqs, eqs[1:]))
    for e in eqs:
        node = exprc.parse(e.expression)
        assert node.size == e.complexity == e["complexity"]
        assert not node.parameters
        pred = exprc.compile(node, variables=["x0", "x1", "x2"])(X[:, 0], X[:, 1], X[:, 2])
        assert np.mean((np.broadcast_to(pred, y.shape) - y) ** 2) == pytest.approx(e.loss, rel=1e-9, abs=1e-30)
    assert sr.best_ is eqs[sr.best_index_]
    table = sr.equations_table()
    assert "complexity" in table and "loss" in table
    assert any(line.startswith(">") and sr.best_.expression in line for line in table.splitlines())


def test_predict_on_new_data_matches_kernel(fitted):
    sr, _, _ = fitted
    Xn, yn = easy_data(500, seed=9)
    pred = sr.predict(Xn)
    k = sr.kernel()
    assert isinstance(k, exprc.Kernel) and k.variables == ("x0", "x1", "x2")
    assert np.array_equal(pred, k(Xn[:, 0], Xn[:, 1], Xn[:, 2]))
    ref = exprc.compile(sr.best_.expression, variables=["x0", "x1", "x2"], backend="numpy")
    np.testing.assert_allclose(pred, ref(Xn[:, 0], Xn[:, 1], Xn[:, 2]), rtol=1e-12, atol=1e-12)
    worst = sr.predict(Xn, index=0)
    assert worst.shape == (500,)
    with pytest.raises(ExprcError, match="features"):
        sr.predict(Xn[:, :2])


def test_export_formats_parse_and_compile(fitted, tmp_path):
    sr, X, _ = fitted
    import sympy
    text = sr.export("exprc")
    assert exprc.parse(text).size == sr.best_.complexity
    s = sympy.sympify(sr.export("sympy"))
    f = sympy.lambdify(sympy.symbols("x0 x1 x2", real=True), sr.sympy())
    np.testing.assert_allclose(f(X[:, 0], X[:, 1], X[:, 2]), sr.predict(X), rtol=1e-9, atol=1e-9)
    assert s.free_symbols
    assert "x_{0}" in sr.export("latex") or "x_0" in sr.export("latex")
    c = sr.export("c")
    assert "exprc_eval" in c
    cc = shutil.which("cc") or shutil.which("gcc")
    if cc:
        src = tmp_path / "model.c"
        src.write_text(c)
        subprocess.run([cc, "-std=c99", "-fsyntax-only", str(src)], check=True)
    import llvmlite.binding as llvm
    llvm.parse_assembly(sr.export("llvm")).verify()
    ast.parse(sr.export("triton"))
    with pytest.raises(ExprcError, match="did you mean 'latex'"):
        sr.export("latx")


def test_save_and_load_model(fitted, tmp_path):
    sr, X, _ = fitted
    path = tmp_path / "model.json"
    sr.save(path, target="y")
    model = json.loads(path.read_text())
    assert model["variables"] == ["x0", "x1", "x2"] and model["target"] == "y"
    assert model["equations"][model["best"]]["expression"] == sr.best_.expression
    back = SymbolicRegressor.load(path)
    assert np.array_equal(back.predict(X), sr.predict(X))
    import pickle
    assert np.array_equal(pickle.loads(pickle.dumps(sr)).predict(X), sr.predict(X))
    with pytest.raises(ExprcError):
        SymbolicRegressor.from_dict({"format": "something else"})


# ----------------------------------------------------------------------------- long runs

def test_checkpoint_and_resume_continue_the_same_run(tmp_path):
    X, y = easy_data(100, seed=5)
    straight = small(random_state=11, max_evaluations=1600, checkpoint=str(tmp_path / "a.ckpt")).fit(X, y)
    ck = str(tmp_path / "b.ckpt")
    first = small(random_state=11, max_evaluations=700, checkpoint=ck).fit(X, y)
    assert first.n_evaluations_ < straight.n_evaluations_
    resumed = small(random_state=11, max_evaluations=1600, checkpoint=ck, resume=True).fit(X, y)
    assert resumed.n_evaluations_ == straight.n_evaluations_
    assert resumed.n_generations_ == straight.n_generations_
    assert [e.to_dict() for e in resumed.equations_] == [e.to_dict() for e in straight.equations_]
    # a finished run resumed with the same budget does no more work
    again = small(random_state=11, max_evaluations=1600, checkpoint=ck, resume=True).fit(X, y)
    assert again.n_generations_ == resumed.n_generations_
    with pytest.raises(ExprcError, match="other data or settings"):
        small(random_state=11, max_evaluations=1600, checkpoint=ck, resume=True).fit(X, y + 1)
    with pytest.raises(ExprcError, match="checkpoint"):
        small(resume=True).fit(X, y)


def test_progress_bar_runs(capsys):
    pytest.importorskip("rich")
    X, y = easy_data(80)
    sr = small(max_evaluations=300, progress=True).fit(X, y)
    assert sr.n_evaluations_ >= 300


# ----------------------------------------------------------------------------- bad input

def test_bad_input_is_one_clear_error():
    X, y = easy_data(50)
    with pytest.raises(ExprcError, match="unknown operator 'sinn' \\(did you mean 'sin'\\?\\)"):
        small(operators=["add", "sinn"]).fit(X, y)
    with pytest.raises(ExprcError, match="not among its arguments"):
        small(operators=["add", "f(a) = a * z"]).fit(X, y)
    with pytest.raises(ExprcError, match="cannot be used"):
        small(operators=["add", "lt"]).fit(X, y)
    with pytest.raises(ExprcError, match="rows|inconsistent numbers of samples"):
        small().fit(X, y[:-1])
    bad = X.copy()
    bad[0, 0] = np.nan
    with pytest.raises(ExprcError, match="finite|contains NaN"):
        small().fit(bad, y)
    with pytest.raises(ExprcError, match="population_size"):
        small(population_size=0).fit(X, y)
    with pytest.raises(ExprcError, match="budget"):
        SymbolicRegressor(time_limit=None).fit(X, y)


def test_variable_names_used_in_expressions():
    rng = np.random.default_rng(6)
    X = rng.uniform(1, 2, (100, 2))
    sr = small(max_evaluations=600).fit(X, X[:, 0] * X[:, 1], variable_names=["mass", "e"])
    assert sr.variable_names_ == ["mass", "x1"]     # 'e' is Euler's number in exprc text
    assert sr.feature_names_ == ["mass", "e"]
    assert not hasattr(sr, "feature_names_in_")      # scikit-learn sets it for DataFrames only
    assert set(exprc.parse(sr.best_.expression).variables) <= {"mass", "x1"}


# ----------------------------------------------------------------------------- the command line

def _write_csv(path, cols: dict):
    names = list(cols)
    rows = np.column_stack([cols[n] for n in names])
    path.write_text(",".join(names) + "\n" + "".join(",".join(repr(float(v)) for v in r) + "\n" for r in rows))


def test_cli_fit_predict_round_trip(tmp_path, capsys):
    from exprc.cli import main
    rng = np.random.default_rng(8)
    a, b = rng.uniform(1, 3, 120), rng.uniform(1, 3, 120)
    data = tmp_path / "data.csv"
    _write_csv(data, {"a": a, "b": b, "y": 1.5 * a * b + 2})
    model = tmp_path / "model.json"
    rc = main(["fit", str(data), "--target", "y", "--evaluations", "1500", "--time", "60", "--seed", "0",
               "--population", "60", "--islands", "2", "--quiet", "-o", str(model)])
    out = capsys.readouterr().out
    assert rc == 0
    assert "complexity" in out and "best: y = " in out
    m = json.loads(model.read_text())
    assert m["variables"] == ["a", "b"] and m["target"] == "y"
    assert all({"complexity", "loss", "expression"} <= set(e) for e in m["equations"])
    assert 0 <= m["best"] < len(m["equations"])
    pred_file = tmp_path / "pred.csv"
    assert main(["predict", str(model), str(data), "-o", str(pred_file)]) == 0
    lines = pred_file.read_text().split()
    assert lines[0] == "prediction" and len(lines) == 121
    expected = SymbolicRegressor.load(model).predict(np.column_stack([a, b]))
    np.testing.assert_array_equal(np.array(lines[1:], dtype=float), expected)
    assert main(["predict", str(model), str(data)]) == 0
    printed = capsys.readouterr().out.split()
    np.testing.assert_array_equal(np.array(printed, dtype=float), expected)


def test_cli_errors_exit_2(tmp_path, capsys):
    from exprc.cli import main
    data = tmp_path / "data.csv"
    _write_csv(data, {"a": np.arange(5.0), "y": np.arange(5.0) * 2})
    assert main(["fit", str(data), "--target", "yy", "--evaluations", "100"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("exprc: error:") and "no column 'yy'" in err and "did you mean 'y'" in err
    assert len(err.strip().splitlines()) == 1
    assert main(["fit", str(data), "--target", "y", "--operators", "add,sinn", "--evaluations", "100"]) == 2
    assert "did you mean 'sin'" in capsys.readouterr().err
    assert main(["predict", str(tmp_path / "missing.json"), str(data)]) == 2
    other = tmp_path / "other.csv"
    _write_csv(other, {"b": np.arange(3.0)})
    model = tmp_path / "m.json"
    SymbolicRegressor.from_dict({"format": "exprc-symbolic-regression", "variables": ["a"], "target": "y",
                                 "equations": [{"complexity": 3, "loss": 0.0, "expression": "2 * a"}],
                                 "best": 0}).save(model)
    assert main(["predict", str(model), str(other)]) == 2
    assert "no column 'a'" in capsys.readouterr().err


# ----------------------------------------------------------------------------- parallel islands

def test_worker_processes_give_the_same_result_as_local():
    X, y = easy_data(100, seed=12)
    local = small(random_state=5, max_evaluations=900).fit(X, y)
    procs = small(random_state=5, max_evaluations=900, n_jobs=2).fit(X, y)
    assert [e.to_dict() for e in procs.equations_] == [e.to_dict() for e in local.equations_]
    assert procs.n_evaluations_ == local.n_evaluations_



def _killing_a_worker_after(monkeypatch, rounds: int, kill_all: bool = False):
    """Make the process runner's workers die (SIGKILL) after `rounds` generations."""
    import signal
    from exprc.search.sr.runners import ProcessRunner
    step = ProcessRunner.step
    calls = [0]

    def dying_step(self, immigrants, want_state):
        calls[0] += 1
        if calls[0] == rounds + 1:
            for p in (self.procs if kill_all else self.procs[:1]):
                os.kill(p.pid, signal.SIGKILL)
                p.wait()
        return step(self, immigrants, want_state)
    monkeypatch.setattr(ProcessRunner, "step", dying_step)
    monkeypatch.setattr(ProcessRunner, "MAX_RESTARTS", 0 if kill_all else 4)
    return calls


def test_a_killed_worker_is_restarted_and_the_fit_keeps_its_model(monkeypatch, tmp_path):
    X, y = easy_data(100, seed=12)
    calls = _killing_a_worker_after(monkeypatch, 2)
    with pytest.warns(RuntimeWarning, match="restarted"):
        sr = small(random_state=5, max_evaluations=1500, n_jobs=2).fit(X, y)
    assert calls[0] > 3 and sr.equations_
    sr.save(tmp_path / "model.json")
    assert np.all(np.isfinite(SymbolicRegressor.load(tmp_path / "model.json").predict(X)))


def test_when_every_worker_dies_the_fit_ends_with_what_it_found(monkeypatch):
    X, y = easy_data(100, seed=12)
    _killing_a_worker_after(monkeypatch, 2, kill_all=True)
    with pytest.warns(RuntimeWarning, match="going on with 0"):
        sr = small(random_state=5, max_evaluations=100_000, n_jobs=2).fit(X, y)
    assert sr.equations_ and np.all(np.isfinite(sr.predict(X)))


@pytest.mark.parametrize("address, message", [("127.0.0.1:1", "no Ray cluster answers"),
                                              ("nonsense", "must be host:port")])
def test_an_unreachable_ray_address_is_a_prompt_error(address, message):
    pytest.importorskip("ray")
    X, y = easy_data(50, seed=1)
    with pytest.raises(exprc.ExprcError, match=message):
        small(random_state=0, time_limit=2, ray_address=address).fit(X, y)


def test_ray_islands_give_the_same_result_as_local():
    ray = pytest.importorskip("ray")
    X, y = easy_data(100, seed=12)
    local = small(random_state=5, max_evaluations=900).fit(X, y)
    started = not ray.is_initialized()
    if started:
        ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        remote = small(random_state=5, max_evaluations=900, ray_address="auto").fit(X, y)
    finally:
        if started:
            ray.shutdown()
    assert [e.to_dict() for e in remote.equations_] == [e.to_dict() for e in local.equations_]
