"""Writing a piecewise result: front.json (every knot method: pieces, proof, speed), pieces.json
(the chosen approximation's knots and coefficients), report.md, error.png (error along the
interval with the knots) and the chosen program as exprc text, C, LLVM IR and Triton."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from ..report import write_code


def methods_table(result) -> str:
    """Markdown: one row per knot method."""
    rows = ["| knots | pieces | cells | max ULP (proof) | ns/element | vs original |", "|---|---|---|---|---|---|"]
    for m in result.methods:
        proof = "-" if m.proof is None else f"{m.proof.max_ulp:.3f}" + ("" if m.met else " (over target)")
        ns = "-" if m.ns_per_element is None else f"{m.ns_per_element:.3f}"
        ratio = ("-" if m.ns_per_element is None or not result.original_ns
                 else f"{result.original_ns / m.ns_per_element:.2f}x")
        rows.append(f"| {m.method} | {m.knots.count} | {m.knots.layout.cells} | {proof} | {ns} | {ratio} |")
    return "\n".join(rows)


def _pieces_json(m, parity: str | None = None) -> dict:
    k = m.knots
    return {"method": m.method, "pieces_of": {None: "x", "even": "|x|", "odd": "|x|, sign of x applied"}[parity],
            "layout": {"kind": k.layout.kind, "a": k.layout.a, "b": k.layout.b,
                                           "cells": k.layout.cells, "scale": k.layout.scale, "shift": k.layout.shift},
            "coefficients_scaled_by": f"2**{k.pieces[0].scale}" if k.pieces[0].scale else 1,
            "pieces": [{"interval": list(p.interval), "cells": list(p.cells), "x0": p.x0, "coefficients": list(p.coeffs),
                        "sampled_max_ulp": round(p.max_ulp, 4), "inputs_tested": p.tested,
                        "all_inputs_tested": p.exhaustive} for p in k.pieces]}


def error_along(result, m, n: int = 1 << 15) -> tuple[np.ndarray, np.ndarray]:
    """The chosen program's error in ULPs on inputs spread over the interval by value and bits
    (float32 against the float64 reference, float64 against mpmath on fewer points)."""
    import exprc
    from exprc.parser import parse
    from exprc.ulp import ulp_spacing
    from .fit import ulp_error
    from .fit64 import Reference, ulp_error64
    from .layout import float_of, key_of
    a, b = result.interval
    dtype = result.dtype
    n = n if dtype == "float32" else n // 8
    rng = np.random.default_rng(1)
    ka, kb = key_of(np.asarray([a, b], dtype=dtype), dtype)
    x = np.unique(np.concatenate([rng.uniform(a, b, n).astype(dtype), float_of(rng.integers(ka, kb + 1, n), dtype)]))
    y = exprc.compile(m.program, dtype=dtype, variables=["x"])(x)
    if dtype == "float64":
        return x, ulp_error64(np.asarray(y, dtype=np.float64), *Reference(parse(result.expression, dtype="float64"))(x))
    ref = exprc.compile(result.expression, dtype="float64", variables=["x"])(x.astype(np.float64))
    with np.errstate(all="ignore"):
        return x, ulp_error(y, ref, ulp_spacing(ref))


def write_result(result, out: Path) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    (out / "front.json").write_text(json.dumps({
        "expression": result.expression, "interval": list(result.interval), "degree": result.degree,
        "dtype": result.dtype, "max_ulp": result.target, "symmetry": result.parity, "notes": result.notes,
        "original_ns_per_element": result.original_ns,
        "original_max_ulp": None if result.original_proof is None else round(result.original_proof.max_ulp, 4),
        "methods": [m.as_json() for m in result.methods]}, indent=1) + "\n")
    best = result.best()
    how = ("on every float32 input of the interval (proofs exhaustive" if result.dtype == "float32" else
           "on a sample of the interval's float64 inputs (checked against mpmath, not exhaustive: labelled sampled")
    lines = [f"# Piecewise {result.dtype} {result.expression} on [{result.interval[0]:g}, {result.interval[1]:g}]", "",
             f"Degree {result.degree} per piece, target {result.target:g} ULP {how}, "
             f"error in ULPs of the correctly rounded result, MEASURING.md); {result.seconds:.0f} s.",
             "Speed: ns per element on 2**20 inputs uniform on the interval, one thread, best of 7 interleaved runs; "
             f"the original is the expression compiled by exprc in {result.dtype}"
             + (f" ({result.original_ns:.3f} ns/element" if result.original_ns else " (")
             + (f", max {result.original_proof.max_ulp:.3f} ULP "
                + ("proven)." if result.original_proof.exhaustive else "on the same sample).")
                if result.original_proof else ")."), "",
             methods_table(result), ""] + [note + "." for note in result.notes] + ([""] if result.notes else [])
    if best is None:
        lines += ["No knot method met the target: see the notes in front.json.", ""]
    else:
        (out / "pieces.json").write_text(json.dumps(_pieces_json(best, result.parity), indent=1) + "\n")
        write_code(best.program, "exprc_piecewise", out, result.dtype)
        _plot(result, best, out / "error.png")
        how = "" if best.proof.exhaustive else " sampled"
        lines += [f"Chosen: {best.method}, {best.knots.count} pieces (fewest pieces within the target), "
                  f"max {best.proof.max_ulp:.4g} ULP at x = {best.proof.worst_input!r} over "
                  f"{best.proof.count:,}{how} inputs. Program: best.exprc (also best.c, best.ll, best_triton.py); "
                  "knots and coefficients: pieces.json; error along the interval: error.png.",
                  "Outside the interval the end pieces extrapolate (the table index is clamped).", ""]
    (out / "report.md").write_text("\n".join(lines))
    return out


def _plot(result, m, path: Path) -> None:
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return
    x, err = error_along(result, m)
    fig, ax = plt.subplots(figsize=(7, 3.5), dpi=120)
    ax.plot(x, err, ",", color="C0", alpha=0.6)
    for p in m.knots.pieces[1:]:
        for knot in (p.interval[0], -p.interval[0]) if result.parity else (p.interval[0],):
            ax.axvline(knot, color="C3", lw=0.4, alpha=0.5)
    ax.axhline(result.target, color="k", lw=0.8, ls=":", label=f"{result.target:g} ULP")
    a, b = result.interval
    if a > 0 and b / a > 1e3:
        ax.set_xscale("log")
    ax.set_xlabel("x (red: knots)")
    ax.set_ylabel("error (ULP)")
    ax.set_title(f"{result.expression}: {m.method}, {m.knots.count} pieces, degree {result.degree}")
    ax.legend(loc="upper right")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
