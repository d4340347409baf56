"""exprc.improve: accuracy-aware rewriting. Specified by measured error on inputs the search
never saw, against exact (mpmath) references; the rules are checked one by one."""
import math

import mpmath
import numpy as np
import pytest

import exprc
from exprc import ir
from exprc.accurate import improve_report
from exprc.accurate.egraph import _Terms, rule_text, saturate
from exprc.accurate.precision import auto_precision
from exprc.accurate.sampling import bits_of_error, draw, evaluate_float, ulp_errors
from exprc.passes.rules import ACCURACY_EXACT_RULES, ACCURACY_REAL_RULES, ACCURACY_RULES


def _test_error(original, improved, ranges, dtype="float64", n=300):
    test = draw(exprc.parse(original, dtype=dtype) if isinstance(original, str) else original,
                list(ranges), ranges, n, dtype, seed=7)
    y = evaluate_float(improved, test.columns, dtype)
    return float(np.max(ulp_errors(y, test.exact, dtype))), float(bits_of_error(y, test.exact_floats(), dtype).mean())


@pytest.mark.parametrize("expr, ranges, max_ulp", [
    ("sqrt(x + 1) - sqrt(x)", {"x": (0, 1e300)}, 4),
    ("(1 - cos(x)) / (x * x)", {"x": (-1e3, 1e3)}, 4),
    ("exp(x) - 2 + exp(-x)", {"x": (-700, 700)}, 8),
    ("log(x + 1) - log(x)", {"x": (1, 1e300)}, 4),
    ("(-b + sqrt(b*b - 4*a*c)) / (2*a)", {"a": (1e-10, 1e10), "b": (1e-10, 1e10), "c": (1e-10, 1e10)}, 8),
])
def test_classic_cancellations_become_accurate_on_fresh_inputs(expr, ranges, max_ulp):
    before_ulp, before_bits = _test_error(expr, exprc.parse(expr), ranges)
    assert before_ulp > 1e6                       # each is badly wrong as written
    better = exprc.improve(expr, ranges=ranges)
    after_ulp, after_bits = _test_error(expr, better, ranges)
    assert after_ulp <= max_ulp and after_bits < 0.5, str(better)


def test_feynman_III_15_12_accurate_to_1e_12_with_compile_accurate():
    text = "2 * U * (1 - cos(k * d))"
    ranges = {"U": (1, 5), "k": (1, 5), "d": (1e-9, 1e-8)}
    k = exprc.compile(text, accurate=True, ranges=ranges)
    rng = np.random.default_rng(3)
    U, kk, d = rng.uniform(1, 5, 200), rng.uniform(1, 5, 200), rng.uniform(1e-9, 1e-8, 200)
    y = k(U, kk, d)
    with mpmath.workprec(300):
        ref = np.array([float(2 * mpmath.mpf(u) * (1 - mpmath.cos(mpmath.mpf(a) * mpmath.mpf(b))))
                        for u, a, b in zip(U, kk, d)])
    assert np.max(np.abs(y - ref) / ref) <= 1e-12
    plain = exprc.compile(text)(U, kk, d)
    assert np.max(np.abs(plain - ref) / ref) > 1e-3            # as written it is not


def test_accurate_expression_comes_back_unchanged():
    node = exprc.parse("exp(x) * y")
    rep = improve_report(node, ranges={"x": (-10, 10), "y": (1, 2)})
    assert rep.node is node and not rep.improved
    assert rep.after == rep.before


def test_report_measures_before_and_after_on_the_same_sample():
    rep = improve_report("1 - cos(x)", ranges={"x": (-1, 1)})
    assert rep.improved and rep.after.mean_bits < rep.before.mean_bits
    assert rep.before.points == rep.after.points == 256
    assert rep.egraph_nodes > 0 and rep.candidates >= 2


def test_regimes_split_where_no_single_formula_wins():
    rep = improve_report("(1 - cos(x)) / (x * x)", ranges={"x": (-1e3, 1e3)}, series=True)
    # as written: NaN where x*x underflows, garbage where cos(x) rounds to 1; after: a few ULP
    # (x / 2 itself rounds for subnormal x)
    assert rep.before.nonfinite > 0 and rep.after.nonfinite == 0 and rep.after.max_ulp <= 32


def test_bad_requests_are_clear_errors():
    with pytest.raises(exprc.ExprcError, match="not variables"):
        exprc.improve("x + 1", ranges={"y": (0, 1)})
    with pytest.raises(exprc.ExprcError, match="parameters"):
        exprc.improve("x + $a")
    with pytest.raises(exprc.ExprcError, match="conditions"):
        exprc.improve("x < 1")


def test_an_unsound_saturation_step_is_undone():
    # real-only rules (a/a -> 1, (a*b)/b -> a) applied at 0 prove every term equal; the
    # e-graph keeps its last sound state instead
    g = saturate([exprc.parse("sqrt(x + 1) - sqrt(x)")], ACCURACY_RULES, iterations=8)
    assert g.unsound_at is not None and len(g.classes) > 10


