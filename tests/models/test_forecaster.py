"""The interface every forecaster shares (forecast/models/base.py), checked on each of them."""

import numpy as np
import pytest

from forecast.config import Config
from forecast.data import datasets
from forecast.models.base import Forecaster
from forecast.models.classical import AutoARIMA, AutoETS
from forecast.models.linear import LinearAR
from forecast.models.lstm.forecaster import LSTMForecaster
from forecast.models.naive import Naive, SeasonalNaive
from tests.models.test_classical import fitted_on_airline


def airline():
    values = datasets.load("airline_passengers").ys
    return values[:-12], values[-12:]


TINY_LSTM = Config(
    source="dataset",
    dataset="airline_passengers",
    lookback=12,
    layers=1,
    units=4,
    epochs=2,
    transform="log",
    seasonal_difference=1,
    season_length=12,
    test_size=12,
)


@pytest.mark.parametrize(
    "fit",
    [
        lambda train: Naive().fit(train),
        lambda train: SeasonalNaive(12).fit(train),
        lambda train: LinearAR(12).fit(train),
        lambda train: fitted_on_airline("arima"),
        lambda train: fitted_on_airline("ets"),
        lambda train: LSTMForecaster(TINY_LSTM).fit(train),
        # The direct strategy: a head of 12 steps, so every forecast below fits in one output of it.
        lambda train: LinearAR(12, steps=12).fit(train),
        lambda train: LSTMForecaster(TINY_LSTM.replace(strategy="direct"), steps=12).fit(train),
    ],
    ids=["naive", "seasonal_naive", "linear_ar", "arima", "ets", "lstm", "linear_ar_direct", "lstm_direct"],
)
def test_one_step_forecast_and_paths_agree_where_they_see_the_same_history(fit):
    train, test = airline()
    model = fit(train)
    assert isinstance(model, Forecaster)
    one_step, recursive = model.one_step(test), model.forecast(len(test))
    assert one_step.shape == recursive.shape == (12,)
    # From the forecast origin, one step ahead, the one-step and the recursive forecast see the same history
    # (the LSTM's one-step forecasts come from one batch of windows: float32 rounding may differ).
    assert one_step[0] == pytest.approx(recursive[0], rel=1e-6)
    assert np.all(np.isfinite(one_step)) and np.all(np.isfinite(recursive))
    # From any later origin, a forecast after the observed true values starts with that origin's one-step value.
    for origin in (3, 7, 11):
        after = model.forecast(12 - origin, observed=test[:origin])
        assert after.shape == (12 - origin,)
        assert after[0] == pytest.approx(one_step[origin], rel=1e-6)
    # The rolling paths are those forecasts, row by row.
    paths = model.paths(test, 6)
    assert paths.shape == (12, 6)
    np.testing.assert_allclose(paths[:, 0], one_step, rtol=1e-6)
    np.testing.assert_allclose(paths[0], recursive[:6], rtol=1e-6)
    assert np.isnan(paths).sum() == 1 + 2 + 3 + 4 + 5  # past the end of the test part (rows 7–11)


def test_common_checks_are_done_once_for_every_forecaster():
    with pytest.raises(ValueError, match="not fitted yet"):
        Naive().forecast(3)
    with pytest.raises(ValueError, match="horizon must be at least 1"):
        Naive().fit(np.ones(3)).forecast(0)
    with pytest.raises(ValueError, match="NaN or infinite value at position 1"):
        LinearAR(2).fit(np.array([1.0, np.nan, 3.0, 4.0]))
    with pytest.raises(ValueError, match="one series"):
        Naive().fit(np.ones((3, 2)))
    with pytest.raises(ValueError, match="at least one value"):
        Naive().fit(np.ones(3)).one_step(np.array([]))
    with pytest.raises(ValueError, match="LinearAR needs at least 6 training values"):
        LinearAR(5).fit(np.ones(5))
    with pytest.raises(ValueError, match="need a test part and max_steps"):
        Naive().fit(np.ones(3)).paths(np.ones(2), 0)


def test_fitting_again_on_the_same_values_keeps_the_fitted_model():
    train, _ = airline()
    model = AutoETS(12).fit(train)
    results = model.results
    assert model.fit(train.copy()).results is results
    assert AutoARIMA(12).min_train_length == 8
