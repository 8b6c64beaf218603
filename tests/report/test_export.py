import ast
import json
import subprocess
import sys

import numpy as np
import pytest

from forecast.config import Config
from forecast.data import datasets
from forecast.report import export
from forecast.run.pipeline import run, run_all
from tests.conftest import TINY


def test_script_is_valid_python_with_the_expression_as_numpy():
    script = export.standalone_script(Config(expression="x*sin(x) + sign(x)"))
    ast.parse(script)
    assert "y = ((x * np.sin(x)) + np.sign(x))" in script
    assert "LOOKBACK = 5" in script and "keras.layers.LSTM(32, return_sequences=True" in script
    assert "eval(" not in script and "exec(" not in script


def test_dataset_script_embeds_the_values():
    config = Config(source="dataset", dataset="lake_huron", lookback=4)
    script = export.standalone_script(config, datasets.load("lake_huron").ys)
    ast.parse(script)
    assert "580.38" in script and "98 values" in script
    with pytest.raises(ValueError, match="needs its values"):
        export.standalone_script(config)


def test_dropout_and_dense_layers_appear():
    script = export.standalone_script(Config(layers=2, dropout=0.2, dense_layers=1))
    assert "keras.layers.Dropout(0.2)" in script and 'keras.layers.Dense(32, activation="relu")' in script


def run_script(script: str, folder) -> dict:
    """Run an exported script in a fresh interpreter; the JSON of metrics it prints last."""
    path = folder / "run.py"
    path.write_text(script)
    completed = subprocess.run([sys.executable, str(path)], capture_output=True, text=True, timeout=300)
    assert completed.returncode == 0, completed.stderr
    return json.loads(completed.stdout.strip().splitlines()[-1])


def assert_same_metrics(printed: dict, expected: dict) -> None:
    for kind in ("one_step", "recursive"):
        for name in ("rmse", "mae", "r2", "mase"):
            np.testing.assert_allclose(printed[kind][name], expected[kind][name], rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize(
    "changes",
    [{}, {"scaling": "none", "layers": 2, "noise": 0.2}, {"strategy": "direct", "dense_layers": 1}],
    ids=["default", "unscaled-noisy", "direct"],
)
def test_exported_script_reproduces_the_apps_metrics(changes, tmp_path):
    config = Config(**TINY).replace(epochs=3, **changes)
    script = export.standalone_script(config)
    assert f"STRATEGY = {config.strategy!r}" in script
    printed = run_script(script, tmp_path)
    assert_same_metrics(printed, run(config).metrics["lstm"])


# The real-series levers on their bundled series: log with first and seasonal differences and a 12-month holdout
# where early stopping ends the training early (so the best epoch's weights are restored); a second difference on
# the train-ratio split.
AIRLINE_REAL = Config(
    source="dataset",
    dataset="airline_passengers",
    lookback=12,
    layers=1,
    units=4,
    epochs=20,
    batch_size=16,
    learning_rate=0.01,
    schedule="constant",
    transform="log",
    difference=1,
    seasonal_difference=1,
    season_length=12,
    test_size=12,
    patience=2,
)
LAKE_SECOND_DIFFERENCE = Config(
    source="dataset", dataset="lake_huron", lookback=4, layers=1, units=4, epochs=3, batch_size=16, difference=2
)


@pytest.mark.parametrize(
    "config",
    [AIRLINE_REAL, AIRLINE_REAL.replace(strategy="direct"), LAKE_SECOND_DIFFERENCE],
    ids=["airline-log-d1-sd1", "airline-log-d1-sd1-direct", "lake-d2"],
)
def test_exported_script_reproduces_transforms_holdout_and_early_stopping(config, tmp_path):
    script = export.standalone_script(config, datasets.load(config.dataset).ys)
    expected = run(config)
    if config.patience:
        # The config must exercise the early stop, or the restoring of the best weights goes untested.
        assert expected.best_epoch < len(expected.loss) < config.epochs
        assert f"PATIENCE = {config.patience}" in script
    printed = run_script(script, tmp_path)
    assert_same_metrics(printed, expected.metrics["lstm"])


def test_exported_script_of_a_filled_upload_reproduces_the_app(tmp_path):
    values = [
        "" if index in (3, 4, 50) else f"{200 + 20 * np.sin(index * np.pi / 6) + index:.2f}" for index in range(60)
    ]
    data = (
        "month,sales\n" + "".join(f"{2000 + i // 12}-{i % 12 + 1:02d},{v}\n" for i, v in enumerate(values))
    ).encode()
    config = Config(
        source="upload",
        upload=datasets.content_hash(data),
        value_column="sales",
        x_column="month",
        fill="interpolate",
        lookback=6,
        layers=1,
        units=4,
        epochs=6,
        batch_size=8,
        transform="log",
        seasonal_difference=1,
        season_length=12,
        patience=3,
        validation_ratio=0.2,
    )
    series = datasets.read_csv(data, "sales", "month", fill="interpolate")
    script = export.standalone_script(config, series.ys)
    assert "empty cells filled (interpolate)" in script and "nan" not in script
    printed = run_script(script, tmp_path)
    assert_same_metrics(printed, run(config, upload=data).metrics["lstm"])


@pytest.mark.parametrize("strategy", ["recursive", "direct"])
def test_exported_script_reproduces_the_backtest_windows_and_the_future(strategy, tmp_path):
    # With the direct strategy the head covers each window's 15 test values, and the 4 of the future.
    config = Config(**TINY).replace(epochs=3, horizon=4, backtest_windows=2, strategy=strategy)
    printed = run_script(export.standalone_script(config), tmp_path)
    run = run_all(config)
    assert len(printed["backtest"]) == 2
    for window, scores in zip(run.windows, printed["backtest"], strict=True):
        assert_same_metrics(scores, window.metrics["lstm"])
    np.testing.assert_allclose(printed["future"]["forecast"], run.future.future("lstm"), rtol=1e-4, atol=1e-5)
    # A function of x: the script scores its future against the function, as the app does.
    np.testing.assert_allclose(printed["future"]["truth"], run.future.truth, rtol=1e-12)
    np.testing.assert_allclose(
        printed["future"]["metrics"]["mase"], run.future.future_metrics["lstm"]["mase"], rtol=1e-4
    )


def test_exported_script_reproduces_the_snapshots(tmp_path):
    config = Config(**TINY).replace(epochs=4, snapshot_every=2, horizon=3)
    printed = run_script(export.standalone_script(config), tmp_path)
    expected = run_all(config)
    for shown, result in ((printed["snapshots"], expected.result), (printed["future"]["snapshots"], expected.future)):
        assert [snapshot["epoch"] for snapshot in shown] == [snapshot.epoch for snapshot in result.snapshots] == [2, 4]
        for mine, theirs in zip(shown, result.snapshots, strict=True):
            np.testing.assert_allclose(mine["loss"], theirs.loss, rtol=1e-4)
            np.testing.assert_allclose(mine["val_loss"], theirs.val_loss, rtol=1e-4)
            for kind in ("one_step", "recursive", "future"):
                if kind in mine:
                    np.testing.assert_allclose(mine[kind], getattr(theirs, kind), rtol=1e-4, atol=1e-5)
