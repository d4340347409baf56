"""Population: score thousands of candidate expressions per call.

Two tiers compute bit-identical results:
- interpreter (cold): one precompiled LLVM kernel runs register bytecode over blocks of rows
  (backends/llvm/interpreter.py). Turning candidates into bytecode is numpy work over the
  postfix strings every node carries from construction (ir.py), so a population never seen
  before is evaluated without any per-candidate compile.
- jit (hot): each candidate compiled on its own by the foundation's LLVM backend, parameters
  passed at call time so new constant values never recompile. Worth it when a candidate is
  evaluated many times on many rows (constant fitting, large data, the final model).

tier="auto" picks by rows x expected evaluations; both cores work across candidates.
Candidates are evaluated as exprc.compile(candidate, optimize=0) would: constant subtrees are
folded (that is part of the language), no algebraic rewrite is applied.
Losses are accumulated inside the kernels in float64 lanes in a fixed row order, so every
tier returns the same bits; a candidate whose predictions include NaN or inf gets a NaN loss.
"""
from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from . import ir, ops
from .dtypes import normalize_dtype, np_dtype
from .errors import BindError, ExprcError

RECORD = np.dtype([("code", "<u2"), ("arg", "<u2"), ("v32", "<f4"), ("v64", "<f8")])
METRICS = ("mse", "mae", "r2", "max")
TIERS = ("auto", "interpreter", "jit")

# rough throughputs for the tier choice (node evaluations per second, one core; measured by
# benchmarks/bench_population.py on the development machine) and the cost of one JIT compile
INTERPRETER_RATE = 8e9
JIT_RATE = 2.5e10
JIT_COMPILE_SECONDS = 0.006

_ARITY = np.zeros(ir.POSTFIX_OP_BASE + len(ir.OPCODES), dtype=np.int64)
for _k, _name in enumerate(ir.OPCODES):
    _ARITY[ir.POSTFIX_OP_BASE + _k] = ops.REGISTRY[_name].arity


@dataclass
class Bytecode:
    """Register bytecode for the interpreter (see backends/llvm/interpreter.py)."""
    op: np.ndarray
    dst: np.ndarray
    a: np.ndarray
    b: np.ndarray
    c: np.ndarray
    arg: np.ndarray
    v32: np.ndarray
    v64: np.ndarray
    cstart: np.ndarray      # instruction range per candidate (n + 1)
    pstart: np.ndarray      # where each candidate's block code starts; before it: run once
    res: np.ndarray         # output slots, rstart per candidate (n + 1)
    rstart: np.ndarray
    slots: int              # scratch slots one candidate needs

    @property
    def n(self) -> int:
        return len(self.cstart) - 1


def _python_postfix(node: ir.Node) -> bytes:
    """The postfix string of a node too large to carry one (built here, tree order)."""
    out = []
    stack = [(node, False)]
    while stack:
        n, done = stack.pop()
        if n.postfix is not None:
            out.append(n.postfix)
            continue
        if done:
            out.append(ir.POSTFIX_RECORD.pack(ir.POSTFIX_OP_BASE + ir.OPCODES.index(n.op),
                                              min(n.size, 65535), 0.0, 0.0))
            continue
        stack.append((n, True))
        for a in reversed(n.args):
            stack.append((a, False))
    return b"".join(out)


XBASE = 1 << 24      # operand slots from here on name columns of X directly


