"""What the symbolic regressor searches with: operator sets (registry ops and custom ones
defined as expressions), the Candidate that leaves an island (an IR tree whose constants are
parameters $_c0, $_c1, ..., with their values and the fitted scale: model = a + b * f), the
island's configuration and power-law seeds. The search itself runs on flat programs in bulk:
island.py (the generation), variation.py (operators), exprc.population.rewrite with the
SEARCH_RULES of exprc/passes/rules.py (simplification), search/fitting.py (constants).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from exprc import ir, ops
from exprc.errors import ExprcError


DTYPE = "float64"
DEFAULT_OPERATORS = ("add", "sub", "mul", "div", "sin", "cos", "exp", "log", "sqrt")
_SYMBOLS = {"+": "add", "-": "sub", "*": "mul", "/": "div", "^": "pow", "**": "pow"}
ARG_NAMES = ("a", "b", "c")
PARAM_PREFIX = "_c"                 # parameter names start with "_": variables never do (see estimator.py)
SCALE_A, SCALE_B = "_sa", "_sb"       # the linear-scaling parameters wrapped around every tree


# ----------------------------------------------------------------------------- operators

@dataclass(frozen=True)
class Operator:
    """One operator the search may use: a registry op, or a custom one defined as an exprc
    expression over its arguments (expanded into plain IR by substitution when used)."""
    name: str
    arity: int
    op: str | None = None                 # registry name (builtins)
    body: ir.Node | None = None           # custom: the definition over args
    args: tuple[str, ...] = ()

    def build(self, children: Sequence[ir.Node], new_param) -> ir.Node:
        if self.op is not None:
            return ir.apply(self.op, *children)
        node = ir.substitute([self.body], dict(zip(self.args, children)))[0]
        names = self.body.parameters
        if names:   # each use of the operator gets its own parameters
            node = ir.substitute([node], {p: new_param(1.0) for p in names}, kind=ir.PARAM)[0]
        return node

    def describe(self) -> str:
        return self.name if self.op is not None else f"{self.name}({', '.join(self.args)})={self.body}"


def _split_top_level(text: str) -> list[str]:
    """'add, mul, sq(a)=a*a' -> ['add', 'mul', 'sq(a)=a*a'] (commas inside parentheses kept)."""
    out, depth, cur = [], 0, []
    for ch in text:
        if ch == "," and depth == 0:
            out.append("".join(cur))
            cur = []
            continue
        depth += ch == "("
        depth -= ch == ")"
        cur.append(ch)
    out.append("".join(cur))
    return [s.strip() for s in out if s.strip()]


def _custom(name: str, args: Sequence[str] | None, body_text: str) -> Operator:
    from exprc.parser import parse
    name = name.strip()
    if not name.isidentifier():
        raise ExprcError(f"custom operator name {name!r} must be an identifier")
    body = parse(body_text, dtype=DTYPE)
    if args is None:        # dict form without an argument list: a, b, c in that order
        args = tuple(a for a in ARG_NAMES if a in body.variables) or tuple(sorted(body.variables))
    args = tuple(a.strip() for a in args)
    if not args or len(args) > 3:
        raise ExprcError(f"custom operator {name!r} must take 1 to 3 arguments, got {len(args)}")
    extra = [v for v in body.variables if v not in args]
    if extra:
        raise ExprcError(f"custom operator {name!r} uses {', '.join(extra)}, which is not among its "
                         f"arguments ({', '.join(args)}); write constants as numbers or $parameters")
    if body.dtype == "bool":
        raise ExprcError(f"custom operator {name!r} must compute a number, not a comparison")
    return Operator(name, len(args), body=body, args=args)


def _builtin(name: str) -> Operator:
    from exprc.parser import resolve_function, suggest
    opname = _SYMBOLS.get(name) or resolve_function(name)
    if opname is None:
        hint = suggest(name, list(ops.FUNCTION_NAMES) + list(_SYMBOLS))
        raise ExprcError(f"unknown operator {name!r}{hint}")
    op = ops.REGISTRY[opname]
    if op.kind != ops.ARITH or op.internal or not 1 <= op.arity <= 3:
        raise ExprcError(f"operator {name!r} ({opname}) cannot be used: symbolic regression needs "
                         "operators from numbers to numbers")
    return Operator(opname, op.arity, op=opname)


def parse_operators(spec) -> tuple[Operator, ...]:
    """Operators from names ("add", "sin", "+", aliases such as "multiply"), definitions
    ("sq(a) = a*a"), a dict {"sq": "a*a"} (arguments a, b, c in that order) or one
    comma-separated string. None gives the default set."""
    if spec is None:
        spec = DEFAULT_OPERATORS
    items: list[tuple[str, str | None]] = []
    if isinstance(spec, dict):
        items = [(str(k), str(v)) for k, v in spec.items()]
    else:
        if isinstance(spec, str):
            spec = _split_top_level(spec)
        for s in spec:
            if isinstance(s, Operator):
                items.append((s, None))
                continue
            if not isinstance(s, str):
                raise ExprcError(f"an operator is a name or a definition text, not {type(s).__name__}")
            if "=" in s and not s.strip().startswith(("=", "<", ">", "!")):
                head, _, body = s.partition("=")
                items.append((head.strip(), body.strip()))
            else:
                items.append((s.strip(), None))
    out: list[Operator] = []
    for head, body in items:
        if isinstance(head, Operator):
            out.append(head)
        elif body is None:
            out.append(_builtin(head))
        elif "(" in head:
            if not head.endswith(")"):
                raise ExprcError(f"cannot read the operator definition {head}={body}: write name(a, b) = expression")
            name, _, rest = head.partition("(")
            out.append(_custom(name, [a for a in rest[:-1].split(",") if a.strip()], body))
        else:
            out.append(_custom(head, None, body))
    if not out:
        raise ExprcError("operators is empty: give at least one operator")
    seen: dict[str, Operator] = {}
    for o in out:
        if o.name in seen:
            continue
        seen[o.name] = o
    return tuple(seen.values())


# ----------------------------------------------------------------------------- genomes

@dataclass
class Candidate:
    """An evaluated tree f with its parameters, and the fitted scale: model = a + b * f."""
    node: ir.Node
    values: np.ndarray
    nmse: float               # mean squared error / variance of y, on the full training data
    a: float = 0.0
    b: float = 1.0
    key: str = ""
    fitness: float = 0.0

    @property
    def size(self) -> int:
        return self.node.size

    def full_params(self) -> np.ndarray:
        return np.concatenate([[self.a, self.b], self.values])


def wrap(node: ir.Node) -> ir.Node:
    """a + b * node, with a and b as parameters (first in the parameter order)."""
    return ir.apply("add", ir.param(SCALE_A, DTYPE), ir.apply("mul", ir.param(SCALE_B, DTYPE), node))


# ----------------------------------------------------------------------------- power-law seeds

def _monomial(powers: Sequence[float], variables: Sequence[str], have: set) -> ir.Node | None:
    """prod x_j ** powers[j] (integers and halves) from mul, div and sqrt; None if it needs
    an operator the search does not have, or is empty."""
    num: list[ir.Node] = []
    den: list[ir.Node] = []
    for name, p in zip(variables, powers):
        if p == 0:
            continue
        x = ir.var(name, DTYPE)
        k, half = int(abs(p)), abs(p) % 1 != 0
        if half and "sqrt" not in have:
            return None
        part = [x] * k + ([ir.apply("sqrt", x)] if half else [])
        (num if p > 0 else den).extend(part)
    if not num and not den or len(num) > 1 and "mul" not in have or den and "div" not in have:
        return None
    if len(den) > 1 and "mul" not in have:
        return None

    def product(fs):
        acc = fs[0]
        for f in fs[1:]:
            acc = ir.apply("mul", acc, f)
        return acc
    if not den:
        return product(num)
    return ir.apply("div", product(num) if num else ir.const(1, DTYPE), product(den))


def power_law_seeds(X: np.ndarray, y: np.ndarray, variables: Sequence[str],
                    operators: Sequence[Operator], max_power: int = 3) -> list[tuple[ir.Node, dict]]:
    """Monomials prod x_j ** e_j from a least-squares fit of log|y| on log|x_j| (exponents
    rounded to integers, and to halves when sqrt is available; also the monomial of only the
    exponents that round cleanly). Physical laws are often monomials, or contain one; the
    search starts with them next to its random trees."""
    have = {o.op for o in operators if o.op is not None}
    if not have & {"mul", "div"}:
        return []
    with np.errstate(all="ignore"):
        ax, ay = np.abs(X), np.abs(y)
        ok = np.all(ax > 0, axis=1) & (ay > 0) & np.all(np.isfinite(ax), axis=1) & np.isfinite(ay)
        if ok.sum() < max(10, 2 * (X.shape[1] + 1)):
            return []
        A = np.column_stack([np.log(ax[ok]), np.ones(int(ok.sum()))])
        b = np.log(ay[ok])
        try:
            e = np.linalg.lstsq(A, b, rcond=None)[0][:-1]
        except np.linalg.LinAlgError:
            return []
    if not np.all(np.isfinite(e)):
        return []
    out: list[ir.Node] = []
    steps = (1.0, 0.5) if "sqrt" in have else (1.0,)
    for step in steps:
        r = np.clip(np.round(e / step) * step, -max_power, max_power)
        for powers in (r, np.where(np.abs(e - r) < 0.15, r, 0.0)):
            node = _monomial(list(powers), variables, have)
            if node is not None and all(node is not o for o in out):
                out.append(node)
    return [(n, {}) for n in out]


# ----------------------------------------------------------------------------- the island

@dataclass
class IslandConfig:
    variables: tuple[str, ...]
    operators: tuple[Operator, ...]
    population_size: int = 200
    max_size: int = 35
    max_init: int = 15
    tournament_size: int = 5
    crossover_rate: float = 0.85
    mutation_rate: float = 0.25
    parsimony: float = 1e-3
    lm_iterations: int = 10
    lm_rows: int = 1024
    migrants: int = 5
    power_law_seeds: bool = True
