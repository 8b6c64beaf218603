import numpy as np
import pytest

from forecast.config import DEFAULT_CONFIG
from forecast.data import make_dataset
from forecast.evaluation.metrics import rmse
from forecast.models.forecasting import LinearAutoregression, horizon_rmse, naive_predictor, one_step, recursive


def reference_recursive(predict, window, horizon):
    """A plain loop written independently of the library's."""
    history = list(window)
    out = []
    for _ in range(horizon):
        value = float(predict(np.array([history[-len(window) :]]))[0])
        out.append(value)
        history.append(value)
    return np.array(out)


def test_one_step_uses_true_windows():
    windows = np.array([[1.0, 2.0], [2.0, 3.0], [3.0, 4.0]])
    np.testing.assert_array_equal(one_step(naive_predictor, windows), [2.0, 3.0, 4.0])


def test_recursive_feeds_predictions_back():
    def predict(windows):
        return windows.sum(axis=1)  # Fibonacci with a window of 2

    got = recursive(predict, np.array([1.0, 1.0]), 6)
    np.testing.assert_array_equal(got, [2.0, 3.0, 5.0, 8.0, 13.0, 21.0])
    np.testing.assert_array_equal(got, reference_recursive(predict, [1.0, 1.0], 6))


def test_naive_recursive_repeats_the_last_value():
    np.testing.assert_array_equal(recursive(naive_predictor, np.array([4.0, 5.0, 6.0]), 4), [6.0] * 4)


def test_linear_ar_is_exact_on_x_sin_x():
    dataset = make_dataset(DEFAULT_CONFIG)
    model = LinearAutoregression(dataset.train_windows, dataset.train_targets)
    assert rmse(dataset.test_targets, one_step(model, dataset.test_windows)) < 1e-6
    assert rmse(dataset.test_targets, recursive(model, dataset.test_windows[0], dataset.n_test)) < 1e-6


def test_linear_ar_recovers_known_coefficients():
    rng = np.random.default_rng(0)
    windows = rng.normal(size=(50, 3))
    targets = windows @ np.array([0.5, -1.0, 2.0]) + 3.0
    model = LinearAutoregression(windows, targets)
    np.testing.assert_allclose(model.coefficients, [0.5, -1.0, 2.0], atol=1e-10)
    assert model.intercept == pytest.approx(3.0)


def test_bad_arguments():
    with pytest.raises(ValueError, match="horizon"):
        recursive(naive_predictor, np.ones(3), 0)
    with pytest.raises(ValueError, match="first_window"):
        recursive(naive_predictor, np.ones((2, 3)), 3)
    with pytest.raises(ValueError, match="windows"):
        one_step(naive_predictor, np.ones(3))
    with pytest.raises(ValueError, match="matching"):
        LinearAutoregression(np.ones((3, 2)), np.ones(4))


def reference_horizon(predict, windows, targets):
    """Every origin rolled forward one at a time, errors collected by steps ahead: a plain double loop."""
    n = len(targets)
    squared = [[] for _ in range(-(-n // 2))]
    for origin in range(n):
        forecast = recursive(predict, windows[origin], n - origin)
        for step in range(min(len(squared), n - origin)):
            squared[step].append((forecast[step] - targets[origin + step]) ** 2)
    return np.sqrt([np.mean(values) for values in squared])


def test_horizon_rmse_matches_a_plain_loop_and_starts_at_the_one_step_error():
    dataset = make_dataset(DEFAULT_CONFIG.replace(lookback=4))
    model = LinearAutoregression(dataset.train_windows[:50] + 0.01, dataset.train_targets[:50])  # slightly off

    def damped(windows):
        return 0.9 * model(windows)

    errors = horizon_rmse(damped, dataset.test_windows, dataset.test_targets)
    assert errors.shape == (-(-dataset.n_test // 2),)
    np.testing.assert_allclose(errors, reference_horizon(damped, dataset.test_windows, dataset.test_targets))
    assert errors[0] == pytest.approx(rmse(dataset.test_targets, damped(dataset.test_windows)))
    assert errors[-1] > errors[0]  # a damped model falls further behind the further it looks


def test_horizon_rmse_refuses_mismatched_input():
    with pytest.raises(ValueError, match="windows"):
        horizon_rmse(naive_predictor, np.ones((3, 2)), np.ones(4))
