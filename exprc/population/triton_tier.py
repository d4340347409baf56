"""The population on a GPU: the same bytecode through the Triton population kernel."""
from __future__ import annotations

import numpy as np

from . import encoding as enc


def run(pop, cols, n, flat, poff, mode: str, y=None) -> np.ndarray:
    """Evaluate the population's bytecode with the Triton population kernel (one launch)."""
    import torch
    from ..backends import triton_backend as tb
    tb.require_triton()
    dev = tb.device()
    module = tb.load_module(tb.population_source(pop.dtype), interpret=tb.interpreting())
    code = pop.bytecode()
    B = enc.TRITON_BLOCK
    n_pad = -(-max(n, 1) // B) * B
    X = np.ones((cols.shape[0], n_pad), dtype=cols.dtype)
    X[:, :min(n_pad, cols.shape[1])] = cols[:, :n_pad]
    n_blocks = n_pad // B
    ncand = code.n
    groups = max(1, min(n_blocks, 4096 // max(ncand, 1)))
    T = lambda a, dt=None: torch.as_tensor(np.ascontiguousarray(a), dtype=dt).to(dev)  # noqa: E731
    tdt = torch.float32 if pop.dtype == "float32" else torch.float64
    vals = code.v32 if pop.dtype == "float32" else code.v64
    scratch = torch.empty(ncand * groups * code.slots * B, dtype=tdt, device=dev)
    out = torch.empty((ncand, n_pad) if mode == "predict" else (1,), dtype=tdt, device=dev)
    partial = torch.zeros((ncand, groups * B), dtype=torch.float64, device=dev)
    yv = T(np.pad(y, (0, max(0, n_pad - len(y))))[:n_pad], tdt) if y is not None else T(np.zeros(1), tdt)
    args = [T(code.op), T(code.dst), T(code.a), T(code.b), T(code.c), T(code.arg), T(vals, tdt),
            T(code.cstart), T(code.res), T(flat, tdt), T(poff), T(X, tdt), n_pad, n, yv, out, partial,
            scratch, n_blocks, groups, T(tb.population_tables(pop.dtype))]
    with tb.LAUNCH_LOCK:
        module.exprc_population[(ncand, groups)](*args, MODE=enc.TRITON_MODES[mode], SLOTS=code.slots, BLOCK=B,
                                                 **tb.launch_options(False))
    return (out if mode == "predict" else partial).cpu().numpy()
