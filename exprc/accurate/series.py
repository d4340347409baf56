"""Truncated series of an expression around 0 and infinity, as candidates (Herbie's taylor step).

Why: near a cancellation point no rearrangement is accurate, but a few terms of the series
are: (1 - cos x)/x^2 is 1/2 - x^2/24 for small x, exactly where the formula returns 0 or
garbage. sympy expands; each expansion is only a candidate, kept where it measures better
(regimes.py decides where). sympy gets a time limit (in the main thread) per expansion.
"""
from __future__ import annotations

import signal
import threading
from contextlib import contextmanager

from .. import ir

ORDERS = (3, 6, 12)      # the O(x**n) dropped: a short series for tiny x, longer ones for larger x


class _Timeout(Exception):
    pass


@contextmanager
def _time_limit(seconds: float):
    if threading.current_thread() is not threading.main_thread() or seconds <= 0:
        raise _Timeout()        # no alarm outside the main thread: skip rather than risk a hang
    def fire(signum, frame):
        raise _Timeout()
    pending, _ = signal.getitimer(signal.ITIMER_REAL)
    if pending:
        raise _Timeout()        # the caller has an alarm of its own (pytest-timeout, ...): leave it
    old = signal.signal(signal.SIGALRM, fire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def _horner(s, x):
    """A polynomial in x in Horner form (fewer roundings, highest powers innermost); anything
    else (a Laurent part, other symbols in a way horner cannot take) as it is."""
    import sympy as sp
    try:
        if s.is_polynomial(x):
            return sp.horner(s, wrt=x)
    except Exception:
        pass
    return s


def candidates(node: ir.Node, dtype: str, seconds_each: float = 1.0) -> list[ir.Node]:
    """Series of node in each of its variables around 0 and infinity (others as symbols)."""
    import sympy as sp
    from ..sympy_bridge import from_sympy, to_sympy
    try:
        expr = to_sympy(node)
    except Exception:
        return []
    out: list[ir.Node] = []
    for name in ir.leaf_names([node], ir.VAR):
        x = sp.Symbol(name, real=True)
        for point in (0, sp.oo):
            for order in ORDERS:
                try:
                    with _time_limit(seconds_each):
                        s = sp.series(expr, x, point, n=order).removeO()
                        if s.has(sp.O) or s.has(sp.zoo) or s.has(sp.nan) or s.free_symbols - expr.free_symbols:
                            continue
                        s = _horner(sp.expand(s), x)
                except (_Timeout, Exception):
                    continue
                try:
                    out.append(from_sympy(s, dtype=dtype))
                except Exception:
                    continue
    return out
