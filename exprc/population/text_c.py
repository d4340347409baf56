"""The compiled bulk text path: exprc/population/_cparse.c through ctypes, names and numbers
it could not settle finished in numpy. Same contract as text_numpy.numpy_path."""
from __future__ import annotations

import numpy as np

from ..errors import ExprcError
from . import encoding as enc
from .flat import FlatPrograms
from .names import meaning

_C_KIND_OPCODE = np.full(16, -1, dtype=np.int32)     # _cparse.c's record kinds 4..9
for _k, _name in zip(range(4, 10), ("add", "sub", "mul", "div", "pow", "neg")):
    _C_KIND_OPCODE[_k] = enc.OPCODE_OF[_name]
_C_NUM, _C_NAME, _C_PNAME, _C_FUNC = 0, 1, 2, 3
_C_EXACT = 1
_CPARSER: list = []


def compiled_parser():
    """The compiled parser (exprc/population/_cparse.c) through ctypes, or None where the
    optional extension was not built (no C compiler at install): then the numpy path runs."""
    if not _CPARSER:
        fn = None
        try:
            import ctypes
            from . import _cparse
            fn = ctypes.CDLL(_cparse.__file__).exprc_parse_texts
            p = ctypes.c_void_p
            fn.argtypes = [p, ctypes.c_int64, p, ctypes.c_int64, ctypes.c_int32, p, p, p, p, p, p, ctypes.c_int64,
                           p, p, p, p, p, ctypes.c_int64]
            fn.restype = ctypes.c_int64
        except (ImportError, OSError, AttributeError):
            fn = None
        _CPARSER.append(fn)
    return _CPARSER[0]


def c_path(texts: list[str], dtype: str, params: frozenset, variables: frozenset = frozenset()):
    """Flat programs of the texts the compiled parser accepts, their node counts before
    folding, and the accepted mask (the rest go through exprc.parse)."""
    ntext = len(texts)
    plain = np.fromiter((t.isascii() for t in texts), dtype=bool, count=ntext)
    if not plain.all():
        texts = [t if p else "(" for t, p in zip(texts, plain)]
    buf = "".join(texts).encode("ascii")
    bounds = np.zeros(ntext + 1, dtype=np.int64)
    np.cumsum(np.fromiter((len(t) for t in texts), dtype=np.int64, count=ntext), out=bounds[1:])
    cap = len(buf) + 1
    kind = np.empty(cap, dtype=np.int8)
    name = np.empty(cap, dtype=np.int32)
    nargs = np.empty(cap, dtype=np.int32)
    value = np.empty(cap, dtype=np.float64)
    size = np.empty(cap, dtype=np.int32)
    flags = np.empty(cap, dtype=np.int8)
    ok = np.empty(ntext, dtype=np.int8)
    counts = np.empty(ntext, dtype=np.int64)
    given = np.empty(ntext, dtype=np.int64)
    name_start = np.empty(cap, dtype=np.int32)
    name_len = np.empty(cap, dtype=np.int32)
    raw = np.frombuffer(buf, dtype=np.uint8) if buf else np.zeros(1, dtype=np.uint8)
    ptr = lambda a: a.ctypes.data  # noqa: E731
    nnames = compiled_parser()(ptr(raw), len(buf), ptr(bounds), ntext, int(dtype == "float32"), ptr(kind), ptr(name),
                         ptr(nargs), ptr(value), ptr(size), ptr(flags), cap, ptr(ok), ptr(counts), ptr(given),
                         ptr(name_start), ptr(name_len), cap)
    if nnames < 0:
        raise ExprcError("the bulk parser ran out of space")      # never: every buffer fits the input
    nrec = int(counts.sum())
    kind, name, nargs, value, size, flags = (a[:nrec] for a in (kind, name, nargs, value, size, flags))
    bad = ok == 0
    text_of = np.repeat(np.arange(ntext), counts)
    code = _C_KIND_OPCODE[kind]
    arg = np.zeros(nrec, dtype=np.int32)

    # names: each (spelling, role) resolved once, through the parser's own rules
    is_name = (kind == _C_NAME) | (kind == _C_PNAME) | (kind == _C_FUNC)
    table: dict[str, int] = {}
    if is_name.any():
        where = np.flatnonzero(is_name)
        key = name[where].astype(np.int64) * 4 + kind[where]
        ukey, inverse = np.unique(key, return_inverse=True)
        spelled = [buf[name_start[k]:name_start[k] + name_len[k]].decode("ascii") for k in (ukey // 4).tolist()]
        r_code = np.zeros(len(ukey), dtype=np.int32)
        r_arg = np.zeros(len(ukey), dtype=np.int32)
        r_value = np.zeros(len(ukey))
        r_arity = np.full(len(ukey), -1, dtype=np.int32)
        r_bad = np.zeros(len(ukey), dtype=bool)
        r_const = np.zeros(len(ukey), dtype=bool)
        keep: list = []
        roles = {_C_FUNC: "call", _C_PNAME: "$", _C_NAME: "name"}
        for j, (text, role) in enumerate(zip(spelled, (ukey % 4).tolist())):
            r_bad[j], r_code[j], r_arg[j], r_value[j], r_arity[j], r_const[j] = meaning(
                text, roles[role], dtype, params, variables, table, keep)
        code[where] = r_code[inverse]
        arg[where] = r_arg[inverse]
        value[where] = np.where(r_const[inverse], r_value[inverse], value[where])
        bad[text_of[where[r_bad[inverse]]]] = True
        func = r_arity[inverse] >= 0
        bad[text_of[where[func & (r_arity[inverse] != nargs[where])]]] = True
        # a named constant inside an expression makes a constant subexpression possible: the
        # exact folder decides (a lone constant is already its value)
        bad[text_of[where[r_const[inverse] & (counts[text_of[where]] > 1)]]] = True
    # numbers C could not convert exactly: from the exact decimal
    num = kind == _C_NUM
    code[num] = enc.LEAF_CONST
    for k in np.flatnonzero(num & (flags & _C_EXACT).astype(bool) & ~bad[text_of]).tolist():
        from ..numbers import decimal_value, round_value
        text = buf[name[k]:name[k] + nargs[k]].decode("ascii")
        try:
            value[k] = float(round_value(decimal_value(text), dtype))
        except ValueError:
            bad[text_of[k]] = True
    value[~(num | (code == enc.LEAF_CONST))] = 0.0
    keep_rec = ~bad[text_of]
    accepted = ~bad
    start = np.zeros(int(accepted.sum()) + 1, dtype=np.int64)
    np.cumsum(counts[accepted], out=start[1:])
    flat = FlatPrograms(code[keep_rec], arg[keep_rec], value[keep_rec], size[keep_rec], start, tuple(table), dtype)
    return flat, given[accepted], accepted
