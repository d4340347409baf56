"""FPCore in and out: the straight-line subset of the FPBench format as exprc IR.

Why: FPBench's suites (and Herbie) speak FPCore, so kernels written for them compile here
as they are, and exprc's results go back to those tools. Read: (FPCore (args) props body)
with numbers (decimal, rational n/d, hex floats), the FPCore constants (PI, E, INFINITY,
NAN, TRUE, FALSE, ...), let / let*, if, and / or / not, chained comparisons, the
mathematical functions exprc's registry has under FPCore's names (remainder is C's, exprc's
ieee_remainder), and preconditions of the form (<= a x b) read as ranges. Anything else
(while loops, tensors, digits, ...) is refused with the construct named, never read as
something else.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np

from . import ir, ops
from .dtypes import BOOL, normalize_dtype
from .errors import ExprcError, ParseError

# FPCore name -> exprc registry op (same arity)
FUNCTIONS = {
    "+": "add", "-": "sub", "*": "mul", "/": "div", "fabs": "abs", "sqrt": "sqrt", "cbrt": "cbrt",
    "exp": "exp", "exp2": "exp2", "expm1": "expm1", "log": "log", "log2": "log2", "log10": "log10",
    "log1p": "log1p", "pow": "pow", "sin": "sin", "cos": "cos", "tan": "tan", "asin": "asin",
    "acos": "acos", "atan": "atan", "atan2": "atan2", "sinh": "sinh", "cosh": "cosh", "tanh": "tanh",
    "asinh": "asinh", "acosh": "acosh", "atanh": "atanh", "fma": "fma", "hypot": "hypot",
    "copysign": "copysign", "floor": "floor", "ceil": "ceil",
    "trunc": "trunc", "fmod": "fmod", "erf": "erf", "erfc": "erfc",
    "tgamma": "tgamma", "lgamma": "lgamma", "remainder": "ieee_remainder", "nearbyint": "round",
    "rint": "round", "fdim": "fdim",
}
COMPARISONS = {"<": "lt", "<=": "le", ">": "gt", ">=": "ge", "==": "eq"}
_DERIVED_ARITY = {"isnan": 1, "isinf": 1, "isfinite": 1, "isnormal": 1, "signbit": 1}
CONSTANTS = {   # exact where exact, else mpmath names folded in high precision by exprc
    "PI": "pi", "E": "e", "PI_2": ("pi", Fraction(1, 2)), "PI_4": ("pi", Fraction(1, 4)),
    "M_1_PI": ("pi", -1), "M_2_PI": ("pi", -2), "HUGE_VAL": float("inf"), "MAXFLOAT": ("maxfloat", None),
    "INFINITY": float("inf"), "NAN": float("nan"), "TRUE": True, "FALSE": False,
    "LN2": ("log", 2), "LN10": ("log", 10), "SQRT2": ("sqrt", 2), "SQRT1_2": ("sqrt", Fraction(1, 2)),
    "LOG2E": ("log2e", None), "LOG10E": ("log10e", None), "M_2_SQRTPI": ("2/sqrtpi", None),
}
PRECISIONS = {"binary64": "float64", "binary32": "float32"}
_TOKEN = re.compile(r'\s*(?:(;[^\n]*)|([()\[\]])|("(?:[^"\\]|\\.)*")|([^\s()\[\]";]+))')


@dataclass
class FPCore:
    """One FPCore benchmark: its expression (IR), argument names, properties and ranges."""
    node: ir.Node
    variables: list[str]
    name: str | None = None
    precision: str = "float64"
    ranges: dict[str, tuple[float, float]] = field(default_factory=dict)
    properties: dict[str, object] = field(default_factory=dict)


def _tokens(text: str):
    pos = 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None or m.end() == pos:
            if text[pos:].strip() == "":
                return
            raise _error(text, pos, "unexpected character")
        pos = m.end()
        if m.group(1):
            continue
        tok = m.group(2) or m.group(3) or m.group(4)
        if tok:
            yield tok, m.start(m.lastindex)


def _error(text: str, pos: int, msg: str) -> ParseError:
    line = text.count("\n", 0, pos) + 1
    col = pos - (text.rfind("\n", 0, pos) + 1) + 1
    return ParseError(msg, text, line, col)


def _read(text: str):
    """S-expressions as nested lists of (token, position) leaves."""
    stack: list[list] = [[]]
    opened: list[int] = []
    for tok, pos in _tokens(text):
        if tok in "([":
            stack.append([])
            opened.append(pos)
        elif tok in ")]":
            if len(stack) == 1:
                raise _error(text, pos, "unbalanced closing parenthesis")
            done = stack.pop()
            opened.pop()
            stack[-1].append(done)
        else:
            stack[-1].append((tok, pos))
    if len(stack) > 1:
        raise _error(text, opened[-1], "unclosed parenthesis")
    return stack[0]


def _number(tok: str):
    """The exact value of an FPCore number (decimal, rational n/d, hex float), or None."""
    from .numbers import decimal_value
    sign = -1 if tok[:1] == "-" else 1
    body = tok[1:] if tok[:1] in "+-" else tok
    try:
        if re.fullmatch(r"0[xX]([0-9a-fA-F]+\.?[0-9a-fA-F]*|\.[0-9a-fA-F]+)[pP][+-]?\d+", body):
            return sign * decimal_value(body)                # exact, as exprc reads hex floats
        if re.fullmatch(r"\d+/\d+", body):
            n, d = body.split("/")
            if len(n) > 4000 or len(d) > 4000:
                raise ValueError(f"number {tok[:40]!r} has too many digits")
            if int(d) == 0:
                raise ValueError(f"rational {tok!r} divides by zero")
            return sign * Fraction(int(n), int(d))
        if re.fullmatch(r"(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?", body):
            return sign * decimal_value(body)
    except ValueError as exc:
        raise _NumberError(str(exc)) from None
    return None


class _NumberError(ValueError):
    pass


class _Builder:
    def __init__(self, text: str, dtype: str):
        self.text, self.dtype = text, dtype

    def fail(self, item, msg: str) -> ParseError:
        pos = item[1] if isinstance(item, tuple) else (self._first_pos(item) or 0)
        return _error(self.text, pos, msg)

    def _first_pos(self, item):
        if isinstance(item, tuple):
            return item[1]
        for x in item:
            p = self._first_pos(x)
            if p is not None:
                return p
        return None

    def const(self, spec) -> ir.Node:
        d = self.dtype
        if isinstance(spec, bool):
            return ir.const(spec, BOOL)
        if isinstance(spec, float):
            return ir.const(spec, d)
        if isinstance(spec, str):
            return ir.nullary(spec, d)
        fn, arg = spec
        if fn == "pi":
            return ir.apply("mul", ir.nullary("pi", d), ir.const(arg, d)) if arg > 0 else \
                ir.apply("div", ir.const(-arg, d), ir.nullary("pi", d))
        if fn == "maxfloat":
            from .dtypes import FORMATS
            return ir.const(Fraction(np.finfo(FORMATS[d].np_type).max), d)
        if fn == "log2e":
            return ir.apply("div", ir.const(1, d), ir.apply("log", ir.const(2, d)))
        if fn == "log10e":
            return ir.apply("div", ir.const(1, d), ir.apply("log", ir.const(10, d)))
        if fn == "2/sqrtpi":
            return ir.apply("div", ir.const(2, d), ir.apply("sqrt", ir.nullary("pi", d)))
        return ir.apply(fn, ir.const(arg, d))

    def expr(self, item, env: dict) -> ir.Node:
        d = self.dtype
        if isinstance(item, tuple):
            tok = item[0]
            if tok in env:
                return env[tok]
            try:
                value = _number(tok)
            except _NumberError as exc:
                raise self.fail(item, str(exc)) from None
            if value is not None:
                return ir.const(value, d)
            if tok in CONSTANTS:
                return self.const(CONSTANTS[tok])
            raise self.fail(item, f"unknown name {tok!r} (not an argument, a let binding or an FPCore constant)")
        if not item:
            raise self.fail(item, "empty expression ()")
        head = item[0]
        if not isinstance(head, tuple):
            raise self.fail(item, "an operation must start with its name")
        op, args = head[0], item[1:]
        if op in ("let", "let*"):
            return self.let(item, op == "let*", env)
        if op == "if":
            if len(args) != 3:
                raise self.fail(head, "if takes a condition and two branches")
            c, a, b = (self.expr(x, env) for x in args)
            return ir.apply("where", c, a, b)
        if op == "!":        # (! :prop value ... expr): the expression, its annotations not applied
            return self.expr(args[-1], env) if args else self.expr((), env)
        sub = [self.expr(x, env) for x in args]
        if op == "-" and len(sub) == 1:
            return ir.apply("neg", sub[0])
        if op in ("+", "*", "and", "or") and len(sub) > 2:   # FPCore folds these left
            out = sub[0]
            for x in sub[1:]:
                out = self.binary(head, op, [out, x])
            return out
        if op in COMPARISONS or op == "!=":
            return self.compare(head, op, sub)
        return self.binary(head, op, sub)

    def binary(self, head, op: str, sub: list[ir.Node]) -> ir.Node:
        d = self.dtype
        want = {"and": 2, "or": 2, "not": 1, "fdim": 2, "round": 1, "fmin": 2, "fmax": 2}.get(op)
        if want is None and op in _DERIVED_ARITY:
            want = _DERIVED_ARITY[op]
        if want is not None and len(sub) != want:
            raise self.fail(head, f"{op} takes {want} argument{'s' if want != 1 else ''}, got {len(sub)}")
        if op in ("and", "or", "not") and any(x.dtype != BOOL for x in sub):
            raise self.fail(head, f"{op} takes conditions (comparisons, TRUE, FALSE), not numbers")
        if op == "round":       # C round: halves away from zero (exprc's round is half to even)
            a = sub[0]
            t = ir.apply("trunc", a)
            half = ir.apply("ge", ir.apply("abs", ir.apply("sub", a, t)), ir.const(Fraction(1, 2), d))
            return ir.apply("where", half, ir.apply("add", t, ir.apply("copysign", ir.const(1, d), a)), t)
        if op in ("fmin", "fmax"):   # C: a NaN operand gives the other one
            a, b = sub
            inner = ir.apply("min" if op == "fmin" else "max", a, b)
            return ir.apply("where", ir.apply("ne", a, a), b, ir.apply("where", ir.apply("ne", b, b), a, inner))
        if op == "and":
            return ir.apply("where", sub[0], sub[1], ir.const(False, BOOL))
        if op == "or":
            return ir.apply("where", sub[0], ir.const(True, BOOL), sub[1])
        if op == "not":
            return ir.apply("where", sub[0], ir.const(False, BOOL), ir.const(True, BOOL))
        derived = {
            "isnan": lambda a: ir.apply("ne", a, a),
            "isinf": lambda a: ir.apply("eq", ir.apply("abs", a), ir.const(math.inf, d)),
            "isfinite": lambda a: ir.apply("lt", ir.apply("abs", a), ir.const(math.inf, d)),
            "isnormal": lambda a: ir.apply("where", ir.apply("lt", ir.apply("abs", a), ir.const(math.inf, d)),
                                           ir.apply("ge", ir.apply("abs", a), ir.const(
                                               Fraction(2) ** (-126 if d == "float32" else -1022), d)),
                                           ir.const(False, BOOL)),
            "signbit": lambda a: ir.apply("lt", ir.apply("copysign", ir.const(1, d), a), ir.const(0, d)),
        }
        if op in derived:
            return derived[op](*sub)
        name = FUNCTIONS.get(op)
        if name is None:
            raise self.fail(head, f"FPCore operation {op!r} is not supported by exprc")
        try:
            return ir.apply(name, *sub)
        except Exception as exc:
            raise self.fail(head, f"{op}: {exc}") from None

    def compare(self, head, op: str, sub: list[ir.Node]) -> ir.Node:
        if len(sub) < 2:
            raise self.fail(head, f"{op} needs at least two operands")
        if op == "!=":          # every pair differs
            out = None
            for i in range(len(sub)):
                for j in range(i + 1, len(sub)):
                    t = ir.apply("ne", sub[i], sub[j])
                    out = t if out is None else ir.apply("where", out, t, ir.const(False, BOOL))
            return out
        out = None
        for a, b in zip(sub, sub[1:]):   # a < b < c is a < b and b < c
            t = ir.apply(COMPARISONS[op], a, b)
            out = t if out is None else ir.apply("where", out, t, ir.const(False, BOOL))
        return out

    def let(self, item, sequential: bool, env: dict) -> ir.Node:
        if len(item) != 3 or isinstance(item[1], tuple):
            raise self.fail(item, "let takes a list of [name value] bindings and a body")
        inner = dict(env)
        for binding in item[1]:
            if isinstance(binding, tuple) or len(binding) != 2 or not isinstance(binding[0], tuple):
                raise self.fail(binding, "a let binding is [name value]")
            inner[binding[0][0]] = self.expr(binding[1], inner if sequential else env)
        return self.expr(item[2], inner)


def _ranges(pre, b: _Builder, names: list[str]) -> dict[str, tuple[float, float]]:
    """Bounds a precondition states for single arguments: (<= a x b), (< a x), (and ...)."""
    out: dict[str, list[float]] = {}

    def value(item):
        try:
            n = _number(item[0]) if isinstance(item, tuple) else None
        except _NumberError:
            return None
        if n is None and isinstance(item, tuple) and item[0] in ("PI", "E"):
            return math.pi if item[0] == "PI" else math.e
        if n is None and isinstance(item, list) and len(item) == 2 and item[0] == ("-", item[0][1]):
            v = value(item[1])
            return None if v is None else -v
        return None if n is None else float(n)

    def visit(form):
        if not isinstance(form, list) or not form or not isinstance(form[0], tuple):
            return
        op, args = form[0][0], form[1:]
        if op == "and":
            for a in args:
                visit(a)
            return
        if op in ("<", "<=", ">", ">=") and len(args) >= 2:
            seq = args if op in ("<", "<=") else args[::-1]
            for lo, x, hi in zip([None] + seq[:-1], seq, seq[1:] + [None]):
                if isinstance(x, tuple) and x[0] in names:
                    r = out.setdefault(x[0], [-math.inf, math.inf])
                    if lo is not None and value(lo) is not None:
                        r[0] = max(r[0], value(lo))
                    if hi is not None and value(hi) is not None:
                        r[1] = min(r[1], value(hi))
    visit(pre)
    return {k: (v[0], v[1]) for k, v in out.items()}


def from_fpcore(text: str, dtype: str | None = None) -> FPCore:
    """The first (FPCore ...) of text as exprc IR. dtype: default the :precision property
    (binary64 or binary32), else float64."""
    forms = _read(text)
    cores = [f for f in forms if isinstance(f, list) and f and isinstance(f[0], tuple) and f[0][0] == "FPCore"]
    if not cores:
        raise ParseError("no (FPCore ...) form in the text")
    form = cores[0]
    rest = form[1:]
    if rest and isinstance(rest[0], tuple) and not rest[0][0].startswith(":"):
        rest = rest[1:]            # (FPCore name (args) ...)
    if not rest or not isinstance(rest[0], list):
        raise ParseError("FPCore needs an argument list", text)
    args, rest = rest[0], rest[1:]
    names = []
    for a in args:
        if isinstance(a, list):
            if a and isinstance(a[0], tuple) and a[0][0] == "!":
                a = a[-1]          # (! :precision binary32 x): the argument x
            else:
                raise _error(text, a[0][1] if a and isinstance(a[0], tuple) else 0,
                             "tensor arguments (x n) are not supported")
        if not isinstance(a, tuple):
            raise ParseError("an FPCore argument must be a name", text)
        names.append(a[0])
    props: dict[str, object] = {}
    while len(rest) >= 2 and isinstance(rest[0], tuple) and rest[0][0].startswith(":"):
        key, val = rest[0][0][1:], rest[1]
        props[key] = _unquote(val[0]) if isinstance(val, tuple) else val
        rest = rest[2:]
    if len(rest) != 1:
        raise ParseError("an FPCore has one body expression after its properties", text)
    precision = props.get("precision", "binary64")
    if dtype is None:
        if precision not in PRECISIONS:
            raise ParseError(f"precision {precision!r} is not supported: binary64 or binary32", text)
        dtype = PRECISIONS[precision]
    dtype = normalize_dtype(dtype)
    b = _Builder(text, dtype)
    env = {n: ir.var(n, dtype) for n in names}
    try:
        node = b.expr(rest[0], env)
    except ParseError:
        raise
    except (ExprcError, IndexError, TypeError, ValueError, ZeroDivisionError, OverflowError) as exc:
        raise ParseError(f"FPCore body: {exc}", text) from None
    ranges = _ranges(props["pre"], b, names) if isinstance(props.get("pre"), list) else {}
    name = props.get("name") if isinstance(props.get("name"), str) else None
    return FPCore(node=node, variables=names, name=name, precision=dtype, ranges=ranges,
                  properties={k: v for k, v in props.items() if isinstance(v, str)})


# ------------------------------------------------------------------------------ out

_OUT = {v: k for k, v in FUNCTIONS.items() if k not in ("nearbyint", "remainder")}
_OUT.update(ieee_remainder="remainder", round="rint")    # exprc round is half to even: C's rint
_OUT.update({v: k for k, v in COMPARISONS.items()}, ne="!=", neg="-", pi="PI", e="E")


def to_fpcore(node: ir.Node, variables=None, name: str | None = None) -> str:
    """node as an FPCore (exact constants as rationals, shared subexpressions as let*)."""
    node = _spellable(node)
    variables = list(variables) if variables is not None else list(ir.leaf_names([node], ir.VAR))
    order = ir.topo([node])
    users: dict[int, int] = {}
    for n in order:
        for a in n.args:
            users[id(a)] = users.get(id(a), 0) + 1
    names: dict[int, str] = {}
    lets: list[tuple[str, str]] = []
    taken = set(variables)

    def fresh() -> str:
        k = len(lets)
        while f"t{k}" in taken:
            k += 1
        taken.add(f"t{k}")
        return f"t{k}"

    def text(n: ir.Node) -> str:
        if id(n) in names:
            return names[id(n)]
        if n.op == ir.VAR:
            return n.value
        if n.op == ir.PARAM:
            raise ExprcError(f"FPCore has no parameters: bind ${n.value} to a value first")
        if n.op == ir.CONST:
            if isinstance(n.value, bool):
                return "TRUE" if n.value else "FALSE"
            v = n.value
            if isinstance(v, float):
                if math.isnan(v):
                    return "NAN"
                if v == 0:
                    return "(- 0)"           # -0.0: the negation of 0
                return "INFINITY" if v > 0 else "(- INFINITY)"
            f = Fraction(v)
            s = str(f.numerator) if f.denominator == 1 else f"{f.numerator}/{f.denominator}"
            return s if f >= 0 else f"(- {s[1:]})"
        if n.op == "where":
            body = f"(if {text(n.args[0])} {text(n.args[1])} {text(n.args[2])})"
        elif n.op in ("min", "max"):     # exprc's propagate NaN; C's fmin/fmax do not
            a, b = text(n.args[0]), text(n.args[1])
            body = f"(if (!= {a} {a}) {a} (if (!= {b} {b}) {b} ({'fmin' if n.op == 'min' else 'fmax'} {a} {b})))"
        elif not n.args:
            if n.op not in _OUT:
                raise ExprcError(f"FPCore has no operation for exprc's {n.op}")
            return _OUT[n.op]
        else:
            op = _OUT.get(n.op)
            if op is None:
                raise ExprcError(f"FPCore has no operation for exprc's {n.op}")
            body = f"({op} {' '.join(text(a) for a in n.args)})"
        if users.get(id(n), 0) > 1 and n.args:
            names[id(n)] = fresh()
            lets.append((names[id(n)], body))
            return names[id(n)]
        return body
    body = text(node)
    if lets:
        bindings = " ".join(f"[{k} {v}]" for k, v in lets)
        body = f"(let* ({bindings}) {body})"
    props = f" :name {_quote(name)}" if name else ""
    prec = " :precision binary32" if node.dtype == "float32" else " :precision binary64"
    return f"(FPCore ({' '.join(variables)}){props}{prec}\n  {body})"


def _spellable(node: ir.Node) -> ir.Node:
    """node with ops FPCore has no name for (mod, sign, ldexp, Bessel functions, ...) replaced
    by their registry definitions over ops it has."""
    from .parser import parse
    from .passes.rewrite import instantiate

    def step(n: ir.Node, args):
        n = ir.rebuild(n, args)
        op = ops.REGISTRY.get(n.op)
        if not n.args or n.op in _OUT or n.op == "where" or op is None or op.expand is None:
            return n
        dtype = ir.float_dtype(n)
        if callable(op.expand):
            return _spellable(op.expand(*n.args, dtype))
        return _spellable(instantiate(parse(op.expand), dict(zip("abc", n.args)), dtype))
    return ir.transform([node], step)[0]


def _unquote(tok: str) -> str:
    if len(tok) >= 2 and tok[0] == tok[-1] == '"':
        return re.sub(r"\\(.)", r"\1", tok[1:-1])
    return tok


def _quote(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'
