"""What a series needs before a model sees it: tests for a season, for a trend, and for a spread that grows.

The tests practitioners and AutoARIMA use, on statsmodels (imported when a test runs: it costs most of a second):
STL's seasonal strength (Wang, Smith & Hyndman 2006) for seasonal differencing, repeated KPSS tests for first
differencing, and the slope of the spread against the level for a log transform.
"""

from __future__ import annotations

import contextlib
import math
import warnings
from collections.abc import Iterator

import numpy as np

__all__ = [
    "KPSS_ALPHA",
    "SEASONAL_STRENGTH_THRESHOLD",
    "differences_needed",
    "seasonal_strength",
    "spread_slope",
]

SEASONAL_STRENGTH_THRESHOLD = 0.64  # seasonal difference when STL's seasonal strength is above this (as auto.arima)
KPSS_ALPHA = 0.05


@contextlib.contextmanager
def _quietly() -> Iterator[None]:
    # KPSS warns when its statistic lies outside the table it interpolates (the p-value is then a bound); the
    # decision at 5 % is the same either way, so the warning says nothing actionable. statsmodels installs
    # "always" filters for its warnings when first imported, so the imports come before the "ignore".
    import statsmodels.tsa.seasonal
    import statsmodels.tsa.stattools  # noqa: F401

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


def seasonal_strength(values: np.ndarray, season_length: int) -> float:
    """STL's seasonal strength, 0 (no season) to 1: 1 − Var(remainder) / Var(remainder + seasonal)."""
    from statsmodels.tsa.seasonal import STL

    with _quietly():
        decomposition = STL(np.asarray(values, dtype=np.float64), period=season_length).fit()
    remainder, seasonal = np.asarray(decomposition.resid), np.asarray(decomposition.seasonal)
    spread = np.var(remainder + seasonal)
    return 0.0 if spread == 0 else max(0.0, 1.0 - float(np.var(remainder)) / float(spread))


def differences_needed(values: np.ndarray, max_difference: int = 2) -> int:
    """KPSS tests at 5 %: difference while the series does not look level-stationary (as auto.arima does)."""
    from statsmodels.tsa.stattools import kpss

    values = np.asarray(values, dtype=np.float64)
    difference = 0
    while difference < max_difference and len(values) > 3 and np.ptp(values) > 0:
        lags = max(1, int(3 * math.sqrt(len(values)) / 13))
        with _quietly():
            _, p_value, *_ = kpss(values, regression="c", nlags=lags)
        if p_value >= KPSS_ALPHA:
            break
        values = np.diff(values)
        difference += 1
    return difference


def spread_slope(values: np.ndarray, segment: int) -> float:
    """How the spread grows with the level: the slope of log(std) on log(mean) over consecutive segments.

    Near 1 the spread is proportional to the level (a multiplicative series: the log makes it steady); near 0 it
    does not grow (additive). A segment's spread is the std of its values about their own mean (Guerrero's
    range–mean idea, with a season long segment holding one whole cycle). NaN when there are fewer than five
    segments, a value is not above 0, or the level hardly changes (its highest below 1.2 times its lowest).
    """
    values = np.asarray(values, dtype=np.float64)
    count = len(values) // segment  # whole segments, counted back from the end of the series
    if count < 5 or segment < 2 or not np.all(values > 0):
        return math.nan
    blocks = values[len(values) - count * segment :].reshape(count, segment)
    levels, spreads = blocks.mean(axis=1), blocks.std(axis=1)
    if np.any(spreads <= 0) or levels.max() < 1.2 * levels.min():
        return math.nan
    return float(np.polyfit(np.log(levels), np.log(spreads), 1)[0])
