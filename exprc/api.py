"""The public Python API: compile, evaluate, and the conversions into IR."""
from __future__ import annotations

import sys
import re
import threading
from collections import OrderedDict
from typing import Sequence

import numpy as np

from . import ir, ops
from .dtypes import normalize_dtype
from .errors import ExprcError
from .kernel import Kernel
from .parser import names_read, parse
from .passes import optimize as run_passes
from .program import Program

ExprLike = "str | ir.Node | sympy.Basic"


_FPCORE_START = re.compile(r"\s*(;[^\n]*(\n|$)\s*)*\(\s*FPCore\b")


def is_fpcore(text) -> bool:
    """True for text that is an FPCore benchmark, (FPCore ...) after any comment lines,
    rather than infix exprc."""
    return isinstance(text, str) and _FPCORE_START.match(text) is not None


def to_node(expr, dtype="float64", parameters=(), variables=()) -> ir.Node:
    """Text, a node or a sympy expression, as an IR node of dtype. variables: names text
    reads as variables even where they spell a constant such as e or pi."""
    if isinstance(expr, ir.Node):
        return ir.retype(expr, dtype) if expr.dtype != "bool" else expr
    if isinstance(expr, str):
        if is_fpcore(expr):
            from .fpcore import from_fpcore
            return from_fpcore(expr, dtype=dtype).node
        return parse(expr, dtype=dtype, parameters=parameters, variables=variables or ())
    if type(expr).__module__.startswith("sympy"):
        from .sympy_bridge import from_sympy
        return from_sympy(expr, dtype=dtype, parameters=parameters)
    if isinstance(expr, (int, float, np.floating, np.integer)):
        return ir.const(expr, dtype)
    raise ExprcError(f"cannot compile a {type(expr).__name__}; pass text, an exprc node or a sympy "
                     "expression (prefix token lists go through exprc.from_prefix)")


def compile(expr, dtype="float64", backend: str = "llvm", fastmath: bool = False, optimize: int = 2,
            variables: Sequence[str] | None = None, parameters: Sequence[str] | None = None,
            accurate: bool = False, ranges: dict | None = None, precision: str | None = None,
            **backend_options) -> Kernel:
    """Compile an expression (or a tuple of them, for one kernel with several outputs).

    dtype: "float32" or "float64" (also f32, f64, np.float32...). backend: "llvm" (vectorized
    CPU code), "numpy" (the reference interpreter) or "triton". fastmath: allow rewrites and
    LLVM flags that are not exact in IEEE arithmetic. optimize: 0, 1 or 2. variables: the
    positional order of inputs (default: order of first appearance in text; sorted names for
    sympy input, whose term order is sympy's own); a listed name is a variable even where it
    spells a constant (e, pi, inf, nan), which it is only when not listed. parameters: names to
    treat as runtime parameters (in addition to $names in text). backend_options go to the
    backend, e.g. mathlib="libm" for the LLVM backend to call the C library's elementary
    functions instead of exprc's own. accurate: rewrite each expression with exprc.improve
    for ranges {name: (lo, hi)} first (opt-in: the program then computes a different, more
    accurate sequence of operations). precision="auto" (float32 programs): compute in float64
    the subexpressions whose float32 evaluation overflows, underflows or cancels on ranges."""
    from .backends import get as get_backend
    d = normalize_dtype(dtype)
    many = isinstance(expr, (tuple, list))
    exprs = list(expr) if many else [expr]
    if many and not exprs:
        raise ExprcError("nothing to compile")
    pnames = tuple(parameters or ())
    nodes = [to_node(e, d, pnames, variables) for e in exprs]
    if precision not in (None, "auto", d):
        raise ExprcError(f"precision must be 'auto' or the dtype, not {precision!r}")
    if variables is None and any(type(e).__module__.startswith("sympy") for e in exprs):
        # sympy reorders terms, so first appearance means little there: sort by name instead
        variables = sorted(ir.leaf_names(nodes, ir.VAR))
    if len(exprs) == 1 and is_fpcore(exprs[0]) and (variables is None or ranges is None):
        from .fpcore import from_fpcore
        core = from_fpcore(exprs[0], dtype=d)
        variables = core.variables if variables is None else variables    # FPCore's argument order
        ranges = core.ranges if ranges is None else ranges                 # and its :pre
    if variables is None and (accurate or precision == "auto"):
        variables = list(ir.leaf_names(nodes, ir.VAR))     # the order the text gave, kept
    if (accurate or precision == "auto") and ranges:
        unknown = set(ranges) - set(ir.leaf_names(nodes, ir.VAR))
        if unknown:
            raise ExprcError(f"ranges name {', '.join(sorted(unknown))}, not variables of the expression")
    if accurate:
        nodes = [_rewritten("improve", n, d, _ranges_for(n, ranges)) for n in nodes]
    if precision == "auto" and d == "float32":
        nodes = [_rewritten("auto_precision", n, d, _ranges_for(n, ranges)) for n in nodes]
    all_params = pnames + tuple(p for p in ir.leaf_names(nodes, ir.PARAM) if p not in pnames)
    program = Program.build(nodes, d, variables=variables, parameters=all_params)
    program = program.with_outputs(run_passes(list(program.outputs), optimize, fastmath))
    be = get_backend(backend)
    try:
        executable = be.build(program, fastmath=fastmath, **backend_options)
    except TypeError as exc:
        raise ExprcError(f"backend {backend!r} does not take {exc}") from None
    return Kernel(program, backend, executable, fastmath, optimize, tuple(nodes) if many else nodes[0])


