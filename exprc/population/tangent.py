"""Forward-mode Jacobians of tree programs as bytecode, built in numpy for the whole batch.

Why: constant fitting (Levenberg-Marquardt) needs d prediction / d parameter for thousands of
candidates per generation. Building each candidate's derivative as IR and compiling it costs
hundreds of microseconds of Python per candidate; here the prediction bytecode is extended
with tangent instructions by array operations over all records at once, so the cost per
candidate is a small constant and the Jacobian runs in the same interpreter kernel.

How: a record's tangent with respect to parameter j is nonzero only if its subtree holds that
parameter, so only (record, parameter) pairs on a path from a parameter to the root get
instructions. Each op's partial derivatives come from the registry's derivative templates
(ops.Op.deriv with the seed g = 1), compiled once into small instruction templates over the
operand slots; they run just before the op itself, while its operands are still on the stack.
A partial that is exactly 1 (sums) aliases the child's tangent; a piecewise-constant op
(deriv None) has tangent 0; an op with no derivative gives NaN, which the fitter skips.
Outputs per candidate: the prediction, then one tangent per parameter (as Population.jacobian).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import ir, ops
from . import encoding as enc
from .bytecode import assemble, tree_layout
from .flat import FlatPrograms

# partial kinds
ZERO, ONE, NAN, GENERAL = 0, 1, 2, 3
# template operand references: kind * REF + index
REF = 1 << 16
R_NONE, R_OPERAND, R_Y, R_TEMP, R_CONST = 0, 1, 2, 3, 4


@dataclass
class _Templates:
    """Per (opcode, argument): the partial's kind, its instruction rows and result reference."""
    kind: np.ndarray          # [N_CODES, 3]
    row_start: np.ndarray     # [N_CODES, 3]: first row in the tables below
    n_rows: np.ndarray
    n_temps: np.ndarray
    const_start: np.ndarray
    n_consts: np.ndarray
    result: np.ndarray        # reference of the partial's value
    uses_y: np.ndarray        # [N_CODES]: some partial reads the op's result
    op: np.ndarray            # rows: opcode, destination temp, three operand references
    dst: np.ndarray
    a: np.ndarray
    b: np.ndarray
    c: np.ndarray
    consts: np.ndarray


def _compile_partial(opname: str, k: int):
    """(kind, rows, n_temps, consts, result reference, uses y) for d op / d argument k."""
    from ..passes.fold import fold
    from ..passes.rewrite import instantiate
    from ..diff import _template
    op = ops.REGISTRY[opname]
    if op.deriv is None or op.deriv[k] is None:
        return ZERO, [], 0, [], 0, False
    if op.deriv[k].startswith("!"):
        return NAN, [], 0, [], 0, False
    d = "float64"
    binding = {"g": ir.const(1.0, d), "y": ir.var("y", d)}
    binding.update({v: ir.var(v, d) for v in "abc"[:op.arity]})
    node = fold([instantiate(_template(opname, k), binding, d)])[0]
    if node.op == ir.CONST and not isinstance(node.value, bool):
        v = float(node.value)
        if v == 1.0:
            return ONE, [], 0, [], 0, False
        if v == 0.0:
            return ZERO, [], 0, [], 0, False
    ref: dict[int, int] = {}
    rows, consts, temps = [], [], 0
    uses_y = False
    for n in ir.topo([node]):
        if n.op == ir.VAR:
            uses_y |= n.value == "y"
            ref[id(n)] = R_Y * REF if n.value == "y" else R_OPERAND * REF + "abc".index(n.value)
        elif n.op == ir.CONST:
            ref[id(n)] = R_CONST * REF + len(consts)
            consts.append(float(n.value))
        elif n.op in enc.OPCODE_OF:
            refs = [ref[id(a)] for a in n.args] + [R_NONE * REF] * (3 - len(n.args))
            rows.append((enc.OPCODE_OF[n.op], temps, *refs))
            ref[id(n)] = R_TEMP * REF + temps
            temps += 1
        else:           # an op the interpreter lacks: no usable derivative
            return NAN, [], 0, [], 0, False
    return GENERAL, rows, temps, consts, ref[id(node)], uses_y


