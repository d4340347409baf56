"""Kernel: the callable that exprc.compile returns, the same for every backend.

It binds positional and keyword arguments to the program's variables and parameters,
broadcasts inputs with numpy's rules, hands the backend 1-D views (or 0-d scalars, which the
compiled code broadcasts without copying), and shapes the result.
"""
from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from . import ir
from .dtypes import np_dtype
from .errors import BindError
from .program import Program


class Kernel:
    """A compiled expression. Call as k(x, y), k(x=..., y=...), k(x, y, a=1.5) for parameter a,
    or k(x, y, params={...}); out= takes a preallocated output."""

    def __init__(self, program: Program, backend: str, executable, fastmath: bool, level: int,
                 source_expr: ir.Node | tuple | None = None):
        self.program = program
        self.backend = backend
        self.executable = executable
        self.fastmath = fastmath
        self.optimize = level
        self._source_expr = source_expr

    # --- description
    @property
    def variables(self) -> tuple[str, ...]:
        return self.program.variables

    @property
    def parameters(self) -> tuple[str, ...]:
        return self.program.parameters

    @property
    def dtype(self) -> str:
        return self.program.dtype

    @property
    def expression(self) -> ir.Node:
        """The optimized expression (the first output for multi-output kernels)."""
        return self.program.outputs[0]

    def __repr__(self) -> str:
        outs = ", ".join(str(o) if o.size < 60 else f"<{o.size} nodes>" for o in self.program.outputs)
        return (f"<exprc.Kernel {outs!s} dtype={self.dtype} backend={self.backend}"
                f"{' fastmath' if self.fastmath else ''} variables={list(self.variables)}"
                f"{' parameters=' + str(list(self.parameters)) if self.parameters else ''}>")

    def source(self, kind: str | None = None) -> str:
        """The backend's code as text: 'llvm', 'llvm-opt', 'asm' (llvm backend), 'python'
        (numpy backend), 'c' (any backend), 'triton'."""
        if kind == "c":
            from .backends.c_source import emit_c
            return emit_c(self.program)
        if kind is None:
            return self.executable.source()
        return self.executable.source(kind)

    # --- calling
    def _bind(self, args: tuple, kwargs: dict, params) -> tuple[list, np.ndarray]:
        names = self.program.variables
        if len(args) > len(names):
            raise BindError(f"kernel takes {len(names)} positional input"
                            f"{'s' if len(names) != 1 else ''} ({', '.join(names)}), got {len(args)}")
        values: dict[str, Any] = dict(zip(names, args))
        pvalues: dict[str, Any] = {}
        if params is not None:
            if isinstance(params, dict):
                pvalues.update(params)
            else:
                seq = list(np.asarray(params, dtype=np.float64).reshape(-1))
                if len(seq) != len(self.program.parameters):
                    raise BindError(f"expected {len(self.program.parameters)} parameter values, got {len(seq)}")
                pvalues.update(zip(self.program.parameters, seq))
        for k, v in kwargs.items():
            if k in names:
                if k in values:
                    raise BindError(f"input {k!r} given twice")
                values[k] = v
            elif k in self.program.parameters:
                pvalues[k] = v
            else:
                raise BindError(f"unexpected argument {k!r}; inputs are {list(names)}"
                                + (f", parameters are {list(self.program.parameters)}" if self.program.parameters else ""))
        missing = [n for n in names if n not in values]
        if missing:
            raise BindError(f"missing input{'s' if len(missing) > 1 else ''}: {', '.join(missing)}")
        missing = [n for n in self.program.parameters if n not in pvalues]
        if missing:
            raise BindError(f"missing parameter{'s' if len(missing) > 1 else ''}: {', '.join(missing)}")
        dt = np_dtype(self.dtype)
        arrays = [real_array(values[n], dt, f"input {n!r}") for n in names]
        try:
            pvec = np.array([float(pvalues[n]) for n in self.program.parameters], dtype=dt)
        except (TypeError, ValueError) as exc:
            raise BindError(f"parameters must be scalars: {exc}") from None
        return arrays, pvec

    def __call__(self, *args, out=None, params=None, threads: int | None = None, **kwargs):
        if threads is not None and (isinstance(threads, bool) or not isinstance(threads, numbers.Integral)):
            raise BindError(f"threads must be a whole number, not {threads!r}")
        if self.backend == "triton" and any(type(a).__module__.startswith("torch")
                                            for a in (*args, *kwargs.values())):
            return self.executable.call_torch(self, args, kwargs, params, out)   # stays on the device
        if not kwargs and params is None:
            result = self._fast_call(args, threads, out)
            if result is not None:
                return result
        arrays, pvec = self._bind(args, kwargs, params)
        try:
            shape = np.broadcast_shapes(*(a.shape for a in arrays)) if arrays else ()
        except ValueError:
            raise BindError("input shapes do not broadcast: "
                            + ", ".join(f"{n}{a.shape}" for n, a in zip(self.variables, arrays))) from None
        n = int(np.prod(shape, dtype=np.int64))
        flat = []
        for a in arrays:
            if not native_layout(a):
                a = np.ascontiguousarray(a)
            if a.size == 1:
                flat.append(a.reshape(()))
            elif a.shape == shape:
                flat.append(a.reshape(-1) if a.ndim != 1 else a)
            else:
                flat.append(np.ascontiguousarray(np.broadcast_to(a, shape)).reshape(-1))
        results, work = self._outputs(shape, out, flat)
        if n:
            outs = [w.reshape(-1) if w.ndim != 1 else w for w in work]
            if self.backend == "llvm":
                self.executable.run(flat, pvec, outs, threads=threads)
            else:
                self.executable.run(flat, pvec, outs)
        for w, r in zip(work, results):
            if w is not r:
                r[...] = w
        if out is None and shape == ():
            results = [r[()] for r in results]
        return results[0] if len(results) == 1 else tuple(results)

    _NO_PARAMS = np.empty(0)

    def _fast_call(self, args, threads, out=None):
        """The common case without the general binding: same-length 1-D contiguous arrays of
        the kernel's dtype, no parameters, one output (out= a matching array that does not
        partly overlap an input). None when the case does not apply."""
        p = self.program
        if p.parameters or len(args) != len(p.variables) or len(p.outputs) != 1 or not args:
            return None
        dt = np_dtype(self.dtype)
        n = None
        for a in args:
            if (type(a) is not np.ndarray or a.dtype != dt or a.ndim != 1 or not a.flags.c_contiguous
                    or not a.flags.aligned or (n is not None and a.shape[0] != n)):
                return None
            n = a.shape[0]
        if out is None:
            out = np.empty(n, dtype=np_dtype(p.outputs[0].dtype))
        elif (type(out) is not np.ndarray or out.ndim != 1 or out.shape[0] != n
              or out.dtype != np_dtype(p.outputs[0].dtype) or not out.flags.c_contiguous
              or not out.flags.writeable or not out.flags.aligned
              or any(np.may_share_memory(out, a) and not _same_view(out, a) for a in args)):
            return None
        if n:
            if self.backend == "llvm":
                self.executable.run(list(args), self._NO_PARAMS, [out], threads=threads)
            else:
                self.executable.run(list(args), self._NO_PARAMS, [out])
        return out

    def _outputs(self, shape, out, inputs):
        """(arrays to return, arrays the backend writes); they differ when out= cannot be written
        in place (non-flattenable layout or memory overlapping an input)."""
        dts = [np_dtype(d) for d in self.program.output_dtypes]
        if out is None:
            made = [np.empty(shape, dtype=d) for d in dts]
            return made, made
        given = list(out) if isinstance(out, (tuple, list)) else [out]
        if len(given) != len(dts):
            raise BindError(f"out= needs {len(dts)} arrays")
        work = []
        for o, d in zip(given, dts):
            if not isinstance(o, np.ndarray) or o.shape != tuple(shape) or o.dtype != d:
                raise BindError(f"out= must be a {d} array of shape {tuple(shape)}")
            if not o.flags.writeable:
                raise BindError("out= array is read-only")
            direct = (o.ndim == 1 or o.flags.c_contiguous) and native_layout(o) and not any(
                np.may_share_memory(o, a) and not _same_view(o, a) for a in inputs)
            work.append(o if direct else np.empty(shape, dtype=d))
        return given, work


