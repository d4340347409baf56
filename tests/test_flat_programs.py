"""Flat programs and the bulk front ends: the same program exprc.parse / from_prefix gives,
the same errors, the same kernel bits, and the editing operations search needs."""
import random

import numpy as np
import pytest

import exprc
from exprc import ir
from exprc.errors import ExprcError
from exprc.population import FlatPrograms, flat as fm, parse_many
from exprc.population.prefix import parse_prefix_many
from exprc.population import text_c
from exprc.population.text import parse_many_flat
from exprc.population.text_numpy import numpy_path
from exprc.random_expr import TreeSpec, random_population

from conftest import same_bits
from grammar_texts import PARAMETERS, texts


def _reference(items, dtype, parse_one):
    """Programs by the reference path, the indices that parsed, and the errors of the rest."""
    nodes, good, errors = [], [], {}
    for k, t in enumerate(items):
        try:
            nodes.append(parse_one(t, dtype))
            good.append(k)
        except ExprcError as exc:
            errors[k] = str(exc)
    return fm.from_nodes(nodes, dtype), good, errors


def _population_parse(text, dtype):
    """exprc.parse, refusing what a population cannot run as the population does (a mutated
    text such as 'd iv(a, b)' can name an op like iv that only compiled kernels have)."""
    node = exprc.parse(text, dtype=dtype, parameters=PARAMETERS)
    from exprc.passes.fold import fold
    for n in ir.topo(fold([node])):        # iv(535.2, pi) folds to a constant: nothing to refuse
        if n.args and not exprc.ops.REGISTRY[n.op].population:
            raise ExprcError(f"the population engine cannot evaluate {n.op!r}")
    return node


def _assert_same_programs(got: FlatPrograms, want: FlatPrograms, items) -> None:
    assert len(got) == len(want)
    if got.equal(want):
        return
    for k in range(len(got)):      # name the first program that differs
        assert got.take([k]).equal(want.take([k])), (items[k], got.take([k]).to_text(), want.take([k]).to_text())


@pytest.fixture(params=["default", "numpy"])
def text_path(request, monkeypatch):
    """The compiled parser (when built; the default) and the numpy path it falls back to."""
    if request.param == "numpy":
        monkeypatch.setattr(text_c, "_CPARSER", [None])
    return text_c.c_path if text_c.compiled_parser() is not None else numpy_path


@pytest.mark.parametrize("dtype,seed,count", [("float32", 11, 50_000), ("float64", 12, 50_000)])
def test_bulk_text_parsing_matches_the_grammar_on_100k_texts(dtype, seed, count, text_path):
    """50,000 generated texts per dtype (100,000 in all) through each fast path: every valid
    one becomes exactly the program exprc.parse + folding gives, no invalid one is accepted by
    the fast path, and each still raises exprc.parse's own located error."""
    if text_path is numpy_path:
        count = count // 2                      # the fallback path: 50,000 texts in all
    items = texts(seed, count)
    want, good, errors = _reference(items, dtype, _population_parse)
    valid = [items[k] for k in good]
    got, sizes = parse_many_flat(valid, dtype, PARAMETERS)
    _assert_same_programs(got, want, valid)
    assert np.array_equal(sizes, [exprc.parse(t, dtype=dtype, parameters=PARAMETERS).size for t in valid[:2000]] +
                          list(sizes[2000:]))
    accepted = text_path(valid, dtype, frozenset(PARAMETERS))[2]
    assert accepted.mean() > 0.35, "the test must exercise the fast path, not only the fallback"
    invalid = [items[k] for k in errors]
    assert len(invalid) > 5000
    assert not text_path(invalid, dtype, frozenset(PARAMETERS))[2].any()
    for k in list(errors)[:300]:
        with pytest.raises(ExprcError) as exc:
            parse_many([items[k]], dtype, PARAMETERS)
        assert str(exc.value) == errors[k]


def test_operon_style_texts_take_the_fast_path_and_fold_negated_numbers(text_path):
    items = ["((1.000000000000 * x0) + sin((-0.250000000000 * x1)))", "(x0 / (-2.5))", "-x0 ** 2 - -3",
             "exp(-(x1)) * 1e-3", "sqrt(log(x0 ^ 2.0))"]
    fast = text_path(items, "float32", frozenset())[2]
    assert fast.all()
    got = parse_many(items, "float32")
    want = fm.from_nodes([exprc.parse(t, dtype="float32") for t in items], "float32")
    assert got.equal(want)
    assert got.take([1]).to_text() == ["x0 / -2.5"]


