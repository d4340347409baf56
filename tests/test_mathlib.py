"""exprc's generated float32 math library (exprc/mathlib): every design is correctly rounded.

The generation step proved each design over all 2**32 inputs and recorded the proof; here the
record is checked, the shipped data is checked to be what the proof was about (the same design
proves again on slices of the input space in seconds), and sampled results are compared with
mpmath's correctly rounded values."""
import math

import mpmath
import numpy as np
import pytest

import exprc
from exprc import ir, mathlib, vecmath
from exprc.mathlib import design_from_json, design_to_json
from exprc.numbers import from_mpf, round_fraction
from exprc.dtypes import FLOAT32
from exprc.search.approx.library import SPECS

FUNCTIONS = ["exp", "exp2", "log", "log2"]
MP = {fn: SPECS[fn].mp for fn in FUNCTIONS}     # the registry's own mpmath mapping


def _correctly_rounded(fn: str, x: float) -> float:
    with mpmath.workprec(300):
        return float(round_fraction(from_mpf(MP[fn](mpmath.mpf(x))), FLOAT32))


@pytest.mark.parametrize("fn", FUNCTIONS)
def test_the_recorded_proof_is_exhaustive_and_finds_nothing_misrounded(fn):
    e = mathlib.entries()[fn]
    proof = e["proof"]
    assert proof["exhaustive"] and proof["not_correctly_rounded"] == 0
    assert proof["max_ulp"] <= 0.5
    assert proof["inputs_judged"] > 2 ** 30
    assert len(e["exceptions"]) <= 16


@pytest.mark.parametrize("fn", FUNCTIONS)
def test_kernels_use_the_generated_design(fn):
    assert vecmath.IMPLEMENTATIONS[(fn, "float32")] == mathlib.design(fn)


@pytest.mark.parametrize("fn", FUNCTIONS)
def test_json_round_trip_is_exact(fn):
    d = mathlib.design(fn)
    assert design_from_json(design_to_json(d)) == d


def _sample(fn, n=3000, seed=0):
    rng = np.random.default_rng(seed)
    if fn.startswith("exp"):
        lo, hi = (-104, 89) if fn == "exp" else (-151, 129)
        x = rng.uniform(lo, hi, n)
        tiny = rng.uniform(-1, 1, 200) * 2.0 ** rng.integers(-40, -1, 200)
        x = np.concatenate([x, tiny])
    else:
        x = np.exp(rng.uniform(-103, 88, n))
        near1 = 1 + rng.uniform(-2 ** -6, 2 ** -6, 300)
        x = np.concatenate([x, near1, 2.0 ** -rng.integers(127, 150, 30)])
    x = np.concatenate([x.astype(np.float32), np.float32([x for x, _ in mathlib.design(fn).exceptions])])
    return x.astype(np.float32)


@pytest.mark.parametrize("fn", FUNCTIONS)
def test_sampled_results_are_correctly_rounded(fn):
    x = _sample(fn)
    got = exprc.compile(f"{fn}(x)", dtype="float32")(x)
    want = np.array([_correctly_rounded(fn, float(v)) for v in x], dtype=np.float32)
    bad = np.flatnonzero(got != want)
    assert bad.size == 0, f"{fn}({x[bad[0]]!r}) = {got[bad[0]]!r}, correctly rounded {want[bad[0]]!r}"


@pytest.mark.parametrize("fn, interval", [("exp", (-1.0, 2.0)), ("exp2", (-150.0, -120.0)), ("log", (0.5, 4.0)),
                                          ("log2", (1e-45, 1e-38))])
def test_the_design_proves_again_on_a_slice(fn, interval):
    from exprc.search.approx.verify import verify
    node = mathlib.design(fn).build(ir.var("x", "float32"))
    v = verify(node, f"{fn}(x)", interval=interval, tolerance=2.0 ** -24, settle_limit=1 << 16)
    assert v.exhaustive and v.count > 0
    assert v.not_correctly_rounded == 0 and v.nonfinite_failures == 0 and v.unsettled_boundary_cases == 0


