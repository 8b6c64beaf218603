"""Shared fixtures: a tiny config that trains in about a second, results shaped like real ones, a cache folder."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from forecast.config import Config
from forecast.data import sources, window_counts
from forecast.evaluation import backtest
from forecast.models.registry import MODEL_NAMES
from forecast.run.result import Result

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


def make_fake_result(config: Config, size: int = 0, misses: dict[str, float] | None = None) -> Result:
    """Plain data shaped like a real result of an expression config, with `size` bytes of model: no training.

    Every model's test forecasts miss the actual values by exactly 1 (RMSE and MAE 1.0), or by `misses[model]`
    for the models named there (which are then the result's models); the training fit misses by 0.5.
    """
    misses = misses if misses is not None else dict.fromkeys(MODEL_NAMES, 1.0)
    n = sources.ExpressionSource().n_points(config)
    n_train, n_test = window_counts(config, n)
    first_target = n - n_train - n_test
    ys = np.sin(np.arange(n, dtype=float))
    kind, origins, steps, _ = backtest._index(first_target, n - n_test, n_test, backtest.rolling_steps(n_test))
    targets = origins + steps - 1
    is_fit = kind == backtest.KINDS.index("fit")
    return Result(
        config=config,
        xs=np.arange(n, dtype=float),
        ys=ys,
        n_train=n_train,
        n_test=n_test,
        forecasts=backtest.Forecasts(
            kind, origins, steps, {m: ys[targets] + np.where(is_fit, 0.5, miss) for m, miss in misses.items()}
        ),
        loss=np.array([1.0, 0.5]),
        val_loss=np.array([1.5, 0.7]),
        learning_rate=np.array([0.01, 0.005]),
        fit_seconds=1.0,
        model_bytes=b"PK" + bytes(size),
        versions={"keras": "test"},
    )


@pytest.fixture
def fake_result() -> Callable[..., Result]:
    """`make_fake_result`: a result of any expression config without training, for cache, plot and table tests."""
    return make_fake_result
