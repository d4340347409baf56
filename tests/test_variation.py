"""Bulk variation operators on flat programs (search/sr/variation.py): every child is a valid
program, made the way its operator says, and the same seed gives the same children."""
import numpy as np
import pytest

from exprc.population import flat as fm
from exprc.population import encoding as enc
from exprc.search.sr import variation as V

PRIMS = V.Primitives.from_names(["add", "sub", "mul", "div", "sin", "exp", "sqrt"], ["x0", "x1", "x2"])


def _parents(seed=0, n=400):
    return V.random_trees(PRIMS, np.random.default_rng(seed), n, depth=4)


def _valid(p):
    """Sizes agree with the codes, every program is one tree, and it converts to IR."""
    assert np.array_equal(p.size, fm.subtree_sizes(p.code, p.start))
    assert np.array_equal(p.size[p.roots], p.lengths)
    depth = np.cumsum(1 - enc.ARITY[p.code])
    ends = np.concatenate([[0], depth[p.roots]])
    assert np.all(np.diff(ends) == 1)                    # each program leaves one value
    p.take(np.arange(min(len(p), 50))).to_nodes()


OPERATORS = {
    "point": lambda p, rng: V.point(p, PRIMS, rng),
    "subtree": lambda p, rng: V.subtree(p, PRIMS, rng),
    "hoist": lambda p, rng: V.hoist(p, rng),
    "shrink": lambda p, rng: V.shrink(p, PRIMS, rng),
    "insert": lambda p, rng: V.insert(p, PRIMS, rng),
    "crossover": lambda p, rng: V.crossover(p, p.take(np.roll(np.arange(len(p)), 1)), rng),
}


@pytest.mark.parametrize("name", OPERATORS)
def test_children_are_valid_programs_one_per_parent(name):
    parents = _parents()
    children = OPERATORS[name](parents, np.random.default_rng(1))
    assert len(children) == len(parents)
    _valid(children)


@pytest.mark.parametrize("name", OPERATORS)
def test_same_seed_same_children(name):
    a = OPERATORS[name](_parents(), np.random.default_rng(7))
    b = OPERATORS[name](_parents(), np.random.default_rng(7))
    assert np.array_equal(a.hashes(), b.hashes())


def test_point_mutation_keeps_the_shape():
    parents = _parents()
    children = V.point(parents, PRIMS, np.random.default_rng(2))
    assert np.array_equal(children.lengths, parents.lengths)
    assert np.array_equal(enc.ARITY[children.code], enc.ARITY[parents.code])
    assert (children.hashes() != parents.hashes()).mean() > 0.5


def test_hoist_gives_a_subtree_of_the_parent():
    parents = _parents()
    children = V.hoist(parents, np.random.default_rng(3))
    hashes = parents.node_hashes()
    owner = parents.program_of()
    for k, h in enumerate(children.hashes()):
        assert h in set(hashes[owner == k].tolist())
    assert np.all(children.lengths <= parents.lengths)


def test_shrink_never_grows_and_insert_grows():
    parents = _parents()
    assert np.all(V.shrink(parents, PRIMS, np.random.default_rng(4)).lengths <= parents.lengths)
    grown = V.insert(parents, PRIMS, np.random.default_rng(4)).lengths - parents.lengths
    assert np.all((grown == 1) | (grown == 2))


def test_crossover_child_holds_a_subtree_of_its_donor():
    parents = _parents()
    donors = parents.take(np.roll(np.arange(len(parents)), 1))
    children = V.crossover(parents, donors, np.random.default_rng(5))
    ch, dh = children.node_hashes(), donors.node_hashes()
    cown, down = children.program_of(), donors.program_of()
    for k in range(0, len(parents), 37):
        assert set(dh[down == k].tolist()) & set(ch[cown == k].tolist())


def test_limit_returns_parents_for_children_too_long():
    parents = _parents()
    children = V.insert(parents, PRIMS, np.random.default_rng(6))
    kept, ok = V.limit(children, parents, max_records=12)
    assert np.all(kept.lengths[ok] <= 12)
    assert np.array_equal(kept.hashes()[~ok], parents.hashes()[~ok])


def test_unique_keeps_first_of_each_structure():
    parents = _parents()
    doubled = parents.take(np.concatenate([np.arange(len(parents)), np.arange(len(parents))]))
    distinct, index = V.unique(doubled)
    assert len(distinct) == len(set(parents.hashes().tolist()))
    assert np.array_equal(distinct.hashes()[index], doubled.hashes())
