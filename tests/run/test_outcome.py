"""A whole run (forecast/run/outcome.py): backtest windows, the future, the ensemble as one model, intervals."""

import numpy as np
import pytest

from forecast.config import Config
from forecast.data import Fold, make_dataset
from forecast.run import pipeline
from forecast.run.outcome import combine


@pytest.fixture(scope="module")
def run():
    """The tiny function of x with 3 windows, a future of 6 steps, 80 % intervals and 2 members: 8 networks."""
    config = Config(x_start=-10.0, x_end=10.0, x_step=0.25, lookback=5, layers=1, units=4, epochs=2, batch_size=16)
    return pipeline.run_all(config.replace(backtest_windows=3, horizon=6, interval=80, ensemble=2))


def test_windows_end_where_the_next_begins_and_the_last_is_the_usual_holdout(run):
    assert run.networks == 8 and len(run.windows) == 3 and run.future is not None
    holdout = pipeline.run(run.config.replace(backtest_windows=1, horizon=0, interval=0, ensemble=1))
    assert run.members[0].metrics == holdout.metrics  # the holdout's first network is the plain run's
    n_test = run.result.n_test
    for earlier, later in zip(run.windows, run.windows[1:], strict=False):
        assert earlier.n_test == later.n_test == n_test
        assert earlier.n_points == later.n_points - n_test  # each ends where the next one's test part begins
        np.testing.assert_array_equal(earlier.test_targets, later.ys[later.n_points - 2 * n_test : -n_test])
        assert earlier.n_train == later.n_train - n_test  # and trains on everything before its origin only


def test_the_lstm_of_a_fold_is_the_mean_of_its_members(run):
    members = run.members
    mean = np.mean([member.test_forecast("lstm", "recursive") for member in members], axis=0)
    np.testing.assert_allclose(run.result.test_forecast("lstm", "recursive"), mean)
    assert run.result.networks == 2 and run.result.fit_seconds == pytest.approx(sum(m.fit_seconds for m in members))
    assert combine(members[:1]) is members[0]
    # The baselines do not depend on the seed: the mean changes only the LSTM.
    np.testing.assert_array_equal(
        run.result.test_forecast("naive", "recursive"), members[1].test_forecast("naive", "recursive")
    )


def test_the_future_continues_the_grid_and_is_scored_against_the_function(run):
    future = run.future
    np.testing.assert_allclose(future.future_xs, [10.0, 10.25, 10.5, 10.75, 11.0, 11.25])
    np.testing.assert_allclose(future.truth, future.future_xs * np.sin(future.future_xs))
    assert future.n_test == 0 and len(future.future("lstm")) == 6
    # Trained on the whole series: the last values of the training fit reach the series' end.
    assert future.n_points == 80 and future.n_train == 80 - 5
    assert set(future.future_metrics["lstm"]) == {"rmse", "mae", "r2", "mase"}
    # The linear AR is exact on x*sin(x), also past the data.
    assert future.future_metrics["linear_ar"]["rmse"] < 1e-6


def test_intervals_are_calibrated_on_earlier_windows_and_their_coverage_measured_on_later_ones(run):
    band = run.band("lstm")  # the holdout's: calibrated on windows 1 and 2
    assert band.method == "conformal" and band.lower.shape == (run.result.n_test,)
    center = run.result.test_forecast("lstm", "recursive")
    # Two calibrating windows give the last step 2 errors of its own: it pools with the step before (4 more).
    assert np.isfinite(band.lower).all() and band.scores[-1] == 2 and band.pooled.tolist()[-2:] == [0, 1]
    assert np.all(band.lower <= center) and np.all(center <= band.upper)
    assert run.band("lstm", 0) is None  # the first window has nothing before it to calibrate on
    assert run.coverage("lstm", 0) is None and 0.0 <= run.coverage("lstm", 2) <= 1.0
    assert run.band("lstm", -1).lower.shape == (6,)  # the future: calibrated on every window


def test_a_horizon_the_data_cannot_support_and_windows_that_leave_too_little_are_refused():
    config = Config(x_start=-10.0, x_end=10.0, x_step=0.25, lookback=5, layers=1, units=4, epochs=2)
    with pytest.raises(ValueError, match="horizon 81 is longer than the series \\(80 values\\)"):
        make_dataset(config.replace(horizon=81))
    with pytest.raises(ValueError, match="backtest_windows 5 with 15-step windows leaves the first window 0 training"):
        make_dataset(config.replace(backtest_windows=5))
    with pytest.raises(ValueError, match="use at most 4 windows"):
        make_dataset(config.replace(backtest_windows=5))
    with pytest.raises(ValueError, match="interval must be 0 \\(no prediction interval\\) or a level of 50–99"):
        config.replace(interval=40)
    # 75 windows, 15 of them tested: the first of 4 windows trains on 60 − 3·15.
    assert make_dataset(config.replace(backtest_windows=4), fold=Fold(cut=45, n_test=15)).n_train == 15