@pytest.mark.parametrize("fn, cases", [
    ("exp", [(0.0, 1.0), (-0.0, 1.0), (88.72283172607422, None), (88.72283935546875, math.inf),
             (-103.0, 2.0 ** -149), (-104.0, 0.0), (math.inf, math.inf), (-math.inf, 0.0), (-80.0, None)]),
    ("exp2", [(128.0, math.inf), (-149.0, 2.0 ** -149), (-150.0, 0.0), (-149.5, 2.0 ** -149), (0.5, math.sqrt(2))]),
    ("log", [(1.0, 0.0), (0.0, -math.inf), (-0.0, -math.inf), (math.inf, math.inf), (2.0 ** -149, None),
             (3.4028234663852886e38, None)]),
    ("log2", [(1.0, 0.0), (0.5, -1.0), (2.0 ** -149, -149.0), (3.4028234663852886e38, 128.0)]),
])
def test_special_and_extreme_inputs(fn, cases):
    x = np.float32([c[0] for c in cases])
    got = exprc.compile(f"{fn}(x)", dtype="float32")(x)
    for (xi, want), g in zip(cases, got):
        want = _correctly_rounded(fn, float(np.float32(xi))) if want is None else want
        assert g == np.float32(want) and math.copysign(1, g) == math.copysign(1, want), (fn, xi, g)
    nan = exprc.compile(f"{fn}(x)", dtype="float32")(np.float32([np.nan, -1.0]))
    assert np.isnan(nan[0]) and (np.isnan(nan[1]) or fn.startswith("exp"))


# ---- float64: within one ULP on samples (2**64 inputs cannot be enumerated)

def _ulp64_error(fn: str, x: float, y: float) -> float:
    with mpmath.workprec(300):
        r = MP[fn](mpmath.mpf(x))
        ulp = mpmath.mpf(2) ** max(int(mpmath.floor(mpmath.log(abs(r), 2))) - 52, -1074)
        return float(abs(mpmath.mpf(y) - r) / ulp)


@pytest.mark.parametrize("fn", FUNCTIONS)
def test_float64_kernels_use_the_generated_design_and_its_record_is_labelled_sampled(fn):
    assert vecmath.IMPLEMENTATIONS[(fn, "float64")] == mathlib.design(fn, "float64")
    proof = mathlib.entries("float64")[fn]["proof"]
    assert proof["exhaustive"] is False and proof["sampled"] >= 100_000 and proof["max_ulp"] <= 1.0


@pytest.mark.parametrize("fn", FUNCTIONS)
def test_float64_within_one_ulp_on_a_fresh_sample(fn):
    from exprc.search.approx.library import float64_sample
    x = float64_sample(fn, n=2000, seed=7)
    y = exprc.compile(f"{fn}(x)", dtype="float64")(x)
    errors = [_ulp64_error(fn, a, b) for a, b in zip(x.tolist(), y.tolist()) if math.isfinite(b) and b != 0]
    assert max(errors) <= 1.0


@pytest.mark.parametrize("fn, cases", [
    ("exp", [(0.0, 1.0), (-0.0, 1.0), (709.782712893384, 1.7976931348622732e308), (709.79, math.inf),
             (-745.2, 0.0), (-745.1, 5e-324), (math.inf, math.inf), (-math.inf, 0.0)]),
    ("exp2", [(1024.0, math.inf), (-1074.0, 5e-324), (-1075.0, 0.0), (-1022.0, 2.0 ** -1022), (3.0, 8.0)]),
    ("log", [(1.0, 0.0), (0.0, -math.inf), (-0.0, -math.inf), (math.inf, math.inf), (5e-324, -744.4400719213812)]),
    ("log2", [(1.0, 0.0), (8.0, 3.0), (5e-324, -1074.0), (2.0 ** -1030, -1030.0), (0.5, -1.0)]),
])
def test_float64_special_and_extreme_inputs(fn, cases):
    k = exprc.compile(f"{fn}(x)", dtype="float64")
    got = k(np.array([c[0] for c in cases]))
    for (x, want), g in zip(cases, got):
        assert g == want or (math.isfinite(want) and want != 0 and _ulp64_error(fn, x, g) <= 1.0), (fn, x, g)
        assert math.copysign(1, g) == math.copysign(1, want), (fn, x, g)
    nan = k(np.array([np.nan, -1.0]))
    assert np.isnan(nan[0]) and (np.isnan(nan[1]) or fn.startswith("exp"))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("fn", FUNCTIONS)
def test_the_main_path_is_no_branch(fn, dtype):
    """Special cases and exceptions select eagerly: no vector jumps around the function itself
    (as a branch it ran 2x slower, the test of every vector costing more than it skipped)."""
    assert "llvm.vector.reduce.or" not in exprc.compile(f"{fn}(x)", dtype=dtype).source()
