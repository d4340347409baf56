"""Coefficients of the uniform (Debye) large-order expansions of I_v and K_v, exact.

Why exact rationals: the polynomials u_k(t) of DLMF 10.41.10 follow from a recurrence on
rational coefficients, so they are generated here once instead of being copied as decimals
(and rounded once when they become IR constants).

    u_0 = 1,  u_{k+1}(t) = t^2 (1 - t^2) u_k'(t) / 2 + (1/8) * integral_0^t (1 - 5 s^2) u_k(s) ds
"""
from __future__ import annotations

from fractions import Fraction
from functools import lru_cache


@lru_cache(maxsize=None)
def debye_polynomials(count: int) -> tuple[tuple[Fraction, ...], ...]:
    """u_0 .. u_{count-1} as coefficient tuples in ascending powers of t."""
    polys = [(Fraction(1),)]
    while len(polys) < count:
        u = polys[-1]
        deriv = [k * c for k, c in enumerate(u)][1:]                    # u'
        first = [Fraction(0)] * (len(deriv) + 4)
        for k, c in enumerate(deriv):                                   # t^2 (1 - t^2) u' / 2
            first[k + 2] += c / 2
            first[k + 4] -= c / 2
        integrand = [Fraction(0)] * (len(u) + 2)
        for k, c in enumerate(u):                                       # (1 - 5 t^2) u
            integrand[k] += c
            integrand[k + 2] -= 5 * c
        second = [Fraction(0)] + [c / (k + 1) / 8 for k, c in enumerate(integrand)]
        size = max(len(first), len(second))
        nxt = [(first[k] if k < len(first) else 0) + (second[k] if k < len(second) else 0)
               for k in range(size)]
        while nxt and nxt[-1] == 0:
            nxt.pop()
        polys.append(tuple(nxt))
    return tuple(polys)
