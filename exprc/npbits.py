"""numpy semantics of exprc's integer, bit and table ops (the oracle the backends match).

Why these definitions: every backend must give the same bits, so nothing is left to what C or
LLVM leave undefined. Integer arithmetic wraps (two's complement); a shift count is taken
modulo the width (as x86 and Java do); a float converted to an integer is truncated toward
zero and saturates, NaN giving 0 (LLVM's fptosi.sat); a table index is clamped into the table.
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np

from .dtypes import FLOAT_OF, INT_BITS, INT_OF
from .numbers import round_value

_UNSIGNED = {"int32": np.uint32, "int64": np.uint64}


def _int_name(a: np.ndarray) -> str:
    return INT_OF[a.dtype.name] if a.dtype.kind == "f" else a.dtype.name


def asint(a):
    """The float's bit pattern as a signed integer of its width."""
    a = np.asarray(a)
    return a.view(np.dtype(INT_OF[a.dtype.name]))


def asfloat(i):
    """The integer's bits read as a float of its width."""
    i = np.asarray(i)
    return i.view(np.dtype(FLOAT_OF[i.dtype.name]))


def toint(a):
    """Truncate toward zero, saturating at the integer range; NaN gives 0."""
    a = np.asarray(a)
    it = np.dtype(INT_OF[a.dtype.name])
    info = np.iinfo(it)
    t = np.trunc(a)
    limit = 2.0 ** (INT_BITS[it.name] - 1)       # exact in both float formats
    big, small, nan = t >= limit, t < -limit, np.isnan(t)
    safe = np.where(big | small | nan, 0, t).astype(it)
    return np.where(big, info.max, np.where(small, info.min, safe)).astype(it)


def tofloat(i):
    """The integer's value rounded to the float of its width (to nearest, ties to even)."""
    i = np.asarray(i)
    return i.astype(np.dtype(FLOAT_OF[i.dtype.name]))


def _wrapping(fn):
    def op(a, b):
        a, b = np.asarray(a), np.asarray(b)
        u = _UNSIGNED[a.dtype.name]
        return np.asarray(fn(a.astype(u), b.astype(u)), dtype=u).view(a.dtype)
    return op


iadd = _wrapping(np.add)
isub = _wrapping(np.subtract)
imul = _wrapping(np.multiply)


def _count(a: np.ndarray, b) -> np.ndarray:
    return (np.asarray(b) & (INT_BITS[a.dtype.name] - 1)).astype(a.dtype)


def shl(a, b):
    a = np.asarray(a)
    u = _UNSIGNED[a.dtype.name]
    return np.asarray(np.left_shift(a.astype(u), _count(a, b).astype(u)), dtype=u).view(a.dtype)


def shr(a, b):
    """Arithmetic shift right: the sign bit fills in."""
    a = np.asarray(a)
    return np.right_shift(a, _count(a, b))


def ushr(a, b):
    """Logical shift right: zeros fill in."""
    a = np.asarray(a)
    u = _UNSIGNED[a.dtype.name]
    return np.asarray(np.right_shift(a.astype(u), _count(a, b).astype(u)), dtype=u).view(a.dtype)


@lru_cache(maxsize=256)
def table_array(values: tuple, dtype: str) -> np.ndarray:
    """A constant table's entries, each rounded once to dtype."""
    out = np.array([round_value(v, dtype) for v in values], dtype=dtype)
    out.setflags(write=False)
    return out


def table_lookup(values: tuple, dtype: str, index) -> np.ndarray:
    """values[index] with the index clamped into the table."""
    t = table_array(values, dtype)
    return t[np.clip(np.asarray(index), 0, len(t) - 1)]
