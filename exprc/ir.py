"""The IR: one immutable, hash-consed node type (compare tinygrad's UOp).

Why hash-consing: structurally equal subtrees are the same object, so common subexpressions
are shared for free, equality is identity, and a DAG with a million nodes costs what its
distinct nodes cost. The intern table holds nodes weakly, so evaluating a million distinct
candidates in a loop does not grow the process.

Leaves: variables (inputs, one value per row), parameters (named scalars passed at call time,
so new constant values never need a recompile) and constants (exact values, see numbers.py).
Every traversal here is iterative: expressions nested 100,000 deep are fine.
"""
from __future__ import annotations

import hashlib
import threading
import weakref
from fractions import Fraction
from typing import Iterable, Sequence


from . import ops
from .dtypes import BOOL, FLOAT_DTYPES, FLOAT_OF, INT_BITS, INT_OF, normalize_dtype, wrap_int
from .errors import ExprcError, TypeMismatch
from .numbers import Value, to_value, value_key

VAR, PARAM, CONST = "var", "param", "const"
LEAVES = (VAR, PARAM, CONST)


class Node:
    """One expression node. Build with var(), param(), const(), apply() or Python operators."""

    __slots__ = ("op", "args", "dtype", "value", "size", "flags", "__weakref__")

    op: str
    args: tuple["Node", ...]
    dtype: str
    value: object   # name for var/param, exact Value or bool for const, None otherwise
    size: int       # node count of the expression read as a tree (leaves included)
    flags: int      # CONSTANT_ONLY: no variable or parameter below; FOLDABLE: some op below folds;
                    # HAS_PARAM: a parameter below

    def __setattr__(self, key, value):  # immutable once built
        raise AttributeError("exprc nodes are immutable")

    def __reduce__(self):
        return (_from_dag, (to_dag([self]),))

    # --- conveniences for building IR from Python (never for comparisons: == stays identity) ---
    def __add__(self, o): return apply("add", self, _lift(o, self))
    def __radd__(self, o): return apply("add", _lift(o, self), self)
    def __sub__(self, o): return apply("sub", self, _lift(o, self))
    def __rsub__(self, o): return apply("sub", _lift(o, self), self)
    def __mul__(self, o): return apply("mul", self, _lift(o, self))
    def __rmul__(self, o): return apply("mul", _lift(o, self), self)
    def __truediv__(self, o): return apply("div", self, _lift(o, self))
    def __rtruediv__(self, o): return apply("div", _lift(o, self), self)
    def __pow__(self, o): return apply("pow", self, _lift(o, self))
    def __rpow__(self, o): return apply("pow", _lift(o, self), self)
    def __neg__(self): return apply("neg", self)
    def __pos__(self): return self

    def __str__(self) -> str:
        from .printer import to_text
        return to_text(self)

    def __repr__(self) -> str:
        text = str(self) if self.size < 200 else f"<{self.size}-node expression>"
        return f"exprc.Node({text!r}, dtype={self.dtype})"

    # --- queries ---
    @property
    def is_leaf(self) -> bool:
        return self.op in LEAVES

    @property
    def is_const(self) -> bool:
        return self.op == CONST

    @property
    def variables(self) -> tuple[str, ...]:
        """Variable names in order of first appearance, reading the text left to right."""
        return _leaf_names(self, VAR)

    @property
    def parameters(self) -> tuple[str, ...]:
        return _leaf_names(self, PARAM) if self.flags & HAS_PARAM else ()

    def to_sympy(self):
        from .sympy_bridge import to_sympy
        return to_sympy(self)

    def astype(self, dtype) -> "Node":
        return retype(self, dtype)

    def digest(self) -> str:
        """A stable structural hash (same in every process), for caches."""
        return dag_digest([self])


CONSTANT_ONLY, FOLDABLE, HAS_PARAM = 1, 2, 4

_TABLE: "weakref.WeakValueDictionary[tuple, Node]" = weakref.WeakValueDictionary()
_LOCK = threading.RLock()

