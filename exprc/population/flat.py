"""The flat program form: many expressions as postfix arrays, built and edited in bulk.

One record per tree node, programs back to back (structure of arrays):
  code   int32   encoding.LEAF_VAR / LEAF_CONST / LEAF_PARAM, or OP_BASE + k for OPCODES[k]
  arg    int32   for a variable or parameter, its index in `names`; 0 otherwise
  value  float64 a constant's value in the programs' dtype (a float32 value is exact in float64)
  size   int32   records in the node's subtree, itself included
Program i is records start[i]:start[i + 1]; its root is the last. Constant-only subtrees are
already folded (exactly, as the language defines), so this is the program the kernel runs.

Why arrays: a search creates, hashes, mutates and scores thousands of candidates per second;
with records in numpy every one of those steps is a few array operations for the whole batch,
never a Python object per node. The IR stays the form for single expressions and codegen
(to_nodes / from_nodes convert for the few programs that need it).
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from .. import ir, ops
from ..dtypes import BOOL, normalize_dtype
from ..errors import ExprcError
from . import encoding as enc


@dataclass(eq=False)
class FlatPrograms:
    code: np.ndarray
    arg: np.ndarray
    value: np.ndarray
    size: np.ndarray
    start: np.ndarray
    names: tuple[str, ...]
    dtype: str

    # ------------------------------------------------------------------ shape
    def __len__(self) -> int:
        return len(self.start) - 1

    @property
    def lengths(self) -> np.ndarray:
        return np.diff(self.start)

    @property
    def roots(self) -> np.ndarray:
        """Record index of each program's root."""
        return self.start[1:] - 1

    def count_per_program(self, mask: np.ndarray) -> np.ndarray:
        """How many records of each program have mask set."""
        c = np.concatenate([[0], np.cumsum(mask, dtype=np.int64)])
        return c[self.start[1:]] - c[self.start[:-1]]

    def operands(self, records: np.ndarray, arity: int) -> list[np.ndarray]:
        """The records producing the operands of op records (all of that arity), first to
        last: the last operand is the previous record, each earlier one ends just before the
        subtree of the operand after it."""
        size = self.size.astype(np.int64)
        kids = [np.asarray(records, dtype=np.int64) - 1]
        for _ in range(arity - 1):
            kids.insert(0, kids[0] - size[np.maximum(kids[0], 0)])
        return kids

    def program_of(self) -> np.ndarray:
        """Program index of every record."""
        return np.repeat(np.arange(len(self), dtype=np.int64), self.lengths)

    def check(self) -> None:
        """Refuse programs the kernels cannot address (every index is int32)."""
        if len(self) and int(self.lengths.max()) > enc.MAX_PROGRAM_RECORDS:
            raise ExprcError(f"a program has {int(self.lengths.max()):,} nodes; the population engine "
                             f"takes at most {enc.MAX_PROGRAM_RECORDS:,} per program")

    # ------------------------------------------------------------------ hashing
    def node_hashes(self) -> np.ndarray:
        """A structural hash (uint64) of every record's subtree: equal subtrees hash equal in
        any program and any process (names hash by their text, constants by their bits)."""
        name_h = np.array([_stable_hash(n) for n in self.names] or [0], dtype=np.uint64)
        is_name = (self.code == enc.LEAF_VAR) | (self.code == enc.LEAF_PARAM)
        arg_h = np.where(is_name, name_h[np.where(is_name, self.arg, 0)], np.uint64(0))
        vbits = np.where(self.code == enc.LEAF_CONST, self.value, 0.0).view(np.uint64)
        with np.errstate(over="ignore"):
            r = _mix(self.code.astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15) ^ arg_h ^ _mix(vbits))
            n = len(r)
            powers = _powers(n + 1)
            inv = _inv_powers(n + 1)
            prefix = np.zeros(n + 1, dtype=np.uint64)
            np.cumsum(r * inv[:n], out=prefix[1:])
            idx = np.arange(n)
            first = idx - self.size + 1
            return (prefix[idx + 1] - prefix[first]) * powers[idx]

    def hashes(self) -> np.ndarray:
        """One structural hash per program (for deduplication and caches)."""
        return self.node_hashes()[self.roots] if len(self) else np.zeros(0, dtype=np.uint64)

    # ------------------------------------------------------------------ selection and editing
    def take(self, index) -> "FlatPrograms":
        """The programs at index (in that order; repeats allowed)."""
        index = np.asarray(index, dtype=np.int64).reshape(-1)
        rec, start = gather_ranges(self.start[index], self.lengths[index])
        return FlatPrograms(self.code[rec], self.arg[rec], self.value[rec], self.size[rec], start,
                            self.names, self.dtype)

    def subtrees(self, records) -> "FlatPrograms":
        """The subtrees rooted at the given record indices, one program each."""
        records = np.asarray(records, dtype=np.int64).reshape(-1)
        size = self.size[records].astype(np.int64)
        rec, start = gather_ranges(records - size + 1, size)
        return FlatPrograms(self.code[rec], self.arg[rec], self.value[rec], self.size[rec], start,
                            self.names, self.dtype)

    def with_programs(self, index, new: "FlatPrograms") -> "FlatPrograms":
        """These programs with those at index replaced by new's programs (in order)."""
        both = concat([self, new.with_names(self.names) if new.names != self.names else new])
        order = np.arange(len(self))
        order[np.asarray(index, dtype=np.int64)] = len(self) + np.arange(len(new))
        return both.take(order)

    def replace(self, records, donors: "FlatPrograms") -> "FlatPrograms":
        """One new program per entry: the program holding records[k] with that record's
        subtree replaced by donors' program k. Ancestors' sizes are recomputed."""
        records = np.asarray(records, dtype=np.int64).reshape(-1)
        if len(donors) != len(records):
            raise ExprcError("replace needs one donor program per record")
        donors = donors.with_names(self.names) if donors.names != self.names else donors
        prog = np.searchsorted(self.start, records, side="right") - 1
        s0, e0 = self.start[prog], self.start[prog + 1]
        first = records - self.size[records] + 1
        # each new program: host[s0:first] + donor + host[records + 1:e0]
        parts_start = np.stack([s0, donors.start[:-1] + len(self.code), records + 1], axis=1).reshape(-1)
        parts_len = np.stack([first - s0, donors.lengths, e0 - records - 1], axis=1).reshape(-1)
        rec, _ = gather_ranges(parts_start, parts_len)
        cat = lambda a, b: np.concatenate([a, b])  # noqa: E731
        lengths = parts_len.reshape(-1, 3).sum(axis=1)
        start = np.zeros(len(records) + 1, dtype=np.int64)
        np.cumsum(lengths, out=start[1:])
        code = cat(self.code, donors.code)[rec]
        return FlatPrograms(code, cat(self.arg, donors.arg)[rec], cat(self.value, donors.value)[rec],
                            subtree_sizes(code, start), start, self.names, self.dtype)

    def with_names(self, names: Sequence[str]) -> "FlatPrograms":
        """The same programs with argument indices into another names table (extended as needed)."""
        table = list(names)
        where = {n: k for k, n in enumerate(table)}
        remap = np.empty(max(1, len(self.names)), dtype=np.int32)
        for k, n in enumerate(self.names):
            j = where.get(n)
            if j is None:
                j = where[n] = len(table)
                table.append(n)
            remap[k] = j
        is_name = (self.code == enc.LEAF_VAR) | (self.code == enc.LEAF_PARAM)
        arg = np.where(is_name, remap[np.where(is_name, self.arg, 0)], self.arg).astype(np.int32)
        return FlatPrograms(self.code, arg, self.value, self.size, self.start, tuple(table), self.dtype)

    # ------------------------------------------------------------------ leaves
    def parameter_slots(self) -> tuple[np.ndarray, list[tuple[str, ...]]]:
        """Each parameter record's index in its program's parameter vector, and each program's
        parameter names in order of first appearance (reading the text left to right)."""
        is_param = self.code == enc.LEAF_PARAM
        slot = np.zeros(len(self.code), dtype=np.int64)
        names: list[tuple[str, ...]] = [()] * len(self)
        if not is_param.any():
            return slot, names
        where = np.flatnonzero(is_param)
        prog = np.searchsorted(self.start, where, side="right") - 1
        key = prog * (len(self.names) + 1) + self.arg[where]
        uniq, first, inverse = np.unique(key, return_index=True, return_inverse=True)
        order = np.argsort(first, kind="stable")          # first appearances, program by program
        rank_of = np.empty(len(uniq), dtype=np.int64)
        uprog = uniq[order] // (len(self.names) + 1)
        counts = np.bincount(uprog, minlength=len(self))
        offsets = np.concatenate([[0], np.cumsum(counts)[:-1]])
        rank_of[order] = np.arange(len(uniq)) - offsets[uprog]
        slot[where] = rank_of[inverse]
        arg_sorted = (uniq[order] % (len(self.names) + 1)).tolist()
        ends = np.cumsum(counts).tolist()
        begin = 0
        for p in np.flatnonzero(counts).tolist():
            end = ends[p]
            begin = end - int(counts[p])
            names[p] = tuple(self.names[a] for a in arg_sorted[begin:end])
        return slot, names

    def variable_names(self) -> tuple[str, ...]:
        """The variable names used anywhere in the batch."""
        used = np.unique(self.arg[self.code == enc.LEAF_VAR])
        return tuple(self.names[i] for i in used.tolist())

    # ------------------------------------------------------------------ IR conversion
    def to_nodes(self) -> list[ir.Node]:
        """IR nodes, one per program (for printing and code generation of the few)."""
        d = self.dtype
        leaf_of = {enc.LEAF_VAR: lambda a, v: ir.var(self.names[a], d),
                   enc.LEAF_PARAM: lambda a, v: ir.param(self.names[a], d),
                   enc.LEAF_CONST: lambda a, v: ir.const(v, d)}
        out = []
        code, arg, value = self.code.tolist(), self.arg.tolist(), self.value.tolist()
        for p in range(len(self)):
            stack: list[ir.Node] = []
            for k in range(int(self.start[p]), int(self.start[p + 1])):
                c = code[k]
                if c < enc.OP_BASE:
                    stack.append(leaf_of[c](arg[k], value[k]))
                    continue
                n = int(enc.ARITY[c])
                args = stack[len(stack) - n:]
                del stack[len(stack) - n:]
                stack.append(ir.apply(enc.OPCODES[c - enc.OP_BASE], *args))
            out.append(stack[0])
        return out

    def to_text(self) -> list[str]:
        return [str(n) for n in self.to_nodes()]

    def equal(self, other: "FlatPrograms") -> bool:
        """Record-for-record equality (names compared by text, constants by bits, NaNs alike)."""
        if len(self) != len(other) or not np.array_equal(self.start, other.start):
            return False
        o = other.with_names(self.names) if other.names != self.names else other
        return (np.array_equal(self.code, o.code) and np.array_equal(self.size, o.size)
                and np.array_equal(np.where(_is_name(self.code), self.arg, 0), np.where(_is_name(o.code), o.arg, 0))
                and _same_values(self.value, o.value))


