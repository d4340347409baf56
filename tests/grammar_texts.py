"""Random texts over the whole expression language, valid and broken, for differential tests.

Every case of the grammar appears: number formats (integers, decimals with and without digits
on either side, exponents with and without sign, 12-digit Operon constants, values that
overflow or underflow a dtype, decimals next to a float32 rounding boundary), names (plain,
dotted, the constants pi/e/inf/nan in every spelling, function names used as variables,
declared parameters), $parameters, every function spelling with right and wrong argument
counts, variadic calls, trailing commas, + - * / ** ^ with unary signs in every position,
redundant and missing parentheses, comparisons, whitespace, deep nesting, and mutations of
valid texts that break them.
"""
from __future__ import annotations

import random

import numpy as np

from exprc import ops

VARIABLES = ("x", "y", "z", "x0", "x_1", "X12", "alpha", "_t", "sin", "lambda", "E", "PI", "sigma_2")
CONSTANTS = ("pi", "e", "inf", "nan", "Inf", "NaN", "oo", "np.pi", "math.e", "numpy.inf", "infinity")
PARAMETERS = ("a", "b", "theta")        # declared as parameters by the tests
BAD_NAMES = ("a.b", "np.foo", "x.y.z")
# functions a population can run (ops with population=False, such as log_iv, are refused there
# with a clear error and tested in their own files)
FUNCTIONS = tuple(sorted(n for n, op in ops.FUNCTION_NAMES.items() if ops.REGISTRY[op].population))
BINARY = ("+", "-", "*", "/", "**", "^")
COMPARE = ("<", "<=", ">", ">=", "==", "!=")
SPACES = ("", "", "", " ", " ", "  ", "\t", "\n")


def _midpoint_text(rng: random.Random) -> str:
    """A decimal whose float64 value is exactly halfway between two float32 values."""
    f = np.float32(rng.uniform(1e-3, 1e3))
    mid = (float(f) + float(np.nextafter(f, np.float32(np.inf)))) / 2
    return repr(mid)


def number(rng: random.Random) -> str:
    kind = rng.randrange(14)
    if kind == 0:
        return str(rng.randrange(0, 1000))
    if kind == 1:
        return f"{rng.uniform(0, 100):.12f}"
    if kind == 2:
        return f".{rng.randrange(1, 10**rng.randrange(1, 8))}"
    if kind == 3:
        return f"{rng.randrange(1, 100)}."
    if kind == 4:
        return f"{rng.uniform(1, 10):.3f}{rng.choice('eE')}{rng.choice(['', '+', '-'])}{rng.randrange(0, 40)}"
    if kind == 5:
        return f"{rng.randrange(1, 9)}e{rng.choice(['', '-'])}{rng.choice([38, 39, 45, 46, 300, 308, 309, 320, 400])}"
    if kind == 6:
        return _midpoint_text(rng)
    if kind == 7:
        return repr(rng.uniform(-1, 1) * 10 ** rng.randrange(-10, 10)).lstrip("-")
    if kind == 8:
        return "".join(rng.choice("0123456789") for _ in range(rng.randrange(15, 60)))
    if kind == 9:
        return f"{rng.randrange(1, 9)}.{rng.randrange(0, 9)}e-4{rng.randrange(0, 6)}"     # float32 subnormals
    if kind == 10:
        return "0"
    if kind == 11:
        return f"0.{'0' * rng.randrange(0, 5)}{rng.randrange(1, 99)}"
    if kind == 12:
        return f"{rng.randrange(1, 99)}.{rng.randrange(0, 99)}E{rng.randrange(0, 5)}"
    return repr(float(np.float32(rng.uniform(0, 10))))


