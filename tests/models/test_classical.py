"""AutoARIMA and AutoETS (forecast/models/classical.py): the selected models, and forecasts without refitting."""

import functools
from statistics import NormalDist

import numpy as np
import pandas as pd
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


@functools.cache
def ar1():
    """A stationary AR(1) around 0 (300 values), and AutoARIMA fitted on its first 250 shifted to a mean of 10."""
    rng = np.random.default_rng(3)
    values = np.zeros(300)
    for t in range(1, 300):
        values[t] = 0.7 * values[t - 1] + rng.normal()
    return values, AutoARIMA().fit(values[:250] + 10.0)


def test_auto_arima_recovers_a_stationary_ar1_without_differencing():
    values, model = ar1()
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


LEVELS = tuple(range(50, 100))


def inside(values, edges):
    """How many values lie within their (2, n) band."""
    return int(np.sum((edges[0] <= values) & (values <= edges[1])))


def half_widths(level, variances):
    """z · sd: the half-width of a Gaussian interval at `level` percent."""
    return NormalDist().inv_cdf(0.5 + level / 200) * np.sqrt(variances)


def integrated_variances(ar_polynomial, sigma2, horizon):
    """σ²·Σⱼ<ₕ ψⱼ² for a pure AR model a(B)·y = e (differencing included in a): the h-step forecast error variance."""
    psi = np.zeros(horizon)
    psi[0] = 1.0
    for j in range(1, horizon):
        lags = np.arange(1, min(j, len(ar_polynomial) - 1) + 1)
        psi[j] = -np.dot(ar_polynomial[lags], psi[j - lags])
    return sigma2 * np.cumsum(psi**2)


def test_auto_arima_bands_integrate_the_fitted_model_on_airline():
    _, test = airline()
    model = fitted_on_airline("arima")
    bands = model.bands(12, LEVELS)
    assert bands.shape == (50, 2, 12)
    # Gaussian intervals around the fitted model's own recursive forecast: the centre is the point forecast.
    np.testing.assert_allclose(bands.mean(axis=1), np.tile(model.forecast(12), (50, 1)), rtol=1e-9)
    # The variances in the series' units: ψ-weights of (1 − φB)(1 − B)(1 − B¹²) y = e, computed independently.
    phi, sigma2 = (float(value) for value in model.results.params)
    variances = integrated_variances(np.convolve([1.0, -phi], model.chain.coefficients), sigma2, 12)
    for level in (50, 80, 95, 99):
        edges = bands[LEVELS.index(level)]
        np.testing.assert_allclose((edges[1] - edges[0]) / 2, half_widths(level, variances), rtol=1e-7)
    # After observed values the state moves on without refitting; a pure AR's variances stay the same.
    params_before = np.array(model.results.params)
    after = model.bands(6, (80,), observed=test[:6])[0]
    np.testing.assert_array_equal(model.results.params, params_before)
    np.testing.assert_allclose(after.mean(axis=0), model.forecast(6, observed=test[:6]), rtol=1e-9)
    np.testing.assert_allclose((after[1] - after[0]) / 2, half_widths(80, variances[:6]), rtol=1e-7)


def test_auto_arima_bands_of_a_stationary_ar1_with_a_mean():
    values, model = ar1()
    assert model.description == "ARIMA(1,0,0) with non-zero mean"
    bands = model.bands(20, (80, 95), observed=values[250:260] + 10.0)
    np.testing.assert_allclose(bands.mean(axis=1)[0], model.forecast(20, observed=values[250:260] + 10.0), rtol=1e-9)
    _, phi, sigma2 = (float(value) for value in model.results.params)
    variances = sigma2 * np.cumsum(phi ** (2 * np.arange(20)))
    np.testing.assert_allclose((bands[1, 1] - bands[1, 0]) / 2, half_widths(95, variances), rtol=1e-7)


def test_auto_arima_bands_carry_a_drift_and_moving_average_terms():
    rng = np.random.default_rng(5)
    values = np.cumsum(0.5 + rng.normal(size=200)) + 50.0
    model = AutoARIMA().fit(values[:180])
    # The constant of the differenced series is the drift of the levels: the levels model must carry it.
    assert model.description == "ARIMA(2,1,2) with drift"
    for observed in (None, values[180:190]):
        bands = model.bands(12, (50, 95), observed=observed)
        np.testing.assert_allclose(bands.mean(axis=1)[1], model.forecast(12, observed=observed), rtol=1e-6)
        assert np.all(np.diff(bands[1, 1] - bands[1, 0]) > 0)


