"""Variation operators on flat programs, a whole batch per call.

Why: a search makes thousands of children per generation; done per tree in Python (walking IR
nodes) that costs more than scoring them. Here every operator is a few numpy operations over
the records of all programs at once (exprc.population.FlatPrograms: postfix code, argument,
value and subtree size per record), so its cost per child is a small constant.

Operators (each returns one child per parent, in order):
  point      one record changed in place: an op to another of the same arity, a variable to
             another variable, a constant scaled
  subtree    one subtree replaced by a random new one (from a pool of small random trees)
  hoist      the program replaced by one of its own subtrees
  shrink     one subtree replaced by a leaf
  insert     one subtree s wrapped: u(s) or b(s, leaf) / b(leaf, s)
  crossover  one subtree replaced by a random subtree of another parent
Records are chosen uniformly within each program; children longer than max_records are
returned as their parents (and flagged). Children can hold constant-only subtrees (insert may
join two constants): the flat form's "already folded" holds again after the caller's
simplification, which folds them exactly as the language defines.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from exprc import ops
from exprc.population import FlatPrograms, flat as fm
from exprc.population import encoding as enc


@dataclass(frozen=True)
class Primitives:
    """What children are built from: ops by arity (opcodes), variables, constant range."""
    unary: np.ndarray
    binary: np.ndarray
    names: tuple[str, ...]
    dtype: str = "float64"
    const_low: float = -2.0
    const_high: float = 2.0

    @staticmethod
    def from_names(operators: Sequence[str], variables: Sequence[str], dtype: str = "float64") -> "Primitives":
        codes = {1: [], 2: []}
        for name in operators:
            op = ops.REGISTRY[ops.FUNCTION_NAMES.get(name, name)]
            if op.arity in codes:
                codes[op.arity].append(enc.OPCODE_OF[op.name])
        return Primitives(np.array(codes[1], dtype=np.int32), np.array(codes[2], dtype=np.int32),
                          tuple(variables), dtype)


def pick_records(progs: FlatPrograms, rng: np.random.Generator, only_ops: bool = False) -> np.ndarray:
    """One record index per program, uniform over its records (over its op records where
    only_ops and it has any; else its root)."""
    n = len(progs)
    if not only_ops:
        return progs.start[:-1] + (rng.random(n) * progs.lengths).astype(np.int64)
    is_op = progs.code >= enc.OP_BASE
    counts = np.add.reduceat(is_op.astype(np.int64), progs.start[:-1]) if len(progs.code) else np.zeros(n, np.int64)
    counts = np.where(progs.lengths > 0, counts, 0)
    op_rec = np.flatnonzero(is_op)
    first = np.searchsorted(op_rec, progs.start[:-1])
    k = (rng.random(n) * np.maximum(counts, 1)).astype(np.int64)
    chosen = op_rec[np.minimum(first + k, max(len(op_rec) - 1, 0))] if len(op_rec) else progs.roots
    return np.where(counts > 0, chosen, progs.roots)


def leaves(prims: Primitives, rng: np.random.Generator, n: int) -> FlatPrograms:
    """n one-record programs: a variable (2/3) or a constant uniform in the primitives' range."""
    is_var = rng.random(n) < 2 / 3 if prims.names else np.zeros(n, bool)
    code = np.where(is_var, enc.LEAF_VAR, enc.LEAF_CONST).astype(np.int32)
    arg = np.where(is_var, rng.integers(0, max(len(prims.names), 1), n), 0).astype(np.int32)
    value = np.where(is_var, 0.0, np.round(rng.uniform(prims.const_low, prims.const_high, n), 3))
    value = value.astype(prims.dtype).astype(np.float64)
    return FlatPrograms(code, arg, value, np.ones(n, np.int32), np.arange(n + 1, dtype=np.int64),
                        prims.names, prims.dtype)


def random_trees(prims: Primitives, rng: np.random.Generator, n: int, depth: int = 2) -> FlatPrograms:
    """n random trees of depth at most `depth` (grow method), built level by level in bulk."""
    out = leaves(prims, rng, n)
    for _ in range(depth):
        grow = rng.random(n) < 0.6
        if not grow.any():
            break
        idx = np.flatnonzero(grow)
        unary = (rng.random(len(idx)) < 0.3) if len(prims.unary) else np.zeros(len(idx), bool)
        if not len(prims.binary):
            unary[:] = True
        kids = out.take(idx)
        other = leaves(prims, rng, len(idx))
        left = rng.random(len(idx)) < 0.5
        opc = np.where(unary, rng.choice(prims.unary, len(idx)) if len(prims.unary) else 0,
                       rng.choice(prims.binary, len(idx)) if len(prims.binary) else 0)
        first = _where_programs(left | unary, kids, other)
        second = _where_programs(left | unary, other, kids)
        grown = join([first, second], opc, use_second=~unary)
        out = _merge(out, idx, grown)
    return out


def _where_programs(mask: np.ndarray, a: FlatPrograms, b: FlatPrograms) -> FlatPrograms:
    """Program k from a where mask[k], else from b."""
    both = fm.concat([a, b])
    index = np.where(mask, np.arange(len(a)), len(a) + np.arange(len(b)))
    return both.take(index)


def _merge(base: FlatPrograms, idx: np.ndarray, new: FlatPrograms) -> FlatPrograms:
    """base with programs idx replaced by new's programs (in order)."""
    both = fm.concat([base, new])
    index = np.arange(len(base))
    index[idx] = len(base) + np.arange(len(new))
    return both.take(index)


