"""The run configuration: one frozen dataclass, its validation, and the query-parameter round trip."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import numbers
from collections.abc import Mapping
from typing import Any

import numpy as np

from forecast import datasets, expressions
from forecast.schedule import SCHEDULES

__all__ = [
    "DEFAULT_CONFIG",
    "FIELD_NAMES",
    "FIELD_SPECS",
    "MAX_ENSEMBLE",
    "MAX_OPTIMIZER_STEPS",
    "MAX_TRAINING_COST",
    "MAX_UNROLLED_LOOKBACK",
    "ORIGINAL_RECIPE",
    "SOURCES",
    "Config",
    "check_fits",
    "config_hash",
    "field_spec",
    "from_query_params",
    "grid",
    "split_sizes",
    "training_cost",
]

# The ceiling on the work one visitor can ask for. A training costs about
#   epochs × train windows × lookback × (layers × 4·units·(units + 2) + dense_layers × units²)
# multiply-adds forward; 1e11 of them take about a minute on a 2-core machine. Per-step overhead dominates
# tiny models, so the number of optimizer steps (epochs × batches per epoch) has a ceiling of its own.
MAX_TRAINING_COST = 1e11
MAX_OPTIMIZER_STEPS = 100_000
MIN_POINTS = datasets.MIN_ROWS
MAX_POINTS = datasets.MAX_ROWS
MAX_ENSEMBLE = 5
# Unrolling the LSTMs over short windows turns the per-timestep while-loop into straight-line ops, which is much
# faster for the tiny windows this playground uses; beyond this length the graph grows too large to trace
# quickly, so longer windows keep the loop. (Part of the model's definition: the exported script uses it too.)
MAX_UNROLLED_LOOKBACK = 32
SOURCES = ("expression", "dataset", "upload")
# Fields that matter only for one source; for the others they are reset to their defaults, so that two configs
# describing the same run are equal, hash equally and make the same link.
SOURCE_FIELDS = {
    "expression": ("expression", "x_start", "x_end", "x_step"),
    "dataset": ("dataset",),
    "upload": ("upload", "value_column", "x_column"),
}
MAX_COLUMN_NAME = 100


@dataclasses.dataclass(frozen=True)
class FieldSpec:
    """How a Config field is shown, bounded and explained: shared by the app, the CLI and the README."""

    name: str
    label: str
    help: str
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[str, ...] = ()


def _field(default: Any, label: str, help: str, **bounds: Any) -> Any:
    return dataclasses.field(default=default, metadata={"label": label, "help": help, **bounds})


@dataclasses.dataclass(frozen=True)
class Config:
    """Everything that determines a run. Field names are widget keys, query parameters and CLI flags."""

    source: str = _field(
        "expression",
        "data source",
        "Where the series comes from: a function of x, a bundled real dataset, or a CSV file you upload.",
        choices=SOURCES,
    )
    expression: str = _field(
        "x*sin(x)",
        "f(x)",
        "The function to sample (source: expression): x, numbers, + - * / ** %, pi, e, sin, cos, exp, log, …",
    )
    dataset: str = _field(
        "airline_passengers",
        "dataset",
        "A bundled real series (source: dataset): " + "; ".join(info.title for info in datasets.CATALOGUE.values()),
        choices=tuple(datasets.CATALOGUE),
    )
    upload: str = _field(
        "",
        "uploaded file",
        "The sha256 of the uploaded CSV file (source: upload); set by uploading, not by typing.",
    )
    value_column: str = _field(
        "",
        "value column",
        "The uploaded file's column of values (empty: its first column of numbers that is not a time index).",
    )
    x_column: str = _field(
        "", "x column", "The uploaded file's x or time column, numbers or dates (empty: the row number)."
    )
    x_start: float = _field(-20.0, "x start", "First x of the sampled range (source: expression).")
    x_end: float = _field(20.0, "x end", "End of the range, exclusive as in the original post (source: expression).")
    x_step: float = _field(
        0.1,
        "x step",
        f"Distance between samples; the range must hold {MIN_POINTS}–{MAX_POINTS} points (source: expression).",
        minimum=0.0,
    )
    noise: float = _field(0.0, "noise", "Standard deviation of Gaussian noise added to the samples.", minimum=0.0)
    lookback: int = _field(
        5, "lookback", "How many past values each prediction sees (window length).", minimum=1, maximum=100
    )
    train_ratio: float = _field(
        0.8,
        "train ratio",
        "Share of the windows used for training; the rest, at the end, is the test.",
        minimum=0.1,
        maximum=0.95,
    )
    layers: int = _field(3, "LSTM layers", "How many LSTM layers are stacked.", minimum=1, maximum=5)
    units: int = _field(32, "units", "Units (memory cells) in each LSTM layer.", minimum=1, maximum=256)
    dense_layers: int = _field(
        0,
        "dense layers",
        "Hidden Dense (ReLU) layers between the LSTMs and the output.",
        minimum=0,
        maximum=3,
    )
    dropout: float = _field(0.0, "dropout", "Dropout rate between stacked LSTM layers.", minimum=0.0, maximum=0.9)
    scaling: str = _field(
        "standard",
        "scaling",
        "standard: standardise with the training part's mean and std; none: raw values, as in the original.",
        choices=("standard", "none"),
    )
    epochs: int = _field(200, "epochs", "Passes over the training windows.", minimum=1, maximum=1000)
    batch_size: int = _field(50, "batch size", "Windows per optimizer step.", minimum=1, maximum=1024)
    learning_rate: float = _field(
        0.03,
        "learning rate",
        "Adam's step size (with the cosine schedule, the first epoch's).",
        minimum=1e-5,
        maximum=1.0,
    )
    schedule: str = _field(
        "cosine",
        "learning-rate schedule",
        "constant: Adam's step size stays the learning rate, as in the original; cosine: it decays from the "
        "learning rate towards zero along half a cosine over the epochs.",
        choices=SCHEDULES,
    )
    seed: int = _field(0, "seed", "Seeds the weights, the shuffling and the noise.", minimum=0, maximum=2**31 - 1)
    ensemble: int = _field(
        1,
        "ensemble size",
        "Train this many networks with seeds seed, seed+1, … and draw the spread of their forecasts (1: off).",
        minimum=1,
        maximum=MAX_ENSEMBLE,
    )

    def __post_init__(self) -> None:
        _validate(self)

    @property
    def n_points(self) -> int | None:
        """How many points the series has: known from the config except for an uploaded file (None)."""
        if self.source == "expression":
            return _point_count(self.x_start, self.x_end, self.x_step)
        if self.source == "dataset":
            return len(datasets.load(self.dataset).ys)
        return None

    def data_label(self) -> str:
        """A short name for the series: the expression, the dataset's title, or the uploaded file's hash."""
        if self.source == "dataset":
            return datasets.CATALOGUE[self.dataset].title
        if self.source == "upload":
            return f"upload {self.upload[:8]}"
        return self.expression

    def member(self, index: int) -> Config:
        """The index-th network of an ensemble: the same config with seed + index, trained on its own."""
        if not 0 <= index < self.ensemble:
            raise ValueError(f"ensemble member {index} does not exist: the ensemble has {self.ensemble}")
        return self.replace(seed=self.seed + index, ensemble=1)

    def to_dict(self) -> dict[str, Any]:
        """The fields as a plain dict, in declaration order."""
        return dataclasses.asdict(self)

    def to_query_params(self) -> dict[str, str]:
        """Every field as text, so that a link reproduces this config even if defaults change later."""
        return {name: _format(value) for name, value in self.to_dict().items()}

    def replace(self, **changes: Any) -> Config:
        """A copy with some fields changed (validated like any Config)."""
        return dataclasses.replace(self, **changes)


FIELD_SPECS: dict[str, FieldSpec] = {
    field.name: FieldSpec(name=field.name, **field.metadata) for field in dataclasses.fields(Config)
}
FIELD_NAMES: tuple[str, ...] = tuple(FIELD_SPECS)


def field_spec(name: str) -> FieldSpec:
    """The label, help text and bounds of one Config field."""
    if name not in FIELD_SPECS:
        raise ValueError(f"Config has no field {name!r}; fields are {', '.join(FIELD_NAMES)}")
    return FIELD_SPECS[name]


_FIELD_TYPES: dict[str, type] = {
    field.name: {"str": str, "int": int, "float": float}[str(field.type)] for field in dataclasses.fields(Config)
}


def _format(value: Any) -> str:
    # repr() of a float is the shortest text that reads back to the same float, so links round-trip exactly.
    return repr(value) if isinstance(value, float) else str(value)


def _point_count(x_start: float, x_end: float, x_step: float) -> int:
    return round((x_end - x_start) / x_step)


def grid(x_start: float, x_step: float, n_points: int) -> np.ndarray:
    """The sampled x values: `n_points` steps of `x_step` from `x_start` (the end of the range is exclusive)."""
    return x_start + x_step * np.arange(n_points, dtype=np.float64)


def split_sizes(n_points: int, lookback: int, train_ratio: float) -> tuple[int, int]:
    """Train and test window counts, as in the original: windows = points − lookback, split at int(n·ratio)."""
    n_windows = n_points - lookback
    n_train = int(n_windows * train_ratio)
    return n_train, n_windows - n_train


def training_cost(config: Config, n_train: int) -> tuple[float, int]:
    """Multiply-adds of one forward pass over all epochs, and the number of optimizer steps."""
    per_window = config.lookback * (
        config.layers * 4 * config.units * (config.units + 2) + config.dense_layers * config.units**2
    )
    steps = config.epochs * math.ceil(n_train / min(config.batch_size, n_train))
    return float(config.epochs) * n_train * per_window, steps


def _check_type(name: str, value: Any) -> None:
    expected = _FIELD_TYPES[name]
    if expected is str:
        ok = isinstance(value, str)
    elif expected is int:
        ok = isinstance(value, numbers.Integral) and not isinstance(value, bool)
    else:
        ok = isinstance(value, numbers.Real) and not isinstance(value, bool)
    if not ok:
        raise ValueError(f"{name} must be {expected.__name__}, got {value!r}")


def _validate(config: Config) -> None:
    """Raise ValueError with an actionable message for the first problem found."""
    for name in FIELD_NAMES:
        value = getattr(config, name)
        _check_field(name, value)
        # Store ints given for float fields (and numpy scalars) as plain Python values, so that equal configs
        # serialise, and therefore hash, identically.
        object.__setattr__(config, name, _FIELD_TYPES[name](value))
    for source, names in SOURCE_FIELDS.items():
        if source != config.source:
            for name in names:
                object.__setattr__(config, name, _DEFAULTS[name])
    if config.source == "expression":
        if config.x_step <= 0:
            raise ValueError(f"x_step must be greater than 0, got {config.x_step!r}")
        if config.x_end <= config.x_start:
            raise ValueError(f"x_end {config.x_end!r} must be greater than x_start {config.x_start!r}")
        n_points = config.n_points
        if not MIN_POINTS <= n_points <= MAX_POINTS:
            span = config.x_end - config.x_start
            raise ValueError(
                f"the range {config.x_start!r}..{config.x_end!r} with step {config.x_step!r} holds {n_points} "
                f"points: it must hold {MIN_POINTS}–{MAX_POINTS}, so use a step between "
                f"{span / MAX_POINTS:.4g} and {span / MIN_POINTS:.4g}"
            )
        # A series with NaN or inf cannot be trained on: say so now, naming the first bad x, not mid-run.
        expressions.evaluate(config.expression, grid(config.x_start, config.x_step, n_points))
    elif config.source == "upload" and not config.upload:
        raise ValueError("source 'upload' needs a file: upload a CSV in the app, or pass --csv FILE")
    if config.n_points is not None:
        check_fits(config, config.n_points)


def check_fits(config: Config, n_points: int) -> None:
    """Check what depends on the series' length: the split and the training budget (ValueError if not)."""
    n_train, n_test = split_sizes(n_points, config.lookback, config.train_ratio)
    if n_train < 2 or n_test < 1:
        raise ValueError(_split_advice(config, n_points, n_train, n_test))
    cost, steps = training_cost(config, n_train)
    cost *= config.ensemble
    if cost > MAX_TRAINING_COST:
        most_epochs = max(1, int(config.epochs * MAX_TRAINING_COST / cost))
        raise ValueError(
            f"this training would cost {cost:.2g} multiply-adds, over the budget of {MAX_TRAINING_COST:.0e}: "
            f"lower epochs (at most {most_epochs} with these settings), units, layers, lookback or ensemble size"
        )
    steps *= config.ensemble
    if steps > MAX_OPTIMIZER_STEPS:
        most_epochs = max(1, int(config.epochs * MAX_OPTIMIZER_STEPS / steps))
        raise ValueError(
            f"this training would take {steps} optimizer steps, over the budget of {MAX_OPTIMIZER_STEPS}: "
            f"raise batch_size or lower epochs (at most {most_epochs} with this batch size) or ensemble size"
        )


