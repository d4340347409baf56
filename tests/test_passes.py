"""Optimizing passes: every rewrite marked exact really is exact in IEEE arithmetic,
checked on every combination of special values with the numpy oracle."""
import itertools

import numpy as np
import pytest

import exprc
from exprc import ir, parse
from exprc.passes import optimize, passes_for
from exprc.passes.rewrite import instantiate, rewrite
from exprc.passes.rules import FAST_RULES, PHASE_RULES, PRINT_RULES, STRICT_RULES
from exprc.program import Program
from exprc.random_expr import special_values
from exprc.backends import numpy_backend

from conftest import same_bits


def _eval(node, env, dtype):
    prog = Program.build([node], dtype, variables=sorted(env))
    shape = np.broadcast_shapes(*(np.shape(v) for v in env.values()))
    return np.broadcast_to(numpy_backend.evaluate(prog, env, {})[0], shape).copy()


@pytest.mark.parametrize("rule", STRICT_RULES, ids=lambda r: r.pattern)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_strict_rules_are_exact_on_special_values(rule, dtype):
    pat, rep = rule.compiled()
    names = sorted(set(pat.variables))
    specials = special_values(dtype)
    grids = np.meshgrid(*([specials] * len(names)))
    env = {n: g.ravel() for n, g in zip(names, grids)}
    binding = {n: ir.var(n, dtype) for n in names}
    if "c" in names:   # a condition variable
        binding["c"] = ir.apply("lt", ir.var("c", dtype), ir.const(1, dtype))
    lhs = instantiate(pat, binding, dtype)
    rhs = optimize(lhs, level=1)
    assert rhs is not lhs or rule.guard is not None, f"{rule.pattern} did not fire"
    if rule.guard is not None:   # k is a constant the guard judges: try several, fired or not
        others = [n for n in names if n != "k"]
        grids = np.meshgrid(*([specials] * len(others)))
        env = {n: g.ravel() for n, g in zip(others, grids)}
        fired = 0
        for k in (2.0, 0.25, 3.0, 2.0 ** -126, -2.0, -3.0, -0.5, -1e30, -0.0):
            l = instantiate(pat, {**{n: ir.var(n, dtype) for n in others}, "k": ir.const(k, dtype)}, dtype)
            r = optimize(l, level=1)
            fired += r is not l
            assert same_bits(_eval(l, env, dtype), _eval(r, env, dtype)), k
        assert fired, f"{rule.pattern} never fired"
        return
    got = _eval(rhs, env, dtype)
    if all(exprc.ops.REGISTRY[n.op].ieee_exact for n in ir.topo([lhs]) if n.args):
        assert same_bits(_eval(lhs, env, dtype), got)
    else:
        # pow is not correctly rounded in every libm; the exact folder defines the true value,
        # and a rewrite to exact ops must give that value correctly rounded
        assert same_bits(_exact_eval(lhs, env, dtype), got)


def _exact_eval(node, env, dtype):
    """Evaluate point by point, every op correctly rounded to dtype (the exact folder applied to
    one op at a time): what the program means when the op itself is correctly rounded."""
    from exprc.exact import fold_values
    from exprc.numbers import round_value, to_value
    names = sorted(env)
    order = ir.topo([node])
    out = []
    for point in zip(*(env[n] for n in names)):
        vals = {}
        for n in order:
            if n.op == ir.VAR:
                vals[id(n)] = to_value(point[names.index(n.value)])
            elif n.op == ir.CONST:
                vals[id(n)] = n.value
            else:
                v = fold_values(exprc.ops.REGISTRY[n.op], [vals[id(a)] for a in n.args], n.dtype)
                vals[id(n)] = v if isinstance(v, bool) else to_value(round_value(v, dtype))
        out.append(round_value(vals[id(node)], dtype))
    return np.array(out, dtype=dtype)


@pytest.mark.parametrize("rule", FAST_RULES, ids=lambda r: r.pattern)
def test_fast_rules_only_fire_under_fastmath(rule):
    pat, rep = rule.compiled()
    binding = {n: ir.var(n) for n in pat.variables}
    lhs = instantiate(pat, binding, "float64")
    target = optimize(instantiate(rep, binding, "float64"), level=2, fastmath=True)
    assert optimize(lhs, level=2, fastmath=False) is not target
    assert optimize(lhs, level=2, fastmath=True) is target