def _intern(op: str, args: tuple, dtype: str, value, vkey) -> Node:
    key = (op, dtype, vkey, tuple(map(id, args)))
    with _LOCK:
        node = _TABLE.get(key)
        if node is None:
            node = object.__new__(Node)
            set_ = object.__setattr__
            set_(node, "op", op)
            set_(node, "args", args)
            set_(node, "dtype", dtype)
            set_(node, "value", value)
            set_(node, "size", 1 + sum(a.size for a in args))
            set_(node, "flags", _flags(op, args))
            _TABLE[key] = node
    return node


def _flags(op: str, args: tuple) -> int:
    if op == CONST or (not args and op not in LEAVES):
        return CONSTANT_ONLY
    if not args:
        return HAS_PARAM if op == PARAM else 0
    param = HAS_PARAM if any(a.flags & HAS_PARAM for a in args) else 0
    if all(a.flags & CONSTANT_ONLY for a in args):
        return CONSTANT_ONLY | FOLDABLE
    return param | (FOLDABLE if any(a.flags & FOLDABLE for a in args) else 0)


def interned_count() -> int:
    """How many distinct nodes are alive (for memory tests)."""
    return len(_TABLE)


def _float_dtype(dtype) -> str:
    d = normalize_dtype(dtype)
    if d not in FLOAT_DTYPES:
        raise TypeMismatch(f"a {d} leaf must be float32 or float64")
    return d


def var(name: str, dtype="float64") -> Node:
    return _intern(VAR, (), _float_dtype(dtype), name, name)


def param(name: str, dtype="float64") -> Node:
    return _intern(PARAM, (), _float_dtype(dtype), name, name)


def const(value, dtype="float64") -> Node:
    """A constant of exact value (int, float, Fraction, decimal text, mpf) or a bool; an
    integer constant (dtype int32 or int64) wraps to its width."""
    if isinstance(value, bool):
        return _intern(CONST, (), BOOL, value, ("b", value))
    if dtype in INT_BITS:
        v = to_value(value)
        if isinstance(v, float) or v.denominator != 1:
            raise TypeMismatch(f"an {dtype} constant must be a whole number, not {value!r}")
        v = Fraction(wrap_int(v.numerator, dtype))
        return _intern(CONST, (), dtype, v, value_key(v))
    v: Value = to_value(value)
    d = _float_dtype(dtype)
    return _intern(CONST, (), d, v, value_key(v))


def true() -> Node:
    return const(True)


def _lift(x, like: Node) -> Node:
    if isinstance(x, Node):
        return x
    return const(x, like.dtype if like.dtype != BOOL else "float64")


def as_float(node: Node, dtype: str) -> Node:
    """A bool used as a number is 1 or 0."""
    if node.dtype == BOOL:
        return apply("where", node, const(1, dtype), const(0, dtype))
    return node


def _is_zero(node: Node) -> bool:
    return node.op == CONST and node.dtype != BOOL and not isinstance(node.value, float) and node.value == 0


def as_bool(node: Node) -> Node:
    """A number used as a condition is true when nonzero (NaN counts as true, as in C)."""
    if node.dtype == BOOL:
        return node
    return apply("ne", node, const(0, node.dtype))


def _is_int(node: Node) -> bool:
    return node.dtype in INT_BITS


def _as_int(node: Node, dtype: str, opname: str) -> Node:
    """node as an integer of dtype: integers of the other width and whole float constants
    (literals such as 23 or 8388608 in text) convert; anything else is a type error."""
    if node.dtype == dtype:
        return node
    if node.op == CONST and node.dtype != BOOL and not isinstance(node.value, float) \
            and node.value.denominator == 1:
        return const(node.value, dtype)
    what = "a float" if node.dtype in FLOAT_DTYPES else f"an {node.dtype}" if _is_int(node) else "a bool"
    hint = "; convert with toint() or asint()" if node.dtype in FLOAT_DTYPES else ""
    raise TypeMismatch(f"{opname} takes {dtype} operands, got {what} ({node}){hint}")


def _common_int(args: Sequence[Node], opname: str) -> str:
    ints = {a.dtype for a in args if _is_int(a) and a.op != CONST}
    ints = ints or {a.dtype for a in args if _is_int(a)}
    if len(ints) > 1:
        raise TypeMismatch(f"{opname}: cannot combine {' and '.join(sorted(ints))} operands")
    if not ints and args and all(a.op == CONST and a.dtype in FLOAT_DTYPES for a in args):
        ints = {INT_OF[args[0].dtype]}      # literals only: integers of the program's width
    if not ints:
        raise TypeMismatch(f"{opname} takes integers: convert floats with toint() or asint()")
    return ints.pop()


