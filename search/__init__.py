"""Search drivers built on exprc: population evaluation, symbolic regression and the discovery of
float32 approximations. Installed as exprc.search."""

_LAZY = {"SymbolicRegressor": "sr", "Equation": "sr", "NotFittedError": "sr",
         "approximate": "approx", "ApproxResult": "approx"}     # name -> subpackage


def __getattr__(name):
    # the drivers load on first use (they pull in the population engine, sympy, cma, ...)
    if name in _LAZY:
        import importlib
        return getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
