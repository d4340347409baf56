"""RSS of one process over many distinct compiles (issue: bounded memory).

Each step compiles a kernel that differs from every earlier one (a new constant), calls it
once and drops it, as a long search with a hot per-expression tier does. The disk cache is
off, so every compile runs LLVM. Prints the resident set size every --every compiles; the
target is flat RSS once the in-memory LRU (target.MEMORY_CACHE_SIZE) is full.

    python benchmarks/bench_memory.py --count 100000 --every 10000
"""
from __future__ import annotations

import argparse
import os
import platform
import time

os.environ["EXPRC_CACHE"] = "0"

import numpy as np  # noqa: E402

import exprc  # noqa: E402
from exprc.backends.llvm import target  # noqa: E402


def rss_mb() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--count", type=int, default=100_000)
    ap.add_argument("--every", type=int, default=10_000)
    args = ap.parse_args()
    x = np.linspace(0, 1, 64)
    print(f"machine: {platform.machine()} {target.target().cpu}, {os.cpu_count()} cores; {time.strftime('%Y-%m-%d')}; "
          f"LRU {target.MEMORY_CACHE_SIZE} kernels, {target.IN_PROCESS_COMPILES} compiles in process, "
          f"then a compile worker replaced every {target.WORKER_COMPILES}\n")
    print("| distinct compiles | RSS MB | ms per compile + call |")
    print("|---|---|---|")
    t0 = last = time.perf_counter()
    for k in range(1, args.count + 1):
        f = exprc.compile(f"x * {k}.5 + sin(x) * {k}", dtype="float64")
        y = f(x)
        assert y[7] == np.float64(x[7] * (k + 0.5) + np.sin(x[7]) * k) or abs(y[7] - (x[7] * (k + 0.5) + np.sin(x[7]) * k)) < 1e-9 * k
        if k % args.every == 0 or k == 1:
            now = time.perf_counter()
            per = (now - last) / (args.every if k > 1 else 1) * 1e3
            print(f"| {k:,} | {rss_mb():.0f} | {per:.2f} |", flush=True)
            last = now
    print(f"\ntotal {time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    main()
