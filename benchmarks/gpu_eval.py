"""GPU benchmark: exprc's Triton kernels against torch eager and torch.compile on single
expressions (1e8 float32 rows), and the Triton population kernel against the CPU population
engine on 10,000 candidates. Prints one table; meant to finish in well under 5 minutes on an
H100/H200. Not run in CI (no GPU there).

Run on a GPU machine:  python benchmarks/gpu_eval.py
Smoke test anywhere:   TRITON_INTERPRET=1 python benchmarks/gpu_eval.py --smoke
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

import numpy as np

EXPRESSIONS = {
    "17-op (sin, cos, exp)": "sin(x)*cos(y) + exp(z*0.5) - x*y*z + cos(x+y)*sin(z) - exp(x*0.25)*y",
    "Feynman I.6.20b": "exp(-((x-y)/z)**2/2)/(sqrt(2*pi)*z)",
    "arithmetic, 9 ops": "x*y + z*x - y/(z + 3) + x*x*0.5",
}


def torch_fn(text):
    import math
    import torch

    def lift(tfn, mfn):
        return lambda v: tfn(v) if torch.is_tensor(v) else mfn(v)
    ns = {"sin": lift(torch.sin, math.sin), "cos": lift(torch.cos, math.cos), "exp": lift(torch.exp, math.exp),
          "sqrt": lift(torch.sqrt, math.sqrt), "pi": math.pi}
    code = compile(text.replace("^", "**"), "<torch>", "eval")
    return lambda x, y, z: eval(code, ns, {"x": x, "y": y, "z": z})


def gpu_time(fn, repeat, sync):
    fn()
    sync()
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        sync()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def single_expressions(rows, repeat, device, sync):
    import torch
    import exprc
    print(f"\n## single expressions, {rows:,} float32 rows, median of {repeat}\n")
    print("| expression | tool | ms | G rows/s | vs torch eager |")
    print("|---|---|---|---|---|")
    g = torch.Generator(device="cpu").manual_seed(0)
    x, y, z = (torch.rand(rows, generator=g).mul_(4).sub_(2).to(device) for _ in range(3))
    z = z.abs().add_(0.5)
    for label, text in EXPRESSIONS.items():
        k = exprc.compile(text, dtype="float32", backend="triton", variables=["x", "y", "z"])
        eager = torch_fn(text)
        results = {"exprc triton": gpu_time(lambda: k(x, y, z), repeat, sync),
                   "torch eager": gpu_time(lambda: eager(x, y, z), repeat, sync)}
        try:
            compiled = torch.compile(eager)
            results["torch.compile"] = gpu_time(lambda: compiled(x, y, z), repeat, sync)
        except Exception as exc:  # torch.compile needs a working inductor/triton toolchain
            print(f"  torch.compile unavailable: {type(exc).__name__}: {exc}", file=sys.stderr)
        ref = eager(x, y, z)
        got = k(x, y, z)
        rel = float(((got - ref).abs() / ref.abs().clamp_min(1e-30)).median())
        for tool, sec in results.items():
            print(f"| {label} | {tool} | {1e3 * sec:.2f} | {rows / sec / 1e9:.1f} | "
                  f"{results['torch eager'] / sec:.1f}x |")
        print(f"|  | median relative difference exprc vs torch | {rel:.1e} |  |  |")


def population(count, rows, repeat, device, sync):
    import exprc
    from exprc.random_expr import TreeSpec, random_population
    print(f"\n## population of {count:,} random trees (~30 nodes, + - * / sin exp), {rows:,} float32 rows\n")
    print("| tool | ms | G node-evals/s | vs CPU engine (all cores) |")
    print("|---|---|---|---|")
    vars_ = tuple(f"x{i}" for i in range(5))
    spec = TreeSpec(variables=vars_, ops=("add", "sub", "mul", "div", "add", "mul", "sin", "exp"),
                    constants=(0.5, 1.5, 2.0), const_prob=0.2, dtype="float32", constant_subtrees=False)
    nodes = random_population(11, count, 30, spec)
    X = np.random.default_rng(0).uniform(-2, 2, (rows, len(vars_))).astype(np.float32)
    y = X[:, 0] * X[:, 1]
    evals = float(sum(n.size for n in nodes)) * rows
    cpu = exprc.Population(nodes, variables=vars_)
    gpu = exprc.Population(nodes, variables=vars_, backend="triton")
    with np.errstate(all="ignore"):
        t_gpu_cold = gpu_time(lambda: gpu.loss(X, y), 1, sync)      # includes the kernel's compile
        t_gpu = gpu_time(lambda: gpu.loss(X, y), repeat, sync)
        t_cpu = gpu_time(lambda: cpu.loss(X, y), repeat, lambda: None)
        a, b = gpu.loss(X, y), cpu.loss(X, y)
    agree = np.mean(np.isclose(a, b, rtol=1e-6, equal_nan=True))
    for tool, sec in (("exprc triton, loss (mse), first call incl. compile", t_gpu_cold),
                      ("exprc triton, loss (mse)", t_gpu), ("exprc CPU engine, loss (mse)", t_cpu)):
        print(f"| {tool} | {1e3 * sec:.1f} | {evals / sec / 1e9:.1f} | {t_cpu / sec:.1f}x |")
    print(f"\nlosses agree with the CPU engine (rtol 1e-6) for {100 * agree:.1f}% of candidates")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--smoke", action="store_true", help="tiny sizes, to check the script runs (CPU ok)")
    args = ap.parse_args()
    import torch
    if torch.cuda.is_available() and not os.environ.get("TRITON_INTERPRET"):
        device, sync = torch.device("cuda"), torch.cuda.synchronize
        print(f"# {torch.cuda.get_device_name()}, torch {torch.__version__}")
    elif args.smoke:
        device, sync = torch.device("cpu"), (lambda: None)
        print("# smoke run on the CPU (Triton interpreter): numbers mean nothing")
    else:
        print("no CUDA GPU: run with --smoke and TRITON_INTERPRET=1 to check the script", file=sys.stderr)
        return 2
    t0 = time.perf_counter()
    if args.smoke:
        single_expressions(10_000, 2, device, sync)
        population(20, 1_000, 2, device, sync)
    else:
        single_expressions(100_000_000, 10, device, sync)
        population(10_000, 10_000, 5, device, sync)
    print(f"\ntotal {time.perf_counter() - t0:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
