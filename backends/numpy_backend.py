"""The reference interpreter: evaluates a Program with numpy, one array op per IR node.

This is the oracle the compiled backends are tested against. In float32 programs every op
computes on float32 arrays and rounds to float32, exactly as the language defines.
"""
from __future__ import annotations

from collections import Counter

import numpy as np

from exprc import ir, ops
from exprc.dtypes import np_dtype
from exprc.errors import ExprcError
from exprc.exact import fold_values
from exprc.npbits import table_lookup
from exprc.numbers import round_value
from exprc.program import Program

name = "numpy"


def evaluate(program: Program, inputs: dict, params: dict, functions: dict | None = None) -> list[np.ndarray]:
    """Output arrays of the program on inputs (broadcast arrays) and scalar params.

    functions: replacement implementations by op name. Tests pass the compiled backend's own
    elementary functions here, so that a whole program can be checked bit for bit against the
    backend even where libm implementations differ."""
    functions = functions or {}
    dt = program.dtype
    order = program.schedule()
    uses = Counter(id(a) for n in order for a in n.args)
    for o in program.outputs:
        uses[id(o)] += 1
    values: dict[int, object] = {}
    with np.errstate(all="ignore"):
        for n in order:
            if n.op == ir.VAR:
                v = np.asarray(inputs[n.value], dtype=np_dtype(dt))
            elif n.op == ir.PARAM:
                v = np_dtype(dt).type(params[n.value])
            elif n.op == ir.CONST:
                v = np.bool_(n.value) if isinstance(n.value, bool) else round_value(n.value, n.dtype)
            elif not n.args:
                v = round_value(fold_values(ops.REGISTRY[n.op], [], n.dtype), n.dtype)
            else:
                args = []
                for a in n.args:
                    args.append(values[id(a)])
                    uses[id(a)] -= 1
                    if uses[id(a)] == 0:
                        del values[id(a)]
                if n.op == "table":
                    v = table_lookup(n.value, n.dtype, args[0])
                else:
                    fn = functions.get(n.op) or ops.REGISTRY[n.op].numpy
                    v = fn(*args)
                if n.dtype != "bool":
                    v = np.asarray(v).astype(np_dtype(n.dtype), copy=False)
            values[id(n)] = v
        return [np.asarray(values[id(o)]) for o in program.outputs]


class Executable:
    """Runs a program on 1-D input views (or 0-d scalars) into preallocated outputs."""

    def __init__(self, program: Program):
        self.program = program

    def run(self, inputs: list[np.ndarray], params: np.ndarray, outputs: list[np.ndarray]) -> None:
        p = self.program
        results = evaluate(p, dict(zip(p.variables, inputs)), dict(zip(p.parameters, params)))
        for out, r in zip(outputs, results):
            out[...] = np.broadcast_to(r, out.shape)

    def source(self, kind: str = "python") -> str:
        """The evaluation order as straight-line pseudo-code, one numpy call per line."""
        if kind != "python":
            raise ExprcError(f"unknown source kind {kind!r}: use python or c")
        order = self.program.schedule()
        names = {}
        lines = [f"# numpy reference evaluation, dtype {self.program.dtype}"]
        for i, n in enumerate(order):
            if n.op == ir.VAR:
                names[id(n)] = n.value
                continue
            if n.op in (ir.PARAM, ir.CONST) or not n.args:
                names[id(n)] = str(n)
                continue
            names[id(n)] = f"t{i}"
            lines.append(f"t{i} = {n.op}({', '.join(names[id(a)] for a in n.args)})")
        lines.append("return " + ", ".join(names[id(o)] for o in self.program.outputs))
        return "\n".join(lines)


def build(program: Program, fastmath: bool = False) -> Executable:
    return Executable(program)
