"""The Result as plain data (forecast/run/result.py)."""

import ast
import json
import pickle
from pathlib import Path

import numpy as np
import pytest

from forecast.config import DEFAULT_CONFIG
from forecast.data import holdout
from forecast.models.progress import EpochReport
from forecast.run.result import Result
from tests.conftest import make_fake_result


def test_holdout_is_the_last_n_values():
    np.testing.assert_array_equal(holdout(np.arange(10), 3), [7, 8, 9])
    with pytest.raises(ValueError, match="n_test must be at least 1"):
        holdout(np.arange(10), 0)


def test_test_forecast_is_the_test_part_of_either_kind():
    result = make_fake_result(DEFAULT_CONFIG)
    one_step = result.test_forecast("naive", "one_step")
    assert one_step.shape == (79,) and one_step[0] == result.ys[-79] + 1.0  # the fake misses by 1
    table = result.table()
    recursive = table[(table["model"] == "lstm") & (table["kind"] == "recursive")]
    np.testing.assert_array_equal(result.test_forecast("lstm", "recursive"), recursive["forecast"])
    assert recursive["step"].tolist() == list(range(1, 80)) and (recursive["origin"] == result.xs[-80]).all()
    np.testing.assert_array_equal(result.test_xs, result.xs[-79:])
    np.testing.assert_array_equal(result.train_target_xs, result.xs[5 : 5 + 316])
    with pytest.raises(ValueError, match="kind must be one of"):
        result.test_forecast("lstm", "two_step")


def test_bytes_round_trip_and_pickling():
    result = make_fake_result(DEFAULT_CONFIG, size=100)
    restored = Result.from_bytes(result.to_bytes())
    assert restored.config == result.config and restored.model_bytes == result.model_bytes
    np.testing.assert_array_equal(restored.learning_rate, result.learning_rate)
    assert restored.summary() == result.summary()
    assert pickle.loads(pickle.dumps(result)).summary() == result.summary()


def test_summary_writes_non_finite_numbers_as_null():
    result = make_fake_result(DEFAULT_CONFIG)
    result.metrics["lstm"]["recursive"]["rmse"] = float("inf")
    summary = result.summary()
    assert summary["metrics"]["lstm"]["recursive"]["rmse"] is None
    json.dumps(summary, allow_nan=False)


def test_epoch_report_is_frozen_typed_data():
    report = EpochReport(epoch=1, epochs=2, loss=0.5, val_loss=0.7, elapsed=0.1)
    assert pickle.loads(pickle.dumps(report)) == report
    with pytest.raises(AttributeError):
        report.epoch = 2  # type: ignore[misc]


def test_result_imports_neither_tensorflow_nor_the_pipeline():
    tree = ast.parse((Path(__file__).resolve().parents[2] / "forecast" / "run" / "result.py").read_text())
    imported = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    imported |= {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    assert imported <= {
        "__future__",
        "dataclasses",
        "io",
        "json",
        "collections.abc",
        "typing",
        "numpy",
        "functools",
        "pandas",
        "forecast.config",
        "forecast.data",
        "forecast.evaluation",
        "forecast.evaluation.backtest",
        "forecast.models.progress",  # plain data (the snapshots' type), no TensorFlow
    }
