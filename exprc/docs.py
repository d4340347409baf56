"""Documentation generated from the registry, so the README's op table cannot drift."""
from __future__ import annotations

from . import ops


def _accuracy(op: ops.Op) -> str:
    if op.kind == ops.NULLARY:
        return "folded exactly"
    if op.ieee_exact:
        return "exact (bit-identical)"
    from .accuracy import stated_bound
    parts = []
    for dtype in ("float32", "float64"):
        b = stated_bound(op.name, dtype)
        if b is not None:
            parts.append(f"{dtype[5:]}: {b:g}")
    return "≤ ULP " + ", ".join(parts) if parts else "libm"


def ops_table() -> str:
    """A Markdown table of every op: name, arity, other spellings, accuracy of the LLVM backend."""
    rows = ["| op | args | also spelled | LLVM backend accuracy | notes |",
            "|---|---|---|---|---|"]
    for op in ops.REGISTRY.values():
        if op.internal:
            continue
        spell = ", ".join(a for a in op.aliases) or ""
        if op.infix:
            spell = (f"`{op.infix}`" + (", " + spell if spell else "")) if op.name != "pow" else "`**`, `^`, " + spell
        args = "0" if op.arity == 0 else (f"{op.arity}+" if op.variadic else str(op.arity))
        rows.append(f"| {op.name} | {args} | {spell} | {_accuracy(op)} | {op.doc} |")
    return "\n".join(rows)
