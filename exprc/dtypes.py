"""The dtypes exprc programs compute in, and the spellings users may write for them."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .errors import ExprcError


@dataclass(frozen=True)
class FloatFormat:
    """An IEEE binary format: what rounding to it means."""
    name: str
    precision: int   # significand bits, hidden bit included
    emin: int        # exponent of the smallest normal number
    emax: int        # exponent of the largest finite number
    np_type: type
    itemsize: int


FLOAT32 = FloatFormat("float32", 24, -126, 127, np.float32, 4)
FLOAT64 = FloatFormat("float64", 53, -1022, 1023, np.float64, 8)
FORMATS = {"float32": FLOAT32, "float64": FLOAT64}
FLOAT_DTYPES = ("float32", "float64")
BOOL = "bool"

# Integers live only inside programs (bit patterns, exponents, table indices): each has the
# width of its float, so a vector of them has as many lanes as the float vector it came from.
INT_DTYPES = ("int32", "int64")
INT_OF = {"float32": "int32", "float64": "int64"}
FLOAT_OF = {i: f for f, i in INT_OF.items()}
INT_BITS = {"int32": 32, "int64": 64}


def is_int(dtype: str) -> bool:
    return dtype in INT_BITS


def wrap_int(value: int, dtype: str) -> int:
    """value reduced to the signed range of an integer dtype (two's complement wrap-around)."""
    bits = INT_BITS[dtype]
    value &= (1 << bits) - 1
    return value - (1 << bits) if value >> (bits - 1) else value

_SPELLINGS = {
    "float32": "float32", "f32": "float32", "single": "float32", "f4": "float32", "float": "float32",
    "float64": "float64", "f64": "float64", "double": "float64", "f8": "float64",
    "bool": "bool",
}


def normalize_dtype(dtype) -> str:
    """Map 'f32', np.float32, np.dtype('float32') ... to 'float32' (likewise float64, bool)."""
    if isinstance(dtype, str):
        key = dtype.lower()
    else:
        try:
            key = np.dtype(dtype).name
        except TypeError:
            key = str(dtype)
    if key not in _SPELLINGS:
        raise ExprcError(f"unsupported dtype {dtype!r}; use float32 or float64")
    return _SPELLINGS[key]


def np_dtype(dtype: str) -> np.dtype:
    if dtype in INT_BITS:
        return np.dtype(dtype)
    return np.dtype(np.bool_) if dtype == BOOL else np.dtype(FORMATS[dtype].np_type)
