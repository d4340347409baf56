"""The host target, its LLVM target machine, kernel loading and the on-disk object cache.

One target machine runs LLVM for every kernel; each kernel's object is loaded into an engine
of its own, so that its code is freed with it. Objects are cached on disk (keyed by the
program's structural hash and everything that shapes the machine code, signed per user),
so a new process loads a kernel without running LLVM at all.
"""
from __future__ import annotations

import functools
import hashlib
import os
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

from exprc import cache


@functools.lru_cache(maxsize=1)
def _codegen_version() -> str:
    """A hash of the sources that shape generated code, so an edited exprc never loads a
    stale object from the disk cache."""
    import importlib
    h = hashlib.sha256()
    for name in ("exprc.backends.llvm.lower", "exprc.ops", "exprc.program", "exprc.numbers",
                 "exprc.vecmath", "exprc.branches", "exprc.special", "exprc.special.bessel",
                 "exprc.special.debye"):
        mod = importlib.import_module(name)
        try:
            h.update(Path(mod.__file__).read_bytes())
        except OSError:  # pragma: no cover - frozen installs
            h.update(getattr(mod, "__name__", "?").encode())
    return h.hexdigest()[:16]

_LOCK = threading.RLock()
_TARGET = None


@dataclass(frozen=True)
class Target:
    triple: str
    cpu: str
    features: str
    isa: str | None            # libmvec ISA letter: e (AVX-512), d (AVX2), b (SSE4), None
    lanes: dict                # vector lanes per dtype
    libmvec: frozenset         # vector math symbols available in this process
    llvm_version: str

    @property
    def llvm_major(self) -> int:
        return int(self.llvm_version.split(".")[0])

    def width(self, dtype: str) -> int:
        return self.lanes[dtype]

    def fingerprint(self) -> str:
        return "|".join([_codegen_version(), self.llvm_version, self.triple, self.cpu, self.features,
                         self.isa or "-", str(len(self.libmvec))])


def _libmvec_symbols(isa: str | None, lanes: dict) -> frozenset:
    import llvmlite.binding as llvm
    if isa is None:
        return frozenset()
    for lib in ("libmvec.so.1", "libmvec.so"):
        try:
            llvm.load_library_permanently(lib)
            break
        except RuntimeError:
            continue
    else:
        return frozenset()
    from exprc import ops
    names = set()
    for op in ops.REGISTRY.values():
        if op.llvm and op.llvm[0] == "libm":
            for dtype, suffix in (("float32", "f"), ("float64", "")):
                sym = vector_name(isa, lanes[dtype], op.arity, op.llvm[1] + suffix)
                if llvm.address_of_symbol(sym):
                    names.add(sym)
    return frozenset(names)


def vector_name(isa: str, lanes: int, arity: int, scalar: str) -> str:
    """The x86 vector-function ABI name, e.g. _ZGVeN16v_sinf (libmvec's naming)."""
    return f"_ZGV{isa}N{lanes}{'v' * arity}_{scalar}"


def target() -> Target:
    global _TARGET
    if _TARGET is None:
        with _LOCK:
            if _TARGET is None:
                import llvmlite
                import llvmlite.binding as llvm
                llvm.initialize_native_target()
                llvm.initialize_native_asmprinter()
                triple = llvm.get_process_triple()
                cpu = llvm.get_host_cpu_name()
                feats = llvm.get_host_cpu_features()
                features = feats.flatten()
                has = {k for k, v in feats.items() if v}
                if triple.startswith("x86_64") and "avx512f" in has:
                    isa, lanes = "e", {"float32": 16, "float64": 8}
                elif triple.startswith("x86_64") and "avx2" in has:
                    isa, lanes = "d", {"float32": 8, "float64": 4}
                elif triple.startswith("x86_64"):
                    isa, lanes = "b", {"float32": 4, "float64": 2}
                else:
                    isa, lanes = None, {"float32": 4, "float64": 2}
                version = ".".join(map(str, llvm.llvm_version_info)) + "/" + llvmlite.__version__
                _TARGET = Target(triple, cpu, features, isa, lanes,
                                 _libmvec_symbols(isa, lanes), version)
    return _TARGET


