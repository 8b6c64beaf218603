"""The one interface every forecaster implements: the LSTM and each baseline alike (darts-style).

A forecaster is fitted on the training part of a series (the values before the forecast origin), then asked:

- `forecast(horizon)`: the recursive forecast of the next `horizon` values, built on its own predictions; with
  `observed` (true values that followed the training part) the forecast starts after them, with the model as
  fitted (never refitted);
- `one_step(test)`: each value of the test part predicted from the TRUE values before it;
- `fitted()`: its one-step predictions of the training part itself (NaN where it has none);
- `paths(test, max_steps)`: the recursive forecast from every origin inside the test part, the rows of a
  rolling-origin evaluation.

Every forecast is in the series' own units. The checks shared by all are done here, once.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

__all__ = ["Forecaster", "as_series"]


def as_series(values: np.ndarray, name: str) -> np.ndarray:
    """`values` as a float64 series of shape (n,), or a ValueError naming the first value that is not finite."""
    values = np.asarray(values, dtype=np.float64)
    if values.ndim != 1:
        raise ValueError(f"{name} must be one series of shape (n,), got {values.shape}")
    bad = np.flatnonzero(~np.isfinite(values))
    if len(bad):
        raise ValueError(f"{name} has a NaN or infinite value at position {int(bad[0])}: fill or remove it first")
    return values


class Forecaster:
    """The shared shape: `fit(train)`, then `forecast`, `one_step`, `fitted` and `paths`; checks are done here.

    Subclasses implement `_fit`, `_forecast` and `_one_step`, and may override `_paths` and `_fitted` when they
    can do better than the generic versions.
    """

    name: ClassVar[str] = "forecaster"

    def __init__(self) -> None:
        self._train: np.ndarray | None = None

    @property
    def min_train_length(self) -> int:
        """The fewest training values this forecaster can be fitted on."""
        return 1

    @property
    def train(self) -> np.ndarray:
        """The training part it was fitted on."""
        if self._train is None:
            raise ValueError(f"{type(self).__name__} is not fitted yet: call fit(train) first")
        return self._train

    def fit(self, train: np.ndarray) -> Forecaster:
        """Fit on the training part of the series (shape (n,)); returns the forecaster itself.

        Fitting again on the same values changes nothing and costs nothing (the members of an ensemble share
        their baselines).
        """
        train = as_series(train, "train")
        if self._train is not None and np.array_equal(self._train, train):
            return self
        if len(train) < self.min_train_length:
            raise ValueError(
                f"{type(self).__name__} needs at least {self.min_train_length} training values, got {len(train)}"
            )
        self._fit(train)
        self._train = train
        return self

    def forecast(self, horizon: int, observed: np.ndarray | None = None) -> np.ndarray:
        """The recursive forecast of the `horizon` values after the training part (and `observed`): (horizon,)."""
        train = self.train
        if horizon < 1:
            raise ValueError(f"horizon must be at least 1, got {horizon}")
        history = train if observed is None else np.concatenate([train, as_series(observed, "observed")])
        return np.asarray(self._forecast(history, int(horizon)), dtype=np.float64).reshape(horizon)

    def one_step(self, test: np.ndarray) -> np.ndarray:
        """Each value of `test` (the values right after the training part) predicted from the true ones before it."""
        train = self.train
        test = as_series(test, "test")
        if len(test) == 0:
            raise ValueError("test must hold at least one value")
        return np.asarray(self._one_step(train, test), dtype=np.float64).reshape(len(test))

    def fitted(self, test: np.ndarray | None = None) -> np.ndarray:
        """One-step predictions of the training part itself, (len(train),), NaN where there is none.

        `test` is the test part the same forecaster is evaluated on: a model that predicts every window in one
        batch (the LSTM) then gives exactly the numbers of that batch.
        """
        train = self.train
        fitted = np.asarray(self._fitted(train, None if test is None else as_series(test, "test")), dtype=np.float64)
        return fitted.reshape(len(train))

    def paths(self, test: np.ndarray, max_steps: int) -> np.ndarray:
        """Recursive forecasts from every origin in the test part: (len(test), max_steps), NaN past its end.

        Row o starts after the true values up to test[o - 1] (row 0 after the training part) and runs for
        min(max_steps, len(test) − o) steps, with the model as fitted.
        """
        self.train  # noqa: B018  (raises if not fitted)
        test = as_series(test, "test")
        if len(test) == 0 or max_steps < 1:
            raise ValueError(f"need a test part and max_steps ≥ 1, got {len(test)} values and {max_steps}")
        paths = np.asarray(self._paths(test, int(max_steps)), dtype=np.float64)
        if paths.shape != (len(test), max_steps):
            raise ValueError(f"{type(self).__name__} gave paths of shape {paths.shape}")
        return paths

    def _fit(self, train: np.ndarray) -> None:
        pass

    def _forecast(self, history: np.ndarray, horizon: int) -> np.ndarray:
        """The forecast after `history`: the training part, then any observed true values."""
        raise NotImplementedError

    def _one_step(self, train: np.ndarray, test: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def _fitted(self, train: np.ndarray, test: np.ndarray | None) -> np.ndarray:
        return np.full(len(train), np.nan)

    def _paths(self, test: np.ndarray, max_steps: int) -> np.ndarray:
        # The generic rolling origin: one forecast per origin, from the true values up to it.
        paths = np.full((len(test), max_steps), np.nan)
        for origin in range(len(test)):
            steps = min(max_steps, len(test) - origin)
            paths[origin, :steps] = self.forecast(steps, observed=test[:origin])
        return paths
