"""Real-series settings end to end: transform fields, holdout, early stopping, fill, classical baselines, CLI."""

from __future__ import annotations

import json

import keras
import numpy as np
import pandas as pd
import pytest

from forecast.cli import main
from forecast.config import Config
from forecast.data import datasets, make_dataset, make_windows
from forecast.models.lstm.network import build_model
from forecast.models.lstm.trainer import EarlyStopping, train
from forecast.report import tables
from forecast.run import pipeline, recipe
from forecast.run.result import Result
from tests.conftest import make_fake_result

# A tiny network on the smallest bundled monthly series, with the whole real-series chain.
DEATHS = {
    "source": "dataset",
    "dataset": "us_accidental_deaths",
    "transform": "log",
    "difference": 1,
    "seasonal_difference": 1,
    "season_length": 12,
    "test_size": 12,
    "lookback": 6,
    "layers": 1,
    "units": 4,
    "epochs": 2,
    "batch_size": 16,
}


def test_the_new_fields_check_themselves():
    with pytest.raises(ValueError, match="season of one step is no season"):
        Config(season_length=1)
    with pytest.raises(ValueError, match="seasonal differencing needs a season length"):
        Config(seasonal_difference=1)
    with pytest.raises(ValueError, match="transform must be one of none, log"):
        Config(transform="sqrt")
    with pytest.raises(ValueError, match=r"validation_ratio 0\.6 is above the maximum of 0\.5"):
        Config(validation_ratio=0.6)
    # fill belongs to uploaded files: for other sources it goes back to its default, like the other file fields.
    assert Config(fill="interpolate").fill == "none"


def test_windows_are_cut_from_the_transformed_series_and_the_holdout_is_the_last_steps():
    config = Config(**DEATHS)
    dataset = make_dataset(config)
    ys = datasets.load("us_accidental_deaths").ys
    assert dataset.n_test == 12 and dataset.n_train == 72 - 13 - 6 - 12
    # Reference: log, then (1 − B)(1 − B¹²), written out as a plain loop.
    logs = np.log(ys)
    changes = np.array([logs[t] - logs[t - 1] - logs[t - 12] + logs[t - 13] for t in range(13, 72)])
    windows, targets = make_windows(changes, 6)
    np.testing.assert_allclose(dataset.train_windows, windows[: dataset.n_train], rtol=0, atol=1e-12)
    np.testing.assert_allclose(dataset.test_targets, targets[-12:], rtol=0, atol=1e-12)
    assert dataset.first_target == 13 + 6 and dataset.origin == 60


def test_bad_combinations_get_one_sentence_and_nothing_trains():
    message = r"the log transform needs values above 0, but row 13 \(x = -18.8\) is -0.93127"
    with pytest.raises(ValueError, match=message):
        make_dataset(Config(transform="log"))
    with pytest.raises(ValueError, match="season length 80 does not fit in the training part"):
        make_dataset(Config(source="dataset", dataset="us_accidental_deaths", season_length=80, lookback=6))
    with pytest.raises(ValueError, match="drops the first 13 values, so lookback 50 leaves"):
        make_dataset(Config(**(DEATHS | {"lookback": 50})))


