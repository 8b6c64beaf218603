"""The calendar of x values (forecast/data/calendar.py): frequencies, season suggestions and continued xs."""

import numpy as np
import pandas as pd
import pytest

from forecast.config.catalogue import MAX_SEASON_LENGTH
from forecast.data import datasets
from forecast.data.calendar import Frequency, continue_xs, frequency, iso_text, missing_dates, suggest_season


def dates(start: str, periods: int, freq: str) -> np.ndarray:
    """Dates as a CSV column arrives: datetime64[ns] (pandas 3 builds ranges in microseconds)."""
    return pd.date_range(start, periods=periods, freq=freq).to_numpy().astype("datetime64[ns]")


def as_text(xs: np.ndarray) -> list[str]:
    return [str(date) for date in pd.DatetimeIndex(xs)]


@pytest.mark.parametrize(
    ("freq", "name", "seasons", "alias"),
    [
        ("MS", "monthly", (12,), "MS"),
        ("ME", "monthly", (12,), "ME"),
        ("QS", "quarterly", (4,), "QS-JAN"),
        ("QE", "quarterly", (4,), "QE-DEC"),
        ("W-SUN", "weekly", (52,), "W-SUN"),
        ("D", "daily", (7, 365), "D"),
        ("B", "business-daily", (5,), "B"),
        ("h", "hourly", (24, 168), "h"),
        ("30min", "half-hourly", (48, 336), "30min"),
        ("15min", "every 15 minutes", (96, 672), "15min"),
        ("2h", "every 2 hours", (12, 84), "2h"),
        ("7min", "every 7 minutes", (), "7min"),
        ("2D", "every 2 days", (), "2D"),
        ("28D", "every 4 weeks", (), "4W-SAT"),
        ("YS", "yearly", (), "YS-JAN"),
    ],
)
def test_dates_are_named_with_their_seasons(freq, name, seasons, alias):
    found = frequency(dates("2000-01-01", 60, freq))
    assert (found.name, found.seasons, found.offset.freqstr) == (name, seasons, alias)
    assert found.dated and found.step == 0.0
    assert found.sub_daily == (freq in {"h", "30min", "15min", "2h", "7min"})


def test_the_bundled_datasets_have_their_calendar():
    airline = datasets.load("airline_passengers").xs
    assert frequency(airline) == Frequency("monthly", (12,), pd.offsets.MonthBegin())
    assert suggest_season(airline) == 12
    future = continue_xs(airline, 13)
    assert future.dtype == np.dtype("datetime64[ns]")
    assert as_text(future[:3]) == ["1961-01-01 00:00:00", "1961-02-01 00:00:00", "1961-03-01 00:00:00"]
    assert str(future[-1])[:10] == "1962-01-01"
    # Lake Huron's years are written as numbers: just numbers, with no season, continued a year at a time.
    lake = datasets.load("lake_huron").xs
    assert frequency(lake) == Frequency("steps of 1", (), None, step=1.0)
    assert suggest_season(lake) == 0
    assert continue_xs(lake, 2).tolist() == [1973.0, 1974.0]


@pytest.mark.parametrize(
    ("freq", "name", "offset"),
    [
        ("MS", "monthly", pd.offsets.MonthBegin()),
        ("ME", "monthly", pd.offsets.MonthEnd()),
        ("BMS", "monthly", pd.offsets.BusinessMonthBegin()),
        ("QS", "quarterly", pd.offsets.MonthBegin(3)),
        ("W-WED", "weekly", pd.offsets.Week(weekday=2)),
        ("D", "daily", pd.offsets.Day()),
        ("h", "hourly", pd.offsets.Hour()),
        ("30min", "half-hourly", pd.offsets.Minute(30)),
        ("28D", "every 4 weeks", pd.offsets.Week(4, weekday=5)),
        ("YS", "yearly", pd.offsets.MonthBegin(12)),
    ],
)
def test_a_few_missing_dates_leave_the_frequency(freq, name, offset):
    complete = dates("2000-01-01", 80, freq)
    gappy = np.delete(complete, [5, 6, 30])
    found = frequency(gappy)
    assert (found.name, found.offset) == (name, offset)
    assert found.seasons == frequency(complete).seasons
    # The future is the same as the complete series', the missing rows notwithstanding.
    assert np.array_equal(continue_xs(gappy, 4), continue_xs(complete, 4))


