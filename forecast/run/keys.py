"""How results are found again: the cache key of a config, and the store the results are kept in."""

from __future__ import annotations

import functools
import importlib.metadata
from typing import Protocol

from forecast.config import Config, config_hash
from forecast.run.result import Result

__all__ = ["TRAINING_CODE_VERSION", "ResultStore", "library_versions", "result_key"]

# Bump whenever a change to data, training or forecasting would change the numbers for the same config: it is
# part of every cache key, so results from older code are never served as current ones.
TRAINING_CODE_VERSION = "6"


class ResultStore(Protocol):
    """Where results are kept by key (`forecast.run.cache.ResultCache`)."""

    def get(self, key: str, warnings: list[str] | None = None) -> Result | None: ...

    def put(self, key: str, result: Result, warnings: list[str] | None = None) -> None: ...


@functools.cache
def library_versions() -> dict[str, str]:
    """The installed versions of the libraries whose numbers a result depends on."""
    # Read from package metadata rather than by importing TensorFlow, which would cost seconds.
    versions: dict[str, str] = {}
    for package in ("keras", "tensorflow-cpu", "tensorflow", "numpy"):
        try:
            versions[package] = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            continue
    return versions


def result_key(config: Config) -> str:
    """The cache key of a config: its canonical hash with the training code's and libraries' versions."""
    version = TRAINING_CODE_VERSION + ";" + ";".join(f"{k}={v}" for k, v in sorted(library_versions().items()))
    return config_hash(config, version)
