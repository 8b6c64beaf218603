"""The series from a config, the facts that need it (split, budget), windows, the split and the train-only scaler."""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np

from forecast import config as config_module
from forecast import datasets, sources, transforms
from forecast.config import Config
from forecast.result import holdout
from forecast.sources import MissingUpload

__all__ = [
    "MAX_OPTIMIZER_STEPS",
    "MAX_TRAINING_COST",
    "Dataset",
    "MissingUpload",
    "StandardScaler",
    "check_fits",
    "load_series",
    "make_dataset",
    "make_grid",
    "make_series",
    "make_windows",
    "raw_series",
    "series_fields",
    "split",
    "split_sizes",
    "training_cost",
    "validation_split",
    "window_counts",
]

# The ceiling on the work one visitor can ask for. A training costs about
#   epochs × train windows × lookback × (layers × 4·units·(units + 2) + dense_layers × units²)
# multiply-adds forward; 1e11 of them take about a minute on a 2-core machine. Per-step overhead dominates
# tiny models, so the number of optimizer steps (epochs × batches per epoch) has a ceiling of its own.
MAX_TRAINING_COST = 1e11
MAX_OPTIMIZER_STEPS = 100_000


def make_grid(config: Config) -> np.ndarray:
    """The x values of an expression config: samples from `x_start` in steps of `x_step` (the end is exclusive)."""
    return sources.grid(config.x_start, config.x_step, sources.ExpressionSource().n_points(config))


def split_sizes(n_points: int, lookback: int, train_ratio: float) -> tuple[int, int]:
    """Train and test window counts, as in the original: windows = points − lookback, split at int(n·ratio)."""
    n_windows = n_points - lookback
    n_train = int(n_windows * train_ratio)
    return n_train, n_windows - n_train


def training_cost(config: Config, n_train: int) -> tuple[float, int]:
    """Multiply-adds of one forward pass over all epochs, and the number of optimizer steps."""
    per_window = config.lookback * (
        config.layers * 4 * config.units * (config.units + 2) + config.dense_layers * config.units**2
    )
    steps = config.epochs * math.ceil(n_train / min(config.batch_size, n_train))
    return float(config.epochs) * n_train * per_window, steps


def validation_split(n_train: int, validation_ratio: float) -> int:
    """How many of the first training windows are trained on when early stopping keeps the rest to watch.

    At least one window is watched; with at least 2 training windows and a ratio of at most 0.5, at least one is
    trained on.
    """
    return n_train - max(1, round(n_train * validation_ratio))


def window_counts(config: Config, n_points: int) -> tuple[int, int]:
    """Train and test window counts for the config: as the original without transforms or a test size, else
    what is left once the differencing has consumed its first values (`forecast.transforms.split_counts`)."""
    if config.chain().is_identity and config.test_size == 0 and config.season_length == 0:
        return split_sizes(n_points, config.lookback, config.train_ratio)
    return transforms.split_counts(
        n_points, config.lookback, config.chain(), train_ratio=config.train_ratio, test_size=config.test_size
    )


def check_fits(config: Config, n_points: int) -> None:
    """Check what depends on the series' length: the split and the training budget (ValueError if not).

    The budget counts every network of the config's ensemble.
    """
    if config.chain().is_identity and config.test_size == 0 and config.season_length == 0:
        n_train, n_test = split_sizes(n_points, config.lookback, config.train_ratio)
        if n_train < 2 or n_test < 1:
            raise ValueError(_split_advice(config, n_points, n_train, n_test))
    else:
        # One sentence for a season longer than the training part, or differencing that leaves too few windows.
        transforms.check_chain(
            config.chain(), n_points, config.lookback, train_ratio=config.train_ratio, test_size=config.test_size
        )
        n_train, n_test = window_counts(config, n_points)
    cost, steps = training_cost(config, n_train)
    cost *= config.ensemble
    if cost > MAX_TRAINING_COST:
        most_epochs = max(1, int(config.epochs * MAX_TRAINING_COST / cost))
        raise ValueError(
            f"this training would cost {cost:.2g} multiply-adds, over the budget of {MAX_TRAINING_COST:.0e}: "
            f"lower epochs (at most {most_epochs} with these settings), units, layers, lookback or ensemble size"
        )
    steps *= config.ensemble
    if steps > MAX_OPTIMIZER_STEPS:
        most_epochs = max(1, int(config.epochs * MAX_OPTIMIZER_STEPS / steps))
        raise ValueError(
            f"this training would take {steps} optimizer steps, over the budget of {MAX_OPTIMIZER_STEPS}: "
            f"raise batch_size or lower epochs (at most {most_epochs} with this batch size) or ensemble size"
        )


def _largest_lookback(n_points: int, train_ratio: float) -> int:
    upper = int(config_module.bounds("lookback").maximum or 1)
    for lookback in range(min(upper, n_points - 1), 0, -1):
        n_train, n_test = split_sizes(n_points, lookback, train_ratio)
        if n_train >= 2 and n_test >= 1:
            return lookback
    return 0


def _split_advice(config: Config, n_points: int, n_train: int, n_test: int) -> str:
    """Why the split fails and the changes that would fix it, with numbers."""
    lookback, train_ratio = config.lookback, config.train_ratio
    n_windows = n_points - lookback
    problem = "no test window" if n_test < 1 else f"fewer than 2 training windows ({max(n_train, 0)})"
    fixes = []
    largest = _largest_lookback(n_points, train_ratio)
    if largest:
        fixes.append(f"a lookback of at most {largest}")
    if n_windows >= 3 and n_train < 2:
        fixes.append(f"a train ratio of at least {math.ceil(200 / n_windows) / 100:g}")
    if n_windows >= 3 and n_test < 1:
        fixes.append(f"a train ratio of at most {math.floor(100 * (n_windows - 1) / n_windows) / 100:g}")
    fixes.append(sources.get(config.source).lengthen_advice)
    return (
        f"lookback {lookback} with train ratio {train_ratio!r} leaves {problem} of {max(n_windows, 0)} windows "
        f"({n_points} points): use " + ", or ".join(fixes)
    )


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
    transforms.check_values(ys, config.chain(), xs)  # the log of a value ≤ 0 names its row
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
    raw_ys: np.ndarray | None = None  # (n_points,) the values before noise: what an exported script embeds
    # What was done to the values before the windows were cut: the windows and targets above are in its units
    # (the identity chain leaves them in the series' units, as in the original).
    chain: transforms.TransformChain = dataclasses.field(default_factory=transforms.TransformChain)

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
    chain = config.chain()
    # The windows are cut from the transformed series (the values themselves for the identity chain).
    values = transforms.apply(ys, chain, xs)
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