def test_business_days_with_a_holiday_stay_business_days():
    days = dates("2024-01-01", 40, "B")
    days = days[days != np.datetime64("2024-01-15")]  # Martin Luther King Jr. Day
    assert frequency(days).name == "business-daily" and frequency(days).seasons == (5,)
    # From Friday 2024-02-23 to Monday, then Tuesday: weekends are skipped.
    assert as_text(continue_xs(days, 2)) == ["2024-02-26 00:00:00", "2024-02-27 00:00:00"]


def test_daily_dates_with_gaps_and_weekends_stay_daily():
    days = np.delete(dates("2024-01-01", 40, "D"), [3, 4, 17])
    assert frequency(days).name == "daily"
    assert as_text(continue_xs(days, 2)) == ["2024-02-10 00:00:00", "2024-02-11 00:00:00"]


def test_only_two_dates_are_enough():
    # pandas cannot infer a frequency from two dates: the step between them decides.
    assert frequency(dates("2000-01-01", 2, "MS")).name == "monthly"
    assert frequency(dates("2000-01-01", 2, "h")).name == "hourly"
    assert as_text(continue_xs(dates("2000-01-31", 2, "ME"), 1)) == ["2000-03-31 00:00:00"]


def test_month_ends_stay_month_ends_through_a_leap_february():
    month_ends = dates("1999-01-31", 13, "ME")  # to 2000-01-31
    assert as_text(continue_xs(month_ends, 3)) == [
        "2000-02-29 00:00:00",
        "2000-03-31 00:00:00",
        "2000-04-30 00:00:00",
    ]
    gappy = np.delete(month_ends, [4, 7])
    assert as_text(continue_xs(gappy, 2)) == ["2000-02-29 00:00:00", "2000-03-31 00:00:00"]


def test_the_same_day_of_every_month_is_kept():
    fifteenths = np.array([f"2001-{month:02d}-15" for month in range(1, 13)], dtype="datetime64[ns]")
    found = frequency(fifteenths)
    assert (found.name, found.seasons) == ("monthly", (12,))
    assert as_text(continue_xs(fifteenths, 2)) == ["2002-01-15 00:00:00", "2002-02-15 00:00:00"]
    # Each date counts from the last one: the 29th after a short February is the 29th again, not the 28th.
    twenty_ninths = np.array([f"2001-{month:02d}-29" for month in range(3, 13)], dtype="datetime64[ns]")
    assert as_text(continue_xs(twenty_ninths, 3)) == [
        "2002-01-29 00:00:00",
        "2002-02-28 00:00:00",
        "2002-03-29 00:00:00",
    ]


def test_quarter_starts_and_weekdays_are_kept():
    quarters = dates("2000-04-01", 12, "QS")
    assert as_text(continue_xs(quarters, 2)) == ["2003-04-01 00:00:00", "2003-07-01 00:00:00"]
    wednesdays = dates("2020-01-01", 10, "W-WED")
    future = pd.DatetimeIndex(continue_xs(wednesdays, 5))
    assert (future.day_of_week == 2).all()
    assert str(future[0])[:10] == "2020-03-11"


def test_sub_daily_dates_continue_at_their_step():
    half_hours = dates("2021-06-01", 100, "30min")
    future = continue_xs(half_hours, 3)
    assert as_text(future) == ["2021-06-03 02:00:00", "2021-06-03 02:30:00", "2021-06-03 03:00:00"]
    assert np.all(np.diff(future) == np.timedelta64(30, "m"))
    hours = dates("2021-06-01 06:00", 30, "h")
    assert as_text(continue_xs(hours, 1)) == ["2021-06-02 12:00:00"]


def test_dates_in_any_unit_come_back_in_nanoseconds():
    months = np.arange("2000-01", "2003-01", dtype="datetime64[M]")
    future = continue_xs(months, 2)
    assert future.dtype == np.dtype("datetime64[ns]")
    assert as_text(future) == ["2003-01-01 00:00:00", "2003-02-01 00:00:00"]
    years = np.arange("1900", "1950", dtype="datetime64[Y]")
    assert frequency(years).name == "yearly"
    assert as_text(continue_xs(years, 1)) == ["1950-01-01 00:00:00"]


