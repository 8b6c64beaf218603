"""The one evaluation and its tidy table (forecast/evaluation/backtest.py), against plain loops."""

import numpy as np
import pytest

from forecast.evaluation import backtest
from forecast.evaluation.metrics import rmse
from forecast.models.linear import LinearAR
from forecast.models.naive import Naive


def series(n=60):
    noise = np.random.default_rng(n).normal(0, 0.3, n)  # no linear recurrence fits it exactly
    return 10 + np.sin(np.arange(n) * 0.7) + np.arange(n) * 0.05 + noise


def test_the_table_holds_every_kind_of_forecast_of_every_model():
    values = series()
    models = {"naive": Naive(), "linear_ar": LinearAR(4)}
    table = backtest.evaluate(models, values, 10, first_target=4)
    assert table.models == ("naive", "linear_ar")
    test = values[50:]
    for name, model in models.items():
        # Each kind is what the fitted model says when asked directly.
        np.testing.assert_array_equal(table.get(name, "one_step"), model.one_step(test))
        np.testing.assert_array_equal(table.get(name, "recursive"), model.forecast(10))
        np.testing.assert_array_equal(table.get(name, "fit"), model.fitted(test)[4:])
    # Rows: the training targets 4…49, the ten test targets, ten recursive steps from origin 50, then every origin
    # inside the test part rolled forward as far as the test part reaches.
    assert np.array_equal(table.target[table.mask("fit")], np.arange(4, 50))
    assert np.array_equal(table.target[table.mask("one_step")], np.arange(50, 60))
    recursive = table.mask("recursive")
    assert (table.origin[recursive] == 50).all() and np.array_equal(table.step[recursive], np.arange(1, 11))
    rolling = table.mask("rolling")
    assert table.step[rolling].max() == backtest.rolling_steps(10) == 10
    assert table.target[rolling].max() == 59 and rolling.sum() == 10 * 11 // 2


def test_errors_by_step_are_the_rolling_forecasts_errors_averaged_over_origins():
    values = series()
    model = LinearAR(3)
    table = backtest.evaluate({"linear_ar": model}, values, 12, first_target=3)
    test = values[48:]
    expected = []
    for step in range(1, 7):
        errors = [
            model.forecast(step, observed=test[:origin])[-1] - test[origin + step - 1] for origin in range(13 - step)
        ]
        expected.append(np.sqrt(np.mean(np.square(errors))))
    np.testing.assert_allclose(table.errors_by_step("linear_ar", values), expected, rtol=1e-12)
    assert table.errors_by_step("linear_ar", values)[0] == pytest.approx(rmse(test, model.one_step(test)))


def test_the_frame_is_tidy_and_the_arrays_round_trip():
    values = series()
    xs = np.arange(len(values)) * 0.5
    table = backtest.evaluate({"naive": Naive()}, values, 6, first_target=1)
    frame = table.frame(xs, values, window=2)
    assert list(frame.columns) == ["model", "kind", "window", "origin", "step", "x", "actual", "forecast"]
    recursive = frame[frame["kind"] == "recursive"]
    assert (recursive["origin"] == xs[53]).all() and (recursive["window"] == 2).all()
    np.testing.assert_array_equal(recursive["actual"], values[54:])
    np.testing.assert_array_equal(recursive["x"], xs[54:])
    again = backtest.Forecasts.from_arrays(table.to_arrays(), table.models)
    assert again.frame(xs, values).equals(table.frame(xs, values))


def test_long_test_parts_look_at_most_so_far_ahead():
    assert backtest.rolling_steps(79) == backtest.MAX_ROLLING_STEPS == 60
    assert backtest.chart_steps(79) == 40 and backtest.chart_steps(1000) == 60
    with pytest.raises(ValueError, match="need a training part and a test part"):
        backtest.evaluate({"naive": Naive()}, series(10), 10)
