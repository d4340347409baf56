"""The population engine: many candidate expressions as flat programs, evaluated in bulk.

encoding   the program encoding and the kernels' ABI (the one place they are defined)
flat       FlatPrograms: postfix arrays, hashing, subtree edits, IR conversion
text       many texts to flat programs in numpy (exprc.parse stays the reference)
prefix     many prefix token lists to flat programs (exprc.from_prefix stays the reference)
bytecode   flat programs and IR DAGs to interpreter bytecode
engine     Population: predict, loss, gradients, Jacobians; runner, jit, triton_tier its tiers
"""
from . import flat
from .engine import Population
from .flat import FlatPrograms
from .text import parse_many

__all__ = ["Population", "FlatPrograms", "parse_many", "flat"]