def tree_bytecode(nodes: Sequence[ir.Node], columns: dict[str, int],
                  param_positions: list[dict[str, int] | None]) -> Bytecode:
    """Bytecode for one output per candidate from the nodes' postfix strings, in numpy:
    a stack machine whose slots are stack depths, where operands that are variables read the
    X column itself and constants and parameters get slots filled once per candidate."""
    codes = [n.postfix if n.postfix is not None else _python_postfix(n) for n in nodes]
    rec = np.frombuffer(b"".join(codes), dtype=RECORD)
    ncand = len(codes)
    lens = np.fromiter((len(c) for c in codes), dtype=np.int64, count=ncand) // RECORD.itemsize
    start = np.zeros(ncand + 1, dtype=np.int64)
    np.cumsum(lens, out=start[1:])
    cand = np.repeat(np.arange(ncand), lens)
    code = rec["code"].astype(np.int32)
    arity = _ARITY[code]
    is_leaf = code < ir.POSTFIX_OP_BASE
    size = np.where(is_leaf, 1, rec["arg"]).astype(np.int64)
    effect = 1 - arity
    depth = np.cumsum(effect)
    before = np.repeat(depth[start[:-1]] - effect[start[:-1]], lens)
    dst = (depth - before - 1).astype(np.int64)
    arg = rec["arg"].astype(np.int64)

    # where each operand comes from: the last is the previous record, each earlier one ends
    # just before the subtree of the operand after it
    idx = np.arange(len(rec))
    p_last = idx - 1
    p_mid = p_last - size[np.maximum(p_last, 0)]
    p_first = p_mid - size[np.maximum(p_mid, 0)]
    producers = [np.where(arity == 3, p_first, np.where(arity == 2, p_mid, p_last)),
                 np.where(arity == 3, p_mid, p_last), p_last]

    # leaves: variables become column references, constants and parameters own slots
    var_col = np.zeros(len(rec), dtype=np.int64)
    is_var = code == ir.POSTFIX_VAR
    if is_var.any():
        ids = {name: ir.name_id(name) for name in columns}     # registers names seen first here
        lookup = np.full(len(ir.NAMES), -1, dtype=np.int64)
        for name, col in columns.items():
            lookup[ids[name]] = col
        var_col[is_var] = lookup[arg[is_var]]
        if (var_col[is_var] < 0).any():
            bad = ir.NAMES[int(arg[is_var][np.argmax(var_col[is_var] < 0)])]
            raise ExprcError(f"a candidate uses variable {bad!r}, which is not in variables={list(columns)}")
    is_param = code == ir.POSTFIX_PARAM
    if is_param.any():
        for c in np.unique(cand[is_param]):
            positions = param_positions[c] or {}
            sel = np.flatnonzero(is_param[start[c]:start[c + 1]]) + start[c]
            arg[sel] = [positions[ir.NAMES[i]] for i in arg[sel]]
    hoisted = (code == ir.POSTFIX_CONST) | is_param
    max_depth = np.zeros(ncand, dtype=np.int64)
    np.maximum.at(max_depth, cand, dst + 1)
    leaf_rank = np.cumsum(hoisted) - 1
    leaf_rank -= np.repeat(np.concatenate([[0], np.cumsum(hoisted)])[start[:-1]], lens)
    own_slot = np.where(hoisted, max_depth[cand] + leaf_rank, dst)
    operand_slot = np.where(is_var, XBASE + var_col, own_slot)
    ops = [np.where(arity > k, operand_slot[np.maximum(producers[k], 0)], 0) for k in range(3)]
    root = np.zeros(len(rec), dtype=bool)
    root[start[1:] - 1] = True
    keep = ~is_var | root                  # a variable only needs its own instruction at the root
    res = own_slot[start[1:] - 1].astype(np.int32)

    # each candidate: hoisted leaves first (run once), then the rest (run per block)
    order = np.lexsort((idx, ~hoisted, cand))
    order = order[keep[order]]
    new_cand = cand[order]
    counts = np.bincount(new_cand, minlength=ncand)
    cstart = np.zeros(ncand + 1, dtype=np.int64)
    np.cumsum(counts, out=cstart[1:])
    pstart = cstart[:-1] + np.bincount(new_cand, weights=hoisted[order], minlength=ncand).astype(np.int64)
    out_arg = np.where(is_var, var_col, arg)
    slots = int(max(max_depth.max(initial=1), own_slot.max(initial=0) + 1))
    take = lambda a: np.ascontiguousarray(a[order], dtype=np.int32)  # noqa: E731
    return Bytecode(op=take(code), dst=take(own_slot), a=take(ops[0]), b=take(ops[1]), c=take(ops[2]),
                    arg=take(out_arg), v32=rec["v32"][order].copy(), v64=rec["v64"][order].copy(),
                    cstart=cstart, pstart=pstart, res=res, rstart=np.arange(ncand + 1, dtype=np.int64),
                    slots=slots)


