"""`exprc demo`: compile one expression, show its code, and time it against numpy."""
from __future__ import annotations

import time

import numpy as np

DEMO_EXPR = "sin(x)*cos(y) + exp(z*0.5) - x*y*z + cos(x+y)*sin(z) - exp(x*0.25)*y"


def _median_ms(fn, repeat: int = 7) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return 1e3 * float(np.median(times))


def run_demo(rows: int = 1_000_000) -> int:
    import exprc
    print(f"expression: {DEMO_EXPR}")
    t0 = time.perf_counter()
    k = exprc.compile(DEMO_EXPR, dtype="float32")
    k.executable.warm()
    t1 = time.perf_counter()
    print(f"compiled for float32 in {1e3 * (t1 - t0):.1f} ms (first kernel of this process, "
          "including one-time LLVM start-up; later kernels take a few ms)\n")
    ir_text = k.source("llvm").splitlines()
    loop = [ln for ln in ir_text if "libmvec" in ln or "_ZGV" in ln or "fmul" in ln][:8]
    print("LLVM IR of the kernel (excerpt; `exprc compile EXPR --emit llvm` prints it all):")
    print("\n".join("  " + ln.strip() for ln in loop))
    rng = np.random.default_rng(0)
    x, y, z = (rng.uniform(-3, 3, rows).astype(np.float32) for _ in range(3))
    half, quarter = np.float32(0.5), np.float32(0.25)

    def with_numpy():
        return np.sin(x) * np.cos(y) + np.exp(z * half) - x * y * z + np.cos(x + y) * np.sin(z) - np.exp(x * quarter) * y

    ref = with_numpy()
    got = k(x, y, z)
    t_np = _median_ms(with_numpy)
    t_1 = _median_ms(lambda: k(x, y, z, threads=1))
    t_all = _median_ms(lambda: k(x, y, z))
    print(f"\n{rows:,} float32 rows, median of 7 runs:")
    print(f"  numpy            {t_np:8.2f} ms   1.0x")
    print(f"  exprc, 1 thread  {t_1:8.2f} ms   {t_np / t_1:.1f}x")
    from exprc.backends.llvm import default_threads
    print(f"  exprc, {default_threads()} threads {t_all:8.2f} ms   {t_np / t_all:.1f}x")
    print(f"  largest difference from numpy: {float(np.max(np.abs(got - ref))):.3g}")
    return 0
