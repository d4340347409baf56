"""exprc reads numexpr's expressions as numexpr does: its operators (% is floored modulo, as in
Python), its function names and its own test-suite expressions."""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

import exprc
from exprc.random_expr import special_values

from conftest import same_bits


@pytest.mark.parametrize("backend", ["llvm", "numpy"])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_percent_is_floored_modulo_and_fmod_is_cs(backend, dtype):
    s = special_values(dtype)
    x, y = (g.ravel() for g in np.meshgrid(s, s))
    with np.errstate(all="ignore"):
        assert same_bits(exprc.compile("x % y", dtype=dtype, backend=backend)(x, y), np.remainder(x, y))
        assert same_bits(exprc.compile("fmod(x, y)", dtype=dtype, backend=backend)(x, y), np.fmod(x, y))
    assert exprc.compile("x % y")(-7.0, 3.0) == -7.0 % 3.0 == 2.0
    assert exprc.compile("fmod(x, y)")(-7.0, 3.0) == -1.0


def test_percent_folds_and_prints_like_python():
    assert float(exprc.compile("-7 % 3 + x * 0")(1.0)) == 2.0
    assert float(exprc.compile("7.5 % -2 + x * 0")(1.0)) == 7.5 % -2
    node = exprc.parse("(x + 1) % y * 2")
    assert exprc.parse(str(node)) is node
    assert exprc.compile("x % 3", optimize=0)(-1.0) == 2.0


def test_numexpr_spellings():
    x = np.linspace(-3, 3, 7)
    assert np.array_equal(exprc.evaluate("copy(x) + conj(x) + x.real + (x - 1).real"), 4 * x - 1)
    assert np.array_equal(exprc.evaluate("ones_like(x)"), np.ones_like(x))
    assert np.array_equal(exprc.evaluate("nextafter(x, 10)"), np.nextafter(x, 10))
    with pytest.raises(exprc.ParseError):
        exprc.parse("x.imag")


def test_numexpr_test_suite_expressions_agree():
    pytest.importorskip("numexpr")
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
    try:
        import numexpr_compat
    finally:
        sys.path.pop(0)
    agree, total = numexpr_compat.run()
    assert agree >= 0.97 * total and total > 800
