"""Symbolic regression: the scikit-learn estimator (estimator.py), the island search it drives
(island.py on flat programs, variation.py; engine.py: operators, candidates), where islands run (runners.py, worker.py), the finished front (finalize.py,
results.py), progress display and the `exprc fit` / `exprc predict` commands (cli.py)."""
from .estimator import NotFittedError, SymbolicRegressor
from .results import Equation

__all__ = ["SymbolicRegressor", "Equation", "NotFittedError"]
