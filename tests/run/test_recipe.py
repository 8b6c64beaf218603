"""The real-series recipe (forecast/run/recipe.py): levers chosen per series, each with its reason."""

import numpy as np
import pytest

from forecast.config import Config
from forecast.data import datasets, load_series, make_dataset
from forecast.run import recipe

STEPS = np.arange(240)
RNG = np.random.default_rng(3)


def upload(values, start="2000-01-01", freq="MS"):
    """A series as a person uploads it: a date column and a value column."""
    dates = np.datetime_as_string(np.array(np.arange(len(values)), dtype="timedelta64[D]") + np.datetime64(start))
    if freq == "MS":
        dates = [f"{2000 + index // 12}-{index % 12 + 1:02d}-01" for index in range(len(values))]
    text = "date,value\n" + "".join(f"{date},{float(value)!r}\n" for date, value in zip(dates, values, strict=True))
    data = text.encode()
    config = Config(source="upload", upload=datasets.content_hash(data), value_column="value", x_column="date")
    return config, load_series(config, data)


def chosen(values, **changes):
    config, series = upload(values)
    return recipe.choose(config.replace(**changes), series)


def test_log_only_where_the_spread_grows_with_the_level():
    multiplicative = (100 + 2 * STEPS) * (1 + 0.25 * np.sin(STEPS * np.pi / 6)) * (1 + RNG.normal(0, 0.02, 240))
    additive = 500 + 2 * STEPS + 30 * np.sin(STEPS * np.pi / 6) + RNG.normal(0, 3, 240)
    grows, steady = chosen(multiplicative), chosen(additive)
    assert grows.config.transform == "log" and "the spread grows with the level" in grows.levers["transform"].why
    assert steady.config.transform == "none" and "the spread does not grow" in steady.levers["transform"].why
    # Both have a strong yearly season in monthly dates: the seasonal difference, from STL's strength.
    for recipe_ in (grows, steady):
        assert recipe_.config.season_length == 12 and recipe_.frequency == "monthly"
        assert recipe_.config.seasonal_difference == 1 and "strong season" in recipe_.levers["seasonal_difference"].why


def test_differencing_only_where_a_trend_remains():
    # No season here, so no seasonal difference takes the trend away first.
    level = 50 + RNG.normal(0, 1, 240)
    trend = level + 0.5 * np.cumsum(RNG.normal(0.2, 1, 240))
    assert chosen(level).config.difference == 0 and "stationary" in chosen(level).levers["difference"].why
    assert chosen(trend).config.difference == 1 and "KPSS finds a trend" in chosen(trend).levers["difference"].why
    # Never two first differences: a recursive forecast would integrate its errors twice.
    assert chosen(np.cumsum(trend)).config.difference == 1
    assert chosen(trend).config.seasonal_difference == 0


def test_a_seasonal_series_looks_back_a_season_and_forecasts_recursively():
    result = chosen(500 + 2 * STEPS + 30 * np.sin(STEPS * np.pi / 6) + RNG.normal(0, 3, 240))
    assert result.config.lookback == 12 and result.levers["lookback"].why == "a season"
    assert result.config.strategy == "recursive" and "direct" in result.levers["strategy"].why
    short = chosen(500 + 30 * np.sin(STEPS[:72] * np.pi / 6) + RNG.normal(0, 3, 72))
    assert short.config.lookback == 6 and "fewer than 8 seasons" in short.levers["lookback"].why
    summary = result.summary()
    assert summary["transform"] == {"value": result.config.transform, "why": result.levers["transform"].why}


def test_without_a_season_the_lookback_wins_a_validation_backtest_and_says_so():
    result = recipe.choose(Config(source="dataset", dataset="lake_huron"), datasets.load("lake_huron"))
    assert result.config.season_length == 0 and result.config.strategy == "recursive"
    # Lake Huron's yearly levels: six years back forecast the training part's last values better than twelve.
    assert result.config.lookback == 6
    why = result.levers["lookback"].why
    assert why.startswith("lowest validation MAE of the linear AR on the training part") and "12: " in why


