"""How many of numexpr's own test-suite expressions exprc.evaluate answers as numexpr does.

The expressions, inputs and comparison are numexpr's (numexpr/tests/test_numexpr.py:
`tests`, the inputs of `test_expressions`, `equal`), for the float32 and float64 dtypes
and its three scalar modes; an expression agrees when both give equal results or both
raise. Needs: pip install '.[bench]'. Run: python benchmarks/numexpr_compat.py [-v]
"""
from __future__ import annotations

import sys
import warnings

import numpy as np


def inputs(dtype, test_scalar: int) -> dict:
    """test_expressions' arrays, as numexpr builds them."""
    n = 100
    env = {"a": np.arange(2 * n, dtype=dtype)[::2], "a2": np.zeros([n, n], dtype=dtype),
           "b": np.arange(n, dtype=dtype) / n, "c": np.arange(n, dtype=dtype),
           "d": np.arange(n, dtype=dtype), "e": np.arange(n, dtype=dtype)}
    if test_scalar == 1:
        env["a"] = env["a"][n // 2]
    if test_scalar == 2:
        env["b"] = env["b"][n // 2]
    return env


def run(verbose: bool = False) -> tuple[int, int]:
    import numexpr
    from numexpr.tests.test_numexpr import equal, tests

    import exprc
    agree = total = 0
    for dtype in (np.float32, np.float64):
        for test_scalar in (0, 1, 2):
            for _section, exprs in tests:
                for expr in exprs:
                    env = inputs(dtype, test_scalar)
                    total += 1
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore")
                        try:
                            want = numexpr.evaluate(expr, local_dict=dict(env))
                        except Exception as exc:    # noqa: BLE001 - any numexpr failure
                            want = exc
                        try:
                            got = exprc.evaluate(expr, local_dict=dict(env))
                        except Exception as exc:    # noqa: BLE001
                            got = exc
                    if isinstance(want, Exception) or isinstance(got, Exception):
                        ok = isinstance(want, Exception) and isinstance(got, Exception)
                    else:
                        ok = bool(equal(np.asarray(want), np.asarray(got), False))
                    agree += ok
                    if verbose and not ok:
                        print(f"{np.dtype(dtype).name} scalar={test_scalar} {expr!r}: numexpr "
                              f"{_show(want)}, exprc {_show(got)}")
    return agree, total


def _show(v) -> str:
    if isinstance(v, Exception):
        return f"raised {type(v).__name__}: {str(v).splitlines()[0][:80]}"
    v = np.asarray(v)
    return f"{v.dtype}{v.shape} {np.ravel(v)[:3]}"


if __name__ == "__main__":
    agree, total = run("-v" in sys.argv)
    print(f"numexpr's test expressions: {agree} of {total} agree ({100 * agree / total:.1f}%)")
