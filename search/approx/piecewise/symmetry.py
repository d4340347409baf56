"""Even and odd functions on an interval around 0: pieces for |x| only.

Where f(-x) = f(x) (the Gaussian) the program computes u = abs(x) and evaluates the pieces of
[0, max(-a, b)]; where f(-x) = -f(x) (tanh, erf, atan) it also flips the result's sign bit by
x's (an integer xor on the bits: exact, and -0.0 gives -f(0)). Half the interval needs about
half the pieces, so each coefficient table is half as long: 32 float32 entries are one register
permute, 64 are two and a blend.

Parity is detected numerically, on float64 values of the reference at mirrored points; a
function that is only nearly even could pass that test, but a float32 result is proven over
every input of the original interval (both signs) against the reference itself, so a wrong fold
shows as a failed proof, never as a wrong answer. A float64 result's check is sampled on both
signs (fit64.proof_inputs mirrors every piece's ends), so there it is as strong as any float64
check.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from exprc import ir
from exprc.ulp import ulp_spacing

from .knots import Knots
from .layout import INT_OF, width
from .program import build

PARITY_POINTS = 4096
PARITY_TOLERANCE = 4.0      # float64 ULPs between f(-x) and +-f(x)


@dataclass(frozen=True)
class Fold:
    """How the program's input reaches the pieces: parity None (as is), "even" or "odd"."""
    parity: str | None = None

    def interval(self, interval: tuple[float, float]) -> tuple[float, float]:
        """The interval the pieces cover."""
        a, b = interval
        return (0.0, max(-a, b)) if self.parity else (a, b)

    def point(self, x: float) -> float:
        """Where the pieces see input x."""
        return abs(x) if self.parity else x

    def build(self, knots: Knots) -> ir.Node:
        """The whole program of the variable x (of the layout's dtype)."""
        dtype = knots.layout.dtype
        x = ir.var("x", dtype)
        if self.parity is None:
            return build(knots, x)
        g = build(knots, ir.apply("abs", x))
        if self.parity == "even":
            return g
        sign = ir.apply("iand", ir.apply("asint", x), ir.const(-(1 << (width(dtype) - 1)), INT_OF[dtype]))  # sign bit
        return ir.apply("asfloat", ir.apply("ixor", ir.apply("asint", g), sign))

    def describe(self, interval: tuple[float, float]) -> str | None:
        if self.parity is None:
            return None
        lo, hi = self.interval(interval)
        how = "f(|x|)" if self.parity == "even" else "sign(x) f(|x|)"
        return f"{self.parity} function: pieces fitted on [{lo:g}, {hi:g}], evaluated as {how}"


def detect(reference, interval: tuple[float, float], seed: int = 0) -> Fold:
    """The fold an interval around 0 allows: even or odd if the float64 reference (a kernel of
    float64 x) agrees with itself mirrored to PARITY_TOLERANCE ULPs on points of the overlap
    [0, min(-a, b)], spread by value and by magnitude."""
    a, b = interval
    if not (a < 0 < b):
        return Fold()
    m = min(-a, b)
    rng = np.random.default_rng(seed)
    n = PARITY_POINTS // 2
    u = np.concatenate([rng.uniform(0.0, m, n), m * 2.0 ** -rng.uniform(0, 40, n), [m]])
    with np.errstate(all="ignore"):
        fu = np.asarray(reference(u), dtype=np.float64)
        fm = np.asarray(reference(-u), dtype=np.float64)
    if not (np.all(np.isfinite(fu)) and np.all(np.isfinite(fm))):
        return Fold()
    tol = PARITY_TOLERANCE * ulp_spacing(fu, "float64")
    if np.all(np.abs(fu - fm) <= tol):
        return Fold("even")
    if np.all(np.abs(fu + fm) <= tol):
        return Fold("odd")
    return Fold()
