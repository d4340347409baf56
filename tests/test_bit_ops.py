"""Integer, bit-pattern and table ops: what table-driven math libraries are built from.

Every such op in the registry is checked bit for bit on every backend against the numpy oracle,
on float bit patterns of every kind (NaN, infinities, subnormals, huge, tiny), and its written
semantics (wrapping, shift counts mod the width, saturating conversion, clamped tables) are
checked against plain Python integers.
"""
import ctypes
import shutil
import subprocess

import numpy as np
import pytest

import exprc
from exprc import ir, ops
from exprc.backends.c_source import emit_c
from exprc.dtypes import INT_OF
from exprc.random_expr import special_values

from conftest import first_mismatch, same_bits

BIT_OPS = [op for op in ops.REGISTRY.values() if op.kind in ops.BIT_KINDS]
WIDTH = {"float32": 32, "float64": 64}
CC = shutil.which("cc") or shutil.which("gcc")


def _inputs(dtype, n=3000, seed=0):
    """Special values, random bit patterns (every class of float) and values around the
    integer range's edges, as x and y columns."""
    rng = np.random.default_rng(seed)
    uint = np.uint32 if dtype == "float32" else np.uint64
    bits = rng.integers(0, np.iinfo(uint).max, n, dtype=uint, endpoint=True).view(dtype)
    edge = 2.0 ** (WIDTH[dtype] - 1)
    around = np.array([edge, -edge, np.nextafter(edge, 0), -np.nextafter(edge, 0), 2 * edge, -2 * edge,
                       0.5, -0.5, 1.5, -1.5, 1e300 if dtype == "float64" else 3e38], dtype=dtype)
    small = rng.uniform(-300, 300, n).astype(dtype)
    s = special_values(dtype)
    x = np.concatenate([s, np.repeat(s, 1)[::-1], bits, around, small])
    y = np.concatenate([s[::-1], s, rng.permutation(bits), around[::-1], rng.integers(-70, 70, n).astype(dtype)])
    return x, y


def _program_text(op: ops.Op, dtype: str) -> str:
    """An exprc program exercising op; integer results leave as two exact float halves."""
    half = WIDTH[dtype] // 2
    if op.kind == ops.INTEGER:
        b = "toint(y)" if op.name in ("shl", "shr", "ushr") else "asint(y)"
        r = f"{op.name}(asint(x), {b})"
    elif op.kind == ops.TO_INT:
        r = f"{op.name}(x)"
    elif op.kind == ops.TO_FLOAT:
        return f"{op.name}(asint(x)) + 0"
    else:
        return "table(isub(iand(toint(x), 15), 4), 0.25, -1.5, 3, 1e-30, pi, -0.0, 7, 1e30)"
    return f"tofloat(iand({r}, {(1 << half) - 1})) + tofloat(shr({r}, {half})) * {float(2 ** half)}"


def _cases():
    for op in BIT_OPS:
        for dtype in ("float32", "float64"):
            yield pytest.param(op.name, dtype, id=f"{op.name}-{dtype}")


def test_every_bit_op_is_exercised():
    names = {op.name for op in BIT_OPS}
    assert {"asint", "asfloat", "toint", "tofloat", "iadd", "isub", "iand", "ior", "shl", "shr", "ushr",
            "table"} <= names


@pytest.mark.parametrize("opname,dtype", list(_cases()))
def test_llvm_matches_the_oracle(opname, dtype):
    text = _program_text(ops.REGISTRY[opname], dtype)
    want = exprc.compile(text, dtype=dtype, backend="numpy", variables=["x", "y"])
    got = exprc.compile(text, dtype=dtype, backend="llvm", variables=["x", "y"])
    x, y = _inputs(dtype)
    a, b = got(x, y), want(x, y)
    assert same_bits(a, b), f"{text}: row {first_mismatch(a, b)}"


