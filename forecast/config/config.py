"""The run configuration: one frozen, typed dataclass that checks its own fields (types, bounds, choices).

Facts that need the series itself (enough points for the lookback and split, the training budget) are checked
where the series is built (`forecast.data`); labels, help texts and the URL round trip are in `fields.py`.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import numbers
from typing import Any

from forecast.config import expressions
from forecast.config.catalogue import (
    CATALOGUE,
    DIFFERENCES,
    FILL_MODES,
    MAX_POINTS,
    MAX_SEASON_LENGTH,
    MIN_POINTS,
    SCHEDULES,
    SEASONAL_DIFFERENCES,
    SOURCE_FIELDS,
    STRATEGIES,
    TRANSFORMS,
)

__all__ = [
    "DEFAULT_CONFIG",
    "FIELD_NAMES",
    "FIELD_TYPES",
    "MAX_BACKTEST_WINDOWS",
    "MAX_ENSEMBLE",
    "MAX_HORIZON",
    "MAX_TEST_SIZE",
    "MAX_UNROLLED_LOOKBACK",
    "ORIGINAL_RECIPE",
    "Bounds",
    "Config",
    "bounds",
    "check_field",
    "config_hash",
    "point_count",
]

MAX_ENSEMBLE = 5
# Unrolling the LSTMs over short windows turns the per-timestep while-loop into straight-line ops, which is much
# faster for the tiny windows this playground uses; beyond this length the graph grows too large to trace
# quickly, so longer windows keep the loop. (Part of the model's definition: the exported script uses it too.)
MAX_UNROLLED_LOOKBACK = 32
MAX_COLUMN_NAME = 100
# The future a run may forecast, and the rolling origins of a backtest (the last is the usual holdout).
MAX_HORIZON = 1000
MAX_BACKTEST_WINDOWS = 10
MIN_INTERVAL = 50
# At most this many final steps can be held out with test_size: the longest series the app reads.
MAX_TEST_SIZE = MAX_POINTS


@dataclasses.dataclass(frozen=True)
class Bounds:
    """What values a field accepts on its own: a range and/or a list of choices."""

    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[str, ...] = ()


def _field(default: Any, **limits: Any) -> Any:
    return dataclasses.field(default=default, metadata={"bounds": Bounds(**limits)})


@dataclasses.dataclass(frozen=True)
class Config:
    """Everything that determines a run. Field names are widget keys, query parameters and CLI flags."""

    source: str = _field("expression", choices=tuple(SOURCE_FIELDS))
    expression: str = _field("x*sin(x)")
    dataset: str = _field("airline_passengers", choices=tuple(CATALOGUE))
    upload: str = _field("")
    value_column: str = _field("")
    x_column: str = _field("")
    x_start: float = _field(-20.0)
    x_end: float = _field(20.0)
    x_step: float = _field(0.1, minimum=0.0)
    noise: float = _field(0.0, minimum=0.0)
    lookback: int = _field(5, minimum=1, maximum=100)
    train_ratio: float = _field(0.8, minimum=0.1, maximum=0.95)
    layers: int = _field(3, minimum=1, maximum=5)
    units: int = _field(32, minimum=1, maximum=256)
    dense_layers: int = _field(0, minimum=0, maximum=3)
    dropout: float = _field(0.0, minimum=0.0, maximum=0.9)
    scaling: str = _field("standard", choices=("standard", "none"))
    epochs: int = _field(200, minimum=1, maximum=1000)
    batch_size: int = _field(50, minimum=1, maximum=1024)
    learning_rate: float = _field(0.03, minimum=1e-5, maximum=1.0)
    schedule: str = _field("cosine", choices=SCHEDULES)
    seed: int = _field(0, minimum=0, maximum=2**31 - 1)
    ensemble: int = _field(1, minimum=1, maximum=MAX_ENSEMBLE)
    # Real series (forecast.data.transform): the defaults change nothing, so today's numbers stay bit for bit.
    transform: str = _field("none", choices=TRANSFORMS)
    difference: int = _field(0, minimum=0, maximum=max(DIFFERENCES))
    seasonal_difference: int = _field(0, minimum=0, maximum=max(SEASONAL_DIFFERENCES))
    season_length: int = _field(0, minimum=0, maximum=MAX_SEASON_LENGTH)
    test_size: int = _field(0, minimum=0, maximum=MAX_TEST_SIZE)
    patience: int = _field(0, minimum=0, maximum=1000)
    validation_ratio: float = _field(0.1, minimum=0.05, maximum=0.5)
    fill: str = _field("none", choices=FILL_MODES)
    # Forecasting (forecast.run.outcome): the defaults give today's single holdout and no future.
    horizon: int = _field(0, minimum=0, maximum=MAX_HORIZON)
    backtest_windows: int = _field(1, minimum=1, maximum=MAX_BACKTEST_WINDOWS)
    interval: int = _field(0, minimum=0, maximum=99)
    strategy: str = _field("recursive", choices=STRATEGIES)
    # Watching it learn (forecast.models.progress.Snapshot): 0 takes none, so the numbers and keys stay as they were.
    snapshot_every: int = _field(0, minimum=0, maximum=1000)

    def __post_init__(self) -> None:
        _validate(self)

    def member(self, index: int) -> Config:
        """The index-th network of an ensemble: the same config with seed + index, trained on its own."""
        if not 0 <= index < self.ensemble:
            raise ValueError(f"ensemble member {index} does not exist: the ensemble has {self.ensemble}")
        return self.replace(seed=self.seed + index, ensemble=1)

    def members(self) -> list[Config]:
        """Every network of the config's ensemble (the config itself, for an ensemble of one)."""
        return [self.member(index) for index in range(self.ensemble)]

    def to_dict(self) -> dict[str, Any]:
        """The fields as a plain dict, in declaration order."""
        return dataclasses.asdict(self)

    def replace(self, **changes: Any) -> Config:
        """A copy with some fields changed (validated like any Config)."""
        return dataclasses.replace(self, **changes)


