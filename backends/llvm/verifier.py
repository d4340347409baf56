"""An exhaustive accuracy checker for float32 programs, compiled to one LLVM kernel.

The kernel enumerates float32 bit patterns itself (no input array), evaluates the candidate
in float32 with exactly the lowering every exprc kernel uses, evaluates the reference in
float64, and reduces, per lane: the largest error in ULPs (MEASURING.md: |y - f(x)| / ulp(f(x))),
the input where it occurred, how many results are not correctly rounded, how many are NaN or
infinite where the reference is finite. Inputs within 2**-20 ULP of a rounding boundary,
where a float64 reference cannot decide, are written out (compress-store) for the caller to
settle with mpmath. All 2**32 inputs take seconds per core.

void verify(i64 first_bits, i64 end_bits, ptr stats, ptr ambiguous)
stats layout (float64 and int64 words): W lane maxima, W lane arg-bits (as int64), then
counts: valid, wrong (> 0.5 ULP), failures (non-finite), ambiguous found, ambiguous stored.
"""
from __future__ import annotations

import ctypes

from exprc import ir
from exprc.parser import parse
from exprc.program import Program

from . import target as _target
from .lower import Emitter, _hex

AMBIGUOUS_CAPACITY = 1 << 16
BOUNDARY_TOLERANCE = 2.0 ** -20
_FN = ctypes.CFUNCTYPE(None, ctypes.c_int64, ctypes.c_int64, ctypes.c_void_p, ctypes.c_void_p)


def _prepare(node: ir.Node, dtype: str, mathlib: str) -> ir.Node:
    from exprc import vecmath
    from exprc.passes import optimize
    from exprc.program import expand_for
    node = optimize(ir.retype(node, dtype), level=0)       # constants fold as everywhere
    node = expand_for([node], "llvm")[0]
    if mathlib == "exprc":
        node = vecmath.expand([node], dtype)[0]
    return node