def dag_bytecode(outputs: Sequence[ir.Node], columns: dict[str, int], params: dict[str, int]) -> Bytecode:
    """Bytecode for one candidate with several outputs sharing work (the DAG is evaluated once;
    slots are reused after their last use)."""
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
        v32 = v64 = 0.0
        argv = 0
        if n.op == ir.VAR:
            code, argv = ir.POSTFIX_VAR, columns[n.value]
        elif n.op == ir.PARAM:
            code, argv = ir.POSTFIX_PARAM, params[n.value]
        elif not n.args:
            rec = np.frombuffer(n.postfix, dtype=RECORD)[0]
            code, v32, v64 = ir.POSTFIX_CONST, float(rec["v32"]), float(rec["v64"])
        else:
            code = ir.POSTFIX_OP_BASE + ir.OPCODES.index(n.op)
        args += [0] * (3 - len(args))
        rows.append((code, s, args[0], args[1], args[2], argv, v32, v64))
    arr = np.array(rows, dtype=[("op", "i4"), ("dst", "i4"), ("a", "i4"), ("b", "i4"), ("c", "i4"),
                                ("arg", "i4"), ("v32", "f4"), ("v64", "f8")])
    return Bytecode(op=arr["op"].copy(), dst=arr["dst"].copy(), a=arr["a"].copy(), b=arr["b"].copy(),
                    c=arr["c"].copy(), arg=arr["arg"].copy(), v32=arr["v32"].copy(), v64=arr["v64"].copy(),
                    cstart=np.array([0, len(rows)], dtype=np.int64), pstart=np.array([0], dtype=np.int64),
                    res=np.array([slot_of[id(o)] for o in outputs], dtype=np.int32),
                    rstart=np.array([0, len(outputs)], dtype=np.int64), slots=nslots)


def concat(codes: Sequence[Bytecode]) -> Bytecode:
    """Several bytecode programs as one population (instruction and slot tables offset)."""
    lens = [c.cstart[-1] for c in codes]
    cstart = np.concatenate([[0]] + [c.cstart[1:] + off for c, off in zip(codes, np.cumsum([0] + lens[:-1]))])
    rlens = [c.rstart[-1] for c in codes]
    rstart = np.concatenate([[0]] + [c.rstart[1:] + off for c, off in zip(codes, np.cumsum([0] + rlens[:-1]))])
    cat = lambda name: np.concatenate([getattr(c, name) for c in codes])  # noqa: E731
    pstart = np.concatenate([c.pstart + off for c, off in zip(codes, np.cumsum([0] + lens[:-1]))])
    return Bytecode(op=cat("op"), dst=cat("dst"), a=cat("a"), b=cat("b"), c=cat("c"), arg=cat("arg"),
                    v32=cat("v32"), v64=cat("v64"), cstart=cstart.astype(np.int64),
                    pstart=pstart.astype(np.int64), res=cat("res"),
                    rstart=rstart.astype(np.int64), slots=max(c.slots for c in codes))


def reduce_lanes(acc: np.ndarray, metric: str) -> np.ndarray:
    """Per-candidate totals from W float64 lanes, in one fixed order for every tier."""
    if metric == "max":
        return acc.max(axis=-1)
    out = acc[..., 0].copy()
    for k in range(1, acc.shape[-1]):
        out += acc[..., k]
    return out


def _threads(threads: int | None) -> int:
    from .backends.llvm import default_threads
    return default_threads() if threads is None else max(1, int(threads))


def _split(weights: np.ndarray, parts: int) -> list[tuple[int, int]]:
    """Contiguous ranges of candidates with about equal total weight."""
    n = len(weights)
    if parts <= 1 or n <= 1:
        return [(0, n)]
    cum = np.cumsum(weights, dtype=np.float64)
    cuts = np.searchsorted(cum, cum[-1] * np.arange(1, parts) / parts)
    bounds = [0] + sorted(set(int(c) + 1 for c in cuts if 0 <= c < n - 1)) + [n]
    return [(a, b) for a, b in zip(bounds, bounds[1:]) if b > a]


