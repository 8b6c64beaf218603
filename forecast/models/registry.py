"""Which forecasters a run compares: the LSTM's baselines for a config, by name, in the order they are shown.

A new baseline is a `Forecaster` subclass in its own module of this package, added here.
"""

from __future__ import annotations

from forecast.config import Config
from forecast.data import chain_of, sources
from forecast.models.base import Forecaster
from forecast.models.classical import AutoARIMA, AutoETS
from forecast.models.linear import LinearAR
from forecast.models.naive import Naive, SeasonalNaive

__all__ = [
    "EXTRA_MODEL_NAMES",
    "MAX_CLASSICAL_POINTS",
    "MAX_CLASSICAL_SEASON",
    "MODEL_NAMES",
    "baselines_for",
    "classical_for",
]

MODEL_NAMES = ("lstm", "naive", "linear_ar")  # in every result
# Baselines for real series, in a result when they apply: seasonal naive with a season length of 2 or more;
# AutoARIMA and AutoETS for bundled datasets and uploaded files.
EXTRA_MODEL_NAMES = ("seasonal_naive", "arima", "ets")
# AutoARIMA and AutoETS are fitted for real series (a bundled dataset or an uploaded file) whose training part
# holds at most this many values; a season longer than MAX_CLASSICAL_SEASON is left out of them (a seasonal
# state-space model with hundreds of seasonal states takes minutes to fit).
MAX_CLASSICAL_POINTS = 2000
MAX_CLASSICAL_SEASON = 52


def classical_for(config: Config, n_train_points: int) -> dict[str, Forecaster]:
    """The baselines beyond naive and linear AR that apply to a config, unfitted.

    Seasonal naive when the config has a season; AutoARIMA and AutoETS for a bundled dataset or an uploaded
    file (not for a function of x, where a linear AR is exact or close) with a training part of at most
    MAX_CLASSICAL_POINTS values.
    """
    chosen: dict[str, Forecaster] = {}
    if config.season_length >= 2:
        chosen["seasonal_naive"] = SeasonalNaive(config.season_length)
    if sources.get(config.source).classical_baselines and n_train_points <= MAX_CLASSICAL_POINTS:
        season = config.season_length if config.season_length <= MAX_CLASSICAL_SEASON else 0
        chosen["arima"] = AutoARIMA(season)
        chosen["ets"] = AutoETS(season)
    return chosen


def baselines_for(config: Config, n_train_points: int) -> dict[str, Forecaster]:
    """Every baseline of a config's run, unfitted: naive, linear AR on the LSTM's windows, then `classical_for`."""
    return {
        "naive": Naive(),
        "linear_ar": LinearAR(config.lookback, chain_of(config)),
        **classical_for(config, n_train_points),
    }
