"""exprc's float32 elementary functions against numpy's: accuracy proved over every float32
input, speed on 1e7 inputs on one thread.

Accuracy: search/approx/verify.py over all 2**32 inputs (max ULP as MEASURING.md defines it,
the worst input, how many results are not correctly rounded, non-finite failures), for exprc's
default kernels (mathlib="exprc") and for the libm build (mathlib="libm": glibc's libmvec).
Speed: exprc's compiled kernel (1 thread) and numpy's float32 function (scipy.special's for
erf, erfc, gamma, lgamma) on the same 1e7 inputs in the function's domain, called as users call
them (a new output array each call) and with a preallocated output (out=), interleaved, median
of 7; the ratio is numpy time / exprc time (above 1: exprc is faster).

Each function's result is appended to benchmarks/results/mathlib.json as it is measured and
skipped when already there (delete the file, or pass --fresh, to measure again).
float64 (--float64): exp, exp2, log, log2 (exprc's own), sin, cos, tan: max ULP against 400-bit
mpmath on 20,000 sampled inputs (tiny, moderate and huge arguments) for exprc's kernel and for
libmvec's, and the speed of both and of numpy's float64 function.
--speed-only measures the speed of the recorded functions again (accuracy as recorded).
Run: python benchmarks/bench_mathlib.py [function ...] [--fresh] [--float64] [--speed-only]
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
from exprc.search.approx.verify import verify

sys.path.insert(0, str(Path(__file__).parent))
from timing import interleaved_median_ms  # noqa: E402

RESULTS = Path(__file__).with_name("results") / "mathlib.json"
N = 10_000_000
REPEAT = 7
DOMAINS = {
    "asin": (-1, 1), "acos": (-1, 1), "atanh": (-1, 1), "acosh": (1, 1e4), "log": (0, 1e6), "log2": (0, 1e6),
    "log10": (0, 1e6), "log1p": (-1, 1e6), "exp": (-87, 88), "exp2": (-126, 127), "expm1": (-20, 88),
    "sinh": (-88, 88), "cosh": (-88, 88), "tan": (-10, 10), "sin": (-10, 10), "cos": (-10, 10), "erf": (-5, 5),
    "erfc": (-5, 10), "tgamma": (0.01, 30), "lgamma": (0.01, 1e4), "cbrt": (-1e6, 1e6),
}


def numpy_function(name: str):
    if name in ("erf", "erfc", "tgamma", "lgamma"):
        import scipy.special as sc
        return {"erf": sc.erf, "erfc": sc.erfc, "tgamma": sc.gamma, "lgamma": sc.gammaln}[name]
    return getattr(np, {"asin": "arcsin", "acos": "arccos", "atan": "arctan", "asinh": "arcsinh",
                        "acosh": "arccosh", "atanh": "arctanh"}.get(name, name))


def unary_float32_functions() -> list[str]:
    return [op.name for op in ops.REGISTRY.values() if op.llvm and op.llvm[0] == "libm" and op.arity == 1]


def _speed(name: str) -> dict:
    """Both tools called as users call them (a new output each call) and with a preallocated
    output (out=), interleaved, median of REPEAT."""
    lo, hi = DOMAINS.get(name, (-10, 10))
    rng = np.random.default_rng(0)
    x = rng.uniform(lo, hi, N).astype(np.float32)
    k = exprc.compile(f"{name}(x)", dtype="float32")
    out, out2 = np.empty_like(x), np.empty_like(x)
    ref = numpy_function(name)
    runs = {"exprc_ms": lambda: k(x, threads=1), "numpy_ms": lambda: ref(x),
            "exprc_out_ms": lambda: k(x, out=out, threads=1), "numpy_out_ms": lambda: ref(x, out=out2)}
    ms = interleaved_median_ms(runs, REPEAT)
    return {**ms, "speedup": ms["numpy_ms"] / ms["exprc_ms"], "speedup_out": ms["numpy_out_ms"] / ms["exprc_out_ms"]}


def _accuracy(name: str, mathlib: str) -> dict:
    node = exprc.parse(f"{name}(x)", dtype="float32")
    v = verify(node, f"{name}(x)", mathlib=mathlib, tolerance=2.0 ** -24, settle_limit=1 << 16)
    return {"max_ulp": v.max_ulp, "worst_input": v.worst_input, "not_correctly_rounded": v.not_correctly_rounded,
            "nonfinite_failures": v.nonfinite_failures, "unsettled": v.unsettled_boundary_cases,
            "inputs": v.count, "seconds": round(v.seconds, 1)}


def measure(name: str) -> dict:
    return {"exprc": _accuracy(name, "exprc"), "libm": _accuracy(name, "libm"), "speed": _speed(name)}


FLOAT64_FUNCTIONS = ("exp", "exp2", "log", "log2", "sin", "cos", "tan", "pow")
FLOAT64_SAMPLE = 20_000


def _float64_sample(name: str) -> np.ndarray:
    """The generation step's sample (search/approx/library.float64_sample): tiny, moderate and
    huge arguments, subnormals, and for sin/cos/tan inputs next to multiples of pi/2; another seed."""
    from exprc.search.approx.library import float64_sample
    return float64_sample(name, FLOAT64_SAMPLE, seed=3)


def _pow_error(mathlib: str) -> dict:
    """pow on the generation step's pairs (library.pow_sample, another seed) against mpmath."""
    from exprc.search.approx.library import pow_report, pow_sample
    x, y = pow_sample(FLOAT64_SAMPLE, seed=3)
    with np.errstate(all="ignore"):
        got = exprc.compile("pow(x, y)", dtype="float64", variables=["x", "y"], mathlib=mathlib)(x, y)
    rep = pow_report(x, y, got, prec=400)
    return {"max_ulp": rep.max_ulp, "worst_input": float(rep.worst_input[0]), "nonfinite_failures": rep.nonfinite_failures,
            "sampled": int(x.size)}


