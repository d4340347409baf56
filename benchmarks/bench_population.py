"""Population throughput: node-evaluations per second (nodes as given x rows / seconds,
MEASURING.md) for exprc's population engine against pyoperon, gplearn-style numpy evaluation,
sympy.lambdify and numexpr, on the same seeded random populations and float32 data.

exprc cold = a Population never seen before: construction, bytecode, first evaluation and the
allocation of its prediction matrix (the interpreter kernel itself is compiled once per machine
and loaded from the disk cache; its first load in a process is reported on its own line).
warm = the same population again, into a preallocated matrix (as pyoperon writes into the
array it is given). loss = the mse of every candidate, computed inside the kernel.
Slow peers run on the first 200 candidates (a rate, so the subset does not bias it).

Run: python benchmarks/bench_population.py [--rows 1000 10000 100000] [--repeat 5]
Needs: pip install pyoperon numexpr
"""
from __future__ import annotations

import argparse
import os
import platform
import sys
import time

import numpy as np

import exprc
from timing import median_seconds
from exprc.random_expr import TreeSpec, random_population

VARS = tuple(f"x{i}" for i in range(5))
POPULATIONS = {
    "+ - * /": ("add", "sub", "mul", "div"),
    "+ - * / sin exp log": ("add", "sub", "mul", "div", "add", "sub", "mul", "sin", "exp", "log"),
}
SLOW_SUBSET = 200


def numpy_evaluator(node, X):
    """gplearn-style evaluation: one numpy call per node over all rows (postfix, a value stack)."""
    from exprc import ir, ops
    cols = {v: X[:, k] for k, v in enumerate(VARS)}
    values = {}
    for n in ir.topo([node]):
        if n.op == ir.VAR:
            values[id(n)] = cols[n.value]
        elif n.op == ir.CONST:
            values[id(n)] = np.float32(float(n.value))
        else:
            values[id(n)] = ops.REGISTRY[n.op].numpy(*[values[id(a)] for a in n.args])
    return values[id(node)]


def run(label, ops_, rows_list, repeat):
    spec = TreeSpec(variables=VARS, ops=ops_, constants=(0.5, 1.5, 2.0, 3.0), const_prob=0.25,
                    dtype="float32", constant_subtrees=False)
    nodes = random_population(2026, 2000, 30, spec)
    sizes = np.array([n.size for n in nodes], dtype=np.float64)
    texts = [str(n) for n in nodes]
    results = []
    for rows in rows_list:
        X = np.random.default_rng(rows).uniform(-3, 3, (rows, len(VARS))).astype(np.float32)
        evals_all, evals_sub = sizes.sum() * rows, sizes[:SLOW_SUBSET].sum() * rows
        rate = {}
        with np.errstate(all="ignore"):
            def cold(threads):
                fresh = [exprc.parse(t, dtype="float32") for t in texts]   # built before timing
                def go():
                    exprc.Population(fresh, variables=VARS).predict(X, threads=threads)
                return go
            rate["exprc cold, 1 thread"] = evals_all / median_seconds(cold(1), repeat)
            rate["exprc cold, 2 threads"] = evals_all / median_seconds(cold(2), repeat)
            pop = exprc.Population(nodes, variables=VARS)
            out = np.empty((len(nodes), rows), dtype=np.float32)      # as pyoperon's result array
            pop.predict(X, out=out)
            rate["exprc warm, 1 thread"] = evals_all / median_seconds(lambda: pop.predict(X, threads=1, out=out), repeat)
            rate["exprc warm, 2 threads"] = evals_all / median_seconds(lambda: pop.predict(X, threads=2, out=out), repeat)
            y = X[:, 0] * X[:, 1]
            rate["exprc loss (mse), 1 thread"] = evals_all / median_seconds(lambda: pop.loss(X, y, threads=1), repeat)
            rate["exprc loss (mse), 2 threads"] = evals_all / median_seconds(lambda: pop.loss(X, y, threads=2), repeat)
            try:
                import pyoperon as op
                ds = op.Dataset(X)
                hashes = {v: var.Hash for v, var in zip(VARS, ds.Variables)}
                trees = [op.InfixParser.Parse(t, hashes) for t in texts]
                out = np.zeros((len(trees), rows), dtype=np.float32)
                rg = op.Range(0, rows)
                op.EvaluateTrees(trees, ds, rg, out, 1)
                for t in (1, 2):
                    rate[f"pyoperon, {t} thread{'s' if t > 1 else ''}"] = evals_all / median_seconds(
                        lambda: op.EvaluateTrees(trees, ds, rg, out, t), repeat)
            except ImportError:
                pass
            sub = nodes[:SLOW_SUBSET]
            rate["gplearn-style numpy"] = evals_sub / median_seconds(lambda: [numpy_evaluator(n, X) for n in sub], 1)
            import sympy as sp
            syms = [sp.Symbol(v, real=True) for v in VARS]

            def lambdifiable(n):
                try:     # sympy may simplify a candidate into zoo, which its printer rejects
                    sp.lambdify(syms, n.to_sympy(), modules="numpy")
                    return True
                except Exception:
                    return False
            ok = [n for n in sub if lambdifiable(n)]

            def lambdified():
                fs = [sp.lambdify(syms, n.to_sympy(), modules="numpy") for n in ok]
                cols = [X[:, k] for k in range(len(VARS))]
                for f in fs:
                    f(*cols)
            ok_evals = sum(n.size for n in ok) * rows
            rate["sympy.lambdify (incl. lambdify)"] = ok_evals / median_seconds(lambdified, 1)
            try:
                import numexpr as ne
                ne.set_num_threads(1)
                local = {v: X[:, k].copy() for k, v in enumerate(VARS)}
                rate["numexpr, 1 thread (incl. compile)"] = evals_sub / median_seconds(
                    lambda: [ne.evaluate(t, local_dict=local) for t in texts[:SLOW_SUBSET]], 1)
            except ImportError:
                pass
        results.append((rows, rate))
        base = rate.get("pyoperon, 1 thread")
        for tool, r in rate.items():
            vs = f"{r / base:.2f}x" if base else ""
            print(f"| {label} | {rows:,} | {tool} | {r / 1e9:.2f} | {vs} |", flush=True)
    return results


