"""Accuracy rewriting benchmark: every kernel of benchmarks/accuracy/kernels.fpcore, error
before and after exprc.improve on inputs it never saw.

Per kernel: improve (256 training points, seed 0) in a worker process with a time limit; then
both programs are measured on 1,000 fresh test points (seed 1) against mpmath references:
max ULP (MEASURING.md; "nonfinite" where a NaN or inf meets a finite reference) and mean bits
of error (Herbie's measure). Each result is appended to a JSON-lines file as it lands, and a
rerun resumes from it. Prints a markdown table and the summary the issue's targets use.

    python benchmarks/bench_accuracy.py [--out results/accuracy.jsonl] [--dtype float64]
"""
from __future__ import annotations

import argparse
import json
import math
import multiprocessing as mp
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
SUITE = HERE / "accuracy" / "kernels.fpcore"
BAD_ULP = 1000.0


def kernels(path: Path = SUITE) -> list[str]:
    return [line for line in path.read_text().splitlines() if line.startswith("(FPCore")]


def measure(text: str, dtype: str, test_points: int, time_limit: float) -> dict:
    """One kernel: improve it, then measure input and answer on fresh points."""
    import numpy as np
    from exprc.accurate import improve_report
    from exprc.accurate.sampling import bits_of_error, draw, evaluate_float, ulp_errors
    from exprc.fpcore import from_fpcore
    core = from_fpcore(text, dtype=dtype)
    start = time.perf_counter()
    rep = improve_report(core.node, dtype, core.ranges, time_limit=time_limit)
    seconds = time.perf_counter() - start
    test = draw(core.node, core.variables, core.ranges, test_points, dtype, seed=1)
    out = {"name": core.name, "dtype": dtype, "seconds": round(seconds, 2), "improved": rep.improved,
           "expression": str(rep.node), "cost_before": rep.cost_before, "cost_after": rep.cost_after}
    for label, node in (("before", rep.original), ("after", rep.node)):
        y = evaluate_float(node, test.columns, dtype)
        bits = bits_of_error(y, test.exact_floats(), dtype)
        ulps = ulp_errors(y, test.exact, dtype)
        finite = ulps[np.isfinite(ulps)]
        out[label] = {"mean_bits": round(float(bits.mean()), 3),
                      "max_ulp": float(finite.max()) if finite.size else 0.0,
                      "nonfinite": int(np.count_nonzero(~np.isfinite(ulps)))}
    return out


def _worker(text, dtype, test_points, time_limit, queue):
    try:
        queue.put(measure(text, dtype, test_points, time_limit))
    except Exception as exc:           # reported as a row, never a crash of the benchmark
        queue.put({"error": f"{type(exc).__name__}: {exc}"})


def run_one(text: str, dtype: str, test_points: int, time_limit: float, hard_limit: float) -> dict:
    ctx = mp.get_context("fork")
    queue = ctx.Queue()
    p = ctx.Process(target=_worker, args=(text, dtype, test_points, time_limit, queue))
    p.start()
    p.join(hard_limit)
    if p.is_alive():
        p.kill()
        p.join()
        return {"error": f"no answer within {hard_limit:g} s"}
    return queue.get() if not queue.empty() else {"error": f"worker exited with {p.exitcode}"}


def bad(row: dict, label: str) -> bool:
    r = row[label]
    return r["nonfinite"] > 0 or r["max_ulp"] > BAD_ULP


def _ulp(r: dict) -> str:
    s = f"{r['max_ulp']:.3g}"
    return s + (f" ({r['nonfinite']} nonfinite)" if r["nonfinite"] else "")


def table(rows: list[dict]) -> str:
    lines = ["| kernel | max ULP before | max ULP after | bits before | bits after | cost | s | rewritten |",
             "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        if "error" in r:
            lines.append(f"| {r['name']} | | | | | | | error: {r['error']} |")
            continue
        expr = r["expression"] if r["improved"] else "(unchanged)"
        if len(expr) > 90:
            expr = expr[:87] + "..."
        lines.append(f"| {r['name']} | {_ulp(r['before'])} | {_ulp(r['after'])} | {r['before']['mean_bits']:.2f} | "
                     f"{r['after']['mean_bits']:.2f} | {r['cost_before']} -> {r['cost_after']} | {r['seconds']:.1f} | "
                     f"`{expr.replace('|', '/')}` |")
    return "\n".join(lines)


def summary(rows: list[dict]) -> str:
    ok = [r for r in rows if "error" not in r]
    before = sum(bad(r, "before") for r in ok)
    after = sum(bad(r, "after") for r in ok)
    worse = [r["name"] for r in ok if r["after"]["mean_bits"] > r["before"]["mean_bits"] + 1]
    improved = sum(r["improved"] for r in ok)
    mean_b = sum(r["before"]["mean_bits"] for r in ok) / max(len(ok), 1)
    mean_a = sum(r["after"]["mean_bits"] for r in ok) / max(len(ok), 1)
    return "\n".join([
        f"kernels: {len(rows)} ({len(rows) - len(ok)} errors or timeouts), rewritten: {improved}",
        f"max error above {BAD_ULP:g} ULP (or non-finite): {before} before, {after} after improve "
        f"(target: at most {math.floor(before / 3)})",
        f"mean bits of error over the suite: {mean_b:.2f} before, {mean_a:.2f} after",
        f"made worse by more than 1 bit of mean error: {len(worse)} {worse if worse else ''}".rstrip(),
        f"improve time: median {sorted(r['seconds'] for r in ok)[len(ok) // 2] if ok else 0:.1f} s, "
        f"max {max((r['seconds'] for r in ok), default=0):.1f} s",
    ])


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=str(HERE / "results" / "accuracy.jsonl"))
    ap.add_argument("--dtype", default="float64")
    ap.add_argument("--test-points", type=int, default=1000)
    ap.add_argument("--time", type=float, default=30.0, help="improve's own time budget per kernel")
    ap.add_argument("--hard-limit", type=float, default=180.0, help="seconds before a kernel is killed")
    ap.add_argument("--limit", type=int, default=None, help="only the first N kernels")
    ap.add_argument("--jobs", type=int, default=2)
    args = ap.parse_args(argv)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    done = {}
    if out.exists():
        for line in out.read_text().splitlines():
            row = json.loads(line)
            done[(row["source"], row.get("dtype", "float64"))] = row
    todo = [k for k in kernels()[: args.limit] if (k, args.dtype) not in done]
    from concurrent.futures import ThreadPoolExecutor
    from exprc.fpcore import from_fpcore

    def task(text):
        row = run_one(text, args.dtype, args.test_points, args.time, args.hard_limit)
        row.setdefault("name", from_fpcore(text).name)
        row["source"], row["dtype"] = text, args.dtype
        with open(out, "a") as f:
            f.write(json.dumps(row) + "\n")
        print(f"  {row['name']}: {row.get('error') or (_ulp(row['before']) + ' -> ' + _ulp(row['after']))}",
              file=sys.stderr, flush=True)
        return row
    with ThreadPoolExecutor(args.jobs) as pool:
        for row in pool.map(task, todo):
            done[(row["source"], args.dtype)] = row
    rows = [done[(k, args.dtype)] for k in kernels()[: args.limit] if (k, args.dtype) in done]
    print(table(rows))
    print()
    print(summary(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