def verifier_ir(candidate: ir.Node, reference: ir.Node, normal_only: bool, symbol: str,
                mathlib: str = "exprc", tolerance: float = BOUNDARY_TOLERANCE) -> str:
    t = _target.target()
    e32 = Emitter("float32", t, False)
    W = e32.W
    e64 = Emitter("float64", t, False, unroll=W // t.width("float64"))
    e64.prefix = "u"
    e64.body, e64.decls, e64.entry = e32.body, e32.decls, e32.entry
    L = e32.body
    cand = _prepare(candidate, "float32", mathlib)
    ref = _prepare(reference, "float64", "libm")
    err = _prepare(parse("abs(y - r) / ldexp(1, max(logb(r), -126) - 23)", dtype="float64"), "float64", "libm")
    v32, v64 = e32.v, e64.v
    vi32, vi64, vm = f"<{W} x i32>", f"<{W} x i64>", f"<{W} x i1>"
    iota = "<" + ", ".join(f"i32 {k}" for k in range(W)) + ">"
    d = lambda x: e64.splat_const(_hex(x), "double")  # noqa: E731
    fabs64 = f"@llvm.fabs.v{W}f64"
    e32.declare(fabs64, f"declare {v64} {fabs64}({v64}) #0")
    maxd = f"@llvm.maximum.v{W}f64"
    e32.declare(maxd, f"declare {v64} {maxd}({v64}, {v64}) #0")
    ctpop = "@llvm.ctpop.i32"
    e32.declare(ctpop, "declare i32 @llvm.ctpop.i32(i32) #0")
    cstore = f"@llvm.masked.compressstore.v{W}i32"
    e32.declare(cstore, f"declare void {cstore}({vi32}, ptr, {vm}) #0")
    zero_d, zero_i = d(0.0), f"zeroinitializer"

    L += ["  %i = phi i64 [ %start, %entry ], [ %i.next, %LATCH ]",
          f"  %acc.max = phi {v64} [ {zero_d}, %entry ], [ %max.next, %LATCH ]",
          f"  %acc.arg = phi {vi32} [ {zero_i}, %entry ], [ %arg.next, %LATCH ]",
          f"  %acc.n = phi {vi64} [ {zero_i}, %entry ], [ %n.next, %LATCH ]",
          f"  %acc.bad = phi {vi64} [ {zero_i}, %entry ], [ %bad.next, %LATCH ]",
          f"  %acc.fail = phi {vi64} [ {zero_i}, %entry ], [ %fail.next, %LATCH ]",
          "  %amb.n = phi i64 [ 0, %entry ], [ %amb.next, %LATCH ]",
          "  %amb.kept = phi i64 [ 0, %entry ], [ %kept.next, %LATCH ]",
          "  %i32 = trunc i64 %i to i32",
          "  %rem = sub i64 %end, %i",
          f"  %rem.min = call i64 @llvm.smin.i64(i64 %rem, i64 {W})",
          "  %rem32 = trunc i64 %rem.min to i32"]
    e32.declare("@llvm.smin.i64", "declare i64 @llvm.smin.i64(i64, i64) #0")
    rem = e32.splat_value(L, "%rem32", "i32")
    base = e32.splat_value(L, "%i32", "i32")
    L += [f"  %mask = icmp slt {vi32} {iota}, {rem}",
          f"  %bits = add {vi32} {base}, {iota}",
          f"  %x = bitcast {vi32} %bits to {v32}",
          f"  %x64 = fpext {v32} %x to {v64}"]
    e32.block = "loop"
    y = e32.compute([cand], lambda n: "%x")[id(cand)]
    e64.block = e32.block
    r = e64.compute([ref], lambda n: "%x64")[id(ref)]
    L += [f"  %y64 = fpext {v32} {y} to {v64}"]
    e64.values = {}
    errv = e64.compute([err], lambda n: "%y64" if n.value == "y" else r)[id(err)]
    latch = e64.block
    L += [f"  %rabs = call {v64} {fabs64}({v64} {r})",
          f"  %yabs = call {v64} {fabs64}({v64} %y64)",
          f"  %r.fin = fcmp olt {v64} %rabs, {d(float('inf'))}",
          f"  %y.fin = fcmp olt {v64} %yabs, {d(float('inf'))}"]
    if normal_only:        # the reference rounds to a normal float32
        L += [f"  %r.norm.lo = fcmp oge {v64} %rabs, {d(2.0 ** -126)}",
              f"  %r.norm.hi = fcmp olt {v64} %rabs, {d(2.0 ** 128 * (1 - 2.0 ** -25))}",
              f"  %r.norm = and {vm} %r.norm.lo, %r.norm.hi",
              f"  %valid = and {vm} %mask, %r.norm"]
    else:
        L += [f"  %x.ok = fcmp ord {v32} %x, %x",
              f"  %valid = and {vm} %mask, %x.ok"]
    L += [f"  %judged = and {vm} %valid, %r.fin",
          f"  %both = and {vm} %judged, %y.fin",
          f"  %y.nonfin = xor {vm} %y.fin, splat (i1 true)" if t.llvm_major >= 19 else
          f"  %y.nonfin = fcmp uge {v64} %yabs, {d(float('inf'))}",
          f"  %failed.any = and {vm} %judged, %y.nonfin",
          # a reference beyond the largest float32 by half an ULP rounds to infinity: there
          # an infinity of its sign is the correctly rounded result, not a failure
          f"  %r.over = fcmp oge {v64} %rabs, {d(2.0 ** 128 * (1 - 2.0 ** -25))}",
          f"  %y.inf = fcmp oeq {v64} %yabs, {d(float('inf'))}",
          f"  %ry = fmul {v64} %y64, {r}",
          f"  %same.sign = fcmp ogt {v64} %ry, {zero_d}",
          f"  %over.0 = and {vm} %r.over, %y.inf",
          f"  %over.ok = and {vm} %over.0, %same.sign",
          f"  %over.not = xor {vm} %over.ok, {e32.splat_const('true', 'i1')}",
          f"  %failed = and {vm} %failed.any, %over.not",
          f"  %e = select {vm} %both, {v64} {errv}, {v64} {zero_d}",
          f"  %gt = fcmp ogt {v64} %e, %acc.max",
          f"  %max.next = select {vm} %gt, {v64} %e, {v64} %acc.max",
          f"  %arg.next = select {vm} %gt, {vi32} %bits, {vi32} %acc.arg",
          f"  %valid64 = zext {vm} %judged to {vi64}",
          f"  %n.next = add {vi64} %acc.n, %valid64",
          f"  %bad = fcmp ogt {v64} %e, {d(0.5 + tolerance)}",
          f"  %bad64 = zext {vm} %bad to {vi64}",
          f"  %bad.next = add {vi64} %acc.bad, %bad64",
          f"  %fail64 = zext {vm} %failed to {vi64}",
          f"  %fail.next = add {vi64} %acc.fail, %fail64",
          f"  %near.lo = fcmp oge {v64} %e, {d(0.5 - tolerance)}",
          f"  %near.hi = fcmp ole {v64} %e, {d(0.5 + tolerance)}",
          f"  %near0 = and {vm} %near.lo, %near.hi",
          f"  %near = and {vm} %near0, %both",
          f"  %near.bits = bitcast {vm} %near to i{W}",
          f"  %near.w = zext i{W} %near.bits to i32",
          "  %near.n32 = call i32 @llvm.ctpop.i32(i32 %near.w)",
          "  %near.n = zext i32 %near.n32 to i64",
          "  %amb.next = add i64 %amb.n, %near.n",
          "  %room = add i64 %amb.kept, %near.n",
          f"  %fits = icmp ule i64 %room, {AMBIGUOUS_CAPACITY}",
          "  %any = icmp ne i64 %near.n, 0",
          "  %keep = and i1 %any, %fits",
          "  br i1 %keep, label %store, label %stored",
          "store:",
          "  %slot = getelementptr i32, ptr %amb, i64 %amb.kept",
          f"  call void {cstore}({vi32} %bits, ptr %slot, {vm} %near)",
          "  br label %stored",
          "stored:",
          "  %kept.next = phi i64 [ %amb.kept, %" + latch + " ], [ %room, %store ]",
          f"  %i.next = add i64 %i, {W}",
          "  %more = icmp slt i64 %i.next, %end",
          "  br i1 %more, label %loop, label %exit"]
    body = [ln.replace("%LATCH", "%stored") for ln in L]
    st = [f"  %s.max = getelementptr double, ptr %stats, i64 0",
          f"  %s.arg = getelementptr i64, ptr %stats, i64 {W}",
          f"  %s.cnt = getelementptr i64, ptr %stats, i64 {2 * W}"]
    exit_lines = ["exit:",
                  f"  %f.max = phi {v64} [ {zero_d}, %entry ], [ %max.next, %stored ]",
                  f"  %f.arg = phi {vi32} [ {zero_i}, %entry ], [ %arg.next, %stored ]",
                  f"  %f.n = phi {vi64} [ {zero_i}, %entry ], [ %n.next, %stored ]",
                  f"  %f.bad = phi {vi64} [ {zero_i}, %entry ], [ %bad.next, %stored ]",
                  f"  %f.fail = phi {vi64} [ {zero_i}, %entry ], [ %fail.next, %stored ]",
                  "  %f.amb = phi i64 [ 0, %entry ], [ %amb.next, %stored ]",
                  "  %f.kept = phi i64 [ 0, %entry ], [ %kept.next, %stored ]"] + st + [
                  f"  store {v64} %f.max, ptr %s.max, align 8",
                  f"  %f.arg64 = zext {vi32} %f.arg to {vi64}",
                  f"  store {vi64} %f.arg64, ptr %s.arg, align 8"]
    for k, name in enumerate(("n", "bad", "fail")):
        red = f"@llvm.vector.reduce.add.v{W}i64"
        e32.declare(red, f"declare i64 {red}({vi64}) #0")
        exit_lines += [f"  %r.{name} = call i64 {red}({vi64} %f.{name})",
                       f"  %p.{name} = getelementptr i64, ptr %s.cnt, i64 {k}",
                       f"  store i64 %r.{name}, ptr %p.{name}"]
    exit_lines += ["  %p.amb = getelementptr i64, ptr %s.cnt, i64 3", "  store i64 %f.amb, ptr %p.amb",
                   "  %p.kept = getelementptr i64, ptr %s.cnt, i64 4", "  store i64 %f.kept, ptr %p.kept",
                   "  ret void"]
    lines = [f"; exprc exhaustive verifier", f'target triple = "{t.triple}"', ""]
    lines += sorted(e32.decls.values())
    lines += ["", f"define void @{symbol}(i64 %start, i64 %end, ptr %stats, ptr %amb) #1 {{", "entry:"]
    lines += e32.entry
    lines += ["  %go = icmp slt i64 %start, %end", "  br i1 %go, label %loop, label %exit", "loop:"]
    lines += body + exit_lines + ["}", "",
                                  "attributes #0 = { nounwind willreturn memory(none) }",
                                  'attributes #1 = { nounwind "no-trapping-math"="true" }', ""]
    return "\n".join(lines)


def verifier(candidate: ir.Node, reference: ir.Node, normal_only: bool, mathlib: str = "exprc",
             tolerance: float = BOUNDARY_TOLERANCE):
    """The compiled verifier for this candidate and reference (cached like every kernel).
    tolerance: half-width, in ULPs, of the band around a rounding boundary whose inputs are
    handed back to be settled in high precision; it must exceed the float64 reference's own
    error (2**-20 suits any expression; a single libm call allows 2**-24)."""
    cand32 = ir.retype(candidate, "float32")
    ref64 = ir.retype(reference, "float64")
    digest = ir.dag_digest([cand32, ref64], extra=f"verify|{normal_only}|{mathlib}|{tolerance!r}")
    key = _target.cache_key("verifier", digest)
    symbol = "exprc_verify_" + key[:24]
    return _target.native_function(
        key, symbol, lambda: verifier_ir(cand32, ref64, normal_only, symbol, mathlib, tolerance), _FN)
