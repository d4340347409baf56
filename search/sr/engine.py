"""The search behind exprc.search.SymbolicRegressor: operator sets, variation, simplification,
constant fitting and the Island that evolves one population.

Why one Island class: the driver (estimator.py, runners.py) runs islands in this process or as Ray actors with
the same code; an Island is given immigrants, runs one generation and returns its emigrants,
its share of the Pareto archive and its counts, so the driver only routes data.

Genomes are expression trees whose numeric constants are IR parameters ($_c0, $_c1, ...) with a
value vector in the order of node.parameters. Every candidate is scored as a + b * f(x) where
f is the tree and a, b are fitted with it (linear scaling, as Operon does): an offset or a
scale at the root of f is therefore redundant and removed by simplification. A generation
evaluates the whole island at once: one Population call predicts every child, the scale is
solved in closed form, Levenberg-Marquardt (exact Jacobians from the population engine) fits
every child with parameters, and one more call scores all children on the full data.
All choices are made from the island's own numpy Generator, so a seed reproduces a run.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np

from exprc import ir, ops
from exprc.errors import ExprcError
from exprc.numbers import round_value
from exprc.population import Population

from .. import trees
from ..fitting import levenberg_marquardt

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


class _Fresh:
    """New parameters for one edit: unique names, values collected in a dict."""

    def __init__(self, values: dict[str, float]):
        self.values = dict(values)
        self.k = 0

    def __call__(self, value: float) -> ir.Node:
        while f"_n{self.k}" in self.values:
            self.k += 1
        name = f"_n{self.k}"
        self.values[name] = float(value)
        return ir.param(name, DTYPE)


def _as_dict(node: ir.Node, values: np.ndarray) -> dict[str, float]:
    """A candidate's parameters by name. Candidates are renumbered ($_c0, $_c1, ... in order
    of first appearance), so the names follow from the count without walking the tree."""
    return {f"{PARAM_PREFIX}{k}": float(v) for k, v in enumerate(values)}


# ----------------------------------------------------------------------------- simplification

def _const_value(n: ir.Node) -> float:
    if n.op == ir.CONST:
        return float(round_value(n.value, DTYPE))
    from exprc.exact import fold_values     # a named constant such as pi
    return float(round_value(fold_values(ops.REGISTRY[n.op], [], DTYPE), DTYPE))


def _scalar(node: ir.Node, values: dict[str, float]) -> float:
    """The value of a variable-free expression (parameters from values), in float64."""
    memo: dict[int, float] = {}
    with np.errstate(all="ignore"):
        for n in ir.topo([node]):
            if n.op == ir.PARAM:
                memo[id(n)] = values[n.value]
            elif not n.args:
                memo[id(n)] = _const_value(n)
            else:
                memo[id(n)] = float(ops.REGISTRY[n.op].numpy(*[np.float64(memo[id(a)]) for a in n.args]))
    return memo[id(node)]


def _has_var(node: ir.Node, memo: dict[int, bool]) -> bool:
    r = memo.get(id(node))
    if r is None:
        r = node.op == ir.VAR or any(_has_var(a, memo) for a in node.args)
        memo[id(node)] = r
    return r


def _collapse(node: ir.Node, fresh: _Fresh, memo: dict[int, bool]) -> ir.Node | None:
    """Every largest variable-free subtree that holds a parameter becomes one parameter;
    chains of + and - (or * and /) keep at most one parameter. None: a value is not finite."""
    out: dict[int, ir.Node] = {}
    for n in ir.topo([node]):
        if not n.args:
            out[id(n)] = n
            continue
        args = [out[id(a)] for a in n.args]
        if not _has_var(n, memo) and n.flags & ir.HAS_PARAM:
            v = _scalar(ir.rebuild(n, args), fresh.values)
            if not math.isfinite(v):
                return None
            out[id(n)] = fresh(v)
            continue
        new = ir.rebuild(n, args)
        if n.op in ("add", "sub", "mul", "div"):
            new = _merge_chain(new, fresh)
        out[id(n)] = new
    return out[id(node)]


def _chain_terms(node: ir.Node, plus: str, minus: str, sign: bool, out: list) -> None:
    if node.op == plus:
        _chain_terms(node.args[0], plus, minus, sign, out)
        _chain_terms(node.args[1], plus, minus, sign, out)
    elif node.op == minus:
        _chain_terms(node.args[0], plus, minus, sign, out)
        _chain_terms(node.args[1], plus, minus, not sign, out)
    else:
        out.append((node, sign))


def _build_chain(terms: list[tuple[ir.Node, bool]], plus: str, minus: str,
                 extra: ir.Node | None = None) -> ir.Node:
    """Rebuild a chain from (term, sign) pairs, positive terms first; extra is added (or
    multiplied) last. A chain with no positive term: a - b (or 1 / b) form."""
    terms = sorted(terms, key=lambda ts: not ts[1])
    if not terms:
        return extra
    if terms[0][1]:
        acc = terms[0][0]
        rest = terms[1:]
    else:
        acc = extra if extra is not None else (ir.const(0 if plus == "add" else 1, DTYPE))
        extra = None
        rest = terms
        if plus == "add" and acc.op == ir.CONST:
            acc, rest = ir.apply("neg", terms[0][0]), terms[1:]
    for t, sgn in rest:
        acc = ir.apply(plus if sgn else minus, acc, t)
    if extra is not None:
        acc = ir.apply(plus, acc, extra)
    return acc


def _is_number(t: ir.Node) -> bool:
    return not t.args and t.op != ir.VAR        # a parameter or a constant


def _coefficient(t: ir.Node) -> tuple[ir.Node | None, ir.Node]:
    """c * X or X * c (c a parameter or constant) -> (c, X); anything else -> (None, t)."""
    if t.op == "mul":
        a, b = t.args
        if _is_number(a) and not _is_number(b):
            return a, b
        if _is_number(b) and not _is_number(a):
            return b, a
    return None, t


def _merge_chain(node: ir.Node, fresh: _Fresh) -> ir.Node:
    """Tidy a chain of + and - (or * and /): x and -x cancel (x / x too), like terms join
    ($p * x + x -> $q * x), numbers join into one parameter (x + $p - y + $q -> x - y + $r)."""
    plus, minus = ("add", "sub") if node.op in ("add", "sub") else ("mul", "div")
    terms: list[tuple[ir.Node, bool]] = []
    _chain_terms(node, plus, minus, True, terms)
    changed = False
    kept: list[tuple[ir.Node, bool]] = []
    for t, sgn in terms:                      # cancel a term against its opposite
        for k, (u, su) in enumerate(kept):
            if u is t and su != sgn and not _is_number(t):
                del kept[k]
                changed = True
                break
        else:
            kept.append((t, sgn))
    terms = kept
    if plus == "add" and len(terms) > 1:      # like terms
        split = [_coefficient(t) for t, _ in terms]
        count: dict[int, int] = {}
        for c, x in split:
            if not _is_number(x):
                count[id(x)] = count.get(id(x), 0) + 1
        if any(n > 1 for n in count.values()):
            merged: list[tuple[ir.Node, bool]] = []
            done: dict[int, int] = {}
            with np.errstate(all="ignore"):
                for (t, sgn), (c, x) in zip(terms, split):
                    if count.get(id(x), 0) < 2:
                        merged.append((t, sgn))
                        continue
                    v = (_scalar(c, fresh.values) if c is not None else 1.0) * (1 if sgn else -1)
                    if id(x) in done:
                        k = done[id(x)]
                        merged[k] = (merged[k][0], merged[k][1] + v)
                    else:
                        done[id(x)] = len(merged)
                        merged.append((x, v))
            terms = []
            for t, v in merged:
                if isinstance(v, bool):
                    terms.append((t, v))
                elif math.isfinite(v) and v != 0:
                    terms.append((ir.apply("mul", fresh(v), t), True))
            changed = True
    numbers = [(t, sgn) for t, sgn in terms if _is_number(t)]
    extra = None
    if len(numbers) >= 2 and any(t.op == ir.PARAM for t, _ in numbers):
        with np.errstate(all="ignore"):
            v = np.float64(0.0 if plus == "add" else 1.0)
            for t, sgn in numbers:
                x = np.float64(_scalar(t, fresh.values))
                if plus == "add":
                    v = v + x if sgn else v - x
                else:
                    v = v * x if sgn else v / x
        if math.isfinite(float(v)):
            extra = fresh(float(v))
            terms = [(t, sgn) for t, sgn in terms if not _is_number(t)]
            changed = True
    if not changed:
        return node
    if not terms and extra is None:
        return ir.const(0 if plus == "add" else 1, DTYPE)
    return _build_chain(terms, plus, minus, extra)


def _strip_root(node: ir.Node, memo: dict[int, bool]) -> ir.Node:
    """Drop what a + b * f makes redundant at the root of f: variable-free terms of a root
    sum or difference, variable-free factors of a root product or quotient, a negation."""
    while node.args:
        if node.op == "neg":
            node = node.args[0]
            continue
        if node.op not in ("add", "sub", "mul", "div"):
            break
        plus, minus = ("add", "sub") if node.op in ("add", "sub") else ("mul", "div")
        terms: list[tuple[ir.Node, bool]] = []
        _chain_terms(node, plus, minus, True, terms)
        keep = [(t, s) for t, s in terms if _has_var(t, memo)]
        if len(keep) == len(terms) or not keep:
            break
        if plus == "add" and not any(s for _, s in keep):
            keep = [(t, True) for t, _ in keep]        # the sign goes into b
        new = _build_chain(keep, plus, minus)
        if new is node:         # 1 / x: nothing left to drop
            break
        node = new
    return node


def simplify_batch(items: Sequence[tuple[ir.Node, dict[str, float]]]) -> list[tuple[ir.Node, np.ndarray] | None]:
    """Each (tree, parameter values) simplified: exprc's rewrites (fast-math: the model is
    real-valued), then parameter collapsing and root stripping, parameters renumbered $_c0...
    None for a tree whose constants are not finite."""
    from exprc.passes.pipeline import optimize
    # level 1: the fast-math identities; level 2 adds integer-power lowering, which needs pow
    level = 2 if any(n.op == "pow" for n, _ in items for n in ir.topo([n])) else 1
    nodes = optimize([n for n, _ in items], level=level, fastmath=True) if items else []
    out = []
    for node, (_, values) in zip(nodes, items):
        memo: dict[int, bool] = {}
        fresh = _Fresh(values)
        node = _collapse(node, fresh, memo)
        if node is None:
            out.append(None)
            continue
        node = _strip_root(node, memo)
        if node.flags & ir.HAS_PARAM:
            node, vals = trees.renumber(node, fresh.values, prefix=PARAM_PREFIX, dtype=DTYPE)
        else:
            vals = np.zeros(0)
        if not np.all(np.isfinite(vals)):
            out.append(None)
            continue
        out.append((node, vals))
    return out


# ----------------------------------------------------------------------------- variation

@dataclass
class Variation:
    operators: tuple[Operator, ...]
    variables: tuple[str, ...]
    max_size: int
    param_prob: float = 0.25          # a new leaf is a parameter (else a variable)
    internal_bias: float = 0.9        # crossover and mutation points favour operator nodes
    _by_arity: dict = field(default_factory=dict, repr=False)

    def __post_init__(self):
        for o in self.operators:
            self._by_arity.setdefault(o.arity, []).append(o)

    # ---- building
    def leaf(self, rng: np.random.Generator, fresh: _Fresh) -> ir.Node:
        if rng.random() < self.param_prob:
            return fresh(float(rng.normal(0.0, 1.0)))
        return ir.var(self.variables[int(rng.integers(len(self.variables)))], DTYPE)

    def grow(self, rng: np.random.Generator, size: int, fresh: _Fresh) -> ir.Node:
        """A random tree of about size nodes (its leaves: variables and new parameters)."""
        if size <= 1:
            return self.leaf(rng, fresh)
        fits = [o for o in self.operators if o.arity < size]
        if not fits:
            return self.leaf(rng, fresh)
        o = fits[int(rng.integers(len(fits)))]
        budget = size - 1 - (o.body.size - o.arity if o.body is not None else 0)
        budget = max(o.arity, budget)
        if o.arity == 1:
            parts = [budget]
        else:
            parts = list(rng.multinomial(budget - o.arity, [1.0 / o.arity] * o.arity) + 1)
        return o.build([self.grow(rng, int(p), fresh) for p in parts], fresh)

    def random(self, rng: np.random.Generator, max_init: int) -> tuple[ir.Node, dict[str, float]]:
        fresh = _Fresh({})
        size = int(rng.integers(1, max(2, min(self.max_size, max_init)) + 1))
        node = self.grow(rng, size, fresh)
        if not node.variables:      # a constant model is never interesting
            node = ir.var(self.variables[int(rng.integers(len(self.variables)))], DTYPE)
        return node, fresh.values

    # ---- positions
    def _point(self, node: ir.Node, rng: np.random.Generator, internal: bool | None = None):
        pos = trees.positions(node)
        inner = [p for p in pos if p[1].args]
        if internal is None:
            internal = bool(inner) and rng.random() < self.internal_bias
        pool = inner if internal and inner else pos
        return pool[int(rng.integers(len(pool)))]

    # ---- operators (on a tree and its parameter values by name; None when nothing fits)
    def crossover(self, a: ir.Node, avals: dict, b: ir.Node, bvals: dict, rng: np.random.Generator):
        """a with a random subtree replaced by a random subtree of b (whose parameters are
        renamed so they keep their own values)."""
        for _ in range(4):
            path, sub = self._point(a, rng)
            _, donor = self._point(b, rng)
            if a.size - sub.size + donor.size > self.max_size:
                continue
            values = dict(avals)
            if donor.flags & ir.HAS_PARAM:
                names = donor.parameters
                donor = ir.substitute([donor], {p: ir.param(f"_q{k}", DTYPE) for k, p in enumerate(names)},
                                      kind=ir.PARAM)[0]
                values.update((f"_q{k}", bvals[p]) for k, p in enumerate(names))
            return trees.replace(a, path, donor), values
        return None

    def mutate(self, node: ir.Node, values: dict, rng: np.random.Generator):
        for _ in range(4):
            kind = _MUTATIONS[int(rng.choice(len(_MUTATIONS), p=_MUTATION_P))]
            out = getattr(self, "_" + kind)(node, values, rng)
            if out is not None and out[0].size <= self.max_size and out[0] is not node:
                return out
        return None

    def _leaf_or_op(self, node, values, rng):
        """Point mutation: an operator becomes another of the same arity, a leaf another leaf."""
        fresh = _Fresh(values)
        path, sub = self._point(node, rng)
        if sub.args:
            same = [o for o in self._by_arity.get(len(sub.args), []) if o.op != sub.op]
            if not same:
                return None
            o = same[int(rng.integers(len(same)))]
            return trees.replace(node, path, o.build(list(sub.args), fresh)), fresh.values
        if sub.op == ir.VAR and len(self.variables) > 1 and rng.random() < 0.8:
            others = [v for v in self.variables if v != sub.value]
            new = ir.var(others[int(rng.integers(len(others)))], DTYPE)
        else:
            new = self.leaf(rng, fresh)
        return trees.replace(node, path, new), fresh.values

    def _subtree(self, node, values, rng):
        """A random subtree replaced by a new random tree."""
        fresh = _Fresh(values)
        path, sub = self._point(node, rng, internal=rng.random() < 0.5)
        room = self.max_size - node.size + sub.size
        new = self.grow(rng, int(rng.integers(1, max(2, min(room, 10)) + 1)), fresh)
        return trees.replace(node, path, new), fresh.values

    def _insert(self, node, values, rng):
        """A subtree becomes an argument of a new operator (other arguments: new leaves)."""
        fresh = _Fresh(values)
        path, sub = self._point(node, rng, internal=False if rng.random() < 0.3 else None)
        o = self.operators[int(rng.integers(len(self.operators)))]
        children = [sub] + [self.leaf(rng, fresh) for _ in range(o.arity - 1)]
        k = int(rng.integers(o.arity))
        children[0], children[k] = children[k], children[0]
        return trees.replace(node, path, o.build(children, fresh)), fresh.values

    def _shrink(self, node, values, rng):
        """An operator replaced by one of its arguments."""
        pos = [p for p in trees.positions(node) if p[1].args]
        if not pos:
            return None
        path, sub = pos[int(rng.integers(len(pos)))]
        return trees.replace(node, path, sub.args[int(rng.integers(len(sub.args)))]), values

    def _hoist(self, node, values, rng):
        """The tree replaced by one of its subtrees."""
        pos = [p for p in trees.positions(node)[1:] if p[1].args]
        if not pos:
            return None
        return pos[int(rng.integers(len(pos)))][1], values

    def _scale(self, node, values, rng):
        """A subtree multiplied by, or offset by, a new parameter (neutral until fitted)."""
        fresh = _Fresh(values)
        path, sub = self._point(node, rng, internal=False if rng.random() < 0.5 else None)
        if rng.random() < 0.6:
            new = ir.apply("mul", fresh(1.0), sub)
        else:
            new = ir.apply("add", sub, fresh(0.0))
        return trees.replace(node, path, new), fresh.values


_MUTATIONS = ("leaf_or_op", "subtree", "insert", "shrink", "hoist", "scale")
_MUTATION_P = np.array([1.0, 1.0, 1.0, 0.6, 0.3, 0.4])
_MUTATION_P = _MUTATION_P / _MUTATION_P.sum()


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


class Island:
    """One population. step() takes immigrants, runs one generation and reports."""

    def __init__(self, X, y, config: IslandConfig | dict, seed, index: int = 0):
        self.cfg = config if isinstance(config, IslandConfig) else IslandConfig(**config)
        self.X = np.ascontiguousarray(X, dtype=np.float64)
        self.y = np.ascontiguousarray(y, dtype=np.float64).reshape(-1)
        self.var_y = float(np.var(self.y))
        self.rng = np.random.default_rng(seed)
        n = len(self.y)
        self.fit_rows = (np.sort(self.rng.choice(n, self.cfg.lm_rows, replace=False))
                         if n > self.cfg.lm_rows else None)
        self.variation = Variation(self.cfg.operators, tuple(self.cfg.variables), self.cfg.max_size)
        self.index = index
        self.population: list[Candidate] = []
        self.generation = 0
        self.evaluations = 0

    # ------------------------------------------------------------------ state
    def state(self) -> dict:
        return {"population": self.population, "rng": self.rng.bit_generator.state,
                "generation": self.generation, "evaluations": self.evaluations, "fit_rows": self.fit_rows}

    def set_state(self, st: dict) -> None:
        self.population = list(st["population"])
        self.rng.bit_generator.state = st["rng"]
        self.generation, self.evaluations = st["generation"], st["evaluations"]
        self.fit_rows = st["fit_rows"]

    # ------------------------------------------------------------------ evaluation
    def evaluate(self, items: Sequence[tuple[ir.Node, dict]], skip: dict | None = None) -> list[Candidate]:
        """Simplify, drop duplicates (of each other and of skip's keys), fit and score."""
        cfg = self.cfg
        seen = dict(skip or {})
        nodes, params, keys = [], [], []
        for s in simplify_batch(list(items)):
            if s is None:
                continue
            node, vals = s
            if node.size > cfg.max_size or not node.variables:      # constant models say nothing
                continue
            key = str(node)
            if key in seen:
                continue
            seen[key] = True
            nodes.append(node)
            params.append(vals)
            keys.append(key)
        if not nodes:
            return []
        self.evaluations += len(nodes)
        variables = list(cfg.variables)
        if self.fit_rows is None:
            Xf, yf = self.X, self.y
        else:
            Xf, yf = self.X[self.fit_rows], self.y[self.fit_rows]
        with np.errstate(all="ignore"):
            f = Population(nodes, variables=variables, dtype=DTYPE).predict(Xf, params=params)
            f = np.asarray(f, dtype=np.float64)
            ym = float(yf.mean())
            fm = f.mean(axis=1)
            fc = f - fm[:, None]
            varf = np.einsum("ij,ij->i", fc, fc)
            b = (fc @ (yf - ym)) / varf
            ok = np.isfinite(b) & (varf > 0)
            b = np.where(ok, b, 0.0)
            a = np.where(ok, ym - b * fm, ym)
            r = a[:, None] + b[:, None] * f - yf
            sse = np.where(ok, np.einsum("ij,ij->i", r, r), np.inf)
        full = [np.concatenate([[a[k], b[k]], params[k]]) for k in range(len(nodes))]
        fitk = [k for k in range(len(nodes)) if ok[k] and len(params[k])]
        if fitk and cfg.lm_iterations > 0:
            fitted, lm_sse = levenberg_marquardt([wrap(nodes[k]) for k in fitk], [full[k] for k in fitk],
                                                 Xf, yf, variables, iterations=cfg.lm_iterations, dtype=DTYPE)
            for j, k in enumerate(fitk):
                if np.isfinite(lm_sse[j]) and lm_sse[j] <= sse[k]:
                    full[k], sse[k] = fitted[j], lm_sse[j]
        n = len(self.y)
        if self.fit_rows is None:
            mse = sse / n
        else:
            live = [k for k in range(len(nodes)) if np.isfinite(sse[k])]
            mse = np.full(len(nodes), np.inf)
            if live:
                pop = Population([wrap(nodes[k]) for k in live], variables=variables, dtype=DTYPE)
                mse[live] = pop.loss(self.X, self.y, metric="mse", params=[full[k] for k in live])
        with np.errstate(all="ignore"):
            nmse = mse / self.var_y if self.var_y > 0 else np.where(mse == 0, 0.0, np.inf)
        out = []
        for k in range(len(nodes)):
            v = float(nmse[k])
            if not math.isfinite(v):
                continue
            c = Candidate(nodes[k], np.asarray(full[k][2:], dtype=np.float64), v,
                          float(full[k][0]), float(full[k][1]), keys[k])
            c.fitness = v * (1.0 + cfg.parsimony * c.size)
            out.append(c)
        return out

    # ------------------------------------------------------------------ evolution
    def _select(self, cands: list[Candidate]) -> list[Candidate]:
        best: dict[str, Candidate] = {}
        for c in cands:
            if c.key not in best or c.fitness < best[c.key].fitness:
                best[c.key] = c
        ordered = sorted(best.values(), key=lambda c: (c.fitness, c.size))
        return ordered[:self.cfg.population_size]

    def _tournament(self) -> Candidate:
        k = max(1, self.cfg.tournament_size)
        return self.population[int(self.rng.integers(len(self.population), size=k).min())]

    def _initialize(self) -> list[Candidate]:
        out: list[Candidate] = []
        if self.cfg.power_law_seeds and self.index == 0:     # one island: the others stay diverse
            out += self.evaluate(power_law_seeds(self.X, self.y, self.cfg.variables, self.cfg.operators))
        for _ in range(8):
            need = self.cfg.population_size - len(out)
            if need <= 0:
                break
            items = [self.variation.random(self.rng, self.cfg.max_init) for _ in range(need)]
            out += self.evaluate(items, skip={c.key: True for c in out})
        return out

    def _breed(self) -> list[tuple[ir.Node, dict]]:
        cfg, rng, var = self.cfg, self.rng, self.variation
        children = []
        for _ in range(3 * cfg.population_size):
            if len(children) >= cfg.population_size:
                break
            p = self._tournament()
            pv = _as_dict(p.node, p.values)
            if rng.random() < cfg.crossover_rate:
                q = self._tournament()
                out = var.crossover(p.node, pv, q.node, _as_dict(q.node, q.values), rng)
                if out is not None and rng.random() < cfg.mutation_rate:
                    out = var.mutate(out[0], out[1], rng) or out
            else:
                out = var.mutate(p.node, pv, rng)
            if out is not None:
                children.append(out)
        return children

    def step(self, immigrants: Sequence[Candidate] = (), want_state: bool = False) -> dict:
        """Take immigrants, run one generation; report emigrants, archive candidates, counts."""
        before = self.evaluations
        if not self.population:
            new = self._initialize()
            self.population = self._select(new + list(immigrants))
        else:
            if immigrants:
                self.population = self._select(self.population + list(immigrants))
            new = self.evaluate(self._breed(), skip={c.key: True for c in self.population})
            self.population = self._select(self.population + new)
        self.generation += 1
        front: dict[int, Candidate] = {}
        for c in new:
            if c.size not in front or c.nmse < front[c.size].nmse:
                front[c.size] = c
        result = {"front": [front[s] for s in sorted(front)], "evaluations": self.evaluations - before,
                  "best": self.population[0] if self.population else None,
                  "emigrants": self.population[:self.cfg.migrants], "generation": self.generation}
        if want_state:
            result["state"] = self.state()
        return result
