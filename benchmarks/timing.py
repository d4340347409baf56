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