def _largest_lookback(n_points: int, train_ratio: float) -> int:
    upper = int(FIELD_SPECS["lookback"].maximum or 1)
    for lookback in range(min(upper, n_points - 1), 0, -1):
        n_train, n_test = split_sizes(n_points, lookback, train_ratio)
        if n_train >= 2 and n_test >= 1:
            return lookback
    return 0


def _split_advice(config: Config, n_points: int, n_train: int, n_test: int) -> str:
    """Why the split fails and the changes that would fix it, with numbers."""
    lookback, train_ratio = config.lookback, config.train_ratio
    n_windows = n_points - lookback
    problem = "no test window" if n_test < 1 else f"fewer than 2 training windows ({max(n_train, 0)})"
    fixes = []
    largest = _largest_lookback(n_points, train_ratio)
    if largest:
        fixes.append(f"a lookback of at most {largest}")
    if n_windows >= 3 and n_train < 2:
        fixes.append(f"a train ratio of at least {math.ceil(200 / n_windows) / 100:g}")
    if n_windows >= 3 and n_test < 1:
        fixes.append(f"a train ratio of at most {math.floor(100 * (n_windows - 1) / n_windows) / 100:g}")
    fixes.append("a wider x range or a smaller step" if config.source == "expression" else "a longer series")
    return (
        f"lookback {lookback} with train ratio {train_ratio!r} leaves {problem} of {max(n_windows, 0)} windows "
        f"({n_points} points): use " + ", or ".join(fixes)
    )


