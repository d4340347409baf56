"""Knot placement: adaptive splitting (AutoKnots) and the two uniform layouts.

AutoKnots (arXiv:2412.13423) refines a spline where an error test fails and leaves it alone
where it holds, so knots gather where the function is hard. Here the test is the one that
matters for a float32 kernel: a piece passes when the float32 error of its exact op sequence is
within the ULP target on every one of its inputs (all of them for small pieces; otherwise a
stratified sample of values and bit patterns plus runs of consecutive inputs where the exact
polynomial errs most, with SAMPLED_MARGIN to spare; the exhaustive proof of the whole program
settles the rest). Failing pieces are split in half in the layout's cell coordinate, so every
knot is a cell boundary and the piece index stays one table lookup; the grid itself is refined
until splitting on it succeeds, and the split pieces are then merged into the longest runs of
cells that pass (knots anywhere on the grid, not only at halving points).

Uniform layouts make every cell a piece: uniform in x (the fewest equal-width pieces that pass,
any count, found by doubling then bisection) and uniform in bits (the largest number of key bits
dropped that passes).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from exprc.ulp import ulp_spacing

from . import fit as fitting
from .fit import Piece
from .layout import Layout, float_of, key_of, width

MAX_CELLS = 1 << 14          # the most cells a layout may have (a float32 table of 64 KiB)
SAMPLED_MARGIN = 0.03        # ULPs a piece tested on a sample must leave (PieceFitter.ok)
SCALE = 64                   # 2**SCALE f is fitted where results reach the subnormals


class PieceFitter:
    """Fits float32 pieces of one function on one interval at one degree, to a ULP target
    (fit64.Float64Fitter: the same for float64)."""
    dtype = "float32"
    scale_cap = SCALE        # the largest scale s of 2**s f
    scale_room = 100         # and log2 of the largest scaled value allowed (float32's range: 128)

    def __init__(self, reference: Callable[[np.ndarray], np.ndarray], interval: tuple[float, float],
                 degree: int, target: float, seed: int = 0):
        self.reference = reference                       # float64 values of the function
        self.a, self.b = (float(np.asarray(v, dtype=self.dtype)) for v in interval)
        self.degree = degree
        self.target = target
        self.seed = seed
        self.fits = 0
        with np.errstate(all="ignore"):
            self.zero_at_0 = self.a <= 0 <= self.b and float(reference(np.float64([0.0]))[0]) == 0.0
            biggest = float(np.nanmax(np.abs(reference(np.linspace(self.a, self.b, 4097)))))
        # next to a zero at 0 the results reach the subnormals: fit 2**scale f (fit.evaluate),
        # as far as the scaled values stay well inside the dtype's range
        room = self.scale_room - math.ceil(math.log2(biggest)) if biggest > 0 and math.isfinite(biggest) else 0
        self.scale = max(0, min(self.scale_cap, room)) if self.zero_at_0 and degree >= 1 else 0

    def piece(self, layout: Layout, c0: int, c1: int, extra=()) -> Piece:
        k0, k1 = (int(k) for k in layout.first_keys(np.int64([c0, c1])))
        return self.piece_of_keys((c0, c1), k0, k1 - 1, extra)

    def piece_of_keys(self, cells: tuple[int, int], k0: int, k1: int, extra=()) -> Piece:
        self.fits += 1
        if k1 < k0:
            return Piece(cells, (k0, k1), 0.0, (0.0,) * (self.degree + 3), 0.0, None, 0, True, scale=self.scale)
        rng = np.random.default_rng([self.seed, k0 + (1 << 32), k1 + (1 << 32)])   # keys may be negative
        x, exhaustive = fitting.inputs(k0, k1, rng, extra)
        ref = self.values(x)
        ulp = ulp_spacing(ref)
        if not np.all(np.isfinite(ref)):
            bad = x[~np.isfinite(ref)][0]
            return Piece(cells, (k0, k1), float(x[0]), (0.0,) * (self.degree + 3), np.inf, float(bad), x.size,
                         exhaustive, scale=self.scale)
        best = None
        for form in self.forms(x, ref):
            # t is measured from the end where |f| is smaller (there the ULP is smallest, so c0's
            # rounding stays within half an ULP of every result), or from 0 in the zero form
            x0 = 0.0 if form == "zero" else float(x[0] if abs(ref[0]) <= abs(ref[-1]) else x[-1])
            coeffs = fitting.fit(x, ref, x0, self.degree, form, self.scale)
            xs, refs, ulps = x, ref, ulp
            if not exhaustive:
                hot = fitting.hot_spots(coeffs, x0, x, ref, ulp, k0, k1, self.scale)
                xs, refs = np.concatenate([x, hot]), np.concatenate([ref, self.values(hot)])
                ulps = ulp_spacing(refs)
            def error(c, x0=x0, xs=xs, refs=refs, ulps=ulps):
                return fitting.ulp_error(fitting.evaluate(c, x0, xs, self.scale), refs, ulps)
            coeffs, err = fitting.refine(coeffs, error, self.target, form)
            j = int(np.argmax(err))
            p = Piece(cells, (k0, k1), x0, tuple(float(c) for c in coeffs), float(err[j]), float(xs[j]),
                      xs.size, exhaustive, form, self.scale)
            if best is None or p.max_ulp < best.max_ulp:
                best = p
            if self.ok(best):
                break
        return best

    def values(self, x: np.ndarray) -> np.ndarray:
        """The float64 reference at float32 inputs."""
        with np.errstate(all="ignore"):
            return np.asarray(self.reference(x.astype(np.float64)), dtype=np.float64)

    def forms(self, x: np.ndarray, ref: np.ndarray) -> list[str]:
        """The piece forms (fit.FORMS) worth trying, most promising first: through a zero of f
        at 0 only "zero"; where |f| changes by less than 1.5x across the piece "head" (the
        polynomial's part w stays well below the result); else "zero" when f(0) = 0 and the
        piece is one-signed, or "plain"."""
        if self.zero_at_0 and self.degree >= 1 and x[0] <= 0 <= x[-1]:
            return ["zero"]
        small, large = sorted((abs(float(ref[0])), abs(float(ref[-1]))))
        steep = ["zero", "plain"] if self.zero_at_0 and self.degree >= 1 else ["plain"]
        return ["head"] + steep if large <= 1.5 * small else steep + ["head"]

    def ok(self, piece: Piece) -> bool:
        """The precision test: within the target on every input, or with SAMPLED_MARGIN to
        spare on a sample (the worst of 10**8 inputs is typically a few hundredths of an ULP
        above the worst of a sample of fit.SAMPLE plus its runs)."""
        return piece.max_ulp <= self.target - (0 if piece.exhaustive else SAMPLED_MARGIN)


@dataclass
class Knots:
    """A piecewise approximation: a layout, its pieces, and the cell -> piece map (None when
    every cell is its own piece)."""
    method: str                        # "adaptive x", "adaptive bits", "uniform x", "uniform bits"
    layout: Layout
    pieces: list[Piece]
    mapping: np.ndarray | None = None
    met: bool = True                   # every piece within the target on its tested inputs
    notes: list[str] = field(default_factory=list)
    extra: dict = field(default_factory=dict)     # cells -> inputs proofs found, tested from then on

    @property
    def count(self) -> int:
        return len(self.pieces)

    @property
    def max_ulp(self) -> float:
        return max(p.max_ulp for p in self.pieces)

    def piece_index(self, x: np.ndarray) -> np.ndarray:
        c = self.layout.cell(x)
        return c if self.mapping is None else self.mapping[c]


def _uniform(fitter: PieceFitter, layout: Layout, stop_on_failure: bool = True) -> tuple[list[Piece], bool]:
    starts = np.arange(layout.cells + 1, dtype=np.int64)
    keys = layout.first_keys(starts)
    pieces = []
    for c in range(layout.cells):
        p = fitter.piece_of_keys((c, c + 1), int(keys[c]), int(keys[c + 1]) - 1)
        pieces.append(p)
        if stop_on_failure and not fitter.ok(p):
            return pieces, False
    return pieces, all(fitter.ok(p) for p in pieces)


def uniform_x(fitter: PieceFitter, max_cells: int = MAX_CELLS, start: int = 1) -> Knots:
    """The fewest equal-width pieces in x (at least start) that pass: doubling, then bisection
    on the count."""
    layout_of = lambda n: Layout.uniform_x(fitter.a, fitter.b, n, fitter.dtype)   # noqa: E731
    n, passing = min(start, max_cells), None
    while True:
        pieces, ok = _uniform(fitter, layout_of(n))
        if ok:
            passing = (n, pieces)
            break
        if n >= max_cells:
            break
        n = min(2 * n, max_cells)
    if passing is None:
        pieces, ok = _uniform(fitter, layout_of(max_cells), stop_on_failure=False)
        return Knots("uniform x", layout_of(max_cells), pieces, met=ok,
                     notes=[] if ok else [f"{max_cells} equal pieces do not reach the target"])
    lo, hi = max(start, n // 2 + 1), n          # n passes, n // 2 does not (or n == start)
    while lo < hi:
        mid = (lo + hi) // 2
        pieces, ok = _uniform(fitter, layout_of(mid))
        if ok:
            hi, passing = mid, (mid, pieces)
        else:
            lo = mid + 1
    n, pieces = passing
    return Knots("uniform x", layout_of(n), pieces)


def _bits_shifts(fitter: PieceFitter, max_cells: int, max_shift: int | None = None):
    """Shifts from the coarsest (one or two cells, or max_shift) to the finest allowed."""
    finest = Layout.uniform_bits(fitter.a, fitter.b, 0, fitter.dtype)
    ka, kb = finest.origin_key, finest.key_range[1]
    shift = min(width(fitter.dtype) - 1, max(1, int(kb - ka).bit_length()))   # shift counts are taken mod the width
    if max_shift is not None:
        shift = min(shift, max_shift)
    while shift >= 0:
        layout = Layout.uniform_bits(fitter.a, fitter.b, shift, fitter.dtype)
        if layout.cells > max_cells:
            return
        yield layout
        shift -= 1


def uniform_bits(fitter: PieceFitter, max_cells: int = MAX_CELLS, max_shift: int | None = None) -> Knots:
    """Every cell of the bits coordinate a piece: the coarsest shift (at most max_shift) that
    passes."""
    last = None
    for layout in _bits_shifts(fitter, max_cells, max_shift):
        pieces, ok = _uniform(fitter, layout)
        if ok:
            return Knots("uniform bits", layout, pieces)
        last = layout
    if last is None:
        raise ValueError("no bits layout within the cell limit")
    pieces, _ = _uniform(fitter, last, stop_on_failure=False)
    return Knots("uniform bits", last, pieces, met=False, notes=[f"{last.cells} bit cells do not reach the target"])


def _split(fitter: PieceFitter, layout: Layout) -> tuple[list[Piece], bool]:
    """AutoKnots on one layout: split failing runs of cells in half until each passes or is
    one cell."""
    todo = [(0, layout.cells)]
    done: list[Piece] = []
    ok = True
    while todo:
        c0, c1 = todo.pop()
        p = fitter.piece(layout, c0, c1)
        if fitter.ok(p) or p.empty:
            done.append(p)
        elif c1 - c0 == 1:
            done.append(p)
            ok = False
        else:
            mid = (c0 + c1) // 2
            todo += [(mid, c1), (c0, mid)]
    done.sort(key=lambda p: p.cells[0])
    return done, ok


def _merge(fitter: PieceFitter, layout: Layout, pieces: list[Piece]) -> list[Piece]:
    """Knots not at halving points: from the left, each piece is the longest run of cells that
    passes (galloping from the split piece that starts there, then bisection on the length).
    Leftmost-longest is the fewest pieces when every sub-run of a passing run passes, which
    holds but for rounding luck; the split pieces are kept where merging does not help."""
    starts = {p.cells[0]: p for p in pieces}
    out, c = [], 0
    while c < layout.cells:
        base = starts.get(c)
        good = base if base is not None else fitter.piece(layout, c, c + 1)
        n, bad = good.cells[1] - c, None
        while c + n < layout.cells:                    # gallop
            trial = fitter.piece(layout, c, min(layout.cells, c + 2 * n))
            if not fitter.ok(trial):
                bad = trial.cells[1] - c
                break
            good, n = trial, trial.cells[1] - c
        while bad is not None and bad - n > 1:         # bisect between a passing and a failing length
            mid = (n + bad) // 2
            trial = fitter.piece(layout, c, c + mid)
            if fitter.ok(trial):
                good, n = trial, mid
            else:
                bad = mid
        out.append(good)
        c += n
    return out if len(out) <= len(pieces) else pieces


def _mapping(layout: Layout, pieces: list[Piece]) -> np.ndarray:
    m = np.zeros(layout.cells, dtype=np.int64)
    for i, p in enumerate(pieces):
        m[p.cells[0]:p.cells[1]] = i
    return m


def adaptive(fitter: PieceFitter, kind: str, max_cells: int = MAX_CELLS, min_cells: int = 1) -> Knots:
    """Adaptive knots on the finest grid needed: the cell grid is refined (x: 2, 4, 8, ... cells;
    bits: one key bit at a time) until splitting on it (AutoKnots) meets the target everywhere,
    then neighbouring pieces are merged into the longest runs that pass (_merge)."""
    if kind == "x":
        layouts = (Layout.uniform_x(fitter.a, fitter.b, 1 << level, fitter.dtype)
                   for level in range(max_cells.bit_length()))
    else:
        layouts = _bits_shifts(fitter, max_cells)
    best = None
    for layout in layouts:
        if layout.cells < min_cells and layout.cells * 2 <= max_cells:   # (the finest allowed one is kept)
            continue
        pieces, ok = _split(fitter, layout)
        best = (layout, pieces, ok)
        if ok:
            break
    if best is None:
        raise ValueError("no layout with enough cells")
    layout, pieces, ok = best
    split = len(pieces)
    if ok:
        pieces = _merge(fitter, layout, pieces)
    pieces = [p for p in pieces if not p.empty] or pieces[:1]
    notes = [f"splitting: {split} pieces, merging: {len(pieces)}"]
    if not ok:
        notes.append(f"{layout.cells} cells are not fine enough to reach the target")
    return Knots(f"adaptive {kind}", layout, pieces, _mapping(layout, pieces), met=ok, notes=notes)


METHODS: dict[str, Callable[[PieceFitter], Knots]] = {
    "adaptive x": lambda f: adaptive(f, "x"),
    "adaptive bits": lambda f: adaptive(f, "bits"),
    "uniform x": uniform_x,
    "uniform bits": uniform_bits,
}


def finer(fitter: PieceFitter, knots: Knots) -> Knots | None:
    """The next layout with more pieces (uniform) or cells (adaptive), for when a proof fails
    one whose piece can be neither refitted nor split; None when there is none."""
    if knots.method == "uniform x" and knots.count < MAX_CELLS:
        return uniform_x(fitter, start=min(MAX_CELLS, knots.count + 1 + knots.count // 20))
    if knots.method == "uniform bits" and knots.layout.shift > 0:
        try:
            return uniform_bits(fitter, max_shift=knots.layout.shift - 1)
        except ValueError:           # no finer layout within MAX_CELLS
            return None
    if knots.method.startswith("adaptive") and 2 * knots.layout.cells <= MAX_CELLS:
        try:
            k = adaptive(fitter, knots.layout.kind, min_cells=2 * knots.layout.cells)
        except ValueError:
            return None
        return k if k.layout.cells > knots.layout.cells else None
    return None


def repair(fitter: PieceFitter, knots: Knots, worst: float) -> bool:
    """After a proof found `worst` beyond the target: refit its piece with that input and its
    neighbours added to the ones it is tested on (kept for later refits); for adaptive knots,
    split the piece when that is not enough or the piece was refitted before. Returns whether
    anything changed."""
    x = np.asarray([worst], dtype=fitter.dtype)
    i = int(knots.piece_index(x)[0])
    p = knots.pieces[i]
    extra = knots.extra.setdefault(p.cells, [])
    first_time = not extra
    extra += [float(v) for v in float_of(key_of(x, fitter.dtype)[0] + np.arange(-2, 3), fitter.dtype)]
    if first_time or knots.mapping is None:
        q = fitter.piece_of_keys(p.cells, p.keys[0], p.keys[1], extra)
        if fitter.ok(q) and q.coeffs != p.coeffs:
            knots.pieces[i] = q
            return True
    if knots.mapping is None or p.cells[1] - p.cells[0] < 2:
        return False
    mid = (p.cells[0] + p.cells[1]) // 2
    halves = [fitter.piece(knots.layout, p.cells[0], mid, extra), fitter.piece(knots.layout, mid, p.cells[1], extra)]
    knots.pieces[i:i + 1] = [h for h in halves if not h.empty]
    knots.mapping = _mapping(knots.layout, knots.pieces)
    return True
