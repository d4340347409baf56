"""FPCore in and out: FPBench's format reads as the IR it means, and exprc's IR writes back as
FPCore that reads as the same IR."""
import math

import numpy as np
import pytest

import exprc
from exprc.fpcore import FUNCTIONS, from_fpcore, to_fpcore


def _run(core, *cols):
    return exprc.compile(core.node, dtype=core.precision, variables=core.variables, backend="numpy")(*cols)


def test_arguments_name_and_precondition_ranges():
    core = from_fpcore('(FPCore (x eps) :name "2cos" :pre (and (<= -1e4 x 1e4) (< 1e-16 eps 1)) '
                       '(- (cos (+ x eps)) (cos x)))')
    assert core.variables == ["x", "eps"] and core.name == "2cos" and core.precision == "float64"
    assert core.ranges == {"x": (-1e4, 1e4), "eps": (1e-16, 1.0)}
    assert core.node == exprc.parse("cos(x + eps) - cos(x)")


def test_let_is_parallel_and_let_star_sequential():
    par = from_fpcore("(FPCore (x) (let ([x 2] [y x]) (+ x y)))")
    seq = from_fpcore("(FPCore (x) (let* ([x 2] [y x]) (+ x y)))")
    assert par.node == exprc.parse("2 + x")
    assert seq.node == exprc.parse("2 + 2")


def test_if_and_or_not_and_chained_comparisons():
    core = from_fpcore("(FPCore (x y) (if (and (< 0 x y 3) (not (== x 1))) (- x) (if (or (> x y) (== y 0)) 7 8)))")
    x = np.array([0.5, 1.0, 2.0, -1.0, 2.5])
    y = np.array([1.0, 2.0, 1.0, 0.0, 2.9])
    want = np.where((0 < x) & (x < y) & (y < 3) & ~(x == 1), -x, np.where((x > y) | (y == 0), 7.0, 8.0))
    assert np.array_equal(_run(core, x, y), want)


def test_constants_are_constants_not_variables():
    core = from_fpcore("(FPCore (x) (+ x PI E INFINITY))")
    assert exprc.ir.leaf_names([core.node], exprc.ir.VAR) == ("x",)
    assert _run(core, np.array([0.0]))[0] == math.inf
    core = from_fpcore("(FPCore () (* 2 PI_2))")
    assert _run(core)[()] == pytest.approx(math.pi)


@pytest.mark.parametrize("text, x, want", [
    ("(fdim x 1)", [3.0, 0.0], [2.0, 0.0]),
    ("(isnan x)", [math.nan, 1.0], [1.0, 0.0]),
    ("(isinf x)", [-math.inf, 1.0], [1.0, 0.0]),
    ("(isfinite x)", [math.inf, 1.0], [0.0, 1.0]),
    ("(signbit x)", [-0.0, 0.0], [1.0, 0.0]),
    ("(isnormal x)", [1e-310, 1.0], [0.0, 1.0]),
    ("(remainder x 2)", [3.0, 5.0], [-1.0, 1.0]),
    ("(tgamma x)", [5.0, 0.5], [24.0, math.sqrt(math.pi)]),
    ("(lgamma x)", [1.0, 3.0], [0.0, math.log(2)]),
    ("(- x)", [1.0, -2.0], [-1.0, 2.0]),
    ("(/ 1 x)", [4.0, 0.125], [0.25, 8.0]),
    ("(* x 0x1.8p1)", [1.0, 2.0], [3.0, 6.0]),
    ("(+ x 1/3)", [0.0, 1.0], [1 / 3, 4 / 3]),
])
def test_fpcore_functions_evaluate_as_their_c_namesakes(text, x, want):
    core = from_fpcore(f"(FPCore (x) {text})")
    got = np.asarray(_run(core, np.array(x)), dtype=np.float64)
    np.testing.assert_allclose(got, want, rtol=1e-15)


def test_binary32_precision_and_dtype_override():
    text = "(FPCore (x) :precision binary32 (+ x 0.1))"
    assert from_fpcore(text).precision == "float32"
    assert from_fpcore(text, dtype="f64").precision == "float64"


@pytest.mark.parametrize("text, where", [
    ("(FPCore (x) (+ x PIE))", "PIE"),
    ("(FPCore (x) (while (< x 1) ([x 0 (+ x 1)]) x))", "while"),
    ("(FPCore (x) (+ x 1)", "unclosed"),
    ("(FPCore (x) (+ x 1)))", "unbalanced"),
    ("(+ x 1)", "no (FPCore"),
    ("(FPCore (x) :precision binary16 x)", "binary16"),
])
def test_bad_fpcore_is_a_parse_error_naming_the_problem(text, where):
    with pytest.raises(exprc.ParseError, match=None) as info:
        from_fpcore(text)
    assert where in str(info.value)


