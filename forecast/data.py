"""The series from a config, sliding windows, the chronological split and the train-only scaler."""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from forecast import datasets, expressions
from forecast.config import Config, check_fits, grid

__all__ = [
    "SOURCE_FIELDS",
    "Dataset",
    "MissingUpload",
    "StandardScaler",
    "make_dataset",
    "make_grid",
    "make_series",
    "make_windows",
    "series_fields",
    "split",
]


def make_grid(config: Config) -> np.ndarray:
    """The x values: `n_points` samples from `x_start` in steps of `x_step` (the end is exclusive)."""
    return grid(config.x_start, config.x_step, config.n_points)


class MissingUpload(ValueError):
    """The config names an uploaded file whose bytes are not available here."""


def make_series(config: Config, upload: bytes | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The config's series as (x, values), plus seeded Gaussian noise of std `noise`.

    For an expression: its grid and f(x) on it. For a dataset: the bundled file. For an upload: `upload` must be
    the bytes of the file whose sha256 the config names. Raises ValueError on anything unusable (NaN, inf, a bad
    file, a missing upload) and when the series does not fit the lookback, split or budget.
    """
    xs, ys = raw_series(config, upload)
    if config.noise > 0:
        ys = ys + np.random.default_rng(config.seed).normal(0.0, config.noise, size=ys.shape)
    check_fits(config, len(ys))
    return xs, ys


# The fields each source reads in `raw_series`. With `series_fields` this is the one place that says which
# fields define a series (tests check it against `make_series` for every Config field).
SOURCE_FIELDS: dict[str, tuple[str, ...]] = {
    "expression": ("expression", "x_start", "x_end", "x_step"),
    "dataset": ("dataset",),
    "upload": ("upload", "value_column", "x_column"),
}


def series_fields(config: Config) -> dict[str, Any]:
    """The fields that determine the series `make_series` builds, and only those: runs that agree on them draw
    the same actual values (the seed counts only when there is noise to seed)."""
    fields = {"source": config.source} | {name: getattr(config, name) for name in SOURCE_FIELDS[config.source]}
    if config.noise > 0:
        fields |= {"noise": config.noise, "seed": config.seed}
    return fields


def raw_series(config: Config, upload: bytes | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The config's series before noise is added (see `make_series`)."""
    if config.source == "expression":
        xs = make_grid(config)
        ys = expressions.evaluate(config.expression, xs)
    elif config.source == "dataset":
        series = datasets.load(config.dataset)
        xs, ys = series.xs, series.ys
    else:
        if upload is None:
            raise MissingUpload(
                f"this config uses an uploaded file (sha256 {config.upload[:12]}…) that is not available here: "
                "upload the same file to reproduce it"
            )
        if datasets.content_hash(upload) != config.upload:
            raise ValueError("the uploaded file does not match the config's sha256: upload the file it names")
        series = datasets.read_csv(upload, value_column=config.value_column, x_column=config.x_column)
        xs, ys = series.xs, series.ys
    return xs, ys


def make_windows(values: np.ndarray, lookback: int) -> tuple[np.ndarray, np.ndarray]:
    """Windows `X[i] = values[i:i+lookback]` and targets `y[i] = values[i+lookback]`, as in the original loop.

    Returns X of shape (len(values) − lookback, lookback) and y of shape (len(values) − lookback,).
    """
    values = np.asarray(values, dtype=np.float64)
    if not 1 <= lookback < len(values):
        raise ValueError(f"lookback {lookback} needs at least {lookback + 1} values, got {len(values)}")
    # The last window has no target after it, so it is dropped, exactly as range(len(ys) - lookback) does.
    windows = np.lib.stride_tricks.sliding_window_view(values, lookback)[:-1]
    return windows.copy(), values[lookback:].copy()


def split(windows: np.ndarray, targets: np.ndarray, train_ratio: float) -> tuple[np.ndarray, ...]:
    """Chronological split at `int(len(windows) * train_ratio)`: (train X, train y, test X, test y)."""
    position = int(len(windows) * train_ratio)
    return windows[:position], targets[:position], windows[position:], targets[position:]


@dataclasses.dataclass(frozen=True)
class StandardScaler:
    """Standardisation with a mean and std fitted on training values only."""

    mean: float
    std: float

    @classmethod
    def fit(cls, values: np.ndarray) -> StandardScaler:
        """Fit on `values`; a constant series keeps std 1 so that transforming it stays finite."""
        values = np.asarray(values, dtype=np.float64)
        std = float(values.std())
        return cls(mean=float(values.mean()), std=std if std > 0 else 1.0)

    @classmethod
    def identity(cls) -> StandardScaler:
        """A scaler that changes nothing (scaling "none", as in the original)."""
        return cls(mean=0.0, std=1.0)

    def transform(self, values: np.ndarray) -> np.ndarray:
        """Scale values into the model's units."""
        return (np.asarray(values, dtype=np.float64) - self.mean) / self.std

    def inverse(self, values: np.ndarray) -> np.ndarray:
        """Bring values from the model's units back to the series' units."""
        return np.asarray(values, dtype=np.float64) * self.std + self.mean


@dataclasses.dataclass(frozen=True)
class Dataset:
    """Everything derived from a config before training, in original units."""

    xs: np.ndarray  # (n_points,) float64, or datetime64 for a dataset or file with dates
    ys: np.ndarray  # (n_points,)
    train_windows: np.ndarray  # (n_train, lookback)
    train_targets: np.ndarray  # (n_train,)
    test_windows: np.ndarray  # (n_test, lookback)
    test_targets: np.ndarray  # (n_test,)
    scaler: StandardScaler

    @property
    def n_train(self) -> int:
        return len(self.train_targets)

    @property
    def n_test(self) -> int:
        return len(self.test_targets)

    @property
    def windows(self) -> np.ndarray:
        """All windows, train then test: (n_train + n_test, lookback)."""
        return np.concatenate([self.train_windows, self.test_windows])

    @property
    def test_xs(self) -> np.ndarray:
        """The x of each test target: the last n_test grid points, as the original plots them."""
        return self.xs[-self.n_test :]


def make_dataset(config: Config, upload: bytes | None = None) -> Dataset:
    """Series, windows, split and scaler for a config (see `make_series` for `upload` and errors)."""
    xs, ys = make_series(config, upload)
    windows, targets = make_windows(ys, config.lookback)
    train_windows, train_targets, test_windows, test_targets = split(windows, targets, config.train_ratio)
    if config.scaling == "standard":
        # Only values the training windows and targets contain: the test part must not leak into the scaling.
        scaler = StandardScaler.fit(ys[: len(train_targets) + config.lookback])
    else:
        scaler = StandardScaler.identity()
    return Dataset(xs, ys, train_windows, train_targets, test_windows, test_targets, scaler)
