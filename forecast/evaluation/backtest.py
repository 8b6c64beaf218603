"""The one evaluation every forecaster goes through, and the tidy table of forecasts it produces.

`evaluate` fits each forecaster on the values before a forecast origin and asks it, over the test part after
the origin, for every kind of forecast the playground shows (the way Darts' `historical_forecasts` serves every
model). The answer is one table, `Forecasts`: a row per (kind, origin, step), a column per model. Every metric,
chart, download and JSON block is computed from it:

- `fit`: one-step predictions of the training targets (the training fit drawn under the test part);
- `one_step`: each test value predicted from the true values before it (what the original post plots);
- `recursive`: the forecast from the origin over the whole test part, fed its own predictions (the honest one);
- `rolling`: recursive forecasts from every origin inside the test part, up to `rolling_steps(n_test)` steps
  ahead (the error by steps ahead, and the out-of-sample errors that calibrate prediction intervals);
- `future`: the forecast past the end of the series, from models fitted on all of it (`forecast_future`).

Models with their own prediction intervals (ARIMA, ETS) add `bands`: the edges of their intervals around the
recursive (or future) forecast at every level from 50 to 99 %.

`origin` counts the values observed before a forecast; its target is the value at `origin + step − 1`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

import numpy as np
import pandas as pd

from forecast.models.base import Forecaster

__all__ = [
    "BAND_LEVELS",
    "KINDS",
    "MAX_ROLLING_STEPS",
    "Forecasts",
    "chart_steps",
    "evaluate",
    "forecast_future",
    "rolling_steps",
]

KINDS = ("fit", "one_step", "recursive", "rolling", "future")
# The rolling-origin rows look as far ahead as the test part reaches, but no further than this, which keeps the
# table small for long test parts.
MAX_ROLLING_STEPS = 60
# Levels (in %) of the library intervals kept for the models that have them.
BAND_LEVELS = tuple(range(50, 100))


def rolling_steps(n_test: int) -> int:
    """How many steps ahead the rolling-origin rows go for a test part of `n_test` values."""
    if n_test < 1:
        raise ValueError(f"n_test must be at least 1, got {n_test}")
    return min(n_test, MAX_ROLLING_STEPS)


def chart_steps(n_test: int) -> int:
    """How many steps ahead the error-by-step chart goes: half the test part, so that every step is averaged over
    at least half the origins (and no further than the rolling rows)."""
    return min(max(1, -(-n_test // 2)), rolling_steps(n_test))


@dataclasses.dataclass(frozen=True, eq=False)
class Forecasts:
    """The tidy table of one evaluation, stored by column: the row index, then each model's forecasts."""

    kind: np.ndarray  # (rows,) int8: index into KINDS
    origin: np.ndarray  # (rows,) int64: values observed before the forecast
    step: np.ndarray  # (rows,) int64: steps ahead, from 1
    values: dict[str, np.ndarray]  # model → (rows,) float64 forecasts in the series' units (NaN: none)
    # model → (len(BAND_LEVELS), 2, steps): lower and upper edges of its own intervals around the recursive or
    # future forecast, for the models that have them.
    bands: dict[str, np.ndarray] = dataclasses.field(default_factory=dict)

    @property
    def models(self) -> tuple[str, ...]:
        return tuple(self.values)

    @property
    def target(self) -> np.ndarray:
        """The index in the series of each row's target."""
        return self.origin + self.step - 1

    def joined(self, other: Forecasts) -> Forecasts:
        """This table's models, then `other`'s, on the same rows (the baselines a fold's networks share)."""
        same_rows = all(
            np.array_equal(mine, theirs)
            for mine, theirs in ((self.kind, other.kind), (self.origin, other.origin), (self.step, other.step))
        )
        if not same_rows or set(self.values) & set(other.values):
            raise ValueError("only tables of the same rows and different models can be joined")
        values, bands = {**self.values, **other.values}, {**self.bands, **other.bands}
        return Forecasts(self.kind, self.origin, self.step, values, bands)

    def mask(self, kind: str) -> np.ndarray:
        """The rows of one kind."""
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {', '.join(KINDS)}, got {kind!r}")
        return self.kind == KINDS.index(kind)

    def get(self, model: str, kind: str) -> np.ndarray:
        """A model's forecasts of one kind, in table order (by target for fit and one-step, by step for recursive)."""
        if model not in self.values:
            raise ValueError(f"no forecasts of {model!r}: the models are {', '.join(self.values)}")
        return self.values[model][self.mask(kind)]

    def errors_by_step(self, model: str, actual: np.ndarray) -> np.ndarray:
        """RMSE of the rolling-origin forecasts by steps ahead, over every origin with a target that far ahead."""
        rows = self.mask("rolling")
        steps, targets = self.step[rows], self.target[rows]
        errors = self.values[model][rows] - np.asarray(actual, dtype=np.float64)[targets]
        n_test = int(self.mask("one_step").sum())
        return np.array([np.sqrt(np.mean(errors[steps == step] ** 2)) for step in range(1, chart_steps(n_test) + 1)])

    def band(self, model: str, level: int) -> tuple[np.ndarray, np.ndarray] | None:
        """The edges of a model's own interval at `level` % around its recursive or future forecast, or None."""
        if model not in self.bands:
            return None
        edges = self.bands[model][BAND_LEVELS.index(level)]
        return edges[0], edges[1]

    def frame(self, xs: np.ndarray, ys: np.ndarray, window: int = 0) -> pd.DataFrame:
        """The table as a pandas frame: model, kind, window, origin (x of the last observed value), step, x,
        actual, forecast — one row per model and forecast."""
        xs, ys = np.asarray(xs), np.asarray(ys)
        targets = self.target
        shared = {
            "kind": np.asarray(KINDS, dtype=object)[self.kind],
            "window": np.full(len(targets), window),
            "origin": xs[self.origin - 1],
            "step": self.step,
            "x": xs[targets],
            "actual": ys[targets],
        }
        frames = [pd.DataFrame({"model": model, **shared, "forecast": values}) for model, values in self.values.items()]
        return pd.concat(frames, ignore_index=True)

    def to_arrays(self) -> dict[str, np.ndarray]:
        """Plain arrays to store; `from_arrays` reads them back."""
        arrays = {"kind": self.kind, "origin": self.origin, "step": self.step}
        arrays |= {f"bands/{model}": bands for model, bands in self.bands.items()}
        return arrays | {f"values/{model}": values for model, values in self.values.items()}

    @classmethod
    def from_arrays(cls, arrays: Mapping[str, np.ndarray], models: tuple[str, ...]) -> Forecasts:
        return cls(
            kind=np.asarray(arrays["kind"], dtype=np.int8),
            origin=np.asarray(arrays["origin"], dtype=np.int64),
            step=np.asarray(arrays["step"], dtype=np.int64),
            values={model: np.asarray(arrays[f"values/{model}"], dtype=np.float64) for model in models},
            bands={model: np.asarray(arrays[f"bands/{model}"]) for model in models if f"bands/{model}" in arrays},
        )