@pytest.mark.skipif(CC is None, reason="no C compiler on this machine")
@pytest.mark.parametrize("opname,dtype", list(_cases()))
def test_c_matches_the_oracle(opname, dtype, tmp_path):
    text = _program_text(ops.REGISTRY[opname], dtype)
    k = exprc.compile(text, dtype=dtype, backend="numpy", variables=["x", "y"])
    (tmp_path / "k.c").write_text(emit_c(k.program))
    subprocess.run([CC, "-O2", "-std=c99", "-ffp-contract=off", "-fno-fast-math", "-shared", "-fPIC",
                    str(tmp_path / "k.c"), "-o", str(tmp_path / "k.so"), "-lm"], check=True, capture_output=True)
    lib = ctypes.CDLL(str(tmp_path / "k.so"))
    x, y = _inputs(dtype)
    out = np.empty_like(x)
    ptr = lambda a: a.ctypes.data_as(ctypes.c_void_p)  # noqa: E731
    lib.exprc_eval_array(ctypes.c_size_t(x.size), ptr(x), ptr(y), ptr(out))
    want = k(x, y)
    assert same_bits(out, want), f"{text}: row {first_mismatch(out, want)}"


@pytest.mark.parametrize("opname,dtype", list(_cases()))
def test_triton_matches_the_oracle(opname, dtype, monkeypatch):
    pytest.importorskip("triton", reason="the triton extra is not installed")
    pytest.importorskip("torch", reason="the triton extra is not installed")
    monkeypatch.setenv("TRITON_INTERPRET", "1")
    text = _program_text(ops.REGISTRY[opname], dtype)
    want = exprc.compile(text, dtype=dtype, backend="numpy", variables=["x", "y"])
    got = exprc.compile(text, dtype=dtype, backend="triton", variables=["x", "y"])
    x, y = _inputs(dtype, n=500)
    with np.errstate(all="ignore"):
        a, b = got(x, y), want(x, y)
    assert same_bits(a, b), f"{text}: row {first_mismatch(a, b)}"


# ---- the written semantics, against Python integers

def _run(text, dtype="float32", **inputs):
    return exprc.compile(text, dtype=dtype, backend="llvm", variables=list(inputs))(
        *[np.asarray(v, dtype=dtype) for v in inputs.values()])


def test_asint_and_asfloat_are_the_bit_pattern():
    x = np.array([1.0, -2.5, np.inf, 1e-45, -0.0], np.float32)
    lo = _run("tofloat(iand(asint(x), 65535))", x=x)
    hi = _run("tofloat(shr(asint(x), 16))", x=x)
    want = x.view(np.int32).astype(np.int64)
    assert np.array_equal(hi.astype(np.int64) * 65536 + lo.astype(np.int64), want)
    assert same_bits(_run("asfloat(asint(x))", x=x), x)


def test_toint_truncates_and_saturates_and_nan_gives_zero():
    x = np.array([2.9, -2.9, 3e9, -3e9, np.nan, np.inf, -np.inf, 2.0 ** 31, -2.0 ** 31], np.float32)
    got = _run("tofloat(shr(toint(x), 8)) * 256 + tofloat(iand(toint(x), 255))", dtype="float64", x=x)
    want = [2, -2, 3e9, -3e9, 0, 2 ** 63 - 1, -2 ** 63, 2 ** 31, -2 ** 31]   # float64: int64
    assert np.array_equal(got, np.array(want, dtype=np.float64))
    got32 = _run("tofloat(shr(toint(x), 8))", x=x)       # float32: int32, shifted to stay exact
    assert list(got32) == [v >> 8 for v in (2, -2, 2 ** 31 - 1, -2 ** 31, 0, 2 ** 31 - 1, -2 ** 31,
                                            2 ** 31 - 1, -2 ** 31)]


