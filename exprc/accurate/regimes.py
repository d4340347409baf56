"""Regime inference (Herbie's): split one variable's range into intervals, each computed by
the candidate most accurate there, joined with where().

Why: the best formula for 1 - cos(x) near 0 is not the best one near pi; no single term wins
everywhere, but a branch on x picks the right one per input. Splits are found by dynamic
programming over the sample sorted by the variable (segment cost = total bits of error of a
candidate on the segment), a split must pay for itself by PENALTY_BITS on average, and each
threshold sits halfway (in float order) between the two sample points it separates.
"""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from .. import ir
from .sampling import from_ordinals, ordinals

MAX_REGIMES = 4
PENALTY_BITS = 0.25     # mean bits of error a split must gain
MIN_SEGMENT = 4         # points per regime, at least


@dataclass
class Regimes:
    variable: str
    thresholds: list[float]      # ascending; regime k is thresholds[k-1] < v <= thresholds[k]
    choice: list[int]            # candidate index per regime
    mean_bits: float


def _segments(bits: np.ndarray, k: int, min_seg: int):
    """Best total bits with k segments over sorted points: (total, [(end, candidate), ...])."""
    m, n = bits.shape
    prefix = np.concatenate([np.zeros((m, 1)), np.cumsum(bits, axis=1)], axis=1)   # [m, n+1]
    inf = np.inf
    best = np.full((k + 1, n + 1), inf)
    arg = np.zeros((k + 1, n + 1, 2), dtype=int)
    best[0, 0] = 0.0
    for r in range(1, k + 1):
        for j in range(r * min_seg, n + 1):
            i = np.arange(0, j - min_seg + 1)
            prev = best[r - 1, i]
            if not np.isfinite(prev).any():
                continue
            seg = prefix[:, [j]] - prefix[:, i]                                    # [m, len(i)]
            total = prev[None, :] + seg
            flat = int(np.argmin(total))
            mm, ii = divmod(flat, total.shape[1])
            best[r, j] = total[mm, ii]
            arg[r, j] = (i[ii], mm)
    cuts = []
    j = n
    for r in range(k, 0, -1):
        i, mm = arg[r, j]
        cuts.append((j, int(mm)))
        j = int(i)
    return best[k, n], cuts[::-1]


def infer(bits: np.ndarray, columns: dict, dtype: str) -> Regimes | None:
    """The best split of the sample into regimes of one variable, or None when one candidate
    everywhere is as good (within PENALTY_BITS per split)."""
    m, n = bits.shape
    if m < 2 or n < 2 * MIN_SEGMENT:
        return None
    best_score = float(bits.sum(axis=1).min()) / n        # one candidate everywhere
    best: Regimes | None = None
    for v, col in columns.items():
        order = np.argsort(col, kind="stable")
        xs = col[order]
        b = bits[:, order]
        for k in range(2, MAX_REGIMES + 1):
            total, cuts = _segments(b, k, MIN_SEGMENT)
            mean = total / n
            if not np.isfinite(mean):
                continue
            thresholds, choice, start = [], [], 0
            for end, cand in cuts:
                if not choice:
                    choice.append(cand)
                elif cand != choice[-1]:                   # the same candidate on both sides: no split
                    thresholds.append(_between(xs[start - 1], xs[start], dtype))
                    choice.append(cand)
                start = end
            if len(choice) < 2 or len(set(thresholds)) != len(thresholds):
                continue
            score = mean + PENALTY_BITS * (len(choice) - 1)
            if score < best_score:
                best_score, best = score, Regimes(v, thresholds, choice, mean)
    return best


def _between(a, b, dtype: str) -> float:
    """A threshold t with a <= t < b: the number of fewest decimal digits there (it prints as
    written), else the float halfway in float order."""
    oa, ob = (int(v) for v in ordinals(np.array([a, b]), dtype))
    halfway = float(from_ordinals(np.array([(oa + ob) // 2]), dtype)[0])
    lo, hi = float(a), float(b)
    for digits in range(1, 18):
        t = float(np.asarray(float(f"{halfway:.{digits - 1}e}"), dtype=dtype))
        if lo <= t < hi:
            return t
    return halfway


def build(regimes: Regimes, nodes: list[ir.Node], dtype: str) -> ir.Node:
    """where(v <= t1, c1, where(v <= t2, c2, ... ck))."""
    v = ir.var(regimes.variable, dtype)
    out = nodes[regimes.choice[-1]]
    for t, c in zip(reversed(regimes.thresholds), reversed(regimes.choice[:-1])):
        out = ir.apply("where", ir.apply("le", v, ir.const(Fraction(repr(t)), dtype)), nodes[c], out)  # prints as chosen
    return out
