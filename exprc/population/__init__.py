"""The population engine: many candidate expressions as flat programs, evaluated in bulk."""
from .engine import Population

__all__ = ["Population"]
