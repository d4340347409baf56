"""Every transcendental op stays within the ULP bound the README states (exprc/accuracy.json,
measured by benchmarks/ulp_table.py), checked here on a fresh random sample against mpmath
(float64) or a float64 reference (float32, as MEASURING.md allows)."""
import numpy as np
import pytest

import exprc
from exprc import ops
from exprc.accuracy import _table, measured, stated_bound
from exprc.random_expr import random_inputs
from exprc.ulp import summarize, ulp_errors_vs_float64, ulp_errors_vs_mpmath

LIBM = [op for op in ops.REGISTRY.values() if op.llvm and op.llvm[0] == "libm"]
DOMAIN = {"asin": (-1, 1), "acos": (-1, 1), "atanh": (-1, 1), "acosh": (1, 50), "log": (0, 50),
          "log2": (0, 50), "log10": (0, 50), "log1p": (-1, 50), "exp": (-80, 80), "exp2": (-120, 120),
          "expm1": (-20, 80), "erfc": (-4, 20)}


def _sample(op, dtype, n, seed):
    rng = np.random.default_rng(seed)
    lo, hi = DOMAIN.get(op.name, (-20, 20))
    cols = []
    for k in range(op.arity):
        a = np.concatenate([random_inputs(rng, n // 2, dtype), rng.uniform(lo, hi, n - n // 2)]).astype(dtype)
        if op.name == "pow" and k == 0:
            a = np.abs(a)
        cols.append(a)
    return cols


def _current_isa():
    from exprc.backends.llvm import target
    return target.target().isa


@pytest.mark.parametrize("op", LIBM, ids=lambda o: o.name)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("backend", ["llvm", "numpy"])
def test_within_stated_ulp_bound(op, dtype, backend):
    bound = stated_bound(op.name, dtype, backend)
    if bound is None:
        pytest.skip("no bound measured yet: run benchmarks/ulp_table.py")
    if _table().get("isa") != _current_isa():    # numpy's float32 SIMD paths dispatch by CPU as well
        pytest.skip(f"bounds were measured with libmvec ISA {_table().get('isa')}, this machine has {_current_isa()}")
    k = exprc.compile(f"{op.name}({', '.join('abc'[:op.arity])})", dtype=dtype, backend=backend,
                      variables=list("abc"[:op.arity]))
    n = 20_000 if dtype == "float32" else 600
    cols = _sample(op, dtype, n, seed=11)
    with np.errstate(all="ignore"):
        y = k(*cols)
    if dtype == "float32":
        with np.errstate(all="ignore"):
            ref = op.numpy(*[c.astype(np.float64) for c in cols])
        err, fail = ulp_errors_vs_float64(y, ref)
    else:
        import sys
        from pathlib import Path
        sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
        from ulp_table import reference_mpmath
        err, fail = ulp_errors_vs_mpmath(y, reference_mpmath(op, cols), dtype)
    rep = summarize(err, fail, tuple(cols))
    allowed = measured(op.name, dtype, backend)["nonfinite_failures"]
    assert rep.max_ulp <= bound, f"{op.name} {dtype}: {rep.max_ulp:.3f} ULP at {rep.worst_input} > stated {bound}"
    assert rep.nonfinite_failures == 0 or allowed > 0, f"non-finite mismatches at {rep.worst_input}"
