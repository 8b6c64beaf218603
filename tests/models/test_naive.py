"""Naive and seasonal naive (forecast/models/naive.py)."""

import numpy as np
import pytest

from forecast.models.naive import Naive, SeasonalNaive


def test_naive_repeats_the_last_true_value():
    model = Naive().fit(np.array([1.0, 2.0, 3.0]))
    np.testing.assert_array_equal(model.forecast(3), [3.0, 3.0, 3.0])
    np.testing.assert_array_equal(model.one_step(np.array([5.0, 7.0, 4.0])), [3.0, 5.0, 7.0])
    # Its training fit is the value before each training value.
    np.testing.assert_array_equal(model.fitted(), [np.nan, 1.0, 2.0])


def test_naive_paths_start_from_the_last_true_value_before_each_origin():
    model = Naive().fit(np.array([1.0, 2.0]))
    paths = model.paths(np.array([5.0, 7.0, 4.0]), 2)
    np.testing.assert_array_equal(paths, [[2.0, 2.0], [5.0, 5.0], [7.0, np.nan]])


def test_seasonal_naive_repeats_the_last_season():
    model = SeasonalNaive(3).fit(np.array([9.0, 1.0, 2.0, 3.0]))
    np.testing.assert_array_equal(model.forecast(7), [1, 2, 3, 1, 2, 3, 1])
    # One-step looks one season back into the TRUE values, including the test part once it is a season in.
    np.testing.assert_array_equal(model.one_step(np.array([10.0, 20.0, 30.0, 40.0, 50.0])), [1, 2, 3, 10, 20])
    with pytest.raises(ValueError, match="at least 3 training values"):
        SeasonalNaive(3).fit(np.array([1.0, 2.0]))
    with pytest.raises(ValueError, match="season_length must be at least 1"):
        SeasonalNaive(0)


def test_seasonal_naive_is_exact_on_a_periodic_series():
    values = np.tile([3.0, -1.0, 4.0, 1.0, 5.0], 8)
    model = SeasonalNaive(5).fit(values[:27])
    np.testing.assert_array_equal(model.forecast(13), values[27:])
    np.testing.assert_array_equal(model.one_step(values[27:]), values[27:])
