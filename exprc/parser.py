"""Front end: infix text to IR through the lark grammar in grammar/exprc.lark.

Why this shape: lark's LALR parser with an inline transformer builds IR nodes as it reduces,
without a parse tree and without recursion, so deeply nested input cannot overflow the stack.
Every failure becomes an exprc.ParseError that points at the line and column.
"""
from __future__ import annotations

import contextvars
import difflib
import functools
import threading
from importlib import resources

from . import ir, ops
from .dtypes import normalize_dtype
from .errors import ExprcError, ParseError
from .numbers import decimal_value

_COMPARE_OPS = {"<": "lt", "<=": "le", ">": "gt", ">=": "ge", "==": "eq", "!=": "ne"}

_READABLE = {
    "NUMBER": "a number", "NAME": "a name", "LPAR": "'('", "RPAR": "')'", "PLUS": "'+'",
    "MINUS": "'-'", "STAR": "'*'", "SLASH": "'/'", "COMMA": "','", "DOLLAR": "'$'",
    "POW": "'**'", "COMPARE": "a comparison", "$END": "end of input", "PERCENT": "'%'", "DOT": "'.'",
}
_ORDER = ["a number", "a name", "'('", "'-'", "'+'", "'$'", "'*'", "'/'", "'%'", "'**'", "a comparison",
          "','", "')'", "end of input"]


class _State:
    __slots__ = ("dtype", "parameters", "variables", "text")

    def __init__(self, dtype: str, parameters: frozenset[str], variables: frozenset[str], text: str):
        self.dtype, self.parameters, self.variables, self.text = dtype, parameters, variables, text


_STATE: contextvars.ContextVar[_State] = contextvars.ContextVar("exprc_parse_state")


def _error_at(token, message: str) -> ParseError:
    st = _STATE.get()
    return ParseError(message, st.text, getattr(token, "line", 0) or 0, getattr(token, "column", 0) or 0)


def _strip_module(name: str) -> tuple[str, str]:
    """'np.sin' -> ('sin', 'np'); names without a known module prefix are returned whole."""
    if "." not in name:
        return name, ""
    head, _, tail = name.rpartition(".")
    if head in ops.MODULE_PREFIXES:
        return tail, head
    return name, head


def suggest(name: str, candidates) -> str:
    close = difflib.get_close_matches(name, list(candidates), n=1, cutoff=0.5)
    if not close:
        close = difflib.get_close_matches(name.lower(), [c.lower() for c in candidates], n=1, cutoff=0.5)
        close = [c for c in candidates if c.lower() in close][:1]
    return f" (did you mean '{close[0]}'?)" if close else ""


def resolve_function(name: str) -> str | None:
    base, _ = _strip_module(name)
    return ops.FUNCTION_NAMES.get(base)


def _constant(name: str, dtype: str) -> ir.Node | None:
    c = ops.CONSTANT_NAMES.get(name)
    if c is None:
        return None
    if c in ("inf", "nan"):
        return ir.const(float(c), dtype)
    return ir.nullary(c, dtype)


def resolve_name(text: str, parameters, dtype: str, variables=()) -> ir.Node:
    """What a bare name in the text denotes: a parameter (named in parameters), a declared
    variable (which wins over a constant: physics' e is a charge), x.real (x itself), a
    constant (pi, e, inf, nan, np.pi ...) or a variable. The bulk parsers resolve names here too."""
    if text in parameters:
        return ir.param(text, dtype)
    if text in variables:
        return ir.var(text, dtype)
    head, _, attr = text.rpartition(".")
    if head and attr in ops.IDENTITY_ATTRIBUTES and _strip_module(head)[1] == "" and "." not in head:
        return resolve_name(head, parameters, dtype, variables)
    base, module = _strip_module(text)
    c = _constant(base, dtype)
    if c is not None and (module or base == text):
        return c
    if "." in text:
        raise ExprcError(f"'{text}' is not a known constant; dotted names are only for "
                         "functions and constants such as np.sin or math.pi")
    return ir.var(text, dtype)


def call_node(fname: str, args: list[ir.Node], where=None) -> ir.Node:
    """fname(args) with fname in any accepted spelling; checks arity, folds variadic min/max."""
    opname = resolve_function(fname)
    if opname is None and _strip_module(fname)[0] in ops.IDENTITY_FUNCTIONS:
        if len(args) != 1:
            msg = f"{fname} takes 1 argument, got {len(args)}"
            raise _error_at(where, msg) if where is not None else ExprcError(msg)
        return args[0]
    if opname is None:
        msg = f"unknown function '{fname}'" + suggest(_strip_module(fname)[0], ops.FUNCTION_NAMES)
        raise _error_at(where, msg) if where is not None else ExprcError(msg)
    op = ops.REGISTRY[opname]
    if op.kind == ops.TABLE:
        return _table_node(fname, args, where)
    if op.variadic and len(args) >= op.arity:
        node = args[0]
        for a in args[1:]:
            node = ir.apply(opname, node, a)
        return node
    if len(args) != op.arity:
        plural = "s" if op.arity != 1 else ""
        shown = fname if fname == opname else f"{fname} ({opname})"
        msg = f"{shown} takes {op.arity}{' or more' if op.variadic else ''} argument{plural}, got {len(args)}"
        raise _error_at(where, msg) if where is not None else ExprcError(msg)
    return ir.apply(opname, *args)


