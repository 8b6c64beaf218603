"""The real-series recipe: the levers that make the LSTM competitive on a real series, chosen for each series.

As practitioners and AutoARIMA choose them, from the training part of the first backtest window only (no window's
test values ever inform a choice), and each with its reason (`Lever.why`, shown on the page and in the JSON):

- the season: the config's, else the bundled dataset's, else the usual one for the dates' frequency (half-hourly
  48, or the week's 336 once two weeks fit; hourly 24; daily 7; weekly 52; monthly 12; quarterly 4);
- log only where the spread grows with the level (`stationarity.spread_slope` above 0.5);
- the seasonal difference where STL's seasonal strength is above 0.64; then the first difference where the
  training part holds 8 seasons or more (fewer: the seasonal difference alone), or, without a season, where KPSS
  finds a trend — never more than one of each, so that a forecast does not integrate its errors twice;
- a lookback of a season (two of a season of 4 or less, at most 48 steps; half of it with fewer than 8 seasons);
  without a season 6 or 12 steps by a validation backtest on the training part: the linear AR on the same windows
  and transform forecasts the training part's last test-length of values with each, and the lowest MAE wins — a
  network-free proxy of milliseconds;
- the recursive strategy (the network's better one on 7 of the 11 tuning series; the linear AR's validation did not
  tell which strategy suits the network);
- 2 LSTM layers of 32 units, 200 epochs, batches of 16, Adam 0.001, standard scaling, the mean of 5 seeds;
- a future of one season (12 steps without one), held out as the test part too, 3 backtest windows (fewer when
  the series is too short for them) and 80 % intervals.

Flags a person typed (`keep`) win over every lever. Epochs are lowered if the training budget needs it.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np

from forecast import data
from forecast.config import MAX_ENSEMBLE, Config
from forecast.data import calendar, datasets, sources, stationarity
from forecast.data.transform import TransformChain
from forecast.evaluation import metrics
from forecast.models.linear import LinearAR

__all__ = [
    "RECIPE_NETWORK",
    "Lever",
    "Recipe",
    "SeriesFacts",
    "choose",
    "real_series",
    "series_facts",
    "suggested_season",
]

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
LOG_SLOPE = 0.5  # log when the spread grows at least this fast with the level (1: proportionally)
# With at least this many seasons in the training part, a seasonal series also gets the first difference and a
# whole season's lookback (fewer: the seasonal difference alone and half a season), as measured on the tuning set.
ENOUGH_SEASONS = 8
HORIZON_WITHOUT_SEASON = 12
LOOKBACKS_WITHOUT_SEASON = (6, 12)
LONGEST_LOOKBACK = 48  # a longer season is seen through a window of this many steps (a day of half-hours)
BACKTEST_WINDOWS = 3
INTERVAL = 80


@dataclasses.dataclass(frozen=True)
class Lever:
    """One choice of the recipe: its value and, in a few words, why."""

    value: Any
    why: str


@dataclasses.dataclass(frozen=True)
class Recipe:
    """The recipe's config for a series, each lever with its reason, and the series' detected frequency."""

    config: Config
    levers: dict[str, Lever]
    frequency: str

    def summary(self) -> dict[str, dict[str, Any]]:
        """The JSON block: lever → {"value", "why"}."""
        return {name: {"value": lever.value, "why": lever.why} for name, lever in self.levers.items()}


def suggested_season(config: Config, series: datasets.Series) -> int:
    """The season a series suggests: the bundled dataset's, else the usual one for its dates (0: none)."""
    return sources.get(config.source).suggested_season(config, series)


def frequency_name(series: datasets.Series) -> str:
    """The series' detected frequency in words ("monthly", "half-hourly", "steps of 0.1", …)."""
    try:
        return calendar.frequency(series.xs).name
    except ValueError:
        return "irregular"


def _missing_dates(series: datasets.Series) -> int:
    """How many dates the series skips at its own frequency (0 for numbers or dates of no clear frequency)."""
    try:
        return calendar.missing_dates(series.xs)
    except ValueError:
        return 0


@dataclasses.dataclass(frozen=True)
class SeriesFacts:
    """What a series' x values tell before any choice, as the sidebar and the command line show it."""

    frequency: str  # in words ("monthly", "steps of 0.1", "irregular")
    suggested_season: int  # the bundled dataset's or the dates' usual season (0: none)
    missing_dates: int  # the dates it skips at its own frequency


def series_facts(config: Config, series: datasets.Series) -> SeriesFacts:
    """The series' frequency, suggested season and missing dates (the JSON's keys of the same names)."""
    return SeriesFacts(frequency_name(series), suggested_season(config, series), _missing_dates(series))