def _reject_ints(args: Sequence[Node], opname: str) -> None:
    for a in args:
        if _is_int(a):
            raise TypeMismatch(f"{opname} takes floats, got the {a.dtype} {a}; convert with tofloat() "
                               "or asfloat(), or use the integer ops (iadd, isub, imul, iand, ...)")


def _common_float(args: Sequence[Node], opname: str) -> str:
    _reject_ints(args, opname)
    floats = {a.dtype for a in args if a.dtype != BOOL}
    if len(floats) > 1:
        raise TypeMismatch(f"{opname}: cannot combine {' and '.join(sorted(floats))} operands; "
                           "retype the expression with astype() first")
    return floats.pop() if floats else "float64"


def apply(opname: str, *args: Node) -> Node:
    """Build (or find) the node opname(args), checking arity and inferring the dtype."""
    try:
        op = ops.REGISTRY[opname]
    except KeyError:
        raise ExprcError(f"unknown op {opname!r}") from None
    if len(args) != op.arity:
        raise ExprcError(f"{opname} takes {op.arity} argument{'s' if op.arity != 1 else ''}, got {len(args)}")
    for a in args:
        if not isinstance(a, Node):
            raise TypeError(f"{opname}: arguments must be exprc nodes, got {type(a).__name__}")
    if op.kind == ops.ARITH:
        d = _common_float(args, opname)
        args = tuple(as_float(a, d) for a in args)
        return _intern(opname, args, d, None, None)
    if op.kind == ops.COMPARE:
        if opname == "ne" and args[0].dtype == BOOL and _is_zero(args[1]):
            return args[0]          # (bool used as a number) != 0 is the bool itself
        if any(_is_int(a) for a in args):       # integers compare as integers (signed)
            d = _common_int(args, opname)
            return _intern(opname, tuple(_as_int(a, d, opname) for a in args), BOOL, None, None)
        d = _common_float(args, opname)
        args = tuple(as_float(a, d) for a in args)
        return _intern(opname, args, BOOL, None, None)
    if op.kind == ops.SELECT:
        cond, a, b = args
        cond = as_bool(cond)
        if a.dtype == BOOL and b.dtype == BOOL:
            return _intern(opname, (cond, a, b), BOOL, None, None)
        if _is_int(a) or _is_int(b):
            d = _common_int((a, b), opname)
            return _intern(opname, (cond, _as_int(a, d, opname), _as_int(b, d, opname)), d, None, None)
        d = _common_float((a, b), opname)
        return _intern(opname, (cond, as_float(a, d), as_float(b, d)), d, None, None)
    if op.kind == ops.CONVERT:
        (a,) = args
        _reject_ints(args, opname)
        target = opname[len("to_"):]
        if a.dtype == target:
            return a
        return _intern(opname, (as_float(a, "float64"),), target, None, None)
    if op.kind == ops.INTEGER:
        d = _common_int(args, opname)
        return _intern(opname, tuple(_as_int(a, d, opname) for a in args), d, None, None)
    if op.kind == ops.TO_INT:
        (a,) = args
        _reject_ints(args, opname)
        a = as_float(a, "float64")
        return _intern(opname, (a,), INT_OF[a.dtype], None, None)
    if op.kind == ops.TO_FLOAT:
        (a,) = args
        if not _is_int(a):
            if a.op == CONST and a.dtype in FLOAT_DTYPES:
                a = _as_int(a, INT_OF[a.dtype], opname)      # asfloat(2139095040): a literal's bits
            else:
                raise TypeMismatch(f"{opname} takes an integer, got {a}")
        return _intern(opname, (a,), FLOAT_OF[a.dtype], None, None)
    if op.kind == ops.TABLE:
        raise ExprcError("build a table with ir.table(index, values, dtype) or table(i, c0, c1, ...) in text")
    raise ExprcError(f"{opname} is a named constant; use nullary({opname!r}, dtype)")


def float_dtype(node: Node, default: str = "float64") -> str:
    """The float type node computes in: its own, or for a comparison or a bool select its
    operands' (the precision a backend picks its instructions and library calls by)."""
    if node.dtype != BOOL:
        return node.dtype
    for a in node.args:
        if a.dtype != BOOL:
            return a.dtype
    return default