class _Runner:
    """Runs bytecode through the interpreter kernel on prepared columns."""

    def __init__(self, dtype: str, mathlib: str = "exprc"):
        from .backends.llvm import interpreter as interp
        from .backends.llvm import target
        self.dtype = dtype
        self.fn = interp.interpreter(dtype, mathlib)
        self.B = interp.BLOCK[dtype]
        self.W = target.target().width(dtype)
        self.fields = interp.DESC_FIELDS
        self.modes = interp.MODES

    def run(self, code: Bytecode, X: np.ndarray, n_rows: int, params: np.ndarray, poff: np.ndarray,
            mode: str, out: np.ndarray | None = None, acc: np.ndarray | None = None,
            aoff: np.ndarray | None = None, y: np.ndarray | None = None, threads: int | None = None) -> None:
        dt = np_dtype(self.dtype)
        vals = code.v32 if self.dtype == "float32" else code.v64
        keep = [np.ascontiguousarray(a) for a in (code.op, code.dst, code.a, code.b, code.c, code.arg)]
        vals = np.ascontiguousarray(vals, dtype=dt)
        params = np.ascontiguousarray(params, dtype=dt)
        dummy = np.zeros(self.W, dtype=np.float64)
        acc = dummy if acc is None else acc
        out = np.zeros(1, dt) if out is None else out
        y = np.zeros(1, dt) if y is None else y
        aoff = np.zeros(code.n, dtype=np.int64) if aoff is None else aoff
        ptr = lambda a: a.ctypes.data  # noqa: E731
        values = {"op": ptr(keep[0]), "dst": ptr(keep[1]), "a": ptr(keep[2]), "b": ptr(keep[3]),
                  "c": ptr(keep[4]), "arg": ptr(keep[5]), "vals": ptr(vals), "cstart": ptr(code.cstart),
                  "pstart": ptr(code.pstart),
                  "res": ptr(code.res), "rstart": ptr(code.rstart), "poff": ptr(poff), "params": ptr(params),
                  "X": ptr(X), "n_pad": X.shape[1], "n_rows": n_rows, "mode": self.modes[mode],
                  "out": ptr(out), "acc": ptr(acc), "y": ptr(y), "aoff": ptr(aoff)}
        desc = np.array([values[f] for f in self.fields], dtype=np.int64)
        work = np.diff(code.cstart).astype(np.float64) + 4    # instructions + the per-block output step
        ranges = _split(work, _threads(threads))
        scratch = [np.empty(code.slots * self.B + 16, dtype=dt) for _ in ranges]
        if len(ranges) == 1:
            self.fn(0, code.n, ptr(desc), ptr(scratch[0]))
            return
        from .backends.llvm import _pool
        futures = [_pool().submit(self.fn, a, b, ptr(desc), ptr(s)) for (a, b), s in zip(ranges[1:], scratch[1:])]
        a, b = ranges[0]
        self.fn(a, b, ptr(desc), ptr(scratch[0]))
        for f in futures:
            f.result()


_RUNNERS: dict[tuple, _Runner] = {}
_RUNNERS_LOCK = threading.Lock()


def _runner(dtype: str) -> _Runner:
    with _RUNNERS_LOCK:
        r = _RUNNERS.get(dtype)
        if r is None:
            r = _RUNNERS[dtype] = _Runner(dtype)
        return r