def test_pipeline_inverts_every_forecast_to_the_original_units():
    config = Config(**DEATHS)
    dataset = make_dataset(config)
    result = pipeline.compute(config, dataset)
    ys = dataset.ys
    assert result.models == ("lstm", "naive", "linear_ar", "seasonal_naive", "arima", "ets")
    np.testing.assert_array_equal(result.test_targets, ys[-12:])
    # The linear AR on the transformed windows, inverted by hand: log ŷ[t] = ẑ[t] + log y[t−1] + log y[t−12] − …
    design = np.column_stack([dataset.train_windows, np.ones(dataset.n_train)])
    coefficients = np.linalg.lstsq(design, dataset.train_targets, rcond=None)[0]
    changes = dataset.windows @ coefficients[:-1] + coefficients[-1]
    logs = np.log(ys)
    expected = np.array(
        [
            np.exp(change + logs[t - 1] + logs[t - 12] - logs[t - 13])
            for change, t in zip(changes, range(dataset.first_target, 72), strict=True)
        ]
    )
    one_step = np.concatenate([result.fitted("linear_ar"), result.test_forecast("linear_ar", "one_step")])
    np.testing.assert_allclose(one_step, expected, rtol=1e-12)
    # Recursive: the first step is the one-step forecast; later steps build on the forecast's own values.
    recursive = result.test_forecast("linear_ar", "recursive")
    assert recursive[0] == pytest.approx(expected[-12], rel=1e-12)
    # Naive and seasonal naive, in original units whatever the transform.
    np.testing.assert_array_equal(result.test_forecast("naive", "recursive"), np.full(12, ys[-13]))
    np.testing.assert_array_equal(result.test_forecast("seasonal_naive", "recursive"), ys[-24:-12])
    np.testing.assert_array_equal(result.test_forecast("seasonal_naive", "one_step"), ys[-24:-12])
    assert np.isnan(result.fitted("arima")).all()
    for model in result.models:
        assert result.metrics[model]["recursive"]["mae"] == pytest.approx(
            float(np.mean(np.abs(result.test_forecast(model, "recursive") - ys[-12:])))
        )
        assert len(result.step_errors[model]) == 6
    # The extra models survive the cache's round trip.
    restored = Result.from_bytes(result.to_bytes())
    assert restored.models == result.models
    np.testing.assert_array_equal(restored.test_forecast("ets"), result.test_forecast("ets"))
    pd.testing.assert_frame_equal(restored.table(), result.table())
    # The horizon chart's first step is the one-step error, for transformed models too.
    one_step_rmse = result.metrics["lstm"]["one_step"]["rmse"]
    assert result.step_errors["lstm"][0] == pytest.approx(one_step_rmse, rel=1e-9)


def test_a_function_of_x_gets_no_arima_or_ets():
    config = Config(x_start=0.0, x_end=20.0, x_step=0.25, lookback=5, layers=1, units=4, epochs=1, season_length=8)
    result = pipeline.compute(config)
    assert result.models == ("lstm", "naive", "linear_ar", "seasonal_naive")


def test_early_stopping_keeps_the_best_epochs_weights():
    model = build_model(Config(lookback=3, layers=1, units=2))
    stopper = EarlyStopping(model, patience=2)
    weights_by_epoch = {}
    for epoch, val_loss in enumerate([3.0, 2.0, 2.5, 4.0, 1.0], start=1):
        model.set_weights([np.full_like(weight, epoch) for weight in model.get_weights()])
        weights_by_epoch[epoch] = model.get_weights()
        if stopper.update(epoch, val_loss):
            break
    assert epoch == 4 and stopper.best_epoch == 2  # two epochs without improvement after the second
    stopper.restore()
    for restored, kept in zip(model.get_weights(), weights_by_epoch[2], strict=True):
        np.testing.assert_array_equal(restored, kept)


def test_training_with_patience_stops_and_restores_the_best_epoch(tiny_config):
    config = tiny_config.replace(epochs=200, learning_rate=0.05, patience=3, validation_ratio=0.2)
    dataset = make_dataset(config)
    training = train(config, dataset.window_data())
    assert training.epochs_run < config.epochs
    assert training.best_epoch == training.epochs_run - config.patience
    assert training.val_loss[training.best_epoch - 1] == training.val_loss.min()
    # The model holds the best epoch's weights: its loss on the validation slice is that epoch's.
    n_fit = dataset.n_train - round(dataset.n_train * 0.2)
    scaler = dataset.scaler
    windows = scaler.transform(dataset.train_windows[n_fit:])[..., np.newaxis].astype(np.float32)
    predictions = keras.ops.convert_to_numpy(training.model(windows, training=False))[:, 0]
    loss = np.mean((predictions - scaler.transform(dataset.train_targets[n_fit:])) ** 2)
    assert loss == pytest.approx(training.val_loss.min(), rel=1e-4)


def test_fill_modes_reach_the_series_of_an_upload():
    rows = "\n".join(f"{day},{'' if day in (5, 9) else 10 + day}" for day in range(30))
    data = f"day,value\n{rows}\n".encode()
    base = Config(source="upload", upload=datasets.content_hash(data), value_column="value", x_column="day", lookback=3)
    with pytest.raises(ValueError, match="choose a fill mode"):
        make_dataset(base, data)
    filled = make_dataset(base.replace(fill="interpolate"), data)
    assert filled.ys[5] == 15.0 and filled.ys[9] == 19.0
    assert len(make_dataset(base.replace(fill="drop"), data).ys) == 28


