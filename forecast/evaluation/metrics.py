"""Forecast accuracy metrics in the series' own units."""

from __future__ import annotations

import numpy as np

__all__ = ["METRIC_NAMES", "evaluate", "mae", "r2", "rmse"]

# MAPE and sMAPE are left out on purpose: they explode wherever the series crosses zero, as x*sin(x) does.
METRIC_NAMES = ("rmse", "mae", "r2")


def _pair(actual: np.ndarray, predicted: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    actual = np.asarray(actual, dtype=np.float64)
    predicted = np.asarray(predicted, dtype=np.float64)
    if actual.shape != predicted.shape:
        raise ValueError(f"actual has shape {actual.shape} but predicted has {predicted.shape}")
    if actual.size == 0:
        raise ValueError("no values to compare")
    return actual, predicted


def rmse(actual: np.ndarray, predicted: np.ndarray) -> float:
    """Root mean squared error."""
    actual, predicted = _pair(actual, predicted)
    return float(np.sqrt(np.mean((actual - predicted) ** 2)))


def mae(actual: np.ndarray, predicted: np.ndarray) -> float:
    """Mean absolute error."""
    actual, predicted = _pair(actual, predicted)
    return float(np.mean(np.abs(actual - predicted)))


def r2(actual: np.ndarray, predicted: np.ndarray) -> float:
    """Coefficient of determination: 1 is perfect, 0 is as good as predicting the mean, below 0 is worse.

    A constant `actual` has no variance to explain: r2 is then 1 for a perfect prediction and −inf otherwise.
    """
    actual, predicted = _pair(actual, predicted)
    residual = float(np.sum((actual - predicted) ** 2))
    total = float(np.sum((actual - actual.mean()) ** 2))
    if total == 0.0:
        return 1.0 if residual == 0.0 else float("-inf")
    return 1.0 - residual / total


def evaluate(actual: np.ndarray, predicted: np.ndarray) -> dict[str, float]:
    """All metrics at once: {"rmse": …, "mae": …, "r2": …}."""
    return {"rmse": rmse(actual, predicted), "mae": mae(actual, predicted), "r2": r2(actual, predicted)}