def _index(first_target: int, origin: int, n_test: int, max_steps: int) -> tuple[np.ndarray, ...]:
    """The rows, in order: fit (training targets), one-step (test targets), recursive, rolling (origin-major)."""
    fit = np.arange(first_target, origin)
    test = np.arange(origin, origin + n_test)
    offsets, steps = np.divmod(np.arange(n_test * max_steps), max_steps)
    inside = steps < n_test - offsets  # a rolling row exists while its target lies in the test part
    rolling_origin, rolling_step = origin + offsets[inside], steps[inside] + 1
    kind = np.concatenate(
        [np.full(len(fit), 0), np.full(n_test, 1), np.full(n_test, 2), np.full(len(rolling_origin), 3)]
    ).astype(np.int8)
    origins = np.concatenate([fit, test, np.full(n_test, origin), rolling_origin])
    step = np.concatenate([np.ones(len(fit) + n_test, dtype=np.int64), np.arange(1, n_test + 1), rolling_step])
    return kind, origins.astype(np.int64), step.astype(np.int64), inside


def _bands(forecaster: Forecaster, horizon: int, observed: np.ndarray | None = None) -> np.ndarray | None:
    """The forecaster's own intervals at every level of BAND_LEVELS, where it has them (ARIMA, ETS)."""
    bands = getattr(forecaster, "bands", None)
    return None if bands is None else np.asarray(bands(horizon, BAND_LEVELS, observed))


def evaluate(
    forecasters: Mapping[str, Forecaster], values: np.ndarray, n_test: int, *, first_target: int = 1
) -> Forecasts:
    """Fit every forecaster on `values[:-n_test]` and collect its forecasts of the last `n_test` values.

    `first_target` is the first training value any model predicts (the fit rows start there: the lookback plus
    what differencing consumes, for window models). Forecasters are fitted in the order given.
    """
    values = np.asarray(values, dtype=np.float64)
    origin = len(values) - n_test
    if n_test < 1 or origin < 1 or not 1 <= first_target <= origin:
        raise ValueError(f"need a training part and a test part, got {len(values)} values, n_test {n_test}")
    train, test = values[:origin], values[origin:]
    max_steps = rolling_steps(n_test)
    kind, origins, step, inside = _index(first_target, origin, n_test, max_steps)
    columns, bands = {}, {}
    for name, forecaster in forecasters.items():
        forecaster.fit(train)
        columns[name] = np.concatenate(
            [
                forecaster.fitted(test)[first_target:],
                forecaster.one_step(test),
                forecaster.forecast(n_test),
                forecaster.paths(test, max_steps).reshape(-1)[inside],
            ]
        )
        if (edges := _bands(forecaster, n_test)) is not None:
            bands[name] = edges
    return Forecasts(kind, origins, step, columns, bands)


def forecast_future(
    forecasters: Mapping[str, Forecaster], values: np.ndarray, horizon: int, *, first_target: int = 1
) -> Forecasts:
    """Fit every forecaster on all of `values` and forecast the `horizon` values after them (kind `future`),
    beside their training fit."""
    values = np.asarray(values, dtype=np.float64)
    if horizon < 1 or not 1 <= first_target < len(values):
        raise ValueError(f"need a series and a horizon of at least 1, got {len(values)} values, horizon {horizon}")
    fit = np.arange(first_target, len(values))
    kind = np.concatenate([np.zeros(len(fit)), np.full(horizon, KINDS.index("future"))]).astype(np.int8)
    origins = np.concatenate([fit, np.full(horizon, len(values))]).astype(np.int64)
    step = np.concatenate([np.ones(len(fit)), np.arange(1, horizon + 1)]).astype(np.int64)
    columns, bands = {}, {}
    for name, forecaster in forecasters.items():
        forecaster.fit(values)
        columns[name] = np.concatenate([forecaster.fitted()[first_target:], forecaster.forecast(horizon)])
        if (edges := _bands(forecaster, horizon)) is not None:
            bands[name] = edges
    return Forecasts(kind, origins, step, columns, bands)
