"""An ensemble of networks differing only in their seed: how much the forecasts vary, and how good their mean is."""

from __future__ import annotations

import dataclasses

import numpy as np

from forecast.evaluation import metrics
from forecast.run.result import FORECAST_KINDS, Result

__all__ = ["BAND_KINDS", "Ensemble", "summarize"]

BAND_KINDS = ("min–max", "mean ± 2 sd")


@dataclasses.dataclass(frozen=True, eq=False)
class Ensemble:
    """The members' LSTM test forecasts side by side, and what they say together."""

    size: int
    seeds: tuple[int, ...]
    # one_step / recursive: (size, n_test) arrays of each member's LSTM test forecasts.
    one_step: np.ndarray
    recursive: np.ndarray
    metrics: dict[str, dict[str, float]]  # metrics of the members' mean forecast, by kind
    member_rmse: dict[str, tuple[float, float]]  # (lowest, highest) member RMSE, by kind

    def mean(self, kind: str) -> np.ndarray:
        return self._forecasts(kind).mean(axis=0)

    def band(self, kind: str, band: str = BAND_KINDS[0]) -> tuple[np.ndarray, np.ndarray]:
        """Lower and upper edges of the band around the forecasts of `kind`: min–max, or mean ± 2 sd."""
        forecasts = self._forecasts(kind)
        if band == BAND_KINDS[0]:
            return forecasts.min(axis=0), forecasts.max(axis=0)
        if band == BAND_KINDS[1]:
            mean, spread = forecasts.mean(axis=0), forecasts.std(axis=0, ddof=1 if self.size > 1 else 0)
            return mean - 2 * spread, mean + 2 * spread
        raise ValueError(f"band must be one of {', '.join(BAND_KINDS)}, got {band!r}")

    def _forecasts(self, kind: str) -> np.ndarray:
        if kind not in FORECAST_KINDS:
            raise ValueError(f"kind must be one_step or recursive, got {kind!r}")
        return self.one_step if kind == "one_step" else self.recursive


def summarize(members: list[Result]) -> Ensemble:
    """Combine the results of an ensemble's members (all on the same series and split)."""
    if not members:
        raise ValueError("an ensemble needs at least one member")
    first = members[0]
    for member in members[1:]:
        if member.n_test != first.n_test or not np.array_equal(member.ys, first.ys):
            raise ValueError("ensemble members must share their series and split; they differ only in the seed")
    one_step = np.stack([member.test_forecast("lstm", "one_step") for member in members])
    recursive = np.stack([member.test_forecast("lstm", "recursive") for member in members])
    actual = first.test_targets
    scores = {
        "one_step": metrics.evaluate(actual, one_step.mean(axis=0)),
        "recursive": metrics.evaluate(actual, recursive.mean(axis=0)),
    }
    spread = {
        kind: (
            min(member.metrics["lstm"][kind]["rmse"] for member in members),
            max(member.metrics["lstm"][kind]["rmse"] for member in members),
        )
        for kind in FORECAST_KINDS
    }
    return Ensemble(
        size=len(members),
        seeds=tuple(member.config.seed for member in members),
        one_step=one_step,
        recursive=recursive,
        metrics=scores,
        member_rmse=spread,
    )
