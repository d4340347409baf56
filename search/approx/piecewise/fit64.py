"""float64 pieces: fitted in mpmath, judged by the program's own op sequence against mpmath.

A float32 piece is judged against a float64 reference by a numpy emulation of its ops (fit.py);
neither works a precision up: float64 has no wider hardware type to emulate fma or to hold the
reference. Here

* the reference is mpmath good to REFERENCE_BITS bits (exprc.accurate.sampling.mp_settled:
  the expression's IR at rising precision until it settles, so cancellation such as
  (exp(x) - 1)/x at x = 1e-60 is resolved), kept as a double-double (hi, lo) per input and
  cached, so refits reuse it;
* the fit is least squares on 3(d + 1) Chebyshev points of the piece, in mpmath, weighted by
  1/|f| (relative error, which is what ULPs measure), at the lowest degree whose error there is
  a small part of an ULP; the coefficients are rounded to float64 one at a time, the higher ones
  refitted after each (the same forms as fit.py: head, plain, zero);
* the error is that of the compiled float64 kernel of the piece's op sequence (one kernel per
  degree, the coefficients as inputs), on a sample of the piece: runs of consecutive inputs at
  both ends, points by value and by bits; then coefficients are nudged by float64 ULPs as in
  fit.refine.

No float64 piece is tested on all its inputs, so every float64 result is labelled sampled: the
driver's check is a larger sample of the whole interval against mpmath (sampled_proof).
"""
from __future__ import annotations

import math
from functools import lru_cache

import numpy as np

from exprc import ir
from exprc.ulp import ulp_spacing

from . import fit as fitting
from .fit import Piece
from .knots import PieceFitter
from .layout import float_of, key_of

F64 = "float64"
PRECISION = 160              # mpmath bits of the fit
REFERENCE_BITS = 80          # correct bits of the reference (a float64 ULP is 2**-52 of the value)
TEST_BY_VALUE = 320          # a piece is tested on this many inputs uniform in value,
TEST_BY_KEYS = 96            # this many uniform in bits,
END_RUN64 = 32               # and this many consecutive inputs at each end
FIT_FACTOR = 3               # least-squares points per coefficient
SAMPLED_MARGIN64 = 0.1       # ULPs a float64 piece must leave below the target on its sample
SCALE64 = 512                # 2**SCALE64 f is fitted where results reach the subnormals
PROOF_SAMPLE = 1 << 16       # inputs of the driver's sampled check of a whole float64 program