def _same_values(a: np.ndarray, b: np.ndarray) -> bool:
    """Bit-equal, except that every NaN is alike (as the IR's hash-consing treats them)."""
    nan = np.isnan(a)
    return bool(np.array_equal(nan, np.isnan(b)) and np.array_equal(a[~nan].view(np.uint64), b[~nan].view(np.uint64)))


def _is_name(code: np.ndarray) -> np.ndarray:
    return (code == enc.LEAF_VAR) | (code == enc.LEAF_PARAM)


# ---------------------------------------------------------------------------- building

def empty(dtype: str, names: Sequence[str] = ()) -> FlatPrograms:
    z = np.zeros(0, dtype=np.int32)
    return FlatPrograms(z, z.copy(), np.zeros(0), z.copy(), np.zeros(1, dtype=np.int64), tuple(names),
                        normalize_dtype(dtype))


def concat(batches: Sequence[FlatPrograms], dtype: str | None = None) -> FlatPrograms:
    """Several batches as one (names tables merged)."""
    batches = [b for b in batches]
    if not batches:
        return empty(dtype or "float64")
    d = batches[0].dtype
    names: tuple[str, ...] = batches[0].names
    for b in batches[1:]:
        if b.dtype != d:
            raise ExprcError(f"cannot combine {b.dtype} and {d} programs")
        if b.names != names:
            names = b.with_names(names).names
    batches = [b if b.names == names else b.with_names(names) for b in batches]
    starts = [batches[0].start]
    off = batches[0].start[-1]
    for b in batches[1:]:
        starts.append(b.start[1:] + off)
        off += b.start[-1]
    cat = lambda f: np.concatenate([getattr(b, f) for b in batches])  # noqa: E731
    return FlatPrograms(cat("code"), cat("arg"), cat("value"), cat("size"), np.concatenate(starts),
                        names, d)


