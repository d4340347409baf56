"""Conversions between exprc IR and sympy, driven by the registry's sympy fields.

Both directions are iterative (post-order with an explicit stack), so deep expressions
convert without recursion on the exprc side.
"""
from __future__ import annotations

import math
from fractions import Fraction

from . import ir, ops
from .errors import ExprcError
from .numbers import from_mpf


def to_sympy(node: ir.Node):
    import sympy as sp
    done: dict[int, object] = {}
    for n in ir.topo([node]):
        if n.op in (ir.VAR, ir.PARAM):
            done[id(n)] = sp.Symbol(n.value, real=True)
        elif n.op == ir.CONST:
            v = n.value
            if isinstance(v, bool):
                done[id(n)] = sp.true if v else sp.false
            elif isinstance(v, float):
                done[id(n)] = sp.nan if math.isnan(v) else (sp.oo if v > 0 else -sp.oo) if math.isinf(v) else sp.Integer(0)
            else:
                done[id(n)] = sp.Rational(v.numerator, v.denominator)
        else:
            op = ops.REGISTRY[n.op]
            done[id(n)] = op.sympy(sp, *[done[id(a)] for a in n.args])
    return done[id(node)]


def _sympy_table() -> dict[str, str]:
    table = {}
    for op in ops.REGISTRY.values():
        for name in op.sympy_names:
            table[name] = op.name
        table.setdefault(op.name, op.name)   # undefined functions named like an op: fmod(x, y)
    return table


def _number(expr, dtype: str) -> ir.Node:
    import sympy as sp
    if expr is sp.nan:
        return ir.const(math.nan, dtype)
    if expr in (sp.oo, -sp.oo, sp.zoo):
        return ir.const(math.inf if expr == sp.oo else -math.inf if expr == -sp.oo else math.nan, dtype)
    if isinstance(expr, sp.Rational):
        return ir.const(Fraction(int(expr.p), int(expr.q)), dtype)
    if isinstance(expr, sp.Float):
        # prefer the decimal the user wrote (0.1) when it denotes the same binary value
        exact = expr._to_mpmath(expr._prec)
        try:
            dec = Fraction(str(expr))
            import mpmath
            with mpmath.workprec(expr._prec):
                if mpmath.mpf(dec.numerator) / dec.denominator == exact:
                    return ir.const(dec, dtype)
        except (ValueError, ZeroDivisionError):
            pass
        return ir.const(from_mpf(exact), dtype)
    raise ExprcError(f"unsupported sympy number {expr!r}")


def _fold_nary(opname: str, args: list[ir.Node]) -> ir.Node:
    node = args[0]
    for a in args[1:]:
        node = ir.apply(opname, node, a)
    return node


def _mul(args: list, dtype: str = "") -> tuple[list, list]:
    """A product, with factors of negative power as a division: x*y**-1 -> x/y."""
    import sympy as sp
    num, den = [], []
    for a in args:
        if isinstance(a, sp.Pow) and a.exp.is_number and a.exp.is_negative:
            den.append(sp.Pow(a.base, -a.exp))
        else:
            num.append(a)
    return num, den


def from_sympy(expr, dtype="float64", parameters=()) -> ir.Node:
    """A sympy expression as IR. Symbols become variables, or parameters if named in parameters."""
    import sympy as sp
    table = _sympy_table()
    pset = set(parameters)
    done: dict = {}
    stack = [(expr, False)]
    while stack:
        e, expanded = stack.pop()
        if e in done and not expanded:
            continue
        if isinstance(e, sp.Symbol):
            name = e.name
            done[e] = ir.param(name, dtype) if name in pset else ir.var(name, dtype)
            continue
        if e.is_Number or e in (sp.nan, sp.zoo, sp.oo, -sp.oo):
            done[e] = _number(e, dtype)
            continue
        if e is sp.pi:
            done[e] = ir.nullary("pi", dtype)
            continue
        if e is sp.E:
            done[e] = ir.nullary("e", dtype)
            continue
        if e is sp.true or e is sp.false:
            done[e] = ir.const(bool(e))
            continue
        children = _children(e)
        if not expanded:
            stack.append((e, True))
            stack.extend((c, False) for c in children if c not in done)
            continue
        done[e] = _convert(e, [done[c] for c in children], children, table, dtype)
    return done[expr]


def _children(e) -> list:
    import sympy as sp
    if isinstance(e, sp.Mul):
        num, den = _mul(list(e.args), "")
        return num + den
    if isinstance(e, sp.Piecewise):
        out = []
        for val, cond in e.args:
            out.append(val)
            if cond is not sp.true:
                out.append(cond)
        return out
    if isinstance(e, sp.Pow) and e.base is sp.E:
        return [e.exp]
    return list(e.args)


def _convert(e, args: list[ir.Node], children, table, dtype) -> ir.Node:
    import sympy as sp
    if isinstance(e, sp.Add):
        # negated terms become subtractions after the positive ones: -x + y -> y - x
        pos = [a for a in args if a.op != "neg"]
        neg = [a.args[0] for a in args if a.op == "neg"]
        node = _fold_nary("add", pos) if pos else ir.apply("neg", neg.pop(0))
        for a in neg:
            node = ir.apply("sub", node, a)
        return node
    if isinstance(e, sp.Mul):
        num, den = _mul(list(e.args), dtype)
        nn, dn = args[:len(num)], args[len(num):]
        negative = bool(nn) and num[0] == -1 and len(nn) > 1
        if negative:
            nn = nn[1:]
        top = _fold_nary("mul", nn) if nn else ir.const(1, dtype)
        node = ir.apply("div", top, _fold_nary("mul", dn)) if dn else top
        return ir.apply("neg", node) if negative else node
    if isinstance(e, sp.Pow):
        if e.base is sp.E:
            return ir.apply("exp", args[0])
        base, exp = args
        if e.exp == sp.Rational(1, 2):
            return ir.apply("sqrt", base)
        if e.exp == -1:
            return ir.apply("div", ir.const(1, dtype), base)
        if e.exp == sp.Rational(-1, 2):
            return ir.apply("div", ir.const(1, dtype), ir.apply("sqrt", base))
        return ir.apply("pow", base, exp)
    if isinstance(e, sp.Piecewise):
        # Piecewise((a, c1), (b, c2), (d, True)) -> where(c1, a, where(c2, b, d))
        pairs, k = [], 0
        for val, cond in e.args:
            if cond is sp.true:
                pairs.append((args[k], None))
                k += 1
            else:
                pairs.append((args[k], args[k + 1]))
                k += 2
        node = pairs[-1][0] if pairs[-1][1] is None else ir.const(math.nan, dtype)
        for val, cond in reversed(pairs if pairs[-1][1] is not None else pairs[:-1]):
            node = ir.apply("where", cond, val, node)
        return node
    if isinstance(e, sp.log) and len(args) == 2:
        return ir.apply("div", ir.apply("log", args[0]), ir.apply("log", args[1]))
    name = type(e).__name__
    opname = table.get(name)
    if opname is None:
        from .parser import suggest
        raise ExprcError(f"sympy function {name} has no exprc op" + suggest(name, table))
    op = ops.REGISTRY[opname]
    if op.variadic and len(args) > op.arity:
        return _fold_nary(opname, args)
    if op.kind == ops.NULLARY:
        return ir.nullary(opname, dtype)
    if len(args) != op.arity:
        raise ExprcError(f"sympy {name} with {len(args)} arguments has no exprc equivalent")
    return ir.apply(opname, *args)
