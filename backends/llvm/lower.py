"""Lower a Program to LLVM IR text: one explicitly vectorized loop over rows.

Why explicit vectors rather than leaving it to LLVM's loop vectorizer: every row, including the
last partial vector, goes through the same vector code (the tail is copied through stack
buffers with masked loads and stores), so a row's result never depends on its position, the
array length or how the rows were split across threads. Transcendental functions call glibc's libmvec vector variants
(_ZGVeN16v_sinf and friends) where the process has them, else scalar libm per lane.

Kernel ABI: void f(i64 start, i64 end, i64* slots). slots holds, in order, for each input a
pointer and a stride in elements, then the parameter array pointer, then for each output a
pointer and a stride. Each input is specialized by its layout code: 'c' contiguous,
's' strided, '0' one scalar broadcast to every row; outputs are 'c' or 's'.
"""
from __future__ import annotations

import struct

from exprc import branches, ir, ops
from exprc.dtypes import BOOL, INT_BITS
from exprc.numbers import round_value
from exprc.program import Program

from .target import Target, vector_name

UNROLL = 1
CONSTANT_TABLE_MIN = 256    # distinct constants beyond which a kernel reads them from a table
# How many machine vectors of entries a `table` may take and still be read by register permutes
# (vpermi2ps/pd, pairs joined by selects) instead of a gather. Measured on Intel rocketlake with
# AVX-512 (2026-12-04; 2**16 inputs, one thread; tables feeding an fma chain): float32, five
# tables: 64 entries by permutes 0.50 ns/element vs gather 1.60, 128: 0.74-0.95 vs 1.61, 256:
# 1.31 vs 1.61; one table: 128 entries 0.37 vs 0.49. float64, five tables: 32 entries 0.89 vs
# 1.39 but 64 entries 1.70 vs 1.38; one table: 32 entries 0.56 vs 0.58, 64: 0.62 vs 0.58.
PERMUTE_REGISTERS = {"float32": 8, "float64": 4}
_SCALAR = {"float32": "float", "float64": "double"}
_MANGLE = {"float32": "f32", "float64": "f64"}
_CMP = {("<", True): "olt", ("<=", True): "ole", (">", True): "ogt", (">=", True): "oge",
        ("==", True): "oeq", ("!=", False): "une"}
_ICMP = {"<": "slt", "<=": "sle", ">": "sgt", ">=": "sge", "==": "eq", "!=": "ne"}


def _hex(x: float) -> str:
    """LLVM's exact hexadecimal spelling of a float or double constant (as a double)."""
    return "0x%016X" % struct.unpack("<Q", struct.pack("<d", float(x)))[0]


