"""From text to scores: how fast candidates get into the population engine.

2,000 random trees (+ - * / sin exp log sqrt, ~30 nodes before Operon's variable weights)
printed by pyoperon's InfixFormatter with 12-digit constants, float32, 10,000 rows, 5 variables.
Rows, in one process, interleaved, median of --repeat runs:
- text -> trees/programs: pyoperon's C++ InfixParser.Parse, exprc.parse (lark, per text),
  exprc.parse_many (the bulk path: compiled, and its numpy fallback), Population(texts)
  (parse + bytecode), Population(nodes) (IR already built);
- prefix tokens -> population: tokens per second, Population.from_prefix against from_prefix;
- cold population: parse + build + predict on 10k rows, against pyoperon's EvaluateTrees on its
  already-parsed trees (1 thread), exprc on 1 and 2 threads;
- memory: RSS growth over a million distinct texts (parsed 10,000 at a time).
Every exprc path is checked bit for bit against exprc.parse + the population before timing.

Run: python benchmarks/bench_frontend.py [--repeat 5]      Needs: pip install pyoperon
"""
from __future__ import annotations

import argparse
import os
import platform
import resource
import sys

import numpy as np

import exprc
from exprc.population import text_c
from exprc.random_expr import TreeSpec, random_population
from timing import median_seconds

VARS = tuple(f"x{i}" for i in range(5))
N, ROWS = 2000, 10_000


def operon_texts():
    import pyoperon as op
    spec = TreeSpec(variables=VARS, ops=("add", "sub", "mul", "div", "sin", "exp", "log", "sqrt"),
                    constants=(0.5, 1.5, 2.0, 3.0), const_prob=0.25, dtype="float32", constant_subtrees=False)
    nodes = random_population(2026, N, 30, spec)
    ds = op.Dataset(np.zeros((2, len(VARS)), dtype=np.float32))
    hashes = {v: var.Hash for v, var in zip(VARS, ds.Variables)}
    names = {var.Hash: v for v, var in zip(VARS, ds.Variables)}
    trees = [op.InfixParser.Parse(str(n), hashes) for n in nodes]
    return [op.InfixFormatter.Format(t, names, 12) for t in trees], hashes