def _parse_value(name: str, text: str) -> Any:
    expected = _FIELD_TYPES[name]
    if expected is str:
        return text
    if expected is int:
        try:
            return int(text.strip())
        except ValueError:
            raise ValueError(f"{name} must be a whole number, got {text!r}") from None
    try:
        return float(text.strip())
    except ValueError:
        raise ValueError(f"{name} must be a number, got {text!r}") from None


def from_query_params(params: Mapping[str, str | list[str]]) -> tuple[Config, dict[str, str]]:
    """Read a Config from URL query parameters, leniently.

    Unknown keys are ignored. A value that cannot be read, or is out of bounds on its own, is reported under its
    field name and replaced by the default. If the remaining fields do not fit together, every field falls back to
    the default and the problem is reported under "config".
    """
    errors: dict[str, str] = {}
    values: dict[str, Any] = {}
    for name in FIELD_NAMES:
        if name not in params:
            continue
        raw = params[name]
        text = raw[-1] if isinstance(raw, list) and raw else raw
        if not isinstance(text, str):
            errors[name] = f"{name} has no value"
            continue
        try:
            value = _parse_value(name, text)
            _check_field(name, value)
        except ValueError as error:
            errors[name] = str(error)
            continue
        values[name] = value
    try:
        return Config(**values), errors
    except ValueError as error:
        errors["config"] = f"{error}; using the defaults instead"
        return DEFAULT_CONFIG, errors


