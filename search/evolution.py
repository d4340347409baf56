"""A reusable multi-objective evolution engine: NSGA-II with a Pareto archive.

Why its own module: the approximation search (objectives: max ULP error, op count) and the
symbolic regressor (loss, complexity) share it. A Problem says how to seed, evaluate (in
batches: evaluation is what exprc makes fast), mutate and recombine genomes; the engine does
selection, keeps every non-dominated genome ever seen in an archive, is reproducible from a
seed, and checkpoints to disk so a run can resume after the generation in flight.
All objectives are minimized.
"""
from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Hashable, Protocol, Sequence

import numpy as np

from exprc import cache


class Problem(Protocol):
    def initial(self, rng: np.random.Generator, count: int) -> list[Any]: ...
    def evaluate(self, genomes: Sequence[Any]) -> list[tuple[float, ...]]: ...
    def mutate(self, genome: Any, rng: np.random.Generator) -> Any: ...
    def crossover(self, a: Any, b: Any, rng: np.random.Generator) -> Any: ...
    def key(self, genome: Any) -> Hashable: ...
    # optional: prepare(genomes) -> genomes, applied to every batch before it is evaluated


@dataclass
class Individual:
    genome: Any
    objectives: tuple[float, ...]
    rank: int = 0
    crowding: float = 0.0


def _clean(values) -> np.ndarray:
    """Objectives as an array where NaN counts as +inf (worst)."""
    a = np.asarray(values, dtype=np.float64)
    return np.where(np.isnan(a), np.inf, a)


def dominates(a: Sequence[float], b: Sequence[float]) -> bool:
    a, b = _clean(a), _clean(b)
    return bool(np.all(a <= b) and np.any(a < b))


def non_dominated_sort(objs: np.ndarray) -> list[np.ndarray]:
    """Fronts of indices, best first (Deb et al. 2002), with a vectorized dominance matrix."""
    objs = _clean(objs)
    n = len(objs)
    if n == 0:
        return []
    le = np.all(objs[:, None, :] <= objs[None, :, :], axis=2)
    lt = np.any(objs[:, None, :] < objs[None, :, :], axis=2)
    dom = le & lt                                  # dom[i, j]: i dominates j
    counts = dom.sum(axis=0)
    fronts, current = [], np.flatnonzero(counts == 0)
    remaining = counts.copy()
    while current.size:
        fronts.append(current)
        remaining = remaining - dom[current].sum(axis=0)
        remaining[current] = -1
        current = np.flatnonzero(remaining == 0)
    return fronts


def crowding_distance(objs: np.ndarray) -> np.ndarray:
    objs = _clean(objs)
    n, m = objs.shape
    dist = np.zeros(n)
    if n <= 2:
        return np.full(n, np.inf)
    for k in range(m):
        order = np.argsort(objs[:, k], kind="stable")
        col = objs[order, k]
        dist[order[0]] = dist[order[-1]] = np.inf
        with np.errstate(invalid="ignore"):     # inf - inf where a front has infinite objectives
            span = col[-1] - col[0]
        if np.isfinite(span) and span > 0:
            dist[order[1:-1]] += (col[2:] - col[:-2]) / span
    return dist


@dataclass
class Archive:
    """Every non-dominated genome seen, one per distinct objective vector."""
    members: dict = field(default_factory=dict)    # key -> Individual

    def add(self, ind: Individual, key: Hashable) -> bool:
        obj = _clean(ind.objectives)
        for other_key, other in list(self.members.items()):
            o = _clean(other.objectives)
            if np.all(o <= obj) and (np.any(o < obj) or other_key != key and np.array_equal(o, obj)):
                return False
            if np.all(obj <= o) and np.any(obj < o):
                del self.members[other_key]
        self.members[key] = ind
        return True

    def front(self) -> list[Individual]:
        return sorted(self.members.values(), key=lambda i: tuple(_clean(i.objectives)))


