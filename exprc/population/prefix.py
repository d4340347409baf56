"""Many prefix token lists (what neural symbolic-regression models emit) to flat programs.

The reference is exprc.prefix.from_prefix; this path gives exactly its program (after
constant folding) without building IR. Each distinct token is resolved once; the tree comes
from the open-operand count: node k's subtree ends at the first later token where the count
of operands still owed drops below its value before k (a nearest-smaller-value query), and
postfix order is a sort by (where the subtree ends, innermost first). Lists the fast path does
not take (comparisons and selects, constant subexpressions other than a negated number,
malformed lists) go through from_prefix, which also reports the errors.
"""
from __future__ import annotations

from itertools import chain
from typing import Sequence

import numpy as np

from .. import ir, ops
from ..dtypes import normalize_dtype
from . import encoding as enc
from . import flat as flatmod
from .flat import FlatPrograms
from .scan import MinTable

CHUNK = 50_000

# token roles
R_LEAF, R_OP, R_INV, R_POWN, R_SLOW = range(5)


def parse_prefix_many(token_lists: Sequence, dtype="float64", parameters: Sequence[str] = ()
                      ) -> tuple[FlatPrograms, np.ndarray]:
    """Flat programs for prefix token lists and each list's node count before folding."""
    d = normalize_dtype(dtype)
    lists = [t.split() if isinstance(t, str) else [str(x) for x in t] for t in token_lists]
    batches, sizes = [], []
    for lo in range(0, len(lists), CHUNK):
        f, s = _chunk(lists[lo:lo + CHUNK], d, frozenset(parameters))
        batches.append(f)
        sizes.append(s)
    if not batches:
        return flatmod.empty(d), np.zeros(0, dtype=np.int64)
    return flatmod.concat(batches), np.concatenate(sizes)


def _merge_integers(tokens: list[str]) -> list[str] | None:
    """INT+ 1 2 -> '12' (Lample & Charton's digit encoding); None if malformed."""
    out, i = [], 0
    while i < len(tokens):
        t = tokens[i]
        if t in ("INT+", "INT-"):
            j = i + 1
            while j < len(tokens) and len(tokens[j]) == 1 and tokens[j].isdigit():
                j += 1
            if j == i + 1:
                return None
            out.append(("-" if t == "INT-" else "") + str(int("".join(tokens[i + 1:j]))))
            i = j
            continue
        out.append(t)
        i += 1
    return out


class _Resolver:
    """What each distinct token means, decided once (the rules of exprc.prefix.from_prefix)."""

    def __init__(self, dtype: str, params: frozenset):
        self.dtype, self.params = dtype, params
        self.names: dict[str, int] = {}
        self.keep: list = []

    def __call__(self, tok: str) -> tuple:
        """(role, code, arity, value, arg, extra constant)"""
        from ..parser import _constant, resolve_function
        from ..prefix import _SHORTHANDS, _number
        d = self.dtype
        if tok in _SHORTHANDS and resolve_function(tok) in (None, "neg"):
            if tok == "neg":
                return (R_OP, enc.OPCODE_OF["neg"], 1, 0.0, 0, 0.0)
            if tok == "inv":
                return (R_INV, enc.OPCODE_OF["div"], 1, 0.0, 0, 1.0)
            power = 2 if tok == "sqr" else int(tok[3:])
            return (R_POWN, enc.OPCODE_OF["pow"], 1, 0.0, 0, float(power))
        opname = resolve_function(tok)
        if opname is not None:
            op = ops.REGISTRY[opname]
            if op.kind != ops.ARITH or opname not in enc.OPCODE_OF:
                return (R_SLOW, 0, 0, 0.0, 0, 0.0)
            return (R_OP, enc.OPCODE_OF[opname], op.arity, 0.0, 0, 0.0)
        value = _number(tok)
        node = ir.const(value, d) if value is not None else _constant(tok, d)
        if node is not None:
            return (R_LEAF, enc.LEAF_CONST, 0, flatmod.constant_value(node, d, self.keep), 0, 0.0)
        if tok.startswith("$"):
            return (R_LEAF, enc.LEAF_PARAM, 0, 0.0, self.names.setdefault(tok[1:], len(self.names)), 0.0)
        if tok.isidentifier():
            code = enc.LEAF_PARAM if tok in self.params else enc.LEAF_VAR
            return (R_LEAF, code, 0, 0.0, self.names.setdefault(tok, len(self.names)), 0.0)
        return (R_SLOW, 0, 0, 0.0, 0, 0.0)


