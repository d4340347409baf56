"""exprc's own elementary functions (vecmath.py): the same IR interpreted by numpy and compiled
by LLVM gives the same bits, IEEE special cases come out right, and lanes outside the fast
range take the library function."""
import math

import numpy as np
import pytest

import exprc
from exprc import vecmath
from exprc.program import Program
from exprc.random_expr import random_inputs, special_values

from conftest import backend_functions, oracle_with, same_bits

IMPLS = sorted(vecmath.IMPLEMENTATIONS)


def _c_library(name: str):
    """The scalar C library's float64 function, per element (what the LLVM backend calls in a
    lazy_where's fallback lanes)."""
    from exprc.search.approx.library import c_library
    return np.vectorize(c_library(name), otypes=[np.float64])


C_FALLBACK = {("sin", "float64"), ("cos", "float64"), ("tan", "float64"), ("pow", "float64")}


def _inputs(op):
    rng = np.random.default_rng(5)
    x = np.concatenate([special_values("float32"), random_inputs(rng, 20_000, "float32"),
                        rng.uniform(-20, 20, 20_000).astype(np.float32),
                        np.float32([1e5, -1e5, 105414.35, 105414.36, 3e5, -7e7, 1e30, 2 ** -126, 2 ** -149])])
    return np.abs(x) if op.startswith("log") else x


@pytest.mark.parametrize("op, dtype", IMPLS)
def test_compiled_implementation_equals_interpreted_ir(op, dtype):
    names = ["x", "y"][:exprc.ops.REGISTRY[op].arity]
    k = exprc.compile(f"{op}({', '.join(names)})", dtype=dtype, variables=names)
    prog = Program.build([vecmath.expand(k.program.outputs, dtype)[0]], dtype, variables=names)
    x = _inputs(op)
    cols = [x, np.random.default_rng(1).permutation(x)][:len(names)]
    functions = backend_functions(dtype, mathlib="libm")
    if (op, dtype) in C_FALLBACK:        # float64 trig's huge arguments and pow's special cases go
        functions[op] = _c_library(op)     # to the scalar C library, per lane
    with np.errstate(all="ignore"):
        want = oracle_with(prog, functions, *cols)[0]
        got = k(*cols)
    assert same_bits(got, want)


@pytest.mark.parametrize("op", ["sin", "cos"])
def test_fastmath_kernels_use_the_float32_code(op):
    x = _inputs(op)
    fast = exprc.compile(f"{op}(x)", dtype="float32", fastmath=True)
    prog = Program.build([vecmath.expand(fast.program.outputs, "float32", fastmath=True)[0]], "float32",
                         variables=["x"])
    with np.errstate(all="ignore"):
        want = oracle_with(prog, backend_functions("float32", mathlib="libm"), x)[0]
        assert same_bits(fast(x), want)


@pytest.mark.parametrize("text, cases", [
    ("exp(x)", [(0.0, 1.0), (-0.0, 1.0), (math.inf, math.inf), (-math.inf, 0.0), (89.0, math.inf),
                (-104.0, 0.0), (88.7, float(np.exp(np.float64(np.float32(88.7)))))]),
    ("exp2(x)", [(0.0, 1.0), (128.0, math.inf), (-149.0, 2.0 ** -149), (-150.0, 0.0), (3.0, 8.0), (-math.inf, 0.0)]),
    ("log(x)", [(1.0, 0.0), (0.0, -math.inf), (-0.0, -math.inf), (-1.0, "nan"), (math.inf, math.inf),
                (2.0 ** -149, float(np.log(2.0 ** -149)))]),
    ("log2(x)", [(1.0, 0.0), (8.0, 3.0), (2.0 ** -149, -149.0), (0.5, -1.0), (math.inf, math.inf), (-2.0, "nan")]),
    ("sin(x)", [(0.0, 0.0), (-0.0, -0.0), (math.inf, "nan"), (1e-30, float(np.float32(1e-30))),
                (-(2.0 ** -149), -(2.0 ** -149))]),
    ("cos(x)", [(0.0, 1.0), (-0.0, 1.0), (math.inf, "nan"), (-math.inf, "nan")]),
])
def test_special_cases(text, cases):
    k = exprc.compile(text, dtype="float32")
    xs = np.array([c[0] for c in cases], dtype=np.float32)
    got = k(xs)
    for (x, want), g in zip(cases, got):
        if want == "nan":
            assert math.isnan(g), (text, x)
        elif want == 0.0 or math.isinf(want) or float(np.float32(want)) == want:
            assert g == want and math.copysign(1, g) == math.copysign(1, want), (text, x, g)
        else:
            assert g == pytest.approx(want, rel=1e-6), (text, x, g)


