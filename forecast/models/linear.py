"""The linear autoregression: least squares with intercept on exactly the windows the LSTM sees.

On a uniform grid x*sin(x) obeys an order-4 linear recurrence, so with 5-value windows this baseline is exact.
With `steps` > 1 it is the direct strategy's linear model: one least-squares fit per step ahead, all solved at
once (one column of coefficients per step), on the windows that have all their `steps` targets.
"""

from __future__ import annotations

import numpy as np

from forecast.data.transform import TransformChain
from forecast.models.window import WindowForecaster

__all__ = ["LinearAR"]


class LinearAR(WindowForecaster):
    """Least squares with intercept: `lookback` transformed values → the next one (the LSTM's windows), or the
    next `steps` (the direct strategy: a network-free stand-in for the LSTM's multi-step head)."""

    name = "linear_ar"

    def __init__(self, lookback: int, chain: TransformChain | None = None, steps: int = 1) -> None:
        # No scaling: least squares does not need it, and the coefficients stay in the series' (transformed) units.
        super().__init__(lookback, chain, scaling="none", head=steps)
        # (lookback,) and a float for one step, as they always were; (lookback, steps) and (steps,) for more.
        self.coefficients = np.zeros(self.lookback) if self.head == 1 else np.zeros((self.lookback, self.head))
        self.intercept: float | np.ndarray = 0.0 if self.head == 1 else np.zeros(self.head)

    def _fit_windows(self, windows: np.ndarray, targets: np.ndarray) -> None:
        design = np.column_stack([windows, np.ones(len(windows))])  # (n, lookback + 1)
        # lstsq picks the minimum-norm solution when there are fewer windows than coefficients. With (n, steps)
        # targets it solves every step's least squares in one call, one column each.
        solution, *_ = np.linalg.lstsq(design, targets, rcond=None)
        self.coefficients = solution[:-1]  # (lookback,) or (lookback, steps)
        self.intercept = float(solution[-1]) if self.head == 1 else solution[-1]

    def predict_windows(self, windows: np.ndarray) -> np.ndarray:
        if self.head == 1:
            return np.asarray(windows, dtype=np.float64) @ self.coefficients + self.intercept
        return self.predict_head(windows)[:, 0]  # the first step of the head: the one-step prediction

    def predict_head(self, windows: np.ndarray) -> np.ndarray:
        if self.head == 1:
            return super().predict_head(windows)
        return np.asarray(windows, dtype=np.float64) @ self.coefficients + self.intercept