@pytest.mark.parametrize("expr", [
    "sqrt(x + 1) - sqrt(x)", "where(x < 0, -x, x * 2 + pi)", "exp(x) - 1 + (exp(x) - 1) ** 2",
    "hypot(x, y) / fma(x, y, 0.1)", "copysign(1, x) * atan2(y, x)", "x % 2 == 0",
])
def test_round_trip_is_the_same_ir(expr):
    node = exprc.parse(expr)
    back = from_fpcore(to_fpcore(node))
    assert back.node == exprc.ir.retype(node, "float64") or back.node.dtype == "bool"


def test_ops_fpcore_lacks_are_written_by_their_definition():
    x = np.array([-3.5, -2.0, 0.5, 7.25])
    text = exprc.to_fpcore("x % 2 + sign(x)")
    back = from_fpcore(text)
    assert np.array_equal(_run(back, x), exprc.compile("x % 2 + sign(x)", backend="numpy")(x))


def test_shared_subexpressions_become_let_star():
    text = exprc.to_fpcore("(exp(x) - 1) * (exp(x) - 1)")
    assert "let*" in text and text.count("exp") == 1
    assert from_fpcore(text).node == exprc.parse("(exp(x) - 1) * (exp(x) - 1)")


def test_every_fpcore_function_maps_to_a_registry_op():
    for fp, op in FUNCTIONS.items():
        assert op in exprc.ops.REGISTRY, fp


def test_compile_accepts_fpcore_text_in_argument_order():
    k = exprc.compile("(FPCore (b a) (- a b))", backend="numpy")
    assert k(np.array([1.0]), np.array([5.0]))[0] == 4.0


def test_cli_emits_fpcore(capsys):
    from exprc.cli import main
    assert main(["compile", "sqrt(x + 1) - sqrt(x)", "--emit", "fpcore", "--dtype", "f64"]) == 0
    out = capsys.readouterr().out
    assert from_fpcore(out).node == exprc.parse("sqrt(x + 1) - sqrt(x)")


@pytest.mark.parametrize("text, value", [("0x1.8p3", 12), ("0x.8p-1", 0.25), ("0X1P-1074", 5e-324),
                                          ("0xffp0", 255)])
def test_hex_float_literals_are_exact_in_exprc_text(text, value):
    node = exprc.parse(text)
    assert float(node.value) == value


def test_fpcore_classification_functions_are_exprc_functions_too():
    x = np.array([math.nan, -math.inf, -0.0, 2.0])
    for backend in ("numpy", "llvm"):
        k = exprc.compile("isnan(x) + 2 * isinf(x) + 4 * isfinite(x) + 8 * signbit(x) + 16 * fdim(x, 1)",
                          backend=backend)
        np.testing.assert_array_equal(k(x)[1:], [2 + 8, 4 + 8, 4 + 16])
        assert math.isnan(k(x)[0])


def test_c_semantics_of_round_fmin_fmax():
    x = np.array([0.5, 2.5, -2.5, 0.49999999999999994])
    np.testing.assert_array_equal(_run(from_fpcore("(FPCore (x) (round x))"), x), [1, 3, -3, 0])
    a, b = np.array([1.0, np.nan, np.nan]), np.array([np.nan, 2.0, np.nan])
    got = _run(from_fpcore("(FPCore (a b) (fmin a b))"), a, b)
    assert got[0] == 1 and got[1] == 2 and math.isnan(got[2])
    # and back: exprc's half-even round is C's rint; exprc's NaN-propagating min stays so
    text = exprc.to_fpcore("round(x) + min(x, y)")
    assert "(rint x)" in text
    x, y = np.array([2.5, np.nan]), np.array([1.0, 1.0])
    back = _run(from_fpcore(text), x, y)
    assert back[0] == 3.0 and math.isnan(back[1])


def test_negative_zero_and_let_names_that_would_shadow():
    assert from_fpcore(exprc.to_fpcore(exprc.parse("x + -0.0"))).node == exprc.parse("x + -0.0")
    text = exprc.to_fpcore("(sin(t0) + t0) * sin(t0)")
    assert from_fpcore(text).node == exprc.parse("(sin(t0) + t0) * sin(t0)")


@pytest.mark.parametrize("text, where", [
    ("(FPCore (x) (and x))", "takes 2"), ("(FPCore (x) (isnan x x))", "takes 1"),
    ("(FPCore (x) (/ x 1/0))", "divides by zero"), ("(FPCore (x) (and 1.5 (< x 1)))", "conditions"),
    ("(FPCore (x) (+ x 1e3000000))", "out of range"), ("(FPCore ((x n)) x)", "tensor"),
])
def test_malformed_bodies_are_parse_errors_not_crashes(text, where):
    with pytest.raises(exprc.ParseError) as info:
        from_fpcore(text)
    assert where in str(info.value)


def test_fpcore_after_comments_and_its_precision_on_the_command_line(capsys):
    from exprc.api import is_fpcore
    from exprc.cli import main
    assert is_fpcore("; kernel\n(FPCore (x) x)")
    assert main(["compile", "(FPCore (x) (+ x 1))", "--emit", "fpcore"]) == 0
    assert ":precision binary64" in capsys.readouterr().out
