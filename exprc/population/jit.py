"""The hot tier: each candidate compiled on its own by the LLVM backend (parameters passed at
call time, so new constant values never recompile). Worth it when a candidate is evaluated
many times on many rows; bit-identical to the interpreter."""
from __future__ import annotations

import ctypes

import numpy as np

from ..dtypes import np_dtype
from .runner import run_split, split, threads_for


class JitTier:
    def __init__(self, pop):
        self.pop = pop
        self.kernels: dict[tuple, object] = {}

    def _function(self, k: int, layout: str, loss: str | None):
        key = (k, layout, loss)
        fn = self.kernels.get(key)
        if fn is None:
            from ..backends.llvm import compiled_function
            from ..program import Program
            pop = self.pop
            program = Program.build([pop.node(k)], pop.dtype, variables=pop.variables,
                                    parameters=pop.parameters[k])
            fn = self.kernels[key] = compiled_function(program, layout, False, "exprc", loss)
        return fn

    def _each(self, fn, threads) -> None:
        n = len(self.pop)

        def run(a, b):
            for k in range(a, b):
                fn(k)
        run_split(run, split(self.pop.sizes.astype(np.float64), threads_for(threads)) if n > 1 else [(0, n)])

    def predict(self, cols, n, flat, poff, threads):
        pop = self.pop
        out = np.empty((len(pop), n), dtype=np_dtype(pop.dtype))
        nv = len(pop.variables)
        layout = "c" * (nv + 1)
        for k in range(len(pop)):      # compile first (the engine is not thread-safe)
            self._function(k, layout, None)

        def one(k):
            slots = []
            for j in range(nv):
                slots += [cols[j].ctypes.data, 1]
            slots += [flat.ctypes.data + poff[k] * flat.itemsize, out[k].ctypes.data, 1]
            self._function(k, layout, None)(0, n, (ctypes.c_int64 * len(slots))(*slots))
        self._each(one, threads)
        return out

    def loss(self, cols, n, yv, metric, flat, poff, acc, threads) -> None:
        pop = self.pop
        nv = len(pop.variables)
        layout = "c" * nv
        for k in range(len(pop)):
            self._function(k, layout, metric)

        def one(k):
            slots = []
            for j in range(nv):
                slots += [cols[j].ctypes.data, 1]
            slots += [flat.ctypes.data + poff[k] * flat.itemsize, yv.ctypes.data, acc[k].ctypes.data]
            self._function(k, layout, metric)(0, n, (ctypes.c_int64 * len(slots))(*slots))
        self._each(one, threads)
