"""Piecewise approximations with adaptive knots against uniform knots and against the original
expression compiled by exprc.

For each function or expression (difficulty varying across the interval) at one fixed degree
and a 1 ULP float32 target: the number of pieces each knot method needs (adaptive = AutoKnots
splitting then merging, in x and in the float's bits; uniform = equal pieces in x, and equal
cells of the float's bits), each result's max ULP proven over every float32 input of the
interval, and the speed of the compiled kernels against the original expression compiled by
exprc in float32 (whose max ULP is proven the same way). Speed: 2**20 float32 inputs uniform on
the interval, one thread, median of 7 interleaved calls with a preallocated output.

float64 cases (CASES64) run the same way with their checks sampled (2**16 inputs against mpmath,
fit64.py) and are tabled apart.

The fitted SR model is found first by exprc's SymbolicRegressor (a fixed number of evaluations,
one process, seed 0) on x**3/(exp(x)-1) (Planck's law, the shape of Feynman I.41.16); its text is
stored in the results so a resumed run approximates the same model.

Each case is appended to benchmarks/results/piecewise.json as it finishes and skipped when
already there (--fresh measures again).
Run: python benchmarks/bench_piecewise.py [name ...] [--fresh]
"""
from __future__ import annotations

import json
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np

import exprc
from exprc.search.approx.piecewise import approximate_piecewise
from exprc.search.approx.piecewise.driver import timing_inputs

sys.path.insert(0, str(Path(__file__).parent))
from timing import interleaved_median_ms  # noqa: E402

RESULTS = Path(__file__).with_name("results") / "piecewise.json"
REPEAT = 7
SR_MODEL = "SR model of x**3/(exp(x)-1)"

CASES = [   # name, expression, interval, degree
    ("tanh", "tanh(x)", (0.0, 9.0), 5),
    ("erf", "erf(x)", (0.0, 4.0), 4),
    ("log1p(x)/x", "log1p(x)/x", (1e-6, 1.0), 4),
    ("Feynman I.6.20 (sigma = 1)", "exp(-x*x/2)/sqrt(2*pi)", (-5.0, 5.0), 8),
    ("erf(x)*exp(-x*x)", "erf(x)*exp(-x*x)", (0.0, 4.0), 6),
    ("atan", "atan(x)", (0.0, 100.0), 5),
    (SR_MODEL, None, (0.1, 10.0), 6),
]
# float64 results (checked on 2**16 sampled inputs against mpmath, labelled sampled)
CASES64 = [
    ("tanh", "tanh(x)", (0.0, 9.0), 8),
    ("erf", "erf(x)", (0.0, 4.0), 8),
    ("log1p(x)/x", "log1p(x)/x", (1e-6, 1.0), 8),
    ("Feynman I.6.20 (sigma = 1)", "exp(-x*x/2)/sqrt(2*pi)", (-5.0, 5.0), 8),
]
METHODS64 = None           # approximate_piecewise's float64 default: all but uniform bits


def fit_sr_model() -> str:
    from exprc.search.sr import SymbolicRegressor
    rng = np.random.default_rng(0)
    x = rng.uniform(0.1, 10.0, 1000)
    est = SymbolicRegressor(time_limit=None, max_evaluations=100_000, random_state=0, n_jobs=1)
    est.fit(x[:, None], x ** 3 / np.expm1(x), variable_names=["x"])
    return est.export("exprc")


def measure(name: str, expression: str, interval, degree: int, dtype: str = "float32", methods=None) -> dict:
    t0 = time.monotonic()
    say = lambda line: print(line, flush=True)   # noqa: E731
    r = approximate_piecewise(expression, interval, max_ulp=1.0, degree=degree, measure_speed=False, log=say,
                              dtype=dtype, methods=methods)
    x = timing_inputs(r.interval, dtype=dtype)
    out = np.empty_like(x)
    kernels = {"original": exprc.compile(r.expression, dtype=dtype, variables=["x"])}
    kernels.update({m.method: exprc.compile(m.program, dtype=dtype, variables=["x"]) for m in r.methods})
    runs = {k: (lambda k=k: kernels[k](x, out=out, threads=1)) for k in kernels}
    ms = interleaved_median_ms(runs, REPEAT)
    ns = {k: round(1e6 * v / x.size, 3) for k, v in ms.items()}
    for m in r.methods:
        m.ns_per_element = ns[m.method]
    best = r.best()                              # fewest pieces, then the fastest
    return {"name": name, "dtype": dtype, "expression": r.expression, "interval": list(r.interval), "degree": degree,
            "symmetry": r.parity, "original_ns": ns["original"],
            "original_max_ulp": None if r.original_proof is None else round(r.original_proof.max_ulp, 4),
            "methods": {m.method: {**m.as_json(), "ns_per_element": ns[m.method]} for m in r.methods},
            "best": None if best is None else best.method, "seconds": round(time.monotonic() - t0, 1)}


