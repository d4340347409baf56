"""Emitted C compiles with a plain C compiler and agrees with the numpy oracle bit for bit on
exact ops (strict flags: -ffp-contract=off, no -ffast-math)."""
import ctypes
import shutil
import subprocess

import numpy as np
import pytest

import exprc
from exprc.backends.c_source import emit_c

from conftest import same_bits

CC = shutil.which("cc") or shutil.which("gcc")
pytestmark = pytest.mark.skipif(CC is None, reason="no C compiler on this machine")


def _build(program, tmp_path, name="k"):
    src = tmp_path / f"{name}.c"
    lib = tmp_path / f"{name}.so"
    src.write_text(emit_c(program))
    subprocess.run([CC, "-O2", "-std=c99", "-ffp-contract=off", "-fno-fast-math", "-shared", "-fPIC",
                    str(src), "-o", str(lib), "-lm"], check=True, capture_output=True)
    return ctypes.CDLL(str(lib))


@pytest.mark.parametrize("text", [
    "x * y + z", "fma(x, y, z)", "min(x, y) - max(y, z)", "where(x < y, sqrt(x), -z) / 3",
    "copysign(x, y) + sign(z)", "floor(x) + ceil(y) + trunc(z) + round(x)", "fmod(x, y) + abs(z)",
    "ldexp(x, 3) + logb(y)",
])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_c_matches_oracle(text, dtype, tmp_path, special_grid):
    k = exprc.compile(text, dtype=dtype, backend="numpy", variables=["x", "y", "z"])
    lib = _build(k.program, tmp_path)
    x, y, z = special_grid(dtype)
    out = np.empty_like(x)
    ptr = lambda a: a.ctypes.data_as(ctypes.c_void_p)  # noqa: E731
    lib.exprc_eval_array(ctypes.c_size_t(x.size), ptr(x), ptr(y), ptr(z), ptr(out))
    with np.errstate(all="ignore"):
        want = k(x, y, z)
    assert same_bits(out, want)


def test_c_with_parameters_and_keyword_named_variables(tmp_path):
    k = exprc.compile("int * $a + sin(for)", dtype="float64", backend="numpy")
    src = emit_c(k.program)
    assert "v_int" in src and "v_for" in src
    lib = _build(k.program, tmp_path)
    x = np.array([1.0, 2.0])
    f = np.array([0.5, 0.25])
    p = np.array([3.0])
    out = np.empty(2)
    ptr = lambda a: a.ctypes.data_as(ctypes.c_void_p)  # noqa: E731
    lib.exprc_eval_array(ctypes.c_size_t(2), ptr(x), ptr(f), ptr(p), ptr(out))
    assert np.allclose(out, x * 3 + np.sin(f))


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_log_bessel_in_c_agrees_with_llvm(dtype, tmp_path):
    """float32 log_iv is float64 work rounded once: the C source says so with (double) casts
    and calls double-precision libm inside."""
    v = np.array([0.0, 0.3, 2.5, 19.5, 25.0, 300.0, 5e3, 1e5], dtype)
    x = np.array([1e-6, 1.0, 2.5, 40.0, 0.5, 280.0, 1e-3, 10.0], dtype)
    k = exprc.compile("log_iv(v, x) + log_kv(v, x)", dtype=dtype, variables=["v", "x"])
    lib = _build(k.program, tmp_path)
    out = np.empty_like(v)
    ptr = lambda a: a.ctypes.data_as(ctypes.c_void_p)  # noqa: E731
    lib.exprc_eval_array(ctypes.c_size_t(v.size), ptr(v), ptr(x), ptr(out))
    want, tol = k(v, x), (1e-14 if dtype == "float64" else 1.2e-7)   # |d| / max(|f|, 1)
    assert np.all(np.abs(out - want) <= tol * np.maximum(np.abs(want), 1))
