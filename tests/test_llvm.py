"""The LLVM backend agrees with the numpy oracle bit for bit on exact ops (NaN, inf and signed
zeros included), whatever the layout, length, thread split or optimization level."""
import numpy as np
import pytest
from hypothesis import given, strategies as st

import exprc
from exprc import ir
from exprc.random_expr import EXACT_OPS, random_inputs, special_values

from conftest import first_mismatch, same_bits, trees


def _inputs(dtype, special_grid, n_random=300, seed=0):
    x, y, z = special_grid(dtype)
    rng = np.random.default_rng(seed)
    rx, ry, rz = (random_inputs(rng, n_random, dtype) for _ in range(3))
    return np.concatenate([x, rx]), np.concatenate([y, ry]), np.concatenate([z, rz])


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@given(data=st.data())
def test_random_exact_expressions_are_bit_identical(dtype, data, special_grid):
    node = data.draw(trees(ops=EXACT_OPS, dtype=dtype))
    k_llvm = exprc.compile(node, dtype=dtype, variables=["x", "y", "z"])
    k_np = exprc.compile(node, dtype=dtype, backend="numpy", variables=["x", "y", "z"])
    x, y, z = _inputs(dtype, special_grid)
    got, want = k_llvm(x, y, z), k_np(x, y, z)
    assert same_bits(got, want), f"{node}: row {first_mismatch(got, want)}"


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@given(data=st.data())
def test_optimized_llvm_matches_unoptimized_oracle(dtype, data, special_grid):
    """Strict-mode rewrites are exact: -O2 compiled code equals the -O0 reference."""
    node = data.draw(trees(ops=EXACT_OPS, dtype=dtype))
    k2 = exprc.compile(node, dtype=dtype, optimize=2, variables=["x", "y", "z"])
    k0 = exprc.compile(node, dtype=dtype, backend="numpy", optimize=0, variables=["x", "y", "z"])
    x, y, z = _inputs(dtype, special_grid, seed=1)
    assert same_bits(k2(x, y, z), k0(x, y, z)), str(node)


@pytest.mark.parametrize("text", [
    "x + y", "x - y", "x * y", "x / y", "-x", "sqrt(x)", "fma(x, y, z)", "abs(x)", "min(x, y)", "max(x, y)",
    "x < y", "x <= y", "x > y", "x >= y", "x == y", "x != y", "where(x < y, x, z)", "copysign(x, y)",
    "floor(x)", "ceil(x)", "trunc(x)", "round(x)", "sign(x)", "fmod(x, y)",
])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_each_exact_op_on_every_pair_of_special_values(text, dtype, special_grid):
    x, y, z = special_grid(dtype)
    k = exprc.compile(text, dtype=dtype, variables=["x", "y", "z"])
    ref = exprc.compile(text, dtype=dtype, backend="numpy", variables=["x", "y", "z"])
    got, want = k(x, y, z), ref(x, y, z)
    assert same_bits(got, want), f"row {first_mismatch(got, want)}: x={x[first_mismatch(got, want)]}"


def test_no_fma_contraction_in_strict_mode():
    # x*y+z with a single rounding would differ from two roundings on these inputs
    x = np.float32([1 + 2 ** -12])
    y = np.float32([1 + 2 ** -12])
    z = np.float32([-(1 + 2 ** -11)])     # x*y = 1 + 2**-11 + 2**-24 exactly, a tie in float32
    k = exprc.compile("x * y + z", dtype="float32")
    assert k(x, y, z)[0] == (x * y + z)[0] == 0.0
    assert exprc.compile("fma(x, y, z)", dtype="float32")(x, y, z)[0] == np.float32(2.0 ** -24)


def test_fastmath_is_opt_in_and_changes_code():
    strict = exprc.compile("x * y + z", dtype="float32")
    fast = exprc.compile("x * y + z", dtype="float32", fastmath=True)
    assert "fast" not in strict.source() and "fmul fast" in fast.source()


@pytest.mark.parametrize("n", [0, 1, 15, 16, 17, 1000, 65_536 + 7, 300_001])
def test_lengths_and_thread_splits_give_identical_rows(n):
    rng = np.random.default_rng(n)
    x = random_inputs(rng, n, "float32")
    y = random_inputs(rng, n, "float32")
    k = exprc.compile("sin(x) * y + exp(-abs(x)) / (1 + y * y)", dtype="float32")
    one, two = k(x, y, threads=1), k(x, y, threads=2)
    assert same_bits(one, two)
    if n:
        i = n // 2
        assert same_bits(k(x[i:i + 1], y[i:i + 1]), one[i:i + 1])   # a row's value never depends on its position


def test_layouts_strided_scalar_and_2d():
    rng = np.random.default_rng(3)
    base = random_inputs(rng, 4000, "float64").reshape(40, 100)
    k = exprc.compile("x * y - z / 3 + max(x, z)", dtype="float64")
    ref = exprc.compile("x * y - z / 3 + max(x, z)", dtype="float64", backend="numpy")
    x = base[:, ::3]            # 2-D, strided rows
    y = base[0, 2:36]           # broadcast row
    z = 2.5                     # scalar
    assert same_bits(k(x, y, z), ref(x, y, z))
    xs = base.ravel()[::7]      # 1-D strided
    assert same_bits(k(xs, xs[::-1], z), ref(xs, xs[::-1], z))
    col = base[:, :1]           # (40, 1) against (1, 100)
    assert same_bits(k(col, base[:1, :], z), ref(col, base[:1, :], z))


