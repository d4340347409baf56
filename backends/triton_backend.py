"""The Triton backend: GPU kernels generated from the IR through the same op registry.

A Program becomes the Python source of a @triton.jit kernel, elementwise over rows, tiled in
blocks of BLOCK rows with a masked tail; parameters are a small tensor argument, so new values
never recompile. Triton wants kernels in real files: the source goes to a cache directory keyed
by the program's structural hash and is imported from there.

Strict semantics: division is tl.div_rn and square root tl.sqrt_rn (correctly rounded, not
the approximate defaults), FMA contraction and libdevice's flush-to-zero are pinned off at
every launch (enable_fp_fusion, enable_reflect_ftz: Triton's defaults change between releases), min/max/copysign follow the language's IEEE
rules, and exp/exp2/log/log2/sin/cos use exprc's own implementations (vecmath.py) as the LLVM
backend does; other functions use libdevice.

Without a CUDA GPU, kernels run in Triton's interpreter when TRITON_INTERPRET=1, on CPU tensors.
"""
from __future__ import annotations

import functools
import hashlib
import linecache
import math
import os
import struct
import sys
import threading
import types

import numpy as np

from exprc import branches, ir, ops
from exprc.dtypes import BOOL, np_dtype
from exprc.errors import CompileError, ExprcError
from exprc.npbits import table_array
from exprc.numbers import round_value
from exprc.program import Program, expand_for

name = "triton"
BLOCK = 1024
_TL_DTYPE = {"float32": "tl.float32", "float64": "tl.float64", BOOL: "tl.int1", "int32": "tl.int32",
             "int64": "tl.int64"}
_SUFFIX = {"float32": "f32", "float64": "f64"}
_WIDTH = {"float32": 32, "float64": 64, "int32": 32, "int64": 64}
_LOCK = threading.Lock()
# Kernel launches, one at a time: Triton's interpreter patches triton.language globally while a
# kernel runs, and a first launch compiles, so two threads launching at once break each other
# (measured: "Did you forget to add @triton.jit?" from a second thread). Uncontended, the lock
# costs far less than a launch.
LAUNCH_LOCK = threading.RLock()
# tl.div_rn and tl.sqrt_rn take float32 only; float64 division and sqrt round correctly anyway
_FLOAT64_SPELLING = {"tl.div_rn({0}, {1})": "({0} / {1})", "tl.sqrt_rn({0})": "tl.sqrt({0})"}

HELPERS = '''
@triton.jit
def exprc_minimum_{t}(a, b):
    # IEEE 754-2019 minimum: NaN propagates, -0 < +0
    neg = a.to({itype}, bitcast=True) < 0
    r = tl.where(a < b, a, b)
    r = tl.where(a == b, tl.where(neg, a, b), r)
    return tl.where((a != a) | (b != b), a + b, r)


@triton.jit
def exprc_maximum_{t}(a, b):
    neg = a.to({itype}, bitcast=True) < 0
    r = tl.where(a > b, a, b)
    r = tl.where(a == b, tl.where(neg, b, a), r)
    return tl.where((a != a) | (b != b), a + b, r)


@triton.jit
def exprc_ldexp_{t}(x, n):
    # x * 2**trunc(n), the count saturated to +-2**30; NaN when n is NaN
    k = tl.minimum(tl.maximum(libdevice.trunc(n), -1073741824.0), 1073741824.0)
    k = tl.where(n != n, 0.0, k)
    r = libdevice.ldexp(x, k.to(tl.int32))
    return tl.where(n != n, n, r)


@triton.jit
def exprc_toint_{t}(a):
    # truncated toward zero, saturating; NaN gives 0 (LLVM's fptosi.sat)
    big = a >= {ilimit}
    small = a < -{ilimit}
    safe = tl.where(big | small | (a != a), 0.0, a).to({itype})
    return tl.where(big, {imax}, tl.where(small, -{imax} - 1, safe))
'''


def require_triton():
    try:
        import torch  # noqa: F401
        import triton  # noqa: F401
    except ImportError as exc:
        raise CompileError("the triton backend needs the triton extra: pip install 'exprc[triton]' "
                           f"({exc.name} is missing)") from None


def interpreting() -> bool:
    return os.environ.get("TRITON_INTERPRET", "0") not in ("", "0")


