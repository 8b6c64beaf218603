"""The tests the recipe and AutoARIMA choose their transforms by (forecast/data/stationarity.py)."""

import math

import numpy as np

from forecast.data import datasets, stationarity

RNG = np.random.default_rng(7)
STEPS = np.arange(240)
SEASON = np.sin(STEPS * 2 * np.pi / 12)


def test_the_spread_grows_with_the_level_only_in_a_multiplicative_series():
    multiplicative = (100 + 2 * STEPS) * (1 + 0.2 * SEASON) * (1 + RNG.normal(0, 0.02, 240))
    additive = 100 + 2 * STEPS + 20 * SEASON + RNG.normal(0, 2, 240)
    assert stationarity.spread_slope(multiplicative, 12) > 0.8
    assert abs(stationarity.spread_slope(additive, 12)) < 0.3
    assert stationarity.spread_slope(datasets.load("airline_passengers").ys, 12) > 1.0  # the textbook case
    # A level that hardly moves, values not above 0, or too few segments: no answer.
    assert math.isnan(stationarity.spread_slope(datasets.load("lake_huron").ys, 12))
    assert math.isnan(stationarity.spread_slope(additive - 500, 12))
    assert math.isnan(stationarity.spread_slope(multiplicative[:48], 12))


def test_a_strong_season_and_a_trend_are_found_and_white_noise_has_neither():
    seasonal = 10 * SEASON + RNG.normal(0, 1, 240)
    assert stationarity.seasonal_strength(seasonal, 12) > stationarity.SEASONAL_STRENGTH_THRESHOLD
    noise = RNG.normal(0, 1, 240)
    assert stationarity.seasonal_strength(noise, 12) < stationarity.SEASONAL_STRENGTH_THRESHOLD
    assert stationarity.differences_needed(noise) == 0
    assert stationarity.differences_needed(np.cumsum(RNG.normal(0.5, 1, 240))) == 1  # a random walk with drift
    assert stationarity.differences_needed(np.cumsum(np.cumsum(RNG.normal(0, 1, 240))), max_difference=1) == 1
