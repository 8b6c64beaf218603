"""One-step and recursive forecasts, and the baselines every LSTM is compared with (naive, linear AR)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from forecast.data import transform

__all__ = [
    "LinearAutoregression",
    "Predictor",
    "horizon_rmse",
    "horizon_rmse_transformed",
    "naive_predictor",
    "one_step",
    "recursive",
]

# A predictor maps windows (n, lookback) to the next value of each (n,), in the series' own units.
Predictor = Callable[[np.ndarray], np.ndarray]


def one_step(predict: Predictor, windows: np.ndarray) -> np.ndarray:
    """Each target predicted from the true previous values: what the original post shows."""
    windows = np.asarray(windows, dtype=np.float64)
    if windows.ndim != 2 or len(windows) == 0:
        raise ValueError(f"windows must have shape (n, lookback) with n ≥ 1, got {windows.shape}")
    return np.asarray(predict(windows), dtype=np.float64).reshape(len(windows))


def recursive(predict: Predictor, first_window: np.ndarray, horizon: int) -> np.ndarray:
    """Roll forward `horizon` steps from one window of true values, feeding each prediction back in.

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


def horizon_rmse(predict: Predictor, windows: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """RMSE of recursive forecasts by steps ahead, averaged over every forecast origin in the test part.

    From each test window (true values only) the model rolls forward, feeding its predictions back; the error h
    steps ahead is measured on every origin that has a target h steps later. Horizons go up to half the test
    length, so that each is averaged over at least half the origins. Returns shape (max_horizon,); entry h - 1
    is the RMSE h steps ahead, and entry 0 equals the one-step RMSE.
    """
    state = np.asarray(windows, dtype=np.float64).copy()  # (n, lookback)
    targets = np.asarray(targets, dtype=np.float64)
    n_origins = len(targets)
    if state.ndim != 2 or len(state) != n_origins or n_origins == 0:
        raise ValueError(f"need windows (n, lookback) and targets (n,), got {state.shape} and {targets.shape}")
    max_horizon = max(1, -(-n_origins // 2))
    errors = np.empty(max_horizon, dtype=np.float64)
    for step in range(max_horizon):
        active = n_origins - step  # origins 0 … active-1 have a target `step` values later
        predictions = np.asarray(predict(state[:active]), dtype=np.float64).reshape(active)
        errors[step] = np.sqrt(np.mean((predictions - targets[step : step + active]) ** 2))
        state = np.concatenate([state[:active, 1:], predictions[:, np.newaxis]], axis=1)
    return errors


def horizon_rmse_transformed(
    predict: Predictor, windows: np.ndarray, values: np.ndarray, first_origin: int, chain: transform.TransformChain
) -> np.ndarray:
    """`horizon_rmse` in original units for a model that works on transformed windows (log, differences).

    `windows` (n, lookback) are the transformed test windows; the one at origin o precedes values[first_origin + o]
    (`values` is the whole series in original units). From each origin the model rolls forward on its own
    transformed predictions, which are inverted onto the true values up to that origin, accumulating their own.
    """
    state = np.asarray(windows, dtype=np.float64).copy()  # (n, lookback)
    values = np.asarray(values, dtype=np.float64)
    n_origins = len(state)
    if state.ndim != 2 or n_origins == 0 or first_origin + n_origins > len(values):
        raise ValueError(f"need test windows (n, lookback) inside the series, got {state.shape} at {first_origin}")
    max_horizon = max(1, -(-n_origins // 2))
    paths = np.full((n_origins, max_horizon), np.nan)  # transformed forecasts by origin and steps ahead
    for step in range(max_horizon):
        active = n_origins - step
        predictions = np.asarray(predict(state[:active]), dtype=np.float64).reshape(active)
        paths[:active, step] = predictions
        state = np.concatenate([state[:active, 1:], predictions[:, np.newaxis]], axis=1)
    squared: list[list[float]] = [[] for _ in range(max_horizon)]
    for origin in range(n_origins):
        steps = min(max_horizon, n_origins - origin)
        start = first_origin + origin
        forecast = transform.invert_recursive(values[:start], paths[origin, :steps], chain)
        for step in range(steps):
            squared[step].append(float(forecast[step] - values[start + step]) ** 2)
    return np.sqrt([np.mean(errors) for errors in squared])


def naive_predictor(windows: np.ndarray) -> np.ndarray:
    """The naive baseline: the next value is the last one seen."""
    return np.asarray(windows, dtype=np.float64)[:, -1]


class LinearAutoregression:
    """Least-squares linear autoregression with intercept, fitted on the training windows.

    On a uniform grid x*sin(x) obeys an order-4 linear recurrence, so with 5-value windows this baseline is exact.
    """

    def __init__(self, windows: np.ndarray, targets: np.ndarray) -> None:
        windows = np.asarray(windows, dtype=np.float64)
        targets = np.asarray(targets, dtype=np.float64)
        if windows.ndim != 2 or len(windows) != len(targets) or len(windows) == 0:
            raise ValueError(
                f"need matching windows (n, lookback) and targets (n,), got {windows.shape}, {targets.shape}"
            )
        design = np.column_stack([windows, np.ones(len(windows))])  # (n, lookback + 1)
        # lstsq picks the minimum-norm solution when there are fewer windows than coefficients.
        solution, *_ = np.linalg.lstsq(design, targets, rcond=None)
        self.coefficients = solution[:-1]  # (lookback,)
        self.intercept = float(solution[-1])

    def __call__(self, windows: np.ndarray) -> np.ndarray:
        return np.asarray(windows, dtype=np.float64) @ self.coefficients + self.intercept
