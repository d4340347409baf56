"""Symbolic regression on Feynman problems: exprc vs pyoperon vs gplearn at equal wall-clock.

Problems: the first --problems formulas of exprc.datasets.feynman (SRSD's public formulas and
sampling ranges) with at most 5 variables, regenerated offline. Per problem: 1,000 training
rows, 1,000 test rows (noise-free), and the training target either noise-free or with 1%
noise (Gaussian, standard deviation 0.01 * RMS(y), as SRBench). Every tool gets the same
wall-clock budget per fit (--time seconds), the same operators (+ - * / sin cos exp log sqrt,
constants) and 2 cores where it can use them (pyoperon: 2 threads; exprc: islands in 2 worker
processes, the library default on this machine; "exprc, 1 process" is n_jobs=1, islands taking
turns in one process).
Metrics, as SRBench defines them:
  - test R^2 > 0.999
  - exact recovery: SRBench's test (the simplified difference of model and truth is a
    constant, or their ratio is a nonzero constant, after rounding floats), made independent of
    units: SRBench rounds floats to 3 decimal places, which calls any constant a recovery of a
    formula whose values are ~1e-11 (Newton's G). Here model floats are rounded to 3
    significant digits, and additive terms of the difference (ratio) whose RMS on the test
    inputs is below 5e-4 of the target's RMS (of the ratio's) are dropped as rounding noise.
  - model size: nodes of the sympy expression tree
  - candidates scored per second of fit: exprc's n_evaluations_, pyoperon's stats_['evaluation_count'],
    gplearn's population x generations

Usage: python benchmarks/bench_sr.py [--time 10] [--problems 30] [--tools exprc,exprc-1p,pyoperon,gplearn]
       [--json results.json]
       python benchmarks/bench_sr.py --all --tools exprc,pyoperon --json results/sr120.json
         (all 120 SRSD problems, grouped easy/medium/hard; about 80 minutes at 10 s per fit;
          every result is written as it lands and a rerun resumes)
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import re
import signal
import statistics
import sys
import time
import zlib

import numpy as np
import sympy as sp

from exprc.datasets import feynman

OPERATORS = ["add", "sub", "mul", "div", "sin", "cos", "exp", "log", "sqrt"]


# ----------------------------------------------------------------------------- data

def problems(count: int, every: bool = False) -> list:
    """The first count formulas with at most 5 variables (the quick benchmark), or with every:
    all of SRSD's 120 (easy, medium and hard sets), in the dataset's order."""
    chosen = list(feynman.FEYNMAN) if every else [p for p in feynman.FEYNMAN if len(p.variables) <= 5]
    return chosen[:count]


def dataset(problem, noise: float, seed: int):
    import exprc
    rng = np.random.default_rng(seed)
    names = [v.name for v in problem.variables]
    k = exprc.compile(problem.formula, dtype="float64", variables=names)

    def draw(n):
        cols = feynman.sample(problem, n, rng)
        X = np.column_stack([cols[v] for v in names])
        return X, np.asarray(k(*X.T), dtype=np.float64)
    Xtr, ytr = draw(1000)
    Xte, yte = draw(1000)
    if noise:
        ytr = ytr + rng.normal(0, noise * np.sqrt(np.mean(ytr ** 2)), ytr.shape)
    return names, Xtr, ytr, Xte, yte


# ----------------------------------------------------------------------------- tools

def fit_exprc(names, X, y, budget, seed, n_jobs=2):
    """Islands in 2 worker processes: the 2 cores pyoperon's 2 threads get."""
    from exprc.search import SymbolicRegressor
    m = SymbolicRegressor(time_limit=budget, random_state=seed, operators=OPERATORS, n_jobs=n_jobs)
    m.fit(X, y, variable_names=names)
    return m.predict, m.sympy(), m.n_evaluations_


def fit_exprc_one_process(names, X, y, budget, seed):
    """n_jobs=1: islands take turns in this process (kernels still use 2 threads)."""
    return fit_exprc(names, X, y, budget, seed, n_jobs=1)


def fit_pyoperon(names, X, y, budget, seed):
    from pyoperon.sklearn import SymbolicRegressor
    m = SymbolicRegressor(allowed_symbols="add,sub,mul,div,constant,variable,sin,cos,exp,log,sqrt",
                          max_time=int(budget), n_threads=2, random_state=seed,
                          max_evaluations=10 ** 9, generations=10 ** 6)
    m.fit(X, y)
    text = m.get_model_string(m.model_, 12, names)
    return (m.predict, sp.sympify(text, locals={n: sp.Symbol(n, real=True) for n in names}),
            m.stats_.get("evaluation_count"))