FIELD_NAMES: tuple[str, ...] = tuple(field.name for field in dataclasses.fields(Config))
FIELD_TYPES: dict[str, type] = {
    field.name: {"str": str, "int": int, "float": float}[str(field.type)] for field in dataclasses.fields(Config)
}
_BOUNDS: dict[str, Bounds] = {field.name: field.metadata["bounds"] for field in dataclasses.fields(Config)}
_DEFAULTS: dict[str, Any] = {field.name: field.default for field in dataclasses.fields(Config)}


def bounds(name: str) -> Bounds:
    """The range and choices of one Config field."""
    if name not in _BOUNDS:
        raise ValueError(f"Config has no field {name!r}; fields are {', '.join(FIELD_NAMES)}")
    return _BOUNDS[name]


def _format(value: Any) -> str:
    return repr(value) if isinstance(value, float) else str(value)


def _check_type(name: str, value: Any) -> None:
    expected = FIELD_TYPES[name]
    if expected is str:
        ok = isinstance(value, str)
    elif expected is int:
        ok = isinstance(value, numbers.Integral) and not isinstance(value, bool)
    else:
        ok = isinstance(value, numbers.Real) and not isinstance(value, bool)
    if not ok:
        raise ValueError(f"{name} must be {expected.__name__}, got {value!r}")


def check_field(name: str, value: Any) -> None:
    """Check one field on its own: type, finiteness, choices, bounds and (for text fields) their format."""
    _check_type(name, value)
    limits = bounds(name)
    if not isinstance(value, str) and not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {value!r}")
    if limits.choices and value not in limits.choices:
        raise ValueError(f"{name} must be one of {', '.join(limits.choices)}; got {value!r}")
    if limits.minimum is not None and value < limits.minimum:
        raise ValueError(f"{name} {value!r} is below the minimum of {_format(limits.minimum)}")
    if limits.maximum is not None and value > limits.maximum:
        raise ValueError(f"{name} {value!r} is above the maximum of {_format(limits.maximum)}")
    _check_text(name, value)


