"""Shared fixtures: a tiny config that trains in about a second, and an isolated cache folder."""

from __future__ import annotations

import pytest

from forecast.config import Config

# Few points, one small layer, two epochs: enough to exercise every code path in seconds.
TINY = {
    "x_start": -10.0,
    "x_end": 10.0,
    "x_step": 0.25,
    "lookback": 5,
    "layers": 1,
    "units": 4,
    "epochs": 2,
    "batch_size": 16,
}


# Bad input of every kind, as changes to the tiny config, with the part of the message that must explain it.
# Used by the command-line and the app tests: both must refuse each with a clear message.
BAD_INPUTS = [
    pytest.param({"x_step": 0.0}, "x_step must be greater than 0", id="step-zero"),
    pytest.param({"x_step": 10.0}, "holds 2 points", id="no-points"),
    pytest.param({"x_end": -10.0}, "must be greater than x_start", id="empty-range"),
    pytest.param({"x_start": float("nan")}, "finite", id="nan-start"),
    pytest.param({"lookback": 79}, "leaves", id="lookback-too-long"),
    pytest.param({"lookback": 101}, "above the maximum of 100", id="lookback-over-bound"),
    pytest.param({"x_end": -5.0, "train_ratio": 0.1}, "a train ratio of at least 0.14", id="empty-train-side"),
    pytest.param({"x_end": -5.0, "lookback": 19}, "fewer than 2 training windows (0) of 1 windows", id="no-windows"),
    pytest.param({"expression": "log(x)"}, "NaN at x = -10", id="nan-series"),
    pytest.param({"expression": "1/x"}, "infinite at x = 0", id="infinite-series"),
    pytest.param({"expression": "x +"}, "not a valid expression", id="syntax"),
    pytest.param({"expression": "__import__('os').system('id')"}, "__import__", id="escape"),
    pytest.param({"epochs": 1000, "units": 256, "layers": 5}, "budget", id="over-budget"),
    pytest.param({"dropout": 0.95}, "above the maximum of 0.9", id="dropout-over-bound"),
]


@pytest.fixture
def tiny_config() -> Config:
    return Config(**TINY)


@pytest.fixture(autouse=True)
def isolated_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch):
    """Every test gets its own cache folder, so no test sees another's results or the user's."""
    folder = tmp_path_factory.mktemp("cache")
    monkeypatch.setenv("FORECAST_CACHE_DIR", str(folder))
    return folder