class Reference:
    """f at float64 inputs from mpmath: double-double values (hi, lo), cached per input."""

    def __init__(self, node: ir.Node):
        self.node = node
        self.cache: dict[float, tuple[float, float]] = {}

    def mp(self, v: float):
        """f(v) as an mpf, or None where it is undefined."""
        from exprc.accurate.sampling import mp_settled
        return mp_settled(self.node, {"x": float(v)}, REFERENCE_BITS)

    def __call__(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        import mpmath
        hi, lo = np.empty(x.size), np.empty(x.size)
        for i, v in enumerate(np.asarray(x, dtype=np.float64).tolist()):
            got = self.cache.get(v)
            if got is None:
                r = self.mp(v)
                if r is None or not mpmath.isfinite(r):
                    got = (math.nan, math.nan)
                else:
                    with mpmath.workprec(4 * PRECISION):
                        h = float(r)
                        got = (h, float(r - h)) if math.isfinite(h) else (h, 0.0)
                self.cache[v] = got
            hi[i], lo[i] = got
        return hi, lo


def ulp_error64(y: np.ndarray, hi: np.ndarray, lo: np.ndarray) -> np.ndarray:
    """|y - (hi + lo)| in ULPs of hi (y - hi is exact where the two are close: Sterbenz)."""
    with np.errstate(all="ignore"):
        e = np.abs((y - hi) - lo) / ulp_spacing(hi, F64)
    return np.where(np.isfinite(e), e, np.inf)


@lru_cache(maxsize=None)
def kernel(degree: int):
    """The float64 op sequence of a piece (program.build's, with every constant an input):
    t = x - x0; Horner in fma; fma(t, B, w); w + H; times S."""
    import exprc
    v = {n: ir.var(n, F64) for n in ["x", "x0", "B", "H", "S"] + [f"c{i}" for i in range(degree + 1)]}
    t = ir.apply("sub", v["x"], v["x0"])
    acc = v[f"c{degree}"]
    for i in range(degree - 1, -1, -1):
        acc = ir.apply("fma", acc, t, v[f"c{i}"])
    acc = ir.apply("add", ir.apply("fma", t, v["B"], acc), v["H"])
    return exprc.compile(ir.apply("mul", acc, v["S"]), dtype=F64, variables=list(v))


def evaluate64(coeffs, x0: float, x: np.ndarray, scale: int = 0) -> np.ndarray:
    """The piece's float64 program on x, by the compiled kernel (coeffs: c0..c_d, B, H; the
    scalars broadcast)."""
    d = len(coeffs) - 3
    args = {"x": x, "x0": x0, "B": coeffs[-2], "H": coeffs[-1], "S": 2.0 ** -scale}
    args.update({f"c{i}": coeffs[i] for i in range(d + 1)})
    return np.asarray(kernel(d)(**args), dtype=np.float64)


def test_inputs(k0: int, k1: int, rng: np.random.Generator, extra=()) -> np.ndarray:
    """A piece's float64 test inputs, sorted: runs at both ends, by value, by bits, and extra."""
    lo, hi = (float(v) for v in float_of(np.int64([k0, k1]), F64))
    n = k1 - k0 + 1
    if n <= 2 * END_RUN64 + TEST_BY_VALUE + TEST_BY_KEYS:
        keys = np.arange(k0, k1 + 1, dtype=np.int64)
    else:
        keys = np.concatenate([np.arange(k0, k0 + END_RUN64), np.arange(k1 - END_RUN64 + 1, k1 + 1),
                               rng.integers(k0, k1 + 1, TEST_BY_KEYS)])
    xs = np.concatenate([float_of(keys, F64), rng.uniform(lo, hi, TEST_BY_VALUE if n > keys.size else 0),
                         np.asarray(extra, dtype=np.float64)])
    return np.unique(xs[(xs >= lo) & (xs <= hi)])


def _solve(mp, V, y, w):
    """Weighted least squares in mpmath: argmin |diag(w) (V a - y)|."""
    A = mp.matrix([[V[i][j] * w[i] for j in range(len(V[0]))] for i in range(len(V))])
    b = mp.matrix([y[i] * w[i] for i in range(len(y))])
    return mp.lu_solve(A.T * A, A.T * b)


def fit64(ref: Reference, lo: float, hi: float, x0: float, degree: int, form: str, scale: int) -> tuple[float, ...]:
    """float64 c0..c_d, B, H of the piece [lo, hi] measured from x0, in one of fit.FORMS."""
    import mpmath as mp
    zero = form == "zero"
    first = 1 if zero else 0
    with mp.workprec(PRECISION):
        n = FIT_FACTOR * (degree + 1)
        xs = sorted({float(np.float64(0.5 * (lo + hi) + 0.5 * (hi - lo) * math.cos(math.pi * (i + 0.5) / n)))
                     for i in range(n)})
        ts = [mp.mpf(float(np.float64(x) - np.float64(x0))) for x in xs]      # t as the kernel rounds it
        fs = [ref.mp(x) for x in xs]
        if any(f is None or not mp.isfinite(f) for f in fs):
            return (0.0,) * (degree + 3)        # undefined inside the piece: its test reports it
        fs = [f * mp.mpf(2) ** scale for f in fs]
        h = max(abs(t) for t in ts) or mp.mpf(1)
        ss = [t / h for t in ts]
        w = [1 / max(abs(f), mp.mpf(2) ** -1074 * mp.mpf(2) ** scale) for f in fs]
        unscaled = np.float64([float(f) for f in fs]) * 2.0 ** -scale
        ulps = [mp.mpf(float(u)) for u in ulp_spacing(unscaled, F64)]

        def lsq(ks, target):
            V = [[s ** k for k in ks] for s in ss]
            a = _solve(mp, V, target, w)
            return [a[i] / h ** k for i, k in enumerate(ks)]

        def err_ulps(coef, ks):
            return max(abs(sum(c * t ** k for c, k in zip(coef, ks)) - f) / (u * mp.mpf(2) ** scale)
                       for t, f, u in zip(ts, fs, ulps))
        top = first
        while top < degree:
            ks = list(range(first, top + 1))
            if err_ulps(lsq(ks, fs), ks) <= fitting.SUFFICIENT_ULP:
                break
            top += 1
        coeffs = [0.0] * (degree + 3)
        rest = list(fs)

        def take(k: int, value) -> None:
            nonlocal rest
            rest = [r - value * t ** k for r, t in zip(rest, ts)]
        for k in range(first, top + 1):
            ks = list(range(k, top + 1))
            a = lsq(ks, rest)[0]
            if k == first and zero:
                coeffs[-2] = float(a)                          # B, the head of c1
                take(1, mp.mpf(coeffs[-2]))
                a = lsq(ks, rest)[0]
                coeffs[1] = float(a)
            elif k == 0 and form == "head":
                coeffs[-1] = float(a)                          # H
                coeffs[0] = float(a - mp.mpf(coeffs[-1]))      # c0: the rest of the constant term
                take(0, mp.mpf(coeffs[-1]) + mp.mpf(coeffs[0]))
                continue
            else:
                coeffs[k] = float(a)
            take(k, mp.mpf(coeffs[k]))
    return tuple(c if math.isfinite(c) else 0.0 for c in coeffs)


class Float64Fitter(PieceFitter):
    """knots.PieceFitter for float64 pieces (see the module docstring): the same knot
    placement, its own fit, reference and precision test."""
    dtype = F64
    scale_cap = SCALE64
    scale_room = 1000

    def __init__(self, reference, node: ir.Node, interval: tuple[float, float], degree: int, target: float,
                 seed: int = 0):
        super().__init__(reference, interval, degree, target, seed)     # reference: the float64 kernel
        self.exact = Reference(node)

    def piece_of_keys(self, cells: tuple[int, int], k0: int, k1: int, extra=()) -> Piece:
        self.fits += 1
        blank = (0.0,) * (self.degree + 3)
        if k1 < k0:
            return Piece(cells, (k0, k1), 0.0, blank, 0.0, None, 0, True, scale=self.scale, dtype=F64)
        rng = np.random.default_rng([self.seed, k0 + (1 << 63), k1 + (1 << 63)])
        x = test_inputs(k0, k1, rng, extra)
        hi, lo = self.exact(x)
        if not np.all(np.isfinite(hi)):
            bad = x[~np.isfinite(hi)][0]
            return Piece(cells, (k0, k1), float(x[0]), blank, np.inf, float(bad), x.size, False,
                         scale=self.scale, dtype=F64)
        a, b = float(x[0]), float(x[-1])
        best = None
        for form in self.forms(x, hi):
            x0 = 0.0 if form == "zero" else (a if abs(hi[0]) <= abs(hi[-1]) else b)
            coeffs = np.float64(fit64(self.exact, a, b, x0, self.degree, form, self.scale))

            def error(c, x0=x0):
                return ulp_error64(evaluate64(c, x0, x, self.scale), hi, lo)
            coeffs, err = fitting.refine(coeffs, error, self.target, form)
            j = int(np.argmax(err))
            p = Piece(cells, (k0, k1), x0, tuple(float(c) for c in coeffs), float(err[j]), float(x[j]),
                      x.size, False, form, self.scale, dtype=F64)
            if best is None or p.max_ulp < best.max_ulp:
                best = p
            if self.ok(best):
                break
        return best

    def ok(self, piece: Piece) -> bool:
        return piece.max_ulp <= self.target - SAMPLED_MARGIN64


def proof_inputs(interval: tuple[float, float], pieces, seed: int = 0, n: int = PROOF_SAMPLE) -> np.ndarray:
    """The driver's sample of a float64 interval: by value, by bits, both ends of every piece and
    their neighbours, and the same mirrored (an even or odd function's pieces serve both signs)."""
    rng = np.random.default_rng(seed)
    a, b = interval
    ka, kb = (int(k) for k in key_of(np.float64([a, b]), F64))
    ends = np.concatenate([np.int64(p.keys) for p in pieces if not p.empty]) if pieces else np.zeros(0, np.int64)
    ends = np.concatenate([ends, -1 - ends])          # and mirrored (key_of(-x) = -1 - key_of(x)): folded programs
    near = np.concatenate([ends + d for d in (-1, 0, 1)] + [np.int64([ka, kb])])
    xs = np.concatenate([rng.uniform(a, b, n // 2), float_of(rng.integers(ka, kb + 1, n // 2), F64),
                         float_of(np.clip(near, ka, kb), F64)])
    return np.unique(xs[(xs >= a) & (xs <= b)])


def sampled_proof(node: ir.Node, reference: ir.Node, interval, pieces, seed: int = 0):
    """A float64 program's error against mpmath on proof_inputs, as a Verification marked not
    exhaustive."""
    import time
    import exprc
    from ..verify import Verification
    t0 = time.perf_counter()
    x = proof_inputs(interval, pieces, seed)
    y = np.asarray(exprc.compile(node, dtype=F64, variables=["x"])(x), dtype=np.float64)
    hi, lo = Reference(reference)(x)
    finite = np.isfinite(hi)
    err = np.where(finite, ulp_error64(y, hi, lo), 0.0)
    bad = finite & ~np.isfinite(y)
    j = int(np.argmax(err))
    return Verification(float(err[j]), float(x[j]), int(finite.sum()), int(np.count_nonzero(err > 0.5)),
                        int(bad.sum()), 0, False, time.perf_counter() - t0)
