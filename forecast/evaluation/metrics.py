"""Forecast accuracy metrics in the series' own units."""

from __future__ import annotations

import numpy as np

__all__ = ["METRIC_NAMES", "evaluate", "mae", "mase", "mase_scale", "r2", "rmse"]

# MAPE and sMAPE are left out on purpose: they explode wherever the series crosses zero, as x*sin(x) does.
# MASE (Hyndman & Koehler 2006) scales the MAE by the in-sample error of the (seasonal) naive forecast, so that it
# compares across series and stays finite where the series crosses zero.
METRIC_NAMES = ("rmse", "mae", "r2", "mase")


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


def mase_scale(train: np.ndarray, season_length: int = 0) -> float:
    """The denominator of MASE: the in-sample MAE of the seasonal naive forecast at `season_length` on the
    training part (of the naive forecast without a season, or when the training part is not two seasons long)."""
    train = np.asarray(train, dtype=np.float64)
    lag = season_length if 2 <= season_length < len(train) // 2 else 1
    if len(train) <= lag:
        raise ValueError(f"MASE needs more than {lag} training values, got {len(train)}")
    return float(np.mean(np.abs(train[lag:] - train[:-lag])))


def mase(actual: np.ndarray, predicted: np.ndarray, scale: float) -> float:
    """Mean absolute scaled error: the MAE divided by `scale` (`mase_scale`); below 1 beats the in-sample naive.

    A scale of 0 (a constant training part) makes any error infinite and a perfect forecast 0."""
    error = mae(actual, predicted)
    if scale > 0:
        return error / scale
    return 0.0 if error == 0.0 else float("inf")


def evaluate(actual: np.ndarray, predicted: np.ndarray, scale: float | None = None) -> dict[str, float]:
    """All metrics at once: {"rmse": …, "mae": …, "r2": …, "mase": …} (MASE only with a `scale`)."""
    scores = {"rmse": rmse(actual, predicted), "mae": mae(actual, predicted), "r2": r2(actual, predicted)}
    return scores | ({"mase": mase(actual, predicted, scale)} if scale is not None else {})
