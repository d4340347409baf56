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
    return np.dtype(np.bool_) if dtype == BOOL else np.dtype(FORMATS[dtype].np_type)
