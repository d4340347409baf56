"""exprc: a compiler for mathematical expressions and a generator of fast numeric kernels.

    >>> import exprc, numpy as np
    >>> k = exprc.compile("sin(x) * y + $a", dtype="float32")
    >>> k(np.float32([0.5]), np.float32([2.0]), a=1.0)
"""
from . import ir
from .api import compile, evaluate, to_node
from .errors import BindError, CompileError, ExprcError, ParseError, TypeMismatch
from .ir import Node, apply, const, param, var
from .kernel import Kernel
from .parser import parse
from .population import FlatPrograms, Population
from .program import Program

__version__ = "0.1.0"


def from_sympy(expr, dtype="float64", parameters=()):
    """A sympy expression as an exprc node."""
    from .sympy_bridge import from_sympy as _f
    return _f(expr, dtype=dtype, parameters=parameters)


def to_sympy(node):
    """An exprc node as a sympy expression."""
    from .sympy_bridge import to_sympy as _t
    return _t(node)


def from_prefix(tokens, dtype="float64", parameters=()):
    """Prefix tokens as emitted by transformer symbolic-regression models, as an exprc node."""
    from .prefix import from_prefix as _p
    return _p(tokens, dtype=dtype, parameters=parameters)


def parse_many(texts, dtype="float64", parameters=(), variables=()) -> FlatPrograms:
    """Many texts at once as flat programs (postfix arrays, constants folded): what a
    Population runs. Each text means what exprc.parse makes of it; errors are exprc.parse's."""
    from .population.text import parse_many as _pm
    return _pm(texts, dtype=dtype, parameters=parameters, variables=variables)


def from_fpcore(text: str, dtype=None):
    """The first (FPCore ...) in text: its IR node, argument names, :name, precision and the
    ranges its :pre states (exprc.fpcore.FPCore). dtype: default the FPCore's :precision."""
    from .fpcore import from_fpcore as _f
    return _f(text, dtype=dtype)


def to_fpcore(expr, variables=None, name=None) -> str:
    """An expression (text or node) as FPCore text; shared subexpressions become let*."""
    from .fpcore import to_fpcore as _t
    return _t(to_node(expr), variables, name)


def improve(expr, dtype="float64", ranges=None, **options):
    """The same real function as expr, rewritten to be more accurate in dtype on ranges
    {name: (lo, hi)} (Herbie-style: an egglog e-graph of rewrites, candidates ranked by error
    against exact results on sampled inputs, series and regimes); expr's own node when nothing
    measures better. exprc.accurate.improve_report gives the errors before and after."""
    from .accurate import improve as _i
    return _i(expr, dtype, ranges, **options)


def grad(expr, wrt=None):
    """Partial derivatives of expr (reverse mode) as IR, one per name in wrt (default: every
    variable, then every parameter)."""
    from .diff import grad as _g
    return _g(expr, wrt)


__all__ = ["compile", "evaluate", "parse", "from_sympy", "to_sympy", "from_prefix", "from_fpcore", "to_fpcore", "improve", "grad",
           "Kernel", "Node", "Program", "Population", "FlatPrograms", "parse_many", "ir", "var", "param", "const", "apply", "to_node",
           "ExprcError", "ParseError", "BindError", "CompileError", "TypeMismatch"]