def test_the_forecast_settings_and_what_a_person_typed():
    result = recipe.choose(Config(source="dataset", dataset="airline_passengers"), datasets.load("airline_passengers"))
    config = result.config
    assert (config.horizon, config.test_size, config.backtest_windows, config.interval, config.ensemble) == (
        12,
        12,
        3,
        80,
        5,
    )
    typed = Config(source="dataset", dataset="airline_passengers", lookback=7, horizon=6, epochs=3)
    kept = recipe.choose(typed, datasets.load("airline_passengers"), keep=("lookback", "horizon", "epochs"))
    assert (kept.config.lookback, kept.config.horizon, kept.config.epochs) == (7, 6, 3)
    assert "lookback" not in kept.levers and kept.config.test_size == 12  # the dataset's own holdout
    # Yearly data: no season, a future of 12 steps.
    lake = recipe.choose(Config(source="dataset", dataset="lake_huron"), datasets.load("lake_huron"))
    # Its holdout is the dataset's usual 10 years, not "as long as the future" of 12 steps.
    assert (lake.config.test_size, lake.levers["test_size"].why) == (10, "the dataset's usual holdout")
    assert lake.levers["season_length"].why == "no season: x in steps of 1 has no calendar to suggest one"
    assert (
        lake.config.season_length == 0 and lake.config.horizon == 12 and "no season" in lake.levers["season_length"].why
    )


def test_a_long_series_stays_within_the_budget():
    long = Config(x_start=0.0, x_end=500.0, x_step=0.1, expression="2 + sin(x) + x / 100")
    config = recipe.real_series(long, load_series(long))
    assert config.epochs < 200  # 5000 points and 20 networks: fewer epochs to stay in the budget
    make_dataset(config)  # … and then it fits
    lowered = recipe.choose(long, load_series(long)).levers["epochs"]
    assert lowered.value == config.epochs and lowered.why == "fewer than the recipe's 200: the training budget"


def test_the_summary_names_every_setting_the_recipe_chose():
    result = recipe.choose(Config(source="dataset", dataset="airline_passengers"), datasets.load("airline_passengers"))
    summary = result.summary()
    for name in (
        "layers",
        "units",
        "batch_size",
        "learning_rate",
        "epochs",
        "ensemble",
        "backtest_windows",
        "interval",
    ):
        assert summary[name]["value"] == getattr(result.config, name) and summary[name]["why"].startswith(
            "the recipe's"
        )
    short = Config(x_start=0.0, x_end=2.4, x_step=0.1, expression="sin(x)")  # 24 values: two windows of 6 fit
    shortened = recipe.choose(short, load_series(short)).levers["backtest_windows"]
    assert shortened.value < 3 and shortened.why == "fewer than 3: the series is too short"


def test_typed_windows_season_and_horizon_win_even_where_the_recipe_would_choose_otherwise():
    # Windows a person typed are not lowered to fit: too many are refused, naming the limit.
    lake = Config(source="dataset", dataset="lake_huron", backtest_windows=10)
    with pytest.raises(ValueError, match="use at most 8 windows"):
        recipe.choose(lake, datasets.load("lake_huron"), keep=("backtest_windows",))
    series = datasets.load("airline_passengers")
    config = Config(source="dataset", dataset="airline_passengers")
    # A typed season of 0 means none: no seasonal difference, no season's lookback or horizon.
    none = recipe.choose(config.replace(season_length=0), series, keep=("season_length",)).config
    assert none.season_length == 0 and none.seasonal_difference == 0 and none.horizon == 12
    # No future: the holdout is still one season, not one step.
    monthly, monthly_series = upload(500 + 30 * np.sin(STEPS * np.pi / 6) + RNG.normal(0, 3, 240))
    without = recipe.choose(monthly.replace(horizon=0), monthly_series, keep=("horizon",))
    assert without.config.horizon == 0 and without.config.test_size == 12
