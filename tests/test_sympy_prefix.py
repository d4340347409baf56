"""Other front ends: sympy expressions and the prefix tokens of neural SR models."""
import math

import numpy as np
import pytest
import sympy as sp

import exprc


x, y = sp.symbols("x y")


@pytest.mark.parametrize("expr, text", [
    (sp.sin(x) * y - x / y, "y * sin(x) - x / y"),
    (sp.Max(x, y, 1), "max(max(1, x), y)"),
    (sp.Piecewise((x, x > 0), (-x, True)), "where(x > 0, x, -x)"),
    (sp.Float("0.1") * x, "0.1 * x"),
    (sp.exp(x) + sp.E + sp.pi, "e + pi + exp(x)"),
    (sp.sqrt(x) + 1 / sp.sqrt(y), "sqrt(x) + 1 / sqrt(y)"),
    (sp.Abs(x) + sp.sign(y) + sp.floor(x) + sp.ceiling(y), None),
    (sp.atan2(y, x) + sp.erf(x) + sp.asinh(y), None),
])
def test_from_sympy(expr, text):
    node = exprc.from_sympy(expr)
    if text is not None:
        assert str(node) == text
    back = node.to_sympy().subs({sp.Symbol("x", real=True): x, sp.Symbol("y", real=True): y})
    assert sp.simplify(back - expr) == 0


def test_from_sympy_parameters_and_errors():
    a = sp.Symbol("a")
    assert exprc.from_sympy(a * x, parameters=["a"]).parameters == ("a",)
    assert exprc.from_sympy(sp.gamma(x)).op == "tgamma"
    with pytest.raises(exprc.ExprcError, match="no exprc op"):
        exprc.from_sympy(sp.zeta(x))


def test_deep_sympy_expression_converts():
    e = x
    for _ in range(300):          # sympy itself recurses while building deeper ones
        e = sp.sin(e)
    assert exprc.from_sympy(e).size == 301


@pytest.mark.parametrize("tokens, text", [
    (["add", "mul", "x_0", "x_1", "sin", "x_2"], "x_0 * x_1 + sin(x_2)"),
    ("mul INT- 1 2 pow2 x".split(), "-12 * x**2"),
    ("div 1.5 inv add x pi".split(), "1.5 / (1 / (x + pi))"),
    ("sub neg x0 pow3 x1".split(), "-x0 - x1**3"),
    ("mul $c exp x".split(), "$c * exp(x)"),
    ("add -2.5 abs x".split(), "-2.5 + abs(x)"),
])
def test_from_prefix(tokens, text):
    assert str(exprc.from_prefix(tokens)) == text


@pytest.mark.parametrize("tokens, message", [
    (["add", "x"], "needs 2 operands"),
    (["x", "y"], "not one expression"),
    (["sinn", "x"], "did you mean 'sin'"),
    (["add", "x", "#"], "unknown token"),
    ([], "empty"),
])
def test_from_prefix_errors(tokens, message):
    with pytest.raises(exprc.ExprcError, match=message):
        exprc.from_prefix(tokens)
