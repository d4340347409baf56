"""Prefix token sequences, as transformer-based symbolic-regression models emit them.

Accepted tokens: op names and aliases from the registry (add, mul, sub, div, pow, sin, ...),
the unary shorthands these models use (inv, neg, pow2..pow5, sqr), variables (x_0, x0, x, or
any identifier), parameters ($c), named constants (pi, e), numbers ("3.14", "-2"), and
integers spelled digit by digit after INT+ / INT- (Lample & Charton's encoding).
"""
from __future__ import annotations

from typing import Sequence

from . import ir, ops
from .errors import ExprcError
from .numbers import decimal_value
from .parser import _constant, resolve_function, suggest

_SHORTHANDS = {   # name -> (arity, builder)
    "inv": (1, lambda d, a: ir.apply("div", ir.const(1, d), a)),
    "neg": (1, lambda d, a: ir.apply("neg", a)),
    "sqr": (1, lambda d, a: ir.apply("pow", a, ir.const(2, d))),
    "pow2": (1, lambda d, a: ir.apply("pow", a, ir.const(2, d))),
    "pow3": (1, lambda d, a: ir.apply("pow", a, ir.const(3, d))),
    "pow4": (1, lambda d, a: ir.apply("pow", a, ir.const(4, d))),
    "pow5": (1, lambda d, a: ir.apply("pow", a, ir.const(5, d))),
}


def _number(tok: str):
    t = tok[1:] if tok[:1] in "+-" else tok
    try:
        v = decimal_value(t)
    except ValueError:
        return None
    return -v if tok.startswith("-") else v


def _tokens_to_items(tokens: Sequence[str]) -> list:
    """Merge INT+ d d d sequences into one number token."""
    items, i = [], 0
    while i < len(tokens):
        t = str(tokens[i])
        if t in ("INT+", "INT-"):
            j = i + 1
            while j < len(tokens) and str(tokens[j]).isdigit() and len(str(tokens[j])) == 1:
                j += 1
            if j == i + 1:
                raise ExprcError(f"token {i}: {t} must be followed by digits")
            digits = "".join(str(x) for x in tokens[i + 1:j])
            items.append(("num", int(digits) * (1 if t == "INT+" else -1), i))
            i = j
            continue
        items.append(("tok", t, i))
        i += 1
    return items


def from_prefix(tokens: Sequence[str], dtype="float64", parameters=()) -> ir.Node:
    if isinstance(tokens, str):
        tokens = tokens.split()
    items = _tokens_to_items(list(tokens))
    if not items:
        raise ExprcError("empty token sequence")
    pset = set(parameters)
    # evaluate right to left with a value stack: no recursion
    stack: list[ir.Node] = []
    for kind, tok, pos in reversed(items):
        if kind == "num":
            stack.append(ir.const(tok, dtype))
            continue
        if tok in _SHORTHANDS and resolve_function(tok) in (None, "neg"):
            arity, build = _SHORTHANDS[tok]
            if len(stack) < arity:
                raise ExprcError(f"token {pos} ({tok}) needs {arity} operand(s)")
            stack.append(build(dtype, stack.pop()))
            continue
        opname = resolve_function(tok)
        if opname is not None:
            op = ops.REGISTRY[opname]
            if len(stack) < op.arity:
                raise ExprcError(f"token {pos} ({tok}) needs {op.arity} operands, found {len(stack)}")
            args = [stack.pop() for _ in range(op.arity)]
            stack.append(ir.apply(opname, *args))
            continue
        value = _number(tok)
        if value is not None:
            stack.append(ir.const(value, dtype))
            continue
        c = _constant(tok, dtype)
        if c is not None:
            stack.append(c)
            continue
        if tok.startswith("$"):
            stack.append(ir.param(tok[1:], dtype))
            continue
        if tok.isidentifier():
            stack.append(ir.param(tok, dtype) if tok in pset else ir.var(tok, dtype))
            continue
        raise ExprcError(f"token {pos}: unknown token {tok!r}" + suggest(tok, ops.FUNCTION_NAMES))
    if len(stack) != 1:
        hint = ""
        for kind, tok, _pos in items:
            if kind == "tok" and tok.isidentifier() and resolve_function(tok) is None:
                hint = suggest(tok, ops.FUNCTION_NAMES)
                if hint:
                    hint = f"; is {tok!r} meant as a function{hint}"
                    break
        raise ExprcError(f"token sequence is not one expression: {len(stack)} operands left over{hint}")
    return stack[0]
