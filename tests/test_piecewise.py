"""Piecewise approximations with adaptive knots: the cell index, the piece fit and the whole
program are what the kernel computes, bit for bit, and every result is proven to its target."""
import ctypes
import json
import shutil
import subprocess
import sys

import numpy as np
import pytest

import exprc
from exprc import ir
from exprc.backends.c_source import emit_c
from exprc.errors import ExprcError
from exprc.search.approx.piecewise import approximate_piecewise, fit, knots
from exprc.search.approx.piecewise.layout import Layout, float_of, key_of
from exprc.search.approx.piecewise.program import build
from exprc.search.approx.piecewise.symmetry import detect

RNG = np.random.default_rng(7)


def _floats(n=20000, lo=-10.0, hi=10.0):
    bits = RNG.integers(0, 1 << 32, n, dtype=np.uint64).astype(np.uint32).view(np.float32)
    bits = bits[np.isfinite(bits)]
    return np.concatenate([bits, np.float32(RNG.uniform(lo, hi, n)),
                           np.float32([0.0, -0.0, 1e-45, -1e-45, lo, hi])])


def test_keys_are_monotone_and_invertible():
    x = np.sort(_floats())
    k = key_of(x)
    assert np.all(np.diff(k) >= 0)
    assert np.array_equal(float_of(k).view(np.uint32), x.view(np.uint32))
    assert key_of(np.float32([-0.0]))[0] == -1 and key_of(np.float32([0.0]))[0] == 0


def _floats64(n=20000, lo=-10.0, hi=10.0):
    bits = RNG.integers(0, 1 << 64, n, dtype=np.uint64).view(np.float64)
    bits = bits[np.isfinite(bits)]
    return np.concatenate([bits, RNG.uniform(lo, hi, n), [0.0, -0.0, 5e-324, -5e-324, lo, hi]])


def test_float64_keys_are_monotone_and_invertible():
    x = np.sort(_floats64())
    k = key_of(x, "float64")
    assert np.all(np.diff(k) >= 0)
    assert np.array_equal(float_of(k, "float64").view(np.uint64), x.view(np.uint64))
    assert key_of(np.float64([-0.0]), "float64")[0] == -1 and key_of(np.float64([0.0]), "float64")[0] == 0


LAYOUTS = [Layout.uniform_x(0, 9, 387), Layout.uniform_x(-5, 5, 64), Layout.uniform_x(1e-6, 1, 1000),
           Layout.uniform_bits(0, 9, 20), Layout.uniform_bits(-5, 5, 22), Layout.uniform_bits(1e-6, 1, 18),
           Layout.uniform_x(0, 9, 387, "float64"), Layout.uniform_x(-5, 5, 64, "float64"),
           Layout.uniform_bits(0, 9, 49, "float64"), Layout.uniform_bits(-5, 5, 51, "float64"),
           Layout.uniform_bits(1e-6, 1, 47, "float64")]


@pytest.mark.parametrize("layout", LAYOUTS, ids=lambda lay: f"{lay.dtype}-{lay.kind}[{lay.a:g},{lay.b:g}]/{lay.cells}")
def test_cell_index_in_numpy_is_the_programs(layout):
    """The numpy emulation that assigns test inputs to pieces is the program's own index, on
    every input including the knots' neighbours and inputs outside the interval."""
    dt = layout.dtype
    x = _floats(lo=layout.a, hi=layout.b) if dt == "float32" else _floats64(lo=layout.a, hi=layout.b)
    starts = layout.first_keys(np.arange(layout.cells))
    near = float_of(np.concatenate([starts + d for d in (-2, -1, 0, 1, 2)]), dt)
    x = np.concatenate([x, near])
    node = ir.apply("tofloat", layout.program(ir.var("x", dt)))
    k = exprc.compile(node, dtype=dt, variables=["x"])
    got = np.clip(k(x), 0, layout.cells - 1).astype(np.int64)     # the table clamps the same way
    assert np.array_equal(got, layout.cell(x))


