"""Huge expressions compile (large kernels are built at -O0, constants from a table) and give
the same bits as the reference; beyond the stated limit a clear error comes instead of minutes
of silence. Times are measured in the README, not asserted here."""
from __future__ import annotations

import numpy as np
import pytest

import exprc
from exprc.backends import llvm as llvm_backend
import importlib
from exprc.backends.llvm import target as target_mod

from conftest import same_bits


def _big_sum(terms: int) -> str:
    return " + ".join(f"{k + 1}.5*x{k % 7} - x{(k + 3) % 7}/{k + 2}" for k in range(terms))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_large_kernel_with_many_constants_matches_the_reference(dtype, monkeypatch):
    monkeypatch.setattr(target_mod, "LARGE_FUNCTION_LINES", 500)    # take the -O0 path
    text = _big_sum(400)                          # 800 distinct constants: read from a table
    k = exprc.compile(text, dtype=dtype)
    assert "consts = private" in k.source("llvm")
    rng = np.random.default_rng(3)
    xs = [rng.standard_normal(1003).astype(dtype) for _ in k.variables]
    ref = exprc.compile(text, dtype=dtype, backend="numpy")(*xs)
    assert same_bits(k(*xs), ref)


def test_constant_table_kernel_keeps_lazy_branches_valid(monkeypatch):
    monkeypatch.setattr(importlib.import_module("exprc.backends.llvm.lower"), "CONSTANT_TABLE_MIN", 0)
    text = "where(x > 0.5, exp(x * 1.25) + 3, 2.5) + sin(x) * 0.75"
    k = exprc.compile(text, dtype="float32")
    x = np.linspace(-2, 2, 1001, dtype=np.float32)
    assert np.allclose(k(x), exprc.compile(text, dtype="float32", backend="numpy")(x), rtol=1e-5)


def test_beyond_the_size_limit_is_a_clear_error(monkeypatch):
    monkeypatch.setattr(llvm_backend, "MAX_OPS", 100)
    with pytest.raises(exprc.ExprcError, match="distinct operations"):
        exprc.compile(_big_sum(60))
    assert exprc.compile(_big_sum(60), backend="numpy")(*([1.0] * 7)) is not None


def test_compiles_past_the_in_process_limit_go_to_a_worker_that_is_replaced(monkeypatch):
    """llvmlite leaks memory per compile, so after IN_PROCESS_COMPILES a child process compiles,
    replaced every WORKER_COMPILES; a dead worker costs nothing but a compile in process."""
    import os
    import signal
    from exprc.backends.llvm import target
    monkeypatch.setenv("EXPRC_CACHE", "0")
    monkeypatch.setenv("EXPRC_COMPILE_WORKER", "1")
    monkeypatch.setattr(target, "IN_PROCESS_COMPILES", 0)
    monkeypatch.setattr(target, "WORKER_COMPILES", 2)
    eng = target.engine()
    x = np.linspace(-1, 1, 33)
    pids = set()
    for k in range(5):
        k_ = exprc.compile(f"x * {k + 0.25} + 7.125 + cos(x) * {k}", dtype="float64")
        np.testing.assert_allclose(k_(x), x * (k + 0.25) + 7.125 + np.cos(x) * k, rtol=1e-15)
        pids.add(eng._worker.proc.pid)
    assert len(pids) >= 2                                   # replaced after 2 compiles
    os.kill(eng._worker.proc.pid, signal.SIGKILL)
    eng._worker.proc.wait()
    k_ = exprc.compile("x * 99.75 + 7.125", dtype="float64")
    np.testing.assert_allclose(k_(x), x * 99.75 + 7.125, rtol=1e-15)
