"""What a name in a text means, decided once per distinct spelling for a whole batch.

Both bulk text paths (the compiled one and the numpy one) resolve names here, through the
parser's own rules (exprc.parser.resolve_name / resolve_function), so a name means in bulk
exactly what it means to exprc.parse."""
from __future__ import annotations

from .. import ops
from ..errors import ExprcError
from . import encoding as enc
from . import flat as flatmod


def meaning(text: str, role: str, dtype: str, params, variables, table: dict, keep: list) -> tuple:
    """What one spelling means in one role ("call", "$" or "name"), by the parser's own rules:
    (rejected, code, names-table index, constant value, arity for calls or -1, is a constant).
    Calls the bulk paths do not run (comparisons, selects, identities) are rejected, so their
    texts go through exprc.parse."""
    from .. import ir
    from ..parser import resolve_function, resolve_name
    if role == "call":
        opname = resolve_function(text)
        op = ops.REGISTRY.get(opname) if opname else None
        if op is None or op.kind != ops.ARITH or opname not in enc.OPCODE_OF:
            return True, 0, 0, 0.0, -1, False
        return False, enc.OPCODE_OF[opname], 0, 0.0, op.arity, False
    try:
        node = ir.param(text, dtype) if role == "$" else resolve_name(text, params, dtype, variables)
    except ExprcError:
        return True, 0, 0, 0.0, -1, False
    if node.op in (ir.VAR, ir.PARAM):
        code = enc.LEAF_VAR if node.op == ir.VAR else enc.LEAF_PARAM
        return False, code, table.setdefault(node.value, len(table)), 0.0, -1, False
    return False, enc.LEAF_CONST, 0, flatmod.constant_value(node, dtype, keep), -1, True
