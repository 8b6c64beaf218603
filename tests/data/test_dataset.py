import dataclasses
import math

import numpy as np
import pytest

from forecast.config import DEFAULT_CONFIG, Config
from forecast.config.expressions import ExpressionError
from forecast.data import (
    MissingUpload,
    StandardScaler,
    datasets,
    load_series,
    make_dataset,
    make_grid,
    make_series,
    make_windows,
    raw_series,
    series_fields,
    window_counts,
)
from forecast.data.split import split_counts
from forecast.data.transform import TransformChain


def original_split_train_test_set(ys, lookback=5, train_ratio=0.8):
    """The blog post's own loop, verbatim in behaviour."""
    sequence_data_x = []
    sequence_data_y = []
    for i in range(len(ys) - lookback):
        sequence_data_x.append(ys[i : i + lookback])
        sequence_data_y.append(ys[i + lookback])
    data_size = len(sequence_data_x)
    split_pos = int(data_size * train_ratio)
    return (
        sequence_data_x[:split_pos],
        sequence_data_y[:split_pos],
        sequence_data_x[split_pos:],
        sequence_data_y[split_pos:],
    )


def original_series():
    xs = [x * 0.01 for x in range(-2000, 2000, 10)]
    ys = [x * math.sin(x) for x in xs]
    return xs, ys


def test_grid_matches_the_original():
    xs, ys = original_series()
    grid, values = make_series(DEFAULT_CONFIG)
    assert len(grid) == len(xs) == 400
    np.testing.assert_allclose(grid, xs, rtol=0, atol=1e-12)
    np.testing.assert_allclose(values, ys, rtol=0, atol=1e-11)
    assert grid[0] == -20.0 and abs(grid[-1] - 19.9) < 1e-12


def test_windows_and_split_match_the_original_loop():
    _, ys = original_series()
    train_x, train_y, test_x, test_y = original_split_train_test_set(ys, lookback=5)
    dataset = make_dataset(DEFAULT_CONFIG)
    assert (dataset.n_train, dataset.n_test) == (316, 79)
    assert len(dataset.windows) == 395
    np.testing.assert_allclose(dataset.train_windows, np.array(train_x), atol=1e-11)
    np.testing.assert_allclose(dataset.train_targets, np.array(train_y), atol=1e-11)
    np.testing.assert_allclose(dataset.test_windows, np.array(test_x), atol=1e-11)
    np.testing.assert_allclose(dataset.test_targets, np.array(test_y), atol=1e-11)
    xs, _ = original_series()
    np.testing.assert_allclose(dataset.test_xs, xs[-79:], atol=1e-12)


@pytest.mark.parametrize(("n", "lookback", "ratio"), [(20, 1, 0.5), (37, 6, 0.8), (100, 30, 0.1), (53, 2, 0.95)])
def test_windows_and_split_match_the_original_loop_for_other_sizes(n, lookback, ratio):
    values = np.random.default_rng(n).normal(size=n)
    expected = original_split_train_test_set(list(values), lookback=lookback, train_ratio=ratio)
    windows, targets = make_windows(values, lookback)
    assert windows.shape == (n - lookback, lookback)
    n_train, n_test = split_counts(n, lookback, TransformChain(), train_ratio=ratio)
    assert n_train + n_test == len(windows)
    parts = (windows[:n_train], targets[:n_train], windows[n_train:], targets[n_train:])
    for got, want in zip(parts, expected, strict=True):
        np.testing.assert_array_equal(got, np.array(want).reshape(got.shape))


def test_make_windows_refuses_too_long_lookback():
    with pytest.raises(ValueError, match="lookback 5 needs at least 6 values"):
        make_windows(np.arange(5.0), 5)


def test_scaler_is_fitted_on_training_values_only():
    config = Config(expression="x", x_start=0.0, x_end=10.0, x_step=0.1, lookback=5)  # 100 points, rising
    dataset = make_dataset(config)
    seen_in_training = dataset.ys[: dataset.n_train + config.lookback]
    assert dataset.scaler.mean == pytest.approx(seen_in_training.mean())
    assert dataset.scaler.std == pytest.approx(seen_in_training.std())
    # The whole series has a larger mean: fitting on it would have leaked the test part.
    assert dataset.scaler.mean < dataset.ys.mean() - 0.5


