"""The runs of a session, kept small: enough to list them, compare their forecasts and bring them back."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pandas as pd

from forecast.config import DEFAULT_CONFIG, Config, config_hash
from forecast.data import series_fields, sources
from forecast.run.result import Result

__all__ = ["MAX_RUNS", "ComparedRun", "History", "RunRecord", "describe"]

MAX_RUNS = 20


def describe(config: Config) -> str:
    """A short summary of a config: the data, then what differs from the defaults in the network and training."""
    data = sources.get(config.source).label(config)
    network = f"{config.layers}×{config.units} LSTM"
    details = [f"lookback {config.lookback}", network, f"{config.epochs} ep", f"seed {config.seed}"]
    shown = ("scaling", "dropout", "dense_layers", "learning_rate", "schedule", "batch_size", "noise", "train_ratio")
    shown += ("transform", "difference", "seasonal_difference", "season_length", "test_size", "patience", "fill")
    for name in shown:
        value = getattr(config, name)
        if value != getattr(DEFAULT_CONFIG, name):
            details.append(f"{name.replace('_', ' ')} {value}")
    if config.ensemble > 1:
        details.append(f"ensemble {config.ensemble}")
    return f"{data} · " + ", ".join(details)


# Short names for the history table's "best recursive" column.
_SHORT_NAMES = {
    "lstm": "LSTM",
    "naive": "naive",
    "linear_ar": "linear AR",
    "seasonal_naive": "seasonal naive",
    "arima": "ARIMA",
    "ets": "ETS",
}


def _best_recursive(metrics: dict[str, dict[str, dict[str, float]]]) -> str:
    """The model with the lowest recursive MAE and that MAE, e.g. "LSTM 10.5"."""
    scores = {model: kinds["recursive"]["mae"] for model, kinds in metrics.items()}
    finite = {model: value for model, value in scores.items() if value is not None and np.isfinite(value)}
    if not finite:
        return "none finite"
    best = min(finite, key=finite.__getitem__)
    return f"{_SHORT_NAMES.get(best, best)} {finite[best]:.4g}"


@dataclasses.dataclass(frozen=True)
class ComparedRun:
    """What the comparison chart needs of a run: its label and its test-part values and forecasts."""

    label: str
    test_xs: np.ndarray
    actual: np.ndarray
    one_step: np.ndarray
    recursive: np.ndarray
    series_key: str  # runs with the same key share one actual series


@dataclasses.dataclass(frozen=True)
class RunRecord:
    """One run as the history keeps it: its config, its numbers and its test forecasts (a few kB)."""

    number: int
    key: str
    config: Config
    metrics: dict[str, dict[str, dict[str, float]]]
    fit_seconds: float
    cached: bool
    test_xs: np.ndarray
    actual: np.ndarray
    one_step: np.ndarray
    recursive: np.ndarray

    @property
    def label(self) -> str:
        return f"#{self.number} {describe(self.config)}"

    def compared(self) -> ComparedRun:
        # Runs on the same series draw one actual curve between them.
        series_key = json.dumps(series_fields(self.config), sort_keys=True)
        return ComparedRun(self.label, self.test_xs, self.actual, self.one_step, self.recursive, series_key)


class History:
    """The session's runs, newest last, at most `limit` of them (the oldest go first)."""

    def __init__(self, limit: int = MAX_RUNS) -> None:
        if limit < 1:
            raise ValueError(f"limit must be at least 1, got {limit}")
        self.limit = limit
        self.records: list[RunRecord] = []
        self._next_number = 1

    def add(self, config: Config, result: Result) -> RunRecord:
        """Record a displayed run, once: the same config shown again returns its existing entry."""
        key = config_hash(config, "history")
        for record in self.records:
            if record.key == key:
                return record
        record = RunRecord(
            number=self._next_number,
            key=key,
            config=config,
            metrics=result.metrics,
            fit_seconds=result.fit_seconds,
            cached=result.cached,
            test_xs=result.test_xs,
            actual=result.test_targets,
            one_step=result.test_forecast("lstm", "one_step"),
            recursive=result.test_forecast("lstm", "recursive"),
        )
        self._next_number += 1
        self.records.append(record)
        del self.records[: max(0, len(self.records) - self.limit)]
        return record

    def remove(self, labels: list[str]) -> int:
        """Forget the runs with these labels; returns how many were removed."""
        before = len(self.records)
        self.records = [record for record in self.records if record.label not in set(labels)]
        return before - len(self.records)

    def by_label(self, labels: list[str]) -> list[RunRecord]:
        wanted = set(labels)
        return [record for record in self.records if record.label in wanted]

    def table(self) -> pd.DataFrame:
        """One row per run: what it was, how good, how long, and whether it came from the cache."""
        rows = [
            {
                "run": f"#{record.number}",
                "settings": describe(record.config),
                "one-step RMSE": record.metrics["lstm"]["one_step"]["rmse"],
                "recursive RMSE": record.metrics["lstm"]["recursive"]["rmse"],
                "linear AR one-step RMSE": record.metrics["linear_ar"]["one_step"]["rmse"],
                "best recursive": _best_recursive(record.metrics),
                "fit s": record.fit_seconds,
                "cached": record.cached,
            }
            for record in self.records
        ]
        return pd.DataFrame(
            rows,
            columns=[
                "run",
                "settings",
                "one-step RMSE",
                "recursive RMSE",
                "linear AR one-step RMSE",
                "best recursive",
                "fit s",
                "cached",
            ],
        )