class Emitter:
    """Builds LLVM IR text for vector code over W lanes of one dtype: op lowering, constants,
    masked memory access. KernelEmitter wraps it in the row loop; the population interpreter
    (interpreter.py) reuses it for its opcode bodies."""

    def __init__(self, dtype: str, target: Target, fastmath: bool, unroll: int = 1):
        self.t = target
        self.fast = "fast " if fastmath else ""
        self.dtype = dtype
        self.native = target.width(self.dtype)      # lanes of one machine vector
        self.W = self.native * unroll              # lanes the generated code works on
        self.s = _SCALAR[self.dtype]
        self.v = f"<{self.W} x {self.s}>"
        self.vm = f"<{self.W} x i1>"
        self.size = 4 if self.dtype == "float32" else 8
        self.decls: dict[str, str] = {}
        self.entry: list[str] = []
        self.body: list[str] = []
        self.counter = 0
        self.block = "loop"          # the basic block being filled
        self.values: dict[int, str] = {}
        self._widths: dict[str, int] = {}
        self.const_slots: dict[int, int] = {}   # constant node id -> index in the constant table
        self.const_table = ""                   # SSA pointer to that table (see use_constant_table)
        self.branch_min_cost: int | None = branches.MIN_BRANCH_COST   # None: evaluate every branch
        self.scalar_libm = False     # inside a lazy_where's fallback branch (_branch)

    # -- helpers
    prefix = "t"      # SSA name prefix; emitters sharing one function use different ones

    def tmp(self) -> str:
        self.counter += 1
        return f"%{self.prefix}{self.counter}"

    def declare(self, name: str, decl: str) -> str:
        self.decls.setdefault(name, decl)
        return name

    def splat_const(self, text: str, elem: str) -> str:
        if self.t.llvm_major >= 19:      # LLVM 19 reads `splat (float 1.0)`: shorter IR to print
            return f"splat ({elem} {text})"
        return f"<{', '.join([f'{elem} {text}'] * self.W)}>"

    def vtype(self, dtype: str) -> str:
        if dtype in INT_BITS:
            return f"<{self.W} x i{INT_BITS[dtype]}>"
        return self.vm if dtype == BOOL else self.v

    def splat_value(self, lines: list[str], scalar: str, elem: str) -> str:
        ins, out = self.tmp(), self.tmp()
        lines.append(f"  {ins} = insertelement <{self.W} x {elem}> poison, {elem} {scalar}, i64 0")
        lines.append(f"  {out} = shufflevector <{self.W} x {elem}> {ins}, <{self.W} x {elem}> poison, "
                     f"<{self.W} x i32> zeroinitializer")
        return out

    def intrinsic(self, base: str, nargs: int, vty: str | None = None) -> str:
        vty = vty or self.v
        name = f"@{base}.v{self.W}{_MANGLE[self.dtype]}"
        return self.declare(name, f"declare {vty} {name}({', '.join([vty] * nargs)}) #0")

    def slot(self, index: int, as_ptr: bool) -> str:
        p, v = self.tmp(), self.tmp()
        self.entry.append(f"  {p} = getelementptr i64, ptr %slots, i64 {index}")
        self.entry.append(f"  {v} = load i64, ptr {p}, align 8")
        if not as_ptr:
            return v
        q = self.tmp()
        self.entry.append(f"  {q} = inttoptr i64 {v} to ptr")
        return q

    # -- memory
    def masked_ops(self, elem: str, vty: str):
        mang = f"v{self.W}{ {'float': 'f32', 'double': 'f64', 'i8': 'i8'}[elem] }"
        load = self.declare(f"@llvm.masked.load.{mang}.p0",
                            f"declare {vty} @llvm.masked.load.{mang}.p0(ptr, i32, {self.vm}, {vty})")
        store = self.declare(f"@llvm.masked.store.{mang}.p0",
                             f"declare void @llvm.masked.store.{mang}.p0({vty}, ptr, i32, {self.vm})")
        gather = self.declare(f"@llvm.masked.gather.{mang}.v{self.W}p0",
                              f"declare {vty} @llvm.masked.gather.{mang}.v{self.W}p0(<{self.W} x ptr>, i32, "
                              f"{self.vm}, {vty})")
        scatter = self.declare(f"@llvm.masked.scatter.{mang}.v{self.W}p0",
                               f"declare void @llvm.masked.scatter.{mang}.v{self.W}p0({vty}, <{self.W} x ptr>, "
                               f"i32, {self.vm})")
        return load, store, gather, scatter

    def strided_ptrs(self, base: str, stride_splat: str, elem: str) -> str:
        off, ptrs = self.tmp(), self.tmp()
        self.body.append(f"  {off} = mul <{self.W} x i64> %lane_idx, {stride_splat}")
        self.body.append(f"  {ptrs} = getelementptr {elem}, ptr {base}, <{self.W} x i64> {off}")
        return ptrs

    # -- ops
    def lower_op(self, n: ir.Node, args: list[str]) -> str:
        op = ops.REGISTRY[n.op]
        spec = op.llvm
        out = self.tmp()
        kind = spec[0]
        v = self.v
        if kind == "inst":
            if spec[1] == "fneg":
                self.body.append(f"  {out} = fneg {self.fast}{v} {args[0]}")
            else:
                self.body.append(f"  {out} = {spec[1]} {self.fast}{v} {args[0]}, {args[1]}")
        elif kind == "intrinsic":
            fn = self.intrinsic(spec[1], op.arity)
            argl = ", ".join(f"{v} {a}" for a in args)
            self.body.append(f"  {out} = call {self.fast}{v} {fn}({argl})")
        elif kind == "libm":
            scalar = spec[1] + ("f" if self.dtype == "float32" else "")
            vec = vector_name(self.t.isa, self.native, op.arity, scalar) if self.t.isa else None
            if vec in self.t.libmvec and not self.scalar_libm:
                nv = f"<{self.native} x {self.s}>"
                self.declare("@" + vec, f"declare {nv} @{vec}({', '.join([nv] * op.arity)}) #0")

                def call(parts):
                    r = self.tmp()
                    self.body.append(f"  {r} = call {self.fast}{nv} @{vec}({', '.join(f'{nv} {a}' for a in parts)})")
                    return r
                return self.by_native_vectors(call, args)
            else:
                return self.scalarized(scalar, op.arity, args)
        elif kind in ("int", "shift", "bitcast", "fptosi_sat", "sitofp", "table"):
            return self.lower_bits(n, args)
        elif kind == "fcmp" and n.args[0].dtype in INT_BITS:
            ity = self.vtype(n.args[0].dtype)
            self.body.append(f"  {out} = icmp {_ICMP[spec[1]]} {ity} {args[0]}, {args[1]}")
        elif kind == "fcmp":
            self.body.append(f"  {out} = fcmp {self.fast}{_CMP[(spec[1], spec[2])]} {v} {args[0]}, {args[1]}")
        elif kind == "copysign":
            isnan, src = self.tmp(), self.tmp()
            self.body.append(f"  {isnan} = fcmp uno {v} {args[1]}, {args[1]}")
            self.body.append(f"  {src} = select {self.vm} {isnan}, {v} {self.splat_const(_hex(1.0), self.s)}, {v} {args[1]}")
            fn = self.intrinsic("llvm.copysign", 2)
            self.body.append(f"  {out} = call {v} {fn}({v} {args[0]}, {v} {src})")
        elif kind == "ldexp":
            return self.ldexp(args[0], args[1])
        elif kind == "logb":
            return self.logb(args[0])
        elif kind == "convert":     # pragma: no cover - compute() hands these to a float64 emitter
            raise ValueError(f"{n.op} outside a float32 program's float64 work")
        elif kind == "select":
            ty = self.vtype(n.dtype)
            self.body.append(f"  {out} = select {self.vm} {args[0]}, {ty} {args[1]}, {ty} {args[2]}")
        else:  # pragma: no cover - the registry only uses the kinds above
            raise NotImplementedError(kind)
        return out

    def lower_bits(self, n: ir.Node, args: list[str]) -> str:
        """Integer, bit-pattern and table ops: exact, with nothing left undefined (shift counts
        masked to the width, float-to-int saturating, table indices clamped)."""
        kind = ops.REGISTRY[n.op].llvm
        ty, src = self.vtype(n.dtype), self.vtype(n.args[0].dtype)
        out = self.tmp()
        if kind[0] == "int":
            self.body.append(f"  {out} = {kind[1]} {ty} {args[0]}, {args[1]}")
        elif kind[0] == "shift":
            bits = INT_BITS[n.dtype]
            count = self.tmp()
            self.body.append(f"  {count} = and {ty} {args[1]}, {self.splat_const(str(bits - 1), f'i{bits}')}")
            self.body.append(f"  {out} = {kind[1]} {ty} {args[0]}, {count}")
        elif kind[0] == "bitcast":
            self.body.append(f"  {out} = bitcast {src} {args[0]} to {ty}")
        elif kind[0] == "fptosi_sat":
            return self.saturating_toint(n, args[0])
        elif kind[0] == "sitofp":
            self.body.append(f"  {out} = sitofp {src} {args[0]} to {ty}")
        else:
            return self.table_lookup(n, args[0])
        return out

    def saturating_toint(self, n: ir.Node, a: str) -> str:
        """fptosi.sat done by hand: x86 has no vector lowering of llvm.fptosi.sat (LLVM
        scalarizes it, about 1 ns per element measured); clamping into range first leaves a
        plain fptosi (one vcvttps2dq) that cannot be poison, then NaN -> 0 and x >= 2**(bits-1)
        -> the largest integer, exactly the intrinsic's result."""
        bits = INT_BITS[n.dtype]
        ty, v, elem = self.vtype(n.dtype), self.v, f"i{bits}"
        below = 2.0 ** (bits - 1) - 2.0 ** (bits - 1 - (24 if self.dtype == "float32" else 53))
        lo, hi, i, big, sat, nan, out = (self.tmp() for _ in range(7))
        fmax, fmin = self.intrinsic("llvm.maxnum", 2), self.intrinsic("llvm.minnum", 2)
        self.body += [
            f"  {lo} = call {v} {fmax}({v} {a}, {v} {self.splat_const(_hex(-2.0 ** (bits - 1)), self.s)})",
            f"  {hi} = call {v} {fmin}({v} {lo}, {v} {self.splat_const(_hex(below), self.s)})",
            f"  {i} = fptosi {v} {hi} to {ty}",
            f"  {big} = fcmp oge {v} {a}, {self.splat_const(_hex(2.0 ** (bits - 1)), self.s)}",
            f"  {sat} = select {self.vm} {big}, {ty} {self.splat_const(str(2 ** (bits - 1) - 1), elem)}, {ty} {i}",
            f"  {nan} = fcmp uno {v} {a}, {a}",
            f"  {out} = select {self.vm} {nan}, {ty} zeroinitializer, {ty} {sat}"]
        return out

    def table_lookup(self, n: ir.Node, index: str) -> str:
        """A gather from a private constant array; the index is clamped into it first."""
        ity = self.vtype(n.args[0].dtype)
        elem = f"i{INT_BITS[n.args[0].dtype]}"
        name = f"@exprc.table.{ir.dag_digest([n])[:16]}"
        entries = ", ".join(f"{self.s} {_hex(round_value(v, n.dtype))}" for v in n.value)
        self.declare(name, f"{name} = private unnamed_addr constant [{len(n.value)} x {self.s}] [{entries}]")
        lo, hi, ptrs, out = self.tmp(), self.tmp(), self.tmp(), self.tmp()
        smax = self.declare(f"@llvm.smax.v{self.W}{elem}", f"declare {ity} @llvm.smax.v{self.W}{elem}({ity}, {ity}) #0")
        smin = self.declare(f"@llvm.smin.v{self.W}{elem}", f"declare {ity} @llvm.smin.v{self.W}{elem}({ity}, {ity}) #0")
        _, _, gather, _ = self.masked_ops(self.s, self.v)
        self.body += [f"  {lo} = call {ity} {smax}({ity} {index}, {ity} zeroinitializer)",
                      f"  {hi} = call {ity} {smin}({ity} {lo}, {ity} {self.splat_const(str(len(n.value) - 1), elem)})"]
        if self.avx512 and elem == f"i{8 * self.size}" and len(n.value) <= PERMUTE_REGISTERS[n.dtype] * self.native:
            return self.permuted_lookup(n, hi)
        self.body += [f"  {ptrs} = getelementptr {self.s}, ptr {name}, {ity} {hi}",
                      f"  {out} = call {self.v} {gather}(<{self.W} x ptr> {ptrs}, i32 {self.size}, "
                      f"{self.vm} {self.splat_const('true', 'i1')}, {self.v} poison)"]
        return out

    def permuted_lookup(self, n: ir.Node, index: str) -> str:
        """A small table held in registers: vpermi2pd/ps picks from two registers of entries by
        the index's low bits, and selects on the higher bits join the pairs (Intel's SVML reads
        its small tables the same way). Far cheaper than a gather on AVX-512."""
        N, L = len(n.value), self.native
        kind = "pd" if self.dtype == "float64" else "ps"
        elem, nv = f"i{8 * self.size}", f"<{L} x {self.s}>"
        iv = f"<{L} x {elem}>"
        name = f"@llvm.x86.avx512.vpermi2var.{kind}.512"
        self.declare(name, f"declare {nv} {name}({nv}, {iv}, {nv}) #0")
        entries = [_hex(round_value(v, n.dtype)) for v in n.value]
        pairs = -(-N // (2 * L))
        entries += [entries[-1]] * (pairs * 2 * L - N)          # padding the clamp never reaches
        regs = [f"<{', '.join(f'{self.s} {e}' for e in entries[k * L:(k + 1) * L])}>" for k in range(2 * pairs)]
        results = []
        for idx in self.native_slices(index, elem):             # one machine vector of lanes at a time
            picks = []
            for p in range(pairs):
                r = self.tmp()
                self.body.append(f"  {r} = call {nv} {name}({nv} {regs[2 * p]}, {iv} {idx}, {nv} {regs[2 * p + 1]})")
                picks.append(r)
            bit = 2 * L
            while len(picks) > 1:                               # pair p holds entries [2pL, 2(p+1)L)
                t, m, joined = self.tmp(), self.tmp(), []
                self.body += [f"  {t} = and {iv} {idx}, {self.splat_const(str(bit), elem)}",
                              f"  {m} = icmp ne {iv} {t}, zeroinitializer"]
                for a, b in zip(picks[::2], picks[1::2]):
                    sel = self.tmp()
                    self.body.append(f"  {sel} = select <{L} x i1> {m}, {nv} {b}, {nv} {a}")
                    joined.append(sel)
                if len(picks) % 2:
                    joined.append(picks[-1])
                picks, bit = joined, bit * 2
            results.append(picks[0])
        return self.join_native(results)

    def arg_value(self, node: ir.Node) -> str | None:
        """The SSA value of an already lowered node; a table constant is loaded where it is used
        (a load, not a value kept live from an earlier block: lazy branches stay valid)."""
        k = self.const_slots.get(id(node))
        if k is None:
            return self.values.get(id(node))
        ptr, val = self.tmp(), self.tmp()
        self.body.append(f"  {ptr} = getelementptr {self.s}, ptr {self.const_table}, i64 {k}")
        self.body.append(f"  {val} = load {self.s}, ptr {ptr}, align {self.size}")
        return self.splat_value(self.body, val, self.s)

    def use_constant_table(self, nodes: list[ir.Node], name: str) -> None:
        """Read these float constants from a table instead of writing them into instructions.
        Why: LLVM's code generator keeps vector constants in a pool it searches linearly, so
        50,000 distinct constants cost minutes. The table's address goes through an empty asm
        statement so that LLVM cannot fold the loads back into constants."""
        elems = ", ".join(f"{self.s} {_hex(round_value(n.value, n.dtype))}" for n in nodes)
        self.declare(name, f"{name} = private unnamed_addr constant [{len(nodes)} x {self.s}] [{elems}]")
        self.const_table = self.tmp()
        self.entry.append(f'  {self.const_table} = call ptr asm "", "=r,0"(ptr {name})')
        self.const_slots = {id(n): k for k, n in enumerate(nodes)}

    @property
    def avx512(self) -> bool:
        return self.t.isa == "e"

    def by_native_vectors(self, fn, args: list[str]) -> str:
        """Apply fn (native-width vectors in, one out) to each native-width slice of the W-lane
        arguments and join the results: for calls that exist only at the machine's width."""
        if self.W == self.native:
            return fn(list(args))
        sliced = [self.native_slices(a, self.s) for a in args]
        return self.join_native([fn([parts[k] for parts in sliced]) for k in range(self.W // self.native)])

    def native_slices(self, value: str, elem: str) -> list[str]:
        """The W-lane vector value of elem as machine-width vectors, lowest lanes first."""
        if self.W == self.native:
            return [value]
        parts = []
        for k in range(self.W // self.native):
            idx = ", ".join(f"i32 {k * self.native + j}" for j in range(self.native))
            p = self.tmp()
            self.body.append(f"  {p} = shufflevector <{self.W} x {elem}> {value}, <{self.W} x {elem}> poison, "
                             f"<{self.native} x i32> <{idx}>")
            parts.append(p)
        return parts

    def join_native(self, results: list[str]) -> str:
        """Machine-width results (of this emitter's float type) joined back into W lanes,
        pairwise: shufflevector takes two equal vectors."""
        while len(results) > 1:
            joined = []
            for a, b in zip(results[::2], results[1::2]):
                n = self._width_of(a) * 2
                idx = ", ".join(f"i32 {j}" for j in range(n))
                j = self.tmp()
                half = f"<{n // 2} x {self.s}>"
                self.body.append(f"  {j} = shufflevector {half} {a}, {half} {b}, <{n} x i32> <{idx}>")
                self._widths[j] = n
                joined.append(j)
            results = joined
        return results[0]

    def _width_of(self, value: str) -> int:
        return self._widths.get(value, self.native)

    def x86_512(self, name: str, args: list[tuple[str, str]], ret: str | None = None) -> str:
        """Call an AVX-512 intrinsic (only where the target has AVX-512), one 512-bit slice at a
        time when the code works on more lanes than one machine vector."""
        nv = f"<{self.native} x {self.s}>"
        ret = nv if ret is None else ret
        sig = ", ".join(nv if t == self.v else t for t, _ in args)
        self.declare("@" + name, f"declare {ret} @{name}({sig}) #0")
        vector_pos = [k for k, (t, _) in enumerate(args) if t == self.v]

        def call(parts):
            vals = [v for _, v in args]
            for k, part in zip(vector_pos, parts):
                vals[k] = part
            r = self.tmp()
            self.body.append(f"  {r} = call {ret} @{name}("
                             + ", ".join(f"{nv if t == self.v else t} {v}" for (t, _), v in zip(args, vals)) + ")")
            return r
        return self.by_native_vectors(call, [args[k][1] for k in vector_pos])

    def ldexp(self, x: str, n: str) -> str:
        v, vm = self.v, self.vm
        lim, neg = self.splat_const(_hex(2.0 ** 30), self.s), self.splat_const(_hex(-2.0 ** 30), self.s)
        mx, mn = self.intrinsic("llvm.maximum", 2), self.intrinsic("llvm.minimum", 2)
        trunc = self.intrinsic("llvm.trunc", 1)
        t = [self.tmp() for _ in range(3)]
        self.body += [f"  {t[0]} = call {v} {trunc}({v} {n})",          # NaN stays NaN
                      f"  {t[1]} = call {v} {mx}({v} {t[0]}, {v} {neg})",
                      f"  {t[2]} = call {v} {mn}({v} {t[1]}, {v} {lim})"]
        if self.avx512:   # vscalefps: x * 2**floor(n) in one instruction, NaN count gives NaN
            kind, mask = ("ps", "i16") if self.dtype == "float32" else ("pd", "i8")
            return self.x86_512(f"llvm.x86.avx512.mask.scalef.{kind}.512",
                                [(v, x), (v, t[2]), (v, x), (mask, "-1"), ("i32", "4")])
        ivec = f"<{self.W} x i32>"
        lname = f"@llvm.ldexp.v{self.W}{_MANGLE[self.dtype]}.v{self.W}i32"
        self.declare(lname, f"declare {v} {lname}({v}, {ivec}) #0")
        u = [self.tmp() for _ in range(5)]
        nan = self.splat_const(_hex(float("nan")), self.s)
        self.body += [f"  {u[0]} = fcmp uno {v} {n}, {n}",
                      f"  {u[1]} = select {vm} {u[0]}, {v} {self.splat_const(_hex(0.0), self.s)}, {v} {t[2]}",
                      f"  {u[2]} = fptosi {v} {u[1]} to {ivec}",
                      f"  {u[3]} = call {v} {lname}({v} {x}, {ivec} {u[2]})",
                      f"  {u[4]} = select {vm} {u[0]}, {v} {nan}, {v} {u[3]}"]
        return u[4]

    def logb(self, x: str) -> str:
        """floor(log2|x|) from the exponent bits, subnormals scaled up first (vgetexpps on
        AVX-512, which is exactly IEEE logb, specials included)."""
        if self.avx512:
            kind, mask = ("ps", "i16") if self.dtype == "float32" else ("pd", "i8")
            return self.x86_512(f"llvm.x86.avx512.mask.getexp.{kind}.512",
                                [(self.v, x), (self.v, x), (mask, "-1"), ("i32", "4")])
        v, vm, W = self.v, self.vm, self.W
        f32 = self.dtype == "float32"
        ity, bits, bias, mant, scale = (("i32", 32, 127, 23, 24) if f32 else ("i64", 64, 1023, 52, 54))
        ivec = f"<{W} x {ity}>"
        tiny = _hex(2.0 ** (-126 if f32 else -1022))
        splat = lambda val, elem=self.s: self.splat_const(val, elem)   # noqa: E731
        fabs = self.intrinsic("llvm.fabs", 1)
        t = [self.tmp() for _ in range(14)]
        self.body += [
            f"  {t[0]} = call {v} {fabs}({v} {x})",
            f"  {t[1]} = fcmp olt {v} {t[0]}, {splat(tiny)}",
            f"  {t[2]} = fmul {v} {x}, {splat(_hex(2.0 ** scale))}",
            f"  {t[3]} = select {vm} {t[1]}, {v} {t[2]}, {v} {x}",
            f"  {t[4]} = bitcast {v} {t[3]} to {ivec}",
            f"  {t[5]} = lshr {ivec} {t[4]}, {splat(str(mant), ity)}",
            f"  {t[6]} = and {ivec} {t[5]}, {splat(str(2 * bias + 1), ity)}",
            f"  {t[7]} = select {vm} {t[1]}, {ivec} {splat(str(bias + scale), ity)}, {ivec} {splat(str(bias), ity)}",
            f"  {t[8]} = sub {ivec} {t[6]}, {t[7]}",
            f"  {t[9]} = sitofp {ivec} {t[8]} to {v}",
            f"  {t[10]} = fcmp oeq {v} {x}, {splat(_hex(0.0))}",
            f"  {t[11]} = select {vm} {t[10]}, {v} {splat(_hex(float('-inf')))}, {v} {t[9]}",
            f"  {t[12]} = fcmp ueq {v} {t[0]}, {splat(_hex(float('inf')))}",     # inf or NaN
            f"  {t[13]} = select {vm} {t[12]}, {v} {t[0]}, {v} {t[11]}",
        ]
        return t[13]

    def scalarized(self, scalar: str, arity: int, args: list[str]) -> str:
        s, v = self.s, self.v
        self.declare("@" + scalar, f"declare {s} @{scalar}({', '.join([s] * arity)}) #0")
        acc = "poison"
        for lane in range(self.W):
            elems = []
            for a in args:
                e = self.tmp()
                self.body.append(f"  {e} = extractelement {v} {a}, i64 {lane}")
                elems.append(f"{s} {e}")
            r, nxt = self.tmp(), self.tmp()
            self.body.append(f"  {r} = call {self.fast}{s} @{scalar}({', '.join(elems)})")
            self.body.append(f"  {nxt} = insertelement {v} {acc}, {s} {r}, i64 {lane}")
            acc = nxt
        return acc

    def constant(self, n: ir.Node) -> str:
        if n.dtype == BOOL:
            return self.splat_const("true" if n.value else "false", "i1")
        if n.dtype in INT_BITS:
            return self.splat_const(str(int(round_value(n.value, n.dtype))), f"i{INT_BITS[n.dtype]}")
        return self.splat_const(_hex(round_value(n.value, n.dtype)), self.s)

    def compute(self, outputs, leaf_value) -> dict[int, str]:
        """Lower the DAG of outputs into self.body; leaf_value(node) gives the SSA value of a
        variable or parameter (constants are inlined). A where whose branch needs costly work
        of its own jumps around that work when no lane of the vector takes the branch
        (exprc/branches.py); work the program does in float64 inside a float32 program goes
        to a float64 emitter over the same lanes. Returns node id -> SSA value."""
        outputs = list(outputs)
        if self.dtype == "float32" and any(n.op == "to_float32" for n in ir.topo(outputs)):
            return self._compute_mixed(outputs, leaf_value)
        regions = branches.regions(outputs, self.branch_min_cost)
        self._emit_region(regions, regions.members[None], leaf_value)
        return self.values

    def _compute_mixed(self, outputs, leaf_value) -> dict[int, str]:
        """Each to_float32(e) becomes a leaf whose value is e computed by a float64 Emitter
        (its to_float64(a) leaves are fpext of this emitter's a), then rounded once."""
        wide: dict[str, ir.Node] = {}
        narrow_args: list[ir.Node] = []

        def cut(n: ir.Node, args) -> ir.Node:
            if n.op != "to_float32":
                return ir.rebuild(n, args)
            name = f"__narrow{len(wide)}"
            wide[name] = args[0]        # rebuilt: precision changes nested inside are leaves already
            narrow_args.extend(a.args[0] for a in ir.topo([args[0]]) if a.op == "to_float64")
            return ir.var(name, "float32")
        cut_outputs = ir.transform(outputs, cut)

        def leaf(n: ir.Node) -> str:
            return self._in_float64(wide[n.value], n.value) if n.value in wide else leaf_value(n)
        # what the float64 work reads is computed first, for every vector: a leaf computed in a
        # branch then finds its inputs defined in a block that dominates it
        first = branches.regions(narrow_args, None)
        self._emit_region(first, first.members[None], leaf)
        hidden = {id(ir.var(name, "float32")): branches.work_cost([w]) for name, w in wide.items()}
        regions = branches.regions(narrow_args + cut_outputs, self.branch_min_cost, hidden)
        self._emit_region(regions, regions.members[None], leaf)
        for o, c in zip(outputs, cut_outputs):
            self.values[id(o)] = self.values[id(c)]
        return self.values

    def _in_float64(self, root: ir.Node, name: str) -> str:
        """root (float64 work) on this emitter's lanes, rounded once to float32."""
        sub = Emitter("float64", self.t, bool(self.fast), unroll=self.W // self.t.width("float64"))
        self.counter += 1                          # its own SSA names and block labels, unique even
        sub.prefix = f"{self.prefix}{name}_{self.counter}_"    # when one function holds many programs
        sub.body, sub.decls, sub.entry, sub.block = self.body, self.decls, self.entry, self.block
        sub.branch_min_cost = self.branch_min_cost
        sub.scalar_libm = self.scalar_libm

        narrow: dict[str, ir.Node] = {}

        def cut(n: ir.Node, args) -> ir.Node:     # to_float64(a): a leaf, fpext of our a
            if n.op != "to_float64":
                return ir.rebuild(n, args)
            name = f"__widen{len(narrow)}"
            narrow[name] = n.args[0]
            return ir.var(name, "float64")
        (cut_root,) = ir.transform([root], cut)

        def widened(n: ir.Node) -> str:
            if n.value not in narrow:
                raise ValueError(f"float64 variable {n.value} inside a float32 program")
            out = self.tmp()
            self.body.append(f"  {out} = fpext {self.v} {self.arg_value(narrow[n.value])} to {sub.v}")
            return out
        r64 = sub.compute([cut_root], widened)[id(cut_root)]
        self.block = sub.block
        out = self.tmp()
        self.body.append(f"  {out} = fptrunc {sub.v} {r64} to {self.v}")
        return out

    def _emit_region(self, regions, items, leaf_value) -> None:
        values = self.values
        for n in items:
            if isinstance(n, tuple):
                self._branch(regions, n, leaf_value)
            elif id(n) in values:
                continue
            elif n.op in (ir.VAR, ir.PARAM):
                values[id(n)] = leaf_value(n)
            elif n.op == ir.CONST:
                if id(n) not in self.const_slots:
                    values[id(n)] = self.constant(n)
            elif not n.args:
                raise ValueError(f"unfolded named constant {n.op}; run constant folding first")
            else:
                values[id(n)] = self.lower_op(n, [self.arg_value(a) for a in n.args])

    def _branch(self, regions, key, leaf_value) -> None:
        """The work of one where branch, in a block entered only when some lane of the vector
        takes the branch; what the wheres read from it leaves through phis that give zeros
        when the block was skipped (no lane selects them then)."""
        members = regions.members.get(key)
        if not members:
            return
        cond, side = self.arg_value(regions.conds[key]), key[1]
        self.counter += 1
        k = f"{self.prefix}{self.counter}"
        red = "or" if side == 1 else "and"      # some lane true / not every lane true
        fn = self.declare(f"@llvm.vector.reduce.{red}.v{self.W}i1",
                          f"declare i1 @llvm.vector.reduce.{red}.v{self.W}i1({self.vm}) #0")
        test, before = self.tmp(), self.block
        if_true, if_false = (f"br{k}", f"join{k}") if side == 1 else (f"join{k}", f"br{k}")
        self.body += [f"  {test} = call i1 {fn}({self.vm} {cond})",
                      f"  br i1 {test}, label %{if_true}, label %{if_false}", f"br{k}:"]
        self.block = f"br{k}"
        outer, self.scalar_libm = self.scalar_libm, self.scalar_libm or _fallback_branch(regions, key)
        self._emit_region(regions, members, leaf_value)
        self.scalar_libm = outer
        out = [(a, self.values[id(a)]) for a in regions.results.get(key, ()) if a.op != ir.CONST]
        self.body += [f"  br label %join{k}", f"join{k}:"]
        for a, val in out:
            phi = self.tmp()
            self.body.append(f"  {phi} = phi {self.vtype(a.dtype)} [ zeroinitializer, %{before} ], "
                             f"[ {val}, %{self.block} ]")
            self.values[id(a)] = phi
        self.block = f"join{k}"


def _fallback_branch(regions, key) -> bool:
    """Whether a branch is the lazy side of a lazy_where: the lanes a library function's own code
    leaves to the C library (float64 sin/cos/tan beyond 2**28, fastmath float32 sin/cos beyond
    105414). Its library calls, and those of any where sharing its condition, go to the scalar C
    library per lane, the most accurate there is (glibc's scalar sin/cos/tan are within 0.51 ULP
    where libmvec's are 1.5-3), at a cost only vectors holding such a lane pay."""
    if key[1] not in branches.ALWAYS_LAZY["lazy_where"]:
        return False
    cond = regions.conds[key]
    return any(isinstance(n, ir.Node) and n.op == "lazy_where" and n.args[0] is cond for n in regions.order)


class KernelEmitter(Emitter):
    """The row-loop kernel of one Program specialized to one input/output layout."""

    def __init__(self, program: Program, layout: str, target: Target, fastmath: bool, symbol: str,
                 loss: str | None = None):
        # UNROLL machine vectors per loop trip (measured: 2 spills more than it gains on
        # znver5, so 1); loss kernels always keep one, so their lane order is the
        # population interpreter's
        super().__init__(program.dtype, target, fastmath, unroll=1 if loss else UNROLL)
        self.p = program
        self.layout = layout
        self.symbol = symbol
        self.loss = loss     # None: store outputs; "mse"|"mae"|"max": accumulate output 0 vs y

    def emit(self) -> str:
        p, W, s, v = self.p, self.W, self.s, self.v
        nin = len(p.variables)
        in_layout, out_layout = self.layout[:nin], self.layout[nin:]
        iota32 = "<" + ", ".join(f"i32 {k}" for k in range(W)) + ">"
        iota64 = "<" + ", ".join(f"i64 {k}" for k in range(W)) + ">"
        ones = self.splat_const(_hex(1.0), s)
        load, store, gather, scatter = self.masked_ops(s, v)

        # entry: slots, scalar inputs and parameters
        bases, strides = [], []
        for k, code in enumerate(in_layout):
            bases.append(self.slot(2 * k, True))
            strides.append(self.slot(2 * k + 1, False) if code == "s" else None)
        params_ptr = self.slot(2 * nin, True)
        out_bases, out_strides = [], []
        if self.loss:      # slots after params: y (contiguous), then W float64 lane accumulators
            out_layout = ""
            y_ptr, acc_ptr = self.slot(2 * nin + 1, True), self.slot(2 * nin + 2, True)
        for k, code in enumerate(out_layout):
            out_bases.append(self.slot(2 * nin + 1 + 2 * k, True))
            out_strides.append(self.slot(2 * nin + 2 + 2 * k, False) if code == "s" else None)
        stride_splats = {}
        for k, st in enumerate(strides + out_strides):
            if st is not None:
                stride_splats[k] = self.splat_value(self.entry, st, "i64")

        values = self.values
        var_index = {name: k for k, name in enumerate(p.variables)}
        param_index = {name: k for k, name in enumerate(p.parameters)}
        for n in p.schedule():
            if n.op == ir.PARAM:
                ptr, val = self.tmp(), self.tmp()
                self.entry.append(f"  {ptr} = getelementptr {s}, ptr {params_ptr}, i64 {param_index[n.value]}")
                self.entry.append(f"  {val} = load {s}, ptr {ptr}")
                values[id(n)] = self.splat_value(self.entry, val, s)
            elif n.op == ir.VAR and in_layout[var_index[n.value]] == "0":
                val = self.tmp()
                self.entry.append(f"  {val} = load {s}, ptr {bases[var_index[n.value]]}")
                values[id(n)] = self.splat_value(self.entry, val, s)

        consts = [n for n in p.schedule() if n.op == ir.CONST and n.dtype == self.dtype]
        if len(consts) > CONSTANT_TABLE_MIN:
            self.use_constant_table(consts, f"@{self.symbol}.consts")

        # loop header: the active-lane mask of this block of W rows
        self.body += [
            "  %i = phi i64 [ %start, %entry ], [ %i.next, %LATCH ]",
            "  %rem = sub i64 %end, %i",
            f"  %rem.min = call i64 @llvm.smin.i64(i64 %rem, i64 {W})",
            "  %rem32 = trunc i64 %rem.min to i32",
        ]
        self.declare("@llvm.smin.i64", "declare i64 @llvm.smin.i64(i64, i64) #0")
        rem_splat = self.splat_value(self.body, "%rem32", "i32")
        self.body.append(f"  %mask = icmp slt <{W} x i32> {iota32}, {rem_splat}")
        if any(c == "s" for c in self.layout):
            i_splat = self.splat_value(self.body, "%i", "i64")
            self.body.append(f"  %lane_idx = add <{W} x i64> {i_splat}, {iota64}")
        # contiguous arrays: full blocks use plain vector loads and stores (masked stores cost
        # several times more on znver5, halving streaming bandwidth); the last partial block
        # is copied into a stack buffer first and out of one after, so it runs the same code
        in_bufs = {k: f"%buf.in{k}" for k, c in enumerate(in_layout) if c == "c"
                   and p.variables[k] in {n.value for n in p.schedule() if n.op == ir.VAR}}
        out_bufs = {k: f"%buf.out{k}" for k, c in enumerate(out_layout) if c == "c"}
        def out_elem(o: ir.Node) -> tuple[str, str, int]:
            """(element type, vector type, alignment) of an output array: bools are bytes."""
            return ("i8", f"<{W} x i8>", 1) if o.dtype == BOOL else (s, v, self.size)
        out_elems = {k: out_elem(p.outputs[k]) for k in out_bufs}

        def row_pointer(base: str, buf: str, elem: str) -> str:
            """Where this block's W rows live: the array itself, or the stack buffer that holds
            the last partial block."""
            ptr, dst = self.tmp(), self.tmp()
            self.body += [f"  {ptr} = getelementptr {elem}, ptr {base}, i64 %i",
                          f"  {dst} = select i1 %full, ptr {ptr}, ptr {buf}"]
            return dst
        for k, buf in in_bufs.items():
            self.entry.append(f"  {buf} = alloca {v}, align 64")
        for k, buf in out_bufs.items():
            self.entry.append(f"  {buf} = alloca {out_elems[k][1]}, align 64")
        if in_bufs or out_bufs:
            self.body += [f"  %full = icmp sge i64 %rem, {W}", "  br i1 %full, label %rows, label %fill", "fill:"]
            for k, buf in in_bufs.items():
                ptr, val = self.tmp(), self.tmp()
                self.body += [f"  {ptr} = getelementptr {s}, ptr {bases[k]}, i64 %i",
                              f"  {val} = call {v} {load}(ptr {ptr}, i32 {self.size}, {self.vm} %mask, {v} {ones})",
                              f"  store {v} {val}, ptr {buf}, align 64"]
            self.body += ["  br label %rows", "rows:"]
            self.block = "rows"

        def load_var(n: ir.Node) -> str:
            k = var_index[n.value]
            out = self.tmp()
            if in_layout[k] == "c":
                src = row_pointer(bases[k], in_bufs[k], s)
                self.body.append(f"  {out} = load {v}, ptr {src}, align {self.size}")
            else:
                ptrs = self.strided_ptrs(bases[k], stride_splats[k], s)
                self.body.append(f"  {out} = call {v} {gather}(<{W} x ptr> {ptrs}, i32 {self.size}, "
                                 f"{self.vm} %mask, {v} {ones})")
            return out

        self.compute(p.outputs, load_var)

        if self.loss:
            self.accumulate(self.arg_value(p.outputs[0]), y_ptr, load, ones)
        for k, o in enumerate(p.outputs if not self.loss else ()):
            val = self.arg_value(o)
            elem, vty, align = out_elem(o)
            sc = scatter
            if o.dtype == BOOL:
                wide = self.tmp()
                self.body.append(f"  {wide} = zext {self.vm} {val} to {vty}")
                val, sc = wide, self.masked_ops("i8", vty)[3]
            if out_layout[k] == "c":
                dst = row_pointer(out_bases[k], out_bufs[k], elem)
                self.body.append(f"  store {vty} {val}, ptr {dst}, align {align}")
            else:
                ptrs = self.strided_ptrs(out_bases[k], stride_splats[nin + k], elem)
                self.body.append(f"  call void {sc}({vty} {val}, <{W} x ptr> {ptrs}, i32 {align}, {self.vm} %mask)")
        if out_bufs:        # the partial block: from the buffers to the arrays, masked
            self.body += ["  br i1 %full, label %next, label %drain", "drain:"]
            for k, buf in out_bufs.items():
                elem, vty, align = out_elems[k]
                st = store if elem == s else self.masked_ops("i8", vty)[1]
                ptr, val = self.tmp(), self.tmp()
                self.body += [f"  {ptr} = getelementptr {elem}, ptr {out_bases[k]}, i64 %i",
                              f"  {val} = load {vty}, ptr {buf}, align 64",
                              f"  call void {st}({vty} {val}, ptr {ptr}, i32 {align}, {self.vm} %mask)"]
            self.body += ["  br label %next", "next:"]
            self.block = "next"

        self.body += [
            f"  %i.next = add i64 %i, {W}",
            "  %more = icmp slt i64 %i.next, %end",
            "  br i1 %more, label %loop, label %exit",
        ]
        lines = [f"; exprc kernel, dtype {self.dtype}, layout {self.layout}, "
                 f"{'fast-math' if self.fast else 'strict IEEE'}",
                 f'target triple = "{self.t.triple}"', ""]
        lines += sorted(self.decls.values())
        lines += ["", f"define void @{self.symbol}(i64 %start, i64 %end, ptr %slots) #1 {{", "entry:"]
        lines += self.entry
        lines += ["  %go = icmp slt i64 %start, %end", "  br i1 %go, label %loop, label %exit", "loop:"]
        lines += [ln.replace("%LATCH", "%" + self.block) for ln in self.body]
        exit_lines = ["exit:"]
        if self.loss:
            vd, zero = f"<{W} x double>", self.splat_const(_hex(0.0), "double")
            exit_lines += [f"  %acc.out = phi {vd} [ {zero}, %entry ], [ %acc.next, %{self.block} ]",
                           f"  store {vd} %acc.out, ptr {acc_ptr}, align 8"]
            lines = [ln.replace("%ACCZERO", zero) for ln in lines]
        lines += exit_lines + ["  ret void", "}", "",
                               "attributes #0 = { nounwind willreturn memory(none) }",
                               'attributes #1 = { nounwind "no-trapping-math"="true" }', ""]
        return "\n".join(lines)

    def accumulate(self, pred: str, y_ptr: str, load: str, ones: str) -> None:
        """acc[lane] (+)= f(pred - y) over active lanes, in float64, in row order: the same
        sequence of operations the population interpreter performs, so losses agree bit for bit."""
        W, v, vd = self.W, self.v, f"<{self.W} x double>"
        zero = self.splat_const(_hex(0.0), "double")
        ptr, yv, r = self.tmp(), self.tmp(), self.tmp()
        self.body.insert(self.body.index("  %rem = sub i64 %end, %i"),
                         f"  %acc = phi {vd} [ %ACCZERO, %entry ], [ %acc.next, %LATCH ]")
        self.body += [f"  {ptr} = getelementptr {self.s}, ptr {y_ptr}, i64 %i",
                      f"  {yv} = call {v} {load}(ptr {ptr}, i32 {self.size}, {self.vm} %mask, {v} {ones})",
                      f"  {r} = fsub {v} {pred}, {yv}"]
        if self.dtype == "float32":
            w = self.tmp()
            self.body.append(f"  {w} = fpext {v} {r} to {vd}")
            r = w
        t = [self.tmp() for _ in range(2)]
        if self.loss == "mse":
            self.body.append(f"  {t[0]} = fmul {vd} {r}, {r}")
        else:
            fabs = f"@llvm.fabs.v{W}f64"
            self.declare(fabs, f"declare {vd} {fabs}({vd}) #0")
            self.body.append(f"  {t[0]} = call {vd} {fabs}({vd} {r})")
        self.body.append(f"  {t[1]} = select {self.vm} %mask, {vd} {t[0]}, {vd} {zero}")
        if self.loss == "max":
            mx = f"@llvm.maximum.v{W}f64"
            self.declare(mx, f"declare {vd} {mx}({vd}, {vd}) #0")
            self.body.append(f"  %acc.next = call {vd} {mx}({vd} %acc, {vd} {t[1]})")
        else:
            self.body.append(f"  %acc.next = fadd {vd} %acc, {t[1]}")


def lower(program: Program, layout: str, target: Target, fastmath: bool, symbol: str,
          mathlib: str = "exprc", loss: str | None = None, branches: bool = True) -> str:
    """LLVM IR text of the kernel for program specialized to layout. mathlib: "exprc" inlines
    exprc's own elementary functions where it has them (vecmath.py), "libm" calls the library."""
    prog = program.expanded("llvm")
    if mathlib == "exprc":
        from exprc import vecmath
        prog = prog.with_outputs(vecmath.expand(prog.outputs, prog.dtype, fastmath))
    if len(layout) != len(prog.variables) + (len(prog.outputs) if not loss else 0):
        raise ValueError("layout must give one code per input and per output")
    emitter = KernelEmitter(prog, layout, target, fastmath, symbol, loss)
    if not branches:
        emitter.branch_min_cost = None
    return emitter.emit()
