"""Writing an approximation search's result: front.json, the best program as exprc text, C,
LLVM IR and Triton source, a Markdown report with the Pareto table against the baselines, and
a PNG plot of both fronts."""
from __future__ import annotations

import json
from pathlib import Path


def pareto_table(result) -> str:
    """Markdown: for each op count, our best verified max ULP and the best baseline's."""
    ours = {p.ops: p for p in result.front}
    base: dict[int, object] = {}
    for p in result.baselines:
        if p.ops not in base or p.max_ulp < base[p.ops].max_ulp:
            base[p.ops] = p
    rows = ["| ops | exprc max ULP | baseline max ULP | baseline |", "|---|---|---|---|"]
    best_so_far = None
    for n in sorted(set(ours) | set(base)):
        o, b = ours.get(n), base.get(n)
        if o is not None:
            best_so_far = o.max_ulp if best_so_far is None else min(best_so_far, o.max_ulp)
        rows.append(f"| {n} | {_ulp(o) if o else '(front: ' + (f'{best_so_far:.4g}' if best_so_far is not None else '-') + ')'} | "
                    f"{_ulp(b) if b else '-'} | {b.kind if b else ''} |")
    return "\n".join(rows)


def _ulp(point) -> str:
    """A point's max ULP, marked when it is measured on a sample rather than proven."""
    return f"{point.max_ulp:.4g}" + ("" if point.verified == "exhaustive" else " (sampled)")


def write_code(node, name: str, out: Path, dtype: str = "float32") -> None:
    """best.exprc, best.c, best.ll and best_triton.py for a program in x of dtype."""
    import exprc
    from exprc.backends.c_source import emit_c
    from exprc.printer import to_text
    (out / "best.exprc").write_text(to_text(node) + "\n")
    k = exprc.compile(node, dtype=dtype, variables=["x"])
    (out / "best.c").write_text(emit_c(k.program, name=name))
    (out / "best.ll").write_text(k.source("llvm"))
    try:
        from exprc.backends.triton_backend import triton_source
        (out / "best_triton.py").write_text(triton_source(k.program))
    except Exception as exc:  # triton not installed: the source generator itself needs nothing
        (out / "best_triton.py").write_text(f"# Triton source unavailable: {exc}\n")


def write_result(result, out: Path) -> Path:
    from exprc.parser import parse
    out.mkdir(parents=True, exist_ok=True)
    (out / "front.json").write_text(json.dumps([p.as_json() for p in result.front], indent=1) + "\n")
    (out / "baselines.json").write_text(json.dumps([p.as_json() for p in result.baselines], indent=1) + "\n")
    best = result.best()
    if best is not None:
        write_code(parse(best.program, dtype="float32"), f"exprc_{result.function}f", out)
    _plot(result, out / "front.png")
    lines = [f"# float32 {result.function} {'(whole function)' if result.whole else 'on [%g, %g]' % result.interval}",
             "",
             f"{result.generations} generations, {result.evaluations:,} candidate evaluations, "
             f"{result.seconds:.0f} s. Points marked exhaustive are verified over every float32 input "
             f"{'whose result is a normal float32' if result.whole else 'of the interval'}; error in ULPs of "
             "the correctly rounded result (MEASURING.md)."
             + (f" {result.unproven} proof(s) did not finish within the time limit: those points are "
                "measured on a sample only (marked sampled)." if result.unproven else ""),
             "", pareto_table(result), ""]
    if result.template_note:
        lines += [f"Range reduction: {result.template_note}.", ""]
    if best is not None:
        lines += ["Best program (fewest ops within 1 ULP, else lowest error):", "", "```", best.program, "```",
                  (f"{best.ops} ops, max {best.max_ulp:.4g} ULP at x = {best.worst_input!r}, "
                   f"{best.not_correctly_rounded:,} results not correctly rounded."
                   if best.verified == "exhaustive" else
                   f"{best.ops} ops, max {best.max_ulp:.4g} ULP on a sample (not proven)."), ""]
    (out / "report.md").write_text("\n".join(lines))
    return out


def _plot(result, path: Path) -> None:
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return
    fig, ax = plt.subplots(figsize=(6, 4), dpi=120)
    if result.baselines:
        b = sorted(result.baselines, key=lambda p: p.ops)
        ax.plot([p.ops for p in b], [p.max_ulp for p in b], "s--", color="gray", label="Horner, baseline coefficients")
    if result.front:
        f = sorted(result.front, key=lambda p: p.ops)
        ax.step([p.ops for p in f], [p.max_ulp for p in f], "o-", where="post", color="C0", label="exprc front")
    ax.axhline(1.0, color="C3", lw=0.8, ls=":", label="1 ULP")
    ax.set_yscale("log")
    ax.set_xlabel("ops")
    ax.set_ylabel("max error (ULP, every float32 input)")
    ax.set_title(f"float32 {result.function}" + ("" if result.whole else " on [%g, %g]" % result.interval))
    ax.legend()
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
