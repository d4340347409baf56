"""The LLVM backend: vectorized CPU kernels through llvmlite.

A kernel is compiled lazily for each input layout it is called with (contiguous, strided or
broadcast scalar per input), cached in memory by structural hash and on disk as an object
file, and run over row ranges split across the machine's cores for large inputs.
"""
from __future__ import annotations

import ctypes
import functools
import os
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from exprc import ops
from exprc.program import Program

from . import target as _target
from .lower import lower

name = "llvm"

_KernelFn = ctypes.CFUNCTYPE(None, ctypes.c_int64, ctypes.c_int64, ctypes.c_void_p)
_POOL: ThreadPoolExecutor | None = None
_POOL_LOCK = threading.Lock()

PARALLEL_MIN_WORK = 1 << 21   # rows x op cost below which threads cost more than they save
                              # (measured: x*2 gains from 2 threads only beyond ~1e6 rows,
                              # a 25-op expression beyond ~1e5)


@functools.lru_cache(maxsize=1)
def default_threads() -> int:
    env = os.environ.get("EXPRC_NUM_THREADS")
    if env:
        try:
            return max(1, int(env))
        except ValueError:
            from exprc.errors import ExprcError
            raise ExprcError(f"EXPRC_NUM_THREADS must be a whole number, not {env!r}") from None
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def _pool() -> ThreadPoolExecutor:
    global _POOL
    if _POOL is None:
        with _POOL_LOCK:
            if _POOL is None:
                _POOL = ThreadPoolExecutor(max_workers=max(2, default_threads()),
                                           thread_name_prefix="exprc")
    return _POOL


def compiled_function(program: Program, layout: str, fastmath: bool, mathlib: str = "exprc",
                      loss: str | None = None, branches: bool = True):
    """The native function for program and layout: from memory, from disk, or compiled now.
    loss: compile the loss kernel of output 0 against y instead (see lower.KernelEmitter)."""
    key = _target.cache_key(program.digest(), layout, "fast" if fastmath else "strict", mathlib, loss or "",
                            "branches" if branches else "every-branch")
    symbol = "exprc_" + key[:32]
    return _target.native_function(
        key, symbol, lambda: lower(program, layout, _target.target(), fastmath, symbol, mathlib, loss, branches),
        _KernelFn)


def _layout_code(a: np.ndarray) -> tuple[str, int]:
    if a.ndim == 0:
        return "0", 0
    if a.strides[0] == a.itemsize:
        return "c", 1
    return "s", a.strides[0] // a.itemsize


class Executable:
    def __init__(self, program: Program, fastmath: bool, mathlib: str = "exprc", branches: bool = True):
        if mathlib not in ("exprc", "libm"):
            from exprc.errors import ExprcError
            raise ExprcError(f"mathlib must be 'exprc' or 'libm', not {mathlib!r}")
        self.program = program
        self.fastmath = fastmath
        self.mathlib = mathlib
        self.branches = bool(branches)
        self._fns: dict[str, object] = {}    # layout -> native function, skips hashing per call
        self._width = None
        self._cost: int | None = None        # op cost of one row, for the threading decision

    def function(self, layout: str):
        fn = self._fns.get(layout)
        if fn is None:
            fn = self._fns[layout] = compiled_function(self.program, layout, self.fastmath, self.mathlib, branches=self.branches)
        return fn

    def run(self, inputs: list[np.ndarray], params: np.ndarray, outputs: list[np.ndarray],
            threads: int | None = None) -> None:
        """inputs: 1-D arrays of n rows or 0-d scalars, in the program's dtype; outputs: 1-D."""
        n = outputs[0].shape[0] if outputs else 0
        codes, slots = [], []
        for a in inputs:
            code, stride = _layout_code(a)
            codes.append(code)
            slots += [a.ctypes.data, stride]
        slots.append(params.ctypes.data if params.size else 0)
        for o in outputs:
            code, stride = _layout_code(o)
            codes.append(code)
            slots += [o.ctypes.data, stride]
        fn = self.function("".join(codes))
        arr = (ctypes.c_int64 * len(slots))(*slots)
        t = default_threads() if threads is None else max(1, int(threads))
        if self._cost is None:
            self._cost = max(1, sum(ops.REGISTRY[n.op].cost for n in self.program.schedule() if n.args))
        if t == 1 or n * self._cost < PARALLEL_MIN_WORK:
            fn(0, n, arr)
            return
        if self._width is None:
            self._width = _target.target().width(self.program.dtype)
        w = self._width
        chunk = -(-n // t)
        chunk = -(-chunk // w) * w
        starts = list(range(0, n, chunk))
        # the calling thread takes the last chunk itself: one hand-off fewer
        futures = [_pool().submit(fn, s, min(s + chunk, n), arr) for s in starts[:-1]]
        fn(starts[-1], n, arr)
        for f in futures:
            f.result()

    def source(self, kind: str = "llvm") -> str:
        """The kernel as LLVM IR ('llvm'), optimized IR ('llvm-opt') or assembly ('asm'),
        for all-contiguous inputs and outputs."""
        layout = "c" * (len(self.program.variables) + len(self.program.outputs))
        text = lower(self.program, layout, _target.target(), self.fastmath, "exprc_kernel", self.mathlib,
                     branches=self.branches)
        if kind == "llvm":
            return text
        if kind == "llvm-opt":
            return _target.engine().optimized_ir(text)
        if kind == "asm":
            return _target.engine().assembly(text)
        from exprc.errors import ExprcError
        raise ExprcError(f"unknown source kind {kind!r}: use llvm, llvm-opt, asm or c")

    def warm(self, layout: str | None = None) -> None:
        """Compile now (all-contiguous layout unless given) instead of on the first call."""
        layout = layout or "c" * (len(self.program.variables) + len(self.program.outputs))
        compiled_function(self.program, layout, self.fastmath, self.mathlib, branches=self.branches)


MAX_OPS = 200_000   # measured: a 100,000-op sum compiles in 14 s on a busy 2-core machine


def build(program: Program, fastmath: bool = False, mathlib: str = "exprc", branches: bool = True) -> Executable:
    """mathlib: "exprc" inlines exprc's own float32 exp/exp2/log/log2/sin/cos (vecmath.py),
    "libm" calls the C library (vectorized through libmvec where the process has it).
    branches: a where jumps around costly work of a branch no lane of a vector takes (the
    same bits as branches=False, which evaluates every branch for every row).
    Programs of more than MAX_OPS distinct operations are refused: they would take minutes."""
    ops_count = program.op_count()
    if ops_count > MAX_OPS:
        from exprc.errors import CompileError
        raise CompileError(f"the expression has {ops_count:,} distinct operations; the llvm backend "
                           f"compiles at most {MAX_OPS:,} (about 30 s); split it, or use "
                           "backend='numpy' or exprc.Population")
    return Executable(program, fastmath, mathlib, branches)
