"""The expression language: what parses to what, how errors read, and robustness."""
import pytest
from hypothesis import given, strategies as st

import exprc
from exprc import ir, parse
from exprc.passes import fold

from conftest import trees


@pytest.mark.parametrize("text, expected", [
    ("-x**2", "-x**2"),
    ("(-x)**2", "(-x)**2"),
    ("2**-1", "2**-1"),
    ("a**b**c", "a**b**c"),
    ("(a**b)**c", "(a**b)**c"),
    ("a^b^c", "a**b**c"),
    ("a - (b - c)", "a - (b - c)"),
    ("a - b - c", "a - b - c"),
    ("a / (b * c)", "a / (b * c)"),
    ("-(a + b)", "-(a + b)"),
    ("+x", "x"),
    ("x < y", "x < y"),
    ("(x > 0) * y", "where(x > 0, 1, 0) * y"),
    ("max(a, b, c)", "max(max(a, b), c)"),
    ("np.sin(x) + math.pi", "sin(x) + pi"),
    ("arctan2(y, x) + power(x, 2) + absolute(x)", "atan2(y, x) + x**2 + abs(x)"),
    ("Abs(x) + Max(x, y) + Min(x, y) + ln(x)", "abs(x) + max(x, y) + min(x, y) + log(x)"),
    ("fabs(x) + fmin(x, y) + fmax(x, y)", "abs(x) + min(x, y) + max(x, y)"),
    ("select(x > y, x, y)", "where(x > y, x, y)"),
    ("lambda + if_ + _x1", "lambda + if_ + _x1"),
    ("1e-3 + 2.5E+4 + .5 + 7.", "0.001 + 25000 + 0.5 + 7"),
    ("x\n + \n y", "x + y"),
])
def test_parse_and_print(text, expected):
    assert str(parse(text)) == expected


def test_python_keywords_are_identifiers():
    node = parse("lambda * for + class")
    assert node.variables == ("lambda", "for", "class")


def test_named_constants():
    assert parse("pi").op == "pi" and parse("e").op == "e"
    assert str(fold([parse("inf + -inf")])[0]) == "nan"


def test_parameters_by_sigil_and_by_name():
    assert parse("$a * x").parameters == ("a",)
    node = parse("a * x + b", parameters=["a", "b"])
    assert node.parameters == ("a", "b") and node.variables == ("x",)


def test_variable_order_is_first_appearance():
    assert parse("z + sin(y) * x + z").variables == ("z", "y", "x")


@pytest.mark.parametrize("text, fragment, column", [
    ("sinn(x)", "unknown function 'sinn' (did you mean 'sin'?)", 1),
    ("arctn(x)", "did you mean 'arctan'?", 1),
    ("x +* y", "unexpected '*'", 4),
    ("x + ", "unexpected end of input", 5),
    ("(x", "expected ')'", 3),
    ("sin(x, y)", "sin takes 1 argument, got 2", 1),
    ("x @ y", "unexpected character '@'", 3),
    ("", "empty expression", 1),
    ("foo.bar", "not a known constant", 1),
    ("1e99999", "out of range", 1),
    ("x < y < z", "unexpected '<'", 7),
])
def test_parse_errors_point_at_the_column(text, fragment, column):
    with pytest.raises(exprc.ParseError) as info:
        parse(text)
    err = info.value
    assert fragment in str(err)
    assert err.column == column and err.line == 1
    assert "^" in str(err)          # the caret line
    assert "\n" not in err.one_line


def test_parse_error_on_second_line():
    with pytest.raises(exprc.ParseError) as info:
        parse("x +\n * y")
    assert info.value.line == 2 and info.value.column == 2


def test_expected_tokens_are_listed():
    with pytest.raises(exprc.ParseError) as info:
        parse("x +")
    assert "a number" in info.value.expected and "a name" in info.value.expected


@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=40))
def test_random_text_raises_only_parse_error(text):
    try:
        parse(text)
    except exprc.ParseError:
        pass


@given(st.text(alphabet="xy01.e+-*/^()<>=!, $sincoqrtpw", max_size=60))
def test_random_expression_like_text_raises_only_parse_error(text):
    try:
        parse(text)
    except exprc.ParseError:
        pass


@given(trees(ops=("add", "sub", "mul", "div", "neg", "pow", "sin", "where", "min", "fma", "sqrt")))
def test_print_parse_round_trip(node):
    """Constant folding aside, printing then parsing gives back the very same node."""
    folded = fold([node])[0]
    again = parse(str(folded))
    assert fold([again])[0] is folded


def test_round_trip_of_parsed_text_is_identity():
    for text in ["-x**2 + y", "where(x > 0, sqrt(x), -(x*y))", "2**-x", "(x - y) - (z - x)", "$a*x**$b"]:
        node = parse(text)
        assert parse(str(node)) is node


def test_ten_thousand_deep_nesting_parses():
    depth = 10_000
    node = parse("(" * depth + "x" + ")" * depth)
    assert node is parse("x")
    node = parse("sin(" * depth + "x" + ")" * depth)
    assert node.size == depth + 1
    node = parse("-" * depth + "x")
    assert node.size == depth + 1
    chain = parse(" + ".join(["x"] * depth))
    assert chain.size == 2 * depth - 1
    assert str(parse(str(chain))) == str(chain)
