"""Nearest-smaller-value queries in bulk: the one primitive both bulk parsers stand on.

Parsing operator-precedence text or prefix tokens without a per-token loop comes down to
"for each position, the first later (or last earlier) position whose level is at most t":
an operator's right operand ends just before the next token that binds no tighter, a prefix
node's subtree ends where the open-operand count first drops. A sparse table of range minima
answers all queries at once with numpy work only, in O(n log span), where span bounds the
distance to any answer (a text's length, when every text ends in a sentinel of lowest level).
"""
from __future__ import annotations

import numpy as np


class MinTable:
    """Minima of levels over windows of 2**k positions, k up to log2(span)."""

    def __init__(self, levels: np.ndarray, span: int | None = None):
        n = len(levels)
        self.n = n
        self.k = max(1, int(n if span is None else min(span, n)).bit_length())
        low = np.iinfo(np.int64).min
        pad = np.full(n + (1 << (self.k + 1)), low, dtype=np.int64)
        pad[:n] = levels
        self.tables = [pad]
        for k in range(1, self.k + 1):
            prev = self.tables[-1]
            half = 1 << (k - 1)
            cur = np.empty_like(prev)
            np.minimum(prev[:-half], prev[half:], out=cur[:-half])
            cur[-half:] = low
            self.tables.append(cur)

    def next_at_most(self, pos: np.ndarray, threshold: np.ndarray) -> np.ndarray:
        """For each i: the smallest j > pos[i] with level[j] <= threshold[i] (n if none within span)."""
        j = np.asarray(pos, dtype=np.int64) + 1
        t = np.asarray(threshold, dtype=np.int64)
        for k in range(self.k, -1, -1):
            table = self.tables[k]
            skip = table[np.minimum(j, len(table) - 1)] > t
            j = np.where(skip, j + (1 << k), j)
        return np.minimum(j, self.n)

    def prev_at_most(self, pos: np.ndarray, threshold: np.ndarray) -> np.ndarray:
        """For each i: the largest j < pos[i] with level[j] <= threshold[i] (-1 if none within span)."""
        j = np.asarray(pos, dtype=np.int64)
        t = np.asarray(threshold, dtype=np.int64)
        for k in range(self.k, -1, -1):
            step = 1 << k
            left = j - step
            skip = (left >= 0) & (self.tables[k][np.maximum(left, 0)] > t)
            j = np.where(skip, left, j)
        return j - 1


def next_at_most(levels: np.ndarray, pos: np.ndarray, threshold: np.ndarray) -> np.ndarray:
    return MinTable(levels).next_at_most(pos, threshold)


def prev_at_most(levels: np.ndarray, pos: np.ndarray, threshold: np.ndarray) -> np.ndarray:
    return MinTable(levels).prev_at_most(pos, threshold)
