"""The linear AR and the window machinery it shares with the LSTM (forecast/models/linear.py, window.py)."""

import numpy as np
import pytest

from forecast.config import DEFAULT_CONFIG, Config
from forecast.data import TransformChain, make_dataset
from forecast.evaluation.metrics import rmse
from forecast.models.linear import LinearAR
from forecast.models.window import recursive


def reference_recursive(predict, window, horizon):
    """A plain loop written independently of the library's."""
    history = list(window)
    out = []
    for _ in range(horizon):
        value = float(predict(np.array([history[-len(window) :]]))[0])
        out.append(value)
        history.append(value)
    return np.array(out)


def test_recursive_feeds_predictions_back():
    def predict(windows):
        return windows.sum(axis=1)  # Fibonacci with a window of 2

    got = recursive(predict, np.array([1.0, 1.0]), 6)
    np.testing.assert_array_equal(got, [2.0, 3.0, 5.0, 8.0, 13.0, 21.0])
    np.testing.assert_array_equal(got, reference_recursive(predict, [1.0, 1.0], 6))
    with pytest.raises(ValueError, match="horizon"):
        recursive(predict, np.ones(3), 0)
    with pytest.raises(ValueError, match="first_window"):
        recursive(predict, np.ones((2, 3)), 3)


def test_linear_ar_is_exact_on_x_sin_x():
    dataset = make_dataset(DEFAULT_CONFIG)
    model = LinearAR(5).fit(dataset.ys[: dataset.origin])
    test = dataset.ys[dataset.origin :]
    assert rmse(test, model.one_step(test)) < 1e-6
    assert rmse(test, model.forecast(dataset.n_test)) < 1e-6


def test_linear_ar_recovers_known_coefficients():
    rng = np.random.default_rng(0)
    values = rng.normal(size=60)
    for t in range(3, 60):
        values[t] = 0.5 * values[t - 3] - 0.2 * values[t - 2] + 0.3 * values[t - 1] + 3.0
    model = LinearAR(3).fit(values)
    np.testing.assert_allclose(model.coefficients, [0.5, -0.2, 0.3], atol=1e-8)
    assert model.intercept == pytest.approx(3.0)


@pytest.mark.parametrize(
    "config",
    [
        DEFAULT_CONFIG,
        DEFAULT_CONFIG.replace(lookback=9, train_ratio=0.5, noise=0.3),
        Config(
            source="dataset",
            dataset="airline_passengers",
            lookback=12,
            test_size=12,
            transform="log",
            difference=1,
            seasonal_difference=1,
            season_length=12,
        ),
        Config(source="dataset", dataset="lake_huron", lookback=3, difference=2),
    ],
    ids=["default", "noisy", "airline-log-d1-D1", "huron-d2"],
)
def test_linear_ar_is_least_squares_on_the_datasets_windows(config):
    dataset = make_dataset(config)
    model = LinearAR(config.lookback, dataset.chain).fit(dataset.ys[: dataset.origin])
    design = np.column_stack([dataset.train_windows, np.ones(dataset.n_train)])
    solution = np.linalg.lstsq(design, dataset.train_targets, rcond=None)[0]
    assert np.array_equal(model.coefficients, solution[:-1]) and model.intercept == solution[-1]


def reference_paths(model, test, max_steps):
    """Every origin rolled forward on its own, from the true values up to it: a plain double loop."""
    paths = np.full((len(test), max_steps), np.nan)
    for origin in range(len(test)):
        steps = min(max_steps, len(test) - origin)
        paths[origin, :steps] = model.forecast(steps, observed=test[:origin])
    return paths


@pytest.mark.parametrize("chain", [TransformChain(), TransformChain("log", 1, 1, 12)], ids=["identity", "log-d1-D1"])
def test_batched_paths_match_one_origin_at_a_time(chain):
    values = 100 + 10 * np.sin(np.arange(120) * 2 * np.pi / 12) + np.arange(120) * 0.5
    model = LinearAR(4, chain).fit(values[:100])
    test = values[100:]
    np.testing.assert_allclose(model.paths(test, 10), reference_paths(model, test, 10), rtol=1e-12)
