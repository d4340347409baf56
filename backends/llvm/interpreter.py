"""The population interpreter: one LLVM kernel per dtype that runs register bytecode over
blocks of rows kept in L1, so thousands of fresh candidates are evaluated with no per-candidate
compile (after Operon's and DynamicExpressions' batch interpreters).

Each opcode's body is the same lowering the per-expression kernels use (Emitter.compute, with
exprc's vector math inlined), applied to W lanes at a time over a block of B rows, so every
value it produces is bit-identical to what the compiled single-expression kernel produces.

The bytecode, its opcodes, the descriptor and the modes are defined in exprc.population.encoding
(one entry per instruction, structure of arrays, int32: op, dst, a, b, c, arg, and a constant
value per instruction in the dtype). Slots are B-row buffers in a per-thread scratch area; an
operand slot of XBASE + k reads column k of X in place. A candidate's instructions before pstart
run once (constants, parameters: their slots keep their values), the rest once per block. Leaf
codes load variable column `arg`, constant `vals[i]` or parameter `arg` of the candidate; code
OP_BASE + k runs OPCODES[k] on slots a, b, c. Comparisons store 1.0 or 0.0.

After a block, by mode: 0 copy each output k to row rstart[c] + k of the prediction matrix; 1/2/3 accumulate the squared,
absolute or maximum residual of output 0 against y (float64 lanes, row i into lane i mod W:
the canonical order the per-expression loss kernels use too); 4 accumulate the squared residual
and the plain sum of every further output (loss gradients); 5 the normal equations: with v0 the
residual of output 0 and vk output k, accumulator t(p, q) for each pair p <= q (row-major) sums
vp * vq, i.e. the residual's square, J^T r and J^T J for a prediction and its Jacobian.

void interp(i64 first_candidate, i64 end_candidate, i64* desc, ptr scratch)
"""
from __future__ import annotations

import ctypes

from exprc import ir, ops
from exprc.dtypes import BOOL
from exprc.population.encoding import (BLOCK, DESC_FIELDS, LEAF_CONST, LEAF_PARAM, LEAF_VAR, MODES, OPCODE_OF,
                                       XBASE, opcode_node)

from . import target as _target
from .lower import Emitter, _hex

_MODE_LABEL = {"predict": "m.pred", "normal": "m.norm"}
_FN = ctypes.CFUNCTYPE(None, ctypes.c_int64, ctypes.c_int64, ctypes.c_void_p, ctypes.c_void_p)


