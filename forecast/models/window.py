"""Forecasters that predict the next value from the `lookback` values before it: the LSTM and the linear AR.

They see the series through a `Transform` fitted on their training part (log, differencing): windows are cut
from the transformed series, and every prediction is inverted to the series' units by the transform, one-step
on the true previous values, recursive on the forecast's own.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from forecast.data import make_windows
from forecast.data.transform import Transform, TransformChain
from forecast.models.base import Forecaster

__all__ = ["WindowForecaster", "recursive"]

# Maps windows of transformed values (n, lookback) to the next transformed value of each (n,).
Predict = Callable[[np.ndarray], np.ndarray]


def recursive(predict: Predict, first_window: np.ndarray, horizon: int) -> np.ndarray:
    """Roll forward `horizon` steps from one window, feeding each prediction back in (one window per call).

    This is the honest forecast: after the first step, the model only ever sees its own predictions.
    """
    window = np.asarray(first_window, dtype=np.float64).copy()
    if window.ndim != 1 or window.size == 0:
        raise ValueError(f"first_window must be one window of shape (lookback,), got {window.shape}")
    if horizon < 1:
        raise ValueError(f"horizon must be at least 1, got {horizon}")
    predictions = np.empty(horizon, dtype=np.float64)
    for step in range(horizon):
        predictions[step] = float(np.asarray(predict(window[np.newaxis, :])).reshape(-1)[0])
        window = np.roll(window, -1)
        window[-1] = predictions[step]
    return predictions


class WindowForecaster(Forecaster):
    """The shared machinery of window models; subclasses fit on windows and predict windows.

    Subclasses implement `_fit_windows(windows, targets)` and `predict_windows(windows)`, both on transformed
    values: (n, lookback) windows, (n,) targets.
    """

    def __init__(self, lookback: int, chain: TransformChain | None = None, scaling: str = "none") -> None:
        super().__init__()
        if lookback < 1:
            raise ValueError(f"lookback must be at least 1, got {lookback}")
        self.lookback = int(lookback)
        self.chain = chain if chain is not None else TransformChain()
        self.scaling = scaling
        self.transform = Transform(self.chain)

    @property
    def min_train_length(self) -> int:
        return self.chain.lost + self.lookback + 1

    @property
    def first_target(self) -> int:
        """Index of the first value a window model can predict: the lookback after the values differencing uses."""
        return self.chain.lost + self.lookback

    def _fit(self, train: np.ndarray) -> None:
        self.transform = Transform.fit(train, self.chain, self.scaling)
        windows, targets = make_windows(self.transform.apply(train), self.lookback)
        self._fit_windows(windows, targets)

    def _fit_windows(self, windows: np.ndarray, targets: np.ndarray) -> None:
        raise NotImplementedError

    def predict_windows(self, windows: np.ndarray) -> np.ndarray:
        """The next transformed value after each window: (n, lookback) → (n,)."""
        raise NotImplementedError

    def _forecast(self, history: np.ndarray, horizon: int) -> np.ndarray:
        window = self.transform.apply(history)[-self.lookback :]
        return self.transform.invert_recursive(history, recursive(self.predict_windows, window, horizon))

    def _every_window(self, train: np.ndarray, test: np.ndarray) -> np.ndarray:
        """One-step predictions of every target of train + test, from the first one on, computed in one batch."""
        series = np.concatenate([train, test])
        windows, _ = make_windows(self.transform.apply(series), self.lookback)
        predicted = np.asarray(self.predict_windows(windows), dtype=np.float64).reshape(len(windows))
        return self.transform.invert_one_step(series, predicted, self.first_target)

    def _one_step(self, train: np.ndarray, test: np.ndarray) -> np.ndarray:
        return self._every_window(train, test)[-len(test) :]

    def _fitted(self, train: np.ndarray, test: np.ndarray | None) -> np.ndarray:
        every = self._every_window(train, test if test is not None else train[:0])
        fitted = np.full(len(train), np.nan)
        fitted[self.first_target :] = every[: len(train) - self.first_target]
        return fitted

    def _paths(self, test: np.ndarray, max_steps: int) -> np.ndarray:
        # Every origin rolls forward at once: one batch per step over the origins that still have a target,
        # each fed its own transformed predictions, then inverted onto the true values up to its origin.
        series = np.concatenate([self.train, test])
        windows, _ = make_windows(self.transform.apply(series), self.lookback)
        n_origins = len(test)
        state = windows[-n_origins:].copy()  # (n_origins, lookback): the window before each test value
        changes = np.full((n_origins, max_steps), np.nan)
        for step in range(min(max_steps, n_origins)):
            active = n_origins - step  # origins 0 … active-1 have a value `step` steps later
            predictions = np.asarray(self.predict_windows(state[:active]), dtype=np.float64).reshape(active)
            changes[:active, step] = predictions
            state = np.concatenate([state[:active, 1:], predictions[:, np.newaxis]], axis=1)
        paths = np.full((n_origins, max_steps), np.nan)
        origin = len(self.train)
        for offset in range(n_origins):
            steps = min(max_steps, n_origins - offset)
            paths[offset, :steps] = self.transform.invert_recursive(series[: origin + offset], changes[offset, :steps])
        return paths
