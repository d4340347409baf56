"""Accuracy-aware rewriting (Herbie-style, over an egglog e-graph) and mixed precision.

improve(expr, dtype, ranges) -> the same real function, more accurate where measured;
improve_report(...) -> the answer with its error before and after.
"""
from .improver import ErrorStats, Improvement, improve, improve_report

__all__ = ["improve", "improve_report", "Improvement", "ErrorStats"]