def test_auto_ets_bands_are_simulated_deterministically_for_a_multiplicative_form():
    train, test = airline()
    model = fitted_on_airline("ets")
    assert model.description.startswith("ETS(M")  # no analytic variance: statsmodels simulates the paths
    bands = model.bands(12, LEVELS)
    np.testing.assert_array_equal(bands, model.bands(12, LEVELS))
    # All levels from one set of paths give pred_int's own numbers, level by level.
    smoothed = model._model(pd.Series(train), model.form).smooth(model.results.params)
    prediction = smoothed.get_prediction(
        start=len(train), end=len(train) + 11, simulate_repetitions=5000, rng=np.random.default_rng(0)
    )
    for level in (50, 80, 99):
        np.testing.assert_allclose(bands[LEVELS.index(level)].T, prediction.pred_int(alpha=1 - level / 100), rtol=1e-12)
    # After observed values: the states move on, the band follows the forecast from there.
    after = model.bands(6, (50,), observed=test[:6])[0]
    forecast = model.forecast(6, observed=test[:6])
    assert np.all(after[0] <= forecast) and np.all(forecast <= after[1])
    assert not np.allclose(after, bands[0][:, 6:])


def test_auto_ets_bands_are_analytic_for_simple_exponential_smoothing():
    rng = np.random.default_rng(0)
    values = np.cumsum(rng.normal(size=80)) * 0.3 + rng.normal(size=80)  # crosses 0: additive error only
    model = AutoETS().fit(values[:70])
    assert model.description == "ETS(A,N,N)"
    bands = model.bands(8, (80, 95))
    np.testing.assert_allclose(bands.mean(axis=1), np.tile(model.forecast(8), (2, 1)), rtol=1e-9)
    # ETS(A,N,N): the h-step variance is σ²·(1 + α²·(h − 1)), σ² the mean squared one-step error.
    alpha = float(model.results.smoothing_level)
    variances = model.results.mse * (1 + alpha**2 * np.arange(8))
    np.testing.assert_allclose((bands[1, 1] - bands[1, 0]) / 2, half_widths(95, variances), rtol=1e-9)


@pytest.mark.parametrize("name", ["arima", "ets"])
def test_bands_contain_a_plausible_share_of_the_airline_test_part(name):
    _, test = airline()
    model = fitted_on_airline(name)
    bands = model.bands(12, LEVELS)
    forecast = model.forecast(12)
    assert np.all(bands[:, 0] <= forecast) and np.all(forecast <= bands[:, 1])
    # Nested: a higher level's band holds the lower level's.
    assert np.all(np.diff(bands[:, 0], axis=0) <= 0) and np.all(np.diff(bands[:, 1], axis=0) >= 0)
    assert inside(test, bands[LEVELS.index(80)]) >= 6
    assert inside(test, bands[LEVELS.index(95)]) >= 9
    # Not so wide as to say nothing: the 50 % band misses some of the 12.
    assert inside(test, bands[LEVELS.index(50)]) <= 10
    if name == "arima":
        # Integrated errors accumulate: the band fans out step by step, far more than a stationary model's would.
        for level in (80, 95):
            widths = bands[LEVELS.index(level), 1] - bands[LEVELS.index(level), 0]
            assert np.all(np.diff(widths) > 0) and widths[-1] > 2 * widths[0]


@pytest.mark.parametrize(
    ("levels", "message"),
    [
        ((49,), "from 50 to 99"),
        ((80, 100), "from 50 to 99"),
        ((80.0,), "whole percentage"),
        ((True,), "whole percentage"),
        ((), "non-empty sequence"),
        (80, "non-empty sequence"),
        ("80", "non-empty sequence"),
    ],
)
def test_bands_reject_levels_that_are_not_whole_percentages(levels, message):
    with pytest.raises(ValueError, match=message):
        fitted_on_airline("arima").bands(12, levels)


def test_bands_need_a_fitted_model_and_a_horizon():
    with pytest.raises(ValueError, match="not fitted yet"):
        AutoETS(12).bands(12, (80,))
    with pytest.raises(ValueError, match="horizon must be at least 1"):
        fitted_on_airline("ets").bands(0, (80,))


def test_auto_ets_paths_are_the_forecasts_after_each_prefix():
    """The one-pass rolling paths equal a forecast after each origin's true values (the generic definition)."""
    values = datasets.load("airline_passengers").ys
    model = AutoETS(12).fit(values[:-24])
    test = values[-24:]
    paths = model.paths(test, 12)
    for origin in (0, 1, 11, 23):
        steps = min(12, len(test) - origin)
        np.testing.assert_allclose(paths[origin, :steps], model.forecast(steps, observed=test[:origin]), rtol=1e-12)
        assert np.isnan(paths[origin, steps:]).all()


def test_auto_ets_chooses_by_the_same_aicc_as_statsmodels_results():
    values = datasets.load("airline_passengers").ys[:-24]
    model = AutoETS(12).fit(values)
    assert model.description == "ETS(M,A,M)"
    refitted = model._model(values, model.form).fit(disp=False)
    assert model.results.aicc == pytest.approx(refitted.aicc, rel=1e-12)