def test_integer_arithmetic_wraps_and_shift_counts_are_taken_mod_the_width():
    got = _run("tofloat(shr(iadd(toint(x), 2147483647), 16))", x=[1.0])
    assert got[0] == (-2 ** 31) >> 16                   # INT_MAX + 1 wraps to INT_MIN
    assert _run("tofloat(shl(toint(x), 33))", x=[3.0])[0] == 6.0    # 33 mod 32 = 1
    assert _run("tofloat(shr(toint(x), 1))", x=[-7.0])[0] == -4.0   # arithmetic: floor
    assert _run("tofloat(ushr(toint(x), 28))", x=[-1.0])[0] == 15.0  # logical: zeros fill in


def test_table_index_is_clamped_into_the_table():
    got = _run("table(toint(x), 10, 20, 30)", x=[-5.0, 0.0, 1.0, 2.0, 99.0, np.nan])
    assert list(got) == [10, 10, 20, 30, 30, 10]


def test_table_entries_round_once_to_the_dtype():
    node = ir.table(ir.apply("toint", ir.var("x", "float32")), ["0.1"], "float32")
    got = exprc.compile(node, dtype="float32")(np.zeros(1, np.float32))
    assert got[0] == np.float32(0.1)


def test_integer_compare_and_select():
    got = _run("where(asint(x) < 0, 1, 2) + tofloat(where(x > 0, asint(x), 7))", x=[-1.0, 1.0])
    assert got[0] == 1 + 7 and got[1] == 2 + float(np.float32(1.0).view(np.int32))


def test_text_round_trip_and_pickling_keep_tables():
    import pickle
    node = exprc.parse("table(toint(x * 4), 1, 2.5, -0.5) + asfloat(iadd(asint(x), 1))", dtype="float32")
    assert exprc.parse(str(node), dtype="float32") is node
    assert pickle.loads(pickle.dumps(node)) is node


def test_retyping_a_program_moves_its_integers_and_tables_to_the_other_width():
    node = exprc.parse("asfloat(iadd(asint(x), 1)) + table(toint(x), 1, 2)", dtype="float32")
    wide = node.astype("float64")
    assert {n.dtype for n in ir.topo([wide])} <= {"float64", "int64"}
    x = np.array([1.0, 0.0])
    assert same_bits(exprc.compile(wide)(x), np.array([1.0 + 2.0 ** -52 + 2, 5e-324 + 1]))


def test_integer_constants_fold_exactly():
    from exprc.passes.fold import fold
    (n,) = fold([exprc.parse("tofloat(iadd(shl(toint(3), 4), ixor(5, 3)))", dtype="float32")])
    assert n.op == "const" and n.value == 54


@pytest.mark.parametrize("text,message", [
    ("sin(asint(x))", "takes floats"),
    ("iadd(x, 1)", "takes integers"),
    ("iadd(asint(x), 0.5)", "int32 operands"),
    ("table(toint(x), x)", "must be a number"),
    ("table(x)", "needs an index"),
])
def test_type_errors_are_clear(text, message):
    with pytest.raises(exprc.ExprcError, match=message):
        exprc.parse(text, dtype="float32")


def test_integer_outputs_are_refused():
    with pytest.raises(exprc.ExprcError, match="tofloat"):
        exprc.compile("asint(x)", dtype="float32")


def test_int_dtypes_follow_the_float_width():
    x32, x64 = ir.var("x", "float32"), ir.var("x", "float64")
    assert ir.apply("asint", x32).dtype == INT_OF["float32"] == "int32"
    assert ir.apply("toint", x64).dtype == "int64"


@pytest.mark.parametrize("size", [1, 5, 16, 17, 33, 64, 100, 300])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_tables_of_every_size_match_the_oracle(size, dtype):
    """Small tables are read by register permutes, large ones by gathers: the same entries."""
    rng = np.random.default_rng(size)
    entries = ", ".join(repr(float(v)) for v in rng.normal(size=size))
    text = f"table(toint(x), {entries})"
    x = np.arange(-3, size + 3, 0.5).astype(dtype)
    want = exprc.compile(text, dtype=dtype, backend="numpy")(x)
    got = exprc.compile(text, dtype=dtype, backend="llvm")(x)
    assert same_bits(got, want)