_REWRITE_CACHE: "OrderedDict[tuple, ir.Node]" = OrderedDict()


def _ranges_for(node: ir.Node, ranges: dict | None) -> dict | None:
    """The ranges of node's own variables (one range table serves every output of a kernel);
    a name that is no output's variable is refused, so a misspelt range is never ignored."""
    if not ranges:
        return ranges
    return {k: v for k, v in ranges.items() if k in ir.leaf_names([node], ir.VAR)}


def _rewritten(kind: str, node: ir.Node, dtype: str, ranges) -> ir.Node:
    """improve / auto_precision of node, remembered per process: they sample and search for
    seconds, and the same expression is often compiled again (nodes are hash-consed, so the
    node itself is the key)."""
    key = (kind, node, dtype, tuple(sorted((k, tuple(map(float, v))) for k, v in (ranges or {}).items())))
    with _EVAL_LOCK:
        hit = _REWRITE_CACHE.get(key)
    if hit is not None:
        return hit
    if kind == "improve":
        from .accurate import improve
        out = improve(node, dtype, ranges)
    else:
        from .accurate.precision import auto_precision
        out = auto_precision(node, ranges)
    with _EVAL_LOCK:
        _REWRITE_CACHE[key] = out
        while len(_REWRITE_CACHE) > 256:
            _REWRITE_CACHE.popitem(last=False)
    return out


_EVAL_CACHE: "OrderedDict[tuple, Kernel]" = OrderedDict()
_EVAL_LOCK = threading.Lock()
_EVAL_CACHE_SIZE = 256


def evaluate(text: str, local_dict: dict | None = None, *, dtype=None, backend: str = "llvm",
             fastmath: bool = False, out=None, **arrays):
    """Evaluate text on arrays, like numexpr.evaluate: names not given as keywords (or in
    local_dict) are looked up in the caller's local and global variables. The dtype is float32
    when every input is float32, else float64, unless given. Kernels are cached by text.
    A name that spells a constant (e, pi, inf, nan) is the caller's variable when bound in
    one of those places, as in numexpr, and the constant otherwise."""
    if not isinstance(text, str):
        raise ExprcError(f"expected expression text, got {type(text).__name__}")
    used = names_read(text)
    scope = dict(local_dict or {})
    scope.update(arrays)
    missing = [n for n in used if n not in scope]
    if missing:
        frame = sys._getframe(1)
        for n in missing:
            if n in frame.f_locals:
                scope[n] = frame.f_locals[n]
            elif n in frame.f_globals:
                scope[n] = frame.f_globals[n]
    names = tuple(n for n in used if n not in ops.CONSTANT_NAMES or n in scope)
    still = [n for n in names if n not in scope]
    if still:
        raise ExprcError(f"no value for {', '.join(still)}")
    values = [scope[n] for n in names]
    if dtype is None:
        dts = {np.asarray(v).dtype for v in values}
        dtype = "float32" if dts and dts <= {np.dtype(np.float32)} else "float64"
    d = normalize_dtype(dtype)
    key = (text, d, backend, fastmath, names)
    with _EVAL_LOCK:
        k = _EVAL_CACHE.get(key)
        if k is not None:
            _EVAL_CACHE.move_to_end(key)
    if k is None:
        k = compile(text, dtype=d, backend=backend, fastmath=fastmath, variables=names)
        with _EVAL_LOCK:
            _EVAL_CACHE[key] = k
            while len(_EVAL_CACHE) > _EVAL_CACHE_SIZE:
                _EVAL_CACHE.popitem(last=False)
    return k(*values, out=out)