def gradient_cost(repeat):
    """Cost of loss + gradient relative to the loss alone, on a population with parameters."""
    spec = TreeSpec(variables=VARS, ops=("add", "sub", "mul", "div", "sin", "exp"), constants=(0.5, 2.0),
                    const_prob=0.1, param_prob=0.2, parameters=("a", "b", "c"), dtype="float32",
                    constant_subtrees=False)
    nodes = random_population(7, 2000, 30, spec)
    X = np.random.default_rng(1).uniform(-1, 1, (10_000, len(VARS))).astype(np.float32)
    y = X[:, 0] * 2
    pop = exprc.Population(nodes, variables=VARS)
    params = [np.full(len(p), 0.5) for p in pop.parameters]
    with np.errstate(all="ignore"):
        pop.loss_and_grad(X, y, params)
        t_loss = median_seconds(lambda: pop.loss(X, y, params=params, threads=1), repeat)
        t_grad = median_seconds(lambda: pop.loss_and_grad(X, y, params, threads=1), repeat)
    nparams = sum(len(p) for p in pop.parameters)
    print(f"\ngradients: 2,000 candidates with {nparams:,} parameters in all, 10,000 rows, 1 thread: "
          f"loss {1e3 * t_loss:.1f} ms, loss + gradient {1e3 * t_grad:.1f} ms = {t_grad / t_loss:.2f}x the forward pass")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, nargs="*", default=[1_000, 10_000, 100_000])
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    from exprc.backends.llvm import interpreter, target
    t = time.perf_counter()
    interpreter.interpreter("float32")
    load = time.perf_counter() - t
    tg = target.target()
    print(f"# 2,000 random trees (mean ~30 nodes, seed 2026), 5 variables, float32; {platform.machine()} "
          f"{tg.cpu}, {os.cpu_count()} cores, {tg.lanes['float32']} float32 lanes; median of {args.repeat}")
    print(f"# interpreter kernel: first load in this process {1e3 * load:.0f} ms "
          "(compiled once per machine, then read from the disk cache)\n")
    print("| population | rows | tool | G node-evals/s | vs pyoperon 1 thread |")
    print("|---|---|---|---|---|")
    for label, ops_ in POPULATIONS.items():
        run(label, ops_, args.rows, args.repeat)
    gradient_cost(args.repeat)
    return 0


if __name__ == "__main__":
    sys.exit(main())
