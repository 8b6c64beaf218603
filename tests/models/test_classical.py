"""AutoARIMA and AutoETS (forecast/models/classical.py): the selected models, and forecasts without refitting."""

import functools

import numpy as np
import pytest

from forecast.data import datasets
from forecast.evaluation.metrics import mae
from forecast.models.classical import AutoARIMA, AutoETS


def airline():
    values = datasets.load("airline_passengers").ys
    return values[:-12], values[-12:]


@functools.cache
def fitted_on_airline(name):
    """Each automatic model fitted once on airline passengers' training part, shared by the tests that read it."""
    make = {"arima": AutoARIMA, "ets": AutoETS}[name]
    return make(12).fit(airline()[0])


def test_auto_arima_selects_the_airline_model_and_matches_statsforecasts_accuracy():
    _, test = airline()
    model = fitted_on_airline("arima")
    # statsforecast's AutoARIMA selects the same model; its 12-month MAE is 18.52 (Nixtla publishes 18.55).
    assert model.description == "ARIMA(1,1,0)(0,1,0)[12]"
    assert mae(test, model.forecast(12)) == pytest.approx(18.52, abs=0.05)


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
    model = AutoARIMA().fit(values[:250] + 10.0)
    assert model.chain.difference == 0
    assert model.description.startswith("ARIMA(") and model.order[4]  # a mean is estimated
    # Far ahead, a stationary AR(1) forecast goes back to its mean.
    assert model.forecast(60)[-1] == pytest.approx(10.0 + values[:250].mean(), abs=0.5)


def test_auto_ets_one_step_is_simple_exponential_smoothing_on_the_true_values():
    rng = np.random.default_rng(0)
    values = 50.0 + np.cumsum(rng.normal(size=80)) * 0.3 + rng.normal(size=80)
    train, test = values[:70], values[70:]
    model = AutoETS().fit(train)
    # Additive or multiplicative error: either way the level moves by alpha times the one-step error.
    assert model.description in ("ETS(A,N,N)", "ETS(M,N,N)")
    alpha = float(model.results.smoothing_level)
    params_before = np.array(model.results.params)
    one_step = model.one_step(test)
    np.testing.assert_array_equal(model.results.params, params_before)
    # The level after the training part is the recursive forecast; each true value then updates it by alpha.
    level = model.forecast(1)[0]
    expected = []
    for value in test:
        expected.append(level)
        level += alpha * (value - level)
    np.testing.assert_allclose(one_step, expected, rtol=1e-9)
    np.testing.assert_allclose(model.forecast(5), np.full(5, one_step[0]), rtol=1e-12)  # flat forecast


def test_auto_ets_avoids_multiplicative_forms_on_a_series_with_zeros():
    values = np.tile([0.0, 5.0, 10.0, 5.0], 10) + np.arange(40) * 0.1
    model = AutoETS(4).fit(values[:32])
    assert "M" not in model.description
    assert np.all(np.isfinite(model.forecast(8)))
