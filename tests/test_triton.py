"""The Triton backend, tested without a GPU: kernels run in Triton's interpreter on CPU tensors
(TRITON_INTERPRET=1) and PTX is generated for sm_90. Exact ops agree with the numpy oracle bit
for bit; exprc's own exp/log/sin/cos agree with the LLVM backend bit for bit."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import exprc
from exprc.random_expr import EXACT_OPS, random_inputs, special_values

from conftest import first_mismatch, same_bits, trees

triton = pytest.importorskip("triton", reason="the triton extra is not installed (pip install 'exprc[triton]')")
torch = pytest.importorskip("torch", reason="the triton extra is not installed (pip install 'exprc[triton]')")


@pytest.fixture(autouse=True)
def interpreter(monkeypatch):
    monkeypatch.setenv("TRITON_INTERPRET", "1")
    monkeypatch.setenv("TRITON_DEFAULT_FP_FUSION", "0")


def _inputs(dtype, special_grid, n_random=200, seed=0):
    x, y, z = special_grid(dtype)
    rng = np.random.default_rng(seed)
    r = [random_inputs(rng, n_random, dtype) for _ in range(3)]
    return np.concatenate([x, r[0]]), np.concatenate([y, r[1]]), np.concatenate([z, r[2]])


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@settings(max_examples=25)
@given(data=st.data())
def test_exact_expressions_match_the_oracle(dtype, data, special_grid):
    node = data.draw(trees(ops=EXACT_OPS, dtype=dtype, max_leaves=8))
    k = exprc.compile(node, dtype=dtype, backend="triton", variables=["x", "y", "z"])
    ref = exprc.compile(node, dtype=dtype, backend="numpy", variables=["x", "y", "z"])
    x, y, z = _inputs(dtype, special_grid)
    with np.errstate(all="ignore"):
        got, want = k(x, y, z), ref(x, y, z)
    assert same_bits(got, want), f"{node}: row {first_mismatch(got, want)}"


@settings(max_examples=15)
@given(data=st.data())
def test_own_math_matches_the_llvm_backend(data, special_grid):
    ops = EXACT_OPS + ("exp", "log", "exp2", "log2")
    node = data.draw(trees(ops=ops, dtype="float32", max_leaves=8))
    k = exprc.compile(node, dtype="float32", backend="triton", variables=["x", "y", "z"])
    ref = exprc.compile(node, dtype="float32", backend="llvm", variables=["x", "y", "z"])
    x, y, z = _inputs("float32", special_grid, seed=1)
    with np.errstate(all="ignore"):
        got, want = k(x, y, z), ref(x, y, z)
    assert same_bits(got, want), f"{node}: row {first_mismatch(got, want)}"


@pytest.mark.parametrize("op", ["sin", "cos", "exp", "log", "exp2", "log2"])
def test_own_math_functions_are_bit_identical_to_llvm(op):
    rng = np.random.default_rng(2)
    x = np.concatenate([special_values("float32"), rng.uniform(-50, 50, 3000).astype(np.float32)])
    if op.startswith("log"):
        x = np.abs(x)
    with np.errstate(all="ignore"):
        got = exprc.compile(f"{op}(x)", dtype="float32", backend="triton")(x)
        want = exprc.compile(f"{op}(x)", dtype="float32")(x)
    assert same_bits(got, want)


def test_feynman_formulas_agree_with_numpy():
    """Bit for bit with the numpy oracle running the very IR the kernel runs (exprc's own
    functions expanded; in the interpreter, libdevice is numpy)."""
    from exprc.backends import triton_backend
    from exprc.datasets.feynman import FEYNMAN, sample
    from conftest import oracle_with
    rng = np.random.default_rng(4)
    for problem in FEYNMAN:
        names = [v.name for v in problem.variables]
        cols = sample(problem, 64, rng)
        for dtype in ("float32", "float64"):
            args = [np.asarray(cols[n], dtype=dtype) for n in names]
            k = exprc.compile(problem.formula, dtype=dtype, backend="triton", variables=names)
            with np.errstate(all="ignore"):
                got = k(*args)
                want = oracle_with(triton_backend.prepare(k.program), {}, *args)[0]
            assert same_bits(got, want), (problem.name, dtype)


def test_torch_tensors_stay_on_their_device():
    k = exprc.compile("x * $a + y", dtype="float32", backend="triton")
    x = torch.linspace(0, 1, 100)
    r = k(x, torch.ones(100), a=2.0)
    assert isinstance(r, torch.Tensor) and r.device == x.device and r.dtype == torch.float32
    assert torch.equal(r, x * 2 + 1)
    assert isinstance(k(x.numpy(), np.ones(100, np.float32), a=2.0), np.ndarray)


def test_population_kernel_matches_the_cpu_engine():
    from exprc.random_expr import TreeSpec, random_population
    spec = TreeSpec(variables=("x0", "x1"), dtype="float32", param_prob=0.1, parameters=("a",),
                    ops=("add", "sub", "mul", "div", "sin", "exp", "where", "max"))
    nodes = random_population(5, 8, 12, spec)
    X = np.random.default_rng(3).uniform(-2, 2, (300, 2)).astype(np.float32)
    y = X[:, 0] - X[:, 1]
    cpu = exprc.Population(nodes, variables=spec.variables)
    gpu = exprc.Population(nodes, variables=spec.variables, backend="triton")
    params = [np.full(len(p), 0.25) for p in cpu.parameters]
    with np.errstate(all="ignore"):
        assert same_bits(gpu.predict(X, params=params), cpu.predict(X, params=params))
        for metric in ("mse", "mae", "max", "r2"):
            assert np.allclose(gpu.loss(X, y, metric, params=params), cpu.loss(X, y, metric, params=params),
                               rtol=1e-12, equal_nan=True), metric


def test_ptx_for_sm90_without_a_gpu(monkeypatch):
    monkeypatch.delenv("TRITON_INTERPRET")
    k = exprc.compile("sqrt(x) / y + sin(x)", dtype="float32", backend="triton")
    ptx = k.source("ptx")
    assert ".visible .entry exprc_kernel(" in ptx and ".target sm_90" in ptx
    assert "div.rn.f32" in ptx and "sqrt.rn.f32" in ptx
    assert "ftz" not in ptx                     # no flush-to-zero, even inside libdevice
    assert "fma.rn.f32" not in exprc.compile("x * y + z", dtype="float32", backend="triton").source("ptx")


def test_cli_emits_triton_and_ptx(capsys, monkeypatch):
    from exprc.cli import main
    monkeypatch.delenv("TRITON_INTERPRET")
    assert main(["compile", "x * y + 1", "--emit", "triton"]) == 0
    assert "@triton.jit" in capsys.readouterr().out
    assert main(["compile", "x * y + 1", "--emit", "ptx"]) == 0
    assert ".entry exprc_kernel" in capsys.readouterr().out


def test_no_gpu_and_no_interpreter_is_a_clear_error(monkeypatch):
    monkeypatch.delenv("TRITON_INTERPRET")
    if torch.cuda.is_available():
        pytest.skip("a GPU is present")
    k = exprc.compile("x + 1", dtype="float32", backend="triton")
    with pytest.raises(exprc.ExprcError, match="TRITON_INTERPRET=1"):
        k(np.ones(3, np.float32))


def test_kernels_built_and_run_from_several_threads_at_once():
    """Eight threads compile distinct kernels (and the same one) concurrently: no temp-file
    race, no half-built module seen by another thread, every result right."""
    from concurrent.futures import ThreadPoolExecutor
    x = np.linspace(-2, 2, 257)

    def job(k):
        text = f"x * {k + 1} + {k % 3}"
        got = exprc.compile(text, dtype="float64", backend="triton")(x)
        return np.array_equal(got, x * (k + 1) + (k % 3))
    with ThreadPoolExecutor(8) as pool:
        assert all(pool.map(job, list(range(12)) * 2))


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("name", ["log_iv", "log_kv"])
def test_log_bessel_kernels_agree_with_llvm(name, dtype):
    """The region expansions (float32: computed in float64, rounded once) lower to Triton too."""
    v = np.array([0.0, 0.3, 2.5, 19.5, 25.0, 300.0, 5e3, 1e5], dtype)
    x = np.array([1e-6, 1.0, 2.5, 40.0, 0.5, 280.0, 1e-3, 10.0], dtype)
    want = exprc.compile(f"{name}(v, x)", dtype=dtype, variables=["v", "x"])(v, x)
    got = exprc.compile(f"{name}(v, x)", dtype=dtype, variables=["v", "x"], backend="triton")(v, x)
    tol = 1e-14 if dtype == "float64" else 1.2e-7        # the ops' error measure, |d| / max(|f|, 1)
    assert np.all(np.abs(got - want) <= tol * np.maximum(np.abs(want), 1))


def test_costly_where_branch_runs_only_for_blocks_that_take_it():
    text = "where(x > 0, exp(sin(x) * cos(y)) + log1p(x * x), -x)"
    k = exprc.compile(text, variables=["x", "y"], backend="triton")
    assert "if exprc_any(" in k.source()
    x = np.concatenate([np.full(2048, -1.0), np.linspace(-3, 3, 999)])   # a block no lane takes, then mixed
    y = np.cos(x)
    want = exprc.compile(text, variables=["x", "y"])(x, y)
    np.testing.assert_allclose(k(x, y), want, rtol=2e-15, atol=0)   # float64 libm: numpy vs libmvec


def test_fastmath_uses_the_float32_sin_and_cos():
    from exprc.backends import triton_backend as tb
    prog = exprc.compile("sin(x) + cos(x)", dtype="float32", backend="numpy").program
    assert "to(tl.float64)" in tb.triton_source(prog)                    # strict: faithful through float64
    assert "to(tl.float64)" not in tb.triton_source(prog, fastmath=True)
    x = np.float32([0.5, -2.0, 3.0])
    k = exprc.compile("sin(x) + cos(x)", dtype="float32", backend="triton", fastmath=True)
    assert np.allclose(k(x), np.sin(x) + np.cos(x), atol=1e-6)
