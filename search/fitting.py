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


def levenberg_marquardt(nodes: Sequence[ir.Node], params: Sequence[np.ndarray], X: np.ndarray,
                        y: np.ndarray, variables: Sequence[str], weights: np.ndarray | None = None,
                        iterations: int = 20, dtype: str = "float64") -> tuple[list[np.ndarray], np.ndarray]:
    """Minimize sum(((f(X; p) - y) * w)**2) for each candidate's parameters p.
    Returns the fitted parameters and each candidate's final sum of squares (NaN if unusable)."""
    params = [np.asarray(p, dtype=np.float64).copy() for p in params]
    w = np.ones(len(y)) if weights is None else np.asarray(weights, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    pop = Population(list(nodes), variables=variables, dtype=dtype)
    lam = np.full(len(nodes), 1e-3)
    has = np.array([len(p) > 0 for p in params])

    def sse(pred):
        with np.errstate(all="ignore"):
            r = (pred.astype(np.float64) - y) * w
            s = (r * r).sum(axis=1)
        return np.where(np.isfinite(s), s, np.inf)

    # candidates with the same number of parameters take each step together (stacked arrays,
    # one batched solve), so the Python work per iteration is per group, not per candidate
    sizes = np.array([len(p) for p in params])
    groups = [np.flatnonzero(sizes == m) for m in np.unique(sizes[has])] if has.any() else []
    with np.errstate(all="ignore"):
        pred, jacs = pop.jacobian(X, params)
        loss = sse(pred)
        for _ in range(iterations):
            if not groups:
                break
            trial = [p.copy() for p in params]
            for idx in groups:
                J = np.stack([jacs[k] for k in idx]).astype(np.float64) * w[None, :, None]   # [B, n, m]
                r = (pred[idx].astype(np.float64) - y) * w                                   # [B, n]
                ok = np.isfinite(J).all(axis=(1, 2)) & np.isfinite(r).all(axis=1)
                if not ok.any():
                    continue
                J, r, sel = J[ok], r[ok], idx[ok]
                Jt = J.transpose(0, 2, 1)
                A = Jt @ J                                   # batched BLAS (einsum does not use it)
                g = (Jt @ r[:, :, None])[:, :, 0]
                diag = np.diagonal(A, axis1=1, axis2=2)
                damped = A + (lam[sel][:, None, None] * np.eye(A.shape[1])[None]) * (diag + 1e-12)[:, :, None]
                try:
                    steps = np.linalg.solve(damped, -g[:, :, None])[:, :, 0]
                except np.linalg.LinAlgError:          # a singular system: one at a time
                    steps = np.full(g.shape, np.nan)
                    for b in range(len(sel)):
                        try:
                            steps[b] = np.linalg.solve(damped[b], -g[b])
                        except np.linalg.LinAlgError:
                            pass
                for b, k in enumerate(sel):
                    if np.isfinite(steps[b]).all():
                        trial[k] = params[k] + steps[b]
            tpred, tjacs = pop.jacobian(X, trial)
            tloss = sse(tpred)
            better = (tloss < loss) & has
            for k in np.flatnonzero(better):
                params[k], pred[k], jacs[k], loss[k] = trial[k], tpred[k], tjacs[k], tloss[k]
            lam = np.where(better, np.maximum(lam / 3, 1e-12), np.where(has, np.minimum(lam * 4, 1e12), lam))
    return params, np.where(np.isfinite(loss), loss, np.nan)


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