@pytest.mark.parametrize("layout", [Layout.uniform_x(0.5, 3.0, 100), Layout.uniform_x(-3, 3, 100),
                                    Layout.uniform_x(-3, 3, 100, "float64"), Layout.uniform_x(-1e300, 1e300, 64, "float64"),
                                    Layout.uniform_bits(-5, 5, 50, "float64")],
                         ids=lambda lay: f"{lay.dtype}-{lay.kind}[{lay.a:g},{lay.b:g}]")
def test_first_keys_finds_each_cells_first_input(layout):
    """Bisection on keys, also where float64 keys span nearly all of int64 (across 0)."""
    starts = np.arange(1, layout.cells)
    keys = layout.first_keys(starts)
    k0, k1 = layout.key_range
    assert np.all((keys >= k0) & (keys <= k1 + 1)) and np.all(keys[1:] >= keys[:-1])
    inside = keys <= k1
    assert np.all(layout.cell(float_of(keys[inside], layout.dtype)) >= starts[inside])
    assert np.all(layout.cell(float_of(keys - 1, layout.dtype)) < starts)


@pytest.mark.parametrize("form", ["head", "plain", "zero"])
def test_piece_evaluation_is_the_kernels(form):
    """fit.evaluate is the op sequence the program runs (fma emulated in float64, equal to a
    true fma except on float64 ties, which random inputs do not hit), in each piece form."""
    x = np.float32(RNG.uniform(1.25, 1.3, 50000))
    ref = np.tanh(x.astype(np.float64))
    x0 = 0.0 if form == "zero" else 1.25
    coeffs = fit.fit(x, ref, x0, 4, form)
    piece = fit.Piece((0, 1), (0, 1), x0, tuple(float(c) for c in coeffs), 0.0, None, x.size, False)
    k = knots.Knots("uniform x", Layout.uniform_x(1.25, 1.3, 1), [piece])
    got = exprc.compile(build(k), dtype="float32", variables=["x"])(x)
    assert np.array_equal(got.view(np.uint32), fit.evaluate(coeffs, x0, x).view(np.uint32))
    err = fit.ulp_error(got, ref, np.spacing(np.float32(ref)).astype(np.float64))
    assert err.max() < 2.0                    # and it is a good fit of the function


@pytest.fixture(scope="module")
def tanh_result():
    return approximate_piecewise("tanh", (0, 2), degree=4, max_ulp=1.0, measure_speed=False)


def test_every_knot_method_is_proven_within_the_target(tanh_result):
    for m in tanh_result.methods:
        assert m.proof is not None and m.proof.exhaustive
        assert m.proof.count >= int(key_of(np.float32([2.0]))[0])        # every float32 in [0, 2]
        assert m.met and m.proof.max_ulp <= 1.0, m.method
    best = tanh_result.best()
    assert best.knots.count == min(m.knots.count for m in tanh_result.methods)


def test_adaptive_knots_need_fewer_pieces_than_uniform(tanh_result):
    adaptive = tanh_result.method("adaptive x").knots.count
    uniform = tanh_result.method("uniform x").knots.count
    assert adaptive < uniform


def test_adaptive_pieces_are_narrow_where_the_function_is_hard(tanh_result):
    pieces = tanh_result.method("adaptive x").knots.pieces
    widths = [p.interval[1] - p.interval[0] for p in pieces]
    assert len(set(np.round(widths, 6))) > 1                  # not a uniform grid