def test_fast_rules_really_are_inexact():
    """Each fast-math rule's stated counterexample exists (else it belongs in STRICT_RULES)."""
    specials = special_values("float64")
    for rule in FAST_RULES:
        pat, _ = rule.compiled()
        names = sorted(pat.variables)
        grids = np.meshgrid(*([specials] * len(names)))
        env = {n: g.ravel() for n, g in zip(names, grids)}
        lhs = instantiate(pat, {n: ir.var(n) for n in names}, "float64")
        rhs = optimize(lhs, level=2, fastmath=True)
        assert not same_bits(_eval(lhs, env, "float64"), _eval(rhs, env, "float64")), rule.pattern


def test_levels():
    assert [n for n, _ in passes_for(0)] == ["fold", "powers"]
    assert [n for n, _ in passes_for(1)] == ["fold", "identities"]
    assert "integer_powers" in [n for n, _ in passes_for(2, fastmath=True)]
    for bad in (3, 7, -1, "2", 1.5):
        with pytest.raises(exprc.ExprcError, match="optimization level"):
            passes_for(bad)
    with pytest.raises(exprc.ExprcError, match="optimization level"):
        exprc.compile("x + 1", optimize=7)


def test_o0_still_folds_constants():
    assert str(optimize(parse("x * (1 + 2)"), level=0)) == "x * 3"


def test_strict_mode_keeps_inexact_forms():
    for text in ["x + 0", "x - x", "x * 0", "x**3", "x**0.5", "exp(log(x))"]:
        n = parse(text)
        assert optimize(n, level=2) is n, text


def test_integer_powers_under_fastmath():
    assert str(optimize(parse("x**5"), level=2, fastmath=True)) == "x * (x * x * (x * x))"
    assert str(optimize(parse("x**-3"), level=2, fastmath=True)) == "1 / (x * (x * x))"
    assert str(optimize(parse("x**2"), level=2)) == "x * x"      # exact, so also strict


def test_division_by_power_of_two_becomes_multiplication():
    assert str(optimize(parse("x / 8"), level=1)) == "x * 0.125"
    assert str(optimize(parse("x / 3"), level=1)) == "x / 3"


def test_common_subexpressions_are_shared_without_a_pass():
    prog = Program.build([parse("sin(x*y) + sin(x*y) * cos(x*y)")], "float32")
    assert sum(1 for n in prog.schedule() if n.op == "mul") == 2   # x*y once, the product once


@pytest.mark.parametrize("text", ["x ** 2", "x ** -1", "(x + y) ** 2", "sqrt(x) ** 2"])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_integer_powers_lower_the_same_at_every_level(text, dtype):
    rng = np.random.default_rng(7)
    x = (rng.standard_normal(20_000) * 1e3).astype(dtype)
    y = rng.standard_normal(20_000).astype(dtype)
    results = [exprc.compile(text, dtype=dtype, optimize=o, variables=["x", "y"])(x, y) for o in (0, 1, 2)]
    assert same_bits(results[0], results[1]) and same_bits(results[1], results[2])


@pytest.mark.parametrize("rule", PRINT_RULES, ids=lambda r: r.pattern)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_print_rules_keep_every_bit(rule, dtype):
    """How fitted models print (search/sr/finalize.py) never changes a value."""
    pat, _ = rule.compiled()
    others = sorted(set(pat.variables) - {"k"})
    specials = special_values(dtype)
    grids = np.meshgrid(*([specials] * len(others)))
    env = {n: g.ravel() for n, g in zip(others, grids)}
    fired = 0
    for k in (2.0, 0.25, -2.0, -3.0, -0.5, -1e30, -0.0):
        lhs = instantiate(pat, {**{n: ir.var(n, dtype) for n in others}, "k": ir.const(k, dtype)}, dtype)
        rhs = rewrite([lhs], [rule])[0]
        fired += rhs is not lhs
        assert same_bits(_eval(lhs, env, dtype), _eval(rhs, env, dtype)), k
    assert fired, f"{rule.pattern} never fired"


@pytest.mark.parametrize("rule", PHASE_RULES, ids=lambda r: r.pattern)
def test_phase_rules_hold_on_the_reals(rule):
    pat, _ = rule.compiled()
    u = np.linspace(-10, 10, 101)
    for turns in (-3, -1, 1, 2, 5):
        lhs = instantiate(pat, {"u": ir.var("u", "float64"), "c": ir.const(turns * np.pi / 2, "float64")}, "float64")
        rhs = rewrite([lhs], [rule])[0]
        assert rhs is not lhs and "+" not in str(rhs) and "-" not in str(rhs).lstrip("-")
        np.testing.assert_allclose(_eval(rhs, {"u": u}, "float64"), _eval(lhs, {"u": u}, "float64"), atol=1e-14)