def test_a_grid_of_numbers_continues_exactly():
    # The x·sin(x) grid: x = -20 + 0.1·k for k = 0 … 399, so the future starts at 20.0.
    grid = -20.0 + 0.1 * np.arange(400)
    found = frequency(grid)
    assert found == Frequency("steps of 0.1", (), None, step=0.1)
    assert not found.dated
    future = continue_xs(grid, 3)
    assert future.dtype == np.float64
    np.testing.assert_allclose(future, [20.0, 20.1, 20.2], rtol=0, atol=1e-9)
    # The same numbers as the grid itself continued, not the last value plus steps.
    assert np.array_equal(future, -20.0 + 0.1 * np.arange(400, 403))


def test_row_numbers_years_and_gappy_numbers():
    rows = np.arange(30, dtype=np.float64)
    assert frequency(rows) == Frequency("rows", (), None, step=1.0)
    assert continue_xs(rows, 2).tolist() == [30.0, 31.0]
    assert frequency(np.arange(1.0, 31.0)).name == "steps of 1"
    years = np.delete(np.arange(1875.0, 1973.0), [10, 50])
    assert frequency(years).step == 1.0
    assert continue_xs(years, 2).tolist() == [1973.0, 1974.0]
    assert continue_xs(np.arange(0, 50, 5), 2).tolist() == [50.0, 55.0]  # integers are numbers too
    assert frequency(0.25 * np.arange(40)).name == "steps of 0.25"


def test_a_known_step_continues_the_grid_and_uneven_numbers_continue_from_the_last():
    grid = 1.5 + 0.3 * np.arange(7)
    assert np.array_equal(continue_xs(grid, 2, step=0.3), 1.5 + 0.3 * np.arange(7, 9))
    uneven = np.array([0.0, 0.9, 2.1, 2.95])
    np.testing.assert_allclose(continue_xs(uneven, 2, step=1.0), [3.95, 4.95])
    np.testing.assert_allclose(continue_xs(uneven, 1), [2.95 + frequency(uneven).step])


@pytest.mark.parametrize(
    ("xs", "season_length"),
    [
        (dates("2020-01-01", 48, "h"), 24),
        (dates("2020-01-01", 335, "h"), 24),  # a day short of two weeks: the day
        (dates("2020-01-01", 336, "h"), 168),  # two whole weeks: the week, which holds the day
        (dates("2020-01-01", 95, "30min"), 0),  # under two days
        (dates("2020-01-01", 96, "30min"), 48),
        (dates("2020-01-01", 672, "30min"), 336),
        (dates("2020-01-01", 2000, "15min"), 96),  # two weeks (672 steps each) fit, but 672 is over the cap
        (dates("2020-01-01", 3000, "min"), 0),  # a day of minutes is 1440 steps: over the cap
        (dates("2020-01-01", 13, "D"), 0),
        (dates("2020-01-01", 14, "D"), 7),
        (dates("2020-01-01", 800, "D"), 7),
        (dates("2020-01-06", 10, "B"), 5),
        (dates("2020-01-05", 103, "W-SUN"), 0),
        (dates("2020-01-05", 104, "W-SUN"), 52),
        (dates("2000-01-01", 23, "MS"), 0),
        (dates("2000-01-01", 24, "MS"), 12),
        (dates("2000-01-01", 8, "QS"), 4),
        (dates("1900-01-01", 50, "YS"), 0),
        (dates("2020-01-01", 30, "2D"), 0),
        (np.arange(400.0), 0),
    ],
)
def test_the_season_needs_two_whole_cycles_and_fits_a_config(xs, season_length):
    assert suggest_season(xs) == season_length
    assert season_length <= MAX_SEASON_LENGTH


def test_the_season_fits_the_training_part():
    airline = datasets.load("airline_passengers").xs
    assert suggest_season(airline, n_train=24) == 12
    assert suggest_season(airline, n_train=23) == 0
    hours = dates("2020-01-01", 24 * 30, "h")
    assert suggest_season(hours) == 168
    assert suggest_season(hours, n_train=24 * 10) == 24


@pytest.mark.parametrize(
    "xs",
    [
        np.arange("2020-01-01T00", "2020-01-03T00", dtype="datetime64[h]"),
        np.arange("2020-01-01", "2020-03-01", dtype="datetime64[D]"),
        np.arange("2000-01", "2003-01", dtype="datetime64[M]"),
        np.arange("2000-01", "2010-01", 3, dtype="datetime64[M]"),
        np.arange("1900", "1950", dtype="datetime64[Y]"),
        np.arange("2020-01-01", "2020-03-01", 2, dtype="datetime64[D]"),
        np.arange(30.0),
        np.delete(np.arange("2000-01", "2004-01", dtype="datetime64[M]"), [5, 6, 20]),
    ],
    ids=["hourly", "daily", "monthly", "quarterly", "yearly", "every-2-days", "numbers", "gappy-monthly"],
)
def test_the_usual_seasons_where_two_cycles_fit(xs):
    xs = xs.astype("datetime64[ns]") if xs.dtype.kind == "M" else xs
    expected = {48: 24, 60: 7, 36: 12, 40: 4, 50: 0, 30: 0, 45: 12}[len(xs)]
    assert suggest_season(xs) == expected