def _build_templates() -> _Templates:
    N = enc.N_CODES
    shape = (N, 3)
    kind = np.zeros(shape, dtype=np.int64)
    row_start, n_rows, n_temps = (np.zeros(shape, dtype=np.int64) for _ in range(3))
    const_start, n_consts, result = (np.zeros(shape, dtype=np.int64) for _ in range(3))
    uses_y = np.zeros(N, dtype=bool)
    rows: list[tuple] = []
    consts: list[float] = []
    for name, code in enc.OPCODE_OF.items():
        for k in range(ops.REGISTRY[name].arity):
            kd, r, t, cs, res, uy = _compile_partial(name, k)
            kind[code, k], row_start[code, k], n_rows[code, k], n_temps[code, k] = kd, len(rows), len(r), t
            const_start[code, k], n_consts[code, k], result[code, k] = len(consts), len(cs), res
            uses_y[code] |= uy
            rows += r
            consts += cs
    tab = np.array(rows or [(0, 0, 0, 0, 0)], dtype=np.int64).reshape(-1, 5)
    return _Templates(kind, row_start, n_rows, n_temps, const_start, n_consts, result, uses_y,
                      tab[:, 0], tab[:, 1], tab[:, 2], tab[:, 3], tab[:, 4],
                      np.array(consts or [0.0], dtype=np.float64))


_TEMPLATES: _Templates | None = None


def templates() -> _Templates:
    global _TEMPLATES
    if _TEMPLATES is None:
        _TEMPLATES = _build_templates()
    return _TEMPLATES


class _Slots:
    """Fresh scratch slots per candidate, handed out in blocks."""

    def __init__(self, first_free: np.ndarray):
        self.next = first_free.astype(np.int64).copy()

    def take(self, cand: np.ndarray, count) -> np.ndarray:
        """A first slot for each item (count slots each), items of one candidate consecutive."""
        cand = np.asarray(cand, dtype=np.int64)
        count = np.broadcast_to(np.asarray(count, dtype=np.int64), cand.shape)
        if not len(cand):
            return np.zeros(0, dtype=np.int64)
        order = np.argsort(cand, kind="stable")
        cs = np.cumsum(count[order])
        excl = cs - count[order]
        c_sorted = cand[order]
        first = np.r_[True, c_sorted[1:] != c_sorted[:-1]]
        group_base = np.maximum.accumulate(np.where(first, excl, 0))
        within = np.empty_like(excl)
        within[order] = excl - group_base
        base = self.next[cand] + within
        self.next += np.bincount(cand, weights=count, minlength=len(self.next)).astype(np.int64)
        return base


class _Rows:
    """Instruction rows collected from several places, assembled at the end."""

    def __init__(self):
        self.parts: list[dict] = []

    def add(self, cand, hoisted, key, op, dst, a=0, b=0, c=0, arg=0, value=0.0) -> None:
        n = len(cand)
        if not n:
            return
        full = lambda x, dt=np.int64: np.broadcast_to(np.asarray(x, dtype=dt), (n,))  # noqa: E731
        self.parts.append({"cand": full(cand), "hoisted": full(hoisted, bool), "key": full(key),
                           "op": full(op), "dst": full(dst), "a": full(a), "b": full(b), "c": full(c),
                           "arg": full(arg), "value": full(value, np.float64)})

    def column(self, name: str) -> np.ndarray:
        return np.concatenate([p[name] for p in self.parts])


SUB = 1 << 20                   # per-record sort keys: record * SUB + position in its expansion
_Y_POS, _PARTIAL_POS, _TANGENT_POS, _OP_POS = 0, 1 << 10, 1 << 16, SUB - 1