def nullary(opname: str, dtype="float64") -> Node:
    """A named constant such as pi, typed to dtype."""
    op = ops.REGISTRY[opname]
    if op.kind != ops.NULLARY:
        raise ExprcError(f"{opname} is not a named constant")
    return _intern(opname, (), _float_dtype(dtype), None, None)


TABLE_MAX = 1 << 16      # entries: a table is data in the kernel, not a dataset


def table(index: Node, values: Sequence, dtype) -> Node:
    """values[index] from a constant table of dtype (each entry an exact value rounded once
    to dtype). index: an integer, or a float truncated toward zero (toint); out-of-range
    indices are clamped into the table."""
    d = _float_dtype(dtype)
    vals = tuple(to_value(v) for v in values)
    if not 1 <= len(vals) <= TABLE_MAX:
        raise ExprcError(f"a table needs 1 to {TABLE_MAX} entries, got {len(vals)}")
    if not isinstance(index, Node):
        raise TypeError("table: the index must be an exprc node")
    if not _is_int(index):
        if index.dtype == BOOL:
            index = as_float(index, d)
        index = apply("toint", index)
    key = ("table",) + tuple(value_key(v) for v in vals)
    return _intern("table", (index,), d, vals, key)


def rebuild(node: Node, args: Sequence[Node]) -> Node:
    """The same op over new arguments (leaves and named constants are returned unchanged)."""
    if not node.args:
        return node
    if node.op == "table":
        return table(args[0], node.value, node.dtype)
    return apply(node.op, *args)


# ---------------------------------------------------------------------------- traversal

def topo(roots: Iterable[Node]) -> list[Node]:
    """Every distinct node reachable from roots, each after its arguments (iterative DFS)."""
    order: list[Node] = []
    seen: set[int] = set()
    for root in roots:
        if id(root) in seen:
            continue
        stack = [(root, False)]
        while stack:
            node, expanded = stack.pop()
            if expanded:
                order.append(node)
                continue
            if id(node) in seen:
                continue
            seen.add(id(node))
            stack.append((node, True))
            for a in reversed(node.args):
                if id(a) not in seen:
                    stack.append((a, False))
    return order


def transform(roots: Sequence[Node], fn) -> list[Node]:
    """Rebuild a DAG bottom-up: fn(node, new_args) returns the replacement of each node.

    Each distinct node is visited once, arguments first, so fn sees already-transformed args."""
    memo: dict[int, Node] = {}
    for node in topo(roots):
        new_args = tuple(memo[id(a)] for a in node.args)
        memo[id(node)] = fn(node, new_args)
    return [memo[id(r)] for r in roots]


def map_leaves(roots: Sequence[Node], leaf_fn) -> list[Node]:
    """Replace leaves by leaf_fn(leaf) (return the leaf to keep it) and rebuild above them."""
    def step(node, new_args):
        if node.op in LEAVES:
            return leaf_fn(node)
        if all(x is y for x, y in zip(new_args, node.args)):
            return node
        return rebuild(node, new_args)
    return transform(roots, step)


def _leaf_names(node: Node, kind: str) -> tuple[str, ...]:
    names: list[str] = []
    seen: set[str] = set()
    # pre-order, left to right, so the order matches the text
    stack = [node]
    visited: set[int] = set()
    while stack:
        n = stack.pop()
        if id(n) in visited:
            continue
        visited.add(id(n))
        if n.op == kind and n.value not in seen:
            seen.add(n.value)
            names.append(n.value)
        stack.extend(reversed(n.args))
    return tuple(names)


def leaf_names(roots: Sequence[Node], kind: str) -> tuple[str, ...]:
    names: list[str] = []
    for r in roots:
        for n in _leaf_names(r, kind):
            if n not in names:
                names.append(n)
    return tuple(names)


def retype(node: Node, dtype) -> Node:
    """The same expression computing in another float dtype (leaves retyped, ops rebuilt)."""
    d = _float_dtype(dtype)
    if node.dtype == d:
        # a uniform tree is already right; check cheaply through its leaves
        if all(n.dtype in (d, BOOL) for n in topo([node]) if not n.args):
            return node
    return retype_all([node], d)[0]