def _check_text(name: str, value: Any) -> None:
    if name == "expression":
        expressions.parse(value)  # The grammar only: nothing is evaluated here.
    if name == "upload" and value and (len(value) != 64 or any(c not in "0123456789abcdef" for c in value)):
        raise ValueError(f"upload must be the sha256 of a file (64 hex digits), got {value[:80]!r}")
    if name in ("value_column", "x_column") and (len(value) > MAX_COLUMN_NAME or not value.isprintable()):
        raise ValueError(f"{name} must be a column name of at most {MAX_COLUMN_NAME} printable characters")


def _validate(config: Config) -> None:
    """Raise ValueError with an actionable message for the first problem found."""
    for name in FIELD_NAMES:
        value = getattr(config, name)
        check_field(name, value)
        # Store ints given for float fields (and numpy scalars) as plain Python values, so that equal configs
        # serialise, and therefore hash, identically.
        object.__setattr__(config, name, FIELD_TYPES[name](value))
    # Fields that matter only for another source are reset to their defaults, so that two configs describing
    # the same run are equal, hash equally and make the same link.
    for source, names in SOURCE_FIELDS.items():
        if source != config.source:
            for name in names:
                object.__setattr__(config, name, _DEFAULTS[name])
    if config.source in _SOURCE_CHECKS:
        _SOURCE_CHECKS[config.source](config)
    if config.season_length == 1:
        raise ValueError("season_length must be 0 (no season) or 2–400, got 1: a season of one step is no season")
    if config.seasonal_difference and config.season_length < 2:
        raise ValueError("seasonal differencing needs a season length of 2 or more: set season_length")
    if 0 < config.interval < MIN_INTERVAL:
        raise ValueError(
            f"interval must be 0 (no prediction interval) or a level of {MIN_INTERVAL}–99 %, got {config.interval}"
        )
    if config.noise > 0 and config.ensemble > 1:
        # Noise is drawn from each network's own seed, so the members would not share one series.
        raise ValueError(
            f"an ensemble of {config.ensemble} needs noise 0: each member's seed would draw different noise; "
            "set noise to 0 or ensemble size to 1"
        )


def point_count(x_start: float, x_end: float, x_step: float) -> int:
    """How many points a sampled range holds: round((x_end − x_start) / x_step), the end being exclusive."""
    return round((x_end - x_start) / x_step)


def _check_upload(config: Config) -> None:
    if not config.upload:
        raise ValueError("source 'upload' needs a file: upload a CSV in the app, or pass --csv FILE")


def _check_range(config: Config) -> None:
    """A function's sampled range: a positive step, an end after the start, and MIN_POINTS–MAX_POINTS points."""
    if config.x_step <= 0:
        raise ValueError(f"x_step must be greater than 0, got {config.x_step!r}")
    if config.x_end <= config.x_start:
        raise ValueError(f"x_end {config.x_end!r} must be greater than x_start {config.x_start!r}")
    n_points = point_count(config.x_start, config.x_end, config.x_step)
    if not MIN_POINTS <= n_points <= MAX_POINTS:
        span = config.x_end - config.x_start
        raise ValueError(
            f"the range {config.x_start!r}..{config.x_end!r} with step {config.x_step!r} holds {n_points} "
            f"points: it must hold {MIN_POINTS}–{MAX_POINTS}, so use a step between "
            f"{span / MAX_POINTS:.4g} and {span / MIN_POINTS:.4g}"
        )


# The checks of each source's own fields that need no data (a source without any has no entry).
_SOURCE_CHECKS = {"expression": _check_range, "upload": _check_upload}


def config_hash(config: Config, version: str, extra: dict[str, Any] | None = None) -> str:
    """A stable key for a config and a version of the training code: sha256 of canonical JSON.

    `extra` (plain JSON values) tells apart runs of one config on different parts of its series; without it the
    key is what it always was."""
    fields = config.to_dict()
    if fields["snapshot_every"] == 0:
        # Added later, and taking no snapshots changes nothing a run computes: results cached before it still count.
        del fields["snapshot_every"]
    content = {"config": fields, "version": version} | ({"extra": extra} if extra else {})
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


DEFAULT_CONFIG = Config()
# The recipe of the original blog post: the defaults without scaling, with Keras's constant Adam rate of 0.001.
ORIGINAL_RECIPE = Config(scaling="none", learning_rate=0.001, schedule="constant")
