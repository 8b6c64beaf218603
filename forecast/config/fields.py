"""How Config fields are presented and carried: labels, help texts, bounds, and the URL query-parameter round trip."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Mapping
from typing import Any

from forecast.config import config as config_module
from forecast.config.catalogue import CATALOGUE, MAX_POINTS, MIN_POINTS
from forecast.config.config import DEFAULT_CONFIG, FIELD_NAMES, FIELD_TYPES, Config

__all__ = [
    "FIELDS_ADDED_LATER",
    "FIELD_SPECS",
    "FieldSpec",
    "field_spec",
    "from_query_params",
    "parse_value",
    "to_query_params",
    "without_blamed_field",
]


@dataclasses.dataclass(frozen=True)
class FieldSpec:
    """How a Config field is shown, bounded and explained: shared by the app, the CLI and the README."""

    name: str
    label: str
    help: str
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[str, ...] = ()

    @property
    def range_text(self) -> str | None:
        """The bounds as help texts show them, e.g. "1–1000", whole numbers in full (a seed's 2147483647, not
        2.14748e+09); None for a field without both."""
        if self.minimum is None or self.maximum is None:
            return None
        return f"{_bound(self.minimum)}–{_bound(self.maximum)}"


def _bound(value: float) -> str:
    return str(int(value)) if float(value).is_integer() and abs(value) < 1e15 else f"{value:g}"


_TEXTS: dict[str, tuple[str, str]] = {
    "source": (
        "data source",
        "Where the series comes from: a function of x, a bundled real dataset, or a CSV file you upload.",
    ),
    "expression": (
        "f(x)",
        "The function to sample (source: expression): x, numbers, + - * / ** %, pi, e, sin, cos, exp, log, …",
    ),
    "dataset": (
        "dataset",
        "A bundled real series (source: dataset): " + "; ".join(info.title for info in CATALOGUE.values()),
    ),
    "upload": (
        "uploaded file",
        "The sha256 of the uploaded CSV file (source: upload); set by uploading, not by typing.",
    ),
    "value_column": (
        "value column",
        "The uploaded file's column of values (empty: its first column of numbers that is not a time index).",
    ),
    "x_column": ("x column", "The uploaded file's x or time column, numbers or dates (empty: the row number)."),
    "x_start": ("x start", "First x of the sampled range (source: expression)."),
    "x_end": ("x end", "End of the range, exclusive as in the original post (source: expression)."),
    "x_step": (
        "x step",
        f"Distance between samples; the range must hold {MIN_POINTS}–{MAX_POINTS} points (source: expression).",
    ),
    "noise": ("noise", "Standard deviation of Gaussian noise added to the samples."),
    "lookback": ("lookback", "How many past values each prediction sees (window length)."),
    "train_ratio": ("train ratio", "Share of the windows used for training; the rest, at the end, is the test."),
    "layers": ("LSTM layers", "How many LSTM layers are stacked."),
    "units": ("units", "Units (memory cells) in each LSTM layer."),
    "dense_layers": ("dense layers", "Hidden Dense (ReLU) layers between the LSTMs and the output."),
    "dropout": ("dropout", "Dropout rate between stacked LSTM layers."),
    "scaling": (
        "scaling",
        "standard: standardise with the training part's mean and std; none: raw values, as in the original.",
    ),
    "epochs": ("epochs", "Passes over the training windows."),
    "batch_size": ("batch size", "Windows per optimizer step."),
    "learning_rate": ("learning rate", "Adam's step size (with the cosine schedule, the first epoch's)."),
    "schedule": (
        "learning-rate schedule",
        "constant: Adam's step size stays the learning rate, as in the original; cosine: it decays from the "
        "learning rate towards zero along half a cosine over the epochs.",
    ),
    "seed": ("seed", "Seeds the weights, the shuffling and the noise."),
    "ensemble": (
        "ensemble size",
        "Train this many networks with seeds seed, seed+1, … and draw the spread of their forecasts (1: off).",
    ),
    "transform": (
        "transform",
        "log: model the log of the values (all must be above 0), which turns a growing season into a steady one; "
        "forecasts and metrics stay in the original units.",
    ),
    "difference": (
        "differencing",
        "Order of first differencing: the network predicts the change from one step to the next (1) or the change "
        "of that change (2); forecasts are summed back up.",
    ),
    "seasonal_difference": (
        "seasonal differencing",
        "1: the network predicts the change from the same step one season earlier (needs a season length).",
    ),
    "season_length": (
        "season length",
        "Steps in one season (12 for monthly data, 7 for daily, 24 for hourly; 0: none). Used by seasonal "
        "differencing and the seasonal naive baseline.",
    ),
    "test_size": (
        "test size",
        "Hold out the last N steps as the test part, the way forecasters state a holdout (0: use the train ratio).",
    ),
    "patience": (
        "early-stopping patience",
        "Stop after this many epochs without improvement on a validation slice and keep the best epoch's weights "
        "(0: off, train every epoch).",
    ),
    "validation_ratio": (
        "validation share",
        "With early stopping: the last share of the training windows kept aside to watch (chronological).",
    ),
    "fill": (
        "fill empty cells",
        "What to do with empty cells in an uploaded file: none refuses the file; interpolate, ffill (carry the "
        "last value forward) or drop those rows.",
    ),
    "horizon": (
        "horizon (steps past the data)",
        "Forecast this many steps past the last value with networks and baselines refitted on the whole series "
        "(0: no future). For a function of x, the true values there are known and scored.",
    ),
    "backtest_windows": (
        "backtest windows",
        "Rolling origins: the last is the usual holdout; each earlier one has the same length and ends where the "
        "next begins, and trains on everything before it. Metrics are averaged over the windows.",
    ),
    "strategy": (
        "multi-step strategy",
        "recursive: the network predicts one step and is fed its own predictions for the next; direct: one network "
        "with an output per step forecasts the whole test part (or future) at once from the last window.",
    ),
    "snapshot_every": (
        "snapshot every (epochs)",
        "Every this many epochs, keep the LSTM's one-step and recursive forecasts (0: none): the page draws them while "
        "the network trains and replays them with the epoch scrubber; the JSON lists them as snapshots.",
    ),
    "interval": (
        "prediction interval (%)",
        "Level of the prediction intervals, 50–99 (0: none): conformal from out-of-sample errors per step ahead "
        "for the LSTM and the simple baselines, the library's own for ARIMA and ETS.",
    ),
}


def _spec(name: str) -> FieldSpec:
    label, help_text = _TEXTS[name]
    limits = config_module.bounds(name)
    return FieldSpec(name, label, help_text, limits.minimum, limits.maximum, limits.choices)


FIELD_SPECS: dict[str, FieldSpec] = {name: _spec(name) for name in FIELD_NAMES}


def field_spec(name: str) -> FieldSpec:
    """The label, help text and bounds of one Config field."""
    if name not in FIELD_SPECS:
        raise ValueError(f"Config has no field {name!r}; fields are {', '.join(FIELD_NAMES)}")
    return FIELD_SPECS[name]


# Fields added after the app began writing complete links, each with the value that keeps what an older link
# showed: a link the app wrote holds every field it had then, so one holding all the others but not these is
# older than them. (A hand-written link with only some fields gets the defaults, as always.)
FIELDS_ADDED_LATER: dict[str, Any] = {"schedule": "constant", "snapshot_every": 0}


def _format(value: Any) -> str:
    # repr() of a float is the shortest text that reads back to the same float, so links round-trip exactly.
    return repr(value) if isinstance(value, float) else str(value)


def to_query_params(config: Config) -> dict[str, str]:
    """Every field as text, so that a link reproduces this config even if defaults change later."""
    return {name: _format(value) for name, value in config.to_dict().items()}


def parse_value(name: str, text: str) -> Any:
    """One field's value from text (a query parameter), typed; ValueError if it is not of the field's type."""
    expected = FIELD_TYPES[name]
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


def from_query_params(
    params: Mapping[str, str | list[str]], defaults: Config = DEFAULT_CONFIG
) -> tuple[Config, dict[str, str]]:
    """Read a Config from URL query parameters, leniently.

    Unknown keys are ignored. A complete link written before a field existed gets that field's value from
    `FIELDS_ADDED_LATER`, so it keeps its meaning. A value that cannot be read, or is out of bounds on its own,
    is reported under its field name and replaced by the default (`defaults`' value). If the remaining fields do
    not fit together, every field falls back to `defaults` and the problem is reported under "config".
    """
    errors: dict[str, str] = {}
    values: dict[str, Any] = {}
    if all(name in params for name in FIELD_NAMES if name not in FIELDS_ADDED_LATER):
        values |= {name: value for name, value in FIELDS_ADDED_LATER.items() if name not in params}
    for name in FIELD_NAMES:
        if name not in params:
            continue
        raw = params[name]
        text = raw[-1] if isinstance(raw, list) and raw else raw
        if not isinstance(text, str):
            errors[name] = f"{name} has no value"
            continue
        try:
            value = parse_value(name, text)
            config_module.check_field(name, value)
        except ValueError as error:
            errors[name] = str(error)
            continue
        values[name] = value
    try:
        return defaults.replace(**values), errors
    except ValueError as error:
        salvaged = without_blamed_field(values, defaults, error)
        if salvaged is None:
            errors["config"] = f"{error}; using the defaults instead"
            return defaults, errors
        config, name = salvaged
        errors[name] = f"{error}; {name} is back to its default ({getattr(defaults, name)})"
        return config, errors


def without_blamed_field(
    values: Mapping[str, Any],
    defaults: Config,
    error: ValueError,
    check: Callable[[Config], object] = lambda config: None,
) -> tuple[Config, str] | None:
    """The config of `values` with the one field the error names back at its default, where that makes it valid
    (and `check` accepts it), with that field's name; None if no field the message names does.

    So that one bad parameter of a shared link costs that parameter, not every setting the link holds."""
    message = str(error)
    # Messages name a field as written in the config ("x_end") or in words ("season length").
    found = {name: re.search(rf"\b({name}|{name.replace('_', ' ')})\b", message) for name in FIELD_NAMES}
    named = {name: match.start() for name, match in found.items() if match is not None and name in values}
    for name in sorted(named, key=named.__getitem__):
        try:
            config = defaults.replace(**{key: value for key, value in values.items() if key != name})
            check(config)
        except ValueError:
            continue
        return config, name
    return None
