"""Mixed precision on the 120 SRSD Feynman formulas: float32 as written vs precision="auto".

Per formula: 1,000 rows drawn as SRSD draws them (seed 1), rounded to float32 (what a float32
kernel receives); the reference is the formula's exact value at those float32 inputs (mpmath,
precision raised until stable); rows whose exact value is not a finite normal float32 are left out
(SRSD redraws results outside float32; a subnormal result cannot be within 1e-4 even when
correctly rounded). A formula agrees when every row is within 1e-4 relative. precision="auto"
sees only the ranges (each variable's [low, high], or [-high, high] where SRSD draws both
signs), never these rows. Also counts how many ops run in float64.

    python benchmarks/bench_precision.py [--tolerance 1e-4] [--rows 1000]
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import exprc                                                     # noqa: E402
from exprc import ir                                             # noqa: E402
from exprc.accurate.sampling import Sample, _stable               # noqa: E402
from exprc.datasets.feynman import FEYNMAN, sample as srsd_sample  # noqa: E402


def ranges_of(problem) -> dict:
    out = {}
    for v in problem.variables:
        lo, hi = (v.low, v.high)
        out[v.name] = (-hi, hi) if v.negate_half else (lo, hi)
    return out


def reference_rows(problem, rows: int, seed: int) -> Sample:
    """SRSD rows as float32 with exact references (rows without a finite float32 answer dropped)."""
    node = exprc.parse(problem.formula, dtype="float32", variables=[v.name for v in problem.variables])
    cols = {k: np.asarray(v, dtype=np.float32) for k, v in srsd_sample(problem, rows, np.random.default_rng(seed)).items()}
    keep, exact, precs = [], [], []
    big, tiny = float(np.finfo(np.float32).max), float(np.finfo(np.float32).tiny)
    for k in range(rows):
        point = {name: cols[name][k] for name in cols}
        value, prec = _stable(node, point, "float32")
        if value is None or isinstance(value, bool) or not (abs(value) <= big) or 0 < abs(value) < tiny:
            continue       # not a finite normal float32: no float32 result can be within 1e-4 of it
        keep.append(k)
        exact.append(value)
        precs.append(prec)
    names = [v.name for v in problem.variables]
    return Sample(names, {n: cols[n][keep] for n in names}, exact, precs, "float32")


def max_relative_error(node: ir.Node, rows: Sample) -> float:
    k = exprc.compile(node, dtype="float32", variables=rows.variables)
    with np.errstate(all="ignore"):
        y = np.asarray(k(*[rows.columns[n] for n in rows.variables]), dtype=np.float64)
    exact = np.array([float(v) for v in rows.exact])
    with np.errstate(all="ignore"):
        err = np.abs(y - exact) / np.where(exact == 0, 1.0, np.abs(exact))
    err = np.where(np.isfinite(err), err, np.inf)
    return float(err.max()) if err.size else 0.0


def wide_ops(node: ir.Node) -> int:
    return sum(1 for n in ir.topo([node]) if n.args and n.dtype == "float64" and n.op != "to_float64")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1000)
    ap.add_argument("--tolerance", type=float, default=1e-4)
    ap.add_argument("--only", nargs="*", help="problem names")
    args = ap.parse_args(argv)
    from exprc.accurate import improve
    from exprc.accurate.precision import auto_precision
    problems = [p for p in FEYNMAN if not args.only or p.name in args.only]
    agree_plain = agree_auto = agree_both = 0
    lines = ["| problem | float32 max rel error | auto max rel error | ops in float64 | auto + accurate |",
             "|---|---|---|---|---|"]
    failures = []
    for p in problems:
        rows = reference_rows(p, args.rows, seed=1)
        names = [v.name for v in p.variables]
        plain = exprc.parse(p.formula, dtype="float32", variables=names)
        auto = auto_precision(plain, ranges_of(p))
        e_plain, e_auto = max_relative_error(plain, rows), max_relative_error(auto, rows)
        agree_plain += e_plain <= args.tolerance
        agree_auto += e_auto <= args.tolerance
        e_both = e_auto
        if e_auto > args.tolerance:        # what compile(..., accurate=True, precision="auto") gives
            both = auto_precision(improve(plain, "float32", ranges_of(p)), ranges_of(p))
            e_both = max_relative_error(both, rows)
        agree_both += e_both <= args.tolerance
        if e_plain > args.tolerance or e_auto > args.tolerance:
            lines.append(f"| {p.name} | {e_plain:.2g} | {e_auto:.2g} | {wide_ops(auto)} of "
                         f"{sum(1 for n in ir.topo([plain]) if n.args)} | {e_both:.2g} |")
        if e_auto > args.tolerance:
            failures.append(p.name)
    print("\n".join(lines))
    print()
    print(f"formulas within {args.tolerance:g} relative on every row: float32 {agree_plain} of {len(problems)}, "
          f"precision='auto' {agree_auto} of {len(problems)}, accurate=True with precision='auto' "
          f"{agree_both} of {len(problems)}")
    if failures:
        print("still outside with auto:", ", ".join(failures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
