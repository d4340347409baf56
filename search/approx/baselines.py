"""Baselines and seeds for the approximation search, computed by exprc itself: minimax
polynomials of each degree (Sollya's fpminimax when installed, else Remez with mpmath and
coefficients rounded to float32) in Horner and Estrin form, Taylor polynomials and Padé
approximants. Every program's constants are parameters, so the search can refine them.
"""
from __future__ import annotations

import time

import re
import shutil
import subprocess
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from exprc import ir

def sollya_expression(function_text: str) -> str | None:
    """The function (exprc text in x) in Sollya's syntax, or None if it has no spelling."""
    out = function_text.replace(" ", "")
    if "cbrt(" in out or "atan2(" in out or "$" in out:
        return None
    return out.replace("exp2(", "2^(").replace("**", "^")


@dataclass(frozen=True)
class Seed:
    """A program whose constants are parameters $p0, $p1, ... with starting values."""
    node: ir.Node
    params: tuple[float, ...]
    kind: str


def horner(coeffs: Sequence[float], x: ir.Node) -> ir.Node:
    """c0 + x*(c1 + x*(...)) as a chain of fma over parameters $p0..$pd: d ops."""
    d = len(coeffs) - 1
    p = [ir.param(f"p{k}", x.dtype) for k in range(d + 1)]
    node = p[d]
    for k in range(d - 1, -1, -1):
        node = ir.apply("fma", node, x, p[k])
    return node


def estrin(coeffs: Sequence[float], x: ir.Node) -> ir.Node:
    """Estrin's scheme: pairs c0 + c1*x combined with x^2, x^4, ...: shorter dependency chains."""
    d = len(coeffs) - 1
    terms = [ir.param(f"p{k}", x.dtype) for k in range(d + 1)]
    power = x
    while len(terms) > 1:
        paired = []
        for k in range(0, len(terms) - 1, 2):
            paired.append(ir.apply("fma", terms[k + 1], power, terms[k]))
        if len(terms) % 2:
            paired.append(terms[-1])
        terms = paired
        if len(terms) > 1:
            power = ir.apply("mul", power, power)
    return terms[0]


def sollya_available() -> bool:
    return shutil.which("sollya") is not None


def fpminimax(function: str, degree: int, interval: tuple[float, float], relative: bool = True,
              fmt: str = "single", monomials: Sequence[int] | None = None,
              fixed_constant: float | None = None) -> list[float] | None:
    """Sollya's fpminimax coefficients of the function (exprc text in x), or None. With
    monomials (e.g. [1, 3, 5] for an odd function) one coefficient per monomial, in order.
    fixed_constant: the constant term is held at this value (e.g. exp(0) = 1 exactly, so
    results near x = 0 are exact); the coefficients returned start with it."""
    expr = sollya_expression(function)
    if expr is None or not sollya_available():
        return None
    a, b = interval
    if fixed_constant is not None:
        monomials = list(range(1, degree + 1))
    basis = str(degree) if monomials is None else "[|" + ", ".join(str(m) for m in monomials) + "|]"
    wanted = list(range(degree + 1)) if monomials is None else list(monomials)
    constrained = "" if fixed_constant is None else f", floating, {fixed_constant!r}"
    script = (f"prec=200; display=decimal;\n"
              f"p = fpminimax({expr}, {basis}, [|{fmt}...|], [{a!r}; {b!r}], "
              f"{'relative' if relative else 'absolute'}{constrained});\n"
              + "".join(f"print(coeff(p, {m}));\n" for m in wanted))
    try:
        out = subprocess.run(["sollya", "--warnonstderr"], input=script, capture_output=True, text=True,
                             timeout=120).stdout
    except (OSError, subprocess.TimeoutExpired):
        return None
    values = [ln.strip() for ln in out.splitlines() if re.fullmatch(r"-?[0-9.]+(e-?[0-9]+)?", ln.strip())]
    if len(values) != len(wanted):
        return None
    coeffs = [float(np.float32(float(v))) for v in values]
    return coeffs if fixed_constant is None else [float(fixed_constant)] + coeffs


def _mp_function(function: str):
    """An mpmath callable for the function (exprc text in x), through sympy."""
    import sympy as sp
    from exprc.parser import parse
    node = parse(function)
    return sp.lambdify([sp.Symbol("x", real=True)], node.to_sympy(), modules="mpmath")


def minimax_coefficients(function: str, degree: int, interval: tuple[float, float],
                         relative: bool = True) -> tuple[list[float], str]:
    """float32 minimax coefficients (relative or absolute error) and where they came from."""
    kind = "relative" if relative else "absolute"
    c = fpminimax(function, degree, interval, relative=relative)
    if c is not None:
        return c, f"fpminimax (Sollya) {kind}"
    from .remez import minimax, round_coefficients
    res = minimax(_mp_function(function), degree, interval, relative=relative, prec=120)
    return [float(v) for v in round_coefficients(res.coefficients, "float32")], f"Remez (mpmath) {kind}, rounded"


def _exact_float32_at_zero(function: str, interval) -> float | None:
    """f(0) when 0 is inside the interval and f(0) is a nonzero float32 exactly (exp: 1)."""
    if not interval[0] < 0 < interval[1]:
        return None
    try:
        v = float(_mp_function(function)(0))
    except Exception:
        return None
    return v if v != 0 and np.isfinite(v) and float(np.float32(v)) == v else None