def test_scaler_round_trip_and_constant_series():
    scaler = StandardScaler.fit(np.array([1.0, 2.0, 3.0]))
    values = np.array([-5.0, 0.0, 7.5])
    np.testing.assert_allclose(scaler.inverse(scaler.transform(values)), values, atol=1e-12)
    constant = StandardScaler.fit(np.full(10, 4.0))
    assert constant.std == 1.0
    np.testing.assert_allclose(constant.transform(np.full(3, 4.0)), 0.0)


def test_no_scaling_is_identity():
    dataset = make_dataset(DEFAULT_CONFIG.replace(scaling="none"))
    assert dataset.scaler == StandardScaler.identity()


def test_noise_is_seeded():
    noisy = DEFAULT_CONFIG.replace(noise=0.5)
    _, first = make_series(noisy)
    _, again = make_series(noisy)
    _, other_seed = make_series(noisy.replace(seed=1))
    _, clean = make_series(DEFAULT_CONFIG)
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, other_seed)
    assert 0.4 < np.std(first - clean) < 0.6


def test_nan_in_series_is_reported_with_x():
    with pytest.raises(ExpressionError, match="NaN at x = -20"):
        make_dataset(DEFAULT_CONFIG.replace(expression="sqrt(x)"))


def test_grid_excludes_the_end():
    grid = make_grid(Config(x_start=0.0, x_end=2.0, x_step=0.1))
    assert len(grid) == 20 and grid[-1] == pytest.approx(1.9)


# --- other sources ------------------------------------------------------------------------------------------

UPLOAD = ("t,level\n" + "".join(f"{index},{np.cos(index / 4):.5f}\n" for index in range(60))).encode()
UPLOAD_CONFIG = Config(source="upload", upload=datasets.content_hash(UPLOAD), x_column="t", lookback=4)


def test_dataset_source():
    dataset = make_dataset(Config(source="dataset", dataset="lake_huron", lookback=4))
    assert len(dataset.ys) == 98 and dataset.xs[0] == 1875.0
    assert dataset.n_train + dataset.n_test == 94


def test_upload_source_needs_the_file_and_checks_its_hash():
    dataset = make_dataset(UPLOAD_CONFIG, UPLOAD)
    np.testing.assert_allclose(dataset.ys, np.round(np.cos(np.arange(60) / 4), 5))
    np.testing.assert_array_equal(dataset.xs, np.arange(60.0))
    with pytest.raises(MissingUpload, match="upload the same file"):
        make_dataset(UPLOAD_CONFIG)
    with pytest.raises(ValueError, match="does not match"):
        make_dataset(UPLOAD_CONFIG, UPLOAD + b"1,2\n")


def test_split_is_checked_against_the_real_length_of_a_file():
    with pytest.raises(ValueError, match="lookback 58"):
        make_dataset(UPLOAD_CONFIG.replace(lookback=58), UPLOAD)


def test_noise_is_added_after_reading_and_raw_series_is_without_it():
    noisy = UPLOAD_CONFIG.replace(noise=0.1)
    _, raw = raw_series(noisy, UPLOAD)
    dataset = make_dataset(noisy, UPLOAD)
    assert 0.05 < np.std(dataset.ys - raw) < 0.15


# --- facts that need the series: the split and the training budget ------------------------------------------


def test_window_counts_match_the_original():
    assert window_counts(DEFAULT_CONFIG, 400) == (316, 79)


def test_lookback_that_leaves_no_test_window_says_the_largest_that_works():
    with pytest.raises(ValueError) as caught:
        make_dataset(Config(x_start=0.0, x_end=2.0, x_step=0.1, lookback=19))
    message = str(caught.value)
    assert "lookback 19" in message and "leaves" in message
    # With 20 points and ratio 0.8 the largest lookback leaving ≥ 2 train and ≥ 1 test windows is 17.
    assert "a lookback of at most 17" in message and "20 points" in message
    assert "a wider x range or a smaller step" in message
    make_dataset(Config(x_start=0.0, x_end=2.0, x_step=0.1, lookback=17))


