"""The series from a config, its windows and the Dataset: everything derived from a config before training."""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from forecast.config import Config
from forecast.data import datasets, sources, transform
from forecast.data.split import check_fits, holdout, window_counts
from forecast.data.transform import StandardScaler

__all__ = [
    "Dataset",
    "load_series",
    "make_dataset",
    "make_grid",
    "make_series",
    "make_windows",
    "raw_series",
    "series_fields",
]


def make_grid(config: Config) -> np.ndarray:
    """The x values of an expression config: samples from `x_start` in steps of `x_step` (the end is exclusive)."""
    return sources.grid(config.x_start, config.x_step, sources.ExpressionSource().n_points(config))


def load_series(config: Config, upload: bytes | None = None) -> datasets.Series:
    """The config's series before noise, read or computed once (ValueError if unusable; see `make_series`)."""
    return sources.get(config.source).load(config, upload)


def series_fields(config: Config) -> dict[str, Any]:
    """The fields that determine the series `make_series` builds, and only those: runs that agree on them draw
    the same actual values (the seed counts only when there is noise to seed)."""
    fields = {"source": config.source} | {name: getattr(config, name) for name in sources.get(config.source).fields}
    if config.noise > 0:
        fields |= {"noise": config.noise, "seed": config.seed}
    return fields


def raw_series(config: Config, upload: bytes | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The config's series before noise is added, as (x, values)."""
    series = load_series(config, upload)
    return series.xs, series.ys


def make_series(
    config: Config, upload: bytes | None = None, *, series: datasets.Series | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """The config's series as (x, values), plus seeded Gaussian noise of std `noise`.

    For an expression: its grid and f(x) on it. For a dataset: the bundled file. For an upload: `upload` must be
    the bytes of the file whose sha256 the config names. `series` is the series before noise when the caller has
    already loaded it (the members of an ensemble share one). Raises ValueError on anything unusable (NaN, inf,
    a bad file, a missing upload) and when the series does not fit the lookback, split or budget.
    """
    series = series if series is not None else load_series(config, upload)
    xs, ys = series.xs, series.ys
    if config.noise > 0:
        ys = ys + np.random.default_rng(config.seed).normal(0.0, config.noise, size=ys.shape)
    transform.check_values(ys, transform.chain_of(config), xs)  # the log of a value ≤ 0 names its row
    check_fits(config, len(ys))
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
    raw_ys: np.ndarray | None = None  # (n_points,) the values before noise: what an exported script embeds
    # What was done to the values before the windows were cut: the windows and targets above are in its units
    # (the identity chain leaves them in the series' units, as in the original).
    chain: transform.TransformChain = dataclasses.field(default_factory=transform.TransformChain)

    @property
    def first_target(self) -> int:
        """Index in `ys` of the first training target: lookback, plus the values the differencing consumed."""
        return len(self.ys) - self.n_train - self.n_test

    @property
    def original_windows(self) -> np.ndarray:
        """The windows of original values before every target, train then test: (n_train + n_test, lookback)."""
        lookback = self.train_windows.shape[1]
        windows, _ = make_windows(self.ys, lookback)
        return windows[self.first_target - lookback :]

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
        return holdout(self.xs, self.n_test)


def make_dataset(config: Config, upload: bytes | None = None, *, series: datasets.Series | None = None) -> Dataset:
    """Series, windows, split and scaler for a config (see `make_series` for `upload`, `series` and errors)."""
    series = series if series is not None else load_series(config, upload)
    xs, ys = make_series(config, series=series)
    chain = transform.chain_of(config)
    # The windows are cut from the transformed series (the values themselves for the identity chain).
    values = transform.apply(ys, chain, xs)
    windows, targets = make_windows(values, config.lookback)
    n_train, _ = window_counts(config, len(ys))
    train_windows, train_targets, test_windows, test_targets = (
        windows[:n_train],
        targets[:n_train],
        windows[n_train:],
        targets[n_train:],
    )
    if config.scaling == "standard":
        # Only values the training windows and targets contain: the test part must not leak into the scaling.
        scaler = StandardScaler.fit(values[: len(train_targets) + config.lookback])
    else:
        scaler = StandardScaler.identity()
    return Dataset(xs, ys, train_windows, train_targets, test_windows, test_targets, scaler, series.ys, chain)