def _check_field(name: str, value: Any) -> None:
    """Check one field on its own: type, finiteness, choices, bounds and (for the expression) grammar."""
    _check_type(name, value)
    spec = field_spec(name)
    if not isinstance(value, str) and not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {value!r}")
    if spec.choices and value not in spec.choices:
        raise ValueError(f"{name} must be one of {', '.join(spec.choices)}; got {value!r}")
    if spec.minimum is not None and value < spec.minimum:
        raise ValueError(f"{name} {value!r} is below the minimum of {_format(spec.minimum)}")
    if spec.maximum is not None and value > spec.maximum:
        raise ValueError(f"{name} {value!r} is above the maximum of {_format(spec.maximum)}")
    if name == "expression":
        expressions.parse(value)
    if name == "upload" and value and (len(value) != 64 or any(c not in "0123456789abcdef" for c in value)):
        raise ValueError(f"upload must be the sha256 of a file (64 hex digits), got {value[:80]!r}")
    if name in ("value_column", "x_column") and (len(value) > MAX_COLUMN_NAME or not value.isprintable()):
        raise ValueError(f"{name} must be a column name of at most {MAX_COLUMN_NAME} printable characters")


def config_hash(config: Config, version: str) -> str:
    """A stable key for a config and a version of the training code: sha256 of canonical JSON."""
    canonical = json.dumps({"config": config.to_dict(), "version": version}, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


_DEFAULTS: dict[str, Any] = {field.name: field.default for field in dataclasses.fields(Config)}
DEFAULT_CONFIG = Config()
# The recipe of the original blog post: the defaults without scaling, with Keras's constant Adam rate of 0.001.
ORIGINAL_RECIPE = Config(scaling="none", learning_rate=0.001, schedule="constant")
