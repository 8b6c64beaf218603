"""The direct strategy: a multi-step output head (forecast/models/window.py, linear.py, lstm/), and the promise
that the default recursive strategy keeps its numbers."""

import numpy as np
import pytest

from forecast.config import Config
from forecast.data import TransformChain, datasets, make_windows
from forecast.models.linear import LinearAR
from forecast.models.lstm import forecaster as lstm_forecaster
from forecast.models.lstm.forecaster import LSTMForecaster
from forecast.models.window import direct_windows, roll_forward
from forecast.run.pipeline import run
from tests.conftest import TINY

DIRECT = Config(
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
    strategy="direct",
)


def airline():
    values = datasets.load("airline_passengers").ys
    return values[:-12], values[-12:]


def loop_windows(values, lookback, steps):
    """Every window with all `steps` values after it inside `values`: a plain loop."""
    windows, targets = [], []
    for start in range(len(values) - lookback - steps + 1):
        windows.append(values[start : start + lookback])
        targets.append(values[start + lookback : start + lookback + steps])
    return np.array(windows), np.array(targets)


def test_direct_windows_are_the_next_steps_values():
    values = np.arange(20.0) ** 1.5
    windows, targets = direct_windows(values, 4, 3)
    want_windows, want_targets = loop_windows(values, 4, 3)
    assert windows.shape == (14, 4) and targets.shape == (14, 3)
    np.testing.assert_array_equal(windows, want_windows)
    np.testing.assert_array_equal(targets, want_targets)
    # One step is the one-step windows of make_windows, targets as a column.
    one_windows, one_targets = make_windows(values, 4)
    np.testing.assert_array_equal(direct_windows(values, 4, 1)[0], one_windows)
    np.testing.assert_array_equal(direct_windows(values, 4, 1)[1][:, 0], one_targets)
    with pytest.raises(ValueError, match="need at least 9 values"):
        direct_windows(values[:8], 4, 5)


@pytest.fixture(scope="module")
def direct_lstm():
    """The direct LSTM fitted on airline's training part, with the data its trainer was given."""
    train, test = airline()
    seen = []
    real_train = lstm_forecaster.trainer.train

    def recording(config, data, progress=None, observer=None):
        seen.append(data)
        return real_train(config, data, progress=progress, observer=observer)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(lstm_forecaster.trainer, "train", recording)
        model = LSTMForecaster(DIRECT, watch=test, steps=12).fit(train)
    return model, seen[0]


def test_the_direct_network_trains_on_the_next_steps_values(direct_lstm):
    model, data = direct_lstm
    train, test = airline()
    transform = model.transform
    scaled = transform.scale(transform.apply(train))
    windows, targets = loop_windows(scaled, 12, 12)
    assert len(windows) == len(scaled) - 12 - 12 + 1
    np.testing.assert_allclose(data.train_windows, windows, rtol=1e-12)
    np.testing.assert_allclose(data.train_targets, targets, rtol=1e-12)
    # Watched: the one window whose 12 targets are all in the test part (the window at the origin).
    whole = transform.scale(transform.apply(np.concatenate([train, test])))
    np.testing.assert_allclose(data.watch_windows, whole[np.newaxis, -24:-12], rtol=1e-12)
    np.testing.assert_allclose(data.watch_targets, whole[np.newaxis, -12:], rtol=1e-12)
    assert model.training.model.output_shape == (None, 12)


def test_direct_forecasts_are_the_heads_outputs(direct_lstm):
    model, _ = direct_lstm
    train, test = airline()
    transform = model.transform
    head = model.predict_head(transform.apply(train)[np.newaxis, -12:])[0]
    forecast = model.forecast(12)
    assert forecast.shape == (12,)
    np.testing.assert_array_equal(forecast, transform.invert_recursive(train, head))
    np.testing.assert_array_equal(model.forecast(5), forecast[:5])
    # Longer than the head: the next chunk is the head's output from the window ending with the first chunk.
    longer = model.forecast(30)
    np.testing.assert_array_equal(longer[:12], forecast)
    chunks, changes = [head], transform.apply(train)
    while len(chunks) < 3:
        changes = np.concatenate([changes, chunks[-1]])
        chunks.append(model.predict_head(changes[np.newaxis, -12:])[0])
    np.testing.assert_allclose(longer, transform.invert_recursive(train, np.concatenate(chunks)[:30]), rtol=1e-12)
    # One step: the head's first output for each test value's window, in one batch.
    series = np.concatenate([train, test])
    windows = make_windows(transform.apply(series), 12)[0][-12:]
    first = transform.invert_one_step(series, model.predict_head(windows)[:, 0], len(train))
    np.testing.assert_allclose(model.one_step(test), first, rtol=1e-6)


def test_direct_paths_are_forecasts_after_the_observed_values(direct_lstm):
    model, _ = direct_lstm
    _, test = airline()
    paths = model.paths(test, 8)
    for origin in range(12):
        steps = min(8, 12 - origin)
        np.testing.assert_allclose(paths[origin, :steps], model.forecast(steps, observed=test[:origin]), rtol=1e-6)
        assert np.all(np.isnan(paths[origin, steps:]))


