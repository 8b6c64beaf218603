"""Safe parser and evaluator for f(x) text, and the catalogue of preset functions."""

from __future__ import annotations

import ast
import dataclasses
import math
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

__all__ = [
    "ALLOWED_CONSTANTS",
    "ALLOWED_FUNCTIONS",
    "MAX_EXPRESSION_LENGTH",
    "PRESETS",
    "ExpressionError",
    "Preset",
    "evaluate",
    "parse",
    "to_numpy_source",
]

MAX_EXPRESSION_LENGTH = 200
# Deeper trees than this are never needed for a function of one variable and only serve to exhaust the stack.
MAX_DEPTH = 32
MAX_NODES = 200
# A literal beyond this is not a number anyone plots; refusing it keeps overflow out of the grammar itself.
MAX_LITERAL = 1e15

ALLOWED_CONSTANTS: dict[str, float] = {"pi": math.pi, "e": math.e}

# Each allowed function: its numpy implementation. Only these names can be called, and only with one
# positional argument: the whole surface an expression can reach.
ALLOWED_FUNCTIONS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "sin": np.sin,
    "cos": np.cos,
    "tan": np.tan,
    "arcsin": np.arcsin,
    "arccos": np.arccos,
    "arctan": np.arctan,
    "sinh": np.sinh,
    "cosh": np.cosh,
    "tanh": np.tanh,
    "exp": np.exp,
    "log": np.log,
    "log2": np.log2,
    "log10": np.log10,
    "sqrt": np.sqrt,
    "abs": np.abs,
    "floor": np.floor,
    "ceil": np.ceil,
    "sign": np.sign,
}

_BINARY_OPERATORS: dict[type[ast.operator], Callable[[np.ndarray, np.ndarray], np.ndarray]] = {
    ast.Add: np.add,
    ast.Sub: np.subtract,
    ast.Mult: np.multiply,
    ast.Div: np.divide,
    ast.Pow: np.power,
    ast.Mod: np.mod,
}

_OPERATOR_HINTS: dict[type[ast.operator], str] = {
    ast.BitXor: "'^' is not a power here: write x**2 instead of x^2",
    ast.FloorDiv: "'//' is not supported: write floor(a/b)",
    ast.MatMult: "'@' is not supported",
    ast.BitAnd: "'&' is not supported",
    ast.BitOr: "'|' is not supported",
    ast.LShift: "'<<' is not supported",
    ast.RShift: "'>>' is not supported",
}

_NODE_NAMES: dict[type[ast.AST], str] = {
    ast.Attribute: "attribute access",
    ast.Subscript: "subscripts",
    ast.Lambda: "lambdas",
    ast.ListComp: "comprehensions",
    ast.SetComp: "comprehensions",
    ast.DictComp: "comprehensions",
    ast.GeneratorExp: "comprehensions",
    ast.Compare: "comparisons",
    ast.BoolOp: "'and'/'or'",
    ast.IfExp: "'if ... else'",
    ast.List: "lists",
    ast.Tuple: "tuples",
    ast.Dict: "dicts",
    ast.Set: "sets",
    ast.JoinedStr: "strings",
    ast.NamedExpr: "assignments",
    ast.Starred: "'*' unpacking",
    ast.Await: "'await'",
    ast.Yield: "'yield'",
    ast.YieldFrom: "'yield'",
}


class ExpressionError(ValueError):
    """An expression that the grammar refuses, or that gives no finite value on the grid."""


# A compiled expression: a tree of closures over numpy functions, built from the checked syntax tree.
Evaluator = Callable[[np.ndarray], np.ndarray]


@dataclasses.dataclass(frozen=True)
class Preset:
    """A named function in the catalogue."""

    name: str
    expression: str
    description: str


PRESETS: tuple[Preset, ...] = (
    Preset("x·sin(x) (the original post)", "x*sin(x)", "A sine whose amplitude grows with |x|."),
    Preset("Sine", "sin(x)", "A pure sine wave: the easiest periodic series."),
    Preset("Two harmonics", "sin(x) + 0.5*sin(3*x)", "A fundamental plus its third harmonic."),
    Preset("Damped oscillation", "exp(-0.05*x)*cos(2*x)", "A cosine whose amplitude shrinks as x grows."),
    Preset("Trend plus season", "0.1*x + sin(x)", "A linear trend under a seasonal wave."),
    Preset("Beats", "sin(x)*sin(0.1*x)", "A fast wave modulated by a slow one."),
    Preset("Square wave", "sign(sin(x))", "Jumps between -1 and 1: hard for smooth models."),
    Preset("Sawtooth", "x - floor(x)", "Ramps up, then drops: a discontinuity every unit."),
)