LARGE_FUNCTION_LINES = 20_000   # IR lines beyond which machine code is generated at -O0


class Engine:
    """The process's target machines, which run LLVM (optimize, codegen) for every kernel.

    Why two: LLVM's optimizing passes and code generator take time quadratic in the size of a
    basic block (12 s of codegen for a 40,000-op sum, 25 s of IR passes for a 20,000-op one
    whose constants come from a table), where -O0 takes well under a second. So kernels of
    more than LARGE_FUNCTION_LINES lines of IR are built at -O0; the bits are the same (no
    level contracts or reassociates), only the code is slower."""

    def __init__(self):
        import llvmlite.binding as llvm
        t = target()
        self.llvm = llvm
        self.tm = _target_machine(t)
        self._tm_fast = None
        self.compiles = 0
        self._worker = _CompileWorker()

    def _build(self, ir_text: str):
        """The optimized module and the target machine for its code."""
        mod = self.llvm.parse_assembly(ir_text)
        mod.verify()
        if ir_text.count("\n") <= LARGE_FUNCTION_LINES:
            self.optimize(mod)
            return mod, self.tm
        if self._tm_fast is None:
            self._tm_fast = _target_machine(target(), opt=0)
        self.optimize(mod, 0)
        return mod, self._tm_fast

    def optimize(self, module, level: int = 2):
        pto = self.llvm.create_pipeline_tuning_options(speed_level=level)
        pb = self.llvm.create_pass_builder(self.tm, pto)
        pb.getModulePassManager().run(module, pb)

    def compile_object(self, ir_text: str) -> bytes:
        """LLVM IR text to a relocatable object (verify, optimize, codegen): in this process
        for the first IN_PROCESS_COMPILES, then in the compile worker (see compile_worker.py:
        llvmlite leaks memory per compile); in this process again whenever the worker fails,
        so an error is always the one LLVM gives here."""
        self.compiles += 1
        if self.compiles > IN_PROCESS_COMPILES and os.environ.get("EXPRC_COMPILE_WORKER", "1") != "0":
            obj = self._worker.compile(ir_text)
            if obj is not None:
                return obj
        return self.compile_here(ir_text)

    def compile_here(self, ir_text: str) -> bytes:
        mod, tm = self._build(ir_text)
        return tm.emit_object(mod)

    def assembly(self, ir_text: str) -> str:
        mod, tm = self._build(ir_text)
        return tm.emit_assembly(mod)

    def optimized_ir(self, ir_text: str) -> str:
        return str(self._build(ir_text)[0])


IN_PROCESS_COMPILES = 1000   # compiles this process does itself (about 60 MB of llvmlite's leak)
WORKER_COMPILES = 2000       # compiles one worker process does before it is replaced


class _CompileWorker:
    """The child process that compiles for Engine.compile_object, replaced every
    WORKER_COMPILES compiles; compile() returns None on any failure of the worker."""

    def __init__(self):
        import atexit
        self.proc = None
        self.done = 0
        atexit.register(self.close)

    def compile(self, ir_text: str) -> bytes | None:
        from exprc.ipc import receive, send
        try:
            if self.proc is None or self.done >= WORKER_COMPILES:
                self.close()
                self._start()
            send(self.proc.stdin, ir_text)
            kind, payload = receive(self.proc.stdout)
        except (OSError, EOFError, ValueError):
            self.close()
            return None
        self.done += 1
        return payload if kind == "ok" else None

    def _start(self) -> None:
        from exprc.ipc import start_worker
        self.proc = start_worker("exprc.backends.llvm.compile_worker")
        self.done = 0

    def close(self) -> None:
        p, self.proc = self.proc, None
        if p is None:
            return
        try:
            p.stdin.close()
            p.wait(timeout=5)
        except Exception:  # noqa: BLE001 - a stuck or dead worker is ended
            p.kill()
        if p.stdout:
            p.stdout.close()


