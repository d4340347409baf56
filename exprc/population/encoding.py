"""The population program encoding and the interpreter kernels' ABI, defined once.

Every layer that touches population programs reads these names from here: the flat program
form (flat.py), the bytecode compiler (bytecode.py), the LLVM interpreter kernel
(backends/llvm/interpreter.py), the Triton population kernel (backends/triton_backend.py) and
the runners. Changing the bytecode means changing this module and the kernels' bodies, nothing
else.

Opcodes: 0 a variable, 1 a constant, 2 a parameter, then OP_BASE + k for OPCODES[k] (the
registry's user-visible arithmetic, comparison and select ops, in registry order).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import ops

LEAF_VAR, LEAF_CONST, LEAF_PARAM, OP_BASE = 0, 1, 2, 3
OPCODES: tuple[str, ...] = tuple(op.name for op in ops.REGISTRY.values()
                                 if op.kind in (ops.ARITH, ops.COMPARE, ops.SELECT) and not op.internal
                                 and op.population)
OPCODE_OF: dict[str, int] = {name: OP_BASE + k for k, name in enumerate(OPCODES)}
N_CODES = OP_BASE + len(OPCODES)

# per opcode: operands taken (leaves take none) and whether the result is a bool
ARITY = np.zeros(N_CODES, dtype=np.int64)
RETURNS_BOOL = np.zeros(N_CODES, dtype=bool)
for _k, _name in enumerate(OPCODES):
    ARITY[OP_BASE + _k] = ops.REGISTRY[_name].arity
    RETURNS_BOOL[OP_BASE + _k] = ops.REGISTRY[_name].kind == ops.COMPARE
del _k, _name

# ---------------------------------------------------------------- the kernels' ABI
# Operand slots from XBASE on name column (slot - XBASE) of X directly (no copy into scratch).
XBASE = 1 << 24
# Rows per block in the LLVM interpreter: one slot is 1 KiB of scratch, kept in L1.
BLOCK = {"float32": 256, "float64": 128}
# Rows per program instance in the Triton population kernel.
TRITON_BLOCK = 256
# The LLVM interpreter's descriptor: one i64 per field, in this order.
DESC_FIELDS = ("op", "dst", "a", "b", "c", "arg", "vals", "cstart", "pstart", "res", "rstart", "poff",
               "params", "X", "n_pad", "n_rows", "mode", "out", "acc", "y", "aoff")
# What a kernel does after each block of rows.
MODES = {"predict": 0, "mse": 1, "mae": 2, "max": 3, "mse_grad": 4, "normal": 5}
TRITON_MODES = {k: MODES[k] for k in ("predict", "mse", "mae", "max")}
# Most instructions, slots and operand records one program may have: every index is int32.
MAX_PROGRAM_RECORDS = XBASE - 1


@dataclass
class Bytecode:
    """Register bytecode for the interpreter kernels (structure of arrays, int32 per field).

    A candidate's instructions [cstart[c], pstart[c]) run once (constants, parameters), the
    rest [pstart[c], cstart[c + 1]) once per block of rows; its outputs are the slots
    res[rstart[c]:rstart[c + 1]]. Operands a, b, c are slot numbers (or XBASE + column)."""
    op: np.ndarray
    dst: np.ndarray
    a: np.ndarray
    b: np.ndarray
    c: np.ndarray
    arg: np.ndarray
    v32: np.ndarray
    v64: np.ndarray
    cstart: np.ndarray
    pstart: np.ndarray
    res: np.ndarray
    rstart: np.ndarray
    slots: int

    @property
    def n(self) -> int:
        return len(self.cstart) - 1


def opcode_node(name: str, dtype: str):
    """What opcode `name` computes, as IR over the operand slots a, b, c: the body each kernel
    lowers for it. A select's condition slot holds 1.0 or 0.0, read as `!= 0`."""
    from .. import ir
    op = ops.REGISTRY[name]
    args = [ir.var(v, dtype) for v in "abc"[:op.arity]]
    if op.kind == ops.SELECT:
        return ir.apply(name, ir.apply("ne", args[0], ir.const(0, dtype)), args[1], args[2])
    return ir.apply(name, *args)
