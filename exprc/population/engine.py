"""Population: score thousands of candidate expressions per call.

Candidates are flat programs (flat.py): text and prefix tokens are parsed into them in bulk
(text.py, prefix.py), IR nodes are converted walking each node once. Two tiers compute
bit-identical results:
- interpreter (cold): one precompiled LLVM kernel runs register bytecode over blocks of rows
  (backends/llvm/interpreter.py); the bytecode is numpy work over the flat programs, so a
  population never seen before is evaluated without any per-candidate compile.
- jit (hot, jit.py): each candidate compiled on its own. Worth it when a candidate is
  evaluated many times on many rows (constant fitting, large data, the final model).

tier="auto" picks by rows x expected evaluations; both cores work across candidates.
Candidates are evaluated as exprc.compile(candidate, optimize=0) would: constant subtrees are
folded (that is part of the language), no algebraic rewrite is applied.
Losses are accumulated inside the kernels in float64 lanes in a fixed row order, so every
tier returns the same bits; a candidate whose predictions include NaN or inf gets a NaN loss.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from .. import ir
from ..dtypes import normalize_dtype, np_dtype
from ..errors import BindError, ExprcError
from . import encoding as enc
from . import flat as flatmod
from .bytecode import concat, dag_bytecode, tree_bytecode
from .flat import FlatPrograms
from .runner import reduce_lanes, runner

METRICS = ("mse", "mae", "r2", "max")
TIERS = ("auto", "interpreter", "jit")

# rough throughputs for the tier choice (node evaluations per second, one core; measured by
# benchmarks/bench_population.py on the development machine) and the cost of one JIT compile
INTERPRETER_RATE = 8e9
JIT_RATE = 2.5e10
JIT_COMPILE_SECONDS = 0.006


def to_flat(expressions, dtype, parameters: Sequence[str] = (), variables: Sequence[str] = ()
            ) -> tuple[FlatPrograms, np.ndarray]:
    """Flat programs for a mixed list of texts, prefix token lists and IR nodes (each kind
    converted in bulk), in the given order, and each candidate's node count as given."""
    from .prefix import parse_prefix_many
    from .text import parse_many_flat
    d = normalize_dtype(dtype)
    if isinstance(expressions, FlatPrograms):
        if expressions.dtype != d:
            raise ExprcError(f"these flat programs are {expressions.dtype}, the population is {d}")
        return expressions, expressions.lengths.copy()
    items = list(expressions)
    kinds = {"text": [], "prefix": [], "node": []}
    for k, e in enumerate(items):
        if isinstance(e, str):
            kinds["text"].append(k)
        elif isinstance(e, ir.Node):
            kinds["node"].append(k)
        elif isinstance(e, (list, tuple)):
            kinds["prefix"].append(k)
        else:
            raise ExprcError(f"a candidate must be an exprc node, text or prefix tokens, not {type(e).__name__}")
    batches, sizes, order = [], [], []
    if kinds["text"]:
        f, s = parse_many_flat([items[k] for k in kinds["text"]], d, parameters, variables)
        batches.append(f), sizes.append(s), order.extend(kinds["text"])
    if kinds["prefix"]:
        f, s = parse_prefix_many([items[k] for k in kinds["prefix"]], d, parameters)
        batches.append(f), sizes.append(s), order.extend(kinds["prefix"])
    if kinds["node"]:
        nodes = [items[k] for k in kinds["node"]]
        batches.append(flatmod.from_nodes(nodes, d))
        sizes.append(np.fromiter((n.size for n in nodes), dtype=np.int64, count=len(nodes)))
        order.extend(kinds["node"])
    if not batches:
        return flatmod.empty(d), np.zeros(0, dtype=np.int64)
    flat = flatmod.concat(batches)
    given = np.concatenate(sizes)
    if len(batches) > 1:
        inverse = np.empty(len(order), dtype=np.int64)
        inverse[np.asarray(order)] = np.arange(len(order))
        flat, given = flat.take(inverse), given[inverse]
    return flat, given


