"""Conformal intervals per step ahead and their coverage (forecast/evaluation/intervals.py)."""

import numpy as np
import pytest

from forecast.evaluation import backtest, intervals
from forecast.models.naive import Naive


def test_the_finite_sample_quantile_is_the_ceil_n_plus_one_alpha_th_score():
    scores = [np.arange(1.0, 10.0)]  # nine errors: 1 … 9 at one step
    widths, counts = intervals.conformal_widths([scores], 80)
    # ⌈(9 + 1)·0.8⌉ = 8: the 8th smallest score.
    assert counts.tolist() == [9] and widths.tolist() == [8.0]
    widths, _ = intervals.conformal_widths([scores], 95)  # ⌈10·0.95⌉ = 10 > 9 scores: no finite width
    assert np.isnan(widths[0])
    assert intervals.fewest_errors(80) == 4 and intervals.fewest_errors(95) == 19 and intervals.fewest_errors(50) == 1


def test_errors_of_every_calibrating_window_are_pooled_by_step():
    first = [np.array([1.0, 2.0]), np.array([5.0])]
    second = [np.array([3.0, 4.0]), np.array([6.0])]
    widths, counts = intervals.conformal_widths([first, second], 50)
    assert counts.tolist() == [4, 2]
    assert widths.tolist() == [3.0, 6.0]  # ⌈5·0.5⌉ = 3rd of 1…4; ⌈3·0.5⌉ = 2nd of 5, 6


def test_step_errors_come_from_the_rolling_rows_then_the_recursive_forecast():
    values = 10 + np.sin(np.arange(100) * 0.5) + np.random.default_rng(0).normal(0, 0.2, 100)
    table = backtest.evaluate({"naive": Naive()}, values, 70, first_target=1)
    errors = intervals.step_errors(table, values, "naive", 70)
    # The rolling rows reach 60 steps: 70 − h + 1 origins each; beyond them, the one recursive forecast.
    assert [len(errors[step - 1]) for step in (1, 60, 61, 70)] == [70, 11, 1, 1]
    origin = 30
    np.testing.assert_allclose(errors[0], np.abs(values[origin - 1 : -1] - values[origin:]))
    np.testing.assert_allclose(errors[69], [abs(values[origin - 1] - values[-1])])


def test_coverage_counts_the_values_inside_where_a_band_exists():
    actual = np.array([1.0, 2.0, 3.0, 4.0])
    lower = np.array([0.0, 2.5, np.nan, 3.0])
    upper = np.array([2.0, 3.0, np.nan, 5.0])
    assert intervals.coverage(actual, lower, upper) == pytest.approx(2 / 3)
    assert intervals.coverage(actual, np.full(4, np.nan), np.full(4, np.nan)) is None