def is_odd(function: str) -> bool:
    import sympy as sp
    from exprc.parser import parse
    expr = parse(function).to_sympy()
    x = [v for v in expr.free_symbols if v.name == "x"]
    return bool(x) and sp.simplify(expr.subs(x[0], -x[0]) + expr) == 0


def odd_polynomial(coeffs: Sequence[float], x: ir.Node) -> ir.Node:
    """x * q(x*x), q in Horner form over $p0..: len(coeffs) + 1 ops for an odd function."""
    return ir.apply("mul", x, horner(coeffs, ir.apply("mul", x, x)))


def odd_seeds(function: str, interval: tuple[float, float], max_ops: int, dtype: str = "float32") -> list[Seed]:
    """For an odd function on a symmetric interval: minimax over odd monomials only."""
    if abs(interval[0] + interval[1]) > 1e-12 * abs(interval[1]) or not is_odd(function):
        return []
    x = ir.var("x", dtype)
    out = []
    for terms in range(2, max_ops):          # x*q(x^2) with q of degree terms-1: terms + 1 ops
        monomials = [2 * k + 1 for k in range(terms)]
        c = fpminimax(function, monomials[-1], interval, relative=True, monomials=monomials)
        source = "fpminimax (Sollya) relative"
        if c is None:
            from .remez import minimax, round_coefficients
            try:
                res = minimax(_mp_function(function), monomials[-1], interval, relative=True,
                              monomials=monomials, prec=120)
            except Exception:
                continue
            c = [float(v) for v in round_coefficients([res.coefficients[m] for m in monomials], "float32")]
            source = "Remez (mpmath) relative, rounded"
        out.append(Seed(odd_polynomial(c, x), tuple(c), f"odd Horner {source}, degree {monomials[-1]}"))
    return out


def taylor_coefficients(function: str, degree: int, center: float) -> list[float]:
    from .remez import round_coefficients, taylor
    return [float(v) for v in round_coefficients(taylor(_mp_function(function), degree, center), "float32")]


def pade_coefficients(function: str, m: int, n: int) -> tuple[list[float], list[float]]:
    from .remez import pade, round_coefficients
    num, den = pade(_mp_function(function), m, n)
    return ([float(v) for v in round_coefficients(num, "float32")],
            [float(v) for v in round_coefficients(den, "float32")])


def seeds(function: str, interval: tuple[float, float], max_ops: int, dtype: str = "float32",
          deadline: float | None = None) -> list[Seed]:
    """Horner and Estrin minimax polynomials of every degree that fits in max_ops, Taylor
    polynomials about the interval's midpoint, and Padé approximants about 0. function is
    exprc text in x, e.g. "exp2(x)" or "log2(1 + x)". Past `deadline` (time.monotonic()) no
    further degree is started (degree 1 always is): a Remez fit in mpmath costs about 0.5 s."""
    x = ir.var("x", dtype)
    out: list[Seed] = []
    mid = 0.5 * (interval[0] + interval[1])

    def late() -> bool:
        return deadline is not None and time.monotonic() > deadline
    for d in range(1, max_ops + 1):
        if d > 1 and late():
            break
        # relative error is what a whole function needs; absolute error is the max-ULP optimum
        # where the result stays in one binade (2**x on [0, 1]): both are baselines
        for relative in (True, False):
            try:
                c, source = minimax_coefficients(function, d, interval, relative)
            except Exception:   # a degree Remez cannot fit (e.g. too high for the function)
                continue
            out.append(Seed(horner(c, x), tuple(c), f"Horner {source}, degree {d}"))
            if d >= 3:
                out.append(Seed(estrin(c, x), tuple(c), f"Estrin {source}, degree {d}"))
        f0 = _exact_float32_at_zero(function, interval)
        if f0 is not None:
            c = fpminimax(function, d, interval, relative=True, fixed_constant=f0)
            if c is not None:
                out.append(Seed(horner(c, x), tuple(c), f"Horner fpminimax (Sollya) relative, p(0) = {f0:g}, degree {d}"))
        try:
            t = taylor_coefficients(function, d, mid)
            shifted = ir.apply("sub", x, ir.const(float(np.float32(mid)), dtype)) if mid else x
            node = horner(t, shifted)
            out.append(Seed(node, tuple(t), f"Taylor about {float(np.float32(mid)):g}, degree {d}"))
        except Exception:
            pass
    if not late():
        out += odd_seeds(function, interval, max_ops, dtype)
    for m in range(1, max_ops):
        for n in range(1, max_ops - m):
            if m + n + 1 > max_ops or late():
                continue
            try:
                num, den = pade_coefficients(function, m, n)
            except Exception:
                continue
            p = horner(num, x)
            q = ir.map_leaves([horner(den, x)], lambda l: ir.param(f"p{int(l.value[1:]) + m + 1}", dtype)
                              if l.op == ir.PARAM else l)[0]
            out.append(Seed(ir.apply("div", p, q), tuple(num) + tuple(den), f"Padé [{m}/{n}] about 0"))
    return out
