"""The series from a config, its windows and the Dataset: everything derived from a config before training."""

from __future__ import annotations

import dataclasses
import functools
from typing import Any

import numpy as np

from forecast.config import Config
from forecast.data import datasets, sources, transform
from forecast.data.split import Fold, check_fits, fold_counts, holdout
from forecast.data.transform import StandardScaler, Transform

__all__ = [
    "Dataset",
    "WindowData",
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
class WindowData:
    """What a window model trains on, in the model's units (transformed, scaled): training windows and targets,
    and the windows and targets it watches (their loss is reported every epoch, never used to steer training)."""

    train_windows: np.ndarray  # (n_train, lookback)
    train_targets: np.ndarray  # (n_train,)
    watch_windows: np.ndarray  # (n_watch, lookback)
    watch_targets: np.ndarray  # (n_watch,)


@dataclasses.dataclass(frozen=True, eq=False)
class Dataset:
    """A series split at one forecast origin: everything derived from a config before training, in original units.

    The training part is `ys[:origin]`, the test part the `n_test` values after it. `transform` was fitted on the
    training part; windows are cut from the transformed series, before scaling.
    """

    xs: np.ndarray  # (n_points,) float64, or datetime64 for a dataset or file with dates
    ys: np.ndarray  # (n_points,)
    lookback: int
    n_train: int  # training windows (targets)
    n_test: int  # test windows (targets)
    transform: Transform
    raw_ys: np.ndarray | None = None  # (n_points,) the values before noise: what an exported script embeds
    fold: Fold = dataclasses.field(default_factory=Fold)
    # The future fold's: the x of each step past the series (horizon,), and the true values there where the
    # source knows them (a function of x), else None.
    future_xs: np.ndarray | None = None
    truth: np.ndarray | None = None

    @property
    def origin(self) -> int:
        """Index in `ys` of the first test target: the training part is everything before it."""
        return len(self.ys) - self.n_test

    @property
    def first_target(self) -> int:
        """Index in `ys` of the first training target: lookback, plus the values the differencing consumed."""
        return len(self.ys) - self.n_train - self.n_test

    @property
    def chain(self) -> transform.TransformChain:
        return self.transform.chain

    @property
    def scaler(self) -> StandardScaler:
        return self.transform.scaler

    @functools.cached_property
    def _windows(self) -> tuple[np.ndarray, np.ndarray]:
        # Cut from the transformed series (the values themselves for the identity chain), before scaling.
        return make_windows(transform.apply(self.ys, self.chain, self.xs), self.lookback)

    @property
    def windows(self) -> np.ndarray:
        """All windows, train then test: (n_train + n_test, lookback), transformed but not scaled."""
        return self._windows[0]

    @property
    def train_windows(self) -> np.ndarray:
        return self._windows[0][: self.n_train]

    @property
    def train_targets(self) -> np.ndarray:
        return self._windows[1][: self.n_train]

    @property
    def test_windows(self) -> np.ndarray:
        return self._windows[0][self.n_train :]

    @property
    def test_targets(self) -> np.ndarray:
        """The test targets in the transform's units (the series' own units for the identity chain)."""
        return self._windows[1][self.n_train :]

    @property
    def test_xs(self) -> np.ndarray:
        """The x of each test target: the last n_test grid points, as the original plots them."""
        return holdout(self.xs, self.n_test)

    def window_data(self) -> WindowData:
        """The windows a network trains on (the training part) and watches (the test part), scaled."""
        scale = self.scaler.transform
        return WindowData(
            scale(self.train_windows), scale(self.train_targets), scale(self.test_windows), scale(self.test_targets)
        )


def make_dataset(
    config: Config, upload: bytes | None = None, *, series: datasets.Series | None = None, fold: Fold | None = None
) -> Dataset:
    """Series, split and fitted transform for a config (see `make_series` for `upload`, `series` and errors).

    `fold`: which part of the series (a backtest window, the future); by default today's holdout.
    """
    fold = fold if fold is not None else Fold()
    series = series if series is not None else load_series(config, upload)
    xs, ys = make_series(config, series=series)
    n_train, n_test = fold_counts(config, len(ys), fold)
    xs, ys = xs[: len(xs) - fold.cut], ys[: len(ys) - fold.cut]
    origin = len(ys) - n_test
    fitted = Transform.fit(ys[:origin], transform.chain_of(config), config.scaling, xs[:origin])
    dataset = Dataset(xs, ys, config.lookback, n_train, n_test, fitted, series.ys, fold)
    if not fold.is_future:
        return dataset
    source = sources.get(config.source)
    future_xs = source.future_xs(config, xs, fold.horizon)
    return dataclasses.replace(dataset, future_xs=future_xs, truth=source.truth(config, future_xs))