def device():
    import torch
    if torch.cuda.is_available() and not interpreting():
        return torch.device("cuda")
    if interpreting():
        return torch.device("cpu")
    raise CompileError("the triton backend needs a CUDA GPU, or TRITON_INTERPRET=1 to run kernels "
                       "in Triton's interpreter on the CPU")


def _literal(node: ir.Node, block: str) -> str:
    if node.dtype == BOOL:
        return f"tl.full([{block}], {1 if node.value else 0}, tl.int1)"
    if node.dtype in ("int32", "int64"):
        return f"tl.full([{block}], {int(round_value(node.value, node.dtype))}, {_TL_DTYPE[node.dtype]})"
    x = float(round_value(node.value, node.dtype))
    text = (f'float("{x}")' if not math.isfinite(x)
            else repr(x) if x != 0 or math.copysign(1, x) > 0 else "-0.0")
    return f"tl.full([{block}], {text}, {_TL_DTYPE[node.dtype]})"


def prepare(program: Program, mathlib: str = "exprc", fastmath: bool = False) -> Program:
    """The program as the Triton lowering sees it: expansions applied, own math inlined."""
    outputs = expand_for(program.outputs, "triton")
    if mathlib == "exprc":
        from exprc import vecmath
        outputs = vecmath.expand(outputs, program.dtype, fastmath)
        outputs = expand_for(outputs, "triton")
    return program.with_outputs(outputs)


class TableBuffer:
    """Every constant table of a kernel in one float64 buffer (the kernel argument `tabs`):
    each table at its offset, float32 entries held exactly as float64 and converted on load."""

    def __init__(self):
        self.offsets: dict[tuple, int] = {}
        self.parts: list[np.ndarray] = []
        self.size = 0

    def expression(self, n: ir.Node, index: str) -> str:
        key = (n.dtype, n.value)
        if key not in self.offsets:
            self.offsets[key] = self.size
            self.parts.append(table_array(n.value, n.dtype).astype(np.float64))
            self.size += len(n.value)
        at = f"tabs + ({self.offsets[key]} + tl.minimum(tl.maximum({index}, 0), {len(n.value) - 1}))"
        return f"tl.load({at})" + (".to(tl.float32)" if n.dtype == "float32" else "")

    def array(self) -> np.ndarray:
        return np.concatenate(self.parts) if self.parts else np.zeros(1)


def _format_names(n: ir.Node, dtype: str) -> dict:
    """The placeholders an op's Triton template may use, for the width it works at."""
    op = ops.REGISTRY[n.op]
    width = _WIDTH[ir.float_dtype(n.args[0] if op.kind in ops.BIT_KINDS else n, dtype)]
    return {"t": "f32" if width == 32 else "f64", "it": f"tl.int{width}", "ut": f"tl.uint{width}",
            "ft": f"tl.float{width}", "m": width - 1}


def emit_lines(outputs, leaf, dtype: str, block: str, indent: str = "    ", prefix: str = "t",
               tables: TableBuffer | None = None):
    """Triton statements computing outputs (a prepared DAG); leaf(node) gives the expression of
    a variable or parameter. A where's costly branch (exprc/branches.py) runs under an `if`
    that the whole block skips when none of its lanes takes it; the results are the same.
    Returns (lines, names of the outputs)."""
    outputs = list(outputs)
    regions = branches.regions(outputs)
    lines, names = [], {}
    count = [0]

    def name_of() -> str:
        count[0] += 1
        return f"{prefix}{count[0]}"

    def emit(items, ind: str) -> None:
        for n in items:
            if isinstance(n, tuple):
                branch(n, ind)
                continue
            if n.op in (ir.VAR, ir.PARAM):
                expr = leaf(n)
            elif n.op == ir.CONST:
                expr = _literal(n, block)
            elif not n.args:
                raise CompileError(f"unfolded named constant {n.op}")
            else:
                op = ops.REGISTRY[n.op]
                nd = ir.float_dtype(n, dtype)          # float64 work inside a float32 program
                template = _FLOAT64_SPELLING.get(op.triton, op.triton) if nd == "float64" else op.triton
                if n.op == "table":
                    if tables is None:
                        raise CompileError("a table op needs the kernel's table buffer")
                    expr = tables.expression(n, names[id(n.args[0])])
                else:
                    expr = template.format(*[names[id(a)] for a in n.args], **_format_names(n, dtype))
            names[id(n)] = name_of()
            lines.append(f"{ind}{names[id(n)]} = {expr}")

    def branch(key, ind: str) -> None:
        members = regions.members.get(key)
        if not members:
            return
        cond = names[id(regions.conds[key])]
        results = [a for a in regions.results.get(key, ())]
        test = f"exprc_any({cond})" if key[1] == 1 else f"not exprc_all({cond})"
        outs = [name_of() for _ in results]
        for o, a in zip(outs, results):          # what the block reads when it skips: no lane
            lines.append(f"{ind}{o} = tl.full([{block}], 0, {_TL_DTYPE[a.dtype]})")
        lines.append(f"{ind}if {test}:")
        emit(members, ind + "    ")
        for o, a in zip(outs, results):
            lines.append(f"{ind}    {o} = {names[id(a)]}")
        lines.append(f"{ind}    pass")
        for o, a in zip(outs, results):
            names[id(a)] = o
    emit(regions.members[None], indent)
    return lines, [names[id(o)] for o in outputs]