def test_a_year_of_weeks_is_too_short_for_the_yearly_season():
    # One cycle is too few to learn a season from (the suggestion before this module gave 52 for 53 weeks).
    weeks = np.arange("2020-01-06", "2021-01-06", 7, dtype="datetime64[D]").astype("datetime64[ns]")
    assert suggest_season(weeks) == 0
    assert suggest_season(np.concatenate([weeks, continue_xs(weeks, 51)])) == 52


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: continue_xs(np.arange(10.0), 0), "horizon must be a whole number of steps, at least 1, got 0"),
        (lambda: continue_xs(np.arange(10.0), 2.5), "horizon must be a whole number of steps, at least 1, got 2.5"),
        (lambda: continue_xs(np.array([3.0]), 2), "at least 2 x values are needed to tell their step, got 1"),
        (lambda: frequency(np.array([], dtype="datetime64[ns]")), "at least 2 x values are needed"),
        (lambda: frequency(np.array([0.0, 2.0, 1.0])), r"must increase strictly .* \(position 2 does not\): sort"),
        (lambda: frequency(np.array([0.0, 1.0, 1.0])), "drop repeated x values"),
        (lambda: frequency(np.array([0.0, np.nan, 2.0])), r"1 missing or infinite values \(the first at position 1\)"),
        (
            lambda: frequency(np.array(["2020-01-01", "NaT", "2020-01-03"], dtype="datetime64[ns]")),
            "fill or drop those rows first",
        ),
        (lambda: frequency(np.array(["2020-01-01", "2020-01-02"])), "convert date text with pandas.to_datetime"),
        (lambda: frequency(np.zeros((3, 2))), r"a 1-D array\), got an array of shape \(3, 2\)"),
        (lambda: suggest_season(np.arange(10.0), n_train=11), "n_train must be between 0 and the 10 x values, got 11"),
        (lambda: suggest_season(np.arange(10.0), n_train=-1), "n_train must be between 0 and the 10 x values"),
        (lambda: continue_xs(dates("2000-01-01", 5, "D"), 2, step=1.0), "dates continue at their own frequency"),
        (lambda: continue_xs(np.arange(10.0), 2, step=0.0), "step must be a positive number, got 0.0"),
        (lambda: continue_xs(np.arange(10.0), 2, step=float("nan")), "step must be a positive number, got nan"),
    ],
)
def test_unusable_input_is_refused_with_a_reason(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_iso_text_keeps_every_date_distinct_at_the_coarsest_exact_unit():
    days = np.array(["2020-01-01", "2020-02-01"], dtype="datetime64[ns]")
    assert iso_text(days) == ["2020-01-01", "2020-02-01"]
    hours = np.array(["2020-01-01T00:00", "2020-01-01T01:00"], dtype="datetime64[ns]")
    assert iso_text(hours) == ["2020-01-01T00:00:00", "2020-01-01T01:00:00"]
    half_seconds = continue_xs(
        np.array(["2000-01-01T00:00:00.000", "2000-01-01T00:00:00.500"], dtype="datetime64[ns]"), 3
    )
    assert iso_text(half_seconds) == [
        "2000-01-01T00:00:01.000",
        "2000-01-01T00:00:01.500",
        "2000-01-01T00:00:02.000",
    ]


def test_missing_dates_counts_the_steps_a_file_skips_at_its_own_frequency():
    months = pd.date_range("2000-01-01", periods=36, freq="MS").to_numpy()
    assert missing_dates(months) == 0 and missing_dates(np.delete(months, [5, 9])) == 2
    half_hours = pd.date_range("2000-01-01", periods=400, freq="30min").to_numpy()
    assert missing_dates(np.delete(half_hours, [3])) == 1
    quarters = pd.date_range("2000-03-31", periods=40, freq="QE").to_numpy()
    assert missing_dates(np.delete(quarters, [3])) == 1
    assert missing_dates(np.arange(10.0)) == 0  # numbers have no dates to skip
