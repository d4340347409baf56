"""Shared test helpers: hypothesis strategies for expression trees and a NaN-aware bit compare."""
from __future__ import annotations

import os

import numpy as np
import pytest
from hypothesis import HealthCheck, settings, strategies as st

import exprc
from exprc import ir
from exprc.random_expr import EXACT_OPS, SPECIAL_CONSTANTS, special_values

# Tests never write to the user's cache.
os.environ.setdefault("EXPRC_CACHE_DIR", os.path.join(os.path.dirname(__file__), "..", ".pytest_cache", "exprc"))

settings.register_profile("ci", deadline=None, suppress_health_check=[HealthCheck.too_slow],
                          max_examples=int(os.environ.get("EXPRC_EXAMPLES", "60")))
settings.load_profile("ci")

VARS = ("x", "y", "z")


def same_bits(a, b) -> bool:
    """Bit-identical arrays, where any NaN equals any NaN (payloads are unspecified)."""
    a, b = np.asarray(a), np.asarray(b)
    if a.shape != b.shape or a.dtype != b.dtype:
        return False
    if a.dtype == np.bool_:
        return bool(np.array_equal(a, b))
    nan_a, nan_b = np.isnan(a), np.isnan(b)
    if not np.array_equal(nan_a, nan_b):
        return False
    ia = a.view(np.uint32 if a.dtype == np.float32 else np.uint64)
    ib = b.view(np.uint32 if b.dtype == np.float32 else np.uint64)
    return bool(np.array_equal(ia[~nan_a], ib[~nan_b]))


def first_mismatch(a, b):
    a, b = np.asarray(a), np.asarray(b)
    bad = ~((a == b) & (np.signbit(a) == np.signbit(b)) | (np.isnan(a) & np.isnan(b)))
    idx = np.flatnonzero(bad)
    return None if idx.size == 0 else int(idx[0])


@st.composite
def trees(draw, ops=EXACT_OPS, max_leaves=12, dtype="float64", params=()):
    """Random expression trees over x, y, z, special constants and optional parameters."""
    def leaf():
        kind = draw(st.sampled_from(["var", "var", "var", "const"] + (["param"] if params else [])))
        if kind == "var":
            return ir.var(draw(st.sampled_from(VARS)), dtype)
        if kind == "param":
            return ir.param(draw(st.sampled_from(params)), dtype)
        return ir.const(draw(st.sampled_from(SPECIAL_CONSTANTS)), dtype)

    nodes = [leaf() for _ in range(draw(st.integers(1, max_leaves)))]
    while len(nodes) > 1 or draw(st.booleans()) and len(nodes) == 1 and nodes[0].size < 3:
        opname = draw(st.sampled_from(ops))
        op = exprc.ops.REGISTRY[opname]
        if opname == "where":
            cmp = draw(st.sampled_from(["lt", "le", "gt", "ge", "eq", "ne"]))
            a = nodes.pop(draw(st.integers(0, len(nodes) - 1))) if nodes else leaf()
            b = nodes.pop(draw(st.integers(0, len(nodes) - 1))) if nodes else leaf()
            node = ir.apply("where", ir.apply(cmp, leaf(), leaf()), a, b)
        else:
            args = []
            for _ in range(op.arity):
                args.append(nodes.pop(draw(st.integers(0, len(nodes) - 1))) if nodes else leaf())
            node = ir.apply(opname, *args)
        nodes.append(node)
        if len(nodes) == 1 and node.size > 3 * max_leaves:
            break
    return nodes[0]


@pytest.fixture(scope="session")
def special_grid():
    """Every pair of special values, as x and y columns, plus z cycling through them."""
    def make(dtype):
        s = special_values(dtype)
        x, y = np.meshgrid(s, s)
        x, y = x.ravel(), y.ravel()
        z = np.resize(s[::-1], x.size)
        return x, y, z
    return make


_LIBM_KERNELS: dict = {}


def backend_functions(dtype: str, backend: str = "llvm", mathlib: str = "exprc") -> dict:
    """The backend's own implementation of every libm op, as numpy-callables (for checking whole
    programs bit for bit with the numpy backend even though libm implementations differ)."""
    from exprc import ops

    def kernel(opname, arity, dt):
        key = (opname, dt, backend, mathlib)
        if key not in _LIBM_KERNELS:
            args = ", ".join("abc"[:arity])
            opts = {"mathlib": mathlib} if backend == "llvm" else {}
            _LIBM_KERNELS[key] = exprc.compile(f"{opname}({args})", dtype=dt, backend=backend,
                                               variables=list("abc"[:arity]), **opts)
        return _LIBM_KERNELS[key]

    def make(opname, arity):
        def call(*xs):     # float64 work inside a float32 program calls the float64 function
            dt = "float64" if np.asarray(xs[0]).dtype == np.float64 else dtype
            return kernel(opname, arity, dt)(*[np.asarray(x, dtype=dt) for x in xs])
        return call
    return {op.name: make(op.name, op.arity) for op in ops.REGISTRY.values()
            if op.llvm and op.llvm[0] == "libm"}


def oracle_with(program, functions, *arrays, params=()):
    from exprc.backends import numpy_backend
    env = dict(zip(program.variables, arrays))
    shape = np.broadcast_shapes(*(np.shape(a) for a in arrays))
    outs = numpy_backend.evaluate(program, env, dict(zip(program.parameters, params)), functions)
    return [np.broadcast_to(o, shape).copy() for o in outs]
