"""The real-series recipe: the settings that make the LSTM competitive on a real series, adapted to the series.

Found with a probe of the bundled series (see git history: bench/real_series_probe.py) and measured with
bench/real_series.py (README, "Real series"):

- log of the values when every value is above 0 (a season that grows with the level becomes a steady one);
- the seasonal difference when the series has a season, and the first difference too when the training part
  holds at least 8 seasons, or when there is no season (shorter series are hurt by it);
- a lookback of one season then, of half a season when the training part is short, of 6 steps without season;
- 2 LSTM layers of 32 units, 200 epochs, batches of 16, Adam 0.001, standard scaling;
- the mean forecast of an ensemble of 5 seeds.

The season is the config's own, else the bundled dataset's, else suggested from the dates; the holdout is the
config's `test_size`, else the bundled dataset's natural one. Epochs are lowered if the training budget needs it.
"""

from __future__ import annotations

import math

import numpy as np

from forecast import data
from forecast.config import MAX_ENSEMBLE, Config
from forecast.data import datasets, sources

__all__ = ["ENOUGH_SEASONS", "RECIPE_NETWORK", "real_series", "suggested_season"]

# The network and training of the recipe; the data settings depend on the series.
RECIPE_NETWORK = {
    "layers": 2,
    "units": 32,
    "dense_layers": 0,
    "dropout": 0.0,
    "epochs": 200,
    "batch_size": 16,
    "learning_rate": 0.001,
    # Measured with a constant rate; the default cosine schedule from 0.03 is tuned for x*sin(x), not for these.
    "schedule": "constant",
    "scaling": "standard",
    "ensemble": MAX_ENSEMBLE,
    "noise": 0.0,  # members of an ensemble share one series
}
# With fewer seasons than this in the training part, the first difference and a full season's lookback cost
# more than they bring (measured on US accidental deaths: 5 seasons).
ENOUGH_SEASONS = 8
LOOKBACK_WITHOUT_SEASON = 6
# Forecasting: the future one season long (this many steps without a season), judged over this many rolling
# origins, with intervals at this level.
HORIZON_WITHOUT_SEASON = 12
BACKTEST_WINDOWS = 3
INTERVAL = 80


def suggested_season(config: Config, series: datasets.Series) -> int:
    """The season a series suggests: the bundled dataset's, else the usual one for its dates (0: none)."""
    return sources.get(config.source).suggested_season(config, series)


def _season_length(config: Config, series: datasets.Series) -> int:
    return config.season_length or suggested_season(config, series)


def _test_size(config: Config) -> int:
    return config.test_size or sources.get(config.source).natural_holdout(config)


def real_series(config: Config, series: datasets.Series, keep: tuple[str, ...] = ()) -> Config:
    """The recipe for this config's series (`series` as `forecast.data.load_series` reads it, before noise).

    Keeps the data source, the seed and the validation settings; sets the transform, differencing, season,
    holdout, lookback, network and ensemble, a horizon of one season (12 steps without one), 3 backtest windows
    (fewer when the series is too short for them) and 80 % intervals. The fields named in `keep` (flags a person
    typed) keep the config's values. Raises ValueError, with the reason, if even the recipe does not fit the series
    (for example a file too short for any holdout).
    """
    ys = np.asarray(series.ys, dtype=np.float64)
    n_points = len(ys)
    test_size = _test_size(config)
    training_points = n_points - test_size if test_size else int(n_points * config.train_ratio)
    season_length = _season_length(config, series)
    if season_length >= training_points // 2:
        season_length = 0  # a season needs at least two cycles in the training part to be differenced away
    seasons = training_points // season_length if season_length else 0
    long_enough = seasons >= ENOUGH_SEASONS
    if season_length:
        lookback = season_length if long_enough else max(2, season_length // 2)
    else:
        lookback = LOOKBACK_WITHOUT_SEASON
    recipe = config.replace(
        **RECIPE_NETWORK,
        transform="log" if bool(np.all(ys > 0)) else "none",
        difference=1 if long_enough or not season_length else 0,
        seasonal_difference=1 if season_length else 0,
        season_length=season_length,
        test_size=test_size,
        lookback=min(lookback, 100),
        horizon=min(season_length or HORIZON_WITHOUT_SEASON, n_points),
        backtest_windows=BACKTEST_WINDOWS,
        interval=INTERVAL,
    )
    recipe = recipe.replace(**{name: getattr(config, name) for name in keep})
    return _within_budget(_fitting_windows(recipe, n_points), n_points, lower_epochs="epochs" not in keep)


def _fitting_windows(config: Config, n_points: int) -> Config:
    """The config with as many of its backtest windows as the series holds (at least one)."""
    for windows in range(config.backtest_windows, 1, -1):
        candidate = config.replace(backtest_windows=windows)
        try:
            data.check_fits(candidate.replace(epochs=1), n_points)  # the windows, before the budget
        except ValueError:
            continue
        return candidate
    return config.replace(backtest_windows=1)


def _within_budget(config: Config, n_points: int, lower_epochs: bool = True) -> Config:
    """The config with as many of its epochs as the training budget allows for all its networks (a long series
    and many folds cost more)."""
    data.check_chain(
        data.chain_of(config), n_points, config.lookback, train_ratio=config.train_ratio, test_size=config.test_size
    )
    if lower_epochs:
        trained = [data.fold_counts(config, n_points, fold)[0] for fold in data.folds(config, n_points)]
        costs = [data.training_cost(config, n_train) for n_train in trained]
        cost = config.ensemble * sum(cost for cost, _ in costs)
        steps = config.ensemble * sum(steps for _, steps in costs)
        share = min(data.MAX_TRAINING_COST / cost, data.MAX_OPTIMIZER_STEPS / steps)
        if share < 1:
            config = config.replace(epochs=max(1, math.floor(config.epochs * share)))
    data.check_fits(config, n_points)
    return config