def _chunk(lists: list[list[str]], dtype: str, params: frozenset) -> tuple[FlatPrograms, np.ndarray]:
    n = len(lists)
    original = list(lists)          # the reference path reports errors at the tokens as given
    lists = list(lists)
    ok = np.ones(n, dtype=bool)
    for i, toks in enumerate(original):
        if "INT+" in toks or "INT-" in toks:
            merged = _merge_integers(toks)
            if merged is None:
                ok[i] = False
            else:
                lists[i] = merged
        if not toks:
            ok[i] = False
    lengths = np.fromiter((len(t) if o else 0 for t, o in zip(lists, ok)), dtype=np.int64, count=n)
    tokens = list(chain.from_iterable(t for t, o in zip(lists, ok) if o))
    resolve = _Resolver(dtype, params)
    distinct = {t: k for k, t in enumerate(dict.fromkeys(tokens))}
    info = np.array([resolve(t) for t in distinct] or [(R_SLOW, 0, 0, 0.0, 0, 0.0)],
                    dtype=[("role", "i1"), ("code", "i4"), ("arity", "i8"), ("value", "f8"), ("arg", "i4"),
                           ("extra", "f8")])
    tid = np.fromiter((distinct[t] for t in tokens), dtype=np.int64, count=len(tokens))
    tok = info[tid]
    role, arity = tok["role"], tok["arity"]
    ntok = len(tokens)
    start = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(lengths, out=start[1:])
    list_of = np.repeat(np.arange(n), lengths)
    bad = ~ok
    bad[list_of[role == R_SLOW]] = True

    # open-operand count: C[j] = sum over tokens <= j of (arity - 1); a list is one expression
    # when the count owed (1 + C - C before the list) stays >= 1 and ends at 0
    C = np.cumsum(arity - 1)
    before = np.concatenate([[0], C])[start[:-1]]          # C just before each list
    owed = 1 + C - np.repeat(before, lengths)
    nonempty = lengths > 0
    last = start[1:] - 1
    owed_before_last = owed.copy()
    owed_before_last[last[nonempty]] = np.iinfo(np.int64).max
    low = np.ones(n, dtype=np.int64)
    if nonempty.any():
        low[nonempty] = np.minimum.reduceat(owed_before_last, start[:-1][nonempty])
    end_owed = np.zeros(n, dtype=np.int64)
    end_owed[nonempty] = owed[last[nonempty]]
    bad |= ~nonempty | (end_owed != 0) | (low < 1)
    live = ~bad[list_of]

    # subtree ends: first j >= k where C drops to C[k - 1] - 1
    pos = np.arange(ntok)
    Cprev = np.concatenate([[0], C[:-1]])
    span = int(lengths.max(initial=1)) + 2
    end = MinTable(C, span).next_at_most(pos - 1, Cprev - 1) if ntok else pos
    end = np.minimum(end, np.maximum(ntok - 1, 0))
    # the first leaf after each token (an `inv` puts its 1 before its operand's first record)
    is_leaf_tok = arity == 0
    nxt = np.where(is_leaf_tok, pos, ntok)
    next_leaf = np.minimum.accumulate(nxt[::-1])[::-1]
    first_leaf = np.concatenate([next_leaf[1:], [ntok]])

    # constant-only subtrees: a negated number folds here, anything else takes the exact path
    code_t = tok["code"]
    value_t = tok["value"].copy()
    var_leaf = np.concatenate([[0], np.cumsum((role == R_LEAF) & (code_t != enc.LEAF_CONST))])
    extra = (role == R_INV) | (role == R_POWN)
    records = np.concatenate([[0], np.cumsum(1 + extra)])
    is_op = (role != R_LEAF) & live
    const_only = is_op & (var_leaf[end + 1] == var_leaf[pos])
    folded = np.zeros(ntok, dtype=bool)
    if const_only.any():
        neg = enc.OPCODE_OF["neg"]
        operand = np.minimum(pos + 1, ntok - 1)
        simple = (const_only & (role == R_OP) & (code_t == neg) & (end == pos + 1)
                  & (role[operand] == R_LEAF) & np.isfinite(value_t[operand]) & (value_t[operand] != 0))
        # maximal: no constant-only ancestor (the nearest one before k whose subtree covers k)
        cidx = np.flatnonzero(const_only)
        running = np.maximum.accumulate(np.concatenate([[-1], end[cidx][:-1]]))
        maximal = end[cidx] > running
        bad[list_of[cidx[maximal & ~simple[cidx]]]] = True
        fold = cidx[maximal & simple[cidx]]
        folded[fold] = True
        value_t[fold] = -value_t[fold + 1]
        live = ~bad[list_of]
    keep_tok = live.copy()
    keep_tok[np.flatnonzero(folded) + 1] = False
    removed = np.concatenate([[0], np.cumsum(np.where(np.roll(folded, 1) & (pos > 0), 1, 0))])

    # postfix order: (end, tier, sub); leaves and folded negations at their position, an inv's 1
    # just before its operand's first leaf, a power shorthand's exponent just before the power
    leaf_like = (role == R_LEAF) | folded
    sel = np.flatnonzero(keep_tok)
    e = np.where(leaf_like, pos, end)[sel]
    tier = np.where(leaf_like[sel], 0, 1)
    sub = np.where(leaf_like[sel], 0, -2 * pos[sel])
    inv = sel[role[sel] == R_INV]
    pown = sel[role[sel] == R_POWN]
    big = 4 * (ntok + 1)
    e_all = np.concatenate([e, first_leaf[inv], end[pown]])
    tier_all = np.concatenate([tier, np.zeros(len(inv), dtype=np.int64), np.ones(len(pown), dtype=np.int64)])
    sub_all = np.concatenate([sub, inv - big, -2 * pown - 1])
    src = np.concatenate([sel, inv, pown])                 # the token each record comes from
    is_extra = np.concatenate([np.zeros(len(sel), dtype=bool), np.ones(len(inv) + len(pown), dtype=bool)])
    order = np.lexsort((sub_all, tier_all, e_all))
    src_o, extra_o = src[order], is_extra[order]
    t = tok[src_o]
    code = np.where(extra_o, enc.LEAF_CONST, np.where(folded[src_o], enc.LEAF_CONST, t["code"])).astype(np.int32)
    arg = np.where(extra_o, 0, t["arg"]).astype(np.int32)
    value = np.where(extra_o, t["extra"], value_t[src_o])
    # sizes: records in the token span, less the numbers folded into negations
    span_size = records[end + 1] - records[pos] - (removed[end + 1] - removed[pos + 1])
    size = np.where(extra_o, 1, np.where(leaf_like[src_o], 1, span_size[src_o])).astype(np.int32)

    accepted = ~bad
    counts = np.bincount(list_of[src_o], minlength=n)
    pstart = np.zeros(int(accepted.sum()) + 1, dtype=np.int64)
    np.cumsum(counts[accepted], out=pstart[1:])
    given = np.bincount(list_of, weights=1 + extra, minlength=n).astype(np.int64)
    flat = FlatPrograms(code, arg, value, size, pstart, tuple(resolve.names), dtype)

    # the rest through the reference path, which folds exactly and reports errors
    slow = np.flatnonzero(bad)
    if not len(slow):
        return flat, given
    from ..prefix import from_prefix
    nodes = [from_prefix(original[i], dtype=dtype, parameters=params) for i in slow.tolist()]
    slow_flat = flatmod.from_nodes(nodes, dtype)
    given[slow] = [x.size for x in nodes]
    both = flatmod.concat([flat, slow_flat])
    order = np.concatenate([np.flatnonzero(accepted), slow])
    inverse = np.empty(n, dtype=np.int64)
    inverse[order] = np.arange(n)
    return both.take(inverse), given
