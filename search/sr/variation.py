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

from dataclasses import dataclass, field
from typing import Sequence

import numpy as np

from exprc import ir, ops
from exprc.population import FlatPrograms, flat as fm
from exprc.population import encoding as enc


# A custom operator's parameters start here (not 1: k * a with k = 1 would be simplified to a
# before k is fitted).
CUSTOM_PARAMETER_START = 1.1


@dataclass(frozen=True)
class Primitives:
    """What children are built from: ops by arity (opcodes; a custom operator is -1 - its index
    in templates: its definition, instantiated over the arguments, in rewrite's postfix form),
    variables, constant range."""
    unary: np.ndarray
    binary: np.ndarray
    names: tuple[str, ...]
    dtype: str = "float64"
    const_low: float = -2.0
    const_high: float = 2.0
    ternary: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int32))
    templates: tuple = ()

    @staticmethod
    def from_operators(operators, variables: Sequence[str], dtype: str = "float64") -> "Primitives":
        """From search/sr/engine.Operator objects (registry ops and custom definitions)."""
        from exprc.population.rewrite import postfix
        codes: dict[int, list[int]] = {1: [], 2: [], 3: []}
        templates = []
        for o in operators:
            if o.op is not None:
                codes[o.arity].append(enc.OPCODE_OF[o.op])
                continue
            body = ir.substitute([o.body], {a: ir.var(v, o.body.dtype) for a, v in zip(o.args, "abc")})[0]
            codes[o.arity].append(-1 - len(templates))
            templates.append(postfix(body, parameter_value=CUSTOM_PARAMETER_START))
        arr = lambda k: np.array(codes[k], dtype=np.int32)  # noqa: E731
        return Primitives(arr(1), arr(2), tuple(variables), dtype, ternary=arr(3), templates=tuple(templates))

    def pool(self, arity: int) -> np.ndarray:
        return (self.unary, self.binary, self.ternary)[arity - 1]

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
    counts = progs.count_per_program(is_op)
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


_ARITY_WEIGHT = np.array([0.3, 0.6, 0.1])     # unary, binary, ternary (over the arities on offer)