def load() -> dict:
    return json.loads(RESULTS.read_text()) if RESULTS.exists() else {"cases": {}}


def table(data: dict, dtype: str = "float32") -> str:
    how = "proven" if dtype == "float32" else "sampled"
    rows = ["| function | interval | degree | adaptive x | adaptive bits | uniform x | uniform bits | "
            f"uniform x / best adaptive | best: max ULP ({how}) | best ns | original ns (max ULP) | speed vs original |",
            "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for c in data["cases"].values():
        if c.get("dtype", "float32") != dtype:
            continue
        m = c["methods"]

        def cell(k):
            e = m.get(k)
            if e is None:
                return "-"
            return f"{e['pieces']}" + ("" if e["met"] else " (not met)")
        adaptive = [m[k] for k in ("adaptive x", "adaptive bits") if m[k]["met"]]
        fewest = min(adaptive, key=lambda e: e["pieces"]) if adaptive else None
        ratio = (f"{m['uniform x']['pieces'] / fewest['pieces']:.1f}x" if fewest and m["uniform x"]["met"] else "-")
        best = c["best"]
        b = m[best] if best else None
        fold = {"even": " (even: pieces of abs(x))", "odd": " (odd: pieces of abs(x))"}.get(c.get("symmetry"), "")
        rows.append(f"| {c['name']} | [{c['interval'][0]:g}, {c['interval'][1]:g}]{fold} | {c['degree']} | "
                    f"{cell('adaptive x')} | {cell('adaptive bits')} | {cell('uniform x')} | {cell('uniform bits')} | "
                    f"{ratio} | " + (f"{b['max_ulp']:.3f} ({best}) | {b['ns_per_element']:.3f} | " if b else "- | - | ")
                    + f"{c['original_ns']:.3f} ({c['original_max_ulp']:.3f}) | "
                    + (f"{c['original_ns'] / b['ns_per_element']:.2f}x |" if b else "- |"))
    return "\n".join(rows)


def main(argv: list[str]) -> None:
    fresh = "--fresh" in argv
    names = [a for a in argv if not a.startswith("--")]
    data = load()
    if fresh:                                    # the SR model is kept: the same model is approximated
        data = {"cases": {}, **({"sr_model": data["sr_model"]} if "sr_model" in data else {})}
    from exprc.backends.llvm.target import target
    t = target()
    data["machine"] = f"{platform.machine()} {t.cpu}, {t.width('float32')} float32 lanes, {os.cpu_count()} cores"
    data["date"] = time.strftime("%Y-%m-%d")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    todo = [(name, e, i, d, "float32", None, name) for name, e, i, d in CASES]
    todo += [(name, e, i, d, "float64", METHODS64, f"{name} (float64)") for name, e, i, d in CASES64]
    for name, expression, interval, degree, dtype, methods, key in todo:
        if names and name not in names and key not in names:
            continue
        if key in data["cases"]:
            continue
        if expression is None:
            expression = data.get("sr_model") or fit_sr_model()
            data["sr_model"] = expression
        print(f"== {key}: {expression} on {list(interval)}, degree {degree}", flush=True)
        data["cases"][key] = measure(name, expression, interval, degree, dtype, methods)
        RESULTS.write_text(json.dumps(data, indent=1) + "\n")
    print(table(data))
    print("\nfloat64 (checked on 2**16 sampled inputs against mpmath):\n")
    print(table(data, "float64"))
    if "sr_model" in data:
        print(f"\nSR model: {data['sr_model']}")


if __name__ == "__main__":
    main(sys.argv[1:])
