"""Conformal intervals per step ahead and their coverage (forecast/evaluation/intervals.py)."""

import numpy as np
import pytest

from forecast.evaluation import backtest, intervals
from forecast.models.naive import Naive


def test_the_finite_sample_quantile_is_the_ceil_n_plus_one_alpha_th_score():
    scores = [np.arange(1.0, 10.0)]  # nine errors: 1 … 9 at one step
    widths, counts, pooled = intervals.conformal_widths([scores], 80)
    # ⌈(9 + 1)·0.8⌉ = 8: the 8th smallest score.
    assert counts.tolist() == [9] and widths.tolist() == [8.0] and pooled.tolist() == [0]
    widths, _, _ = intervals.conformal_widths([scores], 95)  # ⌈10·0.95⌉ = 10 > 9 scores: no finite width
    assert np.isnan(widths[0])
    assert intervals.fewest_errors(80) == 4 and intervals.fewest_errors(95) == 19 and intervals.fewest_errors(50) == 1


def test_errors_of_every_calibrating_window_are_pooled_by_step():
    first = [np.array([1.0, 2.0]), np.array([5.0])]
    second = [np.array([3.0, 4.0]), np.array([6.0])]
    widths, counts, pooled = intervals.conformal_widths([first, second], 50)
    assert counts.tolist() == [4, 2] and pooled.tolist() == [0, 0]
    assert widths.tolist() == [3.0, 6.0]  # ⌈5·0.5⌉ = 3rd of 1…4; ⌈3·0.5⌉ = 2nd of 5, 6


def test_a_step_short_of_scores_pools_with_the_steps_just_before_it_and_no_further():
    # Three windows of a 4-step test part: step h has 4 − h + 1 scores per window (3 at the last step, 4 needed at
    # 80 %). Step 4 pools with step 3 (3 + 6 = 9 scores: the ⌈10·0.8⌉ = 8th smallest).
    window = [np.array([1.0, 1.1, 1.2, 1.3]), np.array([2.0, 2.1, 2.2]), np.array([3.0, 3.1]), np.array([9.0])]
    widths, counts, pooled = intervals.conformal_widths([window, window, window], 80)
    assert counts.tolist() == [12, 9, 6, 3] and pooled.tolist() == [0, 0, 0, 1]
    assert widths[3] == 9.0  # the 8th of 3.0, 3.0, 3.0, 3.1, 3.1, 3.1, 9, 9, 9
    assert widths[2] == 3.1  # its own six: the ⌈7·0.8⌉ = 6th
    # One score a step: step 4 may reach back POOLED_STEPS = 2 steps (3 scores), still too few; step 1 has no step
    # before it.
    single = [np.array([1.0]), np.array([2.0]), np.array([3.0]), np.array([4.0])]
    widths, counts, pooled = intervals.conformal_widths([single], 80)
    assert np.isnan(widths).all() and pooled.tolist() == [0, 0, 0, 0]
    widths, _, pooled = intervals.conformal_widths([single], 50)  # one score is enough at 50 %
    assert widths.tolist() == [1.0, 2.0, 3.0, 4.0] and pooled.tolist() == [0, 0, 0, 0]


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
