"""Backends lower a Program to something that runs: numpy (the oracle), llvm, triton."""
from __future__ import annotations

BACKENDS = ("numpy", "llvm", "triton")


def get(name: str):
    """The backend module for name (imported on first use: llvmlite and triton are heavy)."""
    if name == "numpy":
        from . import numpy_backend
        return numpy_backend
    if name == "llvm":
        from . import llvm
        return llvm
    if name == "triton":
        from . import triton_backend
        return triton_backend
    from ..errors import ExprcError
    raise ExprcError(f"unknown backend {name!r}; choose one of {', '.join(BACKENDS)}")
