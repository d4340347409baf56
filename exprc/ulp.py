"""Errors in ULPs, exactly as ../shared/MEASURING.md defines them.

ulp(r) for a real r is the spacing of the target format in the binade of r:
2**(floor(log2|r|) - (p-1)) for normal r, and 2**(emin - (p-1)) below the normal range.
The error of a computed y is |y - r| / ulp(r). Non-finite mismatches (NaN or inf where the
reference is finite, or the other way round) are failures, counted apart from ULP numbers.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .dtypes import FORMATS


@dataclass
class UlpReport:
    max_ulp: float
    worst_input: object
    worst_index: int
    count: int
    not_correctly_rounded: int   # results with error above 0.5 ULP
    nonfinite_failures: int

    def as_dict(self) -> dict:
        w = self.worst_input
        if isinstance(w, tuple):
            w = [float(v) for v in w]
        elif w is not None:
            w = float(w)
        return {"max_ulp": float(self.max_ulp), "worst_input": w, "count": int(self.count),
                "not_correctly_rounded": int(self.not_correctly_rounded),
                "nonfinite_failures": int(self.nonfinite_failures)}


def ulp_spacing(r: np.ndarray, dtype: str = "float32") -> np.ndarray:
    """ulp(r) in dtype for float64 references r (finite values; the subnormal spacing below
    the normal range)."""
    fmt = FORMATS[dtype]
    _, e = np.frexp(r)
    return np.ldexp(1.0, np.maximum(e - 1, fmt.emin) - (fmt.precision - 1))


def mp_ulp(r, dtype: str):
    """ulp(r) in dtype for a finite, nonzero mpmath reference r."""
    import mpmath
    fmt = FORMATS[dtype]
    e = int(mpmath.floor(mpmath.log(abs(r), 2)))
    # guard against log rounding at exact powers of two
    if mpmath.ldexp(1, e) > abs(r):
        e -= 1
    elif mpmath.ldexp(1, e + 1) <= abs(r):
        e += 1
    return mpmath.ldexp(1, max(e, fmt.emin) - (fmt.precision - 1))


def ulp_errors_vs_float64(y: np.ndarray, ref: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Errors of float32 results y against float64 references (enough for float32 work, per
    MEASURING.md, except within ~2**-20 ULP of a rounding boundary). Returns (errors, failures):
    errors is 0 where both agree on a non-finite value; failures marks non-finite mismatches."""
    y64 = np.asarray(y, dtype=np.float64)
    r = np.asarray(ref, dtype=np.float64)
    with np.errstate(all="ignore"):
        rounded = r.astype(np.float32).astype(np.float64)      # where the reference lands in float32
        both_nan = np.isnan(y64) & np.isnan(r)
        same_inf = np.isinf(y64) & np.isinf(rounded) & (np.sign(y64) == np.sign(rounded))
        finite = np.isfinite(y64) & np.isfinite(r)
        err = np.where(finite, np.abs(y64 - r) / ulp_spacing(r), 0.0)
    ok = both_nan | same_inf | finite
    return err, ~ok


def ulp_errors_vs_mpmath(y: np.ndarray, refs: list, dtype: str) -> tuple[np.ndarray, np.ndarray]:
    """Errors of results y against mpmath references (mpf values, computed well beyond dtype)."""
    import mpmath
    fmt = FORMATS[dtype]
    errs = np.zeros(len(refs))
    fail = np.zeros(len(refs), dtype=bool)
    for k, (yk, r) in enumerate(zip(np.asarray(y, dtype=np.float64), refs)):
        r_nan = r is None or (isinstance(r, mpmath.mpf) and mpmath.isnan(r))
        if r_nan:
            fail[k] = not np.isnan(yk)
            continue
        if mpmath.isinf(r):
            fail[k] = not (np.isinf(yk) and (yk > 0) == (r > 0))
            continue
        if not np.isfinite(yk):
            # inf is right where the reference rounds to inf in dtype
            big = mpmath.mpf(2) ** (fmt.emax + 1) * (1 - mpmath.mpf(2) ** -(fmt.precision + 1))
            fail[k] = not (np.isinf(yk) and abs(r) >= big and (yk > 0) == (r > 0))
            continue
        if r == 0:
            errs[k] = 0.0 if yk == 0 else float(abs(yk) / mpmath.ldexp(1, fmt.emin - (fmt.precision - 1)))
            continue
        errs[k] = float(abs(mpmath.mpf(float(yk)) - r) / mp_ulp(r, dtype))
    return errs, fail


def summarize(errors: np.ndarray, failures: np.ndarray, inputs) -> UlpReport:
    errors = np.where(failures, 0.0, errors)
    idx = int(np.argmax(errors)) if errors.size else 0
    if isinstance(inputs, (tuple, list)):
        worst = tuple(np.asarray(a)[idx] for a in inputs) if errors.size else None
    else:
        worst = np.asarray(inputs)[idx] if errors.size else None
    return UlpReport(float(errors.max()) if errors.size else 0.0, worst, idx, int(errors.size),
                     int(np.count_nonzero(errors > 0.5)), int(np.count_nonzero(failures)))


def report_vs_mpmath(fn, x: np.ndarray, y: np.ndarray, dtype: str, prec: int = 300) -> UlpReport:
    """The ULP report of results y = f(x) against fn (mpf -> mpf, None off the domain)
    evaluated by mpmath at prec bits: for samples where no exhaustive check exists (float64)."""
    import mpmath
    with mpmath.workprec(prec):
        refs = [fn(mpmath.mpf(v)) for v in np.asarray(x, dtype=np.float64).tolist()]
    err, fail = ulp_errors_vs_mpmath(y, refs, dtype)
    return summarize(err, fail, x)

