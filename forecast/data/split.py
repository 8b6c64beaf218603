"""The one split of a series into training and test windows, and the checks that need the series' length.

Windows are cut from the transformed series (`forecast.data.transform`), which has `chain.lost` fewer values than
the series. `split_counts` is the only place the split is computed: the windows, the training budget, the
sweep's budget and the recipe all ask it.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from forecast.config import Config, bounds
from forecast.data import sources
from forecast.data.transform import TransformChain, chain_of

__all__ = [
    "MAX_OPTIMIZER_STEPS",
    "MAX_TRAINING_COST",
    "Fold",
    "check_chain",
    "check_fits",
    "fold_counts",
    "folds",
    "holdout",
    "split_counts",
    "training_cost",
    "validation_split",
    "window_counts",
]


def split_counts(
    n_points: int, lookback: int, chain: TransformChain, *, train_ratio: float = 0.8, test_size: int = 0
) -> tuple[int, int]:
    """(train windows, test windows) left once the chain has consumed its first `chain.lost` values.

    Windows are cut from the transformed series (n_points − lost values). `test_size` > 0 holds out that many
    final targets; 0 splits at int(windows · train_ratio), exactly as without transforms. Counts may be ≤ 0:
    `check_chain` turns those into a message.
    """
    n_windows = n_points - chain.lost - lookback
    if test_size > 0:
        return n_windows - test_size, test_size
    n_train = int(n_windows * train_ratio) if n_windows > 0 else 0
    return n_train, max(n_windows, 0) - n_train


def check_chain(
    chain: TransformChain, n_points: int, lookback: int, *, train_ratio: float = 0.8, test_size: int = 0
) -> None:
    """Raise ValueError, in one sentence a person can act on, if the chain does not fit the series and split."""
    n_train, n_test = split_counts(n_points, lookback, chain, train_ratio=train_ratio, test_size=test_size)
    n_train_points = n_points - max(n_test, 0)  # the values before the first test target
    if chain.season_length and chain.season_length >= n_train_points:
        raise ValueError(
            f"season length {chain.season_length} does not fit in the training part ({n_train_points} points): "
            "use a shorter season, a smaller holdout or a longer series"
        )
    if n_train >= 2 and n_test >= 1:
        return
    n_windows = n_points - chain.lost - lookback
    problem = "no test window" if n_test < 1 else f"only {max(n_train, 0)} training windows (2 are needed)"
    dropped = f"{chain.describe()} drops the first {chain.lost} values, so " if chain.lost else ""
    fixes = []
    if chain.lost:
        fixes.append("less differencing")
    if lookback > 1:
        fixes.append("a shorter lookback")
    fixes.append("a smaller holdout" if test_size > 0 else "another train ratio")
    fixes.append("a longer series")
    raise ValueError(
        f"{dropped}lookback {lookback} leaves {_what_is_left(problem, n_windows, lookback, n_points)}: "
        "use " + ", or ".join(fixes)
    )


# The ceiling on the work one visitor can ask for. A training costs about
#   epochs × train windows × lookback × (layers × 4·units·(units + 2) + dense_layers × units²)
# multiply-adds forward; 1e11 of them take about a minute on a 2-core machine. Per-step overhead dominates
# tiny models, so the number of optimizer steps (epochs × batches per epoch) has a ceiling of its own.
MAX_TRAINING_COST = 1e11
MAX_OPTIMIZER_STEPS = 100_000


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
    """Train and test window counts for the config (`split_counts` with the config's chain, ratio and test size).

    Without transforms or a test size this is the original's split: 400 points, lookback 5 → (316, 79)."""
    return split_counts(
        n_points, config.lookback, chain_of(config), train_ratio=config.train_ratio, test_size=config.test_size
    )


def check_fits(config: Config, n_points: int) -> None:
    """Check what depends on the series' length: the split, the backtest windows, the horizon and the training
    budget (ValueError with advice if not). The budget counts every network of the run: each ensemble member in
    each backtest window, and in the future."""
    n_train, n_test = window_counts(config, n_points)
    if chain_of(config).is_identity and config.test_size == 0 and config.season_length == 0:
        if n_train < 2 or n_test < 1:
            raise ValueError(_split_advice(config, n_points, n_train, n_test))
    else:
        # One sentence for a season longer than the training part, or differencing that leaves too few windows.
        chain = chain_of(config)
        check_chain(chain, n_points, config.lookback, train_ratio=config.train_ratio, test_size=config.test_size)
    _check_windows(config, n_points, n_train, n_test)
    if config.horizon > n_points:
        raise ValueError(
            f"horizon {config.horizon} is longer than the series ({n_points} values): forecast at most {n_points} "
            "steps ahead, or use a longer series"
        )
    run_folds = folds(config, n_points)
    trained = [fold_counts(config, n_points, fold)[0] for fold in run_folds]
    if config.strategy == "direct":
        _check_head(config, n_points, run_folds, trained)
    _check_budget(config, trained)


def _check_head(config: Config, n_points: int, run_folds: list[Fold], trained: list[int]) -> None:
    """The direct strategy's head forecasts a fold's whole test part (or future) at once: each fold needs two
    training windows with that many targets after them."""
    for fold, n_train in zip(run_folds, trained, strict=True):
        head = fold.horizon if fold.is_future else fold_counts(config, n_points, fold)[1]
        if n_train - head + 1 < 2:
            what = f"a future of {head} steps" if fold.is_future else f"a test part of {head} steps"
            raise ValueError(
                f"the direct strategy forecasts {what} at once, which leaves {max(n_train - head + 1, 0)} training "
                f"windows with that many targets: use the recursive strategy, a shorter holdout or horizon, or a "
                "longer series"
            )


def _check_windows(config: Config, n_points: int, n_train: int, n_test: int) -> None:
    """The first backtest window keeps enough training data: two windows, and two seasons to difference."""
    k = config.backtest_windows
    first_train = n_train - (k - 1) * n_test
    first_points = n_points - k * n_test  # the values before the first window's test part
    season = config.season_length
    enough = first_train >= 2 and (not season or first_points > season)
    if k == 1 or enough:
        return
    most = 1
    while most < k and n_train - most * n_test >= 2 and (not season or n_points - (most + 1) * n_test > season):
        most += 1
    raise ValueError(
        f"backtest_windows {k} with {n_test}-step windows leaves the first window {max(first_train, 0)} training "
        f"windows ({max(first_points, 0)} of {n_points} values): use at most {most} windows, a smaller holdout "
        "(test_size) or a longer series"
    )


def _check_budget(config: Config, trained_windows: list[int]) -> None:
    """The work of every network together: the ensemble in each fold, each fold with its own training windows."""
    costs = [training_cost(config, n_train) for n_train in trained_windows]
    cost = config.ensemble * sum(cost for cost, _ in costs)
    networks = config.ensemble * len(trained_windows)
    if cost > MAX_TRAINING_COST:
        most_epochs = max(1, int(config.epochs * MAX_TRAINING_COST / cost))
        raise ValueError(
            f"this training would cost {cost:.2g} multiply-adds over its {networks} network{'s' * (networks > 1)}, "
            f"over the budget of {MAX_TRAINING_COST:.0e}: lower epochs (at most {most_epochs} with these settings), "
            "units, layers, lookback, ensemble size or backtest windows"
        )
    steps = config.ensemble * sum(steps for _, steps in costs)
    if steps > MAX_OPTIMIZER_STEPS:
        most_epochs = max(1, int(config.epochs * MAX_OPTIMIZER_STEPS / steps))
        raise ValueError(
            f"this training would take {steps} optimizer steps, over the budget of {MAX_OPTIMIZER_STEPS}: "
            f"raise batch_size or lower epochs (at most {most_epochs} with this batch size), ensemble size or "
            "backtest windows"
        )


@dataclasses.dataclass(frozen=True)
class Fold:
    """The part of a series one network trains and is tested on: a backtest window, or the future.

    A window first cuts `cut` values off the end of the series, then holds out the last `n_test` of the rest
    (None: the config's own split of the whole series, today's holdout). The future trains on every value
    (`n_test` 0) and forecasts `horizon` steps past the last one.
    """

    cut: int = 0
    n_test: int | None = None
    horizon: int = 0

    @property
    def is_future(self) -> bool:
        return self.horizon > 0

    def key(self) -> dict[str, int] | None:
        """What tells this fold's results apart in a cache key (None for today's holdout, whose key it keeps)."""
        if self == Fold():
            return None
        return {"cut": self.cut, "n_test": -1 if self.n_test is None else self.n_test, "horizon": self.horizon}


def folds(config: Config, n_points: int | None) -> list[Fold]:
    """The run's folds: its backtest windows, oldest first (the last is the usual holdout), then the future.

    Without the series' length (an uploaded file that is not at hand) they are known only when the test part's
    length is: a single window, or a `test_size`; otherwise ValueError."""
    k = config.backtest_windows
    if n_points is not None:
        n_test = window_counts(config, n_points)[1]
    elif k == 1 or config.test_size:
        n_test = config.test_size
    else:
        raise ValueError("the backtest windows of this run depend on the series' length: the series is needed")
    windows = [Fold(cut=(k - 1 - window) * n_test, n_test=n_test) for window in range(k - 1)] + [Fold()]
    return windows + ([Fold(n_test=0, horizon=config.horizon)] if config.horizon else [])


def fold_counts(config: Config, n_points: int, fold: Fold) -> tuple[int, int]:
    """(training windows, test values) of one fold of a series of `n_points` values."""
    chain = chain_of(config)
    if fold.is_future:
        return n_points - chain.lost - config.lookback, 0
    if fold.n_test is None:
        return window_counts(config, n_points)
    return split_counts(n_points - fold.cut, config.lookback, chain, test_size=fold.n_test)


def _what_is_left(problem: str, n_windows: int, lookback: int, n_points: int) -> str:
    """What a split leaves, e.g. "no test window of 12 windows (80 points)", or what a window needs where not one
    window fits."""
    if n_windows < 1:
        return f"no window at all ({n_points} points; a window is {lookback} values and the one after them)"
    return f"{problem} of {n_windows} windows ({n_points} points)"


def _largest_lookback(n_points: int, train_ratio: float) -> int:
    upper = int(bounds("lookback").maximum or 1)
    for lookback in range(min(upper, n_points - 1), 0, -1):
        n_train, n_test = split_counts(n_points, lookback, TransformChain(), train_ratio=train_ratio)
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
        f"lookback {lookback} with train ratio {train_ratio!r} leaves "
        f"{_what_is_left(problem, n_windows, lookback, n_points)}: use " + ", or ".join(fixes)
    )


def holdout(values: np.ndarray, n_test: int) -> np.ndarray:
    """The last `n_test` entries: the test part of a series or of a forecast over every window (n_test ≥ 1)."""
    if n_test < 1:
        raise ValueError(f"n_test must be at least 1, got {n_test}")
    return np.asarray(values)[-n_test:]
