"""The LLVM compile worker: LLVM IR text in, relocatable object bytes out, in a child process.

Why a process: llvmlite's default optimization pipeline leaks native memory each time one is
built and run (measured with llvmlite 0.50: about 58 KB per compile, never returned even after
malloc_trim), so a process that compiles many distinct kernels, like a long search, would
grow without bound. Compiling is a pure function of the IR text, so after the first
target.IN_PROCESS_COMPILES compiles exprc sends them here, and replaces this process every
target.WORKER_COMPILES compiles: the memory it leaked goes with it. Started as
`python -m exprc.backends.llvm.compile_worker`; messages are exprc.ipc's.
"""
from __future__ import annotations

import os
import sys

from exprc.ipc import receive, send, worker_pipes


def main() -> int:
    inp, out = worker_pipes()
    os.environ["EXPRC_COMPILE_WORKER"] = "0"        # compile here, never in a grandchild
    from exprc.backends.llvm import target
    engine = target.engine()
    while True:
        try:
            ir_text = receive(inp)
        except (EOFError, KeyboardInterrupt):
            return 0
        try:
            send(out, ("ok", engine.compile_here(ir_text)))
        except Exception as exc:  # noqa: BLE001 - the parent recompiles in process for the real error
            send(out, ("error", f"{type(exc).__name__}: {exc}"))


if __name__ == "__main__":
    sys.exit(main())