def real_array(value, dt: np.dtype, what: str) -> np.ndarray:
    """value as an array of dtype dt; BindError for what is not real numbers (complex, object,
    string, structured or datetime data), which numpy would cast with a warning or garble."""
    a = value if isinstance(value, np.ndarray) else np.asarray(value)
    if a.dtype.kind == "O":       # Python numbers (big ints, Fractions...) convert; the rest not
        try:
            return np.asarray(a, dtype=dt)
        except (TypeError, ValueError, OverflowError):
            pass
    if a.dtype.kind not in "biuf":
        hint = "; pass .real, .imag or abs() of it" if a.dtype.kind == "c" else ""
        raise BindError(f"{what} has dtype {a.dtype}: exprc computes on real numbers "
                        f"(bool, integer or float){hint}")
    return a.astype(dt, copy=False)


def native_layout(a: np.ndarray) -> bool:
    """Whether compiled code can address a directly: aligned, and a stride that is a whole
    number of items (a field of a packed structured array is neither)."""
    return a.flags.aligned and (a.ndim == 0 or all(s % a.itemsize == 0 for s in a.strides))


def _same_view(a: np.ndarray, b: np.ndarray) -> bool:
    """An output that is exactly an input (in-place update) is safe: each row reads then writes."""
    return (a.ndim >= 1 and b.ndim >= 1 and a.ctypes.data == b.ctypes.data and a.size == b.size
            and a.strides[-1:] == b.strides[-1:])
