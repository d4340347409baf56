"""Measure the ULP error of every transcendental op, per backend and dtype, and record it.

float32, one-argument functions: every one of the 2**32 float32 inputs (exhaustive), against
the function in float64 (MEASURING.md: enough for float32). Two-argument functions: 4 million
random pairs. float64: 20,000 inputs per function (log-uniform magnitudes of both signs plus
the function's own domain), against mpmath at 160 bits.

The stated bound is the measured maximum where the measurement is exhaustive, and the sampled
maximum plus a 10% margin (rounded up to 0.01) where it is a sample, since a sample can miss
the worst input.

Writes exprc/accuracy.json (the bounds the README states and the tests enforce) and prints
a Markdown table. Run: python benchmarks/ulp_table.py [--only float32/llvm]
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
from exprc.exact import mp_apply
from exprc.random_expr import random_inputs
from exprc.ulp import summarize, ulp_errors_vs_float64, ulp_errors_vs_mpmath

CHUNK = 1 << 24
PAIRS = 4_000_000
F64_SAMPLES = 20_000

# Inputs concentrated where each function is defined, mixed into the generic sample.
DOMAINS = {
    "asin": (-1, 1), "acos": (-1, 1), "atanh": (-1, 1), "acosh": (1, 1e4), "log": (0, 1e6),
    "log2": (0, 1e6), "log10": (0, 1e6), "log1p": (-1, 1e6), "exp": (-100, 100), "exp2": (-150, 130),
    "expm1": (-20, 90), "sinh": (-90, 90), "cosh": (-90, 90), "tan": (-10, 10), "sin": (-10, 10),
    "cos": (-10, 10), "erf": (-5, 5), "erfc": (-5, 30),
}


def libm_ops():
    """The library functions with rounding error (exact ones such as nextafter are tested for
    bit-identity instead)."""
    return ops.library_functions()


def kernel_for(op, dtype, backend):
    args = ", ".join("xyz"[: op.arity])
    return exprc.compile(f"{op.name}({args})", dtype=dtype, backend=backend, variables=list("xyz"[: op.arity]))


_ERR_KERNELS: dict = {}


def _error_kernel(op):
    """A float64 exprc kernel computing |y - f(x)| / ulp32(f(x)): the reference f in float64
    (libm accuracy, far beyond float32's) and the ULP of MEASURING.md, fused in one pass."""
    if op.name not in _ERR_KERNELS:
        text = (f"abs(y - {op.name}(x)) / ldexp(1, max(logb({op.name}(x)), -126) - 23)")
        _ERR_KERNELS[op.name] = (exprc.compile(text, dtype="float64", variables=["x", "y"], mathlib="libm"),
                                 exprc.compile(f"{op.name}(x)", dtype="float64", mathlib="libm"))
    return _ERR_KERNELS[op.name]


def exhaustive_float32(k, op, stride: int = 1):
    """Max ULP error over every stride-th of the 2**32 float32 inputs (all of them for stride 1)."""
    err_kernel, ref_kernel = _error_kernel(op)
    worst = (0.0, None)
    fails = count = wrong = 0
    for start in range(0, 2 ** 32, CHUNK * stride):
        bits = np.arange(start, min(start + CHUNK * stride, 2 ** 32), stride, dtype=np.uint64).astype(np.uint32)
        x = bits.view(np.float32)
        with np.errstate(all="ignore"):
            y = k(x)
            x64, y64 = x.astype(np.float64), y.astype(np.float64)
            err = err_kernel(x64, y64)
            ref = ref_kernel(x64)
        r32 = ref.astype(np.float32)
        finite = np.isfinite(y64) & np.isfinite(ref)
        agree = (np.isnan(y) & np.isnan(ref)) | (np.isinf(y) & (y == r32))
        fail = ~(finite | agree)
        err = np.where(finite, err, 0.0)
        i = int(np.argmax(err))
        if err[i] > worst[0]:
            worst = (float(err[i]), float(x[i]))
        fails += int(fail.sum())
        wrong += int(np.count_nonzero(err > 0.5))
        count += x.size
    from exprc.ulp import UlpReport
    return UlpReport(worst[0], worst[1], 0, count, wrong, fails)


def float32_inputs(op, rng):
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
                r = mp_apply(op, xs)        # exprc's own mpmath mapping (exact.py), None off the domain
            except (ValueError, ZeroDivisionError):
                r = None
            except OverflowError:
                # mpmath's pure-Python backend overflows on erfc(1e300) and the like, whose
                # float64 value (0) the IEEE function gives exactly
                with np.errstate(all="ignore"):
                    r = mpmath.mpf(float(op.numpy(*[np.float64(v) for v in point])))
            if isinstance(r, mpmath.mpc):
                r = None if r.imag != 0 else r.real
            refs.append(r)
    return refs


def proved_float32(op):
    """The LLVM kernel over all 2**32 inputs with the exhaustive verifier (boundary cases
    settled with mpmath, so the not-correctly-rounded count is exact)."""
    from exprc.search.approx.verify import verify
    from exprc.ulp import UlpReport
    v = verify(exprc.parse(f"{op.name}(x)", dtype="float32"), f"{op.name}(x)", tolerance=2.0 ** -24,
               settle_limit=1 << 16)
    return UlpReport(v.max_ulp, v.worst_input, 0, v.count, v.not_correctly_rounded, v.nonfinite_failures)


def measure(op, dtype, backend, rng):
    k = kernel_for(op, dtype, backend)
    if dtype == "float32" and op.arity == 1:
        if backend == "llvm":
            return proved_float32(op), "all 2**32 float32 inputs", True
        return exhaustive_float32(k, op, stride=61), "every 61st float32 bit pattern", False
    if dtype == "float32":
        inputs = float32_inputs(op, rng)
        with np.errstate(all="ignore"):
            y = k(*inputs)
        err, fail = ulp_errors_vs_float64(y, reference_float64(op, inputs))
        sample = f"{PAIRS:,} random pairs"
    else:
        inputs = float64_inputs(op, rng)
        with np.errstate(all="ignore"):
            y = k(*inputs)
        err, fail = ulp_errors_vs_mpmath(y, reference_mpmath(op, inputs), dtype)
        sample = f"{F64_SAMPLES:,} random inputs, mpmath reference"
    rep = summarize(err, fail, inputs if len(inputs) > 1 else inputs[0])
    return rep, sample, False


def main(argv=()) -> int:
    """--only DTYPE/BACKEND (e.g. float32/llvm): measure those columns again and keep the rest
    of accuracy.json as it is."""
    from exprc.backends.llvm import target as llvm_target
    t = llvm_target.target()
    path = Path(exprc.__file__).with_name("accuracy.json")
    only = argv[argv.index("--only") + 1] if "--only" in argv else None
    out = {"machine": f"{platform.machine()} {t.cpu} ({t.isa and 'libmvec ISA ' + t.isa})",
           "isa": t.isa, "date": time.strftime("%Y-%m-%d"), "bounds": {}}
    if only:
        out = json.loads(path.read_text())
        out["dates"] = {**out.get("dates", {}), only: time.strftime("%Y-%m-%d")}
    rng = np.random.default_rng(2026)
    rows = ["| op | float32 llvm | float32 numpy | float64 llvm | float64 numpy |", "|---|---|---|---|---|"]
    for op in libm_ops():
        cells = []
        for dtype in ("float32", "float64"):
            for backend in ("llvm", "numpy"):
                if only and only != f"{dtype}/{backend}":
                    e = out["bounds"].get(backend, {}).get(dtype, {}).get(op.name)
                    cells.append(f"{e['max_ulp']:.2f}" if e else "?")
                    continue
                rep, sample, exhaustive = measure(op, dtype, backend, rng)
                margin = 1.0 if exhaustive else 1.1
                entry = {**rep.as_dict(), "stated": round(float(np.ceil(rep.max_ulp * margin * 100) / 100), 2),
                         "sample": sample, "exhaustive": exhaustive}
                out["bounds"].setdefault(backend, {}).setdefault(dtype, {})[op.name] = entry
                fails = f" ({rep.nonfinite_failures} non-finite)" if rep.nonfinite_failures else ""
                cells.append(f"{rep.max_ulp:.2f}{'' if exhaustive else ' (s)'}{fails}")
        rows.append(f"| {op.name} | " + " | ".join(cells) + " |")
        print(rows[-1], flush=True)
    path.write_text(json.dumps(out, indent=1, sort_keys=True) + "\n")
    print("\n".join(rows))
    print(f"\nwritten to {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