class _InterpreterEmitter(Emitter):
    def __init__(self, dtype: str, target, mathlib: str, symbol: str):
        super().__init__(dtype, target, fastmath=False)
        self.mathlib = mathlib
        self.symbol = symbol
        self.B = BLOCK[dtype]

    def field(self, name: str, as_ptr: bool = True) -> str:
        return self.slot(DESC_FIELDS.index(name), as_ptr)

    def vload(self, base: str, j: str) -> str:
        p, out = self.tmp(), self.tmp()
        self.body += [f"  {p} = getelementptr {self.s}, ptr {base}, i64 {j}",
                      f"  {out} = load {self.v}, ptr {p}, align {self.size}"]
        return out

    def vstore(self, val: str, base: str, j: str, streaming: bool = False) -> None:
        """Store W lanes; streaming: a non-temporal store, for results nobody reads soon (the
        prediction matrix), which would otherwise push the working set out of the cache."""
        p = self.tmp()
        nt = ", !nontemporal !0" if streaming else ""
        self.body += [f"  {p} = getelementptr {self.s}, ptr {base}, i64 {j}",
                      f"  store {self.v} {val}, ptr {p}, align {self.size}{nt}"]

    def block_loop(self, name: str, emit_body) -> None:
        """for j in 0, W, 2W, ... < B: emit_body(j) ; the body may add blocks (lazy branches)."""
        W, B = self.W, self.B
        head = f"{name}.loop"
        self.body += [f"  br label %{head}", f"{head}:",
                      f"  %{name}.j = phi i64 [ 0, %{name} ], [ %{name}.jn, %{name}.LATCH ]"]
        self.block = head
        emit_body(f"%{name}.j")
        latch = self.block
        self.body += [f"  %{name}.jn = add i64 %{name}.j, {W}",
                      f"  %{name}.more = icmp slt i64 %{name}.jn, {B}",
                      f"  br i1 %{name}.more, label %{head}, label %ins.latch"]
        start = max(k for k, ln in enumerate(self.body) if ln == f"{head}:")
        for k in range(start, len(self.body)):
            self.body[k] = self.body[k].replace(f"%{name}.LATCH", f"%{latch}")

    def opcode_case(self, code: int, name: str) -> None:
        from exprc.program import expand_for
        node = expand_for([opcode_node(name, self.dtype)], "llvm")[0]
        if self.mathlib == "exprc":
            from exprc import vecmath
            node = vecmath.expand([node], self.dtype)[0]
        label = f"op{code}"
        self.body.append(f"{label}:")
        self.block = label

        def body(j: str) -> None:
            loaded = {}

            def leaf(n: ir.Node) -> str:
                if n.value not in loaded:
                    loaded[n.value] = self.vload(f"%p{n.value}", j)
                return loaded[n.value]
            self.values = {}
            val = self.compute([node], leaf)[id(node)]
            if node.dtype == BOOL:
                f = self.tmp()
                self.body.append(f"  {f} = uitofp {self.vm} {val} to {self.v}")
                val = f
            self.vstore(val, "%pd", j)
        self.block_loop(label, body)

    def emit(self) -> str:
        s, W, B = self.s, self.W, self.B
        f = {name: self.field(name, name not in ("n_pad", "n_rows", "mode")) for name in DESC_FIELDS}
        vd = f"<{W} x double>"
        zero_d = self.splat_const(_hex(0.0), "double")
        iota = "<" + ", ".join(f"i64 {k}" for k in range(W)) + ">"
        fabs_d = f"@llvm.fabs.v{W}f64"
        self.declare(fabs_d, f"declare {vd} {fabs_d}({vd}) #0")
        maxd = f"@llvm.maximum.v{W}f64"
        self.declare(maxd, f"declare {vd} {maxd}({vd}, {vd}) #0")
        nrow_splat = self.splat_value(self.entry, f["n_rows"], "i64")
        L = self.body

        def load_i64(dst: str, table: str, index: str) -> None:
            L.extend([f"  {dst}.p = getelementptr i64, ptr {f[table]}, i64 {index}",
                      f"  {dst} = load i64, ptr {dst}.p"])

        # candidates, then blocks of B rows, then instructions
        L += ["  br label %cand.head", "cand.head:",
              "  %cand = phi i64 [ %c0, %entry ], [ %cand.next, %cand.next.blk ]",
              "  %cand.go = icmp slt i64 %cand, %c1",
              "  br i1 %cand.go, label %cand.body, label %exit",
              "cand.body:", "  %cand.1 = add i64 %cand, 1"]
        load_i64("%is", "cstart", "%cand")
        load_i64("%ie", "cstart", "%cand.1")
        load_i64("%ps", "pstart", "%cand")
        load_i64("%rs0", "rstart", "%cand")
        load_i64("%re0", "rstart", "%cand.1")
        load_i64("%po", "poff", "%cand")
        load_i64("%ao", "aoff", "%cand")
        L += [f"  %pbase = getelementptr {s}, ptr {f['params']}, i64 %po",
              f"  %abase = getelementptr double, ptr {f['acc']}, i64 %ao",
              f"  %res.p = getelementptr i32, ptr {f['res']}, i64 %rs0",
              "  %res.v = load i32, ptr %res.p",
              "  %res.w = sext i32 %res.v to i64",
              f"  %pr.off = mul i64 %res.w, {B}",
              f"  %pr = getelementptr {s}, ptr %scratch, i64 %pr.off",
              "  %nout = sub i64 %re0, %rs0",
              "  br label %blk.head",
              # row0 = -B is the once-per-candidate pass over [is, ps)
              "blk.head:",
              f"  %row0 = phi i64 [ -{B}, %cand.body ], [ %row0.next, %blk.out.done ]",
              "  %pro = icmp slt i64 %row0, 0",
              "  %i.first = select i1 %pro, i64 %is, i64 %ps",
              "  %i.end = select i1 %pro, i64 %ps, i64 %ie",
              f"  %blk.go = icmp slt i64 %row0, {f['n_pad']}",
              "  br i1 %blk.go, label %ins.head, label %cand.next.blk",
              "cand.next.blk:", "  %cand.next = add i64 %cand, 1", "  br label %cand.head",
              "ins.head:",
              "  %i = phi i64 [ %i.first, %blk.head ], [ %i.next, %ins.latch ]",
              "  %i.go = icmp slt i64 %i, %i.end",
              "  br i1 %i.go, label %dispatch, label %blk.end",
              "blk.end:",
              "  br i1 %pro, label %blk.out.done, label %blk.out",
              "dispatch:"]
        for name in ("op", "dst", "a", "b", "c", "arg"):
            L += [f"  %f.{name}.p = getelementptr i32, ptr {f[name]}, i64 %i",
                  f"  %f.{name} = load i32, ptr %f.{name}.p",
                  f"  %w.{name} = sext i32 %f.{name} to i64"]
        L += [f"  %pd.off = mul i64 %w.dst, {B}", f"  %pd = getelementptr {s}, ptr %scratch, i64 %pd.off"]
        for name, reg in (("a", "pa"), ("b", "pb"), ("c", "pc")):
            L += [f"  %{reg}.isx = icmp sge i64 %w.{name}, {XBASE}",
                  f"  %{reg}.col = sub i64 %w.{name}, {XBASE}",
                  f"  %{reg}.xrow = mul i64 %{reg}.col, {f['n_pad']}",
                  f"  %{reg}.xoff = add i64 %{reg}.xrow, %row0",
                  f"  %{reg}.x = getelementptr {s}, ptr {f['X']}, i64 %{reg}.xoff",
                  f"  %{reg}.off = mul i64 %w.{name}, {B}",
                  f"  %{reg}.s = getelementptr {s}, ptr %scratch, i64 %{reg}.off",
                  f"  %{reg} = select i1 %{reg}.isx, ptr %{reg}.x, ptr %{reg}.s"]
        cases = [(code, name) for name, code in OPCODE_OF.items()]
        L.append(f"  switch i32 %f.op, label %ins.latch [ i32 {LEAF_VAR}, label %op0 i32 {LEAF_CONST}, label %op1 "
                 f"i32 {LEAF_PARAM}, label %op2 " + " ".join(f"i32 {code}, label %op{code}" for code, _ in cases) + " ]")
        # leaves: a variable's column block, a constant, a parameter of the candidate
        L += ["op0:", f"  %xoff0 = mul i64 %w.arg, {f['n_pad']}", "  %xoff = add i64 %xoff0, %row0",
              f"  %xsrc = getelementptr {s}, ptr {f['X']}, i64 %xoff"]
        self.block = "op0"
        self.block_loop("op0", lambda j: self.vstore(self.vload("%xsrc", j), "%pd", j))
        L += ["op1:", f"  %cv.p = getelementptr {s}, ptr {f['vals']}, i64 %i", f"  %cv = load {s}, ptr %cv.p"]
        self.block = "op1"
        cv = self.splat_value(L, "%cv", s)
        self.block_loop("op1", lambda j: self.vstore(cv, "%pd", j))
        L += ["op2:", f"  %pv.p = getelementptr {s}, ptr %pbase, i64 %w.arg", f"  %pv = load {s}, ptr %pv.p"]
        self.block = "op2"
        pv = self.splat_value(L, "%pv", s)
        self.block_loop("op2", lambda j: self.vstore(pv, "%pd", j))
        for code, name in cases:
            self.opcode_case(code, name)
        L += ["ins.latch:", "  %i.next = add i64 %i, 1", "  br label %ins.head"]

        # after a block: copy out (mode 0) or accumulate (modes 1-4)
        L += ["blk.out:",
              f"  switch i64 {f['mode']}, label %blk.out.done [ "
              + " ".join(f"i64 {m}, label %{_MODE_LABEL.get(name, 'm.acc')}" for name, m in MODES.items())
              + " ]",
              # predict: every output k of the candidate goes to row rstart[c] + k of `out`
              "m.pred:",
              "  %q = phi i64 [ 0, %blk.out ], [ %q.next, %q.next.blk ]",
              "  %qr = add i64 %rs0, %q",
              f"  %qres.p = getelementptr i32, ptr {f['res']}, i64 %qr",
              "  %qres = load i32, ptr %qres.p",
              "  %qres.w = sext i32 %qres to i64",
              f"  %pq.off = mul i64 %qres.w, {B}",
              f"  %pq = getelementptr {s}, ptr %scratch, i64 %pq.off",
              f"  %oq.row = mul i64 %qr, {f['n_pad']}",
              "  %oq.off = add i64 %oq.row, %row0",
              f"  %ob = getelementptr {s}, ptr {f['out']}, i64 %oq.off"]
        self.block = "m.pred"
        self.block_loop_to("m.pred", lambda j: self.vstore(self.vload("%pq", j), "%ob", j, streaming=True),
                           "q.next.blk")
        L += ["q.next.blk:", "  %q.next = add i64 %q, 1", "  %q.go = icmp slt i64 %q.next, %nout",
              "  br i1 %q.go, label %m.pred, label %blk.out.done"]
        L += ["m.acc:", f"  %yb = getelementptr {s}, ptr {f['y']}, i64 %row0",
              f"  %is.mae = icmp eq i64 {f['mode']}, {MODES['mae']}",
              f"  %is.max = icmp eq i64 {f['mode']}, {MODES['max']}"]
        self.block = "m.acc"

        def valid_rows(j: str) -> str:
            r, rv, m = self.tmp(), self.tmp(), self.tmp()
            L.append(f"  {r} = add i64 %row0, {j}")
            rs = self.splat_value(L, r, "i64")
            L.extend([f"  {rv} = add <{W} x i64> {rs}, {iota}", f"  {m} = icmp slt <{W} x i64> {rv}, {nrow_splat}"])
            return m

        def acc_body(j: str) -> None:
            pred, yv = self.vload("%pr", j), self.vload("%yb", j)
            diff = self.tmp()
            L.append(f"  {diff} = fsub {self.v} {pred}, {yv}")
            r = self.widen(diff)
            mask = valid_rows(j)
            t = [self.tmp() for _ in range(10)]
            L.extend([
                f"  {t[0]} = fmul {vd} {r}, {r}",
                f"  {t[1]} = call {vd} {fabs_d}({vd} {r})",
                f"  {t[2]} = select <{W} x i1> {mask}, {vd} {t[0]}, {vd} {zero_d}",
                f"  {t[3]} = select <{W} x i1> {mask}, {vd} {t[1]}, {vd} {zero_d}",
                f"  {t[4]} = load {vd}, ptr %abase, align 8",
                f"  {t[5]} = fadd {vd} {t[4]}, {t[2]}",
                f"  {t[6]} = fadd {vd} {t[4]}, {t[3]}",
                f"  {t[7]} = call {vd} {maxd}({vd} {t[4]}, {vd} {t[3]})",
                f"  {t[8]} = select i1 %is.mae, {vd} {t[6]}, {vd} {t[5]}",
                f"  {t[9]} = select i1 %is.max, {vd} {t[7]}, {vd} {t[8]}",
                f"  store {vd} {t[9]}, ptr %abase, align 8"])
        self.block_loop_to("m.acc", acc_body, "m.grad.check")
        # mode 4: each further output k adds its plain sum into accumulator k
        L += ["m.grad.check:",
              f"  %is.grad = icmp eq i64 {f['mode']}, {MODES['mse_grad']}",
              "  %has.more = icmp sgt i64 %nout, 1",
              "  %do.grad = and i1 %is.grad, %has.more",
              "  br i1 %do.grad, label %g.head, label %blk.out.done",
              "g.head:",
              "  %k = phi i64 [ 1, %m.grad.check ], [ %k.next, %g.next ]",
              "  %kr = add i64 %rs0, %k",
              f"  %kres.p = getelementptr i32, ptr {f['res']}, i64 %kr",
              "  %kres = load i32, ptr %kres.p",
              "  %kres.w = sext i32 %kres to i64",
              f"  %pk.off = mul i64 %kres.w, {B}",
              f"  %pk = getelementptr {s}, ptr %scratch, i64 %pk.off",
              f"  %kacc.off = mul i64 %k, {W}",
              "  %kacc = getelementptr double, ptr %abase, i64 %kacc.off"]
        self.block = "g.head"

        def grad_body(j: str) -> None:
            val = self.widen(self.vload("%pk", j))
            mask = valid_rows(j)
            t = [self.tmp() for _ in range(3)]
            L.extend([f"  {t[0]} = select <{W} x i1> {mask}, {vd} {val}, {vd} {zero_d}",
                      f"  {t[1]} = load {vd}, ptr %kacc, align 8",
                      f"  {t[2]} = fadd {vd} {t[1]}, {t[0]}",
                      f"  store {vd} {t[2]}, ptr %kacc, align 8"])
        self.block_loop_to("g.head", grad_body, "g.next")
        L += ["g.next:", "  %k.next = add i64 %k, 1", "  %k.go = icmp slt i64 %k.next, %nout",
              "  br i1 %k.go, label %g.head, label %blk.out.done"]
        # mode 5: the normal equations. With v0 = output 0 - y (the residual) and vk = output k,
        # accumulator t(p, q) (pairs p <= q in row-major order) adds the sum of vp * vq.
        L += ["m.norm:", f"  %nyb = getelementptr {s}, ptr {f['y']}, i64 %row0", "  br label %n.p.head",
              "n.p.head:",
              "  %np = phi i64 [ 0, %m.norm ], [ %np.next, %n.p.next ]",
              "  %nt0 = phi i64 [ 0, %m.norm ], [ %nt.next, %n.p.next ]",
              "  %npr = add i64 %rs0, %np",
              f"  %npres.p = getelementptr i32, ptr {f['res']}, i64 %npr",
              "  %npres = load i32, ptr %npres.p",
              "  %npres.w = sext i32 %npres to i64",
              f"  %npp.off = mul i64 %npres.w, {B}",
              f"  %npp = getelementptr {s}, ptr %scratch, i64 %npp.off",
              "  %np.res = icmp eq i64 %np, 0",
              "  br label %n.q.head",
              "n.q.head:",
              "  %nq = phi i64 [ %np, %n.p.head ], [ %nq.next, %n.q.next ]",
              "  %nt = phi i64 [ %nt0, %n.p.head ], [ %nt.next, %n.q.next ]",
              "  %nqr = add i64 %rs0, %nq",
              f"  %nqres.p = getelementptr i32, ptr {f['res']}, i64 %nqr",
              "  %nqres = load i32, ptr %nqres.p",
              "  %nqres.w = sext i32 %nqres to i64",
              f"  %nqp.off = mul i64 %nqres.w, {B}",
              f"  %nqp = getelementptr {s}, ptr %scratch, i64 %nqp.off",
              "  %nq.res = icmp eq i64 %nq, 0",
              f"  %nacc.off = mul i64 %nt, {W}",
              "  %nacc = getelementptr double, ptr %abase, i64 %nacc.off"]
        self.block = "n.q.head"

        def normal_body(j: str) -> None:
            yv = self.widen(self.vload("%nyb", j))

            def operand(ptr: str, is_res: str) -> str:
                v = self.widen(self.vload(ptr, j))
                d, out = self.tmp(), self.tmp()
                L.extend([f"  {d} = fsub {vd} {v}, {yv}",
                          f"  {out} = select i1 {is_res}, {vd} {d}, {vd} {v}"])
                return out
            a, b = operand("%npp", "%np.res"), operand("%nqp", "%nq.res")
            mask = valid_rows(j)
            t = [self.tmp() for _ in range(4)]
            L.extend([f"  {t[0]} = fmul {vd} {a}, {b}",
                      f"  {t[1]} = select <{W} x i1> {mask}, {vd} {t[0]}, {vd} {zero_d}",
                      f"  {t[2]} = load {vd}, ptr %nacc, align 8",
                      f"  {t[3]} = fadd {vd} {t[2]}, {t[1]}",
                      f"  store {vd} {t[3]}, ptr %nacc, align 8"])
        self.block_loop_to("n.q.head", normal_body, "n.q.next")
        L += ["n.q.next:", "  %nq.next = add i64 %nq, 1", "  %nt.next = add i64 %nt, 1",
              "  %nq.go = icmp slt i64 %nq.next, %nout",
              "  br i1 %nq.go, label %n.q.head, label %n.p.next",
              "n.p.next:", "  %np.next = add i64 %np, 1", "  %np.go = icmp slt i64 %np.next, %nout",
              "  br i1 %np.go, label %n.p.head, label %blk.out.done"]
        L += ["blk.out.done:", f"  %row0.next = add i64 %row0, {B}", "  br label %blk.head"]
        lines = [f"; exprc population interpreter, dtype {self.dtype}, block {B} rows, mathlib {self.mathlib}",
                 f'target triple = "{self.t.triple}"', ""]
        lines += sorted(self.decls.values())
        lines += ["", f"define void @{self.symbol}(i64 %c0, i64 %c1, ptr %slots, ptr %scratch) #1 {{", "entry:"]
        lines += self.entry
        lines += L
        lines += ["exit:", "  ret void", "}", "",
                  "attributes #0 = { nounwind willreturn memory(none) }",
                  'attributes #1 = { nounwind "no-trapping-math"="true" }', "!0 = !{i32 1}", ""]
        return "\n".join(lines)

    def widen(self, x: str) -> str:
        """float32 lanes to float64 (exact); float64 lanes as they are."""
        if self.dtype == "float64":
            return x
        out = self.tmp()
        self.body.append(f"  {out} = fpext {self.v} {x} to <{self.W} x double>")
        return out

    def block_loop_to(self, name: str, emit_body, after: str) -> None:
        """block_loop that continues at label `after` instead of the instruction latch."""
        mark = len(self.body)
        self.block_loop(name, emit_body)
        for k in range(mark, len(self.body)):
            self.body[k] = self.body[k].replace("label %ins.latch", f"label %{after}")


def interpreter_ir(dtype: str, mathlib: str = "exprc", symbol: str = "exprc_interp") -> str:
    return _InterpreterEmitter(dtype, _target.target(), mathlib, symbol).emit()


def interpreter(dtype: str, mathlib: str = "exprc"):
    """The compiled interpreter for dtype (memory cache, then disk cache, then LLVM)."""
    key = _target.cache_key("interpreter", dtype, mathlib)
    symbol = "exprc_interp_" + key[:24]
    return _target.native_function(key, symbol, lambda: interpreter_ir(dtype, mathlib, symbol), _FN)
