"""Optimizing passes over the IR. Each pass maps a list of root nodes to a list of root nodes."""
from .fold import fold
from .pipeline import optimize, passes_for
from .rewrite import Rule, rewrite

__all__ = ["fold", "optimize", "passes_for", "Rule", "rewrite"]