def _shortest_season(config: Config, series: datasets.Series, keep: tuple[str, ...]) -> int:
    """The season a horizon covers: the typed one (0: none), the config's or the dataset's, else the shortest usual
    one of the dates (the day of half-hourly data, not its week)."""
    if "season_length" in keep:
        return config.season_length
    season = config.season_length or suggested_season(config, series)
    if not np.issubdtype(series.xs.dtype, np.datetime64):
        return season
    try:
        candidates = calendar.frequency(series.xs).seasons
    except ValueError:
        return season
    return min([season, *candidates]) if season else (candidates[0] if candidates else 0)


def _season(config: Config, series: datasets.Series, n_train: int, keep: tuple[str, ...]) -> Lever:
    if "season_length" in keep and not config.season_length:
        return Lever(0, "no season: set so")
    if config.season_length:
        return Lever(config.season_length, "set in the config")
    season = suggested_season(config, series)
    if season and season * 2 <= n_train:
        return Lever(season, f"the usual season of {frequency_name(series)} data")
    season = calendar.suggest_season(series.xs, n_train) if np.issubdtype(series.xs.dtype, np.datetime64) else 0
    if season:
        return Lever(season, f"the usual season of {frequency_name(series)} data, two cycles in the training part")
    if not np.issubdtype(series.xs.dtype, np.datetime64):
        return Lever(0, f"no season: x in {frequency_name(series)} has no calendar to suggest one")
    return Lever(0, f"no season: {frequency_name(series)} data has no usual one, or fewer than two cycles fit")


def _log(train: np.ndarray, season: int) -> Lever:
    if not np.all(train > 0):
        return Lever("none", "a value is not above 0")
    slope = stationarity.spread_slope(train, season or HORIZON_WITHOUT_SEASON)
    if math.isfinite(slope) and slope > LOG_SLOPE:
        return Lever("log", f"the spread grows with the level (slope {slope:.2f}): the log makes it steady")
    reason = "the level hardly changes" if not math.isfinite(slope) else f"the spread does not grow (slope {slope:.2f})"
    return Lever("none", reason)


def _seasonal_difference(working: np.ndarray, season: int) -> Lever:
    if not season or len(working) < 2 * season + 2:
        return Lever(0, "no season to difference")
    strength = stationarity.seasonal_strength(working, season)
    if strength > stationarity.SEASONAL_STRENGTH_THRESHOLD:
        return Lever(1, f"a strong season (STL strength {strength:.2f})")
    return Lever(0, f"a weak season (STL strength {strength:.2f} ≤ {stationarity.SEASONAL_STRENGTH_THRESHOLD})")


def _difference(working: np.ndarray, season: int, seasonal: int) -> Lever:
    if seasonal:
        # A test on a few dozen seasonal changes cannot tell a trend from the season's own drift: measured on the
        # tuning series, the first difference pays on top of the seasonal one once the training part holds enough
        # seasons (airline passengers), and costs below that (US accidental deaths, 5 seasons).
        seasons = len(working) // season
        if seasons >= ENOUGH_SEASONS:
            return Lever(1, f"{seasons} seasons in the training part: the trend of a long seasonal series")
        return Lever(0, f"only {seasons} seasons in the training part: the seasonal difference alone")
    if stationarity.differences_needed(working, max_difference=1):
        return Lever(1, "KPSS finds a trend")
    return Lever(0, "KPSS finds the level stationary")


def _validation_mae(train: np.ndarray, chain: TransformChain, lookback: int, steps: int) -> float:
    """The linear AR's recursive MAE forecasting the training part's last `steps` values from the ones before."""
    fit, held = train[:-steps], train[-steps:]
    try:
        model = LinearAR(lookback, chain).fit(fit)
        return metrics.mae(held, model.forecast(steps))
    except ValueError:  # too short for this lookback: not a candidate
        return math.inf


