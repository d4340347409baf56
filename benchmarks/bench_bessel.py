"""log I_v(x) and log K_v(x): exprc against SciPy (log(ive) + x, log(kve) - x) and mpmath.

Accuracy: a log-uniform grid of v in [1e-3, 1e5] and x in [1e-6, 1e6] (--grid N per axis),
error |computed - true| / max(|true|, 1) against exprc.special.reference (mpmath, precision
grown until two precisions agree), max and median per region, and the count of non-finite
results. Throughput: 1e6 log-uniform (v, x) pairs in random order and sorted by v, and inputs
within one region, median of --repeat calls, SciPy single-threaded (it has no threads) and exprc
on all cores, with and without branch skipping.
Run: python benchmarks/bench_bessel.py [--grid 40] [--points 1000000]; --gpu measures the Triton
kernels on a CUDA device instead (inputs on the device).
"""
from __future__ import annotations

import argparse
import os
import platform
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
from timing import median_seconds  # noqa: E402

import exprc  # noqa: E402
from exprc.special.bessel import DEBYE_MIN_ORDER, HANKEL_MIN_X, SERIES_MAX_X  # noqa: E402
from exprc.special.reference import mp_log_bessel  # noqa: E402


def region(name, v, x):
    """The region of exprc/special/bessel.py that computes name(v, x)."""
    if v >= DEBYE_MIN_ORDER:
        return "debye"
    if x <= SERIES_MAX_X:
        return "series" if name == "log_iv" else "temme"
    if name == "log_kv" and x >= HANKEL_MIN_X:
        return "hankel"
    return "recurrence"


def scipy_log(name, v, x):
    from scipy import special
    with np.errstate(all="ignore"):
        return np.log(special.ive(v, x)) + x if name == "log_iv" else np.log(special.kve(v, x)) - x


def accuracy(grid: int):
    v = np.geomspace(1e-3, 1e5, grid)
    x = np.geomspace(1e-6, 1e6, grid)
    V, X = [a.ravel() for a in np.meshgrid(v, x, indexing="ij")]
    rows = []
    for name in ("log_iv", "log_kv"):
        k = exprc.compile(f"{name}(v, x)", variables=["v", "x"])
        ours, theirs = k(V, X), scipy_log(name, V, X)
        true = np.array([float(mp_log_bessel(name, a, b)) for a, b in zip(V, X)])
        e_ours = np.abs(ours - true) / np.maximum(np.abs(true), 1)
        e_sp = np.abs(theirs - true) / np.maximum(np.abs(true), 1)
        labels = np.array([region(name, a, b) for a, b in zip(V, X)])
        for lab in sorted(set(labels)) + ["all"]:
            m = labels == lab if lab != "all" else np.ones(V.size, bool)
            fo, fs = np.isfinite(ours[m]), np.isfinite(theirs[m])
            rows.append((name, lab, int(m.sum()), e_ours[m][fo].max(), np.median(e_ours[m][fo]), int((~fo).sum()),
                         e_sp[m][fs].max() if fs.any() else float("nan"),
                         np.median(e_sp[m][fs]) if fs.any() else float("nan"), int((~fs).sum())))
    print(f"\nAccuracy, log-uniform {grid}x{grid} grid, v in [1e-3, 1e5], x in [1e-6, 1e6]; error |f - true| / max(|true|, 1)\n")
    print("| function | region | points | exprc max | exprc median | exprc non-finite | SciPy max | SciPy median | SciPy non-finite |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r[0]} | {r[1]} | {r[2]} | {r[3]:.1e} | {r[4]:.1e} | {r[5]} | {r[6]:.1e} | {r[7]:.1e} | {r[8]} |")


