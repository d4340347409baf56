"""Stated accuracy of the transcendental functions, in ULPs against a correctly rounded
reference, as measured by benchmarks/ulp_table.py (which rewrites accuracy.json).

Why a data file: the bound the README states, the bound the tests enforce and the number
the benchmark measured must be one number.
"""
from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources


@lru_cache(maxsize=1)
def _table() -> dict:
    try:
        text = resources.files("exprc").joinpath("accuracy.json").read_text()
    except (FileNotFoundError, OSError):
        return {}
    return json.loads(text)


def stated_bound(op: str, dtype: str, backend: str = "llvm") -> float | None:
    """The max ULP error we state for op in dtype on backend (None: not measured)."""
    entry = _table().get("bounds", {}).get(backend, {}).get(dtype, {}).get(op)
    return None if entry is None else float(entry["stated"])


def measured(op: str, dtype: str, backend: str = "llvm") -> dict | None:
    return _table().get("bounds", {}).get(backend, {}).get(dtype, {}).get(op)
