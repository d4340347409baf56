"""exprc's own float32 math library: designs found and proved by the generation step.

float32.json (and float64.json) hold, per function, a template's fitted data (tables, polynomial, constants, the
inputs handled as exceptions) and its proof over every float32 input (max ULP, inputs not
correctly rounded, when it was proved). `exprc approx --library` (search/approx/library.py)
regenerates it; kernels inline these designs by default (mathlib="exprc").
"""
from __future__ import annotations

import json
from fractions import Fraction
from functools import lru_cache
from pathlib import Path

from .templates import Design

DATA_PATH = Path(__file__).with_name("float32.json")
DATA_PATHS = {"float32": DATA_PATH, "float64": Path(__file__).with_name("float64.json")}


def _enc(v) -> str | int:
    if isinstance(v, int):
        return v
    f = float(v)
    if Fraction(f) != v:
        raise ValueError(f"{v} is not a float64 value")
    return f.hex()


def _dec(v) -> Fraction | int:
    return v if isinstance(v, int) else Fraction(float.fromhex(v))


def design_to_json(d: Design) -> dict:
    return {"function": d.function, "template": d.template, "bits": d.bits,
            "poly": [_enc(c) for c in d.poly],
            "tables": {k: [_enc(v) for v in t] for k, t in d.tables.items()},
            "constants": {k: _enc(v) for k, v in d.constants.items()},
            "exceptions": [[float(x).hex(), float(y).hex()] for x, y in d.exceptions],
            "extra": d.extra}


def design_from_json(e: dict) -> Design:
    return Design(e["function"], e["template"], e["bits"], tuple(_dec(c) for c in e["poly"]),
                  {k: tuple(_dec(v) for v in t) for k, t in e["tables"].items()},
                  {k: _dec(v) for k, v in e["constants"].items()},
                  tuple((float.fromhex(x), float.fromhex(y)) for x, y in e["exceptions"]), dict(e.get("extra", {})))


@lru_cache(maxsize=None)
def entries(dtype: str = "float32") -> dict:
    """The generated library of dtype: function name -> its JSON entry (design, proof, speed)."""
    path = DATA_PATHS[dtype]
    return json.loads(path.read_text()) if path.exists() else {}


@lru_cache(maxsize=None)
def design(function: str, dtype: str = "float32") -> Design | None:
    e = entries(dtype).get(function)
    return design_from_json(e) if e else None