def test_cost_budget_names_the_knob_to_turn_down():
    with pytest.raises(ValueError) as caught:
        make_dataset(Config(layers=5, units=256, epochs=1000, lookback=100, x_step=0.01))
    message = str(caught.value)
    assert "budget" in message and "lower epochs (at most" in message
    with pytest.raises(ValueError, match=r"optimizer steps.*raise batch_size"):
        make_dataset(Config(batch_size=1, epochs=400, units=1, layers=1))


def test_the_budget_counts_every_network_of_an_ensemble():
    make_dataset(Config(units=128))  # within the budget alone …
    with pytest.raises(ValueError, match="ensemble size"):
        make_dataset(Config(units=128, ensemble=5))  # … but not five times over


def test_a_bundled_series_too_short_for_the_lookback_says_so():
    with pytest.raises(ValueError, match=r"lookback 71 .* \(72 points\).*a longer series"):
        make_dataset(Config(source="dataset", dataset="us_accidental_deaths", lookback=71))


def test_one_loaded_series_serves_every_member_of_an_ensemble():
    config = Config(source="dataset", dataset="lake_huron", lookback=4, ensemble=3)
    series = load_series(config)
    whole = make_dataset(config, series=series)
    for member in config.members():
        member_dataset = make_dataset(member, series=series)
        np.testing.assert_array_equal(member_dataset.ys, whole.ys)
    np.testing.assert_array_equal(whole.raw_ys, series.ys)


# One value per field that changes it from the default, and stays valid for a small series of every source.
FIELD_CHANGES = {
    "source": "dataset",
    "expression": "x*cos(x)",
    "dataset": "lake_huron",
    "upload": "0" * 64,
    "value_column": "w",
    "x_column": "t",
    "x_start": -19.0,
    "x_end": 19.0,
    "x_step": 0.2,
    "noise": 0.3,
    "lookback": 6,
    "train_ratio": 0.7,
    "layers": 2,
    "units": 8,
    "dense_layers": 1,
    "dropout": 0.1,
    "scaling": "none",
    "epochs": 20,
    "batch_size": 16,
    "learning_rate": 0.01,
    "schedule": "constant",
    "seed": 5,
    "ensemble": 2,
    "transform": "log",
    "difference": 1,
    "seasonal_difference": 1,
    "season_length": 4,
    "test_size": 10,
    "patience": 5,
    "validation_ratio": 0.2,
    "fill": "interpolate",
    "horizon": 6,
    "backtest_windows": 2,
    "interval": 80,
    "strategy": "direct",
    "snapshot_every": 5,
}
# Changes this test cannot make alone: log needs positive values (these series cross 0), seasonal differencing
# needs a season length, and a fill mode changes only a file with empty cells, which the default fill refuses
# (tests/test_real_series.py covers each).
NOT_ALONE = {"transform", "seasonal_difference", "fill"}
SERIES_CSV = ("t,v,w\n" + "".join(f"{2 * index},{index % 7},{index % 5}\n" for index in range(80))).encode()


@pytest.mark.parametrize("source", ["expression", "dataset", "upload"])
@pytest.mark.parametrize("noise", [0.0, 0.2])
def test_series_fields_are_exactly_the_fields_that_change_the_series(source, noise):
    assert set(FIELD_CHANGES) == {field.name for field in dataclasses.fields(Config)}, "a new field needs a change"
    base = DEFAULT_CONFIG.replace(source=source, noise=noise, upload=datasets.content_hash(SERIES_CSV), lookback=3)
    xs, ys = make_series(base, SERIES_CSV)
    for name, value in FIELD_CHANGES.items():
        if name in {"source", "upload"} | NOT_ALONE:
            continue  # A different source or file is a different series by definition.
        if name == "ensemble" and noise > 0:
            continue  # Config refuses an ensemble with noise: its members would not share one series.
        changed = base.replace(**{name: value})
        new_xs, new_ys = make_series(changed, SERIES_CSV)
        same = np.array_equal(xs, new_xs) and np.array_equal(ys, new_ys)
        assert same == (series_fields(changed) == series_fields(base)), (name, source, noise)
