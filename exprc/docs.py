"""Documentation generated from the registry, so the README's op table cannot drift."""
from __future__ import annotations

from . import ops


def _accuracy(op: ops.Op) -> str:
    if op.kind == ops.NULLARY:
        return "folded exactly"
    if op.ieee_exact:
        return "exact (bit-identical)"
    from .accuracy import measured
    parts = []
    for dtype in ("float32", "float64"):
        m = measured(op.name, dtype)
        if m is None:
            parts.append("?")
        else:
            parts.append(f"{m['stated']:g}" + ("" if m.get("exhaustive") else "*"))
    return " / ".join(parts)


def _implementation(op: ops.Op) -> str:
    from . import vecmath
    if op.llvm is None:
        return "expanded"
    if op.llvm[0] != "libm":
        return "inline"
    impl32 = vecmath.implementation(op.name, "float32")
    f32 = ("libmvec's float64, rounded once" if isinstance(impl32, vecmath.Promoted)
           else "exprc's own, correctly rounded" if impl32 is not None else "libmvec")
    f64 = "exprc's own" if vecmath.implementation(op.name, "float64") is not None else "libmvec"
    return f"float32: {f32}; float64: {f64}"


def ops_table() -> str:
    """A Markdown table of every op: spellings, LLVM implementation and accuracy, notes."""
    rows = ["| op | args | also spelled | LLVM implementation | max ULP float32 / float64 | notes |",
            "|---|---|---|---|---|---|"]
    for op in ops.REGISTRY.values():
        if op.internal:
            continue
        spell = ", ".join(op.aliases)
        if op.name == "pow":
            spell = "`**`, `^`, " + spell
        elif op.infix:
            spell = f"`{op.infix}`" + (", " + spell if spell else "")
        args = "0" if op.arity == 0 else (f"{op.arity}+" if op.variadic else str(op.arity))
        notes = op.doc.replace("|", "\\|")
        rows.append(f"| {op.name} | {args} | {spell} | {_implementation(op)} | {_accuracy(op)} | {notes} |")
    return "\n".join(rows)


def replace_section(text: str, name: str, body: str) -> str:
    """Replace what stands between <!-- name --> and <!-- /name --> in text."""
    start, end = f"<!-- {name} -->", f"<!-- /{name} -->"
    i, j = text.index(start) + len(start), text.index(end)
    return text[:i] + "\n" + body.strip() + "\n" + text[j:]


def section(text: str, name: str) -> str:
    start, end = f"<!-- {name} -->", f"<!-- /{name} -->"
    return text[text.index(start) + len(start):text.index(end)].strip()


if __name__ == "__main__":   # python -m exprc.docs README.md: refresh the generated op table
    import sys
    from pathlib import Path
    path = Path(sys.argv[1] if len(sys.argv) > 1 else "README.md")
    path.write_text(replace_section(path.read_text(), "ops-table", ops_table()))
