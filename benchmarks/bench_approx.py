"""Approximation discovery: the numbers issue 5 asks for, printed as Markdown tables.

1. 2**x on [0, 1] in float32: the evolved front against Horner-fpminimax baselines (relative
   and absolute error, Sollya), every point proven over every float32 input of [0, 1].
2. A whole expf (Cody-Waite template around an evolved core) at each op count up to --expf-ops,
   proven over every float32 input whose result is normal; its compiled loop timed against
   numpy.exp, glibc's libmvec expf (exprc mathlib="libm") and a scalar C loop over glibc expf.
3. The published AutoNumerics-Zero exp2 programs evaluated in float32 (their max ULP).
4. The verifier's speed: all 2**32 float32 inputs of exprc's own expf.

Usage: python benchmarks/bench_approx.py [--time 300] [--expf-time 300] [--out bench_approx_out]
"""
from __future__ import annotations

import argparse
import ctypes
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
from timing import median_seconds  # noqa: E402

import exprc  # noqa: E402
from exprc.search.approx import approximate  # noqa: E402
from exprc.search.approx.report import pareto_table  # noqa: E402


def glibc_scalar_expf():
    """A C loop calling glibc's expf per element (gcc -O2, no fast-math: no vectorization)."""
    src = ("#include <math.h>\nvoid loop(const float *x, float *y, long n)"
           "{ for (long i = 0; i < n; i++) y[i] = expf(x[i]); }\n")
    d = tempfile.mkdtemp()
    c, so = Path(d, "l.c"), Path(d, "l.so")
    c.write_text(src)
    try:
        subprocess.run(["cc", "-O2", "-fPIC", "-shared", str(c), "-o", str(so), "-lm"], check=True,
                       capture_output=True)
    except (OSError, subprocess.CalledProcessError):
        return None
    lib = ctypes.CDLL(str(so))
    lib.loop.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_long]
    return lambda x, y: lib.loop(x.ctypes.data, y.ctypes.data, len(x))


def speed_table(program: str, repeat: int = 15) -> str:
    rng = np.random.default_rng(0)
    x = rng.uniform(-87.0, 88.0, 10_000_000).astype(np.float32)
    y = np.empty_like(x)
    ours = exprc.compile(program, dtype="float32", variables=["x"])
    ours1 = lambda: ours(x, out=y, threads=1)  # noqa: E731
    ours2 = lambda: ours(x, out=y)  # noqa: E731
    libm = exprc.compile("exp(x)", dtype="float32", mathlib="libm")
    libm1 = lambda: libm(x, out=y, threads=1)  # noqa: E731
    npexp = lambda: np.exp(x, out=y)  # noqa: E731
    scalar = glibc_scalar_expf()
    rows = [("evolved expf, exprc LLVM kernel, 1 thread", ours1),
            ("evolved expf, exprc LLVM kernel, 2 threads", ours2),
            ("numpy.exp (float32)", npexp),
            ("glibc libmvec _ZGVeN16v_expf via exprc mathlib=libm, 1 thread", libm1)]
    if scalar is not None:
        rows.append(("glibc expf, scalar C loop (gcc -O2)", lambda: scalar(x, y)))
    for _, fn in rows:
        fn()
    times = {name: [] for name, _ in rows}
    for _ in range(3):                          # interleaved rounds: the machine's speed drifts
        for name, fn in rows:
            times[name].append(median_seconds(fn, repeat // 3))
    base = float(np.median(times["numpy.exp (float32)"]))
    out = ["| expf on 1e7 float32 | ms | speed vs numpy.exp |", "|---|---|---|"]
    for name, _ in rows:
        t = float(np.median(times[name]))
        out.append(f"| {name} | {t * 1e3:.2f} | {base / t:.2f}x |")
    return "\n".join(out)


def autonumerics_table() -> str:
    from exprc.search.approx import autonumerics
    out = ["| AutoNumerics-Zero program | ops | max ULP in float32 on its interval |", "|---|---|---|"]
    for row in autonumerics.evaluate_published():
        out.append(f"| {row['name']} | {row['ops']} | {row['max_ulp']:.4g} |")
    return "\n".join(out)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--time", type=float, default=300.0, help="seconds for the exp2 [0, 1] search")
    ap.add_argument("--expf-time", type=float, default=300.0, help="seconds for the whole-expf search")
    ap.add_argument("--expf-ops", type=int, default=11)
    ap.add_argument("--out", default="bench_approx_out")
    args = ap.parse_args(argv)
    from exprc.backends.llvm import target
    t = target.target()
    print(f"machine: {platform.machine()} {t.cpu}, {os.cpu_count()} cores; "
          f"{time.strftime('%Y-%m-%d')}\n")

    r = approximate("exp2", (0.0, 1.0), max_ops=8, time_limit=args.time, seed=0, out_dir=f"{args.out}/exp2",
                    prove_all=True)
    print(f"## 2**x on [0, 1], float32 ({r.seconds:.0f} s, {r.evaluations:,} evaluations; every point "
          "proven over all float32 inputs of [0, 1])\n")
    print(pareto_table(r) + "\n")
    for p in r.front:
        if p.ops >= 5:
            print(f"- {p.ops} ops, {p.max_ulp:.4g} ULP ({p.kind}): `{p.program}`")
    print()

    e = approximate("exp", None, max_ops=args.expf_ops, time_limit=args.expf_time, seed=0, whole=True,
                    out_dir=f"{args.out}/expf", prove_all=True)
    print(f"## whole expf: Cody-Waite template + evolved core ({e.seconds:.0f} s; exhaustive points "
          "proven over every float32 input whose result is normal)\n")
    print(pareto_table(e) + "\n")
    for p in e.front:
        if p.verified == "exhaustive":
            print(f"- {p.ops} ops, {p.max_ulp:.4g} ULP, {p.not_correctly_rounded:,} results not correctly "
                  f"rounded ({p.kind})")
    print()
    best = e.best()
    if best is not None:
        print(f"Speed of the best expf found ({best.ops} ops, {best.max_ulp:.4g} ULP):\n")
        print(speed_table(best.program) + "\n")

    print("## Published AutoNumerics-Zero exp2 programs in float32\n")
    print(autonumerics_table() + "\n")

    from exprc.search.approx.verify import verify
    from exprc.parser import parse
    v = verify(parse("exp(x)", dtype="float32"), "exp(x)", interval=None, normal_only=True)
    print(f"## Verifier speed\n\nexprc's own expf over all 2**32 float32 inputs: {v.seconds:.1f} s "
          f"({v.count:,} judged), max {v.max_ulp:.4f} ULP at x = {v.worst_input!r}, "
          f"{v.not_correctly_rounded:,} not correctly rounded.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
