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


@pytest.fixture
def tiny_config() -> Config:
    return Config(**TINY)


@pytest.fixture(autouse=True)
def isolated_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch):
    """Every test gets its own cache folder, so no test sees another's results or the user's."""
    folder = tmp_path_factory.mktemp("cache")
    monkeypatch.setenv("FORECAST_CACHE_DIR", str(folder))
    return folder