def _prefix_tokens(node: ir.Node, rng: random.Random) -> list[str]:
    """Prefix tokens for a node, in the spellings models use (shorthands, INT+ digits)."""
    out, stack = [], [node]
    while stack:
        n = stack.pop()
        if n.op == ir.VAR:
            out.append(n.value)
        elif n.op == ir.PARAM:
            out.append("$" + n.value)
        elif n.op == ir.CONST:
            v = n.value
            if getattr(v, "denominator", 2) == 1 and rng.random() < 0.5:
                out += ["INT+" if v >= 0 else "INT-"] + list(str(abs(int(v))))
            else:
                out.append(str(float(v)) if rng.random() < 0.7 else repr(float(v)))
        elif n.op == "pow" and n.args[1].op == ir.CONST and n.args[1].value in (2, 3) and rng.random() < 0.5:
            out.append("sqr" if n.args[1].value == 2 and rng.random() < 0.5 else f"pow{int(n.args[1].value)}")
            stack.append(n.args[0])
        elif n.op == "div" and n.args[0].op == ir.CONST and n.args[0].value == 1 and rng.random() < 0.5:
            out.append("inv")
            stack.append(n.args[1])
        else:
            out.append(n.op)
            stack.extend(reversed(n.args))
    return out


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_bulk_prefix_matches_from_prefix(dtype):
    rng = random.Random(5)
    spec = TreeSpec(variables=("x_0", "x_1", "x2"), ops=("add", "sub", "mul", "div", "neg", "sin", "exp", "pow",
                                                          "sqrt", "fma", "where"),
                    constants=(2, 3, 1, -1, 0.5, 1e-3, 12, 0), const_prob=0.3, param_prob=0.1,
                    parameters=("c", "k"), dtype=dtype)
    nodes = random_population(3, 4000, 14, spec)
    lists = [_prefix_tokens(n, rng) for n in nodes]
    lists += [lst[:-1] for lst in lists[:300]] + [lst + ["x"] for lst in lists[300:400]]
    lists += [["neg", "2"], ["mul", "2", "pi"], ["INT+"], [], ["foo", "x"], ["add", "x", "1e400"]]
    want, good, errors = _reference(lists, dtype, lambda t, d: exprc.from_prefix(t, dtype=d))
    valid = [lists[k] for k in good]
    got, sizes = parse_prefix_many(valid, dtype)
    _assert_same_programs(got, want, valid)
    assert list(sizes[:500]) == [exprc.from_prefix(t, dtype=dtype).size for t in valid[:500]]
    for k in list(errors)[:100]:
        with pytest.raises(ExprcError) as exc:
            parse_prefix_many([lists[k]], dtype)
        assert str(exc.value) == errors[k]


def test_populations_from_text_prefix_and_nodes_give_the_same_bits():
    spec = TreeSpec(variables=("x0", "x1"), ops=("add", "sub", "mul", "div", "sin", "exp", "log"),
                    constants=(0.5, 1.5, 2.0), dtype="float32")
    nodes = random_population(9, 300, 20, spec)
    texts_ = [str(n) for n in nodes]
    rng = random.Random(1)
    X = np.random.default_rng(0).uniform(-2, 2, (700, 2)).astype(np.float32)
    with np.errstate(all="ignore"):
        ref = exprc.Population(nodes, variables=("x0", "x1")).predict(X)
        from_text = exprc.Population(texts_, variables=("x0", "x1")).predict(X)
        from_prefix = exprc.Population.from_prefix([_prefix_tokens(n, rng) for n in nodes],
                                                   variables=("x0", "x1")).predict(X)
        mixed = exprc.Population([texts_[0], nodes[1], _prefix_tokens(nodes[2], rng)],
                                 variables=("x0", "x1")).predict(X)
    assert same_bits(from_text, ref) and same_bits(from_prefix, ref) and same_bits(mixed, ref[:3])


def test_operands_larger_than_65535_nodes_are_addressed():
    """A subtree of 70,000 nodes as the first operand (sizes are int32, not saturating u16)."""
    x, y = ir.var("x"), ir.var("y")
    big = x
    for _ in range(35_000):
        big = ir.apply("add", big, x)
    node = ir.apply("mul", big, y)
    X = np.random.default_rng(2).uniform(0.5, 1.5, (40, 2))
    got = exprc.Population([node], variables=("x", "y"), dtype="float64").predict(X, tier="interpreter")[0]
    s = X[:, 0].copy()
    for _ in range(35_000):
        s = s + X[:, 0]
    assert same_bits(got, s * X[:, 1])


