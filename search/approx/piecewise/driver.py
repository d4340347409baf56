"""`approximate(..., piecewise=True)`: replace an expression on an interval by the cheapest
piecewise polynomial program proven within a ULP budget.

Every knot method (knots.METHODS) builds its pieces; each result becomes one program in the
dtype (program.py). float32 results are proven by the exhaustive verifier over every float32
input of the interval; float64 results are checked against mpmath on a sample of
fit64.PROOF_SAMPLE inputs (every piece's ends among them) and labelled sampled. A failing
input's piece is refitted, or split for adaptive knots, and the check runs again. Each result is
timed against the original expression compiled by exprc in the same dtype. The chosen result
is the one with the fewest pieces among those within the target.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from exprc import ir
from exprc.errors import ExprcError

from ..verify import Verification, verify
from . import fit64, knots as knots_mod
from .knots import Knots, PieceFitter
from .symmetry import Fold, detect

PROOF_ROUNDS = 30
MAX_DEGREE = 8


@dataclass
class MethodResult:
    method: str
    knots: Knots
    program: ir.Node
    proof: Verification | None          # None when not proven (time limit)
    ns_per_element: float | None = None
    fits: int = 0
    seconds: float = 0.0
    target: float = 1.0

    @property
    def dtype(self) -> str:
        return self.knots.layout.dtype

    @property
    def met(self) -> bool:
        return self.proof is not None and self.proof.max_ulp <= self.target and self.proof.nonfinite_failures == 0

    def as_json(self) -> dict:
        from exprc.program import Program
        k = self.knots
        return {"method": self.method, "pieces": k.count, "cells": k.layout.cells,
                "table_lookup": "cell -> piece map" if k.mapping is not None else "cell = piece",
                "dtype": self.dtype, "ops": Program.build([self.program], self.dtype).op_count(),
                "max_ulp": None if self.proof is None else round(self.proof.max_ulp, 4),
                "worst_input": None if self.proof is None else self.proof.worst_input,
                "verified": None if self.proof is None else "exhaustive" if self.proof.exhaustive else "sampled",
                "sampled_max_ulp": round(k.max_ulp, 4), "met": self.met,
                "ns_per_element": self.ns_per_element, "fits": self.fits,
                "seconds": round(self.seconds, 2), "notes": k.notes}


@dataclass
class PiecewiseResult:
    expression: str
    interval: tuple[float, float]
    degree: int
    target: float
    methods: list[MethodResult]
    original_ns: float | None
    original_proof: Verification | None
    seconds: float
    notes: list[str] = field(default_factory=list)
    parity: str | None = None           # "even" or "odd": pieces for |x| only (symmetry.py)
    dtype: str = "float32"

    def best(self) -> MethodResult | None:
        """Fewest pieces among the proven results within the target (then the fastest)."""
        ok = [m for m in self.methods if m.met]
        return min(ok, key=lambda m: (m.knots.count, m.ns_per_element or math.inf)) if ok else None

    def method(self, name: str) -> MethodResult | None:
        return next((m for m in self.methods if m.method == name), None)

    def write(self, out_dir) -> Path:
        from .report import write_result
        return write_result(self, Path(out_dir))


def reference_of(expression: str) -> tuple[str, ir.Node]:
    """The expression as exprc text in x (a bare one-argument function name becomes f(x)) and
    its float64 node; anything but a function of x alone is refused."""
    from exprc import ops as registry
    from exprc.parser import parse
    text = expression.strip()
    op = registry.REGISTRY.get(text)
    if op is not None and op.arity == 1:
        text = f"{text}(x)"
    node = parse(text, dtype="float64")
    names = set(ir.leaf_names([node], ir.VAR)) | set(ir.leaf_names([node], ir.PARAM))
    if names - {"x"}:
        raise ExprcError(f"a piecewise approximation is of a function of x alone; {text!r} also uses "
                         f"{', '.join(sorted(names - {'x'}))}")
    if "x" not in names:
        raise ExprcError(f"{text!r} does not depend on x")
    return text, node


def time_kernels(kernels: dict, x: np.ndarray, repeats: int = 7) -> dict:
    """ns per element of each kernel on x (of its dtype), one thread, best of interleaved repeats."""
    out = np.empty_like(x)
    best = {name: math.inf for name in kernels}
    for k in kernels.values():
        k(x, out=out, threads=1)
    for _ in range(repeats):
        for name, k in kernels.items():
            t0 = time.perf_counter()
            k(x, out=out, threads=1)
            best[name] = min(best[name], time.perf_counter() - t0)
    return {name: round(1e9 * s / x.size, 3) for name, s in best.items()}


def timing_inputs(interval: tuple[float, float], n: int = 1 << 20, dtype: str = "float32") -> np.ndarray:
    return np.random.default_rng(0).uniform(interval[0], interval[1], n).astype(dtype)


def check(node: ir.Node, dtype: str, pieces, reference: ir.Node, interval, deadline: float | None,
          seed: int = 0) -> Verification | None:
    """float32: the exhaustive proof over every input of interval; float64: the sampled check
    (its sample includes the ends of pieces)."""
    if dtype == "float64":
        return fit64.sampled_proof(node, reference, interval, pieces, seed)
    return verify(node, reference, interval=interval, deadline=deadline)


def _prove(fitter: PieceFitter, k: Knots, fold: Fold, reference: ir.Node, interval, deadline: float | None,
           log: Callable[[str], None]) -> tuple[Knots, ir.Node, Verification | None]:
    """Prove k over every input of interval; where the proof finds an input beyond the target,
    refit (or split) its piece, or move to the next finer uniform layout, and prove again."""
    node = fold.build(k)
    proof = None
    for _ in range(PROOF_ROUNDS):
        proof = check(node, k.layout.dtype, k.pieces, reference, interval, deadline, fitter.seed)
        if proof is None:
            return k, node, None
        ok = proof.max_ulp <= fitter.target and proof.nonfinite_failures == 0
        if ok or proof.worst_input is None or not k.met:
            return k, node, proof
        found = f"  {k.method}: proof found {proof.max_ulp:.3f} ULP at x = {proof.worst_input!r}"
        if knots_mod.repair(fitter, k, fold.point(proof.worst_input)):
            log(found + "; piece refitted or split, proving again")
        else:
            nxt = knots_mod.finer(fitter, k)
            if nxt is None:
                return k, node, proof
            log(found + f"; trying {nxt.count} pieces")
            k = nxt
        node = fold.build(k)
    return k, node, proof


def approximate_piecewise(expression: str, interval: tuple[float, float], max_ulp: float = 1.0,
                          degree: int = 4, methods=None, seed: int = 0, time_limit: float | None = None,
                          out_dir: str | Path | None = None, log: Callable[[str], None] | None = None,
                          measure_speed: bool = True, symmetry: bool = True, dtype: str = "float32") -> PiecewiseResult:
    """Piecewise approximations of expression (exprc text in x, or a function name) on
    interval, within max_ulp ULPs on every input of it in dtype, one polynomial of the given
    degree per piece, by each knot method (all of knots.METHODS unless named; for float64 all but
    uniform bits). float32 proofs are exhaustive, float64 checks sampled (fit64.py); time_limit
    (seconds) makes proofs that cannot finish in it come back unproven.
    symmetry: an even or odd function on an interval around 0 gets pieces for |x| only
    (symmetry.py)."""
    import exprc
    from ..driver import checked_interval
    t_start = time.monotonic()
    log = log or (lambda line: None)
    if not (isinstance(degree, int) and 0 <= degree <= MAX_DEGREE):
        raise ExprcError(f"degree must be an integer from 0 to {MAX_DEGREE}, got {degree!r}")
    if not (isinstance(max_ulp, (int, float)) and 0.5 <= max_ulp < math.inf):
        raise ExprcError(f"max_ulp must be a number of ULPs, at least 0.5, got {max_ulp!r}")
    dtype = {"f32": "float32", "f64": "float64"}.get(dtype, dtype)
    if dtype not in ("float32", "float64"):
        raise ExprcError(f"dtype must be float32 or float64, got {dtype!r}")
    text, reference = reference_of(expression)
    interval = checked_interval(text, interval, dtype)
    if methods is None:         # float64: uniform bits means thousands of fine cells, each fitted in mpmath
        names = [m for m in knots_mod.METHODS if dtype == "float32" or m != "uniform bits"]
    else:
        names = [str(m).replace("-", " ") for m in methods]
    unknown = [m for m in names if m not in knots_mod.METHODS]
    if unknown:
        have = ", ".join(m.replace(" ", "-") for m in knots_mod.METHODS)
        raise ExprcError(f"unknown knot method {unknown[0].replace(' ', '-')!r}; have {have}")
    ref_kernel = exprc.compile(reference, dtype="float64", variables=["x"])
    deadline = None if time_limit is None else t_start + time_limit
    fold = detect(ref_kernel, interval, seed) if symmetry else Fold()
    if fold.parity:
        log(fold.describe(interval))
    results = []
    for name in names:
        t0 = time.monotonic()
        if dtype == "float64":
            fitter = fit64.Float64Fitter(ref_kernel, reference, fold.interval(interval), degree, float(max_ulp), seed)
        else:
            fitter = PieceFitter(ref_kernel, fold.interval(interval), degree, float(max_ulp), seed)
        k = knots_mod.METHODS[name](fitter)
        log(f"{name}: {k.count} pieces on {k.layout.cells} cells, sampled max {k.max_ulp:.3f} ULP"
            + ("" if k.met else " (target not met)"))
        k, node, proof = _prove(fitter, k, fold, reference, interval, deadline, log)
        r = MethodResult(name, k, node, proof, fits=fitter.fits, seconds=time.monotonic() - t0, target=float(max_ulp))
        if proof is not None:
            how = "proven" if proof.exhaustive else "sampled"
            log(f"  {name}: {k.count} pieces, {how} max {proof.max_ulp:.3f} ULP over {proof.count:,} inputs")
        results.append(r)
    original_proof = check(ir.retype(reference, dtype), dtype, [], reference, interval, deadline, seed)
    original_ns = None
    if measure_speed:
        kernels = {m.method: exprc.compile(m.program, dtype=dtype, variables=["x"]) for m in results}
        original = exprc.compile(text, dtype=dtype, variables=["x"])
        timings = time_kernels({"original": original, **kernels}, timing_inputs(interval, dtype=dtype))
        original_ns = timings["original"]
        for m in results:
            m.ns_per_element = timings[m.method]
    result = PiecewiseResult(text, interval, degree, float(max_ulp), results, original_ns, original_proof,
                             time.monotonic() - t_start, notes=[fold.describe(interval)] if fold.parity else [],
                             parity=fold.parity, dtype=dtype)
    if out_dir is not None:
        result.write(out_dir)
    return result