def prefix_tokens(node) -> list[str]:
    out, stack = [], [node]
    while stack:
        n = stack.pop()
        if n.op == "var":
            out.append(n.value)
        elif n.op == "const":
            out.append(repr(float(n.value)))
        else:
            out.append(n.op)
            stack.extend(reversed(n.args))
    return out


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--million", type=int, default=1_000_000, help="texts for the memory row")
    args = ap.parse_args()
    import pyoperon as op
    texts, hashes = operon_texts()
    X = np.random.default_rng(0).uniform(-3, 3, (ROWS, len(VARS))).astype(np.float32)
    ds = op.Dataset(X)
    rg = op.Range(0, ROWS)
    out = np.zeros((N, ROWS), dtype=np.float32)
    nodes = [exprc.parse(t, dtype="float32") for t in texts]
    lists = [prefix_tokens(n) for n in nodes]
    ntokens = sum(map(len, lists))
    ntext_tokens = sum(len(t.replace("(", " ( ").replace(")", " ) ").split()) for t in texts)

    # the same programs and the same bits on every path, before anything is timed
    ref = exprc.Population(nodes, variables=VARS)
    with np.errstate(all="ignore"):
        want = ref.predict(X)
        for label, pop in (("text", exprc.Population(texts, variables=VARS)),
                           ("prefix", exprc.Population.from_prefix(lists, variables=VARS))):
            assert pop.flat.equal(ref.flat), label
            assert np.array_equal(pop.predict(X).view(np.uint32), want.view(np.uint32)), label
    compiled = text_c.compiled_parser() is not None

    def numpy_path():
        saved = text_c._CPARSER[:]
        text_c._CPARSER[:] = [None]
        try:
            exprc.parse_many(texts, dtype="float32")
        finally:
            text_c._CPARSER[:] = saved

    sub = texts[:200]
    t = {}
    with np.errstate(all="ignore"):
        t["pyoperon InfixParser.Parse"] = median_seconds(lambda: [op.InfixParser.Parse(s, hashes) for s in texts], args.repeat) / N
        t["exprc.parse (lark, one text at a time)"] = median_seconds(lambda: [exprc.parse(s, dtype="float32") for s in sub], 1) / len(sub)
        if compiled:
            t["exprc.parse_many (compiled bulk path)"] = median_seconds(lambda: exprc.parse_many(texts, dtype="float32"), args.repeat) / N
        t["exprc.parse_many (numpy bulk path)"] = median_seconds(numpy_path, args.repeat) / N
        t["exprc.Population(texts) + bytecode"] = median_seconds(lambda: exprc.Population(texts, variables=VARS).bytecode(), args.repeat) / N
        t["exprc.Population(nodes) + bytecode"] = median_seconds(lambda: exprc.Population(nodes, variables=VARS).bytecode(), args.repeat) / N
        prefix_new = median_seconds(lambda: exprc.Population.from_prefix(lists, variables=VARS).bytecode(), args.repeat)
        prefix_old = median_seconds(lambda: [exprc.from_prefix(lst, dtype="float32") for lst in lists[:200]], 1) * N / 200
        trees = [op.InfixParser.Parse(s, hashes) for s in texts]
        op.EvaluateTrees(trees, ds, rg, out, 1)
        cold = {}
        for _ in range(args.repeat):
            cold.setdefault("pyoperon EvaluateTrees, parsed trees, 1 thread", []).append(
                median_seconds(lambda: op.EvaluateTrees(trees, ds, rg, out, 1), 1))
            for threads in (1, 2):
                th = f"{threads} thread{'s' * (threads > 1)}"
                cold.setdefault(f"exprc Population(texts).predict, cold, {th}", []).append(
                    median_seconds(lambda: exprc.Population(texts, variables=VARS).predict(X, threads=threads), 1))
                # as pyoperon is given it: the output array exists already (no page faults on 80 MB)
                cold.setdefault(f"exprc Population(texts).predict(out=), cold, {th}", []).append(
                    median_seconds(lambda: exprc.Population(texts, variables=VARS).predict(X, threads=threads, out=out), 1))
    cold = {k: float(np.median(v)) for k, v in cold.items()}

    from exprc.backends.llvm import target
    tg = target.target()
    print(f"# {N:,} pyoperon-printed texts (~{ntext_tokens / N:.0f} tokens, {ref.sizes.mean():.0f} nodes each), float32; "
          f"{platform.machine()} {tg.cpu}, {os.cpu_count()} cores; median of {args.repeat}\n")
    base = t["pyoperon InfixParser.Parse"]
    print("| text to trees / programs | us per text | vs pyoperon's parser |")
    print("|---|---|---|")
    for k, v in t.items():
        print(f"| {k} | {1e6 * v:.1f} | {base / v:.2f}x |")
    print("\n| prefix tokens to a population | M tokens/s |\n|---|---|")
    print(f"| Population.from_prefix (bulk) | {ntokens / prefix_new / 1e6:.2f} |")
    print(f"| exprc.from_prefix, one list at a time | {ntokens / prefix_old / 1e6:.3f} |")
    base = cold["pyoperon EvaluateTrees, parsed trees, 1 thread"]
    print(f"\n| cold: {N:,} texts, {ROWS:,} rows | ms | pyoperon's time / this |\n|---|---|---|")
    for k, v in cold.items():
        print(f"| {k} | {1e3 * v:.1f} | {base / v:.2f}x |")

    # memory over a million distinct texts: the same shapes with fresh constants
    rng = np.random.default_rng(1)
    before = rss_mb()
    done = 0
    while done < args.million:
        batch = [s.replace("1.000000000000", f"{rng.uniform(0.5, 2):.12f}", 1) + f" + {done + k}"
                 for k, s in enumerate(texts * 5)][: args.million - done]
        exprc.Population(batch, variables=VARS).bytecode()
        done += len(batch)
        if done in (100_000, args.million) or done % 500_000 == 0:
            print(f"after {done:,} distinct texts: max RSS {rss_mb():.0f} MB (was {before:.0f} MB)", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