def _float64_error(name: str, mathlib: str) -> dict:
    from exprc.exact import mp_apply
    from exprc.ulp import report_vs_mpmath
    if name == "pow":
        return _pow_error(mathlib)
    x = _float64_sample(name)
    y = exprc.compile(f"{name}(x)", dtype="float64", mathlib=mathlib)(x)
    op = ops.REGISTRY[name]
    rep = report_vs_mpmath(lambda v: mp_apply(op, [v]), x, y, "float64", prec=400)
    return {"max_ulp": rep.max_ulp, "worst_input": float(rep.worst_input), "nonfinite_failures": rep.nonfinite_failures,
            "sampled": int(x.size)}


def _float64_speed(name: str) -> dict:
    rng = np.random.default_rng(0)
    if name == "pow":            # results in the normal range
        xs, names, ref = [np.exp(rng.uniform(-20, 20, N)), rng.uniform(-30, 30, N)], ["x", "y"], np.power
    else:
        lo, hi = DOMAINS.get(name, (-10, 10))
        xs, names, ref = [rng.uniform(lo, hi, N)], ["x"], numpy_function(name)
    text = f"{name}({', '.join(names)})"
    own = exprc.compile(text, dtype="float64", variables=names)
    lib = exprc.compile(text, dtype="float64", variables=names, mathlib="libm")
    out, out2 = np.empty_like(xs[0]), np.empty_like(xs[0])
    runs = {"exprc": lambda: own(*xs, out=out, threads=1), "libmvec": lambda: lib(*xs, out=out, threads=1),
            "numpy": lambda: ref(*xs, out=out2)}
    ms = interleaved_median_ms(runs, REPEAT)
    return {"exprc_ms": ms["exprc"], "libmvec_ms": ms["libmvec"], "numpy_ms": ms["numpy"]}


def measure64(name: str) -> dict:
    return {"exprc": _float64_error(name, "exprc"), "libm": _float64_error(name, "libm"), "speed": _float64_speed(name)}


def table64(results: dict) -> str:
    rows = ["| function | exprc max ULP (sampled) | libmvec max ULP (sampled) | exprc ms | libmvec ms | numpy ms | "
            "exprc vs libmvec |", "|---|---|---|---|---|---|---|"]
    for name, r in results.items():
        e, lib, s = r["exprc"], r["libm"], r["speed"]
        rows.append(f"| {name} | {e['max_ulp']:.3f} | {lib['max_ulp']:.3f} | {s['exprc_ms']:.1f} | "
                    f"{s['libmvec_ms']:.1f} | {s['numpy_ms']:.1f} | {s['libmvec_ms'] / s['exprc_ms']:.2f}x |")
    return "\n".join(rows)


def table(results: dict) -> str:
    rows = ["| function | exprc max ULP | not correctly rounded (of 2^32) | libmvec max ULP | exprc ms | numpy ms | "
            "vs numpy | exprc ms, out= | numpy ms, out= | vs numpy, out= |", "|---|---|---|---|---|---|---|---|---|---|"]
    for name, r in results["functions"].items():
        e, lib, s = r["exprc"], r["libm"], r["speed"]
        fails = f" ({e['nonfinite_failures']:,} non-finite)" if e["nonfinite_failures"] else ""
        rows.append(f"| {name} | {e['max_ulp']:.3f}{fails} | {e['not_correctly_rounded']:,} | {lib['max_ulp']:.3f} | "
                    f"{s['exprc_ms']:.1f} | {s['numpy_ms']:.1f} | {s['speedup']:.2f}x | {s['exprc_out_ms']:.1f} | "
                    f"{s['numpy_out_ms']:.1f} | {s['speedup_out']:.2f}x |")
    return "\n".join(rows)


def main(argv: list[str]) -> int:
    fresh = "--fresh" in argv
    names = [a for a in argv if not a.startswith("--")] or unary_float32_functions()
    results = json.loads(RESULTS.read_text()) if RESULTS.exists() and not fresh else {"functions": {}}
    from exprc.backends.llvm import target
    t = target.target()
    results["machine"] = f"{platform.machine()} {t.cpu}, {t.width('float32')} float32 lanes, 1 thread for speed"
    results["date"] = time.strftime("%Y-%m-%d")
    if "--float64" in argv:
        names = [a for a in argv if not a.startswith("--")] or list(FLOAT64_FUNCTIONS)
        done = results.setdefault("float64", {})
        for name in names:
            if name not in done:
                done[name] = measure64(name)
                RESULTS.parent.mkdir(exist_ok=True)
                RESULTS.write_text(json.dumps(results, indent=1) + "\n")
                print(table64({name: done[name]}).splitlines()[-1], flush=True)
        print(table64(done))
        return 0
    if "--speed-only" in argv:          # accuracy as recorded, speed measured again in this run
        for name in names:
            if name in results["functions"]:
                results["functions"][name]["speed"] = _speed(name)
        RESULTS.write_text(json.dumps(results, indent=1) + "\n")
    for name in names:
        if name in results["functions"]:
            continue
        results["functions"][name] = measure(name)
        RESULTS.parent.mkdir(exist_ok=True)
        RESULTS.write_text(json.dumps(results, indent=1) + "\n")
        print(table({"functions": {name: results["functions"][name]}}).splitlines()[-1], flush=True)
    print(table(results))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