def test_out_argument_contiguous_strided_and_in_place():
    rng = np.random.default_rng(4)
    x = random_inputs(rng, 1000, "float32")
    k = exprc.compile("x * 2 + 1", dtype="float32")
    with np.errstate(over="ignore"):
        want = x * np.float32(2) + np.float32(1)
    out = np.empty_like(x)
    assert k(x, out=out) is out and same_bits(out, want)
    big = np.zeros(2000, np.float32)
    k(x, out=big[::2])
    assert same_bits(big[::2], want) and not big[1::2].any()
    inplace = x.copy()
    k(inplace, out=inplace)
    assert same_bits(inplace, want)
    shifted = np.concatenate([x, [0]]).astype(np.float32)
    k(shifted[:-1], out=shifted[1:])            # overlapping: computed into a temporary
    assert same_bits(shifted[1:], want)


def test_bool_results_and_multiple_outputs():
    x = np.linspace(-2, 2, 33).astype(np.float32)
    k = exprc.compile(("x > 0", "x * x", "where(x > 0, x, 0)"), dtype="float32")
    b, sq, relu = k(x)
    assert b.dtype == np.bool_ and np.array_equal(b, x > 0)
    assert same_bits(sq, x * x) and same_bits(relu, np.where(x > 0, x, np.float32(0)))


def test_parameters_are_runtime_arguments():
    from exprc.backends.llvm import target as backend
    k = exprc.compile("$a * x + $b", dtype="float64")
    x = np.arange(5.0)
    k(x, a=1.0, b=0.0)
    compiled = len(backend._NATIVE)
    for a in np.linspace(-3, 3, 50):
        assert np.array_equal(k(x, a=a, b=1.0), a * x + 1.0)
    assert len(backend._NATIVE) == compiled          # new constants never recompile
    assert np.array_equal(k(x, params=[2.0, 3.0]), 2 * x + 3)
    assert np.array_equal(k(x, params={"a": 2.0, "b": 3.0}), 2 * x + 3)


def test_scalars_only_give_a_scalar():
    k = exprc.compile("x + y", dtype="float64")
    r = k(1.5, 2.0)
    assert np.ndim(r) == 0 and r == 3.5


def test_ten_thousand_deep_expression_compiles():
    depth = 10_000
    k = exprc.compile("sin(" * depth + "x" + ")" * depth, dtype="float32")
    x = np.linspace(-1, 1, 100).astype(np.float32)
    got = k(x)
    ref = x.astype(np.float64)
    for _ in range(depth):
        ref = np.sin(ref)
    assert np.allclose(got, ref, rtol=1e-3, atol=1e-4)   # sin^n(x) shrinks like sqrt(3/n)
    chain = exprc.compile(" + ".join(["x"] * depth), dtype="float64")
    assert chain(np.float64(1.0)) == depth


def test_disk_cache_lets_a_new_process_skip_code_generation(tmp_path):
    import subprocess
    import sys
    script = (
        "import exprc, numpy as np\n"
        "from exprc.backends.llvm import target\n"
        "calls = []\n"
        "orig = target.Engine.compile_object\n"
        "target.Engine.compile_object = lambda self, text: calls.append(1) or orig(self, text)\n"
        "k = exprc.compile('sin(x) * 3 + y / 7', dtype='float32')\n"
        "print(k(np.float32([1, 2]), np.float32([3, 4])).tolist(), len(calls))\n"
    )
    env = {"EXPRC_CACHE_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"}
    import os
    env = {**os.environ, **env}
    first = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True)
    second = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True)
    assert first.stdout.split("]")[1].strip() == "1"
    assert second.stdout.split("]")[1].strip() == "0"
    assert first.stdout.split("]")[0] == second.stdout.split("]")[0]
    assert list(tmp_path.rglob("*.o"))


TRANSCENDENTAL_MIX = EXACT_OPS + ("sin", "cos", "exp", "log", "pow", "tanh", "atan2", "hypot", "erf",
                                  "expm1", "log1p", "cbrt", "asinh")


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@given(data=st.data())
def test_random_expressions_with_transcendentals_compose_exactly(dtype, data, special_grid):
    """With the same elementary functions, the compiled program equals the oracle bit for bit:
    everything the compiler does around libm calls is exact."""
    from conftest import backend_functions, oracle_with
    node = data.draw(trees(ops=TRANSCENDENTAL_MIX, dtype=dtype))
    k = exprc.compile(node, dtype=dtype, variables=["x", "y", "z"])
    x, y, z = _inputs(dtype, special_grid, seed=2)
    with np.errstate(all="ignore"):
        want = oracle_with(k.program, backend_functions(dtype), x, y, z)[0]
    got = k(x, y, z)
    assert same_bits(got, want), f"{node}: row {first_mismatch(got, want)}"
