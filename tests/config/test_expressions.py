import math
import sys
import time

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from forecast.config import expressions
from forecast.config.expressions import ExpressionError, evaluate, parse

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


# --- property-based hardening -------------------------------------------------------------------------------


# Audit events that would mean user text reached code execution, the file system, imports or processes.
FORBIDDEN_EVENTS = {"exec", "import", "open", "os.system", "subprocess.Popen", "os.exec", "os.spawn", "os.posix_spawn"}
_recorded_events: list[str] | None = None


def _audit(event: str, _arguments: tuple) -> None:
    if _recorded_events is not None and event in FORBIDDEN_EVENTS:
        _recorded_events.append(event)


sys.addaudithook(_audit)  # Audit hooks cannot be removed; this one records only while a check is running.


def evaluate_watched(text: str) -> None:
    """Parse and evaluate `text`; only ExpressionError may escape, quickly, with no forbidden audit event."""
    global _recorded_events
    _recorded_events = []
    started = time.perf_counter()
    try:
        evaluate(text, GRID)
    except ExpressionError:
        pass
    finally:
        events, _recorded_events = _recorded_events, None
        elapsed = time.perf_counter() - started
    assert not events, f"{text!r} triggered {events}"
    assert elapsed < 1.0, f"{text!r} took {elapsed:.2f} s"


PROPERTY_SETTINGS = settings(max_examples=400, deadline=1000, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY_SETTINGS
@given(st.text(max_size=250))
def test_any_text_is_parsed_or_refused_cleanly(text):
    evaluate_watched(text)


DANGEROUS = [
    "__import__", "__class__", "__bases__", "__subclasses__", "__globals__", "__builtins__", "__dict__",
    "__code__", "__getattribute__", "getattr", "setattr", "open", "eval", "exec", "compile", "os", "sys",
    "system", "lambda", "import", "globals", "locals", "vars", "breakpoint", "input", "print", "type", "object",
    ".", "[", "]", "'", '"', "{", "}", ":", ";", "=", ",", "@", "\\", "\n", "#", "f'", "b'", "...", "yield",
    "await", "not", "in", "is", "if", "else", "for", "**", "*", "(", ")", "x", "1", "9", "e", "pi", "sin",
    "exp", "log", " ", "-", "+", "/", "%", "^", "&", "|", "~", "<", ">", "0x", "1e308", "1j", "_",
]  # fmt: skip


@PROPERTY_SETTINGS
@given(st.lists(st.sampled_from(DANGEROUS), max_size=40).map("".join))
def test_adversarial_fragments_are_parsed_or_refused_cleanly(text):
    evaluate_watched(text)


def _expressions():
    """Strings in the grammar, each paired with a numpy function computing the same thing independently."""
    leaves = st.one_of(
        st.just(("x", lambda x: x)),
        st.just(("pi", lambda x: np.full_like(x, math.pi))),
        st.floats(min_value=0, max_value=1e6, allow_nan=False).map(
            lambda v: (repr(v), lambda x, v=v: np.full_like(x, v))
        ),
        st.integers(min_value=0, max_value=10**6).map(lambda v: (str(v), lambda x, v=v: np.full_like(x, float(v)))),
    )

    def extend(children):
        binary = st.tuples(
            children,
            st.sampled_from(
                [
                    ("+", np.add),
                    ("-", np.subtract),
                    ("*", np.multiply),
                    ("/", np.divide),
                    ("**", np.power),
                    ("%", np.mod),
                ]
            ),
            children,
        ).map(lambda t: (f"({t[0][0]}) {t[1][0]} ({t[2][0]})", lambda x, t=t: t[1][1](t[0][1](x), t[2][1](x))))
        unary = children.map(lambda c: (f"-({c[0]})", lambda x, c=c: -c[1](x)))
        call = st.tuples(st.sampled_from(sorted(expressions.ALLOWED_FUNCTIONS)), children).map(
            lambda t: (f"{t[0]}({t[1][0]})", lambda x, t=t: expressions.ALLOWED_FUNCTIONS[t[0]](t[1][1](x)))
        )
        return st.one_of(binary, unary, call)

    return st.recursive(leaves, extend, max_leaves=8)


@PROPERTY_SETTINGS
@given(_expressions())
def test_grammar_expressions_evaluate_like_numpy(pair):
    text, reference = pair
    if len(text) > expressions.MAX_EXPRESSION_LENGTH:
        with pytest.raises(ExpressionError, match="characters long"):
            parse(text)
        return
    with np.errstate(all="ignore"):
        expected = np.broadcast_to(reference(GRID), GRID.shape)
    if np.isfinite(expected).all():
        np.testing.assert_allclose(evaluate(text, GRID), expected, rtol=1e-12, atol=0)
    else:
        with pytest.raises(ExpressionError, match=r"NaN|infinite"):
            evaluate(text, GRID)
