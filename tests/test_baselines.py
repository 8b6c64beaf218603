import functools

import numpy as np
import pytest

from forecast.config import DEFAULT_CONFIG, Config
from forecast.data import datasets, make_dataset
from forecast.evaluation.metrics import mae
from forecast.models import baselines, forecasting


def airline():
    values = datasets.load("airline_passengers").ys
    return values[:-12], values[-12:]


@functools.cache
def fitted_on_airline(name):
    """Each automatic model fitted once on airline passengers' training part, shared by the tests that read it."""
    make = {"arima": baselines.AutoARIMA, "ets": baselines.AutoETS}[name]
    return make(12).fit(airline()[0])


def test_naive_repeats_the_last_true_value():
    model = baselines.Naive().fit(np.array([1.0, 2.0, 3.0]))
    np.testing.assert_array_equal(model.predict(3), [3.0, 3.0, 3.0])
    np.testing.assert_array_equal(model.one_step(np.array([5.0, 7.0, 4.0])), [3.0, 5.0, 7.0])


def test_seasonal_naive_repeats_the_last_season():
    model = baselines.SeasonalNaive(3).fit(np.array([9.0, 1.0, 2.0, 3.0]))
    np.testing.assert_array_equal(model.predict(7), [1, 2, 3, 1, 2, 3, 1])
    # One-step looks one season back into the TRUE values, including the test part once it is a season in.
    np.testing.assert_array_equal(model.one_step(np.array([10.0, 20.0, 30.0, 40.0, 50.0])), [1, 2, 3, 10, 20])
    with pytest.raises(ValueError, match="at least 3 training values"):
        baselines.SeasonalNaive(3).fit(np.array([1.0, 2.0]))


def test_seasonal_naive_is_exact_on_a_periodic_series():
    values = np.tile([3.0, -1.0, 4.0, 1.0, 5.0], 8)
    model = baselines.SeasonalNaive(5).fit(values[:27])
    np.testing.assert_array_equal(model.predict(13), values[27:])
    np.testing.assert_array_equal(model.one_step(values[27:]), values[27:])


@pytest.mark.parametrize(
    "config",
    [
        DEFAULT_CONFIG,
        DEFAULT_CONFIG.replace(lookback=9, train_ratio=0.5, noise=0.3),
        Config(source="dataset", dataset="airline_passengers", lookback=12, train_ratio=0.9129),
        Config(source="dataset", dataset="lake_huron", lookback=3),
        Config(source="dataset", dataset="us_accidental_deaths", lookback=12, train_ratio=0.7),
    ],
    ids=["default", "noisy", "airline", "huron", "deaths"],
)
def test_linear_ar_matches_todays_pipeline_bit_for_bit(config):
    dataset = make_dataset(config)
    # Today's pipeline: fitted on the training windows, one-step over every window, recursive from the first
    # test window.
    reference = forecasting.LinearAutoregression(dataset.train_windows, dataset.train_targets)
    expected_one_step = forecasting.one_step(reference, dataset.windows)[-dataset.n_test :]
    expected_recursive = forecasting.recursive(reference, dataset.test_windows[0], dataset.n_test)
    # The baseline: fitted on the values those windows hold, then forecasting the test targets.
    split = dataset.n_train + config.lookback
    model = baselines.LinearAR(config.lookback).fit(dataset.ys[:split])
    assert np.array_equal(model.model.coefficients, reference.coefficients)
    assert model.model.intercept == reference.intercept
    assert np.array_equal(model.one_step(dataset.ys[split:]), expected_one_step)
    assert np.array_equal(model.predict(dataset.n_test), expected_recursive)


@pytest.mark.parametrize(
    "fit",
    [
        lambda train: baselines.Naive().fit(train),
        lambda train: baselines.SeasonalNaive(12).fit(train),
        lambda train: baselines.LinearAR(12).fit(train),
        lambda train: fitted_on_airline("arima"),
        lambda train: fitted_on_airline("ets"),
    ],
    ids=["naive", "seasonal_naive", "linear_ar", "arima", "ets"],
)
def test_the_first_step_is_the_same_both_ways(fit):
    # From the forecast origin, one step ahead, the one-step and the recursive forecast see the same history.
    train, test = airline()
    model = fit(train)
    one_step, recursive = model.one_step(test), model.predict(len(test))
    assert one_step.shape == recursive.shape == (12,)
    assert one_step[0] == pytest.approx(recursive[0], rel=1e-9)
    assert np.all(np.isfinite(one_step)) and np.all(np.isfinite(recursive))
    # From any later origin, a forecast after the observed true values starts with that origin's one-step value.
    for origin in (3, 7, 11):
        after = model.predict(12 - origin, observed=test[:origin])
        assert after.shape == (12 - origin,)
        assert after[0] == pytest.approx(one_step[origin], rel=1e-9)
    # The horizon chart's first entry is the one-step RMSE.
    horizon = baselines.horizon_rmse(model, test)
    assert horizon.shape == (6,)
    assert horizon[0] == pytest.approx(np.sqrt(np.mean((one_step - test) ** 2)), rel=1e-9)