def jacobian_bytecode(flat: FlatPrograms, variables, param_slot: np.ndarray, n_params: np.ndarray):
    """Bytecode whose outputs per program are its prediction and its derivative with respect to
    each of its n_params[p] parameters (param_slot: FlatPrograms.parameter_slots)."""
    T = templates()
    if not len(flat):
        from .bytecode import tree_bytecode
        return tree_bytecode(flat, variables, param_slot)
    L = tree_layout(flat, variables, param_slot)
    ncand, R = len(flat), len(L.code)
    n_params = np.asarray(n_params, dtype=np.int64)
    M = int(n_params.max(initial=0))
    idx = np.arange(R)
    rows = _Rows()
    k = L.keep
    rows.add(L.cand[k], L.hoisted[k], idx[k] * SUB + _OP_POS, L.code[k], L.own_slot[k],
             L.operands[0][k], L.operands[1][k], L.operands[2][k], L.out_arg[k], flat.value[k])
    slots = _Slots(L.first_free)
    # per candidate: constant slots 1, 0 and NaN (run once)
    every = np.arange(ncand)
    special = slots.take(every, 3)
    for q, v in enumerate((1.0, 0.0, np.nan)):
        rows.add(every, True, (1 << 40) + q, enc.LEAF_CONST, special + q, value=v)
    one_slot, zero_slot, nan_slot = special, special + 1, special + 2

    # which parameters each record's subtree holds
    is_param = L.code == enc.LEAF_PARAM
    size = flat.size.astype(np.int64)
    counts = np.zeros((R + 1, max(M, 1)), dtype=np.int32)
    if M:
        counts[idx[is_param] + 1, param_slot[is_param]] = 1
    np.cumsum(counts, axis=0, out=counts)
    nz = (counts[idx + 1] - counts[idx - size + 1]) > 0              # [R, M]
    nz[:, M:] = False
    active = nz.any(axis=1)
    is_op = L.code >= enc.OP_BASE
    act_op = np.flatnonzero(active & is_op)

    # partial derivatives of each active op with respect to each active operand
    operand_slots = np.stack(L.operands)                             # [3, R]
    kinds = np.zeros((R, 3), dtype=np.int64)
    pslot = np.zeros((R, 3), dtype=np.int64)
    y_slot = np.zeros(R, dtype=np.int64)
    need_y = act_op[T.uses_y[L.code[act_op]]]
    if len(need_y):
        y_slot[need_y] = slots.take(L.cand[need_y], 1)
        rows.add(L.cand[need_y], False, need_y * SUB + _Y_POS, L.code[need_y], y_slot[need_y],
                 L.operands[0][need_y], L.operands[1][need_y], L.operands[2][need_y], L.out_arg[need_y])
    for j in range(3):
        has = act_op[L.arity[act_op] > j]
        has = has[active[L.producers[j][has]]]
        kd = T.kind[L.code[has], j]
        kinds[has, j] = kd
        pslot[has, j] = np.where(kd == NAN, nan_slot[L.cand[has]], 0)
        g = has[kd == GENERAL]
        if not len(g):
            continue
        code, cand = L.code[g], L.cand[g]
        temp_base = slots.take(cand, T.n_temps[code, j])
        const_base = slots.take(cand, T.n_consts[code, j])
        # the template's constants, hoisted
        nc = T.n_consts[code, j]
        ci = np.repeat(np.arange(len(g)), nc)
        q = np.arange(int(nc.sum())) - np.repeat(np.cumsum(nc) - nc, nc)
        rows.add(cand[ci], True, (1 << 41) + g[ci] * 4 + j, enc.LEAF_CONST, const_base[ci] + q,
                 value=T.consts[T.const_start[code, j][ci] + q])
        # its instructions

        def resolve(refs, item):
            kind_, val = refs // REF, refs % REF
            operand = operand_slots[np.minimum(val, 2), g[item]]
            return np.select([kind_ == R_OPERAND, kind_ == R_Y, kind_ == R_TEMP, kind_ == R_CONST],
                             [operand, y_slot[g[item]], temp_base[item] + val, const_base[item] + val], 0)
        nr = T.n_rows[code, j]
        ri = np.repeat(np.arange(len(g)), nr)
        rr = T.row_start[code, j][ri] + np.arange(int(nr.sum())) - np.repeat(np.cumsum(nr) - nr, nr)
        rows.add(cand[ri], False, g[ri] * SUB + _PARTIAL_POS + j * 256 + (rr - T.row_start[code, j][ri]),
                 T.op[rr], temp_base[ri] + T.dst[rr], resolve(T.a[rr], ri), resolve(T.b[rr], ri),
                 resolve(T.c[rr], ri))
        pslot[g, j] = resolve(T.result[code, j], np.arange(len(g)))

    # tangents, by height so that every child's tangent slot is known first
    tslot = np.zeros((R, max(M, 1)), dtype=np.int64)
    pr, pj = np.nonzero(nz & is_param[:, None])
    tslot[pr, pj] = one_slot[L.cand[pr]]
    height = np.zeros(R, dtype=np.int64)
    for _ in range(int(flat.lengths.max(initial=0))):
        h = height.copy()
        for j in range(3):
            m = is_op & (L.arity > j)
            h[m] = np.maximum(h[m], height[L.producers[j][m]] + 1)
        if np.array_equal(h, height):
            break
        height = h
    pairs_r, pairs_j = np.nonzero(nz & is_op[:, None])
    for lev in range(1, int(height.max(initial=0)) + 1):
        sel = height[pairs_r] == lev
        r, jj = pairs_r[sel], pairs_j[sel]
        if not len(r):
            continue
        cand = L.cand[r]
        terms = []              # per argument: (present, slot of partial * child tangent)
        for j in range(3):
            present = (L.arity[r] > j) & (kinds[r, j] != ZERO)
            ch = np.where(present, L.producers[j][r], 0)
            present &= nz[ch, jj]
            child_t = tslot[ch, jj]
            mul = present & (kinds[r, j] != ONE)
            scaled = child_t.copy()
            if mul.any():
                s = slots.take(cand[mul], 1)
                rows.add(cand[mul], False, r[mul] * SUB + _TANGENT_POS + jj[mul] * 8 + j,
                         enc.OPCODE_OF["mul"], s, pslot[r[mul], j], child_t[mul])
                scaled[mul] = s
            terms.append((present, scaled))
        total = np.where(terms[0][0], terms[0][1], -1)
        for j in (1, 2):
            present, scaled = terms[j]
            both = present & (total >= 0)
            if both.any():
                s = slots.take(cand[both], 1)
                rows.add(cand[both], False, r[both] * SUB + _TANGENT_POS + jj[both] * 8 + 4 + j,
                         enc.OPCODE_OF["add"], s, total[both], scaled[both])
                total[both] = s
            total = np.where(present & (total < 0), scaled, total)
        tslot[r, jj] = np.where(total >= 0, total, zero_slot[cand])

    # outputs: the prediction, then each parameter's tangent
    root = flat.roots
    rstart = np.zeros(ncand + 1, dtype=np.int64)
    np.cumsum(1 + n_params, out=rstart[1:])
    res = np.empty(int(rstart[-1]), dtype=np.int64)
    res[rstart[:-1]] = L.res
    oc = np.repeat(every, n_params)
    oj = np.arange(len(oc)) - np.repeat(np.cumsum(n_params) - n_params, n_params)   # index within
    where_ = np.repeat(rstart[:-1] + 1, n_params) + oj
    rr = root[oc]
    res[where_] = np.where(nz[rr, oj], tslot[rr, oj], zero_slot[oc])
    fields = {f: rows.column(f) for f in ("op", "dst", "a", "b", "c", "arg")}
    return assemble(rows.column("cand"), rows.column("hoisted"), rows.column("key"), fields,
                    rows.column("value"), ncand, res, rstart, int(max(L.slots, slots.next.max(initial=0))))