# Whether any / every lane of a block holds: the test of a skippable branch. tl.reduce (a
# builtin) with our own combine functions rather than tl.max, which Triton's interpreter cannot
# run when triton was imported before TRITON_INTERPRET was set.
BLOCK_TESTS = """
@triton.jit
def _exprc_or(a, b):
    return a | b


@triton.jit
def _exprc_and(a, b):
    return a & b


@triton.jit
def exprc_any(c):
    return tl.reduce(c.to(tl.int32), 0, _exprc_or) != 0


@triton.jit
def exprc_all(c):
    return tl.reduce(c.to(tl.int32), 0, _exprc_and) != 0

"""


def _module_header(title: str, fastmath: bool, dtype: str) -> str:
    lines = [f'"""Generated by exprc: {title}',
             f"dtype {dtype}; {'fast-math' if fastmath else 'strict IEEE: launch with enable_fp_fusion=False'}"
             '"""',
             "import os", "import triton", "import triton.language as tl",
             'if os.environ.get("TRITON_INTERPRET", "0") not in ("", "0"):',
             "    from exprc.backends import triton_interp as libdevice   # numpy stand-ins for the interpreter",
             "else:", "    from triton.language.extra import libdevice", ""]
    helpers = [HELPERS.format(t=_SUFFIX[d], itype="tl.int32" if d == "float32" else "tl.int64",
                              ilimit="2147483648.0" if d == "float32" else "9223372036854775808.0",
                              imax="2147483647" if d == "float32" else "9223372036854775807")
               for d in (["float32", "float64"] if dtype == "float32" else ["float64"])]
    return "\n".join(lines) + BLOCK_TESTS + "".join(helpers)      # float32 programs may hold float64 work


def triton_source(program: Program, fastmath: bool = False, mathlib: str = "exprc",
                  kernel_name: str = "exprc_kernel") -> str:
    """Python source of the kernel: `kernel_name(in0, s0, ..., params, out0, ..., tabs, n, BLOCK)`."""
    return kernel_source(program, fastmath, mathlib, kernel_name)[0]


def kernel_source(program: Program, fastmath: bool = False, mathlib: str = "exprc",
                  kernel_name: str = "exprc_kernel") -> tuple[str, np.ndarray]:
    """The kernel's source and its table buffer (the `tabs` argument)."""
    p = prepare(program, mathlib, fastmath)
    nin = len(p.variables)
    tables = TableBuffer()
    args = [f"in{k}, s{k}" for k in range(nin)] + ["params"] + [f"out{k}" for k in range(len(p.outputs))] + ["tabs"]
    var_index = {v: k for k, v in enumerate(p.variables)}
    param_index = {v: k for k, v in enumerate(p.parameters)}

    def leaf(n: ir.Node) -> str:
        if n.op == ir.VAR:
            j = var_index[n.value]
            return f"tl.load(in{j} + offs * s{j}, mask=m, other=1.0)"
        return f"tl.load(params + {param_index[n.value]})"
    lines, outs = emit_lines(p.outputs, leaf, p.dtype, "BLOCK", tables=tables)
    body = ["    pid = tl.program_id(0).to(tl.int64)",
            "    offs = pid * BLOCK + tl.arange(0, BLOCK)",
            "    m = offs < n"] + lines
    body += [f"    tl.store(out{k} + offs, {name}, mask=m)" for k, name in enumerate(outs)]
    shown = "; ".join(str(o) if o.size < 120 else f"<{o.size}-node expression>" for o in program.outputs)
    kernel = ["", "@triton.jit", f"def {kernel_name}({', '.join(args)}, n, BLOCK: tl.constexpr):"] + body
    return _module_header(shown.replace(chr(34), chr(39)), fastmath, p.dtype) + "\n".join(kernel) + "\n", tables.array()


