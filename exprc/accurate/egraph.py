"""exprc IR in an egglog e-graph: translation, saturation under rules-as-data, and the
e-graph read back as classes of nodes.

Why egglog: a maintained e-graph engine (Rust) explores every rewrite of every subterm at once;
exprc only decides which of the equal terms is most accurate (extract.py). The datatype has
one constructor per registry op (Xadd, Xsin, ...), leaves are (Var "x"), (Num "p/q") for
exact rational constants and (Leaf "k") for anything else (NaN, infinities, -0.0); every
subterm of the input is let-bound ($t0, $t1, ...) so that its class is found after the run.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Sequence

from .. import ir, ops
from ..dtypes import BOOL
from ..passes.rewrite import Rule

SORT = "E"


def _ctor(opname: str) -> str:
    return "X" + opname


def _ops_in_egraph() -> list[ops.Op]:
    return [op for op in ops.REGISTRY.values()
            if not op.internal and op.kind in (ops.ARITH, ops.COMPARE, ops.SELECT, ops.NULLARY)]


def _datatype() -> str:
    ctors = ["(Num String)", "(Var String)", "(Leaf String)"]
    for op in _ops_in_egraph():
        ctors.append(f"({_ctor(op.name)}{' ' + ' '.join([SORT] * op.arity) if op.arity else ''})")
    return f"(datatype {SORT} {' '.join(ctors)})"


def _rational(value) -> Fraction | None:
    if isinstance(value, (bool, float)):
        return None
    try:
        return Fraction(value)
    except (TypeError, ValueError):
        return None


def _quote(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


class _Terms:
    """IR -> egglog terms; opaque leaves remembered by key."""

    def __init__(self):
        self.leaves: dict[str, ir.Node] = {}

    def leaf(self, n: ir.Node, pattern_vars: bool) -> str:
        if n.op == ir.VAR:
            return ("v_" + n.value) if pattern_vars else f"(Var {_quote(n.value)})"
        if n.op == ir.CONST:
            r = _rational(n.value)
            if r is not None:
                return f"(Num {_quote(str(r))})"
            key = f"k{len(self.leaves)}"
            self.leaves[key] = n
            return f"(Leaf {_quote(key)})"
        if n.op == ir.PARAM:
            key = f"p_{n.value}"
            self.leaves[key] = n
            return f"(Leaf {_quote(key)})"
        return f"({_ctor(n.op)})"

    def term(self, root: ir.Node, pattern_vars: bool = False, names: dict | None = None) -> str:
        names = names or {}
        memo: dict[int, str] = {}
        for n in ir.topo([root]):
            if id(n) in names:
                memo[id(n)] = names[id(n)]
            elif not n.args:
                memo[id(n)] = self.leaf(n, pattern_vars)
            else:
                memo[id(n)] = f"({_ctor(n.op)} {' '.join(memo[id(a)] for a in n.args)})"
        return memo[id(root)]


def rule_text(rule: Rule, terms: _Terms) -> str | None:
    """A rule as an egglog rewrite, or None where it has a guard or a computed replacement
    (those run in exprc's own rewrite engine only)."""
    if rule.guard is not None or not isinstance(rule.replacement, str):
        return None
    pat, rep = rule.compiled()
    if pat.op == ir.VAR:
        return None                        # a pattern of one variable matches everything
    lhs, rhs = terms.term(pat, pattern_vars=True), terms.term(rep, pattern_vars=True)
    missing = set(ir.leaf_names([rep], ir.VAR)) - set(ir.leaf_names([pat], ir.VAR))
    if missing or lhs == rhs:
        return None
    return f"(rewrite {lhs} {rhs})"


@dataclass
class ENode:
    op: str                    # registry op, or "Var" / "Num" / "Leaf"
    kids: tuple                # child class keys
    leaf: ir.Node | None = None


@dataclass
class EGraph:
    """Classes of equal terms as exprc sees them after saturation."""
    classes: dict = field(default_factory=dict)      # class key -> [ENode]
    roots: list = field(default_factory=list)        # class of each input root
    subterms: dict = field(default_factory=dict)     # id(input IR node) -> class key
    iterations: int = 0
    unsound_at: int | None = None     # the iteration that equated different leaves, undone
    size: int = 0
    seconds: float = 0.0


def saturate(roots: Sequence[ir.Node], rules: Sequence[Rule], iterations: int = 6,
             node_limit: int = 6000, time_limit: float = 5.0) -> EGraph:
    """Run the rules over roots in egglog, one iteration at a time, until nothing changes,
    `iterations` have run, the e-graph holds node_limit nodes or time_limit seconds passed."""
    try:
        from egglog import bindings
    except ImportError:
        from ..errors import ExprcError
        raise ExprcError("exprc.improve needs the egglog package: pip install 'exprc[accurate]'") from None

    terms = _Terms()
    lines = [_datatype()]
    for r in rules:
        t = rule_text(r, terms)
        if t is not None:
            lines.append(t)
    names: dict[int, str] = {}
    order = [n for n in ir.topo(list(roots))]
    for k, n in enumerate(order):
        names[id(n)] = f"$t{k}"
        body = terms.term(n, names={id(a): names[id(a)] for a in n.args}) if n.args else terms.leaf(n, False)
        lines.append(f"(let $t{k} {body})")
    eg = bindings.EGraph()
    start = time.perf_counter()
    eg.run_program(*eg.parse_program("\n".join(lines)))
    out = EGraph()
    size = _size(eg.freeze())
    for it in range(iterations):
        if size >= node_limit or time.perf_counter() - start > time_limit:
            break
        eg.run_program(*eg.parse_program("(push)\n(run 1)"))
        frozen = eg.freeze()
        if not _sound(eg, frozen):
            # Real-only rules applied where their side conditions fail (0/0 -> 1 and
            # (a*0)/0 -> a) can prove every term equal; the last sound e-graph is kept.
            eg.run_program(*eg.parse_program("(pop)"))
            out.unsound_at = it + 1
            break
        new_size = _size(frozen)
        if new_size > 2 * node_limit and it > 0:
            eg.run_program(*eg.parse_program("(pop)"))     # one iteration too many: undone
            break
        out.iterations = it + 1
        if new_size == size:
            break
        size = new_size
    _read(eg, terms, order, names, roots, out, ir.float_dtype(roots[0]))
    out.size = size
    out.seconds = time.perf_counter() - start
    return out


def _size(frozen) -> int:
    return sum(len(f.rows) for name, f in frozen.functions.items() if not f.is_let_binding)


def _sound(eg, frozen) -> bool:
    """False when a class holds two different leaves (x = y, x = 3, 0 = 1)."""
    seen: dict = {}
    for fname in ("Var", "Num", "Leaf"):
        f = frozen.functions.get(fname)
        for row in (f.rows if f else ()):
            leaf = (fname, eg.value_to_string(row.inputs[0]))
            if seen.setdefault(row.output, leaf) != leaf:
                return False
    return True


def _read(eg, terms: _Terms, order, names, roots, out: EGraph, dtype: str) -> None:
    frozen = eg.freeze()
    by_name = {op.name: op for op in _ops_in_egraph()}
    lets: dict[str, object] = {}
    for fname, f in frozen.functions.items():
        if f.is_let_binding:
            for row in f.rows:
                lets[fname] = row.output
            continue
        for row in f.rows:
            if row.subsumed:
                continue
            cls = row.output
            if fname == "Var":
                node = ENode("Var", (), ir.var(eg.value_to_string(row.inputs[0]), dtype))
            elif fname == "Num":
                node = ENode("Num", (), ir.const(Fraction(eg.value_to_string(row.inputs[0])), dtype))
            elif fname == "Leaf":
                node = ENode("Leaf", (), terms.leaves[eg.value_to_string(row.inputs[0])])
            else:
                node = ENode(by_name[fname[1:]].name, tuple(row.inputs))
            out.classes.setdefault(cls, []).append(node)
    for n in order:
        out.subterms[id(n)] = lets[names[id(n)]]
    out.roots = [out.subterms[id(r)] for r in roots]


def is_bool_class(nodes: list[ENode]) -> bool:
    return any(ops.REGISTRY[n.op].kind == ops.COMPARE for n in nodes if n.op in ops.REGISTRY)


__all__ = ["saturate", "EGraph", "ENode", "rule_text", "is_bool_class", "BOOL"]
