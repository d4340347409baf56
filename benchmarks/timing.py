"""Timing helpers shared by the benchmark scripts (MEASURING.md: medians of repetitions)."""
from __future__ import annotations

import statistics
import time


def timed(fn, repeat: int) -> list[float]:
    """Seconds of repeat calls of fn, one per call."""
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return times


def median_seconds(fn, repeat: int) -> float:
    return statistics.median(timed(fn, repeat))


def interleaved_median_ms(runs: dict, repeat: int) -> dict:
    """Milliseconds per call of each named function: one warm-up call each, then `repeat`
    rounds that run every function once in turn (drift hits all alike), median per name."""
    for fn in runs.values():
        fn()
    samples = {key: [] for key in runs}
    for _ in range(repeat):
        for key, fn in runs.items():
            samples[key] += timed(fn, 1)
    return {key: 1e3 * statistics.median(v) for key, v in samples.items()}