def test_a_head_too_long_for_the_training_part_is_refused():
    train, _ = airline()
    # 132 values − 12 seasonal − 12 lookback: 108 windows, so a head of 108 leaves only one.
    with pytest.raises(ValueError, match=r"head of 108 steps leaves 1 training windows.*at most 107 steps"):
        LinearAR(12, TransformChain(seasonal_difference=1, season_length=12), steps=108).fit(train)
    LinearAR(12, TransformChain(seasonal_difference=1, season_length=12), steps=107).fit(train)


def test_direct_linear_ar_is_least_squares_per_step():
    rng = np.random.default_rng(1)
    values = np.cumsum(rng.normal(size=80)) + 50
    chain = TransformChain(difference=1)
    model = LinearAR(4, chain, steps=3).fit(values[:70])
    changes = np.diff(values[:70])
    windows, targets = loop_windows(changes, 4, 3)
    design = np.column_stack([windows, np.ones(len(windows))])
    for step in range(3):
        solution = np.linalg.lstsq(design, targets[:, step], rcond=None)[0]
        np.testing.assert_allclose(model.coefficients[:, step], solution[:-1], rtol=1e-9, atol=1e-12)
        assert model.intercept[step] == pytest.approx(solution[-1], rel=1e-9, abs=1e-12)
    # Its forecast is the three steps from the last window, undifferenced onto the last true value.
    head = changes[-4:] @ model.coefficients + model.intercept
    np.testing.assert_allclose(model.forecast(3), values[69] + np.cumsum(head), rtol=1e-12)
    # And its paths are one forecast per origin, batched.
    test = values[70:]
    paths = model.paths(test, 3)
    for origin in range(10):
        steps = min(3, 10 - origin)
        np.testing.assert_allclose(paths[origin, :steps], model.forecast(steps, observed=test[:origin]), rtol=1e-12)


def test_a_head_of_one_step_is_the_recursive_model():
    train, test = airline()
    recursive, direct = LinearAR(12), LinearAR(12, steps=1)
    for model in (recursive, direct):
        model.fit(train)
    np.testing.assert_array_equal(recursive.coefficients, direct.coefficients)
    np.testing.assert_array_equal(recursive.paths(test, 6), direct.paths(test, 6), strict=True)
    # The LSTM too: a direct config whose head covers one step trains and forecasts like the recursive one.
    config = DIRECT.replace(strategy="recursive", epochs=1)
    one = LSTMForecaster(config.replace(strategy="direct"), steps=1).fit(train)
    np.testing.assert_array_equal(one.forecast(6), LSTMForecaster(config, steps=12).fit(train).forecast(6))


def test_roll_forward_in_any_order_matches_one_window_at_a_time():
    def predict(windows):
        return windows[:, -1] * 0.5 + windows[:, 0]

    windows = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    lengths = np.array([2, 4, 1])
    changes = roll_forward(predict, windows, lengths)
    assert changes.shape == (3, 4)
    for row, length in enumerate(lengths):
        window, want = list(windows[row]), []
        for _ in range(length):
            want.append(window[-1] * 0.5 + window[-2])
            window.append(want[-1])
        np.testing.assert_array_equal(changes[row, :length], want)
        assert np.all(np.isnan(changes[row, length:]))
    with pytest.raises(ValueError, match="step count ≥ 1"):
        roll_forward(predict, windows, np.array([1, 0, 2]))


# The tiny config's LSTM forecasts, computed before the direct strategy existed (recursive is the default): its
# numbers must not change. First values and sums, in the series' units.
RECURSIVE_BEFORE = {
    "fit": ([-0.26394942604703986, -0.09489703059729412, 0.0050283872937138055], -20.411204488825764),
    "one_step": ([-0.6988589335687677, -0.5579764045047322, -0.3972658378090262], -1.4853144428827678),
    "recursive": ([-0.6988589840971322, -0.5791933658201126, -0.48974724650687407], -6.123181508752201),
    "rolling": ([-0.6988589335687677, -0.5791933658201126, -0.4897471959785096], -29.21272693578406),
}


def test_the_recursive_strategy_keeps_its_numbers():
    result = run(Config(**TINY))
    assert result.config.strategy == "recursive"
    for kind, (first, total) in RECURSIVE_BEFORE.items():
        values = result.forecasts.get("lstm", kind)
        # Float32 kernels may round differently on another CPU; any change of the method moves them far more.
        np.testing.assert_allclose(values[:3], first, rtol=1e-5)
        assert float(np.sum(values)) == pytest.approx(total, rel=1e-5)
    np.testing.assert_allclose(result.loss, [1.05948007106781, 0.9324294924736023], rtol=1e-5)
    # The direct strategy is another model: it must give other numbers.
    direct = run(Config(**TINY, strategy="direct")).forecasts.get("lstm", "recursive")
    assert not np.allclose(direct, result.forecasts.get("lstm", "recursive"), rtol=1e-3)
