"""The simplest honest forecasts: repeat the last value (naive), or the value one season back (seasonal naive)."""

from __future__ import annotations

import numpy as np

from forecast.models.base import Forecaster

__all__ = ["Naive", "SeasonalNaive"]


class Naive(Forecaster):
    """The next value is the last one seen."""

    name = "naive"

    def _forecast(self, history: np.ndarray, horizon: int) -> np.ndarray:
        return np.full(horizon, history[-1])

    def _one_step(self, train: np.ndarray, test: np.ndarray) -> np.ndarray:
        return np.concatenate([train[-1:], test[:-1]])

    def _fitted(self, train: np.ndarray, test: np.ndarray | None) -> np.ndarray:
        return np.concatenate([[np.nan], train[:-1]])

    def _paths(self, test: np.ndarray, max_steps: int) -> np.ndarray:
        # From each origin, the last true value before it, for as many steps as the test part has left.
        last = self._one_step(self.train, test)  # (n,): the value before each origin
        paths = np.repeat(last[:, np.newaxis], max_steps, axis=1)
        steps_left = len(test) - np.arange(len(test))[:, np.newaxis]
        paths[np.arange(max_steps)[np.newaxis, :] >= steps_left] = np.nan
        return paths


class SeasonalNaive(Forecaster):
    """The next value is the one a season earlier: the last observed season repeated."""

    name = "seasonal_naive"

    def __init__(self, season_length: int) -> None:
        super().__init__()
        if season_length < 1:
            raise ValueError(f"season_length must be at least 1, got {season_length}")
        self.season_length = int(season_length)

    @property
    def min_train_length(self) -> int:
        return self.season_length

    def _forecast(self, history: np.ndarray, horizon: int) -> np.ndarray:
        last_season = history[-self.season_length :]
        return last_season[np.arange(horizon) % self.season_length]

    def _one_step(self, train: np.ndarray, test: np.ndarray) -> np.ndarray:
        series = np.concatenate([train, test])
        start = len(train) - self.season_length
        return series[start : start + len(test)]
