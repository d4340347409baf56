"""One piece: its inputs, its polynomial, and the float32 error of the exact op sequence.

The piece's program (evaluate, and program.py for the kernel) is

    t = x - x0                     exact by Sterbenz for x within a factor 2 of the knot x0
    w = fma(...fma(c_d, t, c_{d-1})..., t, c0)
    w = fma(t, B, w)               only in a piece through a zero of the function at x = 0
    result = w + H                 times 2**-scale where f is fitted as 2**scale f (see evaluate)

Each piece takes one of three forms (FORMS; all share the op sequence, unused constants are 0):

* head: H is f(x0) rounded to float32 and c0 the rest (a double-float constant term). With H
  alone in Horner's last fma, its rounding error (up to half an ULP near the knot) and the final
  rounding add up to a whole ULP with nothing left for the polynomial, so a 1-ULP target would
  be met only by luck; with H added last, the result is rounded once at its own magnitude and
  the smaller rounding of w costs a fraction of an ULP. Best where |f| changes little.
* plain: H = 0, c0 the constant term: one rounding at the result's magnitude, best where |f|
  changes by a factor across the piece (then w is as large as the result).
* zero: next to or through a zero of f at x = 0 (below).

The coefficients are fitted for the error that is judged, in ULPs of the correctly rounded
result:

1. weighted minimax in float64 by Lawson's iteration (iteratively reweighted least squares) on
   the piece's inputs, in the scaled variable t/h for conditioning, at the lowest degree (up to
   the requested one) whose exact error is a small part of an ULP;
2. rounded to float32 one at a time from the constant term upward, the higher ones refitted
   after each rounding;
3. nudged by a few float32 ULPs each while the emulated float32 error of the whole op sequence
   (fma emulated by one float64 operation rounded to float32) goes down.

A zero-form piece takes x0 = 0 and H = c0 = 0, so relative accuracy holds down to subnormal
inputs; its leading coefficient is split in two (B + c1),
because round(round(c1) * x) alone errs by up to 1.4 ULP for tiny x (erf: 2/sqrt(pi) is 0.45
float32 ULP from its rounding).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from exprc.ulp import ulp_spacing

from .layout import float_of, key_of

EXHAUSTIVE_PIECE = 1 << 14      # a piece with at most this many inputs is tested on all of them
SAMPLE = 1 << 14                # otherwise on this many, stratified by value and by bits
FIT_POINTS = 768                # Lawson's iteration runs on at most this many of them
LAWSON_ITERATIONS = 24
HOT_SPOTS = 3                   # a sampled piece is also tested on degree + this many runs of
HOT_WIDTH = 2048                # this many consecutive inputs (hot_spots)
END_RUN = 2048                  # and on this many consecutive inputs at each end
SUFFICIENT_ULP = 0.05           # a lower degree whose exact error is below this is used instead


@dataclass
class Piece:
    cells: tuple[int, int]          # [first, last + 1) of the layout's cells
    keys: tuple[int, int]           # monotone keys of its first and last float32 input
    x0: float                       # the knot t is measured from (float32)
    coeffs: tuple[float, ...]       # float32 c0..c_d, the lead B and the head H (fit.evaluate)
    max_ulp: float                  # on the tested inputs (all of them when exhaustive)
    worst: float | None
    tested: int
    exhaustive: bool
    form: str = "head"              # FORMS
    scale: int = 0                  # the coefficients are those of 2**scale f (evaluate)
    dtype: str = "float32"          # of the inputs and coefficients (float64: fit64.py)

    @property
    def empty(self) -> bool:
        return self.keys[1] < self.keys[0]

    @property
    def interval(self) -> tuple[float, float]:
        lo, hi = float_of(np.int64(self.keys), self.dtype)
        return float(lo), float(hi)


def inputs(k0: int, k1: int, rng: np.random.Generator, extra=()) -> tuple[np.ndarray, bool]:
    """The float32 inputs a piece is tested on, and whether that is all of them."""
    n = k1 - k0 + 1
    if n <= EXHAUSTIVE_PIECE:
        return float_of(np.arange(k0, k1 + 1, dtype=np.int64)), True
    lo, hi = (float(v) for v in float_of(np.int64([k0, k1])))
    # consecutive inputs at both ends: the polynomial's error peaks there (equioscillation) and
    # so does Horner's rounding error far from the knot, where |t| is largest
    ends = np.concatenate([np.arange(k0, k0 + END_RUN), np.arange(k1 - END_RUN + 1, k1 + 1)])
    by_keys = rng.integers(k0, k1 + 1, SAMPLE // 4)
    by_value = np.float32(rng.uniform(lo, hi, SAMPLE - SAMPLE // 4 - ends.size))
    xs = np.concatenate([float_of(np.concatenate([ends, by_keys])), by_value,
                         np.asarray(extra, dtype=np.float32)])
    xs = xs[(xs >= lo) & (xs <= hi)]
    return np.unique(xs), False


def fma32(a: np.ndarray, b: np.ndarray, c) -> np.ndarray:
    """float32 fma, emulated: a*b is exact in float64, the sum rounds once there and once more to
    float32 (differs from a true fma only when the float64 sum lands on a float32 tie, about
    2**-29 of cases; the proof runs the real kernel)."""
    return (a.astype(np.float64) * b.astype(np.float64) + np.float64(c)).astype(np.float32)


def evaluate(coeffs, x0: float, x: np.ndarray, scale: int = 0) -> np.ndarray:
    """The piece's program on float32 inputs, op for op as the kernel runs it; coeffs are
    c0..c_d, B, H (see the module docstring). scale: the coefficients are those of 2**scale f
    and the result is scaled back by one multiply at the end, so that results below float32's
    normal range are rounded once (unscaled, the constant term and w would each be rounded to
    the subnormal grid first: up to 1.2 ULP measured next to erf's zero at 0)."""
    t = (x - np.float32(x0)).astype(np.float32)
    acc = np.full(x.shape, np.float32(coeffs[-3]), dtype=np.float32)
    for c in reversed(coeffs[:-3]):
        acc = fma32(acc, t, np.float32(c))
    if coeffs[-2] != 0:
        acc = fma32(t, np.full(t.shape, np.float32(coeffs[-2])), acc)
    if coeffs[-1] != 0:
        acc = acc + np.float32(coeffs[-1])
    return acc * np.float32(2.0 ** -scale) if scale else acc


def exact_value(coeffs, x0: float, x: np.ndarray, scale: int = 0) -> np.ndarray:
    """The piece's polynomial in float64 (no float32 rounding): where its error peaks, the
    float32 rounding decides the worst case."""
    t = (x - np.float32(x0)).astype(np.float32).astype(np.float64)
    acc = np.zeros_like(t)
    for c in reversed(coeffs[:-2]):
        acc = acc * t + float(c)
    return (acc + float(coeffs[-2]) * t + float(coeffs[-1])) * 2.0 ** -scale


def hot_spots(coeffs, x0: float, x: np.ndarray, ref: np.ndarray, ulp: np.ndarray, k0: int, k1: int,
              scale: int = 0, width: int = HOT_WIDTH) -> np.ndarray:
    """Consecutive float32 inputs around the largest errors of the exact polynomial: a sample
    of a large piece misses the input where the rounding error adds most to them; every
    consecutive input there does not."""
    e = np.abs(exact_value(coeffs, x0, x, scale) - ref) / ulp
    keys = key_of(x)
    out = []
    spots = len(coeffs) - 3 + HOT_SPOTS        # degree + 3: more than the d + 2 equioscillation extrema
    for _ in range(spots):
        j = int(np.argmax(e))
        if not np.isfinite(e[j]) or e[j] < 0:
            break
        centre = int(keys[j])
        out.append(np.arange(max(k0, centre - width // 2), min(k1, centre + width // 2) + 1))
        far = np.abs(keys - centre) > (k1 - k0) // (4 * spots)      # the next spot elsewhere
        e = np.where(far, e, -1.0)
    return float_of(np.concatenate(out)) if out else np.zeros(0, np.float32)


def ulp_error(y: np.ndarray, ref: np.ndarray, ulp: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", over="ignore"):
        e = np.abs(y.astype(np.float64) - ref) / ulp
    return np.where(np.isfinite(e), e, np.inf)


def _lawson(V: np.ndarray, y: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """argmin_a max_i weight_i |V_i a - y_i| by Lawson's iteration (from least squares)."""
    w = np.full(y.size, 1.0 / y.size)
    best, best_err = None, math.inf
    for _ in range(LAWSON_ITERATIONS):
        s = np.sqrt(w) * weight
        a = np.linalg.lstsq(V * s[:, None], y * s, rcond=None)[0]
        e = np.abs(V @ a - y) * weight
        m = float(e.max()) if e.size else 0.0
        if m < best_err:
            best, best_err = a, m
        if m == 0.0:
            break
        w = w * e
        total = w.sum()
        if not total > 0:
            break
        w /= total
    return best


def _fit_points(n: int) -> np.ndarray:
    if n <= FIT_POINTS:
        return np.arange(n)
    return np.unique(np.linspace(0, n - 1, FIT_POINTS).round().astype(np.int64))


FORMS = ("head", "plain", "zero")


def fit(x: np.ndarray, ref: np.ndarray, x0: float, degree: int, form: str, scale: int = 0) -> np.ndarray:
    """float32 c0..c_degree, B, H of the piece in one of three forms: "head" (H + c0 the
    constant term, B = 0), "plain" (c0 the constant term, B = H = 0: one rounding at the
    result's magnitude, best where |f| changes a lot across the piece) or "zero" (x0 = 0,
    c0 = H = 0, B + c1 the linear term: through or next to a zero of f at 0)."""
    zero = form == "zero"
    t = (x - np.float32(x0)).astype(np.float32).astype(np.float64)
    order = np.argsort(t)
    t, ref = t[order], ref[order]
    ulp = ulp_spacing(ref)
    pick = _fit_points(t.size)
    tp, yp, wp = t[pick], ref[pick] * 2.0 ** scale, 1.0 / (ulp[pick] * 2.0 ** scale)
    h = float(np.max(np.abs(tp))) or 1.0
    s = tp / h
    coeffs = np.zeros(degree + 3)
    fixed = np.zeros_like(yp)         # the sum of the rounded terms so far
    first = 1 if zero else 0

    def enough(top: int) -> bool:
        """Whether degree top suffices: its exact error is a small part of an ULP and its
        coefficients are float32 numbers (terms the function does not need are noise that
        sequential rounding turns into error, and a tiny piece cannot hold them at all)."""
        ks = np.arange(first, top + 1)
        a = _lawson(s[:, None] ** ks[None, :], yp, wp)
        if a is None:
            return False
        with np.errstate(all="ignore"):
            finite = bool(np.all(np.isfinite(np.float32(a / h ** ks))))
        return finite and float(np.max(np.abs(s[:, None] ** ks[None, :] @ a - yp) * wp)) <= SUFFICIENT_ULP
    top = first
    while top < degree and not enough(top):
        top += 1

    def leading(k: int) -> float:
        """The degree-k coefficient of the best fit to what the rounded terms leave."""
        ks = np.arange(k, top + 1)
        a = _lawson(s[:, None] ** ks[None, :], yp - fixed, wp)
        with np.errstate(all="ignore"):
            ck = float(a[0] / h ** k) if a is not None else 0.0
        return ck if math.isfinite(ck) and abs(ck) < 3.4e38 else 0.0
    if zero:
        if top >= 1:
            coeffs[-2] = np.float32(leading(1))              # B, the head of c1
            fixed = fixed + coeffs[-2] * tp
    elif form == "plain":
        coeffs[0] = np.float32(leading(0))
        fixed = fixed + coeffs[0]
    else:
        c0 = leading(0)
        coeffs[-1] = np.float32(c0)                           # H
        coeffs[0] = np.float32(c0 - coeffs[-1])               # c0: the rest of the constant term
        fixed = fixed + (coeffs[-1] + coeffs[0])
    for k in range(1, top + 1):
        coeffs[k] = np.float32(leading(k))
        fixed = fixed + coeffs[k] * tp ** k
    return coeffs.astype(np.float32)


def _free(size: int, form: str) -> list[int]:
    """The coefficients a form may change: the zero form keeps c0 = H = 0, plain B = H = 0,
    head B = 0."""
    poly = list(range(size - 2))
    return {"zero": poly[1:] + [size - 2], "plain": poly, "head": poly + [size - 1]}[form]


def refine(coeffs: np.ndarray, error, target: float, form: str, passes: int = 2) -> tuple[np.ndarray, np.ndarray]:
    """Nudge each coefficient by 1 or 2 ULPs of its dtype while the max of error(coeffs) (the
    error in ULPs on each tested input) goes down."""
    coeffs = coeffs.copy()
    up, down = coeffs.dtype.type(np.inf), coeffs.dtype.type(-np.inf)
    err = error(coeffs)
    for _ in range(passes):
        improved = False
        for k in _free(coeffs.size, form):
            if err.max() <= target * 0.75:
                return coeffs, err
            for steps in (1, -1, 2, -2):
                trial = coeffs.copy()
                v = trial[k]
                for _ in range(abs(steps)):
                    v = np.nextafter(v, up if steps > 0 else down)
                trial[k] = v
                e = error(trial)
                if e.max() < err.max():
                    coeffs, err, improved = trial, e, True
                    break
        if not improved:
            break
    return coeffs, err