def random_ops(prims: Primitives, rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """n random operators (opcodes) and their arities."""
    have = np.array([len(prims.pool(k)) > 0 for k in (1, 2, 3)])
    if not have.any():
        raise ValueError("no operators")
    w = np.where(have, _ARITY_WEIGHT, 0.0)
    arity = rng.choice(3, n, p=w / w.sum()) + 1
    opc = np.zeros(n, dtype=np.int32)
    for k in (1, 2, 3):
        sel = arity == k
        if sel.any():
            opc[sel] = rng.choice(prims.pool(k), int(sel.sum()))
    return opc, arity


def wrap_random(sub: FlatPrograms, prims: Primitives, rng: np.random.Generator) -> FlatPrograms:
    """Each program made an argument (at a random position) of a random operator whose other
    arguments are new leaves."""
    n = len(sub)
    opc, arity = random_ops(prims, rng, n)
    pos = (rng.random(n) * arity).astype(np.int64)
    args = [_where_programs(pos == j, sub, leaves(prims, rng, n).with_names(sub.names)) for j in range(3)]
    return join(args, opc, prims=prims, arity=arity)


def random_trees(prims: Primitives, rng: np.random.Generator, n: int, depth: int = 2) -> FlatPrograms:
    """n random trees of depth at most `depth` (grow method), built level by level in bulk."""
    out = leaves(prims, rng, n)
    for _ in range(depth):
        grow = rng.random(n) < 0.6
        if not grow.any():
            break
        idx = np.flatnonzero(grow)
        out = out.with_programs(idx, wrap_random(out.take(idx), prims, rng))
    return out


def _where_programs(mask: np.ndarray, a: FlatPrograms, b: FlatPrograms) -> FlatPrograms:
    """Program k from a where mask[k], else from b."""
    both = fm.concat([a, b])
    index = np.where(mask, np.arange(len(a)), len(a) + np.arange(len(b)))
    return both.take(index)


def join(parts: Sequence[FlatPrograms], opcodes: np.ndarray, prims: "Primitives | None" = None,
         arity: np.ndarray | None = None) -> FlatPrograms:
    """Program k: op opcodes[k] applied to parts[0][k], ..., parts[arity[k] - 1][k] (u(a),
    b(a, b), t(a, b, c) in postfix; without arity, every part). A negative opcode is one of
    prims' custom operators, instantiated over the arguments."""
    n = len(parts[0])
    opcodes = np.asarray(opcodes, dtype=np.int32)
    if arity is None:
        arity = np.full(n, len(parts), np.int64)
    names = parts[0].names
    parts = [p.with_names(names) if p.names != names else p for p in parts]
    custom = opcodes < 0
    builtin = np.flatnonzero(~custom)
    out = _join_builtin([p.take(builtin) for p in parts], opcodes[builtin], arity[builtin])
    if custom.any():
        from exprc.population.rewrite import instantiate
        pieces, where = [out], [builtin]
        for t in np.unique(opcodes[custom]):
            idx = np.flatnonzero(opcodes == t)
            template = prims.templates[-1 - int(t)]
            k = int(arity[idx[0]])
            src = fm.concat([p.take(idx) for p in parts[:k]])
            roots = src.roots.reshape(k, len(idx))
            pieces.append(instantiate(src, template, {v: roots[j] for j, v in enumerate("abc"[:k])}, len(idx)))
            where.append(idx)
        order = np.empty(n, dtype=np.int64)
        order[np.concatenate(where)] = np.arange(n)
        out = fm.concat(pieces).take(order)
    return out


def _join_builtin(parts: Sequence[FlatPrograms], opcodes: np.ndarray, arity: np.ndarray) -> FlatPrograms:
    a = parts[0]
    n = len(a)
    if not n:
        return fm.empty(a.dtype, a.names)
    op_rec = FlatPrograms(np.asarray(opcodes, np.int32), np.zeros(n, np.int32), np.zeros(n),
                          np.ones(n, np.int32), np.arange(n + 1, dtype=np.int64), a.names, a.dtype)
    pieces = list(parts) + [op_rec]
    cat = fm.concat(pieces)
    offs = np.cumsum([0] + [len(p) for p in pieces])
    starts, lens = [], []
    for j in range(len(pieces)):
        starts.append(cat.start[offs[j]:offs[j] + n])
        ln = cat.lengths[offs[j]:offs[j] + n]
        lens.append(ln if j == len(parts) else np.where(arity > j, ln, 0))
    parts_start = np.stack(starts, axis=1).reshape(-1)
    parts_len = np.stack(lens, axis=1).reshape(-1)
    rec, _ = fm.gather_ranges(parts_start, parts_len)
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
    for arity in (1, 2, 3):
        pool = prims.pool(arity)
        pool = pool[pool >= 0]                     # custom operators are expanded, not one record
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
    return progs.replace(rec, wrap_random(progs.subtrees(rec), prims, rng))


def scale(progs: FlatPrograms, prims: Primitives, rng: np.random.Generator) -> FlatPrograms:
    """One subtree s becomes k * s (k near 1) or s + k (k near 0): close to neutral until the
    new constant is fitted (exactly 1 or 0 would be simplified away before it is)."""
    rec = pick_records(progs, rng)
    n = len(progs)
    sub = progs.subtrees(rec)
    times = rng.random(n) < 0.6
    const = FlatPrograms(np.full(n, enc.LEAF_CONST, np.int32), np.zeros(n, np.int32),
                         np.round(np.where(times, 1.0, 0.0) + rng.choice([-1, 1], n) * rng.uniform(0.05, 0.2, n), 3),
                         np.ones(n, np.int32), np.arange(n + 1, dtype=np.int64),
                         progs.names, progs.dtype)
    first = _where_programs(times, const, sub)
    second = _where_programs(times, sub, const)
    opc = np.where(times, enc.OPCODE_OF["mul"], enc.OPCODE_OF["add"])
    return progs.replace(rec, join([first, second], opc, arity=np.full(n, 2)))


# (mutation, relative weight)
MUTATIONS = ((point, 1.0), (subtree, 1.0), (insert, 1.0), (shrink, 0.6),
             (lambda progs, prims, rng: hoist(progs, rng), 0.3), (scale, 0.4))
MUTATION_P = np.array([w for _, w in MUTATIONS]) / sum(w for _, w in MUTATIONS)


def mutate(progs: FlatPrograms, prims: Primitives, rng: np.random.Generator) -> FlatPrograms:
    """One mutation per program, its kind drawn from MUTATION_P."""
    kind = rng.choice(len(MUTATIONS), len(progs), p=MUTATION_P)
    out = progs.with_names(prims.names)
    for k, (operator, _) in enumerate(MUTATIONS):
        idx = np.flatnonzero(kind == k)
        if len(idx):
            out = out.with_programs(idx, operator(out.take(idx), prims, rng))
    return out


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
