"""Measure the ULP error of every transcendental op, per backend and dtype, and record it.

float32: every 251st float32 bit pattern (17.1 million inputs spanning every binade, both
signs, subnormals, inf and NaN) for one-argument functions, 4 million random pairs for
two-argument ones; reference: the function in float64 (MEASURING.md: enough for float32).
float64: 4,000 inputs per function (log-uniform magnitudes of both signs plus the function's
own domain), reference: mpmath at 160 bits.

Writes exprc/accuracy.json (the bounds the README states and the tests enforce) and prints
a Markdown table. Run: python benchmarks/ulp_table.py
"""
from __future__ import annotations

import json
import platform
import sys
import time
from pathlib import Path

import numpy as np

import exprc
from exprc import ops
from exprc.random_expr import random_inputs
from exprc.ulp import summarize, ulp_errors_vs_float64, ulp_errors_vs_mpmath

STRIDE = 251
PAIRS = 4_000_000
F64_SAMPLES = 4_000

# Inputs concentrated where each function is defined, mixed into the generic sample.
DOMAINS = {
    "asin": (-1, 1), "acos": (-1, 1), "atanh": (-1, 1), "acosh": (1, 1e4), "log": (0, 1e6),
    "log2": (0, 1e6), "log10": (0, 1e6), "log1p": (-1, 1e6), "exp": (-100, 100), "exp2": (-150, 130),
    "expm1": (-20, 90), "sinh": (-90, 90), "cosh": (-90, 90), "tan": (-10, 10), "sin": (-10, 10),
    "cos": (-10, 10), "erf": (-5, 5), "erfc": (-5, 30),
}
MP_NAMES = {"exp2": lambda mp, x: mp.power(2, x), "log2": lambda mp, x: mp.log(x, 2),
            "cbrt": lambda mp, x: mp.sign(x) * mp.cbrt(abs(x))}


def libm_ops():
    return [op for op in ops.REGISTRY.values() if op.llvm and op.llvm[0] == "libm"]


def kernel_for(op, dtype, backend):
    args = ", ".join("xyz"[: op.arity])
    return exprc.compile(f"{op.name}({args})", dtype=dtype, backend=backend, variables=list("xyz"[: op.arity]))


def float32_inputs(op, rng):
    if op.arity == 1:
        bits = np.arange(0, 2 ** 32, STRIDE, dtype=np.uint64).astype(np.uint32)
        x = bits.view(np.float32)
        lo, hi = DOMAINS.get(op.name, (-10, 10))
        extra = rng.uniform(lo, hi, 1_000_000).astype(np.float32)
        return (np.concatenate([x, extra]),)
    if op.name == "pow":
        base = np.abs(random_inputs(rng, PAIRS, "float32"))
        expo = rng.uniform(-30, 30, PAIRS).astype(np.float32)
        expo[: PAIRS // 4] = np.round(expo[: PAIRS // 4])
        base[PAIRS // 2: PAIRS // 2 + PAIRS // 8] *= -1      # negative bases with integer exponents
        return base, expo
    return random_inputs(rng, PAIRS, "float32"), random_inputs(rng, PAIRS, "float32")


def float64_inputs(op, rng):
    n = F64_SAMPLES
    lo, hi = DOMAINS.get(op.name, (-10, 10))
    if op.arity == 1:
        x = np.concatenate([random_inputs(rng, n // 2, "float64"), rng.uniform(lo, hi, n // 2)])
        return (x,)
    if op.name == "pow":
        base = np.abs(random_inputs(rng, n, "float64"))
        expo = rng.uniform(-30, 30, n)
        expo[: n // 4] = np.round(expo[: n // 4])
        return base, expo
    return random_inputs(rng, n, "float64"), random_inputs(rng, n, "float64")


def reference_float64(op, inputs):
    with np.errstate(all="ignore"):
        return op.numpy(*[np.asarray(a, dtype=np.float64) for a in inputs])


def reference_mpmath(op, inputs):
    import mpmath
    refs = []
    fn = MP_NAMES.get(op.mp)
    with mpmath.workprec(160):
        for point in zip(*inputs):
            if any(not np.isfinite(v) or v == 0 for v in point):
                # IEEE special cases (signed zeros, poles, infinities) are exact in libm's
                # float64 functions, and mpmath has no -0
                with np.errstate(all="ignore"):
                    r = float(op.numpy(*[np.float64(v) for v in point]))
                refs.append(None if np.isnan(r) else mpmath.mpf(r))
                continue
            xs = [mpmath.mpf(float(v)) for v in point]
            try:
                r = fn(mpmath, *xs) if fn else getattr(mpmath, op.mp)(*xs)
            except (ValueError, ZeroDivisionError):
                r = None
            if isinstance(r, mpmath.mpc):
                r = None if r.imag != 0 else r.real
            refs.append(r)
    return refs


def measure(op, dtype, backend, rng):
    k = kernel_for(op, dtype, backend)
    if dtype == "float32":
        inputs = float32_inputs(op, rng)
        with np.errstate(all="ignore"):
            y = k(*inputs)
        err, fail = ulp_errors_vs_float64(y, reference_float64(op, inputs))
        sample = (f"every {STRIDE}th float32 bit pattern + 1M in {DOMAINS.get(op.name, (-10, 10))}"
                  if op.arity == 1 else f"{PAIRS:,} random pairs")
    else:
        inputs = float64_inputs(op, rng)
        with np.errstate(all="ignore"):
            y = k(*inputs)
        err, fail = ulp_errors_vs_mpmath(y, reference_mpmath(op, inputs), dtype)
        sample = f"{F64_SAMPLES:,} random inputs, mpmath reference"
    rep = summarize(err, fail, inputs if len(inputs) > 1 else inputs[0])
    return rep, sample


def main() -> int:
    from exprc.backends.llvm import target as llvm_target
    t = llvm_target.target()
    out = {"machine": f"{platform.machine()} {t.cpu} ({t.isa and 'libmvec ISA ' + t.isa})",
           "isa": t.isa, "date": time.strftime("%Y-%m-%d"), "bounds": {}}
    rng = np.random.default_rng(2026)
    rows = ["| op | float32 llvm | float32 numpy | float64 llvm | float64 numpy |", "|---|---|---|---|---|"]
    for op in libm_ops():
        cells = []
        for dtype in ("float32", "float64"):
            for backend in ("llvm", "numpy"):
                rep, sample = measure(op, dtype, backend, rng)
                entry = {**rep.as_dict(), "stated": round(float(np.ceil(rep.max_ulp * 100) / 100), 2),
                         "sample": sample}
                out["bounds"].setdefault(backend, {}).setdefault(dtype, {})[op.name] = entry
                fails = f" ({rep.nonfinite_failures} non-finite)" if rep.nonfinite_failures else ""
                cells.append(f"{rep.max_ulp:.2f}{fails}")
        rows.append(f"| {op.name} | " + " | ".join(cells) + " |")
        print(rows[-1], flush=True)
    path = Path(exprc.__file__).with_name("accuracy.json")
    path.write_text(json.dumps(out, indent=1, sort_keys=True) + "\n")
    print("\n".join(rows))
    print(f"\nwritten to {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