def _target_machine(t: Target, opt: int = 3):
    import llvmlite.binding as llvm
    return llvm.Target.from_triple(t.triple).create_target_machine(
        cpu=t.cpu, features=t.features, opt=opt, reloc="default", codemodel="jitdefault")


def load_object(symbol: str, obj: bytes, functype):
    """A ctypes function for symbol in obj, loaded into an MCJIT engine of its own.

    Why one engine per kernel: an engine frees its code only when it is destroyed, so the
    function object holds its engine (attribute _exprc_engine) and the code lives exactly
    as long as someone can still call it (measured: 0.85 ms a load, RSS flat over 20,000
    loads, where one shared engine grew 90 KB a kernel forever)."""
    import llvmlite.binding as llvm
    ee = llvm.create_mcjit_compiler(llvm.parse_assembly(""), _target_machine(target()))
    ee.add_object_file(llvm.ObjectFileRef.from_data(obj))
    ee.finalize_object()
    addr = ee.get_function_address(symbol)
    if not addr:
        raise RuntimeError(f"symbol {symbol} not found in compiled object")
    fn = functype(addr)
    fn._exprc_engine = ee
    return fn


_ENGINE: Engine | None = None


def engine() -> Engine:
    global _ENGINE
    if _ENGINE is None:
        with _LOCK:
            if _ENGINE is None:
                _ENGINE = Engine()
    return _ENGINE


def lock() -> threading.RLock:
    return _LOCK


# ------------------------------------------------------------------------- disk cache

def cache_dir() -> Path | None:
    """Where compiled objects live (private to the user, see exprc.cache); None when
    EXPRC_CACHE=0 turns the disk cache off or no private directory can be had."""
    return cache.cache_subdir("llvm")


_CODE_FINGERPRINT: list[str] = []


def code_fingerprint() -> str:
    """A hash of the code that decides what a compiled object contains: exprc's and its
    backends' Python sources and data (lowering, passes, math library designs). Part of every
    cache key, so an upgraded or edited exprc never runs an object the old code compiled."""
    if not _CODE_FINGERPRINT:
        import exprc
        from exprc import backends
        h = hashlib.sha256()
        for root in (Path(exprc.__file__).parent, Path(backends.__file__).parent):
            for path in sorted(root.rglob("*")):
                if path.suffix in (".py", ".json", ".lark") and "__pycache__" not in path.parts:
                    h.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes())
        _CODE_FINGERPRINT.append(h.hexdigest()[:16])
    return _CODE_FINGERPRINT[0]


def cache_key(*parts: str) -> str:
    return hashlib.sha256("\x1f".join((target().fingerprint(), code_fingerprint()) + parts).encode()).hexdigest()


def cache_read(key: str) -> bytes | None:
    """The object for key when the disk holds one this user's exprc wrote for this key (the
    signature is checked before LLVM sees a byte); else None."""
    d = cache_dir()
    return None if d is None else cache.read_signed(d / f"{key}.o", key)


def cache_write(key: str, obj: bytes) -> None:
    d = cache_dir()
    if d is not None:
        cache.write_signed(d / f"{key}.o", obj, key)   # a full disk only costs a recompile


MEMORY_CACHE_SIZE = 2048   # native functions kept by this process beyond those kernels hold
_NATIVE: "OrderedDict[str, object]" = OrderedDict()   # cache key -> ctypes function, LRU


def native_function(key: str, symbol: str, make_ir, functype):
    """The native function `symbol` for cache key: from this process, else from the disk cache,
    else compiled from make_ir() now (and written to the disk cache). The process keeps the
    MEMORY_CACHE_SIZE most recently used; an evicted one's code is freed once no kernel holds it."""
    with _LOCK:
        fn = _NATIVE.get(key)
        if fn is not None:
            _NATIVE.move_to_end(key)
            return fn
        obj = cache_read(key)
        if obj is None:
            obj = engine().compile_object(make_ir())
            cache_write(key, obj)
        fn = _NATIVE[key] = load_object(symbol, obj, functype)
        while len(_NATIVE) > MEMORY_CACHE_SIZE:
            _NATIVE.popitem(last=False)
        return fn
