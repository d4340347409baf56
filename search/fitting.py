"""Fitting the constants of candidate expressions, many candidates at once.

Levenberg-Marquardt in float64 on (optionally weighted) residuals, batched: one population
call gives every candidate's predictions and Jacobian (from the IR derivatives). Used by the
symbolic regressor and, on relative error, by the approximation search before its float32
refinement (refine_float32: CMA-ES on the max ULP error of the float32 program itself, as
RLIBM argues: optimize what will run, not the real-arithmetic formula).
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from exprc import ir
from exprc.population import Population
from exprc.population.engine import pair_starts


def levenberg_marquardt(nodes: Sequence[ir.Node], params: Sequence[np.ndarray], X: np.ndarray,
                        y: np.ndarray, variables: Sequence[str], weights: np.ndarray | None = None,
                        iterations: int = 20, dtype: str = "float64") -> tuple[list[np.ndarray], np.ndarray]:
    """Minimize sum(((f(X; p) - y) * w)**2) for each candidate's parameters p.
    Returns the fitted parameters and each candidate's final sum of squares (NaN if unusable)."""
    pop = Population(list(nodes), variables=variables, dtype=dtype)
    vectors = [np.asarray(p, dtype=np.float64).reshape(-1) for p in params]
    flat = np.concatenate(vectors) if vectors else np.zeros(0)
    fitted, loss = fit_population(pop, flat, X, y, weights=weights, iterations=iterations)
    ends = np.cumsum([len(v) for v in vectors])
    return np.split(fitted, ends[:-1]) if len(vectors) else [], loss


def fit_population(pop: Population, params: np.ndarray, X: np.ndarray, y: np.ndarray,
                   weights: np.ndarray | None = None, iterations: int = 20) -> tuple[np.ndarray, np.ndarray]:
    """Levenberg-Marquardt for every candidate of a population at once, in float64.

    params: every candidate's parameters concatenated (Population.parameters order). Each
    iteration is one kernel call that evaluates every candidate's prediction and forward-mode
    Jacobian (bytecode built once) and reduces them to the normal equations r.r, J^T r, J^T J
    in the kernel (Population.normal_equations; with weights, from the stored Jacobians);
    candidates with the same number of parameters take their damped Gauss-Newton step
    together (one batched solve), so the Python work per iteration is per group, never per
    candidate. A step is kept only where it lowers the candidate's sum of squares; a candidate
    stops iterating (and the kernel skips it) once it has converged: an accepted step gaining
    less than 1e-6 of its cost (Ceres' default function tolerance), a cost of zero, or damping
    above 1e10. Returns the parameters and each final sum of squares (NaN where no parameters
    gave a finite prediction)."""
    P = np.asarray(params, dtype=np.float64).reshape(-1).copy()
    y = np.asarray(y, dtype=np.float64)
    counts = np.array([len(p) for p in pop.parameters], dtype=np.int64)
    poff = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64)
    has = counts > 0
    lam = np.full(len(counts), 1e-3)
    groups = []
    for m in np.unique(counts[has]):
        pos = np.zeros((m + 1, m + 1), dtype=np.int64)     # where pair (p, q) sits, row-major p <= q
        iu = np.triu_indices(m + 1)
        pos[iu] = np.arange(len(iu[0]))
        pos = np.maximum(pos, pos.T)
        groups.append((int(m), np.flatnonzero(counts == m), pos))

    def run(p, active=None):
        with np.errstate(all="ignore"):
            if weights is None:
                totals, tstart = pop.normal_equations(X, y, p, active=active)
            else:
                totals, tstart = _weighted_normal_equations(pop, X, y, np.asarray(weights, np.float64), p)
        s = totals[tstart[:-1]]
        return totals, tstart, np.where(np.isfinite(s), s, np.inf)

    with np.errstate(all="ignore"):
        totals, tstart, loss = run(P)
        active = has & np.isfinite(loss) & (loss > 0)
        for _ in range(iterations if groups else 0):
            if not active.any():
                break
            trial = P.copy()
            for m, idx_all, pos in groups:
                idx = idx_all[active[idx_all]]
                if not len(idx):
                    continue
                blk = totals[tstart[idx][:, None] + np.arange(pos[-1, -1] + 1)]          # [B, pairs]
                g, A = blk[:, pos[0, 1:]], blk[:, pos[1:, 1:]]
                ok = np.isfinite(A).all(axis=(1, 2)) & np.isfinite(g).all(axis=1)
                active[idx[~ok]] = False           # no usable Jacobian: nothing to iterate on
                if not ok.any():
                    continue
                A, g, sel = A[ok], g[ok], idx[ok]
                diag = np.diagonal(A, axis1=1, axis2=2)
                damped = A + (lam[sel][:, None, None] * np.eye(m)[None]) * (diag + 1e-12)[:, :, None]
                steps = _solve(damped, -g)
                good = np.isfinite(steps).all(axis=1)
                slots = poff[sel[good]][:, None] + np.arange(m)
                trial[slots] = P[slots] + steps[good]
            ttotals, _, tloss = run(trial, active)
            better = (tloss < loss) & active
            keep_p = np.repeat(better, counts)
            P[keep_p] = trial[keep_p]
            keep_t = np.repeat(better, np.diff(tstart))
            totals[keep_t] = ttotals[keep_t]
            # converged, as Ceres' function tolerance has it: an accepted step that gains less
            # than 1e-6 of the cost, a cost of zero, or a damping so large no step is taken
            small_gain = better & (loss - tloss <= 1e-6 * loss)
            loss = np.where(better, tloss, loss)
            lam = np.where(better, np.maximum(lam / 3, 1e-12), np.where(has, np.minimum(lam * 4, 1e12), lam))
            active &= ~small_gain & (loss > 0) & (lam < 1e10)
    return P, np.where(np.isfinite(loss), loss, np.nan)