def population_source(dtype: str, mathlib: str = "exprc", fastmath: bool = False) -> str:
    """A bytecode interpreter for many candidates in one launch (grid: candidates x row groups),
    the same bytecode as the CPU population engine; losses reduced inside the kernel. Its
    `tabs` argument is population_tables(dtype, mathlib)."""
    return _population(dtype, mathlib, fastmath)[0]


def population_tables(dtype: str, mathlib: str = "exprc") -> np.ndarray:
    """The table buffer of the population interpreter (the opcodes' own math uses tables)."""
    return _population(dtype, mathlib, False)[1]


@functools.lru_cache(maxsize=None)
def _population(dtype: str, mathlib: str, fastmath: bool) -> tuple[str, np.ndarray]:
    from exprc.population.encoding import LEAF_CONST, LEAF_PARAM, LEAF_VAR, OPCODE_OF, TRITON_MODES, XBASE, opcode_node
    dt = _TL_DTYPE[dtype]
    helpers, branches = [], []
    tables = TableBuffer()
    for opname, code in OPCODE_OF.items():
        node = opcode_node(opname, dtype)
        prog = prepare(Program((node,), ("a", "b", "c"), (), dtype), mathlib)
        lines, outs = emit_lines(prog.outputs, lambda n: n.value, dtype, "BLOCK", tables=tables)
        result = outs[0] if node.dtype != BOOL else f"{outs[0]}.to({dt})"
        helpers += ["", "@triton.jit", f"def op_{opname}(a, b, c, tabs, BLOCK: tl.constexpr):"] + lines + [
            f"    return {result}"]
        branches.append(f"            elif o == {code}:\n                r = op_{opname}(va, vb, vc, tabs, BLOCK)")
    kernel = f'''

@triton.jit
def operand(X, base, slot, rows, lane, n_pad, BLOCK: tl.constexpr):
    if slot >= {XBASE}:
        v = tl.load(X + (slot - {XBASE}).to(tl.int64) * n_pad + rows)
    else:
        v = tl.load(base + slot * BLOCK + lane)
    return v


@triton.jit
def exprc_population(op, dst, a, b, c, arg, vals, cstart, res, params, poff, X, n_pad, n_rows, y, out,
                     partial, scratch, n_blocks, groups, tabs, MODE: tl.constexpr, SLOTS: tl.constexpr,
                     BLOCK: tl.constexpr):
    cand = tl.program_id(0)
    g = tl.program_id(1)
    lane = tl.arange(0, BLOCK)
    base = scratch + (cand.to(tl.int64) * groups + g) * (SLOTS * BLOCK)
    i0 = tl.load(cstart + cand)
    i1 = tl.load(cstart + cand + 1)
    pb = params + tl.load(poff + cand)
    acc = tl.full([BLOCK], 0.0, tl.float64)
    for blk in range(g, n_blocks, groups):
        rows = blk * BLOCK + lane
        for i in range(i0, i1):
            o = tl.load(op + i)
            va = operand(X, base, tl.load(a + i), rows, lane, n_pad, BLOCK)
            vb = operand(X, base, tl.load(b + i), rows, lane, n_pad, BLOCK)
            vc = operand(X, base, tl.load(c + i), rows, lane, n_pad, BLOCK)
            if o == {LEAF_VAR}:
                r = tl.load(X + tl.load(arg + i).to(tl.int64) * n_pad + rows)
            elif o == {LEAF_CONST}:
                r = tl.full([BLOCK], tl.load(vals + i), {dt})
            elif o == {LEAF_PARAM}:
                r = tl.full([BLOCK], tl.load(pb + tl.load(arg + i)), {dt})
{chr(10).join(branches)}
            else:
                r = va
            tl.store(base + tl.load(dst + i) * BLOCK + lane, r)
        pred = tl.load(base + tl.load(res + cand) * BLOCK + lane)
        if MODE == {TRITON_MODES["predict"]}:
            tl.store(out + cand.to(tl.int64) * n_pad + rows, pred)
        else:
            valid = rows < n_rows
            d = (pred - tl.load(y + rows)).to(tl.float64)
            if MODE == {TRITON_MODES["mse"]}:
                v = d * d
            else:
                v = tl.abs(d)
            v = tl.where(valid, v, 0.0)
            if MODE == {TRITON_MODES["max"]}:
                acc = tl.where((acc != acc) | (v != v), float("nan"), tl.maximum(acc, v))
            else:
                acc += v
    if MODE != {TRITON_MODES["predict"]}:
        # per-lane partials; the host adds the lanes and groups in a fixed order
        tl.store(partial + (cand.to(tl.int64) * groups + g) * BLOCK + lane, acc)
'''
    return _module_header("population interpreter", fastmath, dtype) + "\n".join(helpers) + kernel, tables.array()


