"""The Island: one population of the symbolic regressor, evolved on flat programs in bulk.

Why flat: every step a generation takes per child (variation, simplification, deduplication,
constant fitting, scoring) is a few numpy operations over the records of all children at
once (exprc.population.FlatPrograms), so the Python work per child is a small constant and
the time goes to the kernels. A generation:
  1. tournaments pick parents (the population is kept sorted by fitness);
  2. variation.py makes one child per parent (crossover or a mutation), in bulk;
  3. the search rules of exprc/passes/rules.py simplify them (exprc.population.rewrite:
     constants merged and folded, redundant offset/scale/sign at the root removed, since every
     candidate is scored as a + b * f with a, b fitted, as Operon does);
  4. duplicates (structural hash) of each other and of the population are dropped;
  5. a, b come in closed form from one prediction call; Levenberg-Marquardt fits every child
     with constants at once (forward-mode Jacobians from the population engine,
     search/fitting.fit_population); one more call scores them on the full data.
Candidates (IR nodes) are built only for what leaves the island: the front of each size,
the best and the emigrants. All choices come from the island's own numpy Generator, so a
seed reproduces a run, in this process, in worker processes or in Ray actors.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from exprc.passes.rules import LINEAR_SCALING_RULES, SEARCH_RULES
from exprc.population import FlatPrograms, Population, flat as fm
from exprc.population import encoding as enc
from exprc.population.rewrite import rewrite

from . import variation as var
from ..fitting import fit_population
from .engine import DTYPE, PARAM_PREFIX, SCALE_A, SCALE_B, Candidate, IslandConfig, power_law_seeds


def simplify(progs: FlatPrograms) -> FlatPrograms:
    """The search's simplification: SEARCH_RULES everywhere, then LINEAR_SCALING_RULES at the
    root (each may expose the other)."""
    progs = rewrite(progs, SEARCH_RULES, exact_folding=False)
    for _ in range(3):
        before = progs.hashes()
        progs = rewrite(progs, LINEAR_SCALING_RULES, root_only=True, exact_folding=False)
        changed = np.flatnonzero(progs.hashes() != before)
        if not len(changed):
            break
        progs = progs.with_programs(changed, rewrite(progs.take(changed), SEARCH_RULES, exact_folding=False))
    return progs


def shape_hashes(progs: FlatPrograms) -> np.ndarray:
    """A hash per program of its structure with every constant's value left out: two programs
    that differ only in their constants are the same model once the constants are fitted."""
    value = np.where(progs.code == enc.LEAF_CONST, 0.0, progs.value)
    return FlatPrograms(progs.code, progs.arg, value, progs.size, progs.start, progs.names, progs.dtype).hashes()


def parameterized(progs: FlatPrograms, wrap: bool = True) -> tuple[FlatPrograms, np.ndarray]:
    """Every constant turned into a parameter (named _c0, _c1, ... in record order), and with
    wrap the program made a + b * f (parameters _sa, _sb first); and the parameter values,
    all programs' concatenated in the population engine's order."""
    n = len(progs)
    is_const = progs.code == enc.LEAF_CONST
    per = progs.count_per_program(is_const)
    M = int(per.max(initial=0))
    names = progs.names + tuple(f"{PARAM_PREFIX}{k}" for k in range(M)) + (SCALE_A, SCALE_B)
    base = len(progs.names)
    rank = np.cumsum(is_const) - 1 - np.repeat(np.concatenate([[0], np.cumsum(per)[:-1]]), progs.lengths)
    code = np.where(is_const, enc.LEAF_PARAM, progs.code).astype(np.int32)
    arg = np.where(is_const, base + rank, progs.arg).astype(np.int32)
    values = progs.value[is_const]
    f = FlatPrograms(code, arg, progs.value, progs.size, progs.start, names, progs.dtype)
    if not wrap:
        return f, values
    # a + b * f in postfix: [a] [b] f... [mul] [add]
    R = len(code)
    extra_code = np.array([enc.LEAF_PARAM, enc.LEAF_PARAM, enc.OPCODE_OF["mul"], enc.OPCODE_OF["add"]], np.int32)
    extra_arg = np.array([base + M, base + M + 1, 0, 0], np.int32)
    starts = np.stack([np.full(n, R), np.full(n, R + 1), progs.start[:-1], np.full(n, R + 2),
                       np.full(n, R + 3)], axis=1).reshape(-1)
    lens = np.stack([np.ones(n, np.int64), np.ones(n, np.int64), progs.lengths, np.ones(n, np.int64),
                     np.ones(n, np.int64)], axis=1).reshape(-1)
    rec, _ = fm.gather_ranges(starts, lens)
    start = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(progs.lengths + 4, out=start[1:])
    wcode = np.concatenate([code, extra_code])[rec]
    wrapped = FlatPrograms(wcode, np.concatenate([arg, extra_arg])[rec],
                           np.concatenate([progs.value, np.zeros(4)])[rec], fm.subtree_sizes(wcode, start),
                           start, names, progs.dtype)
    return wrapped, values


def _scale_first(values: np.ndarray, per: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """[a_k, b_k, constants of k...] for every program k, concatenated."""
    n = len(per)
    out = np.empty(int(per.sum()) + 2 * n)
    first = np.concatenate([[0], np.cumsum(per + 2)[:-1]])
    out[first], out[first + 1] = a, b
    mask = np.ones(len(out), dtype=bool)
    mask[first], mask[first + 1] = False, False
    out[mask] = values
    return out


@dataclass
class Scored:
    """Evaluated programs (constants hold their fitted values) and their scores."""
    progs: FlatPrograms
    nmse: np.ndarray
    fitness: np.ndarray
    a: np.ndarray
    b: np.ndarray
    hashes: np.ndarray

    def __len__(self) -> int:
        return len(self.nmse)

    def take(self, idx) -> "Scored":
        idx = np.asarray(idx, dtype=np.int64)
        return Scored(self.progs.take(idx), self.nmse[idx], self.fitness[idx], self.a[idx], self.b[idx],
                      self.hashes[idx])

    @staticmethod
    def concat(parts: Sequence["Scored"], names: tuple[str, ...]) -> "Scored":
        parts = [p for p in parts if len(p)]
        if not parts:
            return empty_scored(names)
        progs = fm.concat([p.progs.with_names(names) for p in parts])
        cat = lambda f: np.concatenate([getattr(p, f) for p in parts])  # noqa: E731
        return Scored(progs, cat("nmse"), cat("fitness"), cat("a"), cat("b"), cat("hashes"))

    def candidates(self, idx=None) -> list[Candidate]:
        """IR candidates for the programs at idx (only what leaves the island)."""
        sub = self if idx is None else self.take(idx)
        if not len(sub):
            return []
        f, values = parameterized(sub.progs, wrap=False)
        per = sub.progs.count_per_program(sub.progs.code == enc.LEAF_CONST)
        chunks = np.split(values, np.cumsum(per)[:-1])
        out = []
        for k, node in enumerate(f.to_nodes()):
            c = Candidate(node, chunks[k].astype(np.float64), float(sub.nmse[k]), float(sub.a[k]),
                          float(sub.b[k]), str(node), float(sub.fitness[k]))
            out.append(c)
        return out


def empty_scored(names: tuple[str, ...]) -> Scored:
    z = np.zeros(0)
    return Scored(fm.empty(DTYPE, names), z, z, z, z, np.zeros(0, dtype=np.uint64))


def from_candidates(cands: Sequence[Candidate], names: tuple[str, ...]) -> Scored:
    """Candidates (immigrants, checkpoints) back to scored flat programs."""
    if not cands:
        return empty_scored(names)
    flat = fm.from_nodes([c.node for c in cands], DTYPE)
    slot, pnames = flat.parameter_slots()
    is_param = flat.code == enc.LEAF_PARAM
    per = np.array([len(p) for p in pnames], dtype=np.int64)        # distinct parameters
    poff = np.concatenate([[0], np.cumsum(per)[:-1]])
    values = np.concatenate([np.asarray(c.values, dtype=np.float64).reshape(-1) for c in cands] + [np.zeros(0)])
    prog = flat.program_of()
    value = flat.value.copy()
    value[is_param] = values[poff[prog[is_param]] + slot[is_param]]
    code = np.where(is_param, enc.LEAF_CONST, flat.code).astype(np.int32)
    arg = np.where(is_param, 0, flat.arg).astype(np.int32)
    progs = FlatPrograms(code, arg, value, flat.size, flat.start, flat.names, DTYPE).with_names(names)
    arr = lambda f: np.array([getattr(c, f) for c in cands], dtype=np.float64)  # noqa: E731
    return Scored(progs, arr("nmse"), arr("fitness"), arr("a"), arr("b"), shape_hashes(progs))


def fit_rows(n: int, lm_rows: int) -> np.ndarray | None:
    """The rows constants are fitted on: all of them, or lm_rows of them drawn from a generator
    seeded by n alone, the same in every island (so islands score their children together)."""
    if n <= lm_rows:
        return None
    return np.sort(np.random.default_rng(n).choice(n, lm_rows, replace=False))


def score(children: FlatPrograms, X: np.ndarray, y: np.ndarray, fit_rows: np.ndarray | None, var_y: float,
          cfg: IslandConfig) -> tuple[Scored, np.ndarray]:
    """Fit and score prepared children: a, b in closed form, then Levenberg-Marquardt for every
    child with constants, then the full-data NMSE. Returns the children with a finite score
    and their indices among the inputs. Every child's result depends on it alone, so children
    of several islands can be scored in one call."""
    n_c = len(children)
    if not n_c:
        return empty_scored(children.names), np.zeros(0, dtype=np.int64)
    h = shape_hashes(children)
    Xf, yf = (X, y) if fit_rows is None else (X[fit_rows], y[fit_rows])
    f, values = parameterized(children, wrap=False)
    with np.errstate(all="ignore"):
        pred = Population(f, variables=list(cfg.variables), dtype=DTYPE).predict(Xf, values)
        ym, fm_ = float(yf.mean()), pred.mean(axis=1)
        fc = pred - fm_[:, None]
        varf = np.einsum("ij,ij->i", fc, fc)
        b = (fc @ (yf - ym)) / varf
        ok = np.isfinite(b) & (varf > 0)
        b = np.where(ok, b, 0.0)
        a = np.where(ok, ym - b * fm_, ym)
        r = a[:, None] + b[:, None] * pred - yf
        sse = np.where(ok, np.einsum("ij,ij->i", r, r), np.inf)
    per = children.count_per_program(children.code == enc.LEAF_CONST)
    fit = np.flatnonzero(ok & (per > 0) & np.isfinite(sse))
    fit = fit[np.argsort(per[fit], kind="stable")]     # same parameter count: consecutive
    variables = list(cfg.variables)
    if len(fit) and cfg.lm_iterations > 0:
        sub = children.take(fit)
        w, _ = parameterized(sub)
        cpos = np.concatenate([[0], np.cumsum(per)[:-1]])
        fit_consts = fm.gather_ranges(cpos[fit], per[fit])[0]        # the fitted children's constants
        sub_vals = values[fit_consts]
        P0 = _scale_first(sub_vals, per[fit], a[fit], b[fit])
        popw = Population(w, variables=variables, dtype=DTYPE)
        P, lm_sse = fit_population(popw, P0, Xf, yf, iterations=cfg.lm_iterations)
        better = np.isfinite(lm_sse) & (lm_sse <= sse[fit])
        first = np.concatenate([[0], np.cumsum(per[fit] + 2)[:-1]])
        a[fit] = np.where(better, P[first], a[fit])
        b[fit] = np.where(better, P[first + 1], b[fit])
        sse[fit] = np.where(better, lm_sse, sse[fit])
        mask = np.ones(len(P), dtype=bool)
        mask[first], mask[first + 1] = False, False
        new_vals = P[mask]
        keep_old = np.repeat(~better, per[fit])
        new_vals = np.where(keep_old, sub_vals, new_vals)
        # write the fitted constants back into the children's records
        const_rec = np.flatnonzero(children.code == enc.LEAF_CONST)
        value = children.value.copy()
        value[const_rec[fit_consts]] = new_vals
        children = FlatPrograms(children.code, children.arg, value, children.size, children.start,
                                children.names, children.dtype)
    if fit_rows is None:
        mse = sse / len(y)
    else:
        live = np.flatnonzero(np.isfinite(sse))
        mse = np.full(n_c, np.inf)
        if len(live):
            sub = children.take(live)
            w, wvals = parameterized(sub)
            P = _scale_first(wvals, per[live], a[live], b[live])
            mse[live] = Population(w, variables=variables, dtype=DTYPE).loss(X, y, metric="mse",
                                                                              params=P)
    with np.errstate(all="ignore"):
        nmse = mse / var_y if var_y > 0 else np.where(mse == 0, 0.0, np.inf)
    good = np.flatnonzero(np.isfinite(nmse))
    fitness = nmse * (1.0 + cfg.parsimony * children.lengths)
    return Scored(children, nmse, fitness, a, b, h).take(good), good


class Island:
    """One population. step() takes immigrants, runs one generation and reports."""

    def __init__(self, X, y, config: IslandConfig | dict, seed, index: int = 0):
        self.cfg = config if isinstance(config, IslandConfig) else IslandConfig(**config)
        self.X = np.ascontiguousarray(X, dtype=np.float64)
        self.y = np.ascontiguousarray(y, dtype=np.float64).reshape(-1)
        self.var_y = float(np.var(self.y))
        self.rng = np.random.default_rng(seed)
        self.fit_rows = fit_rows(len(self.y), self.cfg.lm_rows)
        self.prims = var.Primitives.from_operators(self.cfg.operators, tuple(self.cfg.variables), DTYPE)
        self.names = self.prims.names
        self.index = index
        self.pop = empty_scored(self.names)
        self.generation = 0
        self.evaluations = 0

    # ------------------------------------------------------------------ state
    def state(self) -> dict:
        return {"population": self.pop, "rng": self.rng.bit_generator.state, "generation": self.generation,
                "evaluations": self.evaluations, "fit_rows": self.fit_rows}

    def set_state(self, st: dict) -> None:
        self.pop = st["population"]
        self.rng.bit_generator.state = st["rng"]
        self.generation, self.evaluations = st["generation"], st["evaluations"]
        self.fit_rows = st["fit_rows"]

    @property
    def population(self) -> list[Candidate]:
        return self.pop.candidates()

    # ------------------------------------------------------------------ evaluation
    def prepare(self, children: FlatPrograms, skip: np.ndarray | None = None) -> FlatPrograms:
        """Simplified children with a variable and within max_size, without duplicates (of each
        other and of the shape hashes in skip): what this island will score."""
        children = simplify(children.with_names(self.names))
        has_var = children.count_per_program(children.code == enc.LEAF_VAR) > 0      # constants say nothing
        children = children.take(np.flatnonzero(has_var & (children.lengths <= self.cfg.max_size)))
        h = shape_hashes(children)
        _, first = np.unique(h, return_index=True)
        fresh = np.sort(first)
        if skip is not None and len(skip):
            fresh = fresh[~np.isin(h[fresh], skip)]
        children = children.take(fresh)
        self.evaluations += len(children)
        return children

    def evaluate(self, children: FlatPrograms, skip: np.ndarray | None = None) -> Scored:
        """prepare, then fit and score."""
        return score(self.prepare(children, skip), self.X, self.y, self.fit_rows, self.var_y, self.cfg)[0]

    # ------------------------------------------------------------------ evolution
    def _select(self, pool: Scored) -> Scored:
        """The population_size fittest distinct programs, best first."""
        order = np.lexsort((pool.progs.lengths, pool.fitness))
        _, first = np.unique(pool.hashes[order], return_index=True)
        keep = order[np.sort(first)]
        return pool.take(keep[:self.cfg.population_size])

    def _tournament(self, n: int) -> np.ndarray:
        k = max(1, self.cfg.tournament_size)
        return self.rng.integers(len(self.pop), size=(n, k)).min(axis=1)

    def _initialize(self) -> Scored:
        cfg = self.cfg
        parts = []
        if cfg.power_law_seeds and self.index == 0:     # one island: the others stay diverse
            seeds = power_law_seeds(self.X, self.y, cfg.variables, cfg.operators)
            if seeds:
                parts.append(self.evaluate(fm.from_nodes([n for n, _ in seeds], DTYPE)))
        for _ in range(8):
            have = Scored.concat(parts, self.names)
            need = cfg.population_size - len(have)
            if need <= 0:
                break
            depth = max(1, int(np.log2(max(cfg.max_init, 2))))
            trees = fm.concat([var.random_trees(self.prims, self.rng, need, d)
                               for d in range(1, depth + 1)])
            trees = trees.take(np.flatnonzero(trees.lengths <= cfg.max_init))
            parts.append(self.evaluate(trees, skip=have.hashes))
        return Scored.concat(parts, self.names)

    def _breed(self) -> FlatPrograms:
        cfg, rng = self.cfg, self.rng
        n = cfg.population_size
        parents = self.pop.progs.take(self._tournament(n))
        donors = self.pop.progs.take(self._tournament(n))
        cross = rng.random(n) < cfg.crossover_rate
        mutate = ~cross | (rng.random(n) < cfg.mutation_rate)
        children = parents
        if cross.any():
            idx = np.flatnonzero(cross)
            children = children.with_programs(idx, var.crossover(parents.take(idx), donors.take(idx), rng))
        if mutate.any():
            idx = np.flatnonzero(mutate)
            children = children.with_programs(idx, var.mutate(children.take(idx), self.prims, rng))
        children, _ = var.limit(children, parents, cfg.max_size)
        return children

    def _take_immigrants(self, immigrants: Sequence[Candidate]) -> Scored:
        imm = from_candidates(list(immigrants), self.names)
        if len(self.pop) and len(imm):
            self.pop = self._select(Scored.concat([self.pop, imm], self.names))
        return imm

    def step(self, immigrants: Sequence[Candidate] = (), want_state: bool = False) -> dict:
        """Take immigrants, run one generation; report emigrants, archive candidates, counts."""
        return step_islands([self], [immigrants], want_state)[0]

    def _finish(self, new: Scored, before: int, want_state: bool) -> dict:
        self.pop = self._select(Scored.concat([self.pop, new], self.names))
        self.generation += 1
        front = []
        if len(new):    # the new candidates' Pareto front: the best of a size, if no smaller one is as good
            sizes = new.progs.lengths
            order = np.lexsort((new.nmse, sizes))
            _, first = np.unique(sizes[order], return_index=True)
            best = order[first]
            prior = np.concatenate([[np.inf], np.minimum.accumulate(new.nmse[best])[:-1]])
            front = new.candidates(best[new.nmse[best] < prior])
        pop_c = self.pop.candidates(np.arange(min(len(self.pop), max(1, self.cfg.migrants))))
        result = {"front": front, "evaluations": self.evaluations - before,
                  "best": pop_c[0] if pop_c else None, "emigrants": pop_c[:self.cfg.migrants],
                  "generation": self.generation}
        if want_state:
            result["state"] = self.state()
        return result


def step_islands(islands: Sequence[Island], immigrants: Sequence, want_state: bool = False) -> list[dict]:
    """One generation of each island; the children of every island past its first generation
    are scored in one batch (bigger kernel calls, the fixed costs paid once). Results are the
    same as stepping the islands one by one: a child's score depends on it alone."""
    results: list[dict | None] = [None] * len(islands)
    batch, parts, befores = [], [], []
    for k, (isl, imm) in enumerate(zip(islands, immigrants)):
        before = isl.evaluations
        taken = isl._take_immigrants(imm)
        if not len(isl.pop):
            isl.pop = empty_scored(isl.names)
            new = isl._initialize()
            isl.pop = isl._select(Scored.concat([new, taken], isl.names))
            results[k] = isl._finish(new, before, want_state)
            continue
        batch.append(k)
        parts.append(isl.prepare(isl._breed(), skip=isl.pop.hashes))
        befores.append(before)
    if batch:
        first = islands[batch[0]]
        names = first.names
        joined = fm.concat([p.with_names(names) for p in parts]) if parts else fm.empty(DTYPE, names)
        scored, kept = score(joined, first.X, first.y, first.fit_rows, first.var_y, first.cfg)
        owner = np.repeat(np.arange(len(parts)), [len(p) for p in parts])[kept]
        for j, k in enumerate(batch):
            mine = scored.take(np.flatnonzero(owner == j))
            results[k] = islands[k]._finish(mine, befores[j], want_state)
    return results