def _table_node(fname: str, args: list[ir.Node], where) -> ir.Node:
    """table(i, c0, c1, ...): the entries must be constants (folded literals such as -0.5 or pi)."""
    from .passes.fold import fold
    entries = fold(args[1:])
    bad = next((a for a in entries if a.op != ir.CONST or a.dtype not in ("float32", "float64")), None)
    if len(args) < 2 or bad is not None:
        msg = (f"{fname}(i, c0, c1, ...) needs an index and at least one entry" if len(args) < 2 else
               f"{fname}: every entry after the index must be a number, not {bad}")
        raise _error_at(where, msg) if where is not None else ExprcError(msg)
    return ir.table(args[0], [a.value for a in entries], entries[0].dtype)


def _make_transformer():
    from lark import Transformer, v_args

    @v_args(inline=True)
    class ToIR(Transformer):
        def number(self, tok):
            try:
                return ir.const(decimal_value(str(tok)), _STATE.get().dtype)
            except ValueError as exc:
                raise _error_at(tok, str(exc)) from None

        def name(self, tok):
            st = _STATE.get()
            try:
                return resolve_name(str(tok), st.parameters, st.dtype, st.variables)
            except ExprcError as exc:
                raise _error_at(tok, str(exc)) from None

        def param(self, tok):
            return ir.param(str(tok), _STATE.get().dtype)

        def call(self, tok, args):
            try:
                return call_node(str(tok), list(args or ()), where=tok)
            except ParseError:
                raise
            except ExprcError as exc:
                raise _error_at(tok, str(exc)) from None

        def arguments(self, *items):
            return list(items)

        def add(self, a, b): return ir.apply("add", a, b)
        def sub(self, a, b): return ir.apply("sub", a, b)
        def attribute(self, a, tok):
            if str(tok) not in ops.IDENTITY_ATTRIBUTES:
                raise _error_at(tok, f"unknown attribute '.{tok}'; only .real is accepted (exprc is real-valued)")
            return a

        def mod(self, a, b): return ir.apply("mod", a, b)
        def mul(self, a, b): return ir.apply("mul", a, b)
        def div(self, a, b): return ir.apply("div", a, b)
        def neg(self, a): return ir.apply("neg", a)
        def pos(self, a): return a
        def pow(self, a, _tok, b): return ir.apply("pow", a, b)
        def compare(self, a, tok, b): return ir.apply(_COMPARE_OPS[str(tok)], a, b)

    return ToIR()


_PARSER = None
_PARSER_LOCK = threading.Lock()


def _parser():
    global _PARSER
    if _PARSER is None:
        with _PARSER_LOCK:
            if _PARSER is None:
                from lark import Lark
                grammar = resources.files("exprc.grammar").joinpath("exprc.lark").read_text()
                # No cache=True: lark would unpickle its tables from a predictable file in the
                # shared temp directory, which any user can plant; building them takes 16 ms.
                _PARSER = Lark(grammar, parser="lalr", lexer="contextual",
                               transformer=_make_transformer(), maybe_placeholders=True)
    return _PARSER


@functools.lru_cache(maxsize=1024)
def names_read(text: str) -> tuple[str, ...]:
    """Every bare name text reads, in order of first appearance, constant spellings (e, pi,
    inf, nan) included: a caller that binds one of those makes it a variable."""
    return parse(text, variables=ops.CONSTANT_NAMES).variables


def _readable(names) -> tuple[str, ...]:
    seen = {_READABLE.get(n, n.lower()) for n in names}
    return tuple(sorted(seen, key=lambda s: (_ORDER.index(s) if s in _ORDER else 99, s)))


def _end_position(text: str) -> tuple[int, int]:
    lines = text.split("\n")
    return len(lines), len(lines[-1]) + 1


def parse(text: str, dtype="float64", parameters=(), variables=()) -> ir.Node:
    """Parse infix text into a typed IR node.

    parameters: names to read as parameters (runtime scalars) rather than variables;
    `$name` in the text always denotes a parameter. variables: names to read as variables
    even where they spell a constant: e, pi, inf and nan are constants only when undeclared."""
    from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

    if not isinstance(text, str):
        raise ExprcError(f"expected expression text, got {type(text).__name__}")
    d = normalize_dtype(dtype)
    token = _STATE.set(_State(d, frozenset(parameters), frozenset(variables or ()), text))
    try:
        if not text.strip():
            raise ParseError("empty expression", text, 1, 1, ("a number", "a name", "'('"))
        return _parser().parse(text)
    except ParseError:
        raise
    except UnexpectedCharacters as e:
        ch = text[e.pos_in_stream] if 0 <= e.pos_in_stream < len(text) else "?"
        raise ParseError(f"unexpected character {ch!r}", text, e.line, e.column,
                         _readable(e.allowed or ())) from None
    except UnexpectedEOF as e:
        line, col = _end_position(text)
        raise ParseError("unexpected end of input", text, line, col, _readable(e.expected)) from None
    except UnexpectedToken as e:
        if e.token.type == "$END":
            line, col = _end_position(text)
            raise ParseError("unexpected end of input", text, line, col, _readable(e.expected)) from None
        raise ParseError(f"unexpected {e.token.value!r}", text, e.line, e.column,
                         _readable(e.expected)) from None
    except UnexpectedInput as e:  # pragma: no cover - lark's remaining cases
        raise ParseError(str(e).splitlines()[0], text, getattr(e, "line", 1), getattr(e, "column", 1)) from None
    except RecursionError:  # pragma: no cover - the parser is iterative; kept as a last guard
        raise ParseError("expression nested too deeply", text, 1, 1) from None
    finally:
        _STATE.reset(token)
