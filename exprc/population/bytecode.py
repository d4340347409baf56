"""Flat programs and IR DAGs to the interpreter kernels' register bytecode (encoding.Bytecode).

Tree programs (one output each) compile in numpy for the whole batch: a stack machine whose
slots are stack depths, where operands that are variables read the X column itself and
constants and parameters get slots filled once per candidate. DAGs with several outputs (a
prediction and its derivatives) are compiled one at a time, reusing slots after their last use.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from .. import ir
from ..errors import ExprcError
from . import encoding as enc
from .flat import FlatPrograms


@dataclass
class TreeLayout:
    """Where every record of a batch of tree programs lives in the stack machine: the slot it
    writes (own), the slots its operands are read from, the record that produces each operand,
    and whether it runs once per candidate (hoisted: constants and parameters). Shared by the
    prediction bytecode (tree_bytecode) and the forward-mode Jacobian (tangent.py)."""
    code: np.ndarray          # int64 per record
    cand: np.ndarray          # program of each record
    arity: np.ndarray
    own_slot: np.ndarray
    operands: list            # three arrays: operand slot k of each record (0 when unused)
    producers: list           # three arrays: the record producing operand k
    keep: np.ndarray          # records that become instructions
    hoisted: np.ndarray
    out_arg: np.ndarray
    res: np.ndarray           # each program's result slot
    first_free: np.ndarray    # per program: the first slot it does not use
    slots: int


def tree_layout(flat: FlatPrograms, variables: Sequence[str], param_slot: np.ndarray) -> TreeLayout:
    """The stack-machine layout of every record (see TreeLayout), in numpy for the whole batch."""
    flat.check()
    code = flat.code.astype(np.int64)
    ncand = len(flat)
    start = flat.start
    lens = flat.lengths
    cand = flat.program_of()
    arity = enc.ARITY[code]
    effect = 1 - arity
    depth = np.cumsum(effect)
    before = np.repeat(depth[start[:-1]] - effect[start[:-1]], lens)
    dst = depth - before - 1

    # where each operand comes from (FlatPrograms.operands)
    idx = np.arange(len(code))
    p_first, p_mid, p_last = flat.operands(idx, 3)
    producers = [np.where(arity == 3, p_first, np.where(arity == 2, p_mid, p_last)),
                 np.where(arity == 3, p_mid, p_last), p_last]

    # leaves: variables become column references, constants and parameters own slots
    is_var = code == enc.LEAF_VAR
    column = {v: k for k, v in enumerate(variables)}
    lookup = np.array([column.get(n, -1) for n in flat.names] or [-1], dtype=np.int64)
    var_col = np.where(is_var, lookup[np.where(is_var, flat.arg, 0)], 0)
    if (var_col < 0).any():
        bad = flat.names[int(flat.arg[np.argmax(var_col < 0)])]
        raise ExprcError(f"a candidate uses variable {bad!r}, which is not in variables={list(variables)}")
    is_param = code == enc.LEAF_PARAM
    hoisted = (code == enc.LEAF_CONST) | is_param
    max_depth = np.zeros(ncand, dtype=np.int64)
    np.maximum.at(max_depth, cand, dst + 1)
    leaf_rank = np.cumsum(hoisted) - 1
    leaf_rank -= np.repeat(np.concatenate([[0], np.cumsum(hoisted)])[start[:-1]], lens)
    own_slot = np.where(hoisted, max_depth[cand] + leaf_rank, dst)
    operand_slot = np.where(is_var, enc.XBASE + var_col, own_slot)
    operands = [np.where(arity > k, operand_slot[np.maximum(producers[k], 0)], 0) for k in range(3)]
    root = np.zeros(len(code), dtype=bool)
    root[start[1:] - 1] = True
    keep = ~is_var | root                  # a variable only needs its own instruction at the root
    res = own_slot[start[1:] - 1].astype(np.int32)

    out_arg = np.where(is_var, var_col, np.where(is_param, param_slot, 0))
    first_free = np.maximum(max_depth, 1)
    np.maximum.at(first_free, cand, own_slot + 1)
    slots = int(max(max_depth.max(initial=1), own_slot.max(initial=0) + 1))
    return TreeLayout(code, cand, arity, own_slot, operands, producers, keep, hoisted, out_arg, res,
                      first_free, slots)


def assemble(cand: np.ndarray, hoisted: np.ndarray, key: np.ndarray, fields: dict, values: np.ndarray,
             ncand: int, res: np.ndarray, rstart: np.ndarray, slots: int) -> enc.Bytecode:
    """Bytecode from instruction rows in any order: each candidate's hoisted rows first (run
    once), then the rest (run per block), each group in `key` order."""
    if slots >= enc.XBASE:
        raise ExprcError(f"a program needs {slots:,} scratch slots; the population engine has {enc.XBASE - 1:,}")
    order = np.lexsort((key, ~hoisted, cand))
    new_cand = cand[order]
    counts = np.bincount(new_cand, minlength=ncand)
    cstart = np.zeros(ncand + 1, dtype=np.int64)
    np.cumsum(counts, out=cstart[1:])
    pstart = cstart[:-1] + np.bincount(new_cand, weights=hoisted[order], minlength=ncand).astype(np.int64)
    take = lambda a: np.ascontiguousarray(a[order], dtype=np.int32)  # noqa: E731
    v = values[order]
    return enc.Bytecode(op=take(fields["op"]), dst=take(fields["dst"]), a=take(fields["a"]),
                        b=take(fields["b"]), c=take(fields["c"]), arg=take(fields["arg"]),
                        v32=v.astype(np.float32), v64=v.astype(np.float64), cstart=cstart, pstart=pstart,
                        res=np.ascontiguousarray(res, dtype=np.int32), rstart=rstart, slots=slots)


def tree_bytecode(flat: FlatPrograms, variables: Sequence[str], param_slot: np.ndarray) -> enc.Bytecode:
    """Bytecode for one output per program. variables: the column order of X; param_slot: each
    parameter record's index in its program's parameter vector (FlatPrograms.parameter_slots)."""
    L = tree_layout(flat, variables, param_slot)
    k = L.keep
    fields = {"op": L.code[k], "dst": L.own_slot[k], "a": L.operands[0][k], "b": L.operands[1][k],
              "c": L.operands[2][k], "arg": L.out_arg[k]}
    ncand = len(flat)
    return assemble(L.cand[k], L.hoisted[k], np.flatnonzero(k), fields, flat.value[k], ncand, L.res,
                    np.arange(ncand + 1, dtype=np.int64), L.slots)


def dag_bytecode(outputs: Sequence[ir.Node], columns: dict[str, int], params: dict[str, int],
                 dtype: str) -> enc.Bytecode:
    """Bytecode for one candidate with several outputs sharing work (the DAG is evaluated once;
    slots are reused after their last use). Constant-only subtrees must be folded already."""
    from .flat import constant_value
    order = ir.topo(list(outputs))
    pinned = {id(o) for o in outputs}
    last = {}
    for k, n in enumerate(order):
        for a in n.args:
            last[id(a)] = k
    free: list[int] = []
    slot_of: dict[int, int] = {}
    nslots = 0
    rows = []
    keep: list = []
    for k, n in enumerate(order):
        args = [slot_of[id(a)] for a in n.args]
        for a in set(n.args):
            if last.get(id(a)) == k and id(a) not in pinned:
                free.append(slot_of[id(a)])
        if free:
            s = free.pop()
        else:
            s, nslots = nslots, nslots + 1
        slot_of[id(n)] = s
        value = 0.0
        argv = 0
        if n.op == ir.VAR:
            code, argv = enc.LEAF_VAR, columns[n.value]
        elif n.op == ir.PARAM:
            code, argv = enc.LEAF_PARAM, params[n.value]
        elif not n.args:
            code, value = enc.LEAF_CONST, constant_value(n, dtype, keep)
        else:
            code = enc.OPCODE_OF[n.op]
        args += [0] * (3 - len(args))
        rows.append((code, s, args[0], args[1], args[2], argv, value))
    arr = np.array(rows, dtype=[("op", "i4"), ("dst", "i4"), ("a", "i4"), ("b", "i4"), ("c", "i4"),
                                ("arg", "i4"), ("v", "f8")])
    return enc.Bytecode(op=arr["op"].copy(), dst=arr["dst"].copy(), a=arr["a"].copy(), b=arr["b"].copy(),
                        c=arr["c"].copy(), arg=arr["arg"].copy(), v32=arr["v"].astype(np.float32),
                        v64=arr["v"].copy(), cstart=np.array([0, len(rows)], dtype=np.int64),
                        pstart=np.array([0], dtype=np.int64),
                        res=np.array([slot_of[id(o)] for o in outputs], dtype=np.int32),
                        rstart=np.array([0, len(outputs)], dtype=np.int64), slots=nslots)


def concat(codes: Sequence[enc.Bytecode]) -> enc.Bytecode:
    """Several bytecode programs as one population (instruction and slot tables offset)."""
    lens = [c.cstart[-1] for c in codes]
    offs = np.cumsum([0] + lens[:-1])
    cstart = np.concatenate([[0]] + [c.cstart[1:] + off for c, off in zip(codes, offs)])
    rlens = [c.rstart[-1] for c in codes]
    rstart = np.concatenate([[0]] + [c.rstart[1:] + off for c, off in zip(codes, np.cumsum([0] + rlens[:-1]))])
    cat = lambda name: np.concatenate([getattr(c, name) for c in codes])  # noqa: E731
    pstart = np.concatenate([c.pstart + off for c, off in zip(codes, offs)])
    return enc.Bytecode(op=cat("op"), dst=cat("dst"), a=cat("a"), b=cat("b"), c=cat("c"), arg=cat("arg"),
                        v32=cat("v32"), v64=cat("v64"), cstart=cstart.astype(np.int64),
                        pstart=pstart.astype(np.int64), res=cat("res"),
                        rstart=rstart.astype(np.int64), slots=max(c.slots for c in codes))