def test_horizon_rmse_matches_the_pipelines_measure_for_naive_and_linear_ar():
    dataset = make_dataset(Config(source="dataset", dataset="us_accidental_deaths", lookback=12, train_ratio=0.7))
    split = dataset.n_train + 12
    train, test = dataset.ys[:split], dataset.ys[split:]
    linear = baselines.LinearAR(12).fit(train)
    for model, predictor in ((baselines.Naive().fit(train), forecasting.naive_predictor), (linear, linear.model)):
        expected = forecasting.horizon_rmse(predictor, dataset.test_windows, dataset.test_targets)
        np.testing.assert_allclose(baselines.horizon_rmse(model, test), expected, rtol=1e-9)


def test_auto_arima_selects_the_airline_model_and_matches_statsforecasts_accuracy():
    _, test = airline()
    model = fitted_on_airline("arima")
    # statsforecast's AutoARIMA selects the same model; its 12-month MAE is 18.52 (Nixtla publishes 18.55).
    assert model.description == "ARIMA(1,1,0)(0,1,0)[12]"
    assert mae(test, model.predict(12)) == pytest.approx(18.52, abs=0.05)


def test_auto_arima_one_step_uses_the_fitted_model_on_the_true_values_without_refitting():
    train, test = airline()
    model = fitted_on_airline("arima")
    params_before = np.array(model.results.params)
    one_step = model.one_step(test)
    np.testing.assert_array_equal(model.results.params, params_before)
    # ARIMA(1,1,0)(0,1,0)[12]: w = (1 − B)(1 − B¹²)y follows w_t = φ·w_{t−1} + e_t, so the one-step forecast is
    # y_{t−1} + y_{t−12} − y_{t−13} + φ·w_{t−1}, with every y the true value.
    phi = float(model.results.params[0])
    series = np.concatenate([train, test])
    expected = []
    for t in range(len(train), len(series)):
        w_previous = series[t - 1] - series[t - 2] - series[t - 13] + series[t - 14]
        expected.append(series[t - 1] + series[t - 12] - series[t - 13] + phi * w_previous)
    np.testing.assert_allclose(one_step, expected, rtol=1e-9)


def test_auto_arima_recovers_a_stationary_ar1_without_differencing():
    rng = np.random.default_rng(3)
    values = np.zeros(300)
    for t in range(1, 300):
        values[t] = 0.7 * values[t - 1] + rng.normal()
    model = baselines.AutoARIMA().fit(values[:250] + 10.0)
    assert model.chain.difference == 0
    assert model.description.startswith("ARIMA(") and model.order[4]  # a mean is estimated
    # Far ahead, a stationary AR(1) forecast goes back to its mean.
    assert model.predict(60)[-1] == pytest.approx(10.0 + values[:250].mean(), abs=0.5)


def test_auto_ets_one_step_is_simple_exponential_smoothing_on_the_true_values():
    rng = np.random.default_rng(0)
    values = 50.0 + np.cumsum(rng.normal(size=80)) * 0.3 + rng.normal(size=80)
    train, test = values[:70], values[70:]
    model = baselines.AutoETS().fit(train)
    # Additive or multiplicative error: either way the level moves by alpha times the one-step error.
    assert model.description in ("ETS(A,N,N)", "ETS(M,N,N)")
    alpha = float(model.results.smoothing_level)
    params_before = np.array(model.results.params)
    one_step = model.one_step(test)
    np.testing.assert_array_equal(model.results.params, params_before)
    # The level after the training part is the recursive forecast; each true value then updates it by alpha.
    level = model.predict(1)[0]
    expected = []
    for value in test:
        expected.append(level)
        level += alpha * (value - level)
    np.testing.assert_allclose(one_step, expected, rtol=1e-9)
    np.testing.assert_allclose(model.predict(5), np.full(5, one_step[0]), rtol=1e-12)  # flat forecast


def test_auto_ets_avoids_multiplicative_forms_on_a_series_with_zeros():
    values = np.tile([0.0, 5.0, 10.0, 5.0], 10) + np.arange(40) * 0.1
    model = baselines.AutoETS(4).fit(values[:32])
    assert "M" not in model.description
    assert np.all(np.isfinite(model.predict(8)))


def test_common_checks_are_done_once_for_every_baseline():
    with pytest.raises(ValueError, match="not fitted yet"):
        baselines.Naive().predict(3)
    with pytest.raises(ValueError, match="horizon must be at least 1"):
        baselines.Naive().fit(np.ones(3)).predict(0)
    with pytest.raises(ValueError, match="NaN or infinite value at position 1"):
        baselines.LinearAR(2).fit(np.array([1.0, np.nan, 3.0, 4.0]))
    with pytest.raises(ValueError, match="one series"):
        baselines.Naive().fit(np.ones((3, 2)))
    with pytest.raises(ValueError, match="at least one value"):
        baselines.Naive().fit(np.ones(3)).one_step(np.array([]))
    with pytest.raises(ValueError, match="LinearAR needs at least 6 training values"):
        baselines.LinearAR(5).fit(np.ones(5))
    with pytest.raises(ValueError, match="season_length must be at least 1"):
        baselines.SeasonalNaive(0)
