"""How results are found again: the cache key of a config, and the store the results are kept in."""

from __future__ import annotations

import dataclasses
import functools
import importlib.metadata
from typing import Protocol

from forecast.config import DEFAULT_CONFIG, Config, config_hash
from forecast.data import Fold
from forecast.run.result import Result

__all__ = ["RUN_WIDE_FIELDS", "TRAINING_CODE_VERSION", "ResultStore", "Task", "library_versions", "result_key", "tasks"]

# Config fields that say which folds a run has (and how its intervals are drawn), not what one network computes.
RUN_WIDE_FIELDS = ("horizon", "backtest_windows", "interval")

# Bump whenever a change to data, training or forecasting would change the numbers for the same config: it is
# part of every cache key, so results from older code are never served as current ones. (7: a result holds the
# tidy table of its forecasts, and the folds of a backtest and the future are results of their own. 8: the
# trained network forecasts with the fused LSTM op, which rounds differently from Keras's cell in the last bits.)
TRAINING_CODE_VERSION = "8"


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


def result_key(config: Config, fold: Fold | None = None) -> str:
    """The cache key of one network's run: its config's canonical hash with the training code's and libraries'
    versions, and the fold (a backtest window or the future; today's holdout adds nothing)."""
    version = TRAINING_CODE_VERSION + ";" + ";".join(f"{k}={v}" for k, v in sorted(library_versions().items()))
    return config_hash(config, version, fold.key() if fold is not None else None)


@dataclasses.dataclass(frozen=True)
class Task:
    """One network to train and evaluate: an ensemble member's config on one fold of the series.

    The config has the run-wide fields (horizon, backtest windows, interval) at their defaults: they decide which
    folds a run has, not what one fold computes, so a holdout trained before is found again when they change."""

    config: Config
    fold: Fold = dataclasses.field(default_factory=Fold)

    @property
    def key(self) -> str:
        return result_key(self.config, self.fold)


def tasks(config: Config, folds: list[Fold]) -> list[Task]:
    """Every network of a run, fold by fold (the backtest windows oldest first, then the future), member by member."""
    network = config.replace(**{name: getattr(DEFAULT_CONFIG, name) for name in RUN_WIDE_FIELDS})
    return [Task(member, fold) for fold in folds for member in network.members()]
