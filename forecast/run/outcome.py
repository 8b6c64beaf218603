"""What a whole run produced: every network's result on every fold, put together as forecasters read them.

A run has backtest windows (the last is the usual holdout) and, with a horizon, the future. Each fold's networks
(an ensemble's members) are one model: the LSTM of a fold is the mean of its members' forecasts (`combine`). Over
the windows: metrics per window, their mean and spread, the best model by recursive MASE. With an interval level:
bands around the recursive and future forecasts (conformal from earlier windows' errors for the LSTM and the
simple baselines, the library's own for ARIMA and ETS) and their coverage on windows that did not calibrate them.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from forecast.config import Config
from forecast.data import Fold
from forecast.evaluation import intervals
from forecast.evaluation.backtest import Forecasts
from forecast.models.progress import Snapshot
from forecast.run.result import SNAPSHOT_KINDS, Result

__all__ = ["DIVERGENCE_MULTIPLE", "Band", "Divergence", "RunResult", "combine", "divergence", "mean_snapshots"]

# A forecast further outside the training values than this many times their range has left the data: it has
# diverged (generous on purpose: a trend may well carry a forecast past the highest value seen).
DIVERGENCE_MULTIPLE = 2.0


def divergence(forecast: np.ndarray, train: np.ndarray) -> str | None:
    """What is wrong with a forecast that has diverged, in a few words, or None if it has not."""
    forecast, train = np.asarray(forecast, dtype=np.float64), np.asarray(train, dtype=np.float64)
    if not np.all(np.isfinite(forecast)):
        return "is not finite"
    low, high = float(train.min()), float(train.max())
    span = (high - low) or abs(high) or 1.0
    outside = np.abs(np.clip(forecast, low, high) - forecast)
    if outside.max() <= DIVERGENCE_MULTIPLE * span:
        return None
    worst = float(forecast[int(np.argmax(outside))])
    return f"reaches {worst:.4g}, far outside the training values ({low:.4g} to {high:.4g})"


@dataclasses.dataclass(frozen=True)
class Divergence:
    """A forecast that left the data: whose, where, and how."""

    model: str
    where: str  # "the holdout", "backtest window 2", "the future"
    detail: str
    member: int | None = None  # the ensemble member's seed, for one network of an ensemble


def combine(members: Sequence[Result]) -> Result:
    """One fold's networks as one model: the LSTM's forecasts are the members' mean, the run's time their sum.

    The baselines are the same in every member (they do not depend on the seed); the loss curves, the saved model
    and the training details stay the first member's."""
    first = members[0]
    if len(members) == 1:
        return first
    for member in members[1:]:
        if member.n_test != first.n_test or not np.array_equal(member.ys, first.ys):
            raise ValueError("ensemble members must share their series and split; they differ only in the seed")
    lstm = np.mean([member.forecasts.values["lstm"] for member in members], axis=0)
    table = first.forecasts
    forecasts = Forecasts(table.kind, table.origin, table.step, {**table.values, "lstm": lstm}, table.bands)
    return dataclasses.replace(
        first,
        forecasts=forecasts,
        fit_seconds=sum(member.fit_seconds for member in members),
        cached=all(member.cached for member in members),
        networks=len(members),
        snapshots=mean_snapshots(members),
    )


def mean_snapshots(members: Sequence[Result]) -> tuple[Snapshot, ...]:
    """The ensemble's snapshots: at each epoch every member saved, the members' mean forecasts and losses (a
    member that stopped early has fewer: the mean goes as far as the shortest)."""
    count = min(len(member.snapshots) for member in members)
    means = []
    for index in range(count):
        taken = [member.snapshots[index] for member in members]
        means.append(
            Snapshot(
                taken[0].epoch,
                float(np.mean([snapshot.loss for snapshot in taken])),
                float(np.mean([snapshot.val_loss for snapshot in taken])),
                *(np.mean([getattr(snapshot, kind) for snapshot in taken], axis=0) for kind in SNAPSHOT_KINDS),
            )
        )
    return tuple(means)


@dataclasses.dataclass(frozen=True)
class Band:
    """A prediction interval around one model's forecast, by step ahead (NaN where a step has none)."""

    lower: np.ndarray
    upper: np.ndarray
    method: str  # "conformal" or "library"
    scores: np.ndarray | None = None  # conformal: how many out-of-sample errors of its own calibrated each step
    pooled: np.ndarray | None = None  # conformal: how many earlier steps' errors each step pooled with its own

    @property
    def missing_steps(self) -> int:
        return int(np.sum(~np.isfinite(self.lower)))