def pair_starts(rstart: np.ndarray) -> np.ndarray:
    """Where each candidate's normal-equation sums begin (Population.normal_equations): for k
    outputs, k (k + 1) / 2 pairs p <= q, candidate after candidate."""
    nout = np.diff(rstart)
    tstart = np.zeros(len(nout) + 1, dtype=np.int64)
    np.cumsum(nout * (nout + 1) // 2, out=tstart[1:])
    return tstart


class Population:
    """Many candidate expressions over the same variables.

    expressions: exprc nodes, text (e.g. printed Operon or PySR models), prefix token lists, or
    FlatPrograms. variables: the column order of X. Candidates may use parameters ($c or names
    given in parameters); each candidate's parameter vector follows its own `parameters` order
    (first appearance, left to right)."""

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
        # the population's variables are declared names: they win over constants such as e
        self.flat, self.given_sizes = to_flat(expressions, self.dtype, parameters, self.variables)
        unknown = set(self.flat.variable_names()) - set(self.variables)
        if unknown:
            raise ExprcError(f"candidates use {', '.join(sorted(unknown))}, not in variables={list(self.variables)}")
        self._param_slot, self.parameters = self.flat.parameter_slots()
        self._nodes: list[ir.Node | None] = [None] * len(self.flat)
        self._code: enc.Bytecode | None = None
        self._grad_code: dict[tuple, enc.Bytecode] = {}
        self._jit = None

    @classmethod
    def from_prefix(cls, token_lists, variables: Sequence[str], dtype="float32", parameters: Sequence[str] = (),
                    **kwargs) -> "Population":
        """A population from prefix token lists (strings are split on whitespace), in bulk."""
        from .prefix import parse_prefix_many
        flat, sizes = parse_prefix_many(token_lists, dtype, parameters)
        pop = cls(flat, variables, dtype=dtype, parameters=parameters, **kwargs)
        pop.given_sizes = sizes
        return pop

    def __len__(self) -> int:
        return len(self.flat)

    @property
    def sizes(self) -> np.ndarray:
        """Nodes per candidate as given (leaves included): the unit of node-evaluations."""
        return self.given_sizes

    def node(self, k: int) -> ir.Node:
        """Candidate k as IR (built on first use: only gradients and the JIT tier need it)."""
        n = self._nodes[k]
        if n is None:
            n = self._nodes[k] = self.flat.take([k]).to_nodes()[0]
        return n

    @property
    def nodes(self) -> list[ir.Node]:
        return [self.node(k) for k in range(len(self))]

    def hashes(self) -> np.ndarray:
        """A structural hash per candidate (equal programs hash equal, in any process)."""
        return self.flat.hashes()

    # ------------------------------------------------------------------ inputs
    def _columns(self, X) -> tuple[np.ndarray, int]:
        X = np.asarray(X)
        if X.ndim == 1 and len(self.variables) == 1:
            X = X[:, None]
        if X.ndim != 2 or X.shape[1] != len(self.variables):
            raise BindError(f"X must have shape (n_rows, {len(self.variables)}), got {X.shape}")
        n = X.shape[0]
        B = enc.BLOCK[self.dtype]
        n_pad = max(B, -(-n // B) * B)
        cols = np.ones((len(self.variables) + 1, n_pad), dtype=np_dtype(self.dtype))
        cols[:-1, :n] = X.T
        return cols, n

    def _params(self, params) -> tuple[np.ndarray, np.ndarray]:
        counts = [len(p) for p in self.parameters]
        poff = np.zeros(len(self) + 1, dtype=np.int64)
        np.cumsum(counts, out=poff[1:])
        flat = np.zeros(max(1, poff[-1]), dtype=np_dtype(self.dtype))
        if poff[-1]:
            if params is None:
                raise BindError("candidates have parameters: pass params=[values per candidate]")
            if isinstance(params, np.ndarray) and params.ndim == 1 and params.size == poff[-1]:
                flat[:] = params            # already one vector, candidate after candidate
                return flat, poff[:-1].copy()
            if len(params) != len(self):
                raise BindError(f"params needs one vector per candidate ({len(self)}), got {len(params)}")
            for k, (p, cnt) in enumerate(zip(params, counts)):
                if cnt:
                    p = np.asarray(p, dtype=np.float64).reshape(-1)
                    if p.size != cnt:
                        raise BindError(f"candidate {k} has {cnt} parameters, got {p.size} values")
                    flat[poff[k]:poff[k] + cnt] = p
        return flat, poff[:-1].copy()

    def bytecode(self) -> enc.Bytecode:
        if self._code is None:
            self._code = tree_bytecode(self.flat, self.variables, self._param_slot)
        return self._code

    def choose_tier(self, n_rows: int, tier: str | None = None) -> str:
        tier = tier or self.tier
        if tier != "auto":
            return tier
        work = float(self.sizes.sum()) * n_rows * self.expected_evaluations
        interp = work / INTERPRETER_RATE
        jit = len(self) * JIT_COMPILE_SECONDS + work / JIT_RATE
        return "jit" if jit < interp else "interpreter"

    def _jit_tier(self):
        if self._jit is None:
            from .jit import JitTier
            self._jit = JitTier(self)
        return self._jit

    # ------------------------------------------------------------------ evaluation
    def predict(self, X, params=None, threads: int | None = None, tier: str | None = None,
                out: np.ndarray | None = None) -> np.ndarray:
        """Predictions, shape (n_candidates, n_rows). out: a preallocated (n_candidates, n_rows)
        array of the dtype to write into (saves allocating and first-touching it per call)."""
        cols, n = self._columns(X)
        flat, poff = self._params(params)
        if self.backend == "triton":
            from . import triton_tier
            return triton_tier.run(self, cols, n, flat, poff, "predict")[:, :n]
        if self.choose_tier(n, tier) == "jit":
            return self._jit_tier().predict(cols, n, flat, poff, threads)
        padded = cols.shape[1]
        if out is not None:
            if out.shape != (len(self), n) or out.dtype != np_dtype(self.dtype):
                raise BindError(f"out must be a {self.dtype} array of shape {(len(self), n)}")
            if n == padded and out.flags.c_contiguous:
                runner(self.dtype).run(self.bytecode(), cols, n, flat, poff, "predict", out=out, threads=threads)
                return out
        full = np.empty((len(self), padded), dtype=np_dtype(self.dtype))
        runner(self.dtype).run(self.bytecode(), cols, n, flat, poff, "predict", out=full, threads=threads)
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
        flat, poff = self._params(params)
        if self.backend == "triton":
            from . import triton_tier
            partial = triton_tier.run(self, cols, n, flat, poff, kernel_metric, y=yv)
            total = partial.max(axis=1) if kernel_metric == "max" else reduce_lanes(partial, kernel_metric)
            return self._finish(total, metric, n, yv[:n])
        W = runner(self.dtype).W
        acc = np.zeros((len(self), W), dtype=np.float64)
        if self.choose_tier(n, tier) == "jit":
            self._jit_tier().loss(cols, n, yv, kernel_metric, flat, poff, acc, threads)
        else:
            aoff = np.arange(len(self), dtype=np.int64) * W
            runner(self.dtype).run(self.bytecode(), cols, n, flat, poff, kernel_metric, acc=acc, aoff=aoff,
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
    def _dag_code(self, key: tuple, k: int, build_outputs, columns: dict[str, int]) -> enc.Bytecode:
        code = self._grad_code.get(key)
        if code is None:
            names = self.parameters[k]
            outputs = build_outputs(self.node(k), names)
            code = dag_bytecode(outputs, columns, {p: j for j, p in enumerate(names)}, self.dtype)
            self._grad_code[key] = code
        return code

    def loss_and_grad(self, X, y, params, threads: int | None = None) -> tuple[np.ndarray, list[np.ndarray]]:
        """MSE loss and its gradient with respect to each candidate's parameters, from the IR
        derivatives (reverse mode, sharing work with the prediction), evaluated in one pass."""
        from ..diff import gradients
        cols, n = self._columns(X)
        yv = self._target(y, n, cols.shape[1])
        cols[-1, :] = yv                      # y travels as the last column
        columns = {v: k for k, v in enumerate(self.variables)}
        columns["__y"] = len(self.variables)
        W = runner(self.dtype).W

        def outputs(node, names):
            leaves = [ir.param(p, self.dtype) for p in names]
            r = ir.apply("sub", node, ir.var("__y", self.dtype))
            return [node] + (list(gradients([node], [r], leaves)) if names else [])
        codes = [self._dag_code(("grad", k), k, outputs, columns) for k in range(len(self))]
        counts = [len(p) + 1 for p in self.parameters]
        all_code = concat(codes)
        aoff = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64) * W
        acc = np.zeros(int(sum(counts)) * W, dtype=np.float64)
        flat, poff = self._params(params)
        runner(self.dtype).run(all_code, cols, n, flat, poff, "mse_grad", acc=acc, aoff=aoff, y=yv,
                               threads=threads)
        totals = reduce_lanes(acc.reshape(-1, W), "mse")
        losses, grads = np.empty(len(self)), []
        for k, (start, cnt) in enumerate(zip(aoff // W, counts)):
            losses[k] = totals[start] / n if np.isfinite(totals[start]) else np.nan
            grads.append(2.0 * totals[start + 1:start + cnt] / n)
        return losses, grads

    def jacobian_code(self) -> enc.Bytecode:
        """Forward-mode Jacobian bytecode for the whole population (built once, in bulk)."""
        code = self._grad_code.get("jacobian")
        if code is None:
            from .tangent import jacobian_bytecode
            counts = np.array([len(p) for p in self.parameters], dtype=np.int64)
            code = self._grad_code["jacobian"] = jacobian_bytecode(self.flat, self.variables, self._param_slot,
                                                                   counts)
        return code

    def jacobian_rows(self, X, params, threads: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Every candidate's prediction and its derivative with respect to each of its
        parameters, as rows of one (total outputs, n_rows) array: candidate k's rows are
        rstart[k] (the prediction) and rstart[k] + 1 + j (d / d parameter j). Returns (rows,
        rstart). params: one vector per candidate, or all of them concatenated."""
        cols, n = self._columns(X)
        code = self.jacobian_code()
        flat, poff = self._params(params)
        out = np.empty((int(code.rstart[-1]), cols.shape[1]), dtype=np_dtype(self.dtype))
        runner(self.dtype).run(code, cols, n, flat, poff, "predict", out=out, threads=threads)
        return out[:, :n], code.rstart

    def normal_equations(self, X, y, params, threads: int | None = None,
                         active: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Per candidate, with r = prediction - y and J its Jacobian (forward mode, as
        jacobian): r.r, J^T r and J^T J, summed inside the kernel in float64 lanes (J is never
        stored). Returns (totals, tstart): candidate k's sums of v_p * v_q over the rows, for
        the pairs p <= q (row-major) of v = [r, dpred/dparam_0, ...], are
        totals[tstart[k]:tstart[k + 1]]. active: a bool per candidate; the others are skipped
        (their totals are 0)."""
        cols, n = self._columns(X)
        yv = self._target(y, n, cols.shape[1])
        code = self.jacobian_code()
        tstart = pair_starts(code.rstart)
        W = runner(self.dtype).W
        acc = np.zeros(int(tstart[-1]) * W, dtype=np.float64)
        flat, poff = self._params(params)
        runner(self.dtype).run(code, cols, n, flat, poff, "normal", acc=acc, aoff=tstart[:-1] * W, y=yv,
                               threads=threads, active=active)
        return reduce_lanes(acc.reshape(-1, W), "mse"), tstart

    def jacobian(self, X, params, threads: int | None = None) -> tuple[np.ndarray, list[np.ndarray]]:
        """Predictions (n_candidates, n_rows) and, per candidate, d prediction / d parameter as
        an (n_rows, n_parameters) matrix: what Levenberg-Marquardt needs. Forward mode, from
        the registry's derivative templates (tangent.py); a piecewise-constant op contributes
        0, an op without a derivative NaN."""
        rows, rstart = self.jacobian_rows(X, params, threads)
        preds = rows[rstart[:-1]]
        jacs = [rows[rstart[k] + 1:rstart[k + 1]].T.copy() for k in range(len(self))]
        return preds, jacs
