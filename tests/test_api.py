"""The Python API: compile, evaluate, kernels' description and argument errors."""
import numpy as np
import pytest

import exprc


def test_compile_returns_a_described_kernel():
    k = exprc.compile("sin(x) * y + $a", dtype="float32")
    assert k.variables == ("x", "y") and k.parameters == ("a",) and k.dtype == "float32"
    assert "define void" in k.source() and "_ZGV" in k.source() or "sinf" in k.source()
    assert "exprc" in repr(k)


@pytest.mark.parametrize("dtype", ["float32", "f32", np.float32, "float64", "f64", "double"])
def test_dtype_spellings(dtype):
    k = exprc.compile("x + 1", dtype=dtype)
    assert k.dtype in ("float32", "float64")


def test_call_by_position_keyword_and_params():
    k = exprc.compile("x - y * $c")
    x, y = np.arange(4.0), np.ones(4)
    want = x - y * 2
    assert np.array_equal(k(x, y, c=2), want)
    assert np.array_equal(k(y=y, x=x, c=2), want)
    assert np.array_equal(k(x, y, params=[2]), want)


@pytest.mark.parametrize("call, message", [
    (lambda k: k(1.0), "missing input: y"),
    (lambda k: k(1.0, 2.0), "missing parameter: c"),
    (lambda k: k(1.0, 2.0, 3.0, c=1), "takes 2 positional inputs"),
    (lambda k: k(1.0, 2.0, c=1, w=2), "unexpected argument 'w'"),
    (lambda k: k(np.ones(3), np.ones(4), c=1), "do not broadcast"),
    (lambda k: k(1.0, y=2.0, x=3.0, c=1), "given twice"),
])
def test_bad_calls_raise_bind_errors(call, message):
    k = exprc.compile("x - y * $c")
    with pytest.raises(exprc.BindError, match=message):
        call(k)


def test_explicit_variable_order_and_unused_inputs():
    k = exprc.compile("y * 2", variables=["x", "y"])
    assert np.array_equal(k(np.zeros(2), np.ones(2)), [2.0, 2.0])
    with pytest.raises(exprc.ExprcError, match="not listed"):
        exprc.compile("x + z", variables=["x"])


def test_numpy_backend_has_the_same_interface():
    k = exprc.compile("where(x > 0, x, 0) + $b", backend="numpy", dtype="float32")
    r = k(np.float32([-1, 2]), b=1)
    assert r.dtype == np.float32 and list(r) == [1.0, 3.0]
    assert "where" in k.source()


def test_evaluate_like_numexpr():
    a = np.arange(5, dtype=np.float32)
    b = np.float32(2)
    r = exprc.evaluate("a * b + 1")            # names from the caller's scope
    assert r.dtype == np.float32 and np.array_equal(r, a * b + 1)
    r64 = exprc.evaluate("a * c", c=np.arange(5.0))
    assert r64.dtype == np.float64
    with pytest.raises(exprc.ExprcError, match="no value for"):
        exprc.evaluate("a * nothere")


def test_sympy_input_and_output():
    import sympy as sp
    x, y = sp.symbols("x y")
    k = exprc.compile(sp.sin(x) * y + sp.Rational(1, 3))
    assert np.allclose(k(np.array([1.0]), np.array([2.0])), np.sin(1) * 2 + 1 / 3)
    assert sp.simplify(exprc.parse("sin(x)*y + 1/3").to_sympy() - (sp.sin(sp.Symbol("x", real=True)) * sp.Symbol("y", real=True) + sp.Rational(1, 3))) == 0


def test_unknown_backend_and_bad_input_types():
    with pytest.raises(exprc.ExprcError, match="unknown backend"):
        exprc.compile("x", backend="gpu9000")
    with pytest.raises(exprc.ExprcError, match="cannot compile"):
        exprc.compile(object())
    with pytest.raises(exprc.ExprcError, match="unsupported dtype"):
        exprc.compile("x", dtype="int8")


def test_int_and_bool_inputs_are_converted():
    k = exprc.compile("x / 2")
    assert np.array_equal(k(np.array([1, 2, 3])), [0.5, 1.0, 1.5])


def test_declared_names_win_over_constants():
    """e, pi, inf and nan are constants only when the caller does not declare or bind them."""
    assert exprc.compile("a*e", variables=["a", "e"])(2.0, 5.0) == 10.0
    assert exprc.compile("a*e")(2.0) == 2.0 * np.e               # undeclared: Euler's number
    assert exprc.compile("pi + inf", variables=["pi", "inf"])(1.0, 2.0) == 3.0
    assert exprc.compile("np.pi * pi", variables=["pi"])(2.0) == 2 * np.pi   # np.pi stays pi
    pop = exprc.Population(["a * e"], variables=["a", "e"], dtype="float64")
    assert pop.predict(np.array([[2.0, 5.0]]))[0, 0] == 10.0


def test_evaluate_reads_a_bound_e_as_the_callers_variable():
    b = np.ones(3)
    e = np.full(3, 1.602176634e-19)                # the elementary charge, as physics writes it
    assert np.array_equal(exprc.evaluate("b * e"), b * e)
    assert np.array_equal(exprc.evaluate("b * nan", local_dict={"b": b, "nan": 2.0}), b * 2)

    def unbound():
        c = np.ones(2)
        return exprc.evaluate("c * pi")
    assert np.array_equal(unbound(), np.full(2, np.pi))


def test_cli_eval_reads_a_column_named_e(tmp_path, capsys):
    from exprc.cli import main
    csv = tmp_path / "d.csv"
    csv.write_text("a,e\n2,5\n")
    assert main(["eval", "a * e", "--data", str(csv)]) == 0
    assert capsys.readouterr().out.split() == ["10.0"]
