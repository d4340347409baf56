"""The IR: hash-consing, immutability, typing, serialization, memory."""
import gc
import pickle

import pytest

import exprc
from exprc import ir, parse


def test_structurally_equal_nodes_are_the_same_object():
    a = parse("sin(x) * y + sin(x)")
    b = parse("sin(x)*y+sin(x)")
    assert a is b
    assert a.args[0].args[0] is a.args[1]     # the shared subexpression is one node


def test_nodes_are_immutable():
    n = parse("x + 1")
    with pytest.raises(AttributeError):
        n.op = "sub"


def test_dtypes_are_part_of_identity():
    assert parse("x + 1", dtype="float32") is not parse("x + 1", dtype="float64")
    assert parse("x + 1").astype("float32") is parse("x + 1", dtype="float32")


def test_comparisons_are_bool_and_coerce_in_arithmetic():
    c = parse("x < y")
    assert c.dtype == "bool"
    assert parse("(x < y) + 1").args[0].op == "where"
    assert parse("where(x, 1, 2)").args[0].op == "ne"    # a number as a condition: nonzero


def test_mixing_float32_and_float64_is_a_type_error():
    with pytest.raises(exprc.TypeMismatch):
        ir.apply("add", ir.var("x", "float32"), ir.var("y", "float64"))


def test_python_operators_build_ir():
    x, y = exprc.var("x"), exprc.var("y")
    assert (x * 2 + y) is parse("x * 2 + y")
    assert (-x) ** 2 is parse("(-x)**2")
    assert 1 / x is parse("1 / x")


def test_pickle_round_trip_preserves_identity():
    n = parse("where(x > $a, sin(x) * 0.1, -0.0) + pi")
    assert pickle.loads(pickle.dumps(n)) is n


def test_digest_is_stable_and_structural():
    a, b = parse("x*y + 1"), parse("x*y + 2")
    assert a.digest() == parse("x * y + 1").digest()
    assert a.digest() != b.digest()


def test_dead_nodes_are_freed():
    """A million distinct candidates in a loop must not grow the intern table."""
    gc.collect()
    before = ir.interned_count()
    for k in range(20_000):
        parse(f"x * {k} + sin(y - {k})")
    gc.collect()
    assert ir.interned_count() - before < 100


def test_deep_dag_traversals_do_not_recurse():
    n = ir.var("x")
    for _ in range(100_000):
        n = ir.apply("add", n, ir.const(1))
    assert len(ir.topo([n])) == 100_002
    assert n.size == 200_001
    assert pickle.loads(pickle.dumps(n)) is n
    del n
    gc.collect()