def _seasonal_lookback(season: int, seasons: int) -> Lever:
    """A season (two of a short one, at most the longest lookback), or half of it for a short training part."""
    span = "two seasons" if season <= 4 else "a season"
    whole = min(season * (2 if season <= 4 else 1), LONGEST_LOOKBACK)
    if seasons < ENOUGH_SEASONS:
        return Lever(max(2, whole // 2), f"half the usual: fewer than {ENOUGH_SEASONS} seasons in the training part")
    if season > LONGEST_LOOKBACK:
        return Lever(whole, f"the longest lookback: {span} of {season} steps is longer")
    return Lever(whole, span)


def _lookback(train: np.ndarray, chain: TransformChain, season: int, steps: int) -> Lever:
    """A season's lookback where there is a season; without one, the lowest validation MAE of the linear AR."""
    if season:
        return _seasonal_lookback(season, len(train) // season)
    scores = {lookback: _validation_mae(train, chain, lookback, steps) for lookback in LOOKBACKS_WITHOUT_SEASON}
    lookback, best = min(scores.items(), key=lambda item: item[1])
    if not math.isfinite(best):
        return Lever(LOOKBACKS_WITHOUT_SEASON[0], "too short to validate")
    others = ", ".join(f"{look}: {mae:.3g}" for look, mae in scores.items() if look != lookback)
    return Lever(lookback, f"lowest validation MAE of the linear AR on the training part ({best:.3g}; {others})")


def _data_levers(
    config: Config, series: datasets.Series, n_train: int, steps: int, keep: tuple[str, ...]
) -> dict[str, Lever]:
    """The season, transform, differencing, lookback and strategy for the training part of the first window."""
    train = np.asarray(series.ys, dtype=np.float64)[:n_train]
    levers = {"season_length": _season(config, series, n_train, keep)}
    season = levers["season_length"].value
    levers["transform"] = _log(train, season)
    working = np.log(train) if levers["transform"].value == "log" else train
    levers["seasonal_difference"] = _seasonal_difference(working, season)
    levers["difference"] = _difference(working, season, levers["seasonal_difference"].value)
    chain = TransformChain(
        levers["transform"].value, levers["difference"].value, levers["seasonal_difference"].value, season
    )
    # Recursive, not chosen per series: the linear AR's validation, which picked between them before, chose the
    # network's worse strategy on 7 of the 11 tuning series (how a linear model's errors grow over the steps says
    # little about a network's), and recursive is the network's better one on 7 of them (bench/real_series.py).
    strategy = Lever("recursive", "the default (no rule found tells in advance where direct does better)")
    return levers | {"lookback": _lookback(train, chain, season, steps), "strategy": strategy}


def choose(config: Config, series: datasets.Series, keep: tuple[str, ...] = ()) -> Recipe:
    """The recipe for this config's series (`series` as `forecast.data.load_series` reads it, before noise).

    Keeps the data source, the seed and the validation settings; the fields named in `keep` (flags a person
    typed) keep the config's values. Raises ValueError, with the reason, if even the recipe does not fit the series
    (for example a file too short for any holdout).
    """
    n_points = len(series.ys)
    season_guess = _shortest_season(config, series, keep)
    season_steps = max(1, min(season_guess or HORIZON_WITHOUT_SEASON, n_points // 4))
    horizon = config.horizon if "horizon" in keep else season_steps
    # Without a future (a typed --horizon 0) the holdout is still a season, as the future would have been.
    natural = sources.get(config.source).natural_holdout(config)
    test_size = config.test_size or natural or horizon or season_steps
    windows = config.backtest_windows if "backtest_windows" in keep else BACKTEST_WINDOWS
    first_train = max(n_points - windows * test_size, n_points // 2)
    levers = _data_levers(config, series, first_train, test_size, keep)
    levers |= {
        "test_size": Lever(test_size, _holdout_reason(config, natural, horizon, season_guess)),
        "horizon": Lever(horizon, "one season" if season_guess else f"{HORIZON_WITHOUT_SEASON} steps: no season"),
    }
    chosen = {name: lever.value for name, lever in levers.items() if name not in keep}
    recipe = config.replace(**RECIPE_NETWORK, backtest_windows=windows, interval=INTERVAL, **chosen)
    recipe = recipe.replace(**{name: getattr(config, name) for name in keep})
    if "backtest_windows" not in keep:  # typed windows that do not fit are refused below, naming the limit
        recipe = _fitting_windows(recipe, n_points)
    recipe = _within_budget(recipe, n_points, lower_epochs="epochs" not in keep)
    levers |= _fixed_levers(recipe, windows)
    return Recipe(recipe, {name: levers[name] for name in levers if name not in keep}, frequency_name(series))


def _holdout_reason(config: Config, natural: int, horizon: int, season: int) -> str:
    if config.test_size:
        return "set in the config"
    if natural:
        return "the dataset's usual holdout"
    if horizon:
        return "as long as the future"
    return "one season" if season else f"{HORIZON_WITHOUT_SEASON} steps: no season"


def _fixed_levers(recipe: Config, windows: int) -> dict[str, Lever]:
    """The recipe's settings that do not depend on the series, each with its reason (the epochs and the windows
    say when the series made them fewer)."""
    fixed = {name: Lever(RECIPE_NETWORK[name], "the recipe's") for name in ("layers", "units", "batch_size")}
    fixed |= {
        "learning_rate": Lever(RECIPE_NETWORK["learning_rate"], "the recipe's, constant"),
        "ensemble": Lever(RECIPE_NETWORK["ensemble"], "the recipe's: the mean of this many seeds"),
        "interval": Lever(INTERVAL, "the recipe's level, in %"),
    }
    epochs = RECIPE_NETWORK["epochs"]
    fixed["epochs"] = Lever(
        recipe.epochs,
        "the recipe's" if recipe.epochs == epochs else f"fewer than the recipe's {epochs}: the training budget",
    )
    fixed["backtest_windows"] = Lever(
        recipe.backtest_windows,
        "the recipe's" if recipe.backtest_windows == windows else f"fewer than {windows}: the series is too short",
    )
    return fixed


def real_series(config: Config, series: datasets.Series, keep: tuple[str, ...] = ()) -> Config:
    """The recipe's config for this series (see `choose`)."""
    return choose(config, series, keep).config


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
