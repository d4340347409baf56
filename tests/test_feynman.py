"""The 120 Feynman formulas of the SRSD benchmark parse, compile in float32 and float64, and
agree with the numpy backend: bit for bit where they use only exact ops, within the stated
transcendental accuracy otherwise."""
import numpy as np
import pytest

import exprc
from exprc import ops
from exprc.datasets.feynman import FEYNMAN, sample

from conftest import backend_functions, oracle_with, same_bits


def test_there_are_120_problems():
    assert len(FEYNMAN) == 120 and len({p.name for p in FEYNMAN}) == 120
    assert sorted({p.difficulty for p in FEYNMAN}) == ["easy", "hard", "medium"]


@pytest.mark.parametrize("problem", FEYNMAN, ids=lambda p: p.name)
def test_formula_compiles_and_agrees_with_numpy(problem):
    """Bit for bit with the numpy oracle once both use the same elementary functions (the LLVM
    kernel's libm calls are checked against mpmath on their own in test_accuracy.py), and close
    to the numpy oracle with numpy's own functions."""
    node = exprc.parse(problem.formula)
    names = [v.name for v in problem.variables]
    assert set(node.variables) == set(names)
    cols = sample(problem, 256, np.random.default_rng(7))
    for dtype in ("float32", "float64"):
        k = exprc.compile(problem.formula, dtype=dtype, variables=names)
        args = [np.asarray(cols[n], dtype=dtype) for n in names]
        with np.errstate(all="ignore"):
            got = k(*args)
            same_libm = oracle_with(k.program, backend_functions(dtype), *args)[0]
            numpy_libm = oracle_with(k.program, {}, *args)[0]
        assert same_bits(got, same_libm), (problem.formula, dtype)
        both = np.isfinite(got) & np.isfinite(numpy_libm)
        if both.any():
            rel = np.abs(got[both] - numpy_libm[both]) / np.maximum(np.abs(numpy_libm[both]), np.finfo(dtype).tiny)
            assert np.median(rel) <= 8 * np.finfo(dtype).eps, (problem.formula, dtype)