@dataclasses.dataclass(frozen=True, eq=False)
class RunResult:
    """Every fold's results, by fold in the run's order (backtest windows oldest first, then the future)."""

    config: Config
    folds: tuple[Fold, ...]
    results: tuple[tuple[Result, ...], ...]  # results[f]: fold f's networks, one per ensemble member

    def __post_init__(self) -> None:
        if len(self.folds) != len(self.results) or not self.folds or self.folds[0].is_future:
            raise ValueError("a run needs at least one backtest window, and one list of results per fold")

    @functools.cached_property
    def windows(self) -> tuple[Result, ...]:
        """Each backtest window as one model (the LSTM the members' mean), oldest first; the last is the holdout."""
        return tuple(
            combine(members) for fold, members in zip(self.folds, self.results, strict=True) if not fold.is_future
        )

    @property
    def result(self) -> Result:
        """The usual holdout: the last backtest window."""
        return self.windows[-1]

    @property
    def members(self) -> tuple[Result, ...]:
        """The holdout's networks, one per ensemble member."""
        return self.results[len(self.windows) - 1]

    @functools.cached_property
    def future(self) -> Result | None:
        """The future as one model, or None without a horizon."""
        futures = [members for fold, members in zip(self.folds, self.results, strict=True) if fold.is_future]
        return combine(futures[0]) if futures else None

    @property
    def all_results(self) -> list[Result]:
        return [result for members in self.results for result in members]

    @property
    def networks(self) -> int:
        """How many networks the run has: ensemble members times folds."""
        return len(self.all_results)

    @property
    def trained(self) -> int:
        """How many of them were trained by this run (the others came from the cache)."""
        return sum(not result.cached for result in self.all_results)

    @property
    def fit_seconds(self) -> float:
        """The whole run's training time: every network's, cached ones as they took when trained."""
        return float(sum(result.fit_seconds for result in self.all_results))

    @property
    def cached(self) -> bool:
        return all(result.cached for result in self.all_results)

    # --- metrics over the windows -------------------------------------------------------------------------------

    @functools.cached_property
    def mean_metrics(self) -> dict[str, dict[str, dict[str, float]]]:
        """The windows' metrics averaged, model → kind → metric."""
        return self._over_windows(np.mean)

    @functools.cached_property
    def spread(self) -> dict[str, dict[str, dict[str, tuple[float, float]]]]:
        """The lowest and highest value over the windows, model → kind → metric → (low, high)."""
        return self._over_windows(lambda values: (float(np.min(values)), float(np.max(values))))

    def _over_windows(self, reduce: Callable[[list[float]], Any]) -> dict:
        first = self.windows[0].metrics
        return {
            model: {
                kind: {name: reduce([window.metrics[model][kind][name] for window in self.windows]) for name in values}
                for kind, values in kinds.items()
            }
            for model, kinds in first.items()
        }

    def best_by_window(self) -> list[str | None]:
        """The model with the lowest recursive MASE in each window (None where no model's is finite)."""
        return [_best(window.metrics) for window in self.windows]

    def best(self) -> str | None:
        """The model with the lowest recursive MASE averaged over the windows."""
        return _best(self.mean_metrics)

    # --- intervals ----------------------------------------------------------------------------------------------

    def _errors(self, model: str, windows: Sequence[Result], steps: int) -> list[list[np.ndarray]]:
        return [intervals.step_errors(window.forecasts, window.ys, model, steps) for window in windows]

    def band(self, model: str, window: int | None = None) -> Band | None:
        """The interval around a model's recursive forecast on backtest window `window` (default: the holdout), or
        around its future forecast (`window` -1): None without an interval level or calibrating windows."""
        level = self.config.interval
        if not level:
            return None
        target = self.future if window == -1 else self.windows[len(self.windows) - 1 if window is None else window]
        if target is None:
            return None
        steps = len(target.future_xs) if target.is_future else target.n_test
        center = target.future(model) if target.is_future else target.test_forecast(model, "recursive")
        library = target.forecasts.band(model, level)
        if library is not None:
            return Band(library[0], library[1], "library")
        calibrating = self.windows if target.is_future else self.windows[: self.windows.index(target)]
        if not calibrating:
            return None
        errors = self._errors(model, calibrating, min(steps, min(window.n_test for window in calibrating)))
        widths, counts, pooled = intervals.conformal_widths(errors, level)
        padding = np.zeros(steps - len(widths), dtype=np.int64)
        widths = np.concatenate([widths, np.full(len(padding), np.nan)])
        counts, pooled = np.concatenate([counts, padding]), np.concatenate([pooled, padding])
        return Band(center - widths, center + widths, "conformal", counts, pooled)

    def divergences(self) -> list[Divergence]:
        """Every forecast that diverged: each model's on each fold, and each ensemble member's own."""
        found = []
        places = [
            ("the holdout" if index == len(self.windows) - 1 else f"backtest window {index + 1}", members)
            for index, members in enumerate(self.results[: len(self.windows)])
        ]
        if self.future is not None:
            places.append(("the future", self.results[-1]))
        for where, members in places:
            combined = combine(members)
            for model in combined.models:
                if (detail := divergence(_forecast(combined, model), _train(combined))) is not None:
                    found.append(Divergence(model, where, detail))
            if len(members) > 1:
                for member in members:
                    if (detail := divergence(_forecast(member, "lstm"), _train(member))) is not None:
                        found.append(Divergence("lstm", where, detail, member.config.seed))
        return found

    def coverage(self, model: str, window: int) -> float | None:
        """The share of window `window`'s held-out values inside its band (calibrated without that window)."""
        band = self.band(model, window)
        if band is None:
            return None
        return intervals.coverage(self.windows[window].test_targets, band.lower, band.upper)

    def future_coverage(self, model: str) -> float | None:
        """For a function of x: the share of the true future values inside the future band."""
        band = self.band(model, -1)
        future = self.future
        if band is None or future is None or future.truth is None:
            return None
        return intervals.coverage(future.truth, band.lower, band.upper)


def _forecast(result: Result, model: str) -> np.ndarray:
    return result.future(model) if result.is_future else result.test_forecast(model, "recursive")


def _train(result: Result) -> np.ndarray:
    return result.ys[: result.n_train_points]


def _best(metrics: dict[str, dict[str, dict[str, float]]]) -> str | None:
    scores = {model: kinds["recursive"].get("mase", math.inf) for model, kinds in metrics.items()}
    finite = {model: score for model, score in scores.items() if score is not None and math.isfinite(score)}
    return min(finite, key=finite.__getitem__) if finite else None