def load_module(source: str, interpret: bool):
    """The generated source as a module, run from memory: no file is written or read, so no
    planted or truncated file can ever be imported. Triton reads a kernel's source through
    inspect, so the text is registered with linecache under a name that is no path. Triton
    decides at decoration time whether a kernel is interpreted, so each mode gets its own
    module; a module whose execution fails is not kept."""
    digest = hashlib.sha256(source.encode()).hexdigest()[:24]
    modname = f"exprc_triton_{digest}_{'i' if interpret else 'c'}"
    filename = f"<exprc-triton-{digest}>"
    with _LOCK:
        if modname in sys.modules:
            return sys.modules[modname]
        lines = source.splitlines(keepends=True)
        linecache.cache[filename] = (len(source), None, lines, filename)   # mtime None: never re-read
        old = os.environ.get("TRITON_INTERPRET")
        os.environ["TRITON_INTERPRET"] = "1" if interpret else "0"
        module = types.ModuleType(modname)
        module.__file__ = filename
        sys.modules[modname] = module
        try:
            exec(compile(source, filename, "exec"), module.__dict__)
        except BaseException:
            sys.modules.pop(modname, None)
            raise
        finally:
            if old is None:
                os.environ.pop("TRITON_INTERPRET", None)
            else:
                os.environ["TRITON_INTERPRET"] = old
        return module


def signature(program: Program, mathlib: str = "exprc") -> dict:
    p = program
    ptr = "*fp32" if p.dtype == "float32" else "*fp64"
    sig = {}
    for k in range(len(p.variables)):
        sig[f"in{k}"] = ptr
        sig[f"s{k}"] = "i64"
    sig["params"] = ptr
    for k, o in enumerate(p.outputs):
        sig[f"out{k}"] = "*i1" if o.dtype == BOOL else ptr
    sig["tabs"] = "*fp64"
    sig["n"] = "i64"
    sig["BLOCK"] = "constexpr"
    return sig


def launch_options(fastmath: bool) -> dict:
    """Pinned compiler options: no FMA contraction and no flush-to-zero inside libdevice in
    strict mode (Triton's defaults for both have changed between releases)."""
    return {"enable_fp_fusion": bool(fastmath), "enable_reflect_ftz": bool(fastmath)}


def compile_ptx(source: str, kernel_name: str, sig: dict, fastmath: bool, arch: int = 90) -> str:
    """PTX for an NVIDIA GPU of compute capability `arch`, with no GPU present."""
    import triton
    from triton.backends.compiler import GPUTarget
    module = load_module(source, interpret=False)
    fn = getattr(module, kernel_name)
    src = triton.compiler.ASTSource(fn=fn, signature=sig, constexprs={"BLOCK": BLOCK})
    compiled = triton.compile(src, target=GPUTarget("cuda", arch, 32), options=launch_options(fastmath))
    return compiled.asm["ptx"]