def leaf(rng: random.Random) -> str:
    r = rng.random()
    if r < 0.40:
        return rng.choice(VARIABLES[:6])
    if r < 0.50:
        return rng.choice(VARIABLES)
    if r < 0.75:
        return number(rng)
    if r < 0.83:
        return rng.choice(CONSTANTS)
    if r < 0.90:
        return "$" + rng.choice(["a", "b", "c", "k1", "pi", "x"]) if rng.random() < 0.8 else "$ a"
    if r < 0.96:
        return rng.choice(PARAMETERS)
    return rng.choice(BAD_NAMES) if rng.random() < 0.1 else rng.choice(VARIABLES)


def _sp(rng: random.Random) -> str:
    return rng.choice(SPACES)


def expression(rng: random.Random, budget: int) -> str:
    """A random text of about `budget` nodes (not always valid: calls get wrong arities at times)."""
    if budget <= 1:
        return leaf(rng)
    r = rng.random()
    if r < 0.45:
        left = rng.randrange(1, budget)
        a, b = expression(rng, left), expression(rng, budget - left)
        if rng.random() < 0.3:
            a = f"({a})"
        if rng.random() < 0.3:
            b = f"({b})"
        return f"{a}{_sp(rng)}{rng.choice(BINARY)}{_sp(rng)}{b}"
    if r < 0.58:
        return f"{rng.choice('-+-')}{_sp(rng)}{expression(rng, budget - 1)}"
    if r < 0.65:
        return f"({_sp(rng)}{expression(rng, budget)}{_sp(rng)})"
    if r < 0.70:
        left = rng.randrange(1, budget)
        return f"{expression(rng, left)}{_sp(rng)}{rng.choice(COMPARE)}{_sp(rng)}{expression(rng, budget - left)}"
    name = rng.choice(FUNCTIONS)
    op = ops.REGISTRY[ops.FUNCTION_NAMES[name]]
    n = op.arity
    if op.variadic and rng.random() < 0.3:
        n += rng.randrange(1, 3)
    if rng.random() < 0.03:
        n = max(0, n + rng.choice([-1, 1]))
    if rng.random() < 0.15:
        name = rng.choice(["np.", "math.", "numpy.", "torch."]) + name
    parts = [expression(rng, max(1, (budget - 1) // max(n, 1))) for _ in range(n)]
    trailing = "," if parts and rng.random() < 0.05 else ""
    return f"{name}({(',' + _sp(rng)).join(parts)}{trailing})"


def mutate(rng: random.Random, text: str) -> str:
    """A small edit that usually breaks the text."""
    if not text:
        return "("
    i = rng.randrange(len(text))
    choice = rng.randrange(6)
    if choice == 0:
        return text[:i] + text[i + 1:]
    if choice == 1:
        return text[:i] + rng.choice("()+-*/^,$.e;=!<>") + text[i:]
    if choice == 2:
        return text[:i] + text[i] * 2 + text[i + 1:]
    if choice == 3:
        return text + rng.choice(["+", ")", "(", "*", ",", " x", "2"])
    if choice == 4:
        return rng.choice(["*", ")", ",", "**", "e"]) + text
    return text[:i] + " " + text[i:]


def deep(rng: random.Random) -> str:
    depth = rng.randrange(50, 400)
    kind = rng.randrange(4)
    if kind == 0:
        return "(" * depth + "x" + ")" * depth
    if kind == 1:
        return "-" * depth + "x"
    if kind == 2:
        return "sin(" * depth + "x" + ")" * depth
    return " + ".join(rng.choice(VARIABLES[:4]) for _ in range(depth))


def texts(seed: int, count: int) -> list[str]:
    rng = random.Random(seed)
    out = []
    for _ in range(count):
        r = rng.random()
        if r < 0.002:
            out.append(deep(rng))
        elif r < 0.80:
            out.append(expression(rng, rng.randrange(1, 16)))
        elif r < 0.97:
            out.append(mutate(rng, expression(rng, rng.randrange(1, 10))))
        else:
            out.append(rng.choice(["", " ", "()", "$", "f()", "x,y", "1 2", "x.", ".", "e", "1e", "1e+",
                                   "**x", "x**", "x***y", "pi()", "sin()", "min(x)", "a.b", "$1"]))
    return out
