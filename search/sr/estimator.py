"""Symbolic regression with the scikit-learn estimator API: exprc.search.SymbolicRegressor.

    >>> from exprc.search import SymbolicRegressor
    >>> sr = SymbolicRegressor(time_limit=30, random_state=0).fit(X, y)
    >>> print(sr.equations_table()); sr.predict(X_new); sr.export("c")

The search (island.py) evolves islands of expression trees as flat programs in bulk:
tournament selection, point/subtree/insert/shrink/hoist/scale mutations and crossover
(variation.py), candidates simplified by the SEARCH_RULES of exprc/passes/rules.py (applied in
bulk by exprc.population.rewrite), constants fitted by batched Levenberg-Marquardt on
forward-mode Jacobians reduced to normal equations in the kernel, every model a linear
scaling a + b * f of its tree. The driver here routes migrants between islands
(in this process, or as Ray actors with ray_address), keeps the complexity-vs-loss Pareto
archive (evolution.Archive), enforces the time and evaluation budgets and the target loss,
shows progress and checkpoints after every generation. At the end the front is polished
(longer constant fitting), constants that can be simple numbers (0, integers, small
fractions) without costing accuracy are snapped, and each model becomes one exprc expression
with numeric constants: equations_, best_, predict(), kernel(), export().

Complexity is the node count of the printed expression (leaves included); loss is the mean
squared error on the training data. With random_state and max_evaluations (and time_limit
None, so the clock never decides), two runs give identical equations_.
"""
from __future__ import annotations


import hashlib
import json
import math
import os
import time
from typing import Sequence

import numpy as np

from exprc import cache, ir
from exprc.errors import BindError, ExprcError, InputError
from exprc.kernel import real_array

from ..evolution import Archive, Individual
from .engine import DTYPE, Candidate, IslandConfig, parse_operators
from .finalize import finalize
from .progress import Progress
from .results import Equation, equations_table, select_best, to_sympy
from .runners import LocalRunner, ProcessRunner, RayRunner, WorkerLost

try:
    from sklearn.base import BaseEstimator as _SkBase, RegressorMixin as _SkRegressor
    from sklearn.exceptions import NotFittedError as _SkNotFitted
    HAVE_SKLEARN = True
except ImportError:   # the estimator works without scikit-learn
    HAVE_SKLEARN = False
    _SkNotFitted = ValueError


EXPORT_FORMATS = ("exprc", "sympy", "latex", "c", "llvm", "triton")
MODEL_FORMAT = "exprc-symbolic-regression"
CHECKPOINT_VERSION = 2      # 2: modules moved into search/sr (pickled class paths)


class NotFittedError(ExprcError, _SkNotFitted):
    """predict, export, ... before fit (scikit-learn's NotFittedError when it is installed)."""


# ----------------------------------------------------------------------------- get/set_params without sklearn

class _ParamsMixin:
    """get_params/set_params/score as scikit-learn's BaseEstimator and RegressorMixin define them."""

    @classmethod
    def _get_param_names(cls) -> list[str]:
        import inspect
        sig = inspect.signature(cls.__init__)
        return sorted(p.name for p in sig.parameters.values() if p.name != "self" and p.kind != p.VAR_KEYWORD)

    def get_params(self, deep: bool = True) -> dict:
        return {name: getattr(self, name) for name in self._get_param_names()}

    def set_params(self, **params):
        valid = self._get_param_names()
        for k, v in params.items():
            if k not in valid:
                raise ValueError(f"invalid parameter {k!r} for {type(self).__name__}; valid: {', '.join(valid)}")
            setattr(self, k, v)
        return self

    def score(self, X, y, sample_weight=None) -> float:
        y = np.asarray(y, dtype=np.float64).reshape(-1)
        pred = self.predict(X)
        w = np.ones_like(y) if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
        ybar = np.average(y, weights=w)
        sst = float(np.sum(w * (y - ybar) ** 2))
        sse = float(np.sum(w * (y - pred) ** 2))
        return 1.0 - sse / sst if sst > 0 else (1.0 if sse == 0 else 0.0)


_BASES = (_SkRegressor, _SkBase) if HAVE_SKLEARN else (_ParamsMixin,)


# ----------------------------------------------------------------------------- the estimator