def subtree_sizes(code: np.ndarray, start: np.ndarray) -> np.ndarray:
    """Subtree sizes from codes alone: in postfix, node k's subtree begins just after the last
    earlier record where the value stack was one shorter than after k."""
    from .scan import prev_at_most
    if len(code) == 0:
        return np.zeros(0, dtype=np.int32)
    depth = np.cumsum(1 - enc.ARITY[code])
    k = np.arange(len(code))
    before = prev_at_most(depth, k, depth - 1)
    return (k - before).astype(np.int32)


def from_nodes(nodes: Sequence[ir.Node], dtype) -> FlatPrograms:
    """Flat programs from IR nodes, visiting each distinct node once (a shared subtree is copied
    as records, not walked again). Constant-only subtrees are folded as the language defines."""
    d = normalize_dtype(dtype)
    names: dict[str, int] = {}
    code: list[int] = []
    arg: list[int] = []
    value: list[float] = []
    size: list[int] = []
    starts = [0]
    span: dict[int, tuple[int, int]] = {}      # node id -> its records already emitted
    folded: dict[int, float] = {}
    keep = []                                  # nodes made here stay alive while ids are keys

    def const_value(n: ir.Node) -> float:
        v = folded.get(id(n))
        if v is None:
            v = folded[id(n)] = constant_value(n, d, keep)
        return v

    for root in nodes:
        if not isinstance(root, ir.Node):
            raise ExprcError(f"a candidate must be an exprc node, not {type(root).__name__}")
        stack = [(root, False)]
        while stack:
            n, done = stack.pop()
            seen = span.get(id(n))
            if seen is not None:
                a, b = seen
                base = len(code)
                code.extend(code[a:b]); arg.extend(arg[a:b]); value.extend(value[a:b]); size.extend(size[a:b])  # noqa: E702
                span[id(n)] = (base, len(code))
                continue
            if n.op == ir.VAR or n.op == ir.PARAM:
                i = names.setdefault(n.value, len(names))
                span[id(n)] = (len(code), len(code) + 1)
                code.append(enc.LEAF_VAR if n.op == ir.VAR else enc.LEAF_PARAM); arg.append(i); value.append(0.0); size.append(1)  # noqa: E702,E501
                continue
            if not n.args or n.flags & ir.CONSTANT_ONLY:
                span[id(n)] = (len(code), len(code) + 1)
                code.append(enc.LEAF_CONST); arg.append(0); value.append(const_value(n)); size.append(1)  # noqa: E702
                continue
            if not done:
                stack.append((n, True))
                stack.extend((a, False) for a in reversed(n.args))
                continue
            c = enc.OPCODE_OF.get(n.op)
            if c is None:
                raise ExprcError(f"the population engine cannot evaluate {n.op!r}")
            total = 1 + sum(size[span[id(a)][1] - 1] for a in n.args)
            span[id(n)] = (len(code) + 1 - total, len(code) + 1)
            code.append(c); arg.append(0); value.append(0.0); size.append(total)  # noqa: E702
        starts.append(len(code))
        span.clear()        # records are copied within one program only (positions stay local)
    flat = FlatPrograms(np.array(code, dtype=np.int32), np.array(arg, dtype=np.int32),
                        np.array(value, dtype=np.float64), np.array(size, dtype=np.int32),
                        np.array(starts, dtype=np.int64), tuple(names), d)
    flat.check()
    return flat


