"""The rewrite rules of exprc/passes/rules.py applied to flat programs, a whole batch per call.

Why: a search simplifies every child it makes; walking IR per child costs more than scoring
it. Here a rule's pattern is matched at every record of every program with a few array
operations (opcodes compared, constants compared by value, a repeated pattern variable by the
structural hashes of the subtrees it binds), and its replacement is instantiated for all
matches at once by gathering records. The rules are the same data the compiler's passes use
(one rewrite system); rules whose replacement is a Python function, or that carry a guard
function, are for the IR rewriter only and are skipped here.

Per round each program takes at most one rewrite (its first match, rules in order, records
in postfix order), then constant-only subtrees are folded as the language folds them
(flat.from_nodes), so a replacement like (j * k) * x becomes one constant times x.
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from .. import ir, ops
from ..dtypes import BOOL
from ..numbers import round_value
from ..passes.rewrite import Rule
from . import encoding as enc
from . import flat as fm
from .flat import FlatPrograms

_OP, _VAR, _CONST = 0, 1, 2


@dataclass(frozen=True)
class FlatRule:
    """A pattern in preorder (kind, opcode / variable / value, parent, position among the
    parent's operands) and a replacement in postfix (kind, opcode / variable / value)."""
    pattern: tuple
    replacement: tuple
    constants: frozenset
    source: Rule
    shape: tuple = ()         # _rule_shape: the root's opcode and its operands' required opcodes


def _variants(n: ir.Node) -> list[tuple]:
    """(node, operand variants) trees: one per operand order of the commutative ops."""
    if not n.args:
        return [(n, ())]
    out = []
    for combo in itertools.product(*[_variants(a) for a in n.args]):
        out.append((n, combo))
        if ops.REGISTRY[n.op].commutative and n.args[0] != n.args[1]:
            out.append((n, (combo[1], combo[0]) + combo[2:]))
    return out


def _preorder(variant: tuple) -> list[tuple]:
    """(kind, opcode / variable name / value, parent index, operand position) in preorder."""
    out: list[tuple] = []

    def walk(v: tuple, parent: int, pos: int) -> None:
        n, kids = v
        if n.op == ir.VAR:
            out.append((_VAR, n.value, parent, pos))
            return
        if n.op == ir.CONST:
            if isinstance(n.value, bool) or n.dtype == BOOL:
                raise ValueError("boolean constant")
            out.append((_CONST, float(n.value), parent, pos))
            return
        if n.op not in enc.OPCODE_OF or n.dtype == BOOL:
            raise ValueError("not an arithmetic opcode")
        me = len(out)
        out.append((_OP, enc.OPCODE_OF[n.op], parent, pos))
        for k, kid in enumerate(kids):
            walk(kid, me, k)
    walk(variant, -1, 0)
    return out


def postfix(node: ir.Node, parameter_value: float | None = None) -> tuple:
    """A replacement template: (kind, opcode / variable / value) in postfix. Parameters become
    constants of parameter_value when given (a definition's constants, fitted later)."""
    out = []

    def walk(n: ir.Node) -> None:
        for a in n.args:
            walk(a)
        if n.op == ir.VAR:
            out.append((_VAR, n.value))
        elif n.op == ir.PARAM and parameter_value is not None:
            out.append((_CONST, float(parameter_value)))
        elif n.op == ir.CONST:
            out.append((_CONST, float(bool(n.value)) if n.dtype == BOOL else float(n.value)))
        elif n.op in enc.OPCODE_OF:        # comparisons too: the interpreter stores 1.0 / 0.0
            out.append((_OP, enc.OPCODE_OF[n.op]))
        else:
            raise ValueError("not an arithmetic opcode")
    walk(node)
    return tuple(out)


_CACHE: dict[tuple, list[FlatRule]] = {}


def compile_rules(rules: Sequence[Rule]) -> list[FlatRule]:
    """The rules the flat rewriter can apply (arithmetic patterns, text replacements, no guard
    function), one FlatRule per operand order of the pattern's commutative ops."""
    key = tuple(id(r) for r in rules)
    if key not in _CACHE:
        out = []
        for r in rules:
            if r.guard is not None or not isinstance(r.replacement, str):
                continue
            pat, rep = r.compiled()
            try:
                variants = [_preorder(v) for v in _variants(pat)]
                replacement = postfix(rep)
            except ValueError:
                continue
            if variants[0][0][0] != _OP:
                continue
            seen = set()
            for v in variants:
                t = tuple(v)
                if t not in seen:
                    seen.add(t)
                    out.append(FlatRule(t, replacement, frozenset(r.constants), r,
                                        _rule_shape(t, frozenset(r.constants))))
        _CACHE[key] = out
    return _CACHE[key]


def _match(flat: FlatPrograms, rule: FlatRule, recs: np.ndarray, hashes: np.ndarray):
    """The subset of recs where rule's pattern matches, and each pattern variable's record."""
    where = np.empty((len(rule.pattern), len(recs)), dtype=np.int64)
    where[0] = recs
    ok = np.ones(len(recs), dtype=bool)
    binding: dict[str, int] = {}
    for k, (kind, value, parent, pos) in enumerate(rule.pattern):
        r = where[k]
        if kind == _OP:
            ok &= flat.code[r] == value
            arity = int(enc.ARITY[value])
            safe = np.where(ok, r, flat.roots[0] if len(flat) else 0)
            kids = flat.operands(safe, arity)
            for kk in _kids_of(rule.pattern, k):
                where[kk] = np.where(ok, kids[rule.pattern[kk][3]], 0)
        elif kind == _CONST:
            v = float(round_value(value, flat.dtype))
            ok &= (flat.code[r] == enc.LEAF_CONST) & (flat.value[r] == v)
        else:
            if value in rule.constants:
                ok &= flat.code[r] == enc.LEAF_CONST
            if value in binding:
                ok &= hashes[r] == hashes[where[binding[value]]]
            else:
                binding[value] = k
        if not ok.any():
            return recs[:0], {}
    return recs[ok], {v: where[k][ok] for v, k in binding.items()}


def _kids_of(pattern: tuple, k: int) -> list[int]:
    return [i for i, n in enumerate(pattern) if n[2] == k]


def instantiate(flat: FlatPrograms, rep: tuple, binding: dict[str, np.ndarray], n: int) -> FlatPrograms:
    """n programs: the template rep (postfix) with each variable v replaced by the subtree of
    flat rooted at binding[v][k], for k in range(n)."""
    size = flat.size.astype(np.int64)
    R = len(flat.code)
    t_code = np.array([v if kd == _OP else enc.LEAF_CONST for kd, v in rep], dtype=np.int32)
    t_val = np.array([float(round_value(v, flat.dtype)) if kd == _CONST else 0.0 for kd, v in rep])
    starts = np.empty((n, len(rep)), dtype=np.int64)
    lens = np.empty((n, len(rep)), dtype=np.int64)
    for j, (kd, v) in enumerate(rep):
        if kd == _VAR:
            b = binding[v]
            starts[:, j], lens[:, j] = b - size[b] + 1, size[b]
        else:
            starts[:, j], lens[:, j] = R + j, 1
    rec, start = fm.gather_ranges(starts.reshape(-1), lens.reshape(-1))
    prog_len = lens.sum(axis=1)
    pstart = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(prog_len, out=pstart[1:])
    code = np.concatenate([flat.code, t_code])[rec]
    arg = np.concatenate([flat.arg, np.zeros(len(rep), dtype=np.int32)])[rec]
    value = np.concatenate([flat.value, t_val])[rec]
    return FlatPrograms(code, arg, value, fm.subtree_sizes(code, pstart), pstart, flat.names, flat.dtype)


def fold_constants(flat: FlatPrograms, exact: bool = True) -> FlatPrograms:
    """Every maximal subtree without variables or parameters becomes one constant, folded as
    the language folds constants (flat.from_nodes: high precision, rounded once); with
    exact=False, as the population kernel evaluates it (every op rounded; one kernel call for
    the batch, for searches that fit the constant again anyway)."""
    if not len(flat.code):
        return flat
    is_op = flat.code >= enc.OP_BASE
    named = ((flat.code == enc.LEAF_VAR) | (flat.code == enc.LEAF_PARAM)).astype(np.int64)
    prefix = np.zeros(len(named) + 1, dtype=np.int64)
    np.cumsum(named, out=prefix[1:])
    idx = np.arange(len(named))
    size = flat.size.astype(np.int64)
    constant = (prefix[idx + 1] - prefix[idx - size + 1]) == 0
    parent = parents(flat)
    maximal = is_op & constant & ((parent < 0) | ~constant[np.maximum(parent, 0)])
    recs = np.flatnonzero(maximal)
    if not len(recs):
        return flat
    if exact:
        folded = fm.from_nodes(flat.subtrees(recs).to_nodes(), flat.dtype)
        single = folded.lengths == 1
        recs, vals = recs[single], folded.value[folded.start[:-1][single]]
        if not len(recs):
            return flat
    else:
        from .engine import Population
        with np.errstate(all="ignore"):
            vals = Population(flat.subtrees(recs), variables=(), dtype=flat.dtype).predict(
                np.zeros((1, 0)))[:, 0].astype(np.float64)
    diff = np.zeros(len(named) + 1, dtype=np.int64)
    np.add.at(diff, recs - size[recs] + 1, 1)
    np.add.at(diff, recs, -1)
    keep = np.cumsum(diff[:-1]) == 0
    code, arg, value = flat.code.copy(), flat.arg.copy(), flat.value.copy()
    code[recs], arg[recs], value[recs] = enc.LEAF_CONST, 0, vals
    prog = flat.program_of()
    lengths = np.bincount(prog[keep], minlength=len(flat))
    start = np.zeros(len(flat) + 1, dtype=np.int64)
    np.cumsum(lengths, out=start[1:])
    code = code[keep]
    return FlatPrograms(code, arg[keep], value[keep], fm.subtree_sizes(code, start), start, flat.names,
                        flat.dtype)


def _shapes(flat: FlatPrograms, recs: np.ndarray) -> set:
    """What the records look like one level down, for rejecting rules without array work:
    (opcode, operand position, operand opcode) and (opcode, first operand's, second's)."""
    shapes: set = set()
    code = flat.code
    for a in (1, 2, 3):
        r = recs[enc.ARITY[code[recs]] == a]
        if not len(r):
            continue
        kids = [code[k] for k in flat.operands(r, a)]
        rc = code[r]
        for j in range(a):
            shapes.update(zip(rc.tolist(), [j] * len(r), kids[j].tolist()))
        if a >= 2:
            shapes.update(("pair",) + t for t in set(zip(rc.tolist(), kids[0].tolist(), kids[1].tolist())))
    shapes.update(("op", c) for c in np.unique(code[recs]).tolist())
    return shapes


def _rule_shape(pattern: tuple, constants) -> tuple:
    """The root opcode and, per operand, the opcode the pattern requires there (None: any)."""
    kids = [None] * 3
    for kind, value, parent, pos in pattern[1:]:
        if parent != 0:
            continue
        if kind == _OP:
            kids[pos] = int(value)
        elif kind == _CONST or value in constants:
            kids[pos] = enc.LEAF_CONST
    return pattern[0][1], tuple(kids)


def _may_match(rule: FlatRule, present: set) -> bool:
    root, kids = rule.shape
    if ("op", root) not in present:
        return False
    if kids[0] is not None and kids[1] is not None and ("pair", root, kids[0], kids[1]) not in present:
        return False
    return all(k is None or (root, j, k) in present for j, k in enumerate(kids))


def parents(flat: FlatPrograms) -> np.ndarray:
    """The record each record is an operand of (-1 for roots)."""
    out = np.full(len(flat.code), -1, dtype=np.int64)
    arity = enc.ARITY[flat.code]
    for a in (1, 2, 3):
        rec = np.flatnonzero(arity == a)
        for kid in flat.operands(rec, a):
            out[kid] = rec
    return out


def rewrite(flat: FlatPrograms, rules: Sequence[Rule], rounds: int = 8, root_only: bool = False,
            exact_folding: bool = True) -> FlatPrograms:
    """Apply rules (see compile_rules) until none matches or rounds run out; constants fold
    after every round (see fold_constants for exact_folding). root_only: match only at each
    program's root."""
    compiled = compile_rules(rules)
    flat = fold_constants(flat, exact_folding)
    dirty = np.ones(len(flat), dtype=bool)          # programs that may still match
    for _ in range(rounds):
        if not len(flat):
            break
        hashes = flat.node_hashes()
        taken = np.zeros(len(flat), dtype=bool)
        chosen = []
        prog_of = flat.program_of()
        candidates = flat.roots[dirty] if root_only else np.flatnonzero(dirty[prog_of])
        # records grouped by opcode (postfix order kept within each): a rule only looks at its own
        by_code = np.argsort(flat.code[candidates], kind="stable")
        codes = flat.code[candidates][by_code]
        present = _shapes(flat, candidates)
        for rule in compiled:
            first = rule.pattern[0][1]
            if not _may_match(rule, present):
                continue
            lo, hi = np.searchsorted(codes, first), np.searchsorted(codes, first, side="right")
            if lo == hi:
                continue
            recs = candidates[by_code[lo:hi]]
            recs = recs[~taken[prog_of[recs]]]
            if not len(recs):
                continue
            recs, binding = _match(flat, rule, recs, hashes)
            if not len(recs):
                continue
            progs = prog_of[recs]
            _, first_k = np.unique(progs, return_index=True)
            recs, progs = recs[first_k], progs[first_k]
            binding = {v: b[first_k] for v, b in binding.items()}
            taken[progs] = True
            chosen.append((recs, progs, instantiate(flat, rule.replacement, binding, len(recs))))
        if not chosen:
            break
        recs = np.concatenate([c[0] for c in chosen])
        progs = np.concatenate([c[1] for c in chosen])
        donors = fm.concat([c[2] for c in chosen])
        new = flat.replace(recs, donors)
        flat = fold_constants(flat.with_programs(progs, new), exact_folding)
        dirty = np.zeros(len(flat), dtype=bool)
        dirty[progs] = True
    return flat