def test_cli_flags_reach_the_json(capsys):
    flags = ["--source", "dataset", "--dataset", "us_accidental_deaths", "--json", "--no-cache"]
    flags += ["--transform", "log", "--difference", "1", "--seasonal-difference", "1", "--season-length", "12"]
    flags += ["--test-size", "12", "--lookback", "6", "--layers", "1", "--units", "4", "--epochs", "30"]
    flags += ["--patience", "2", "--validation-ratio", "0.2", "--learning-rate", "0.05"]
    assert main(flags) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["config"]["transform"] == "log" and summary["config"]["patience"] == 2
    assert summary["n_test"] == 12
    assert set(summary["metrics"]) == {"lstm", "naive", "linear_ar", "seasonal_naive", "arima", "ets"}
    assert summary["best_epoch"] <= summary["epochs_run"] <= 30


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--transform", "log"], "the log transform needs values above 0, but row 13"),
        (["--season-length", "1"], "a season of one step is no season"),
        (["--source", "dataset", "--season-length", "200", "--test-size", "12"], "does not fit in the training part"),
    ],
)
def test_bad_real_series_flags_exit_2(flags, message, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main([*flags, "--epochs", "1"])
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


def test_cli_preset_real_applies_the_recipe(capsys, monkeypatch):
    flags = ["--source", "dataset", "--dataset", "us_accidental_deaths", "--preset", "real", "--json", "--no-cache"]
    with pytest.raises(SystemExit) as exit_info:
        main([*flags, "--preset", "imaginary"])
    assert exit_info.value.code == 2
    capsys.readouterr()
    # The recipe as it is, with fewer epochs and units so that its five networks train in seconds.
    monkeypatch.setitem(recipe.RECIPE_NETWORK, "epochs", 2)
    monkeypatch.setitem(recipe.RECIPE_NETWORK, "units", 4)
    assert main(flags) == 0
    summary = json.loads(capsys.readouterr().out)
    config = summary["config"]
    assert config["season_length"] == 12 and config["ensemble"] == 5 and summary["n_test"] == 12
    # A future of one season, three backtest windows, 80 % intervals: 5 members × 4 folds.
    assert (config["horizon"], config["backtest_windows"], config["interval"]) == (12, 3, 80)
    assert summary["ensemble"]["size"] == 5 and summary["networks"] == 20 == summary["networks_trained"]
    assert len(summary["backtest"]["windows"]) == 3 and summary["backtest"]["windows"][-1]["origin"] == "1977-12-01"
    future = summary["future"]
    assert future["x"][0] == "1979-01-01" and future["x"][-1] == "1979-12-01" and "truth" not in future
    assert set(future["models"]) == {"lstm", "naive", "seasonal_naive", "linear_ar", "arima", "ets"}
    for model, block in future["models"].items():
        assert len(block["forecast"]) == 12 and len(block["lower"]) == 12, model
        assert block["interval"] == ("library" if model in ("arima", "ets") else "conformal")
    # Flags typed explicitly win over the preset.
    assert main([*flags, "--ensemble", "1", "--epochs", "3", "--lookback", "7", "--backtest-windows", "1"]) == 0
    typed = json.loads(capsys.readouterr().out)["config"]
    assert (typed["ensemble"], typed["epochs"], typed["lookback"], typed["backtest_windows"]) == (1, 3, 7, 1)
    assert typed["seasonal_difference"] == 1 and typed["horizon"] == 12  # the rest still from the preset


def test_the_reading_names_the_best_model_by_recursive_error(tiny_config):
    scores = {"lstm": 3.0, "naive": 9.0, "linear_ar": 4.0, "seasonal_naive": 5.0, "arima": 2.0, "ets": 2.5}
    result = make_fake_result(tiny_config, misses=scores)
    assert "the best recursive forecast is the AutoARIMA's (MAE 2), ahead of the AutoETS's (2.5)" in tables.reading(
        result
    )
    # Names in the sentence carry no brackets of their own: "the linear AR's (MAE 1.5)", not "(least squares)'s".
    sentence = tables.best_recursive(make_fake_result(tiny_config, misses=scores | {"linear_ar": 1.5}))
    assert sentence.endswith("the best recursive forecast is the linear AR's (MAE 1.5), ahead of the AutoARIMA's (2).")