def constant_value(n: ir.Node, dtype: str, keep: list) -> float:
    """The value a constant-only subtree (or named constant) has in a program of dtype, as the
    kernel will see it: folded exactly, rounded once."""
    from ..numbers import round_value
    from ..passes.fold import fold
    if n.op != ir.CONST:
        if n.dtype not in (dtype, BOOL) or any(m.dtype not in (dtype, BOOL) for m in ir.topo([n]) if not m.args):
            n = ir.retype(n, dtype)
        n = fold([n])[0]
        keep.append(n)
    v = n.value
    if isinstance(v, bool):
        return 1.0 if v else 0.0
    return float(round_value(v, dtype))


# ---------------------------------------------------------------------------- helpers

def gather_ranges(starts: np.ndarray, lengths: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Indices of the concatenated ranges [starts[k], starts[k] + lengths[k]) and their offsets."""
    lengths = np.asarray(lengths, dtype=np.int64)
    offsets = np.zeros(len(lengths) + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    idx = np.arange(offsets[-1], dtype=np.int64)
    idx += np.repeat(np.asarray(starts, dtype=np.int64) - offsets[:-1], lengths)
    return idx, offsets


_HASH_BASE = np.uint64(0x100000001B3)


def _powers(n: int) -> np.ndarray:
    with np.errstate(over="ignore"):
        p = np.full(n, _HASH_BASE, dtype=np.uint64)
        p[0] = 1
        return np.cumprod(p, dtype=np.uint64)


def _inv_powers(n: int) -> np.ndarray:
    inv = np.uint64(pow(int(_HASH_BASE), -1, 1 << 64))
    with np.errstate(over="ignore"):
        p = np.full(n, inv, dtype=np.uint64)
        p[0] = 1
        return np.cumprod(p, dtype=np.uint64)


def _mix(x: np.ndarray) -> np.ndarray:
    """splitmix64's finalizer: every input bit reaches every output bit."""
    with np.errstate(over="ignore"):
        x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return x ^ (x >> np.uint64(31))


def _stable_hash(name: str) -> int:
    return int.from_bytes(hashlib.blake2b(name.encode(), digest_size=8).digest(), "little")


def opcode(name: str) -> int:
    """The opcode of a registry op (an ExprcError for ops the engine cannot run)."""
    c = enc.OPCODE_OF.get(name)
    if c is None:
        kind = ops.REGISTRY[name].kind if name in ops.REGISTRY else "unknown"
        raise ExprcError(f"the population engine cannot evaluate {name!r} ({kind})")
    return c