def join(parts: Sequence[FlatPrograms], opcodes: np.ndarray, use_second: np.ndarray | None = None) -> FlatPrograms:
    """Program k: parts[0][k] (and parts[1][k] where use_second[k]) then one op record
    opcodes[k] applied to them: u(a) or b(a, b) in postfix."""
    a = parts[0]
    n = len(a)
    b = parts[1] if len(parts) > 1 else None
    use = np.zeros(n, bool) if b is None else (np.ones(n, bool) if use_second is None else use_second)
    op_rec = FlatPrograms(np.asarray(opcodes, np.int32), np.zeros(n, np.int32), np.zeros(n),
                          np.ones(n, np.int32), np.arange(n + 1, dtype=np.int64), a.names, a.dtype)
    pieces = [a] + ([b.with_names(a.names)] if b is not None else []) + [op_rec.with_names(a.names)]
    cat = fm.concat(pieces)
    offs = np.cumsum([0] + [len(p) for p in pieces])
    starts = [cat.start[offs[0]:offs[0] + n]]
    lens = [cat.lengths[offs[0]:offs[0] + n]]
    if b is not None:
        starts.append(cat.start[offs[1]:offs[1] + n])
        lens.append(np.where(use, cat.lengths[offs[1]:offs[1] + n], 0))
    starts.append(cat.start[offs[-2]:offs[-2] + n])
    lens.append(cat.lengths[offs[-2]:offs[-2] + n])
    parts_start = np.stack(starts, axis=1).reshape(-1)
    parts_len = np.stack(lens, axis=1).reshape(-1)
    rec, _ = fm._gather(parts_start, parts_len)
    start = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(parts_len.reshape(n, -1).sum(axis=1), out=start[1:])
    code = cat.code[rec]
    return FlatPrograms(code, cat.arg[rec], cat.value[rec], fm.subtree_sizes(code, start), start,
                        cat.names, a.dtype)


# ---------------------------------------------------------------------------- operators

def point(progs: FlatPrograms, prims: Primitives, rng: np.random.Generator) -> FlatPrograms:
    progs = progs.with_names(prims.names)         # the primitives' variables are names 0..k-1
    rec = pick_records(progs, rng)
    code, arg, value = progs.code.copy(), progs.arg.copy(), progs.value.copy()
    c = code[rec]
    ar = enc.ARITY[c]
    for arity, pool in ((1, prims.unary), (2, prims.binary)):
        sel = (ar == arity) & (c >= enc.OP_BASE)
        if sel.any() and len(pool):
            code[rec[sel]] = rng.choice(pool, int(sel.sum()))
    var = c == enc.LEAF_VAR
    if var.any() and prims.names:
        arg[rec[var]] = rng.integers(0, len(prims.names), int(var.sum()))
    const = c == enc.LEAF_CONST
    if const.any():
        scaled = value[rec[const]] * rng.normal(1.0, 0.2, int(const.sum()))
        value[rec[const]] = np.asarray(scaled, dtype=prims.dtype).astype(np.float64)
    return FlatPrograms(code, arg, value, progs.size, progs.start, progs.names, progs.dtype)


def subtree(progs: FlatPrograms, prims: Primitives, rng: np.random.Generator, depth: int = 2) -> FlatPrograms:
    rec = pick_records(progs, rng)
    return progs.replace(rec, random_trees(prims, rng, len(progs), depth))


def hoist(progs: FlatPrograms, rng: np.random.Generator) -> FlatPrograms:
    return progs.subtrees(pick_records(progs, rng, only_ops=True))


def shrink(progs: FlatPrograms, prims: Primitives, rng: np.random.Generator) -> FlatPrograms:
    return progs.replace(pick_records(progs, rng, only_ops=True), leaves(prims, rng, len(progs)))


def insert(progs: FlatPrograms, prims: Primitives, rng: np.random.Generator) -> FlatPrograms:
    rec = pick_records(progs, rng)
    n = len(progs)
    sub = progs.subtrees(rec)
    leaf = leaves(prims, rng, n).with_names(progs.names)
    unary = (rng.random(n) < 0.4) if len(prims.unary) else np.zeros(n, bool)
    if not len(prims.binary):
        unary[:] = True
    left = rng.random(n) < 0.5
    opc = np.where(unary, rng.choice(prims.unary, n) if len(prims.unary) else 0,
                   rng.choice(prims.binary, n) if len(prims.binary) else 0)
    first = _where_programs(left | unary, sub, leaf)
    second = _where_programs(left | unary, leaf, sub)
    return progs.replace(rec, join([first, second], opc, use_second=~unary))


def crossover(progs: FlatPrograms, donors: FlatPrograms, rng: np.random.Generator) -> FlatPrograms:
    """Child k: progs[k] with a random subtree replaced by a random subtree of donors[k]."""
    return progs.replace(pick_records(progs, rng), donors.subtrees(pick_records(donors, rng)))


def limit(children: FlatPrograms, parents: FlatPrograms, max_records: int) -> tuple[FlatPrograms, np.ndarray]:
    """Children longer than max_records replaced by their parents; and which were kept."""
    ok = children.lengths <= max_records
    if ok.all():
        return children, ok
    both = fm.concat([children, parents.with_names(children.names)])
    index = np.where(ok, np.arange(len(children)), len(children) + np.arange(len(parents)))
    return both.take(index), ok


def unique(progs: FlatPrograms) -> tuple[FlatPrograms, np.ndarray]:
    """The structurally distinct programs (first of each) and, per input, its index among them."""
    h = progs.hashes()
    _, first, inverse = np.unique(h, return_index=True, return_inverse=True)
    order = np.argsort(first, kind="stable")
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))
    return progs.take(first[order]), rank[inverse]
