"""Rules-as-data applied to flat programs in bulk (exprc/population/rewrite.py): every rule the
flat rewriter takes rewrites its own pattern to its replacement, and the search's rules keep
a program's value (on the reals) while making it smaller."""
import numpy as np
import pytest

from exprc import ir
from exprc.parser import parse
from exprc.passes.fold import fold
from exprc.passes.rewrite import instantiate
from exprc.passes.rules import LINEAR_SCALING_RULES, SEARCH_RULES, STRICT_RULES
from exprc.population import Population, flat as fm
from exprc.population.rewrite import compile_rules, fold_constants, rewrite
from exprc.search.sr import variation as var

D = "float64"
BINDINGS = {"x": "x0", "y": "x1", "z": "x2", "u": "x2", "j": "1.5", "k": "2.5", "c": "x2"}
FLAT_RULES = compile_rules(SEARCH_RULES + LINEAR_SCALING_RULES + STRICT_RULES)


def _bind(node):
    binding = {v: parse(BINDINGS[v], dtype=D) for v in node.variables}
    return binding


@pytest.mark.parametrize("rule", FLAT_RULES, ids=lambda r: f"{r.source.pattern} -> {r.source.replacement}")
def test_every_flat_rule_rewrites_its_pattern(rule):
    pat, rep = rule.source.compiled()
    b = _bind(pat)
    before = fold([instantiate(pat, b, D)])[0]
    expected = fold([instantiate(rep, b, D)])[0]
    flat = fm.from_nodes([before], D)
    if flat.lengths[0] == 1:
        pytest.skip("the pattern folds to a constant once bound")
    out = rewrite(flat, [rule.source], rounds=1)
    assert out.to_text() == fm.from_nodes([expected], D).to_text()


def test_one_batch_many_rules_to_a_fixed_point():
    texts = ["x0 - x0 + x1", "exp(log(x0 * x1))", "x0 * x1 / x1 + 1", "sin(x0) * 1 + 0", "-(-x0) * 2",
             "x0 * (2 * 3) + x1", "x0 + (x1 - x1)", "3 + 2 * (x0 * 1.5)", "2 * x0 + 3 * x0", "1 / (2 / x0)"]
    flat = fm.from_nodes([parse(t, dtype=D) for t in texts], D)
    out = rewrite(flat, SEARCH_RULES)
    assert out.to_text() == ["x1", "x0 * x1", "x0 + 1", "sin(x0)", "x0 * 2", "x0 * 6 + x1", "x0",
                             "3 + x0 * 3", "5 * x0", "0.5 * x0"]
    assert rewrite(out, LINEAR_SCALING_RULES, root_only=True).to_text()[7:] == ["x0", "x0", "x0"]


def test_search_rules_keep_the_value_on_random_programs():
    rng = np.random.default_rng(5)
    prims = var.Primitives.from_names(["add", "sub", "mul", "div", "sin", "exp", "neg"], ["x0", "x1", "x2"])
    progs = fm.concat([var.random_trees(prims, rng, 400, depth=d) for d in (2, 3, 4)])
    out = rewrite(progs, SEARCH_RULES)
    assert (out.lengths <= progs.lengths).all() and (out.lengths < progs.lengths).any()
    X = rng.uniform(0.5, 2.0, (50, 3))
    with np.errstate(all="ignore"):
        a = Population(progs, variables=["x0", "x1", "x2"], dtype=D).predict(X)
        b = Population(out, variables=["x0", "x1", "x2"], dtype=D).predict(X)
    finite = np.isfinite(a) & (np.abs(a) < 1e6)
    np.testing.assert_allclose(b[finite], a[finite], rtol=1e-6, atol=1e-9)


def test_constant_subtrees_fold_exactly_or_as_the_kernel_does():
    flat = fm.from_nodes([parse("x0 + 1", dtype=D)], D)
    joined = var.join([fm.from_nodes([parse("0.1", dtype=D)], D), fm.from_nodes([parse("0.2", dtype=D)], D)],
                      np.array([flat.code[-1]]), arity=np.array([2]))
    assert fold_constants(joined).value[0] == 0.1 + 0.2      # IEEE addition of the two doubles
    assert fold_constants(joined, exact=False).value[0] == 0.1 + 0.2
    sub = fm.from_nodes([ir.apply("sin", ir.var("x0", D))], D)
    assert fold_constants(sub) is sub                       # nothing to fold


def test_a_custom_operator_is_instantiated_over_its_arguments():
    from exprc.search.sr.engine import parse_operators
    prims = var.Primitives.from_operators(parse_operators(["add", "sq(a) = a * a", "f(a, b) = $k * a - b"]),
                                          ["x0", "x1"])
    a = fm.from_nodes([parse("x0 + 1", dtype=D), parse("x1", dtype=D)], D).with_names(prims.names)
    b = fm.from_nodes([parse("x1", dtype=D), parse("x0", dtype=D)], D).with_names(prims.names)
    out = var.join([a, b], np.array([prims.unary[0], prims.binary[1]]), prims=prims, arity=np.array([1, 2]))
    assert out.to_text()[0] == "(x0 + 1) * (x0 + 1)"
    assert out.to_text()[1].endswith(" * x1 - x0")          # k * a - b, k a constant to fit
    assert var.CUSTOM_PARAMETER_START in out.take([1]).value


def test_a_custom_operator_may_compare():
    from exprc.search.sr.engine import parse_operators
    prims = var.Primitives.from_operators(parse_operators(["add", "relu(a) = where(a > 0, a, 0)"]), ["x0"])
    a = fm.from_nodes([parse("x0 - 1", dtype=D)], D).with_names(prims.names)
    out = var.join([a], np.array([prims.unary[0]]), prims=prims, arity=np.array([1]))
    X = np.array([[0.0], [3.0]])
    np.testing.assert_array_equal(Population(out, variables=["x0"], dtype=D).predict(X)[0], [0.0, 2.0])