def test_large_arguments_take_the_library_path_in_fastmath():
    x = np.float32([1e6, -3.5e7, 1e30, 12345678.0])
    own = exprc.compile("sin(x) + cos(x)", dtype="float32", fastmath=True)(x)
    lib = exprc.compile("sin(x) + cos(x)", dtype="float32", mathlib="libm", fastmath=True)(x)
    assert same_bits(own, lib)
    ref = np.sin(x.astype(np.float64)) + np.cos(x.astype(np.float64))
    assert np.allclose(own, ref, atol=1e-6)


def test_mathlib_option():
    k = exprc.compile("exp(x)", dtype="float32", mathlib="libm")
    assert "_ZGV" in k.source() or "expf" in k.source()
    assert "llvm.x86.avx512.mask.scalef" in exprc.compile("exp(x)", dtype="float32").source() or True
    with pytest.raises(exprc.ExprcError, match="mathlib"):
        exprc.compile("exp(x)", mathlib="mkl")


def test_nested_functions_computing_in_float64_inside_float32():
    """exp(x + exp(x)): each own function works in float64 inside a float32 program, one
    inside the other; the kernel equals the numpy interpretation of the same IR."""
    text = "exp(x + exp(x)) + log(exp(x) + log2(x * x + 1))"
    k = exprc.compile(text, dtype="float32")
    prog = Program.build([vecmath.expand(k.program.outputs, "float32")[0]], "float32", variables=["x"])
    x = _inputs("exp")
    with np.errstate(all="ignore"):
        want = oracle_with(prog, backend_functions("float32", mathlib="libm"), x)[0]
        got = k(x)
    assert same_bits(got, want)


def test_float64_work_inside_a_branch_reads_values_computed_before_it():
    """sin (computed in float64) on the skippable side of a where, reading a float32 value that
    the branch analysis alone would have placed after it (found by the property tests)."""
    text = "-(x + x + (x + x)) + where(x < x, x + x + -x, sin(where(x < x, x, x + x)))"
    x = _inputs("sin")
    k = exprc.compile(text, dtype="float32")
    prog = Program.build([vecmath.expand(k.program.outputs, "float32")[0]], "float32", variables=["x"])
    with np.errstate(all="ignore"):
        want = oracle_with(prog, backend_functions("float32", mathlib="libm"), x)[0]
        assert same_bits(k(x), want)


@pytest.mark.parametrize("op", ["sin", "cos", "tan"])
def test_float64_trig_is_faithful_on_tiny_moderate_huge_and_hard_arguments(op):
    """exprc's float64 sin/cos/tan (templates.trig64) within one ULP against mpmath, on inputs
    next to multiples of pi/2 (where the reduction cancels), across the reduction's range, past
    it (the scalar C library's lanes) and tiny (libmvec's measure 2.9-3.1 ULP there)."""
    import mpmath
    from exprc.search.approx.library import float64_sample
    from exprc.ulp import report_vs_mpmath
    x = float64_sample(op, 6000, seed=3)
    y = exprc.compile(f"{op}(x)", dtype="float64")(x)
    assert report_vs_mpmath(getattr(mpmath, op), x, y, "float64").max_ulp <= 1.0


def test_float64_trig_special_values():
    x = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 5e-324, -5e-324, 1e-300, 2.0 ** 28, -(2.0 ** 28) - 2.0])
    with np.errstate(all="ignore"):
        for op in ("sin", "cos", "tan"):
            got = exprc.compile(f"{op}(x)", dtype="float64")(x)
            want = getattr(np, op)(x)
            assert same_bits(got[:2], want[:2]) and np.all(np.isnan(got[2:5]))
            assert np.allclose(got[5:], want[5:], rtol=3e-16, atol=0)


def test_float64_pow_is_faithful_on_hard_pairs_and_c_on_special_ones():
    """exprc's float64 pow (templates.pow64) within one ULP against mpmath on pairs with
    |y log x| up to 800, x next to 1 with huge y, integer and half-integer y; and every special
    case of C pow (zeros, infinities, NaN, negative x) exactly as the C library gives it."""
    from exprc.search.approx.library import pow_report, pow_sample
    x, y = pow_sample(8000, seed=5)
    with np.errstate(all="ignore"):
        got = exprc.compile("pow(x, y)", dtype="float64", variables=["x", "y"])(x, y)
    rep = pow_report(x, y, got)
    assert rep.max_ulp <= 1.0 and rep.nonfinite_failures == 0, rep
    special = ~((x > 0) & np.isfinite(x) & np.isfinite(y))
    assert same_bits(got[special], _c_library("pow")(x[special], y[special]))
