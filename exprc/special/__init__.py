"""Special functions defined as exprc IR (log-space modified Bessel functions)."""
from __future__ import annotations

from functools import lru_cache

import numpy as np

from .. import ir

@lru_cache(maxsize=None)
def _template(name: str, dtype: str) -> ir.Node:
    """The expansion over variables a (order) and b (argument), built once per dtype."""
    from . import bessel
    if dtype == "float32":
        return expansion(name, ir.var("a", dtype), ir.var("b", dtype), dtype)
    return getattr(bessel, name)(ir.var("a", dtype), ir.var("b", dtype))


def expansion(name: str, v: ir.Node, x: ir.Node, dtype: str) -> ir.Node:
    """name(v, x) as IR over exprc's own ops. float32 is computed in float64 and rounded once:
    the region formulas lose up to 1e-4 relative in float32 arithmetic (and CF2 overflows), so
    float64 inside is what makes the float32 result accurate to its last bits."""
    if dtype == "float32":
        inner = expansion(name, ir.apply("to_float64", v), ir.apply("to_float64", x), "float64")
        return ir.apply("to_float32", inner)
    return ir.substitute([_template(name, dtype)], {"a": v, "b": x})[0]


@lru_cache(maxsize=None)
def _program(name: str, dtype: str):
    from ..program import Program
    node = _template(name, dtype)
    return Program.build([node], dtype, variables=("a", "b"))


def evaluate(name: str, v, x) -> np.ndarray:
    """The numpy oracle: the expansion evaluated one numpy op per node, in the inputs' dtype."""
    from ..backends import numpy_backend
    if name in ("iv", "kv"):
        return np.exp(evaluate("log_" + name, v, x))
    v, x = np.asarray(v), np.asarray(x)
    dtype = "float32" if v.dtype == np.float32 and x.dtype == np.float32 else "float64"
    out = numpy_backend.evaluate(_program(name, dtype), {"a": v, "b": x}, {})[0]
    return np.asarray(out)