def _weighted_normal_equations(pop: Population, X, y, w, params) -> tuple[np.ndarray, np.ndarray]:
    """Population.normal_equations' layout for residuals and Jacobians weighted by w per row."""
    rows, rstart = pop.jacobian_rows(X, params)
    nout = np.diff(rstart)
    tstart = pair_starts(rstart)
    v = rows.astype(np.float64) * w
    v[rstart[:-1]] -= y * w
    totals = np.empty(int(tstart[-1]))
    for k0 in np.unique(nout):
        idx = np.flatnonzero(nout == k0)
        blk = v[rstart[idx][:, None] + np.arange(k0)]                  # [B, k0, n]
        gram = blk @ blk.transpose(0, 2, 1)
        iu = np.triu_indices(k0)
        totals[tstart[idx][:, None] + np.arange(len(iu[0]))] = gram[:, iu[0], iu[1]]
    return totals, tstart


def _solve(A: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Batched solve; a singular system gives NaN for that item only."""
    try:
        return np.linalg.solve(A, b[:, :, None])[:, :, 0]
    except np.linalg.LinAlgError:
        out = np.full(b.shape, np.nan)
        for k in range(len(b)):
            try:
                out[k] = np.linalg.solve(A[k], b[k])
            except np.linalg.LinAlgError:
                pass
        return out


def ulp_errors(pred32: np.ndarray, ref: np.ndarray, ulp: np.ndarray) -> np.ndarray:
    """Per candidate: max error in ULPs over the sample (inf where a result is not finite)."""
    with np.errstate(all="ignore"):
        err = np.abs(pred32.astype(np.float64) - ref) / ulp
    err = np.where(np.isfinite(err), err, np.inf)
    return err.max(axis=-1)


def refine_float32(node: ir.Node, params: np.ndarray, x: np.ndarray, ref: np.ndarray, ulp: np.ndarray,
                   evaluations: int = 3000, seed: int = 0, sigma: float = 1e-6) -> tuple[np.ndarray, float]:
    """CMA-ES on the float32 program's max ULP error over the sample (ties broken by the mean),
    in relative steps around params. Returns the best float32-representable parameters."""
    import cma
    p0 = np.asarray(params, dtype=np.float64)
    if p0.size == 0:
        return p0, float(ulp_errors(_predict([node], [p0], x), ref, ulp)[0])
    scale = np.where(p0 != 0, np.abs(p0), 1e-3)
    best_p = p0.astype(np.float32).astype(np.float64)
    best = float(ulp_errors(_predict([node], [best_p], x), ref, ulp)[0])
    popsize = max(8, 4 + int(3 * np.log(p0.size)) * 2)
    es = cma.CMAEvolutionStrategy(np.zeros(p0.size), sigma,
                                  {"seed": seed + 1, "verbose": -9, "popsize": popsize, "tolfun": 0,
                                   "tolx": 1e-12, "maxfevals": evaluations})
    nodes = [node] * popsize
    while not es.stop():
        zs = es.ask()
        cands = [(p0 + np.asarray(z) * scale).astype(np.float32).astype(np.float64) for z in zs]
        with np.errstate(all="ignore"):
            pred = _predict(nodes[:len(cands)], cands, x)
            errs = np.abs(pred.astype(np.float64) - ref) / ulp
        errs = np.where(np.isfinite(errs), errs, 1e30)
        mx = errs.max(axis=1)
        fitness = mx + 1e-3 * errs.mean(axis=1)
        es.tell(zs, fitness.tolist())
        k = int(np.argmin(mx))
        if mx[k] < best:
            best, best_p = float(mx[k]), cands[k]
    return best_p, best


def _predict(nodes, params, x) -> np.ndarray:
    pop = Population(list(nodes), variables=["x"], dtype="float32")
    return pop.predict(np.asarray(x, dtype=np.float32).reshape(-1, 1), params=[np.asarray(p) for p in params])