class Population:
    """Many candidate expressions over the same variables.

    expressions: exprc nodes, text (e.g. printed Operon or PySR models) or prefix token lists.
    variables: the column order of X. Candidates may use parameters ($c or names given in
    parameters); each candidate's parameter vector follows its own `parameters` order."""

    def __init__(self, expressions, variables: Sequence[str], dtype="float32", parameters: Sequence[str] = (),
                 tier: str = "auto", expected_evaluations: int = 1, backend: str = "llvm"):
        self.dtype = normalize_dtype(dtype)
        if backend not in ("llvm", "triton"):
            raise ExprcError("a population runs on the llvm (CPU) or triton (GPU) backend")
        self.backend = backend
        self.variables = tuple(variables)
        if tier not in TIERS:
            raise ExprcError(f"tier must be one of {', '.join(TIERS)}")
        self.tier = tier
        self.expected_evaluations = expected_evaluations
        given = [self._as_node(e, parameters) for e in expressions]
        self.given_sizes = np.fromiter((n.size for n in given), dtype=np.int64, count=len(given))
        from .passes.fold import fold_where_needed
        # constant folding is part of the language (O0 semantics); other rewrites are not applied
        self.nodes = [fold_where_needed(n) for n in given]
        unknown = set(ir.leaf_names(self.nodes, ir.VAR)) - set(self.variables) if len(self.nodes) < 64 else None
        if unknown:
            raise ExprcError(f"candidates use {', '.join(sorted(unknown))}, not in variables={list(self.variables)}")
        self.parameters = [n.parameters for n in self.nodes]
        self._code: Bytecode | None = None
        self._grad_code: dict[int, Bytecode] = {}
        self._kernels: dict[tuple, object] = {}

    def _as_node(self, e, parameters) -> ir.Node:
        if isinstance(e, ir.Node):
            return e if e.dtype == self.dtype or e.dtype == "bool" else ir.retype(e, self.dtype)
        if isinstance(e, str):
            from .parser import parse
            return parse(e, dtype=self.dtype, parameters=parameters, variables=self.variables)
        if isinstance(e, (list, tuple)):
            from .prefix import from_prefix
            return from_prefix(list(e), dtype=self.dtype, parameters=parameters)
        raise ExprcError(f"a candidate must be an exprc node, text or prefix tokens, not {type(e).__name__}")

    def __len__(self) -> int:
        return len(self.nodes)

    @property
    def sizes(self) -> np.ndarray:
        """Nodes per candidate as given (leaves included): the unit of node-evaluations."""
        return self.given_sizes

    # ------------------------------------------------------------------ inputs
    def _columns(self, X) -> tuple[np.ndarray, int]:
        X = np.asarray(X)
        if X.ndim == 1 and len(self.variables) == 1:
            X = X[:, None]
        if X.ndim != 2 or X.shape[1] != len(self.variables):
            raise BindError(f"X must have shape (n_rows, {len(self.variables)}), got {X.shape}")
        n = X.shape[0]
        B = _runner(self.dtype).B
        n_pad = max(B, -(-n // B) * B)
        cols = np.ones((len(self.variables) + 1, n_pad), dtype=np_dtype(self.dtype))
        cols[:-1, :n] = X.T
        return cols, n

    def _params(self, params) -> tuple[np.ndarray, np.ndarray]:
        counts = [len(p) for p in self.parameters]
        poff = np.zeros(len(self.nodes) + 1, dtype=np.int64)
        np.cumsum(counts, out=poff[1:])
        flat = np.zeros(max(1, poff[-1]), dtype=np_dtype(self.dtype))
        if poff[-1]:
            if params is None:
                raise BindError("candidates have parameters: pass params=[values per candidate]")
            if len(params) != len(self.nodes):
                raise BindError(f"params needs one vector per candidate ({len(self.nodes)}), got {len(params)}")
            for k, (p, cnt) in enumerate(zip(params, counts)):
                if cnt:
                    p = np.asarray(p, dtype=np.float64).reshape(-1)
                    if p.size != cnt:
                        raise BindError(f"candidate {k} has {cnt} parameters, got {p.size} values")
                    flat[poff[k]:poff[k] + cnt] = p
        return flat, poff[:-1].copy()

    def bytecode(self) -> Bytecode:
        if self._code is None:
            columns = {v: k for k, v in enumerate(self.variables)}
            positions = [{name: k for k, name in enumerate(p)} if p else None for p in self.parameters]
            self._code = tree_bytecode(self.nodes, columns, positions)
        return self._code

    def choose_tier(self, n_rows: int, tier: str | None = None) -> str:
        tier = tier or self.tier
        if tier != "auto":
            return tier
        work = float(self.sizes.sum()) * n_rows * self.expected_evaluations
        interp = work / INTERPRETER_RATE
        jit = len(self.nodes) * JIT_COMPILE_SECONDS + work / JIT_RATE
        return "jit" if jit < interp else "interpreter"

    # ------------------------------------------------------------------ evaluation
    def predict(self, X, params=None, threads: int | None = None, tier: str | None = None,
                out: np.ndarray | None = None) -> np.ndarray:
        """Predictions, shape (n_candidates, n_rows). out: a preallocated (n_candidates, n_rows)
        array of the dtype to write into (saves allocating and first-touching it per call)."""
        cols, n = self._columns(X)
        if self.backend == "triton":
            flat, poff = self._params(params)
            return _triton_run(self, cols, n, flat, poff, "predict")[:, :n]
        if self.choose_tier(n, tier) == "jit":
            return self._jit_predict(cols, n, params, threads)
        flat, poff = self._params(params)
        padded = cols.shape[1]
        if out is not None:
            if out.shape != (len(self.nodes), n) or out.dtype != np_dtype(self.dtype):
                raise BindError(f"out must be a {self.dtype} array of shape {(len(self.nodes), n)}")
            if n == padded and out.flags.c_contiguous:
                _runner(self.dtype).run(self.bytecode(), cols, n, flat, poff, "predict", out=out, threads=threads)
                return out
        full = np.empty((len(self.nodes), padded), dtype=np_dtype(self.dtype))
        _runner(self.dtype).run(self.bytecode(), cols, n, flat, poff, "predict", out=full, threads=threads)
        if out is not None:
            out[...] = full[:, :n]
            return out
        return full[:, :n]

    def loss(self, X, y, metric: str = "mse", params=None, threads: int | None = None,
             tier: str | None = None) -> np.ndarray:
        """One loss per candidate, computed inside the kernel (predictions are never stored).
        mse, mae, max: of the residuals; r2: 1 - SSE/SST. NaN for candidates whose predictions
        include NaN or infinity."""
        if metric not in METRICS:
            raise ExprcError(f"metric must be one of {', '.join(METRICS)}")
        cols, n = self._columns(X)
        yv = self._target(y, n, cols.shape[1])
        kernel_metric = "mse" if metric == "r2" else metric
        if self.backend == "triton":
            flat, poff = self._params(params)
            partial = _triton_run(self, cols, n, flat, poff, kernel_metric, y=yv)
            total = partial.max(axis=1) if kernel_metric == "max" else reduce_lanes(partial, kernel_metric)
            return self._finish(total, metric, n, yv[:n])
        W = _runner(self.dtype).W
        acc = np.zeros((len(self.nodes), W), dtype=np.float64)
        if self.choose_tier(n, tier) == "jit":
            self._jit_loss(cols, n, yv, kernel_metric, params, acc, threads)
        else:
            flat, poff = self._params(params)
            aoff = np.arange(len(self.nodes), dtype=np.int64) * W
            _runner(self.dtype).run(self.bytecode(), cols, n, flat, poff, kernel_metric, acc=acc, aoff=aoff,
                                    y=yv, threads=threads)
        total = reduce_lanes(acc, kernel_metric)
        return self._finish(total, metric, n, yv[:n])

    @staticmethod
    def _finish(total: np.ndarray, metric: str, n: int, y: np.ndarray) -> np.ndarray:
        with np.errstate(all="ignore"):
            if metric == "max":
                out = total
            elif metric == "r2":
                y64 = y.astype(np.float64)
                sst = float(np.sum((y64 - y64.mean()) ** 2))
                out = 1.0 - total / sst if sst > 0 else np.where(total == 0, 1.0, -np.inf)
            else:
                out = total / n
        return np.where(np.isfinite(total), out, np.nan)

    def _target(self, y, n: int, n_pad: int) -> np.ndarray:
        y = np.asarray(y).reshape(-1)
        if y.shape[0] != n:
            raise BindError(f"y has {y.shape[0]} rows, X has {n}")
        out = np.zeros(n_pad, dtype=np_dtype(self.dtype))
        out[:n] = y
        return out

    # ------------------------------------------------------------------ gradients
    def loss_and_grad(self, X, y, params, threads: int | None = None) -> tuple[np.ndarray, list[np.ndarray]]:
        """MSE loss and its gradient with respect to each candidate's parameters, from the IR
        derivatives (reverse mode, sharing work with the prediction), evaluated in one pass."""
        from .diff import gradients
        cols, n = self._columns(X)
        yv = self._target(y, n, cols.shape[1])
        cols[-1, :] = yv                      # y travels as the last column
        columns = {v: k for k, v in enumerate(self.variables)}
        columns["__y"] = len(self.variables)
        W = _runner(self.dtype).W
        codes, aoff, counts = [], [], []
        for k, node in enumerate(self.nodes):
            key = id(node)
            code = self._grad_code.get(key)
            if code is None:
                names = self.parameters[k]
                leaves = [ir.param(p, self.dtype) for p in names]
                r = ir.apply("sub", node, ir.var("__y", self.dtype))
                grads = gradients([node], [r], leaves) if names else []
                code = dag_bytecode([node] + list(grads), columns, {p: j for j, p in enumerate(names)})
                self._grad_code[key] = code
            codes.append(code)
            counts.append(len(self.parameters[k]) + 1)
        all_code = concat(codes)
        aoff = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64) * W
        acc = np.zeros(int(sum(counts)) * W, dtype=np.float64)
        flat, poff = self._params(params)
        _runner(self.dtype).run(all_code, cols, n, flat, poff, "mse_grad", acc=acc, aoff=aoff, y=yv,
                                threads=threads)
        lanes = acc.reshape(-1, W)
        totals = reduce_lanes(lanes, "mse")
        losses, grads = np.empty(len(self.nodes)), []
        for k, (start, cnt) in enumerate(zip(aoff // W, counts)):
            losses[k] = totals[start] / n if np.isfinite(totals[start]) else np.nan
            grads.append(2.0 * totals[start + 1:start + cnt] / n)
        return losses, grads

    def jacobian(self, X, params, threads: int | None = None) -> tuple[np.ndarray, list[np.ndarray]]:
        """Predictions (n_candidates, n_rows) and, per candidate, d prediction / d parameter as
        an (n_rows, n_parameters) matrix: what Levenberg-Marquardt needs. The derivatives come
        from the IR (one DAG per candidate, sharing work with the prediction)."""
        from .diff import grad
        cols, n = self._columns(X)
        columns = {v: k for k, v in enumerate(self.variables)}
        codes = []
        for k, node in enumerate(self.nodes):
            key = ("jacobian", id(node))
            code = self._grad_code.get(key)
            if code is None:
                names = self.parameters[k]
                derivs = grad(node, ["$" + p for p in names], simplify=False) if names else []
                code = dag_bytecode([node] + list(derivs), columns, {p: j for j, p in enumerate(names)})
                self._grad_code[key] = code
            codes.append(code)
        all_code = concat(codes)
        flat, poff = self._params(params)
        out = np.empty((int(all_code.rstart[-1]), cols.shape[1]), dtype=np_dtype(self.dtype))
        _runner(self.dtype).run(all_code, cols, n, flat, poff, "predict", out=out, threads=threads)
        preds = np.empty((len(self.nodes), n), dtype=np_dtype(self.dtype))
        jacs = []
        for k in range(len(self.nodes)):
            r0, r1 = all_code.rstart[k], all_code.rstart[k + 1]
            preds[k] = out[r0, :n]
            jacs.append(out[r0 + 1:r1, :n].T.copy())
        return preds, jacs

    # ------------------------------------------------------------------ the JIT tier
    def _program(self, k: int):
        from .program import Program
        return Program.build([self.nodes[k]], self.dtype, variables=self.variables, parameters=self.parameters[k])

    def _jit_each(self, fn, threads):
        t = _threads(threads)
        if t == 1 or len(self.nodes) == 1:
            for k in range(len(self.nodes)):
                fn(k)
            return
        from .backends.llvm import _pool
        ranges = _split(self.sizes.astype(np.float64), t)

        def run(a, b):
            for k in range(a, b):
                fn(k)
        futures = [_pool().submit(run, a, b) for a, b in ranges[1:]]
        run(*ranges[0])
        for f in futures:
            f.result()

    def _jit_function(self, k: int, layout: str, loss: str | None):
        key = (k, layout, loss)
        fn = self._kernels.get(key)
        if fn is None:
            from .backends.llvm import compiled_function
            fn = self._kernels[key] = compiled_function(self._program(k), layout, False, "exprc", loss)
        return fn

    def _jit_predict(self, cols, n, params, threads):
        import ctypes
        flat, poff = self._params(params)
        out = np.empty((len(self.nodes), n), dtype=np_dtype(self.dtype))
        nv = len(self.variables)
        layout = "c" * (nv + 1)
        for k in range(len(self.nodes)):      # compile first (the engine is not thread-safe)
            self._jit_function(k, layout, None)

        def one(k):
            slots = []
            for j in range(nv):
                slots += [cols[j].ctypes.data, 1]
            slots += [flat.ctypes.data + poff[k] * flat.itemsize, out[k].ctypes.data, 1]
            self._jit_function(k, layout, None)(0, n, (ctypes.c_int64 * len(slots))(*slots))
        self._jit_each(one, threads)
        return out

    def _jit_loss(self, cols, n, yv, metric, params, acc, threads):
        import ctypes
        flat, poff = self._params(params)
        nv = len(self.variables)
        layout = "c" * nv
        for k in range(len(self.nodes)):
            self._jit_function(k, layout, metric)

        def one(k):
            slots = []
            for j in range(nv):
                slots += [cols[j].ctypes.data, 1]
            slots += [flat.ctypes.data + poff[k] * flat.itemsize, yv.ctypes.data, acc[k].ctypes.data]
            self._jit_function(k, layout, metric)(0, n, (ctypes.c_int64 * len(slots))(*slots))
        self._jit_each(one, threads)


_TRITON_BLOCK = 256
_TRITON_MODES = {"predict": 0, "mse": 1, "mae": 2, "max": 3}


def _triton_run(pop: "Population", cols, n, flat, poff, mode: str, y=None) -> np.ndarray:
    """Evaluate the population's bytecode with the Triton population kernel (one launch)."""
    import torch
    from .backends import triton_backend as tb
    tb.require_triton()
    dev = tb.device()
    module = tb.load_module(tb.population_source(pop.dtype), interpret=tb.interpreting())
    code = pop.bytecode()
    B = _TRITON_BLOCK
    n_pad = -(-max(n, 1) // B) * B
    X = np.ones((cols.shape[0], n_pad), dtype=cols.dtype)
    X[:, :min(n_pad, cols.shape[1])] = cols[:, :n_pad]
    n_blocks = n_pad // B
    ncand = code.n
    groups = max(1, min(n_blocks, 4096 // max(ncand, 1)))
    T = lambda a, dt=None: torch.as_tensor(np.ascontiguousarray(a), dtype=dt).to(dev)  # noqa: E731
    tdt = torch.float32 if pop.dtype == "float32" else torch.float64
    vals = code.v32 if pop.dtype == "float32" else code.v64
    scratch = torch.empty(ncand * groups * code.slots * B, dtype=tdt, device=dev)
    out = torch.empty((ncand, n_pad) if mode == "predict" else (1,), dtype=tdt, device=dev)
    partial = torch.zeros((ncand, groups * B), dtype=torch.float64, device=dev)
    yv = T(np.pad(y, (0, max(0, n_pad - len(y))))[:n_pad], tdt) if y is not None else T(np.zeros(1), tdt)
    args = [T(code.op), T(code.dst), T(code.a), T(code.b), T(code.c), T(code.arg), T(vals, tdt),
            T(code.cstart), T(code.res), T(flat, tdt), T(poff), T(X, tdt), n_pad, n, yv, out, partial,
            scratch, n_blocks, groups]
    module.exprc_population[(ncand, groups)](*args, MODE=_TRITON_MODES[mode], SLOTS=code.slots, BLOCK=B,
                                             **tb.launch_options(False))
    return (out if mode == "predict" else partial).cpu().numpy()
