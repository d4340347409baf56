"""Candidates scored per second by the symbolic regressors, with constant fitting, at equal
wall clock and cores (issue 11's target: exprc at least 3x pyoperon).

Per problem (the quick benchmark's first --problems Feynman formulas, 1,000 noise-free
training rows): each tool fits for --time seconds on 2 cores and reports how many candidate
models it scored: exprc's n_evaluations_ (every candidate gets 10 Levenberg-Marquardt
iterations on its constants), pyoperon's evaluator CallCount with optimizer_iterations=10 (the
same fitting; its residual and Jacobian evaluations are counted separately, not here) and,
for reference, with pyoperon's default optimizer_iterations=0 (no constant fitting). Test R^2
is printed beside. Results go to --json as they land; a rerun resumes.

Usage: python benchmarks/bench_sr_throughput.py [--time 10] [--problems 8] [--json results/throughput.json]
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
from bench_sr import OPERATORS, dataset, problems  # noqa: E402


def fit_exprc(names, X, y, budget):
    from exprc.search import SymbolicRegressor
    m = SymbolicRegressor(time_limit=budget, random_state=0, operators=OPERATORS, n_jobs=2)
    m.fit(X, y, variable_names=names)
    return m.predict, m.n_evaluations_


def _pyoperon(iterations):
    def fit(names, X, y, budget):
        from pyoperon.sklearn import SymbolicRegressor
        m = SymbolicRegressor(allowed_symbols="add,sub,mul,div,constant,variable,sin,cos,exp,log,sqrt",
                              max_time=int(budget), n_threads=2, random_state=0, optimizer_iterations=iterations,
                              max_evaluations=10 ** 9, generations=10 ** 6)
        m.fit(X, y)
        return m.predict, m.stats_.get("evaluation_count")
    return fit


TOOLS = {"exprc": fit_exprc, "pyoperon-lm10": _pyoperon(10), "pyoperon-lm0": _pyoperon(0)}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--time", type=float, default=10.0)
    ap.add_argument("--problems", type=int, default=8)
    ap.add_argument("--tools", default=",".join(TOOLS))
    ap.add_argument("--json")
    args = ap.parse_args(argv)
    done = {}
    if args.json and os.path.exists(args.json):
        done = {(r["problem"], r["tool"]): r for r in json.load(open(args.json))}
    for p in problems(args.problems):
        names, Xtr, ytr, Xte, yte = dataset(p, 0.0, 0)
        for tool in args.tools.split(","):
            if (p.name, tool) in done:
                continue
            t0 = time.monotonic()
            predict, count = TOOLS[tool](names, Xtr, ytr, args.time)
            wall = time.monotonic() - t0
            with np.errstate(all="ignore"):
                pred = np.asarray(predict(Xte), dtype=np.float64)
                r2 = float(1 - np.sum((pred - yte) ** 2) / np.sum((yte - yte.mean()) ** 2))
            done[(p.name, tool)] = {"problem": p.name, "tool": tool, "count": int(count), "wall": wall,
                                   "per_second": count / wall, "r2": r2 if np.isfinite(r2) else None}
            print(f"{p.name:10s} {tool:14s} {count / wall:10,.0f}/s  R2 {r2:.6f}", flush=True)
            if args.json:
                os.makedirs(os.path.dirname(args.json) or ".", exist_ok=True)
                json.dump(list(done.values()), open(args.json, "w"), indent=1)
    names_ = [p.name for p in problems(args.problems)]
    print(f"\n{len(names_)} Feynman problems, 1,000 rows, {args.time:g} s per fit, 2 cores; "
          f"{platform.machine()} {os.cpu_count()} cores, {time.strftime('%Y-%m-%d')}\n")
    print("| tool | candidates/s (median) | min | max | test R² > 0.999 |")
    print("|---|---|---|---|---|")
    for tool in args.tools.split(","):
        rows = [done[(n, tool)] for n in names_ if (n, tool) in done]
        if not rows:
            continue
        ps = [r["per_second"] for r in rows]
        good = sum(1 for r in rows if r["r2"] is not None and r["r2"] > 0.999)
        print(f"| {tool} | {statistics.median(ps):,.0f} | {min(ps):,.0f} | {max(ps):,.0f} | {good}/{len(rows)} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