class NSGA2:
    def __init__(self, problem: Problem, population_size: int = 200, seed: int = 0,
                 crossover_rate: float = 0.3, checkpoint: str | os.PathLike | None = None):
        self.problem = problem
        self.size = population_size
        self.crossover_rate = crossover_rate
        self.rng = np.random.default_rng(seed)
        self.generation = 0
        self.evaluations = 0
        self.population: list[Individual] = []
        self.archive = Archive()
        self.checkpoint = checkpoint

    # ------------------------------------------------------------------ state
    def state(self) -> dict:
        return {"generation": self.generation, "evaluations": self.evaluations,
                "population": self.population, "archive": self.archive,
                "rng": self.rng.bit_generator.state}

    def save(self, path=None) -> None:
        """Write the state atomically (a crash mid-write keeps the previous checkpoint)."""
        path = path or self.checkpoint
        if path is None:
            return
        cache.write_checkpoint(path, self.state(), "approx")

    def load(self, path=None) -> bool:
        path = path or self.checkpoint
        if path is None or not os.path.exists(path):
            return False
        st = cache.read_checkpoint(path, "approx")
        self.generation, self.evaluations = st["generation"], st["evaluations"]
        self.population, self.archive = st["population"], st["archive"]
        self.rng.bit_generator.state = st["rng"]
        return True

    # ------------------------------------------------------------------ evolution
    def _evaluate(self, genomes: list) -> list[Individual]:
        prepare = getattr(self.problem, "prepare", None)
        if prepare is not None:          # e.g. fit constants: the prepared genome is kept
            genomes = prepare(genomes)
        objs = self.problem.evaluate(genomes)
        self.evaluations += len(genomes)
        out = []
        for g, o in zip(genomes, objs):
            ind = Individual(g, tuple(float(v) for v in o))
            self.archive.add(ind, self.problem.key(g))
            out.append(ind)
        return out

    def initialize(self, seeds: Sequence[Any] = ()) -> None:
        genomes = list(seeds)
        if len(genomes) < self.size:
            genomes += self.problem.initial(self.rng, self.size - len(genomes))
        self.population = self._select(self._dedupe(self._evaluate(genomes)), self.size)

    def _dedupe(self, inds: list[Individual]) -> list[Individual]:
        seen, out = set(), []
        for ind in inds:
            k = self.problem.key(ind.genome)
            if k not in seen:
                seen.add(k)
                out.append(ind)
        return out

    def _select(self, inds: list[Individual], count: int) -> list[Individual]:
        if not inds:
            return []
        objs = np.array([i.objectives for i in inds], dtype=np.float64)
        chosen: list[Individual] = []
        for rank, front in enumerate(non_dominated_sort(objs)):
            dist = crowding_distance(objs[front])
            for j, d in zip(front, dist):
                inds[j].rank, inds[j].crowding = rank, float(d)
            members = [inds[j] for j in front]
            if len(chosen) + len(members) <= count:
                chosen += members
            else:
                members.sort(key=lambda i: -i.crowding)
                chosen += members[:count - len(chosen)]
                break
        return chosen

    def _tournament(self) -> Individual:
        a, b = self.rng.choice(len(self.population), 2, replace=len(self.population) < 2)
        x, y = self.population[a], self.population[b]
        if (x.rank, -x.crowding) <= (y.rank, -y.crowding):
            return x
        return y

    def step(self) -> None:
        """One generation: offspring by tournament and variation, then (mu + lambda) selection."""
        children = []
        for _ in range(self.size):
            p = self._tournament()
            if self.rng.random() < self.crossover_rate:
                child = self.problem.crossover(p.genome, self._tournament().genome, self.rng)
            else:
                child = self.problem.mutate(p.genome, self.rng)
            if child is not None:
                children.append(child)
        offspring = self._evaluate(children)
        self.population = self._select(self._dedupe(self.population + offspring), self.size)
        self.generation += 1

    def run(self, generations: int | None = None, time_limit: float | None = None,
            callback: Callable[["NSGA2"], bool | None] | None = None,
            checkpoint_every: float = 30.0) -> "NSGA2":
        """Evolve until generations or time_limit (seconds) runs out, or callback returns True."""
        start = last_save = time.monotonic()
        target = None if generations is None else self.generation + generations
        while True:
            if target is not None and self.generation >= target:
                break
            if time_limit is not None and time.monotonic() - start >= time_limit:
                break
            self.step()
            if self.checkpoint and time.monotonic() - last_save >= checkpoint_every:
                self.save()
                last_save = time.monotonic()
            if callback is not None and callback(self):
                break
        self.save()
        return self
