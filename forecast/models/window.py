"""Forecasters that predict from the `lookback` values before a target: the LSTM and the linear AR.

They see the series through a `Transform` fitted on their training part (log, differencing): windows are cut
from the transformed series, and every prediction is inverted to the series' units by the transform, one-step
on the true previous values, recursive on the forecast's own.

Two multi-step strategies share this machinery. Recursive (a head of 1): the model predicts the next value and is
fed its own predictions for the ones after it. Direct (a head of `steps`): the model predicts the next `steps`
values of each window at once, as NeuralForecast's and Darts' neural models do, so a forecast that fits in the
head never sees the model's own errors.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from forecast.data import make_windows
from forecast.data.transform import Transform, TransformChain
from forecast.models.base import Forecaster

__all__ = ["WindowForecaster", "direct_windows", "recursive", "roll_forward"]

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


def _lengths(windows: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """`lengths` checked against `windows`: one count of steps of at least 1 per window."""
    lengths = np.asarray(lengths, dtype=np.int64).reshape(-1)
    if windows.ndim != 2 or len(lengths) != len(windows) or len(lengths) == 0 or lengths.min() < 1:
        raise ValueError(
            f"need windows of shape (n, lookback) with n ≥ 1 and a step count ≥ 1 for each, got windows of shape "
            f"{windows.shape} and {len(lengths)} counts"
        )
    return lengths


def roll_forward(predict: Predict, windows: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """The recursive forecasts from many windows at once: (n, lookback) → (n, max(lengths)), NaN past row i's
    `lengths[i]` steps; one batch per step over the windows that still need a value, each fed its own predictions.
    """
    windows = np.asarray(windows, dtype=np.float64)
    lengths = _lengths(windows, lengths)
    # Longest first (a stable order, so rows already longest first keep theirs): the windows that still need a
    # value are then always the first `active` rows, and each step is one batch of them.
    order = np.argsort(-lengths, kind="stable")
    state = windows[order]  # a copy
    changes = np.full((len(windows), int(lengths.max())), np.nan)
    for step in range(changes.shape[1]):
        active = int(np.count_nonzero(lengths > step))
        predictions = np.asarray(predict(state[:active]), dtype=np.float64).reshape(active)
        changes[:active, step] = predictions
        state = np.concatenate([state[:active, 1:], predictions[:, np.newaxis]], axis=1)
    unsorted = np.empty_like(changes)
    unsorted[order] = changes
    return unsorted


def direct_windows(values: np.ndarray, lookback: int, steps: int) -> tuple[np.ndarray, np.ndarray]:
    """Windows `X[i] = values[i:i+lookback]` and the `steps` values after each, `Y[i] = values[i+lookback:…+steps]`:
    only windows with all their targets inside `values`, so (len(values) − lookback − steps + 1) of each."""
    values = np.asarray(values, dtype=np.float64)
    if lookback < 1 or steps < 1 or len(values) < lookback + steps:
        raise ValueError(
            f"a window of {lookback} values and a head of {steps} steps need at least {lookback + steps} values, "
            f"got {len(values)}"
        )
    windows = np.lib.stride_tricks.sliding_window_view(values, lookback)[: len(values) - lookback - steps + 1]
    targets = np.lib.stride_tricks.sliding_window_view(values[lookback:], steps)
    return windows.copy(), targets.copy()


class WindowForecaster(Forecaster):
    """The shared machinery of window models; subclasses fit on windows and predict windows.

    Subclasses implement `_fit_windows(windows, targets)` and `predict_windows(windows)`, both on transformed
    values: (n, lookback) windows, (n,) targets for a head of 1, (n, head) for the direct strategy's head; those
    with a longer head also implement `predict_head(windows)`. `predict_paths` turns either into forecasts.
    """

    def __init__(
        self, lookback: int, chain: TransformChain | None = None, scaling: str = "none", head: int = 1
    ) -> None:
        super().__init__()
        if lookback < 1:
            raise ValueError(f"lookback must be at least 1, got {lookback}")
        if head < 1:
            raise ValueError(f"head must be at least 1 (the steps one prediction covers), got {head}")
        self.lookback = int(lookback)
        self.head = int(head)  # the steps one prediction covers: 1 is the recursive strategy, more the direct one
        self.chain = chain if chain is not None else TransformChain()
        self.scaling = scaling
        self.transform = Transform(self.chain)

    @property
    def min_train_length(self) -> int:
        # A longer head needs more (see `_training_windows`), checked when fitting, with a message naming the fix.
        return self.chain.lost + self.lookback + 1

    @property
    def first_target(self) -> int:
        """Index of the first value a window model can predict: the lookback after the values differencing uses."""
        return self.chain.lost + self.lookback

    def _fit(self, train: np.ndarray) -> None:
        self.transform = Transform.fit(train, self.chain, self.scaling)
        self._fit_windows(*self._training_windows(self.transform.apply(train)))

    def _training_windows(self, transformed: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The windows fitted on, and their targets: the next value, or the next `head` values (direct)."""
        if self.head == 1:
            return make_windows(transformed, self.lookback)
        count = len(transformed) - self.lookback - self.head + 1
        if count < 2:
            longest = len(transformed) - self.lookback - 1
            raise ValueError(
                f"the direct strategy's head of {self.head} steps leaves {max(count, 0)} training windows (it needs "
                f"at least 2) in {len(transformed)} transformed training values with lookback {self.lookback}: "
                f"forecast at most {longest} steps at once (a shorter test part or horizon), shorten the lookback, "
                "or use the recursive strategy"
            )
        return direct_windows(transformed, self.lookback, self.head)

    def _fit_windows(self, windows: np.ndarray, targets: np.ndarray) -> None:
        raise NotImplementedError

    def predict_windows(self, windows: np.ndarray) -> np.ndarray:
        """The next transformed value after each window: (n, lookback) → (n,)."""
        raise NotImplementedError

    def predict_head(self, windows: np.ndarray) -> np.ndarray:
        """The next `head` transformed values after each window, in one prediction: (n, lookback) → (n, head)."""
        return np.asarray(self.predict_windows(windows), dtype=np.float64).reshape(len(windows), 1)

    def predict_paths(self, windows: np.ndarray, lengths: np.ndarray) -> np.ndarray:
        """Transformed forecasts from each window, `lengths[i]` steps from row i: (n, max(lengths)), NaN past each.

        A head of 1 rolls forward, fed its own predictions step by step. A longer head (direct) gives its outputs
        from the window; a forecast longer than the head goes on from a window that ends with those outputs, in
        chunks of `head` steps, so past the head it does feed on its own forecasts.
        """
        if self.head == 1:
            return roll_forward(self.predict_windows, windows, lengths)
        windows = np.asarray(windows, dtype=np.float64)
        lengths = _lengths(windows, lengths)
        chunks = [self.predict_head(windows)]  # every window needs the first chunk
        state = windows
        while len(chunks) * self.head < lengths.max():
            state = np.concatenate([state, chunks[-1]], axis=1)[:, -self.lookback :]
            chunks.append(self.predict_head(state))
        changes = np.concatenate(chunks, axis=1)[:, : lengths.max()]
        changes[np.arange(changes.shape[1]) >= lengths[:, np.newaxis]] = np.nan
        return changes

    def _forecast(self, history: np.ndarray, horizon: int) -> np.ndarray:
        window = self.transform.apply(history)[-self.lookback :]
        if self.head == 1:
            return self.transform.invert_recursive(history, recursive(self.predict_windows, window, horizon))
        changes = self.predict_paths(window[np.newaxis, :], np.array([horizon]))[0]
        return self.transform.invert_recursive(history, changes)

    def _every_window(self, train: np.ndarray, test: np.ndarray, last: int | None = None) -> np.ndarray:
        """One-step predictions of every target of train + test, from the first one on, computed in one batch;
        with `last`, of the last `last` targets only (their windows alone are predicted)."""
        series = np.concatenate([train, test])
        windows, _ = make_windows(self.transform.apply(series), self.lookback)
        start = self.first_target
        if last is not None:
            windows, start = windows[-last:], len(series) - last
        predicted = np.asarray(self.predict_windows(windows), dtype=np.float64).reshape(len(windows))
        return self.transform.invert_one_step(series, predicted, start)

    def _one_step(self, train: np.ndarray, test: np.ndarray) -> np.ndarray:
        return self._every_window(train, test)[-len(test) :]

    def _fitted(self, train: np.ndarray, test: np.ndarray | None) -> np.ndarray:
        every = self._every_window(train, test if test is not None else train[:0])
        fitted = np.full(len(train), np.nan)
        fitted[self.first_target :] = every[: len(train) - self.first_target]
        return fitted

    def _paths(self, test: np.ndarray, max_steps: int) -> np.ndarray:
        # Every origin at once (`predict_paths`), each from the window before it, then inverted onto the true
        # values up to its origin.
        series = np.concatenate([self.train, test])
        windows, _ = make_windows(self.transform.apply(series), self.lookback)
        n_origins = len(test)
        lengths = np.minimum(max_steps, n_origins - np.arange(n_origins))  # origin o has n_origins − o targets left
        changes = self.predict_paths(windows[-n_origins:], lengths)
        paths = np.full((n_origins, max_steps), np.nan)
        origin = len(self.train)
        for offset in range(n_origins):
            steps = lengths[offset]
            paths[offset, :steps] = self.transform.invert_recursive(series[: origin + offset], changes[offset, :steps])
        return paths