@pytest.mark.filterwarnings("ignore::RuntimeWarning")     # huge inputs outside the interval overflow when scaled
@pytest.mark.parametrize("backend", ["numpy", "c", "triton"])
def test_program_gives_the_same_bits_on_every_backend(tanh_result, backend, tmp_path, monkeypatch):
    node = tanh_result.best().program
    x = _floats(n=2000, lo=-1.0, hi=3.0)
    llvm = exprc.compile(node, dtype="float32", variables=["x"])(x)
    if backend == "c":
        cc = shutil.which("cc") or shutil.which("gcc")
        if cc is None:
            pytest.skip("no C compiler on this machine")
        (tmp_path / "k.c").write_text(emit_c(exprc.compile(node, dtype="float32", variables=["x"]).program))
        subprocess.run([cc, "-O2", "-std=c99", "-ffp-contract=off", "-fno-fast-math", "-shared", "-fPIC",
                        str(tmp_path / "k.c"), "-o", str(tmp_path / "k.so"), "-lm"], check=True, capture_output=True)
        lib = ctypes.CDLL(str(tmp_path / "k.so"))
        other = np.empty_like(x)
        lib.exprc_eval_array(ctypes.c_size_t(x.size), ctypes.c_void_p(x.ctypes.data), ctypes.c_void_p(other.ctypes.data))
    elif backend == "triton":
        pytest.importorskip("triton", reason="the triton extra is not installed")
        pytest.importorskip("torch", reason="the triton extra is not installed")
        monkeypatch.setenv("TRITON_INTERPRET", "1")
        other = exprc.compile(node, dtype="float32", variables=["x"], backend="triton")(x)
    else:
        other = exprc.compile(node, dtype="float32", variables=["x"], backend="numpy")(x)
    assert np.array_equal(llvm.view(np.uint32), np.asarray(other, dtype=np.float32).view(np.uint32))


def test_expression_with_a_zero_inside_the_interval():
    """tanh is 0 at 0, inside [-1, 1]: the piece holding 0 is measured from 0 with c0 = 0, so
    relative accuracy holds down to the subnormals on both sides."""
    r = approximate_piecewise("tanh(x)", (-1, 1), degree=5, methods=["adaptive x"], measure_speed=False,
                              symmetry=False)
    m = r.method("adaptive x")
    assert m.met, m.proof


def test_any_expression_in_x():
    r = approximate_piecewise("log1p(x)/x", (1e-3, 1), degree=4, methods=["adaptive x", "uniform x"],
                              measure_speed=False)
    assert all(m.met for m in r.methods)


def test_report_files(tmp_path):
    r = approximate_piecewise("exp(-x*x/2)", (-2, 2), degree=5, methods=["adaptive bits", "uniform x"],
                              out_dir=tmp_path)
    front = json.loads((tmp_path / "front.json").read_text())
    assert {m["method"] for m in front["methods"]} == {"adaptive bits", "uniform x"}
    assert all(m["verified"] == "exhaustive" for m in front["methods"])
    pieces = json.loads((tmp_path / "pieces.json").read_text())
    assert len(pieces["pieces"]) == r.best().knots.count
    text = (tmp_path / "best.exprc").read_text()
    again = exprc.compile(text, dtype="float32", variables=["x"])
    x = np.float32(RNG.uniform(-2, 2, 1000))
    assert np.array_equal(again(x), exprc.compile(r.best().program, dtype="float32", variables=["x"])(x))
    assert "pieces" in (tmp_path / "report.md").read_text()
    assert front["symmetry"] == "even" and pieces["pieces_of"] == "|x|"
    for name in ("best.c", "best.ll", "best_triton.py"):
        assert (tmp_path / name).stat().st_size > 0


@pytest.mark.parametrize("expr, interval, kwargs, message", [
    ("x*y", (0, 1), {}, "function of x alone"),
    ("3", (0, 1), {}, "does not depend on x"),
    ("log(x)", (-1, 1), {}, "not finite everywhere"),
    ("tanh", (1, 1), {}, "holds no two float32"),
    ("tanh", (0, 1), {"degree": 11}, "degree must be"),
    ("tanh", (0, 1), {"max_ulp": 0.25}, "at least 0.5"),
    ("tanh", (0, 1), {"methods": ["spline"]}, "unknown knot method"),
])
def test_bad_requests_are_refused_clearly(expr, interval, kwargs, message):
    with pytest.raises(ExprcError, match=message):
        approximate_piecewise(expr, interval, **kwargs)