class Executable:
    def __init__(self, program: Program, fastmath: bool = False, mathlib: str = "exprc"):
        require_triton()
        if mathlib not in ("exprc", "libm"):
            raise ExprcError(f"mathlib must be 'exprc' or 'libm', not {mathlib!r}")
        self.program = program
        self.fastmath = fastmath
        self.mathlib = mathlib
        self._source, self._tables = kernel_source(program, fastmath, mathlib)
        self._table_tensors: dict = {}

    def source(self, kind: str = "triton") -> str:
        if kind == "triton":
            return self._source
        if kind == "ptx":
            return compile_ptx(self._source, "exprc_kernel", signature(self.program, self.mathlib), self.fastmath)
        raise ExprcError(f"unknown source kind {kind!r}: use triton, ptx or c")

    def _kernel(self):
        return load_module(self._source, interpret=interpreting()).exprc_kernel

    def launch(self, inputs, params, outputs, n: int) -> None:
        """inputs: torch tensors of n elements (or 1, broadcast) on one device; outputs: n each."""
        import triton
        args = []
        for t in inputs:
            args += [t, 0 if t.numel() == 1 and n != 1 else t.stride(0) if t.dim() else 0]
        args.append(params)
        args += list(outputs)
        args.append(self._tables_on(params.device))
        grid = (triton.cdiv(max(n, 1), BLOCK),)
        with LAUNCH_LOCK:
            self._kernel()[grid](*args, n, BLOCK=BLOCK, **launch_options(self.fastmath))

    def _tables_on(self, dev):
        """The table buffer as a tensor on dev, copied there once."""
        import torch
        if str(dev) not in self._table_tensors:
            self._table_tensors[str(dev)] = torch.as_tensor(self._tables).to(dev)
        return self._table_tensors[str(dev)]

    def run(self, inputs: list[np.ndarray], params: np.ndarray, outputs: list[np.ndarray]) -> None:
        """The numpy entry point used by Kernel: copy to the device, launch, copy back."""
        import torch
        dev = device()
        n = outputs[0].shape[0] if outputs else 0
        if n == 0:
            return
        tin = [torch.as_tensor(np.ascontiguousarray(a).reshape(-1) if a.ndim else a.reshape(1)).to(dev)
               for a in inputs]
        tpar = torch.as_tensor(np.ascontiguousarray(params) if params.size else np.zeros(1, params.dtype)).to(dev)
        tdt = {np.dtype(np.bool_): torch.bool, np.dtype(np.float32): torch.float32, np.dtype(np.float64): torch.float64}
        tout = [torch.empty(n, dtype=tdt[o.dtype], device=dev) for o in outputs]
        self.launch(tin, tpar, tout, n)
        for o, t in zip(outputs, tout):
            o[...] = t.cpu().numpy()

    def call_torch(self, kernel, args, kwargs, params, out):
        """Kernel called with torch tensors: bind, broadcast, launch on their device."""
        import torch
        p = self.program
        values = dict(zip(p.variables, args))
        pvalues = dict(params) if isinstance(params, dict) else (
            dict(zip(p.parameters, params)) if params is not None else {})
        for k, v in kwargs.items():
            (values if k in p.variables else pvalues)[k] = v
        tensors = [t for t in values.values() if isinstance(t, torch.Tensor)]
        dev = tensors[0].device
        tdtype = torch.float32 if p.dtype == "float32" else torch.float64
        ins = [torch.as_tensor(values[v], dtype=tdtype, device=dev) for v in p.variables]
        shape = torch.broadcast_shapes(*(t.shape for t in ins)) if ins else torch.Size([])
        n = int(np.prod(shape)) if len(shape) else 1
        flat = [t.reshape(-1) if t.numel() == 1 else t.expand(shape).contiguous().reshape(-1) for t in ins]
        par = torch.tensor([float(pvalues[q]) for q in p.parameters] or [0.0], dtype=tdtype, device=dev)
        outs = [torch.empty(n, dtype=torch.bool if o.dtype == BOOL else tdtype, device=dev) for o in p.outputs]
        if n:
            self.launch(flat, par, outs, n)
        results = [o.reshape(shape) for o in outs]
        return results[0] if len(results) == 1 else tuple(results)


def build(program: Program, fastmath: bool = False, mathlib: str = "exprc") -> Executable:
    return Executable(program, fastmath, mathlib)
