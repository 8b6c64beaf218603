import math

import numpy as np
import pytest

from forecast import expressions
from forecast.expressions import ExpressionError, evaluate, parse

GRID = np.linspace(-3.0, 3.0, 61)


@pytest.mark.parametrize(
    ("text", "reference"),
    [
        ("x*sin(x)", lambda x: x * np.sin(x)),
        ("x", lambda x: x),
        ("3", lambda x: np.full_like(x, 3.0)),
        ("-x + 2", lambda x: -x + 2),
        ("+x", lambda x: x),
        ("x**2 - 3*x / 4", lambda x: x**2 - 3 * x / 4),
        ("x % 2", lambda x: np.mod(x, 2)),
        ("(x + 1) * (x - 1)", lambda x: (x + 1) * (x - 1)),
        ("pi * e", lambda x: np.full_like(x, math.pi * math.e)),
        ("sin(x) + cos(x) + tan(x/4)", lambda x: np.sin(x) + np.cos(x) + np.tan(x / 4)),
        ("exp(x/3) + log(x**2 + 1) + sqrt(abs(x))", lambda x: np.exp(x / 3) + np.log(x**2 + 1) + np.sqrt(np.abs(x))),
        ("tanh(x) + sinh(x) + cosh(x)", lambda x: np.tanh(x) + np.sinh(x) + np.cosh(x)),
        ("arcsin(x/4) + arccos(x/4) + arctan(x)", lambda x: np.arcsin(x / 4) + np.arccos(x / 4) + np.arctan(x)),
        ("floor(x) + ceil(x) + sign(x)", lambda x: np.floor(x) + np.ceil(x) + np.sign(x)),
        ("log2(x**2+1) + log10(x**2+1)", lambda x: np.log2(x**2 + 1) + np.log10(x**2 + 1)),
        ("  x*sin(x)  ", lambda x: x * np.sin(x)),
        ("2e-3*x", lambda x: 2e-3 * x),
    ],
)
def test_allowed_expressions_match_numpy(text, reference):
    np.testing.assert_allclose(evaluate(text, GRID), reference(GRID), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize(
    ("text", "named_part"),
    [
        ("__import__('os').system('id')", "__import__"),
        ("x.__class__", "attribute access"),
        ("().__class__.__bases__[0].__subclasses__()", "__subclasses__"),
        ("open('/etc/passwd')", "open"),
        ("eval('1')", "eval"),
        ("exec('1')", "exec"),
        ("globals()", "globals"),
        ("np.sin(x)", "np.sin"),
        ("sin.__call__(x)", "sin.__call__"),
        ("x[0]", "subscripts"),
        ("'abc'", "'abc'"),
        ("lambda: 1", "lambdas"),
        ("[x for x in range(10)]", "comprehensions"),
        ("(x for x in ())", "comprehensions"),
        ("x if x else 1", "if ... else"),
        ("x < 1", "comparisons"),
        ("x and 1", "and"),
        ("y + 1", "y"),
        ("sin", "sin(x)"),
        ("sin(x, x)", "exactly one argument"),
        ("sin(x=1)", "exactly one argument"),
        ("sin(*x)", "exactly one argument"),
        ("x ^ 2", "x**2"),
        ("x // 2", "floor"),
        ("True", "not a number"),
        ("1j", "not a number"),
        ("(x := 2)", "assignments"),
        ("f'{x}'", "strings"),
        ("1e999", "too large"),
        ("10**20", None),  # legal syntax; the value is finite
        ("99999999999999999999999", "too large"),
    ],
)
def test_refused_expressions_name_the_offending_part(text, named_part):
    if named_part is None:
        evaluate(text, GRID)
        return
    with pytest.raises(ExpressionError) as caught:
        evaluate(text, GRID)
    assert named_part in str(caught.value)


@pytest.mark.parametrize("text", ["", "   ", "x +", "(x", "sin(x))", "x x", "import os", "x = 1", "x; 1"])
def test_syntax_errors_are_clear(text):
    with pytest.raises(ExpressionError, match=r"empty|not a valid expression"):
        parse(text)


def test_error_is_a_value_error():
    assert issubclass(ExpressionError, ValueError)


def test_length_limit():
    text = "x" + "+x" * expressions.MAX_EXPRESSION_LENGTH
    with pytest.raises(ExpressionError, match="characters long"):
        parse(text)


def test_nesting_limit():
    text = "sin(" * 40 + "x" + ")" * 40
    with pytest.raises(ExpressionError, match=r"nested too deeply|not a valid expression|characters long"):
        parse(text)
    text = "-" * 50 + "x"
    with pytest.raises(ExpressionError, match="nested too deeply"):
        parse(text)


def test_power_tower_does_not_hang_and_reports_infinity():
    # Python would try to build an integer with billions of digits; here every value is a float64.
    with pytest.raises(ExpressionError, match="infinite at x = "):
        evaluate("9**9**9**9", GRID)


def test_nan_and_infinity_name_the_first_x():
    with pytest.raises(ExpressionError, match=r"infinite at x = 0\b"):
        evaluate("1/x", np.array([-1.0, 0.0, 1.0]))
    with pytest.raises(ExpressionError, match=r"NaN at x = -1 \(and 1 more points\)"):
        evaluate("log(x)", np.array([-1.0, -0.5, 1.0]))
    with pytest.raises(ExpressionError, match="infinite"):
        evaluate("exp(x*1000)", GRID)


def test_constant_expression_has_grid_shape():
    assert evaluate("2", GRID).shape == GRID.shape


def test_non_text_is_refused():
    with pytest.raises(ExpressionError):
        parse(None)  # type: ignore[arg-type]


def test_presets_are_valid_and_start_with_the_original():
    assert len(expressions.PRESETS) >= 6
    assert expressions.PRESETS[0].expression == "x*sin(x)"
    grid = np.arange(-20.0, 20.0, 0.1)
    for preset in expressions.PRESETS:
        values = evaluate(preset.expression, grid)
        assert np.isfinite(values).all()
        assert preset.description
    assert len({preset.name for preset in expressions.PRESETS}) == len(expressions.PRESETS)