def fit_gplearn(names, X, y, budget, seed):
    """gplearn has no time budget: it grows generation by generation (warm_start) until the
    budget is spent."""
    from gplearn.genetic import SymbolicRegressor
    m = SymbolicRegressor(population_size=1000, generations=1, function_set=("add", "sub", "mul", "div", "sin",
                          "cos", "log", "sqrt"), random_state=seed, warm_start=True, n_jobs=1,
                          parsimony_coefficient=0.001)
    start = time.monotonic()
    gens = 0
    while True:
        t = time.monotonic()
        m.set_params(generations=gens + 1)
        m.fit(X, y)
        gens += 1
        last = time.monotonic() - t
        if time.monotonic() - start + last > budget:
            break
    return m.predict, gplearn_sympy(str(m._program), names), 1000 * gens


def gplearn_sympy(text: str, names):
    syms = {f"X{k}": sp.Symbol(n, real=True) for k, n in enumerate(names)}
    table = {"add": lambda a, b: a + b, "sub": lambda a, b: a - b, "mul": lambda a, b: a * b,
             # gplearn's protected operators, as the formula a user would read off
             "div": lambda a, b: a / b, "sqrt": lambda a: sp.sqrt(sp.Abs(a)), "log": lambda a: sp.log(sp.Abs(a)),
             "sin": sp.sin, "cos": sp.cos, "neg": lambda a: -a, "inv": lambda a: 1 / a}
    return sp.sympify(text, locals={**syms, **table})


TOOLS = {"exprc": fit_exprc, "exprc, 1 process": fit_exprc_one_process, "pyoperon": fit_pyoperon,
         "gplearn": fit_gplearn}


# ----------------------------------------------------------------------------- metrics

def r2(y, pred) -> float:
    pred = np.asarray(pred, dtype=np.float64)
    if not np.all(np.isfinite(pred)):
        return -np.inf
    return 1.0 - float(np.sum((y - pred) ** 2) / np.sum((y - np.mean(y)) ** 2))


def size(expr) -> int:
    return sum(1 for _ in sp.preorder_traversal(expr))


class _Timeout(Exception):
    pass


def _round(expr, digits=3):
    """Every float to `digits` significant digits."""
    return expr.xreplace({a: sp.Float(float(f"{float(a):.{digits}g}")) for a in expr.atoms(sp.Float)})


def _rms(expr, data: dict) -> float:
    """RMS of expr over the data rows; inf where it is not finite somewhere."""
    syms = sorted(expr.free_symbols, key=lambda s: s.name)
    f = sp.lambdify(syms, expr, "numpy")
    with np.errstate(all="ignore"):
        v = np.broadcast_to(np.asarray(f(*[data[s.name] for s in syms]), dtype=np.float64),
                            next(iter(data.values())).shape)
    return float(np.sqrt(np.mean(v * v))) if np.all(np.isfinite(v)) else np.inf


def _significant(expr, data: dict, scale: float, tol: float = 5e-4):
    """expr without the additive terms whose RMS on the data is below tol * scale."""
    return sp.Add(*[t for t in sp.Add.make_args(sp.expand(expr)) if _rms(t, data) >= tol * scale])


def recovered(model, truth, data: dict, seconds: int = 10) -> bool:
    """The symbolic-solution test described in the module docstring; data maps each variable
    name to its test column. Bounded in time (sympy can take forever)."""
    def handler(signum, frame):
        raise _Timeout()
    old = signal.signal(signal.SIGALRM, handler)
    signal.alarm(seconds)
    try:
        model = _round(model)
        diff = _significant(sp.simplify(model - truth), data, _rms(truth, data))
        if not diff.free_symbols:
            return True
        ratio = sp.simplify(model / truth)
        ratio = _significant(ratio, data, _rms(ratio, data))
        return not ratio.free_symbols and ratio != 0
    except (_Timeout, Exception):
        return False
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def truth_sympy(problem):
    from exprc.parser import parse
    expr = parse(problem.formula).to_sympy()
    return expr.xreplace({s: sp.Symbol(s.name, real=True) for s in expr.free_symbols})


# ----------------------------------------------------------------------------- main