def test_cli(tmp_path):
    out = tmp_path / "r"
    p = subprocess.run([sys.executable, "-m", "exprc.cli", "approx", "erf", "--interval", "0", "1", "--piecewise",
                        "--degree", "5", "--knots", "adaptive-x", "-o", str(out), "--quiet"],
                       capture_output=True, text=True, timeout=600)
    assert p.returncode == 0, p.stderr
    assert "adaptive x" in p.stdout and (out / "front.json").exists()
    bad = subprocess.run([sys.executable, "-m", "exprc.cli", "approx", "x*y", "--interval", "0", "1", "--piecewise"],
                         capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2 and len(bad.stderr.strip().splitlines()) == 1


def test_cli_time_limit_leaves_proofs_unfinished_and_says_so(tmp_path):
    p = subprocess.run([sys.executable, "-m", "exprc.cli", "approx", "tanh", "--interval", "0", "8", "--piecewise",
                        "--degree", "3", "--knots", "uniform-x", "--time", "0.01", "-o", str(tmp_path / "r"), "--quiet"],
                       capture_output=True, text=True, timeout=600)
    assert p.returncode == 1 and "did not finish within --time" in p.stdout, p.stdout + p.stderr


def test_search_entry_point_takes_piecewise():
    from exprc.search import approximate
    r = approximate("tanh", (0, 0.5), piecewise=True, degree=4, max_ulp=1.0)
    assert r.best() is not None and r.best().met


def test_uniform_x_is_the_fewest_equal_pieces():
    ref = exprc.compile("tanh(x)", dtype="float64", variables=["x"])
    f = knots.PieceFitter(ref, (0, 4), 3, 1.0)
    k = knots.uniform_x(f)
    assert k.met
    fewer, ok = knots._uniform(f, Layout.uniform_x(0, 4, k.count - 1))
    assert not ok


def test_an_interval_from_minus_zero_covers_every_input():
    """[-0, 1] holds every float32 from +0 to 1 and -0 itself (max(-0.0, 0.0) is -0.0, which
    once left the positive range empty and 'proved' a single input)."""
    from exprc.search.approx.verify import bit_ranges
    ranges = bit_ranges((-0.0, 1.0))
    assert sum(hi - lo for lo, hi in ranges) == int(key_of(np.float32([1.0]))[0]) + 2


@pytest.mark.parametrize("expr, interval, parity", [
    ("exp(-x*x/2)", (-5, 5), "even"), ("cos(x) + x*x", (-1, 3), "even"), ("tanh(x)", (-9, 2), "odd"),
    ("x*exp(-x*x)", (-1, 1), "odd"), ("exp(x)", (-1, 1), None), ("tanh(x) + 1e-9*x*x", (-1, 1), None),
    ("exp(-x*x)", (0, 1), None), ("x*x + x", (-1, 1), None),
])
def test_parity_is_detected_on_intervals_around_zero(expr, interval, parity):
    ref = exprc.compile(expr, dtype="float64", variables=["x"])
    assert detect(ref, interval).parity == parity


def test_an_odd_function_needs_only_the_pieces_of_its_positive_half():
    """tanh on [-2, 2]: the pieces of [0, 2], evaluated at |x| with x's sign put back; proven
    over both signs, and f(-x) is exactly -f(x), -0.0 included."""
    both = approximate_piecewise("tanh(x)", (-2, 2), degree=4, methods=["adaptive bits"], measure_speed=False)
    half = approximate_piecewise("tanh(x)", (0, 2), degree=4, methods=["adaptive bits"], measure_speed=False)
    m = both.method("adaptive bits")
    assert both.parity == "odd" and m.met
    assert m.knots.count == half.method("adaptive bits").knots.count
    assert m.proof.count > 2 * (1 << 30)                 # every float32 of [-2, 2]
    k = exprc.compile(m.program, dtype="float32", variables=["x"])
    x = np.concatenate([np.float32(RNG.uniform(0, 2, 5000)), np.float32([0.0, 1e-45, 2.0])])
    assert np.array_equal(k(-x).view(np.uint32), (-k(x)).view(np.uint32))


def test_float64_piece_evaluation_is_the_kernels():
    """fit64.evaluate64 (the generic kernel the fitter judges pieces with) gives the bits of the
    piece's own program."""
    from exprc.search.approx.piecewise import fit64
    from exprc.parser import parse
    ref = fit64.Reference(parse("tanh(x)", dtype="float64"))
    coeffs = fit64.fit64(ref, 1.25, 1.3, 1.25, 8, "head", 0)
    piece = fit.Piece((0, 1), (0, 1), 1.25, coeffs, 0.0, None, 0, False, dtype="float64")
    k = knots.Knots("uniform x", Layout.uniform_x(1.25, 1.3, 1, "float64"), [piece])
    x = RNG.uniform(1.25, 1.3, 5000)
    got = exprc.compile(build(k), dtype="float64", variables=["x"])(x)
    assert np.array_equal(got.view(np.uint64), fit64.evaluate64(coeffs, 1.25, x).view(np.uint64))
    assert fit64.ulp_error64(got[:500], *ref(x[:500])).max() < 1.0


def test_float64_results_are_checked_on_a_sample_and_labelled(tmp_path):
    """A float64 program: float64 tables and Horner, within the target on its sampled check and
    on an independent sample against mpmath; never called proven."""
    from exprc.ulp import report_vs_mpmath
    import mpmath
    r = approximate_piecewise("tanh(x)", (0, 1), degree=8, dtype="float64", methods=["adaptive bits"],
                              out_dir=tmp_path)
    m = r.best()
    assert m is not None and m.met and not m.proof.exhaustive and m.proof.count > 30000
    assert m.program.dtype == "float64"
    x = np.random.default_rng(3).uniform(0, 1, 3000)
    y = exprc.compile(m.program, dtype="float64", variables=["x"])(x)
    assert report_vs_mpmath(mpmath.tanh, x, y, "float64").max_ulp <= 1.0
    front = json.loads((tmp_path / "front.json").read_text())
    assert front["dtype"] == "float64" and front["methods"][0]["verified"] == "sampled"
    assert "sampled" in (tmp_path / "report.md").read_text()


def test_float64_bits_layout_from_zero_keeps_its_cells_for_the_top_binades():
    """From +0 a float64 bits layout counts cells from b 2**-64: everything below shares cell 0
    (where the function is its constant or linear term), not ~1,000 binades of their own."""
    from exprc.search.approx.piecewise.layout import FLOOR_BINADES
    lay = Layout.uniform_bits(0, 9, 48, "float64")
    assert lay.origin == 9 * 2.0 ** -FLOOR_BINADES and lay.cells < 2 ** 12
    x = np.array([0.0, 5e-324, 1e-300, lay.origin / 2, lay.origin, 1.0, 9.0])
    c = lay.cell(x)
    assert list(c[:4]) == [0, 0, 0, 0] and np.all(np.diff(c) >= 0) and c[-1] == lay.cells - 1
    assert Layout.uniform_bits(0, 9, 20).origin is None                # float32 layouts are as before


def test_float64_interval_across_zero_without_symmetry():
    """exp on [-2, 2]: keys of both signs (the bisection's int64 range), no fold."""
    r = approximate_piecewise("exp(x)", (-2, 2), degree=8, dtype="float64", methods=["uniform x"],
                              measure_speed=False)
    m = r.best()
    assert r.parity is None and m is not None and m.met and m.knots.count < 64


def test_float64_is_refused_outside_piecewise():
    from exprc.search import approximate
    with pytest.raises(ExprcError, match="float64 is supported with piecewise"):
        approximate("exp", (0, 1), dtype="float64")
    with pytest.raises(ExprcError, match="dtype must be"):
        approximate_piecewise("tanh", (0, 1), dtype="float16")
