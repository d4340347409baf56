"""Many texts to flat programs at once: the bulk front end of the population engine.

The language is the one grammar/exprc.lark defines, and lark stays its reference: the bulk
paths accept the arithmetic core of the grammar (numbers, names, $parameters, + - * / ** ^,
unary signs, calls with the right number of arguments, parentheses) and hand every other text
(comparisons, where, variadic min/max beyond two arguments, constant subexpressions other than
a negated number, anything malformed) to exprc.parse, so a bad text still gets its located
ParseError and the result is always the program exprc.parse + folding gives.

Two bulk paths with one contract: the compiled one (text_c.py, a single pass per text in C)
and, where the optional C extension was not built, the numpy one (text_numpy.py).
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from ..dtypes import normalize_dtype
from ..errors import ExprcError
from . import flat as flatmod
from . import text_c
from .flat import FlatPrograms
from .text_numpy import numpy_path

CHUNK = 20_000          # texts per pass: keeps memory flat over any number of texts


def bulk_path():
    """The bulk path this installation runs: compiled where the extension was built."""
    return text_c.c_path if text_c.compiled_parser() is not None else numpy_path


def parse_many_flat(texts: Sequence[str], dtype="float64", parameters: Sequence[str] = (),
                    variables: Sequence[str] = ()) -> tuple[FlatPrograms, np.ndarray]:
    """Flat programs for texts (exactly what exprc.parse(text, dtype, parameters, variables) +
    constant folding gives) and each text's node count as parsed (before folding)."""
    d = normalize_dtype(dtype)
    params = frozenset(parameters)
    names = frozenset(variables or ())
    texts = list(texts)
    for t in texts:
        if not isinstance(t, str):
            raise ExprcError(f"expected expression text, got {type(t).__name__}")
    batches, sizes = [], []
    for lo in range(0, len(texts), CHUNK):
        f, s = _parse_chunk(texts[lo:lo + CHUNK], d, params, names)
        batches.append(f)
        sizes.append(s)
    if not batches:
        return flatmod.empty(d), np.zeros(0, dtype=np.int64)
    return flatmod.concat(batches), np.concatenate(sizes)


def parse_many(texts: Sequence[str], dtype="float64", parameters: Sequence[str] = (),
               variables: Sequence[str] = ()) -> FlatPrograms:
    """Many texts as flat programs (see exprc.population.flat), in bulk."""
    return parse_many_flat(texts, dtype, parameters, variables)[0]


# ---------------------------------------------------------------------------- one chunk

def _parse_chunk(texts: list[str], dtype: str, params: frozenset, variables: frozenset = frozenset()
                 ) -> tuple[FlatPrograms, np.ndarray]:
    n = len(texts)
    flat, given, ok = bulk_path()(texts, dtype, params, variables)
    pieces, sizes, order = [flat], [given], np.flatnonzero(ok).tolist()
    slow = np.flatnonzero(~ok).tolist()
    if slow:
        from ..parser import parse
        nodes = [parse(texts[i], dtype=dtype, parameters=params, variables=variables) for i in slow]
        pieces.append(flatmod.from_nodes(nodes, dtype))
        sizes.append(np.fromiter((x.size for x in nodes), dtype=np.int64, count=len(nodes)))
        order.extend(slow)
    flat = flatmod.concat(pieces) if len(pieces) > 1 else pieces[0]
    given = np.concatenate(sizes) if len(sizes) > 1 else sizes[0]
    if order != list(range(n)):
        inverse = np.empty(n, dtype=np.int64)
        inverse[np.asarray(order, dtype=np.int64)] = np.arange(n)
        flat, given = flat.take(inverse), given[inverse]
    return flat, given