def _inside_conversions(roots: Sequence[Node]) -> set[int]:
    """Nodes an explicit precision change computes in its own type: below a to_float32 (or
    to_float64) and above the conversion back. Retyping leaves them alone."""
    if not any(n.op.startswith("to_float") for n in topo(roots)):
        return set()
    inside, seen = set(), set()
    stack = [(r, False) for r in roots]
    while stack:
        n, within = stack.pop()
        if (id(n), within) in seen:
            continue
        seen.add((id(n), within))
        if within:
            inside.add(id(n))
        for a in n.args:
            stack.append((a, True if n.op.startswith("to_float") and not within else
                          False if n.op.startswith("to_float") else within))
    return inside


def retype_all(roots: Sequence[Node], dtype) -> list[Node]:
    d = _float_dtype(dtype)
    keep = _inside_conversions(roots)

    def leaf(n: Node) -> Node:
        if n.dtype == BOOL or n.dtype == d or id(n) in keep or n.dtype in INT_BITS:
            return n
        if n.op == VAR:
            return var(n.value, d)
        if n.op == PARAM:
            return param(n.value, d)
        if n.op == CONST:
            return _intern(CONST, (), d, n.value, value_key(n.value))
        return nullary(n.op, d)

    def step(n: Node, new_args):
        if not n.args:
            return leaf(n)
        if n.op == "table" and id(n) not in keep:
            return table(new_args[0], n.value, d)
        return rebuild(n, new_args)
    return transform(roots, step)


def substitute(roots: Sequence[Node], mapping: dict[str, Node], kind: str = VAR) -> list[Node]:
    """Replace variables (or parameters) by name with other expressions."""
    return map_leaves(roots, lambda n: mapping.get(n.value, n) if n.op == kind else n)


# ------------------------------------------------------------------- serialization

def to_dag(roots: Sequence[Node]) -> tuple:
    """A flat, picklable, process-independent description: (nodes, root indices)."""
    order = topo(roots)
    index = {id(n): i for i, n in enumerate(order)}
    rows = []
    for n in order:
        v = n.value
        if isinstance(v, Fraction):
            v = ("q", v.numerator, v.denominator)
        elif n.op == "table":
            v = ("t",) + tuple(("q", x.numerator, x.denominator) if isinstance(x, Fraction) else x for x in v)
        rows.append((n.op, n.dtype, v, tuple(index[id(a)] for a in n.args)))
    return tuple(rows), tuple(index[id(r)] for r in roots)


def from_dag(dag: tuple) -> list[Node]:
    rows, root_idx = dag
    built: list[Node] = []
    for op, dtype, v, arg_idx in rows:
        args = tuple(built[i] for i in arg_idx)
        if op == VAR:
            n = var(v, dtype)
        elif op == PARAM:
            n = param(v, dtype)
        elif op == CONST:
            if isinstance(v, tuple):
                v = Fraction(v[1], v[2])
            n = const(v, dtype) if dtype != BOOL else const(bool(v))   # int dtypes included
        elif not args and ops.REGISTRY[op].kind == ops.NULLARY:
            n = nullary(op, dtype)
        elif op == "table":
            n = table(args[0], [Fraction(x[1], x[2]) if isinstance(x, tuple) else x for x in v[1:]], dtype)
        else:
            n = apply(op, *args)
        built.append(n)
    return [built[i] for i in root_idx]


def _from_dag(dag):
    return from_dag(dag)[0]


def _hex_ints(obj):
    if isinstance(obj, tuple):
        return tuple(_hex_ints(x) for x in obj)
    return hex(obj) if isinstance(obj, int) and not isinstance(obj, bool) else obj


def dag_digest(roots: Sequence[Node], extra: str = "") -> str:
    """sha256 of the DAG's canonical serialization (linear in distinct nodes, never exponential)."""
    rows, root_idx = to_dag(roots)
    h = hashlib.sha256(extra.encode())
    for row in rows:
        try:
            text = repr(row)
        except ValueError:      # an integer of over 4,300 digits (a long literal): hex has no limit
            text = repr(_hex_ints(row))
        h.update(text.encode())
        h.update(b";")
    h.update(repr(root_idx).encode())
    return h.hexdigest()
