"""Prediction intervals from out-of-sample errors (split conformal, per step ahead), and their coverage.

The estimator, as StatsForecast's `ConformalIntervals` and Darts' `ConformalNaiveModel` do it: for each step ahead
h, the absolute errors of forecasts made h steps ahead on data the model was not fitted on — every origin inside
the test part of each calibrating backtest window (the rolling rows of its table), and the window's own recursive
forecast beyond the rolling rows — are the scores s₁ … sₙ. The interval at level α is the forecast ± q, where q is
the ⌈(n + 1)·α⌉-th smallest score (the finite-sample "higher" quantile, which covers a new error with probability
at least α when the errors are exchangeable). With fewer than α/(1 − α) scores (4 at 80 %, 19 at 95 %) no finite q
exists. Such a step pools its scores with those of the steps just before it, at most `POOLED_STEPS` back, until
there are enough (the last step of a test part has one score per window; the one before it two): errors grow with
the step, so a pooled band is a little narrow there, and the page says which steps pooled. A step that still has
too few has no interval, and the page says so.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from forecast.evaluation.backtest import Forecasts

__all__ = ["POOLED_STEPS", "conformal_widths", "coverage", "fewest_errors", "step_errors"]

# How many earlier steps a step short of scores may borrow from. One or two neighbours differ little in error; going
# further back would make the band of a far step the band of a near one.
POOLED_STEPS = 2


def fewest_errors(level: int) -> int:
    """How many scores a step needs for a finite conformal interval at `level` %."""
    if not 0 < level < 100:
        raise ValueError(f"level must be between 0 and 100 %, got {level}")
    alpha = level / 100
    return math.ceil(alpha / (1 - alpha) - 1e-9)


def step_errors(forecasts: Forecasts, actual: np.ndarray, model: str, steps: int) -> list[np.ndarray]:
    """Absolute out-of-sample errors of one window's forecasts by steps ahead: entry h − 1 holds those h steps ahead.

    Rolling rows give every origin of the test part; the recursive forecast adds the steps the rolling rows do not
    reach. `actual` is the window's series (its targets are indexed by the table)."""
    actual = np.asarray(actual, dtype=np.float64)
    errors: list[np.ndarray] = []
    rolling, recursive = forecasts.mask("rolling"), forecasts.mask("recursive")
    reached = int(forecasts.step[rolling].max()) if rolling.any() else 0
    for step in range(1, steps + 1):
        kind = rolling if step <= reached else recursive
        rows = kind & (forecasts.step == step)
        errors.append(np.abs(forecasts.values[model][rows] - actual[forecasts.target[rows]]))
    return errors


def conformal_widths(errors: Sequence[Sequence[np.ndarray]], level: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Half-widths of the interval at `level` % for each step ahead, from the errors of the calibrating windows.

    `errors[w][h - 1]`: window w's errors h steps ahead (`step_errors`). Returns, by step, the half-widths, the number
    of the step's own scores and how many earlier steps it pooled with (0 where its own were enough); a half-width is
    NaN where even the pooled scores are too few for the level.
    """
    if not errors:
        raise ValueError("conformal intervals need at least one calibrating window")
    steps = len(errors[0])
    by_step = [np.concatenate([window[step] for window in errors]) for step in range(steps)]
    by_step = [scores[np.isfinite(scores)] for scores in by_step]
    widths, counts = np.full(steps, np.nan), np.array([len(scores) for scores in by_step], dtype=np.int64)
    pooled = np.zeros(steps, dtype=np.int64)
    needed = fewest_errors(level)
    for step in range(steps):
        borrowed = 0
        while counts[step - borrowed : step + 1].sum() < needed and borrowed < min(POOLED_STEPS, step):
            borrowed += 1
        scores = np.sort(np.concatenate(by_step[step - borrowed : step + 1]))
        rank = math.ceil((len(scores) + 1) * level / 100)
        if 1 <= rank <= len(scores):
            widths[step], pooled[step] = scores[rank - 1], borrowed
    return widths, counts, pooled


def coverage(actual: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> float | None:
    """The share of the values inside their interval, over the steps that have one (None if none has)."""
    actual, lower, upper = (np.asarray(values, dtype=np.float64) for values in (actual, lower, upper))
    defined = np.isfinite(lower) & np.isfinite(upper) & np.isfinite(actual)
    if not defined.any():
        return None
    inside = (actual[defined] >= lower[defined]) & (actual[defined] <= upper[defined])
    return float(np.mean(inside))