def layouts(points: int):
    """(label, v, x): log-uniform over the whole domain, its points sorted by v, and inputs
    that stay in one region (what a von Mises-Fisher fit in fixed dimension sees)."""
    rng = np.random.default_rng(0)

    def lu(lo, hi):
        return 10 ** rng.uniform(np.log10(lo), np.log10(hi), points)
    v, x = lu(1e-3, 1e5), lu(1e-6, 1e6)
    order = np.argsort(v, kind="stable")
    return [("log-uniform, random order", v, x),
            ("log-uniform, sorted by v", v[order].copy(), x[order].copy()),
            ("v = 511 (vMF, p = 1024), x in [1e-3, 1e4]", np.full(points, 511.0), lu(1e-3, 1e4)),
            (f"v >= {DEBYE_MIN_ORDER} (Debye)", lu(DEBYE_MIN_ORDER, 1e5), lu(1e-6, 1e6)),
            (f"v < {DEBYE_MIN_ORDER}, x <= {SERIES_MAX_X}", lu(1e-3, DEBYE_MIN_ORDER), lu(1e-6, SERIES_MAX_X)),
            (f"v < {DEBYE_MIN_ORDER}, {SERIES_MAX_X} < x < {HANKEL_MIN_X}", lu(1e-3, DEBYE_MIN_ORDER),
             lu(SERIES_MAX_X, HANKEL_MIN_X)),
            (f"v < {DEBYE_MIN_ORDER}, x >= {HANKEL_MIN_X}", lu(1e-3, DEBYE_MIN_ORDER), lu(HANKEL_MIN_X, 1e6))]


def throughput(points: int, repeat: int):
    print(f"\nThroughput, {points:,} points, median of {repeat}; {platform.machine()}, "
          f"{os.cpu_count()} cores; SciPy single-threaded (it has no threads), exprc on all cores; "
          "'every branch' is the same kernel compiled with branches=False\n")
    print("| function | inputs | SciPy ms | exprc ms | exprc every branch ms | exprc / SciPy |")
    print("|---|---|---|---|---|---|")
    for name in ("log_iv", "log_kv"):
        k = exprc.compile(f"{name}(v, x)", variables=["v", "x"])
        every = exprc.compile(f"{name}(v, x)", variables=["v", "x"], branches=False)
        for label, v, x in layouts(points):
            out = np.empty_like(v)
            t_sp = median_seconds(lambda: scipy_log(name, v, x), repeat)
            t_ex = median_seconds(lambda: k(v, x, out=out), repeat)
            t_all = median_seconds(lambda: every(v, x, out=out), repeat)
            print(f"| {name} | {label} | {t_sp * 1e3:.1f} | {t_ex * 1e3:.1f} | {t_all * 1e3:.1f} | "
                  f"{t_sp / t_ex:.1f}x |")


def gpu(points: int, repeat: int):
    """The Triton kernels on the GPU, inputs and outputs on the device (torch tensors)."""
    import torch
    if not torch.cuda.is_available():
        print("\nGPU: no CUDA device here; nothing measured")
        return
    print(f"\nGPU throughput, {torch.cuda.get_device_name()}, {points:,} points, median of {repeat} "
          "(device time, synchronized)\n")
    print("| function | dtype | inputs | exprc triton ms | points / s |")
    print("|---|---|---|---|---|")
    for name in ("log_iv", "log_kv"):
        for dtype in ("float64", "float32"):
            k = exprc.compile(f"{name}(v, x)", variables=["v", "x"], dtype=dtype, backend="triton")
            for label, v, x in layouts(points)[:3]:
                tv = torch.as_tensor(v.astype(dtype), device="cuda")
                tx = torch.as_tensor(x.astype(dtype), device="cuda")
                k(tv, tx)

                def call():
                    k(tv, tx)
                    torch.cuda.synchronize()
                t = median_seconds(call, repeat)
                print(f"| {name} | {dtype} | {label} | {t * 1e3:.2f} | {points / t:.3g} |")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--grid", type=int, default=40)
    ap.add_argument("--points", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--gpu", action="store_true", help="only the Triton kernels on the GPU")
    a = ap.parse_args(argv)
    if a.gpu:
        gpu(a.points, a.repeat)
        return
    accuracy(a.grid)
    throughput(a.points, a.repeat)


if __name__ == "__main__":
    main()
