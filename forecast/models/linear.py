"""The linear autoregression: least squares with intercept on exactly the windows the LSTM sees.

On a uniform grid x*sin(x) obeys an order-4 linear recurrence, so with 5-value windows this baseline is exact.
"""

from __future__ import annotations

import numpy as np

from forecast.data.transform import TransformChain
from forecast.models.window import WindowForecaster

__all__ = ["LinearAR"]


class LinearAR(WindowForecaster):
    """Least squares with intercept: `lookback` transformed values → the next one (the LSTM's windows)."""

    name = "linear_ar"

    def __init__(self, lookback: int, chain: TransformChain | None = None) -> None:
        # No scaling: least squares does not need it, and the coefficients stay in the series' (transformed) units.
        super().__init__(lookback, chain, scaling="none")
        self.coefficients = np.zeros(self.lookback)
        self.intercept = 0.0

    def _fit_windows(self, windows: np.ndarray, targets: np.ndarray) -> None:
        design = np.column_stack([windows, np.ones(len(windows))])  # (n, lookback + 1)
        # lstsq picks the minimum-norm solution when there are fewer windows than coefficients.
        solution, *_ = np.linalg.lstsq(design, targets, rcond=None)
        self.coefficients = solution[:-1]  # (lookback,)
        self.intercept = float(solution[-1])

    def predict_windows(self, windows: np.ndarray) -> np.ndarray:
        return np.asarray(windows, dtype=np.float64) @ self.coefficients + self.intercept