def _points(rule, n=40):
    pat, rep = rule.compiled()
    names = sorted(set(ir.leaf_names([pat, rep], ir.VAR)))
    rng = np.random.default_rng(5)
    for _ in range(n):
        yield {v: float(rng.choice([-1, 1]) * 10 ** rng.uniform(-2, 1)) for v in names}, pat, rep


def _mp(node, point):
    from exprc.accurate.sampling import mp_evaluate
    return mp_evaluate(node, {k: np.float64(v) for k, v in point.items()}, 200)


@pytest.mark.parametrize("rule", ACCURACY_RULES, ids=lambda r: f"{r.pattern} -> {r.replacement}")
def test_every_accuracy_rule_is_an_identity_on_the_reals(rule):
    """Both sides agree (to 1e-30 relative at 200 bits) wherever both are defined, on most
    random points; a rule wrong only outside a side condition (atan of a difference when
    a*b < -1) still agrees on part of them."""
    agree = defined = 0
    for point, pat, rep in _points(rule):
        a, b = _mp(pat, point), _mp(rep, point)
        if a is None or b is None:
            continue
        defined += 1
        agree += abs(a - b) <= 1e-30 * max(abs(a), abs(b), 1e-300) or a == b
    assert defined >= 5 and agree >= defined * 0.4, (agree, defined)
    assert rule_text(rule, _Terms()) is not None, "every accuracy rule reaches the e-graph"


SPECIALS = np.array([0.0, -0.0, 1.0, -2.5, 1e-310, -1e308, np.inf, -np.inf, np.nan, 3.0, 1e-5])


@pytest.mark.parametrize("rule", ACCURACY_EXACT_RULES, ids=lambda r: f"{r.pattern} -> {r.replacement}")
def test_exact_rules_are_bit_exact_in_ieee_arithmetic(rule):
    pat, rep = rule.compiled()
    names = sorted(set(ir.leaf_names([pat, rep], ir.VAR)))
    grids = np.meshgrid(*[SPECIALS] * len(names), indexing="ij")
    cols = {v: g.ravel() for v, g in zip(names, grids)}
    a = evaluate_float(pat, cols, "float64")
    b = evaluate_float(rep, cols, "float64")
    same = (a.view(np.int64) == b.view(np.int64)) | (np.isnan(a) & np.isnan(b))
    assert same.all()
    assert rule.exact


def test_real_rules_are_marked_real_only():
    assert not any(r.exact for r in ACCURACY_REAL_RULES)


def test_precision_auto_moves_an_overflowing_product_to_float64():
    text = "x * y / z"
    ranges = {"x": (1e20, 1e30), "y": (1e20, 1e30), "z": (1e20, 1e30)}
    node = auto_precision(exprc.parse(text, dtype="float32"), ranges)
    assert any(n.dtype == "float64" for n in ir.topo([node]))
    k = exprc.compile(text, dtype="float32", precision="auto", ranges=ranges)
    x = np.float32([1e25, 3e29]); y = np.float32([2e28, 1e21]); z = np.float32([1e29, 4e22])
    want = (x.astype(np.float64) * y / z)
    np.testing.assert_allclose(k(x, y, z), want, rtol=1e-6)
    assert not np.isfinite(exprc.compile(text, dtype="float32")(x, y, z)).all()


def test_precision_auto_keeps_an_accurate_float32_program():
    node = exprc.parse("x * y + 1", dtype="float32")
    assert auto_precision(node, {"x": (1, 2), "y": (1, 2)}) is node


def test_every_suite_kernel_reads_with_ranges_for_every_argument():
    from pathlib import Path
    from exprc.fpcore import from_fpcore
    suite = Path(__file__).resolve().parents[1] / "benchmarks" / "accuracy" / "kernels.fpcore"
    kernels = [line for line in suite.read_text().splitlines() if line.startswith("(FPCore")]
    assert len(kernels) >= 100
    for text in kernels:
        core = from_fpcore(text)
        assert core.name and set(core.ranges) == set(core.variables), core.name


def test_cli_improve_prints_the_rewrite_and_both_errors(capsys):
    from exprc.cli import main
    assert main(["improve", "sqrt(x + 1) - sqrt(x)", "--range", "x", "0", "1e300"]) == 0
    cap = capsys.readouterr()
    assert "sqrt" in cap.out and "before:" in cap.err and "after:" in cap.err
    assert main(["improve", "1 - cos(x)", "--range", "x", "-1e-3", "1e-3", "--fpcore"]) == 0
    assert capsys.readouterr().out.startswith("(FPCore (x)")
    assert main(["improve", "x + 1", "--range", "x", "2", "1"]) == 2


def test_compile_remembers_its_rewrite():
    ranges = {"x": (0, 1e300)}
    a = exprc.compile("sqrt(x + 1) - sqrt(x)", accurate=True, ranges=ranges)
    b = exprc.compile("sqrt(x + 1) - sqrt(x)", accurate=True, ranges=ranges)
    assert a.program.outputs == b.program.outputs
    assert "sqrt(x + 1) + sqrt(x)" in str(a.program.outputs[0])
    x = np.array([1e300, 1e10, 0.5])
    np.testing.assert_allclose(a(x), 1 / (np.sqrt(x + 1) + np.sqrt(x)), rtol=1e-15)
