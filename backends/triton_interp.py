"""libdevice for Triton's interpreter (TRITON_INTERPRET=1), which cannot run extern functions.

Generated kernels import this module instead of triton.language.extra.libdevice when they run
in the interpreter on CPU tensors; each function computes with numpy on the tensor's data and
rounds to its dtype, as the numpy backend does. On a GPU the real libdevice is used.
"""
from __future__ import annotations

import numpy as np

from exprc import npmath


def _wrap(fn, result_like=0):
    def apply(*args):
        import triton.language as tl
        from triton.runtime.interpreter import TensorHandle
        ref = args[result_like]
        data = [a.handle.data if isinstance(a, tl.tensor) else np.asarray(a) for a in args]
        with np.errstate(all="ignore"):
            out = np.asarray(fn(*data)).astype(ref.handle.data.dtype, copy=False)
        return tl.tensor(TensorHandle(out, ref.dtype.scalar), ref.type)
    return apply


for _name in ("sin", "cos", "tan", "sinh", "cosh", "tanh", "exp", "exp2", "expm1", "log", "log2", "log10",
              "log1p", "cbrt", "rint", "trunc", "fmod", "copysign", "hypot"):
    globals()[_name] = _wrap(getattr(np, _name))
for _name, _np in (("asin", np.arcsin), ("acos", np.arccos), ("atan", np.arctan), ("asinh", np.arcsinh),
                   ("acosh", np.arccosh), ("atanh", np.arctanh), ("atan2", np.arctan2)):
    globals()[_name] = _wrap(_np)
pow = _wrap(npmath.power)            # noqa: A001 - libdevice's name
erf = _wrap(npmath.erf)
erfc = _wrap(npmath.erfc)
tgamma = _wrap(npmath.tgamma)
lgamma = _wrap(npmath.lgamma)
remainder = _wrap(npmath.ieee_remainder)
logb = _wrap(npmath.logb)
ldexp = _wrap(lambda x, k: np.ldexp(x, k.astype(np.int32)))