def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--time", type=float, default=10.0, help="seconds per fit, every tool")
    ap.add_argument("--problems", type=int, default=30)
    ap.add_argument("--tools", default="exprc,exprc-1p,pyoperon,gplearn",
                    help="comma-separated; exprc-1p is exprc with its islands in one process")
    ap.add_argument("--noise", default="0,0.01")
    ap.add_argument("--json", help="write every result here (and resume from it)")
    ap.add_argument("--all", action="store_true",
                    help="every SRSD Feynman problem (120, any number of variables), tables per difficulty")
    args = ap.parse_args(argv)
    tools = [{"exprc-1p": "exprc, 1 process"}.get(t, t) for t in args.tools.split(",") if t]
    noises = [float(v) for v in args.noise.split(",")]
    results = []
    if args.json and os.path.exists(args.json):
        results = json.load(open(args.json))
    done = {(r["problem"], r["noise"], r["tool"]): r for r in results}
    probs = problems(args.problems if not args.all else len(feynman.FEYNMAN), every=args.all)
    for p in probs:
        truth = truth_sympy(p)
        for noise in noises:
            names, Xtr, ytr, Xte, yte = dataset(p, noise, seed=zlib.crc32(p.name.encode()))
            data = {n: Xte[:200, j] for j, n in enumerate(names)}
            for tool in tools:
                old = done.get((p.name, noise, tool))
                if old is not None:     # resumed: re-judge with the current recovery test
                    if old["size"] is not None:
                        model = sp.sympify(old["model"], locals={n: sp.Symbol(n, real=True) for n in names})
                        old["recovered"] = recovered(model, truth, data)
                    continue
                t = time.monotonic()
                try:
                    predict, model, evaluations = TOOLS[tool](names, Xtr, ytr, args.time, 0)
                    fit_seconds = time.monotonic() - t
                    with np.errstate(all="ignore"):
                        score = r2(yte, predict(Xte))
                    row = {"r2": score, "recovered": recovered(model, truth, data), "size": size(model),
                           "model": str(model),
                           "evals_per_s": evaluations / fit_seconds if evaluations else None}
                except Exception as exc:     # a tool failing on a problem counts as a miss
                    row = {"r2": -np.inf, "recovered": False, "size": None, "model": f"error: {exc}"}
                row.update(problem=p.name, noise=noise, tool=tool, seconds=time.monotonic() - t)
                results.append(row)
                print(f"{p.name:10s} noise={noise:<5g} {tool:9s} R2={row['r2']:.6f} "
                      f"rec={row['recovered']!s:5s} size={row['size']} {row['seconds']:.1f}s", flush=True)
                if args.json:
                    json.dump(results, open(args.json, "w"), indent=1, default=float)
    if args.json:
        json.dump(results, open(args.json, "w"), indent=1, default=float)
    print(table([r for r in results if r["problem"] in {p.name for p in probs}], tools, noises, len(probs), args.time))
    if args.all:
        group = {p.name: p.difficulty for p in probs}
        for difficulty in ("easy", "medium", "hard"):
            rows = [r for r in results if group.get(r["problem"]) == difficulty]
            n = len({r["problem"] for r in rows})
            if rows:
                print(f"\n{difficulty}:" + table(rows, tools, noises, n, args.time))
    return 0


def table(results, tools, noises, n_problems, budget) -> str:
    from exprc.backends.llvm import target
    lines = [f"\n{n_problems} Feynman problems (SRSD formulas and ranges), 1,000 training rows, "
             f"{budget:g} s per fit; {platform.machine()} {target.target().cpu}, {os.cpu_count()} cores\n",
             "| noise | tool | test R² > 0.999 | exact recovery | median size | candidates / s (median) |",
             "|---|---|---|---|---|---|"]
    for noise in noises:
        for tool in tools:
            rows = [r for r in results if r["tool"] == tool and r["noise"] == noise]
            if not rows:
                continue
            good = sum(1 for r in rows if r["r2"] > 0.999)
            rec = sum(1 for r in rows if r["recovered"])
            sizes = [r["size"] for r in rows if r["size"] is not None]
            med = statistics.median(sizes) if sizes else float("nan")
            rates = [r["evals_per_s"] for r in rows if r.get("evals_per_s")]
            rate = f"{statistics.median(rates):,.0f}" if rates else "-"
            lines.append(f"| {noise:.0%} | {tool} | {good}/{len(rows)} ({good / len(rows):.0%}) | "
                         f"{rec}/{len(rows)} ({rec / len(rows):.0%}) | {med:g} | {rate} |")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