def _segment(source: str, node: ast.AST) -> str:
    text = ast.get_source_segment(source, node)
    return text if text is not None else type(node).__name__


def _allowed_summary() -> str:
    return "use x, numbers, + - * / ** %, pi, e and the functions " + ", ".join(ALLOWED_FUNCTIONS)


def _constant(source: str, node: ast.Constant, depth: int) -> Evaluator:
    value = node.value
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ExpressionError(f"{_segment(source, node)!s} is not a number: {_allowed_summary()}")
    # Large integer literals are compared as Python ints first, so that converting them cannot overflow.
    if isinstance(value, int) and abs(value) > MAX_LITERAL:
        raise ExpressionError(f"the number {_segment(source, node)} is too large (at most {MAX_LITERAL:g})")
    number = float(value)
    if not math.isfinite(number) or abs(number) > MAX_LITERAL:
        raise ExpressionError(f"the number {_segment(source, node)} is too large (at most {MAX_LITERAL:g})")
    return lambda x: np.full_like(x, number)


def _name(source: str, node: ast.Name, depth: int) -> Evaluator:
    if node.id == "x":
        return lambda x: x
    if node.id in ALLOWED_CONSTANTS:
        constant = ALLOWED_CONSTANTS[node.id]
        return lambda x: np.full_like(x, constant)
    if node.id in ALLOWED_FUNCTIONS:
        raise ExpressionError(f"'{node.id}' is a function: call it, as in {node.id}(x)")
    raise ExpressionError(f"unknown name '{node.id}': {_allowed_summary()}")


def _unary(source: str, node: ast.UnaryOp, depth: int) -> Evaluator:
    operand = _compile(source, node.operand, depth + 1)
    if isinstance(node.op, ast.USub):
        return lambda x: np.negative(operand(x))
    if isinstance(node.op, ast.UAdd):
        return operand
    raise ExpressionError(f"'{_segment(source, node)}' uses an operator that is not allowed: {_allowed_summary()}")


def _binary(source: str, node: ast.BinOp, depth: int) -> Evaluator:
    operator_type = type(node.op)
    if operator_type not in _BINARY_OPERATORS:
        hint = _OPERATOR_HINTS.get(operator_type, "operator not allowed")
        raise ExpressionError(f"in '{_segment(source, node)}': {hint}")
    left = _compile(source, node.left, depth + 1)
    right = _compile(source, node.right, depth + 1)
    function = _BINARY_OPERATORS[operator_type]
    return lambda x: function(left(x), right(x))


def _call(source: str, node: ast.Call, depth: int) -> Evaluator:
    callee = node.func
    if not isinstance(callee, ast.Name):
        raise ExpressionError(
            f"'{_segment(source, callee)}' cannot be called: only the functions " + ", ".join(ALLOWED_FUNCTIONS)
        )
    if callee.id not in ALLOWED_FUNCTIONS:
        raise ExpressionError(f"'{callee.id}' is not an allowed function: only " + ", ".join(ALLOWED_FUNCTIONS))
    if node.keywords or len(node.args) != 1 or isinstance(node.args[0], ast.Starred):
        raise ExpressionError(f"'{callee.id}' takes exactly one argument, as in {callee.id}(x)")
    argument = _compile(source, node.args[0], depth + 1)
    function = ALLOWED_FUNCTIONS[callee.id]
    return lambda x: function(argument(x))


def _expression(source: str, node: ast.Expression, depth: int) -> Evaluator:
    return _compile(source, node.body, depth + 1)


# The grammar: the only node types an expression may contain, each with the function that checks and compiles it.
_COMPILERS: dict[type, Callable[[str, Any, int], Evaluator]] = {
    ast.Expression: _expression,
    ast.Constant: _constant,
    ast.Name: _name,
    ast.UnaryOp: _unary,
    ast.BinOp: _binary,
    ast.Call: _call,
}


