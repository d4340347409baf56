"""Compile time and run time of single expressions: exprc against numpy, numexpr and
sympy.lambdify, on 1e6 float32 rows (MEASURING.md protocol: one process, interleaved,
median of repetitions, ratios to numpy).

Run: python benchmarks/bench_eval.py [--rows N] [--repeat K]
Needs: pip install numexpr (the bench extra).
"""
from __future__ import annotations

import argparse
import os
import platform
import sys
import time

import numpy as np

os.environ.setdefault("EXPRC_CACHE", "0")      # cold means cold: no object cache on disk

import exprc  # noqa: E402
from timing import interleaved_median_ms, timed  # noqa: E402
from exprc.datasets.feynman import by_name, sample  # noqa: E402
from exprc.random_expr import TreeSpec, random_tree  # noqa: E402

DEMO = "sin(x)*cos(y) + exp(z*0.5) - x*y*z + cos(x+y)*sin(z) - exp(x*0.25)*y"


def big_expression(target_ops: int = 150) -> str:
    """A fixed random expression of about target_ops ops over x, y, z (seeded)."""
    spec = TreeSpec(variables=("x", "y", "z"), ops=("add", "sub", "mul", "mul", "add", "sin", "cos", "exp"),
                    constants=(0.5, 0.25, 1.5, 2.0), const_prob=0.15, dtype="float32")
    rng = np.random.default_rng(150)
    best, gap = None, None
    for k in range(400):
        node = random_tree(rng, int(2 * target_ops * (0.8 + 0.4 * (k % 10) / 10)), spec)
        d = abs(exprc.Program.build([node], "float32").op_count() - target_ops)
        if {"x", "y", "z"} <= set(node.variables) and (gap is None or d < gap):
            best, gap = node, d
    return str(best)


def numpy_namespace():
    ns = {name: getattr(np, name) for name in ("sin", "cos", "exp", "sqrt", "log", "tanh", "arcsin", "arccos")}
    ns.update(pi=np.float32(np.pi), e=np.float32(np.e))
    return ns


def run_case(name: str, text: str, columns: dict, repeat: int):
    import sympy as sp
    names = list(exprc.parse(text).variables)
    arrays = [columns[n] for n in names]
    ns = numpy_namespace()
    ns.update(dict(zip(names, arrays)))
    py_text = text.replace("^", "**")
    code = compile(py_text, "<numpy>", "eval")
    tools, compile_ms = {}, {}

    # exprc: cold compile (parse, passes, LLVM codegen) of an expression this process never saw
    # (LLVM's one-time start-up is paid before, in main(), and reported there)
    t = time.perf_counter()
    k = exprc.compile(text, dtype="float32", variables=names)
    k.executable.warm()
    compile_ms["exprc"] = 1e3 * (time.perf_counter() - t)
    tools["exprc, 1 thread"] = lambda: k(*arrays, threads=1)
    tools["exprc, 2 threads"] = lambda: k(*arrays, threads=2)
    fast = exprc.compile(text, dtype="float32", variables=names, fastmath=True)
    tools["exprc fastmath, 2 threads"] = lambda: fast(*arrays, threads=2)
    tools["numpy"] = lambda: eval(code, ns)
    compile_ms["numpy"] = 0.0

    try:
        import numexpr as ne
        local = dict(zip(names, arrays))
        ne.set_num_threads(1)
        t = time.perf_counter()
        ne.evaluate(py_text, local_dict=local)            # first call parses and compiles
        first = time.perf_counter() - t
        second = min(timed(lambda: ne.evaluate(py_text, local_dict=local), 3))
        compile_ms["numexpr"] = 1e3 * max(0.0, first - second)

        def numexpr_threads(n):
            def run():
                ne.set_num_threads(n)
                return ne.evaluate(py_text, local_dict=local)
            return run
        tools["numexpr, 1 thread"] = numexpr_threads(1)
        tools["numexpr, 2 threads"] = numexpr_threads(2)
    except ImportError:
        pass
    except Exception as exc:  # numexpr lacks some names (pi) and functions
        print(f"  numexpr cannot run {name}: {type(exc).__name__}: {exc}", file=sys.stderr)

    t = time.perf_counter()
    syms = [sp.Symbol(n) for n in names]
    f = sp.lambdify(syms, sp.sympify(py_text, locals={n: s for n, s in zip(names, syms)}), modules="numpy")
    compile_ms["sympy.lambdify"] = 1e3 * (time.perf_counter() - t)
    tools["sympy.lambdify"] = lambda: f(*arrays)

    # warm-up (first-touch of outputs, numexpr thread pools), then interleaved rounds
    med = interleaved_median_ms(tools, repeat)
    ops = k.program.op_count()
    return ops, med, compile_ms


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=15)
    args = ap.parse_args()
    rng = np.random.default_rng(0)
    xyz = {n: rng.uniform(-3, 3, args.rows).astype(np.float32) for n in "xyz"}
    feyn = by_name("I.6.20b")
    fcols = {k: v.astype(np.float32) for k, v in sample(feyn, args.rows, rng).items()}
    cases = [("17-op demo (sin, cos, exp)", DEMO, xyz),
             ("150-op random", big_expression(150), xyz),
             (f"Feynman {feyn.name}", feyn.formula, fcols)]
    from exprc.backends.llvm import target
    t0 = time.perf_counter()
    start = exprc.compile("x * 2 + 1", dtype="float32")   # pays the process's one-time start-up
    start.executable.warm()
    startup_ms = 1e3 * (time.perf_counter() - t0)
    t = target.target()
    print(f"# first kernel of the process (lark tables, LLVM start-up, JIT engine): {startup_ms:.0f} ms")
    print(f"# {args.rows:,} float32 rows; {platform.machine()} {t.cpu}, {os.cpu_count()} cores, "
          f"{t.lanes['float32']} float32 lanes (libmvec ISA {t.isa}); median of {args.repeat}, interleaved\n")
    print("| expression | ops | tool | compile (ms) | run (ms) | vs numpy |")
    print("|---|---|---|---|---|---|")
    for name, text, cols in cases:
        ops, med, comp = run_case(name, text, cols, args.repeat)
        base = med["numpy"]
        for label, ms in med.items():
            c = comp.get(label.split(",")[0], None)
            ctext = "" if c is None or label.endswith("2 threads") else f"{c:.1f}"
            print(f"| {name} | {ops} | {label} | {ctext} | {ms:.2f} | {base / ms:.1f}x |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