def test_hashes_are_structural_and_independent_of_names_tables():
    a = parse_many(["sin(x) + y * 2", "y * 2", "x - 1", "sin(x) + y * 2"], "float64")
    b = parse_many(["q + 1", "y * 2", "sin(x) + y * 2"], "float64")
    ha, hb = a.hashes(), b.hashes()
    assert ha[0] == ha[3] == hb[2] and ha[1] == hb[1]
    assert len({ha[0], ha[1], ha[2], hb[0]}) == 4
    # the hash of every subtree equals the hash of that subtree extracted as a program
    nh = a.node_hashes()
    assert np.array_equal(a.subtrees(np.arange(len(a.code))).hashes(), nh)
    # constants hash by their bits: 0 and -0 differ, every float32 program differs from float64 by value
    z = parse_many(["x * 0", "x * -0.0"], "float64").hashes()
    assert z[0] != z[1]


def test_subtree_replacement_equals_rebuilding_the_tree():
    progs = parse_many(["sin(x) * (y + 1)", "exp(x - y) / 3"], "float32")
    donors = parse_many(["cos(y)", "x * x"], "float32")
    # replace the subtree `y + 1` (record index of its root) and `x - y`
    texts_ = progs.to_text()
    plus = int(np.flatnonzero(progs.code == fm.opcode("add"))[0])
    minus = int(np.flatnonzero(progs.code == fm.opcode("sub"))[0])
    out = progs.replace([plus, minus], donors)
    want = parse_many(["sin(x) * cos(y)", "exp(x * x) / 3"], "float32")
    assert out.equal(want), (texts_, out.to_text())
    assert np.array_equal(out.size, fm.subtree_sizes(out.code, out.start))


def test_from_nodes_walks_shared_subtrees_once_and_round_trips():
    x = ir.var("x")
    shared = ir.apply("sin", x * x + 1)
    node = shared * shared + shared
    f = fm.from_nodes([node], "float64")
    assert len(f.code) == node.size
    assert f.to_nodes()[0] is node
    assert fm.from_nodes(f.to_nodes(), "float64").equal(f)


def test_parameter_slots_follow_first_appearance_in_the_text():
    f = parse_many(["$b * x + $a * $b", "x", "$a + y"], "float64")
    slot, names = f.parameter_slots()
    assert names == [("b", "a"), (), ("a",)]
    pop = exprc.Population(["$b * x + $a * $b", "x", "$a + y"], variables=("x", "y"), dtype="float64")
    assert pop.parameters == [("b", "a"), (), ("a",)]
    X = np.array([[2.0, 3.0]])
    assert pop.predict(X, params=[[10.0, 1.0], [], [5.0]]).tolist() == [[30.0], [2.0], [8.0]]


def test_bulk_parsing_builds_no_ir_nodes():
    before = ir.interned_count()
    items = [f"(x0 * {k}.5) + sin(x1 / {k + 1}.25)" for k in range(20_000)]
    flat = parse_many(items, "float32")
    assert len(flat) == 20_000
    assert ir.interned_count() - before < 100


def test_declared_variables_win_over_constants_on_every_path(text_path):
    """A population's variables are declared names: `e` is the caller's e, as in exprc.parse."""
    items = ["a * e", "e ** 2 + pi", "x.real * e", "-e"]
    got, _ = parse_many_flat(items, "float64", (), ("a", "e", "x"))
    want = fm.from_nodes([exprc.parse(t, variables=("a", "e", "x")) for t in items], "float64")
    assert got.equal(want)
    assert got.take([0]).to_text() == ["a * e"]
    pop = exprc.Population(["a * e"], variables=("a", "e"), dtype="float64")
    assert pop.predict(np.array([[2.0, 5.0]])).tolist() == [[10.0]]


FUZZ = r'''
import random, sys
import exprc
from exprc.population import flat as fm, text_c
from exprc.population.text_numpy import numpy_path
rng = random.Random(int(sys.argv[1]))
alphabet = "xy$e(),.+-*/^ 0123456789eE_\t" + "sin" + "\x00;%<=é"
texts = ["".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 24))) for _ in range(100_000)]
for path in ([text_c.c_path] if text_c.compiled_parser() else []) + [numpy_path]:
    flat, _, ok = path(texts, "float64", frozenset())
    accepted = [t for t, a in zip(texts, ok) if a]
    want = fm.from_nodes([exprc.parse(t) for t in accepted], "float64")
    assert flat.equal(want), path
print("ok", sum(ok))
'''


def test_random_bytes_never_crash_a_bulk_path_and_what_is_accepted_is_right(tmp_path):
    """100,000 random strings over the grammar's characters and some others, in a child process
    (a crash in the compiled parser would show here as a signal, not take pytest down)."""
    import subprocess
    import sys
    script = tmp_path / "fuzz.py"
    script.write_text(FUZZ)
    done = subprocess.run([sys.executable, str(script), "7"], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.startswith("ok")