class SymbolicRegressor(*_BASES):
    """Find closed-form expressions y = f(x) (scikit-learn API: fit, predict, score, get_params).

    Budgets (the search stops at the first one reached, after the generation in flight):
      time_limit        seconds of wall clock for the whole fit: starting workers, the
                        search (it stops before a generation that would, on average, end
                        past the limit) and polishing the front; None: no limit (set None
                        with max_evaluations for reproducible runs)
      max_evaluations   candidate models fitted and scored (each new structure counts once)
      target_loss       stop once the best MSE is at or below this
    Search: operators (names from the op registry, definitions "sq(a) = a*a" or a dict
    {"sq": "a*a"}; default + - * / sin cos exp log sqrt), max_size (node cap of a tree),
    population_size (per island), n_islands, migration_interval (generations) and migrants,
    tournament_size, crossover_rate, mutation_rate, parsimony (relative loss penalty per node
    in selection), lm_iterations and lm_rows (rows sampled for the constant fitting; the loss
    always uses every row), max_init_size, random_state, power_law_seeds (start every island
    with the monomials prod x_j ** e_j that a log-log least-squares fit suggests).
    Model choice: model_selection="best" takes the smallest model whose loss is within 1.5x of
    the lowest, "accuracy" the lowest loss.
    Long runs: progress (a rich progress bar), checkpoint (a file written after every
    generation) and resume (continue from it: at most the generation in flight is lost).
    Parallelism: by default (n_jobs=None, or -1) the islands are spread over one worker process
    per core of this machine (at most one per island); n_jobs=k uses k, and n_jobs=1 keeps them
    in this process, taking turns. ray_address runs them as Ray actors instead ("auto", an
    address, or "local" to start Ray here). All of these give the same result for the same seed.
    """

    def __init__(self, operators=None, max_size: int = 35, population_size: int = 200, n_islands: int = 4,
                 time_limit: float | None = 60.0, max_evaluations: int | None = None,
                 target_loss: float | None = None, random_state=None, parsimony: float = 1e-3,
                 tournament_size: int = 5, crossover_rate: float = 0.85, mutation_rate: float = 0.25,
                 migration_interval: int = 10, migrants: int = 5, lm_iterations: int = 10,
                 lm_rows: int = 1024, max_init_size: int = 15, power_law_seeds: bool = True,
                 model_selection: str = "best",
                 checkpoint: str | None = None, resume: bool = False, progress: bool = False,
                 n_jobs: int | None = None, ray_address: str | None = None):
        self.operators = operators
        self.max_size = max_size
        self.population_size = population_size
        self.n_islands = n_islands
        self.time_limit = time_limit
        self.max_evaluations = max_evaluations
        self.target_loss = target_loss
        self.random_state = random_state
        self.parsimony = parsimony
        self.tournament_size = tournament_size
        self.crossover_rate = crossover_rate
        self.mutation_rate = mutation_rate
        self.migration_interval = migration_interval
        self.migrants = migrants
        self.lm_iterations = lm_iterations
        self.lm_rows = lm_rows
        self.max_init_size = max_init_size
        self.power_law_seeds = power_law_seeds
        self.model_selection = model_selection
        self.checkpoint = checkpoint
        self.resume = resume
        self.progress = progress
        self.n_jobs = n_jobs
        self.ray_address = ray_address

    # ------------------------------------------------------------------ validation
    def _validate(self) -> IslandConfig:
        def positive_int(name, low=1):
            v = getattr(self, name)
            if not isinstance(v, (int, np.integer)) or isinstance(v, bool) or v < low:
                raise InputError(f"{name} must be an integer >= {low}, got {v!r}")
            return int(v)

        for name in ("population_size", "n_islands", "migration_interval", "tournament_size"):
            positive_int(name)
        positive_int("max_size", 1)
        positive_int("lm_iterations", 0)
        positive_int("lm_rows", 8)
        positive_int("migrants", 0)
        positive_int("max_init_size", 1)
        if self.n_jobs is not None and (not isinstance(self.n_jobs, (int, np.integer)) or self.n_jobs == 0):
            raise InputError(f"n_jobs must be a non-zero integer or None, got {self.n_jobs!r}")
        if self.max_evaluations is not None:
            positive_int("max_evaluations")
        for name in ("time_limit", "target_loss"):
            v = getattr(self, name)
            if v is not None and (not isinstance(v, (int, float)) or isinstance(v, bool) or v < 0):
                raise InputError(f"{name} must be a non-negative number or None, got {v!r}")
        for name in ("crossover_rate", "mutation_rate"):
            v = getattr(self, name)
            if not 0 <= v <= 1:
                raise InputError(f"{name} must be between 0 and 1, got {v!r}")
        if self.parsimony < 0:
            raise InputError(f"parsimony must be >= 0, got {self.parsimony!r}")
        if self.model_selection not in ("best", "accuracy"):
            raise InputError(f"model_selection must be 'best' or 'accuracy', got {self.model_selection!r}")
        if self.resume and not self.checkpoint:
            raise InputError("resume=True needs checkpoint=PATH")
        if self.time_limit is None and self.max_evaluations is None and self.target_loss is None:
            raise InputError("give a budget: time_limit, max_evaluations or target_loss")
        operators = parse_operators(self.operators)
        return IslandConfig(variables=(), operators=operators, population_size=int(self.population_size),
                            max_size=int(self.max_size), max_init=int(self.max_init_size),
                            tournament_size=int(self.tournament_size), crossover_rate=float(self.crossover_rate),
                            mutation_rate=float(self.mutation_rate), parsimony=float(self.parsimony),
                            lm_iterations=int(self.lm_iterations), lm_rows=int(self.lm_rows),
                            migrants=int(self.migrants), power_law_seeds=bool(self.power_law_seeds))

    @staticmethod
    def _names(X, variable_names, d: int) -> tuple[list[str], list[str]]:
        """The given feature names and the variable names the expressions use."""
        if variable_names is None and hasattr(X, "columns"):
            variable_names = [str(c) for c in X.columns]
        if variable_names is None:
            given = [f"x{j}" for j in range(d)]
        else:
            given = [str(v) for v in variable_names]
            if len(given) != d:
                raise InputError(f"variable_names has {len(given)} names for {d} columns of X")
            if len(set(given)) != len(given):
                raise InputError("variable_names must be unique")
        from exprc.parser import parse
        internal = []
        for j, name in enumerate(given):
            try:
                ok = parse(name).op == ir.VAR and parse(name).value == name
            except ExprcError:
                ok = False
            internal.append(name if ok and not name.startswith("_") else f"x{j}")   # "_": parameter names
        if len(set(internal)) != len(internal):     # a fallback name met a given one
            internal = [f"x{j}" for j in range(d)]
        return given, internal

    def _as_arrays(self, X, y=None, fitting: bool = False):
        """X (and y) as float64 arrays, refused with a clear error when they cannot be used:
        sparse, complex, non-numeric, NaN or infinite, empty, 1-d X, lengths that differ, or
        (predicting) a number of features other than fit's. With scikit-learn installed its
        own validation does this (so n_features_in_ and feature_names_in_ follow its rules)."""
        if HAVE_SKLEARN:
            return self._sklearn_arrays(X, y, fitting)
        try:
            Xa = real_array(X, np.dtype(np.float64), "X")
        except (TypeError, ValueError) as exc:
            raise InputError(f"X must be numeric: {exc}") from None
        if Xa.ndim != 2:
            raise InputError(f"X must be 2-D (n_samples, n_features), got shape {Xa.shape}; "
                             "reshape a single feature with X.reshape(-1, 1)")
        if Xa.shape[1] == 0 or Xa.shape[0] == 0:
            raise InputError(f"X has shape {Xa.shape}: need at least one sample and one feature")
        if not np.all(np.isfinite(Xa)):
            raise InputError("X must be finite (no NaN or infinity)")
        if fitting:
            self.n_features_in_ = Xa.shape[1]
        elif Xa.shape[1] != self.n_features_in_:
            raise InputError(f"X has {Xa.shape[1]} features, but {type(self).__name__} is expecting "
                             f"{self.n_features_in_} features as input")
        if y is None:
            if fitting:
                raise InputError("fit needs y, the target values")
            return Xa, None
        try:
            ya = real_array(y, np.dtype(np.float64), "y")
        except (TypeError, ValueError) as exc:
            raise InputError(f"y must be numeric: {exc}") from None
        if ya.ndim == 2 and ya.shape[1] == 1:
            ya = ya[:, 0]
        if ya.ndim != 1:
            raise InputError(f"y must be 1-D, got shape {ya.shape}")
        if len(ya) != len(Xa):
            raise InputError(f"X has {len(Xa)} rows but y has {len(ya)}")
        if not np.all(np.isfinite(ya)):
            raise InputError("y must be finite (no NaN or infinity)")
        return Xa, ya

    def _sklearn_arrays(self, X, y, fitting: bool):
        try:
            from sklearn.utils.validation import validate_data
        except ImportError:         # scikit-learn < 1.6: the same checks as a method
            def validate_data(est, *args, **kw):
                return est._validate_data(*args, **kw)
        try:
            if fitting:
                Xa, ya = validate_data(self, X, y, dtype=np.float64, y_numeric=True, reset=True)
            else:
                Xa, ya = validate_data(self, X, dtype=np.float64, reset=False), None
        except ValueError as exc:
            raise InputError(str(exc)) from None
        except TypeError as exc:          # sparse input, for one
            raise BindError(str(exc)) from None
        return Xa, ya

    # ------------------------------------------------------------------ fit
    def fit(self, X, y, variable_names: Sequence[str] | None = None):
        """Search for expressions of X's columns that predict y. variable_names: the names
        the expressions use (default: DataFrame columns, else x0, x1, ...)."""
        cfg = self._validate()
        Xa, ya = self._as_arrays(X, y, fitting=True)
        if len(ya) < 2:
            raise InputError(f"n_samples={len(ya)}: need at least 2 samples to fit")
        given, names = self._names(X, variable_names, Xa.shape[1])
        cfg.variables = tuple(names)
        self.feature_names_ = list(given)
        self.variable_names_ = list(names)
        archive, stats = self._search(Xa, ya, cfg, time.monotonic())
        self.n_evaluations_ = stats["evaluations"]
        self.n_generations_ = stats["generation"]
        self.search_time_ = stats["elapsed"]
        t = time.monotonic()
        self.equations_ = finalize(archive, Xa, ya, names)
        self.finalize_time_ = time.monotonic() - t
        self.best_index_ = select_best(self.equations_, float(np.var(ya)), self.model_selection)
        self.best_ = self.equations_[self.best_index_]
        self._kernels = {}
        return self

    def _jobs(self) -> int:
        n = self.n_jobs
        if n is None:
            n = -1            # every core, as PySR does (measured: the workers start in well under a second)
        if n < 0:
            n = max(1, (os.cpu_count() or 1) + 1 + n)     # -1: every core, -2: all but one
        return max(1, min(int(n), int(self.n_islands)))

    def _seeds(self, n: int):
        rs = self.random_state
        if isinstance(rs, np.random.Generator):
            rs = int(rs.integers(2 ** 63))
        elif isinstance(rs, np.random.RandomState):
            rs = int(rs.randint(2 ** 31))
        return np.random.SeedSequence(rs).spawn(n)

    def _fingerprint(self, X, y, cfg: IslandConfig) -> str:
        h = hashlib.sha256()
        h.update(np.ascontiguousarray(X).tobytes())
        h.update(np.ascontiguousarray(y).tobytes())
        desc = (cfg.variables, tuple(o.describe() for o in cfg.operators), cfg.population_size, cfg.max_size,
                cfg.max_init, cfg.tournament_size, cfg.crossover_rate, cfg.mutation_rate, cfg.parsimony,
                cfg.lm_iterations, cfg.lm_rows, cfg.migrants, cfg.power_law_seeds, self.n_islands,
                self.migration_interval,
                repr(self.random_state))
        h.update(repr(desc).encode())
        return h.hexdigest()

    def _load_checkpoint(self, fingerprint: str) -> dict | None:
        path = self.checkpoint
        if not (self.resume and path and os.path.exists(path)):
            return None
        st = cache.read_checkpoint(path, "sr")
        if not isinstance(st, dict) or st.get("version") != CHECKPOINT_VERSION:
            raise ExprcError(f"{path} is not a symbolic-regression checkpoint of this version")
        if st["fingerprint"] != fingerprint:
            raise ExprcError(f"checkpoint {path} was written for other data or settings; "
                             "use the same X, y and search settings to resume (budgets may differ)")
        return st

    def _save_checkpoint(self, state: dict) -> None:
        path = self.checkpoint
        cache.write_checkpoint(path, state, "sr")

    def _search(self, X, y, cfg: IslandConfig, start: float):
        """Run the islands until a budget is reached; start: when fit() began, so that
        time_limit covers starting the workers and polishing the front too."""
        n_isl = int(self.n_islands)
        var_y = float(np.var(y))
        fingerprint = self._fingerprint(X, y, cfg) if self.checkpoint else ""
        saved = self._load_checkpoint(fingerprint) if self.checkpoint else None
        archive = Archive()
        generation = evaluations = 0
        elapsed_before = 0.0
        immigrants: list[list[Candidate]] = [[] for _ in range(n_isl)]
        states = None
        if saved is not None:
            generation, evaluations, elapsed_before = saved["generation"], saved["evaluations"], saved["elapsed"]
            for c in saved["archive"]:
                archive.add(Individual(c, (c.size, c.nmse)), c.key)
            immigrants = saved["immigrants"]
            states = saved["states"]
        seeds = self._seeds(n_isl)
        if self.ray_address is not None:
            address = None if self.ray_address == "local" else self.ray_address
            runner = RayRunner(address, X, y, cfg, seeds, states)
        elif self._jobs() > 1:
            runner = ProcessRunner(self._jobs(), X, y, cfg, seeds, states)
        else:
            runner = LocalRunner(X, y, cfg, seeds, states)
        progress = Progress(bool(self.progress), self.time_limit, self.max_evaluations)
        elapsed = elapsed_before + time.monotonic() - start
        # kept for polishing the front at the end (measured 0.04-0.1 s for ~30 models)
        reserve = 0.0 if self.time_limit is None else min(1.0, 0.03 * float(self.time_limit))

        def best_mse() -> float:
            front = archive.front()
            return min((i.genome.nmse for i in front), default=math.inf) * var_y

        last_round = 0.0

        def done() -> bool:
            if self.max_evaluations is not None and evaluations >= self.max_evaluations:
                return True
            # stop when the next generation would end, on average, past the time limit
            if self.time_limit is not None and elapsed + 0.5 * last_round + reserve >= self.time_limit:
                return True
            return self.target_loss is not None and best_mse() <= self.target_loss

        try:
            while not done():
                round_start = time.monotonic()
                results = runner.step(immigrants, bool(self.checkpoint))
                generation += 1
                for r in results:
                    evaluations += r["evaluations"]
                    _add_front(archive, r["front"])
                immigrants = [[] for _ in range(n_isl)]
                if n_isl > 1 and generation % int(self.migration_interval) == 0:
                    immigrants = [list(results[(k - 1) % n_isl]["emigrants"]) for k in range(n_isl)]
                elapsed = elapsed_before + time.monotonic() - start
                last_round = time.monotonic() - round_start
                progress.update(generation, evaluations, elapsed, best_mse(), len(archive.members))
                if self.checkpoint:
                    self._save_checkpoint({
                        "version": CHECKPOINT_VERSION, "fingerprint": fingerprint, "generation": generation,
                        "evaluations": evaluations, "elapsed": elapsed,
                        "archive": [i.genome for i in archive.front()],
                        "immigrants": immigrants, "states": [r["state"] for r in results]})
        except KeyboardInterrupt:       # stop early, keep what was found
            pass
        except WorkerLost:             # every worker died, restarts spent: keep what was found
            if not archive.members:
                raise ExprcError("every search worker process died before anything was found") from None
        finally:
            progress.close()
            runner.close()
        return [i.genome for i in archive.front()], {"generation": generation, "evaluations": evaluations,
                                                     "elapsed": elapsed}

    # ------------------------------------------------------------------ using the model
    def _check_fitted(self) -> None:
        if not hasattr(self, "equations_"):
            raise NotFittedError(f"this {type(self).__name__} is not fitted yet: call fit(X, y) first")

    def _equation(self, index: int | None) -> Equation:
        self._check_fitted()
        if index is None:
            return self.best_
        if not -len(self.equations_) <= index < len(self.equations_):
            raise ExprcError(f"no equation {index}: the front has {len(self.equations_)}")
        return self.equations_[index]

    def kernel(self, index: int | None = None):
        """The model compiled by exprc (float64, inputs in variable order)."""
        eq = self._equation(index)
        kernels = self.__dict__.setdefault("_kernels", {})
        k = kernels.get(eq.expression)
        if k is None:
            import exprc
            k = kernels[eq.expression] = exprc.compile(eq.node, dtype="float64", variables=self.variable_names_)
        return k

    def predict(self, X, index: int | None = None) -> np.ndarray:
        """Predictions of the best model (or of equations_[index])."""
        self._check_fitted()
        Xa, _ = self._as_arrays(X)
        k = self.kernel(index)
        out = np.asarray(k(*[np.ascontiguousarray(Xa[:, j]) for j in range(Xa.shape[1])]), dtype=np.float64)
        return np.broadcast_to(out, (len(Xa),)).copy()

    def sympy(self, index: int | None = None):
        """The model as a sympy expression (fitted constants as Floats, snapped ones exact)."""
        return to_sympy(self._equation(index).node)

    def latex(self, index: int | None = None) -> str:
        import sympy
        return sympy.latex(self.sympy(index))

    def export(self, fmt: str = "exprc", index: int | None = None) -> str:
        """The model as text: exprc, sympy, latex, c (C99 source), llvm (LLVM IR), triton (a
        Triton kernel's Python source)."""
        if fmt not in EXPORT_FORMATS:
            from exprc.parser import suggest
            raise ExprcError(f"unknown export format {fmt!r}{suggest(str(fmt), EXPORT_FORMATS)}; "
                             f"use one of {', '.join(EXPORT_FORMATS)}")
        eq = self._equation(index)
        if fmt == "exprc":
            return eq.expression
        if fmt == "sympy":
            return str(self.sympy(index))
        if fmt == "latex":
            return self.latex(index)
        k = self.kernel(index)
        if fmt == "c":
            from exprc.backends.c_source import emit_c
            return emit_c(k.program)
        if fmt == "llvm":
            return k.source("llvm")
        from exprc.backends.triton_backend import triton_source
        return triton_source(k.program)

    def equations_table(self) -> str:
        self._check_fitted()
        return equations_table(self.equations_, self.best_index_)

    def __getstate__(self):
        parent = getattr(super(), "__getstate__", None)
        state = dict(parent() if parent is not None else self.__dict__)
        state.pop("_kernels", None)         # compiled code is rebuilt on first use
        return state

    def __str__(self) -> str:
        if not hasattr(self, "equations_"):
            return repr(self)
        return self.best_.expression

    # ------------------------------------------------------------------ model files
    def to_dict(self, target: str = "y") -> dict:
        self._check_fitted()
        return {"format": MODEL_FORMAT, "version": 1, "variables": list(self.variable_names_),
                "feature_names": [str(v) for v in self.feature_names_], "target": target,
                "equations": [e.to_dict() for e in self.equations_], "best": int(self.best_index_)}

    def save(self, path, target: str = "y") -> None:
        """Write the fitted front as JSON (what `exprc fit -o model.json` writes)."""
        with open(path, "w") as fh:
            json.dump(self.to_dict(target), fh, indent=2)
            fh.write("\n")

    @classmethod
    def from_dict(cls, model: dict) -> "SymbolicRegressor":
        from exprc.parser import parse
        if not isinstance(model, dict) or model.get("format") != MODEL_FORMAT:
            raise ExprcError("not an exprc symbolic-regression model (format field missing or different)")
        try:
            names = [str(v) for v in model["variables"]]
            eqs = []
            for e in model["equations"]:
                node = parse(e["expression"], dtype=DTYPE)
                eqs.append(Equation(int(e["complexity"]), float(e["loss"]), float(e.get("r2", math.nan)),
                                    e["expression"], node))
            best = int(model["best"])
        except (KeyError, TypeError, ValueError) as exc:
            raise ExprcError(f"malformed model: {exc}") from None
        if not eqs or not 0 <= best < len(eqs):
            raise ExprcError("malformed model: no equations, or best out of range")
        for e in eqs:
            extra = [v for v in e.node.variables if v not in names]
            if extra:
                raise ExprcError(f"malformed model: {e.expression!r} uses {', '.join(extra)}, not in variables")
        est = cls()
        est.variable_names_ = names
        est.feature_names_ = [str(v) for v in model.get("feature_names", names)]
        est.n_features_in_ = len(names)
        est.equations_, est.best_index_, est.best_ = eqs, best, eqs[best]
        est._kernels = {}
        return est

    @classmethod
    def load(cls, path) -> "SymbolicRegressor":
        try:
            with open(path) as fh:
                model = json.load(fh)
        except json.JSONDecodeError as exc:
            raise ExprcError(f"{path} is not JSON: {exc}") from None
        except FileNotFoundError:
            raise ExprcError(f"no such file: {path}") from None
        except OSError as exc:
            raise ExprcError(f"cannot read {path}: {exc.strerror}") from None
        return cls.from_dict(model)


def _add_front(archive: Archive, cands: Sequence[Candidate]) -> None:
    """Offer candidates to the archive, skipping (cheaply) those a member already dominates."""
    members = [(i.genome.size, i.genome.nmse) for i in archive.members.values()]
    for c in cands:
        if any(s <= c.size and l <= c.nmse for s, l in members):
            continue
        if archive.add(Individual(c, (c.size, c.nmse)), c.key):
            members = [(i.genome.size, i.genome.nmse) for i in archive.members.values()]