def _compile(source: str, node: ast.AST, depth: int) -> Evaluator:
    """Check one node against the grammar and turn it into a closure; refuse anything else."""
    if depth > MAX_DEPTH:
        raise ExpressionError(f"expression is nested too deeply (more than {MAX_DEPTH} levels)")
    compiler = _COMPILERS.get(type(node))
    if compiler is None:
        name = _NODE_NAMES.get(type(node), type(node).__name__)
        raise ExpressionError(f"not allowed: {name} ('{_segment(source, node)}'); {_allowed_summary()}")
    return compiler(source, node, depth)


def parse(text: str) -> Evaluator:
    """Check `text` against the grammar and return a function of a numpy array of x values.

    Raises `ExpressionError` naming the offending part for anything outside the grammar.
    """
    if not isinstance(text, str):
        raise ExpressionError("the expression must be text")
    source = text.strip()
    if not source:
        raise ExpressionError("the expression is empty: type a function of x, for example x*sin(x)")
    if len(source) > MAX_EXPRESSION_LENGTH:
        raise ExpressionError(
            f"the expression is {len(source)} characters long: at most {MAX_EXPRESSION_LENGTH} are allowed"
        )
    if "\x00" in source:
        raise ExpressionError("the expression contains a NUL character")
    try:
        # ast.parse only builds a syntax tree: nothing in the text runs. The tree is then checked node by node.
        # The parser warns about oddities such as "1jx" (invalid imaginary literal); the text is refused or
        # accepted below either way, so those warnings would only clutter the server's log.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SyntaxWarning)
            tree = ast.parse(source, mode="eval")
    except SyntaxError as error:
        where = f" at character {error.offset}" if error.offset else ""
        raise ExpressionError(f"'{source}' is not a valid expression{where}: {error.msg}") from None
    except (ValueError, MemoryError, RecursionError):
        raise ExpressionError(f"'{source}' is not a valid expression") from None
    node_count = sum(1 for _ in ast.walk(tree))
    if node_count > MAX_NODES:
        raise ExpressionError(f"the expression has {node_count} parts: at most {MAX_NODES} are allowed")
    return _compile(source, tree, 0)


_OPERATOR_SOURCE = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**", ast.Mod: "%"}


def to_numpy_source(text: str) -> str:
    """The expression as Python source over numpy (`np.sin(x)` …), for exported scripts.

    Built from the checked syntax tree, never from the raw text, so only the grammar's parts can appear in it.
    """
    parse(text)  # Refuses anything outside the grammar, with the usual messages.
    tree = ast.parse(text.strip(), mode="eval")

    def source(node: ast.AST) -> str:
        if isinstance(node, ast.Expression):
            return source(node.body)
        if isinstance(node, ast.Constant):
            return repr(float(node.value))
        if isinstance(node, ast.Name):
            return {"x": "x", "pi": "np.pi", "e": "np.e"}[node.id]
        if isinstance(node, ast.UnaryOp):
            return ("-" if isinstance(node.op, ast.USub) else "+") + f"({source(node.operand)})"
        if isinstance(node, ast.BinOp):
            return f"({source(node.left)} {_OPERATOR_SOURCE[type(node.op)]} {source(node.right)})"
        if isinstance(node, ast.Call):
            return f"np.{ALLOWED_FUNCTIONS[node.func.id].__name__}({source(node.args[0])})"
        raise ExpressionError(f"cannot export {type(node).__name__}")  # unreachable after parse()

    return source(tree)


def evaluate(text: str, xs: np.ndarray, *, finite: bool = True) -> np.ndarray:
    """Evaluate the expression on the grid `xs` and return float64 values, all finite.

    Raises `ExpressionError` for text outside the grammar, and (unless `finite` is False, which leaves them in)
    for NaN or infinite values, naming the first x where one appears.
    """
    evaluator = parse(text)
    grid = np.asarray(xs, dtype=np.float64)
    # Overflow and invalid operations are reported below, with the x where they happen, not as warnings.
    with np.errstate(all="ignore"):
        values = np.asarray(evaluator(grid), dtype=np.float64)
    values = np.broadcast_to(values, grid.shape).copy()
    if not finite:
        return values
    bad = ~np.isfinite(values)
    if bad.any():
        first = int(np.argmax(bad))
        kind = "NaN" if np.isnan(values[first]) else "infinite"
        count = int(bad.sum())
        raise ExpressionError(
            f"'{text.strip()}' is {kind} at x = {grid[first]:.6g}"
            + (f" (and {count - 1} more points)" if count > 1 else "")
            + ": change the expression or the x range"
        )
    return values
