"""The calendar of a series' x values: how often they come, which seasons that suggests, and what comes next.

x values are either float64 numbers (a grid, row numbers, years written as numbers) or datetime64 dates. Dates
are read with `pandas.infer_freq` where it works, and from the median step where it does not (a few gaps, a
holiday, only two dates), so a few missing rows do not change the answer.
"""

from __future__ import annotations

import dataclasses
import warnings

import numpy as np
import pandas as pd
from pandas.tseries.frequencies import to_offset

from forecast.config.catalogue import MAX_SEASON_LENGTH

__all__ = ["Frequency", "continue_xs", "evenly_spaced", "frequency", "missing_dates", "suggest_season"]

DAY = pd.Timedelta(days=1)
WEEK = pd.Timedelta(days=7)
ZERO = pd.Timedelta(0)
# The mean Gregorian month: a step of n months lasts about n times this.
AVERAGE_MONTH = pd.Timedelta(days=365.2425 / 12)
# Month-based pandas offsets and the calendar months one step of each spans.
_MONTHS_PER_STEP = (
    (
        (
            pd.offsets.MonthBegin,
            pd.offsets.MonthEnd,
            pd.offsets.BusinessMonthBegin,
            pd.offsets.BusinessMonthEnd,
            pd.offsets.WeekOfMonth,
            pd.offsets.LastWeekOfMonth,
        ),
        1,
    ),
    ((pd.offsets.QuarterBegin, pd.offsets.QuarterEnd, pd.offsets.BQuarterBegin, pd.offsets.BQuarterEnd), 3),
    ((pd.offsets.YearBegin, pd.offsets.YearEnd, pd.offsets.BYearBegin, pd.offsets.BYearEnd), 12),
)
# The days of the month a monthly series keeps to, most usual first: continued with the same anchor.
_MONTH_ANCHORS = (
    pd.offsets.MonthBegin(),
    pd.offsets.MonthEnd(),
    pd.offsets.BusinessMonthBegin(),
    pd.offsets.BusinessMonthEnd(),
)
_NAMES_BY_MONTHS = {1: "monthly", 3: "quarterly", 12: "yearly"}
# A year of months or quarters; yearly and other month counts have no season.
_SEASONS_BY_MONTHS = {1: (12,), 3: (4,)}
_NAMES_BY_DURATION = {DAY: "daily", pd.Timedelta(hours=1): "hourly", pd.Timedelta(minutes=30): "half-hourly"}
# A fixed step is named in the longest of these units that divides it: "every 15 minutes", "every 36 hours".
_UNITS = (
    ("day", DAY),
    ("hour", pd.Timedelta(hours=1)),
    ("minute", pd.Timedelta(minutes=1)),
    ("second", pd.Timedelta(seconds=1)),
    ("millisecond", pd.Timedelta(milliseconds=1)),
    ("microsecond", pd.Timedelta(microseconds=1)),
    ("nanosecond", pd.Timedelta(nanoseconds=1)),
)
# A step read from the data is rounded to this many significant digits, so a grid typed with a step of 0.1 is
# read back as exactly 0.1 (and continued exactly as its source would), not 0.1 plus the float error of one step.
_STEP_DIGITS = 12


@dataclasses.dataclass(frozen=True)
class Frequency:
    """How often a series' x values come: a name a person reads, the seasons it suggests, and the step to continue."""

    name: str  # "monthly", "half-hourly", "every 15 minutes", "steps of 0.1", "rows", …
    seasons: tuple[int, ...]  # candidate season lengths in steps, most usual first; () when none
    offset: pd.offsets.BaseOffset | None = None  # dates: what one step adds (a pandas offset); None for numbers
    step: float = 0.0  # numbers: the step between x values; 0.0 for dates
    sub_daily: bool = False  # dates less than a day apart, whose seasons are the day and then the week

    @property
    def dated(self) -> bool:
        """Whether the x values are dates (continued with `offset`) rather than numbers (continued with `step`)."""
        return self.offset is not None


def _checked(xs: np.ndarray) -> np.ndarray:
    """xs as float64 numbers or datetime64[ns] dates, or a ValueError saying why they cannot be x values."""
    values = np.asarray(xs)
    if values.ndim != 1:
        raise ValueError(f"xs must be one column of x values (a 1-D array), got an array of shape {values.shape}")
    if values.dtype.kind == "M":
        values = values.astype("datetime64[ns]")
        missing = np.isnat(values)
    elif values.dtype.kind in "iuf":
        values = values.astype(np.float64)
        missing = ~np.isfinite(values)
    else:
        raise ValueError(
            f"xs must hold numbers or dates (datetime64), got {values.dtype}: convert date text with pandas.to_datetime"
        )
    if len(values) < 2:
        raise ValueError(f"at least 2 x values are needed to tell their step, got {len(values)}")
    if missing.any():
        position = int(np.flatnonzero(missing)[0])
        raise ValueError(
            f"xs has {int(missing.sum())} missing or infinite values (the first at position {position}): "
            "fill or drop those rows first"
        )
    # Dates compare as their nanosecond counts.
    steps = np.diff(values.view(np.int64) if values.dtype.kind == "M" else values)
    backwards = np.flatnonzero(steps <= 0)
    if len(backwards):
        raise ValueError(
            f"xs must increase strictly from one value to the next (position {int(backwards[0]) + 1} does not): "
            "sort them and drop repeated x values"
        )
    return values


def _round_step(step: float) -> float:
    return float(f"{step:.{_STEP_DIGITS}g}")


def _number_frequency(values: np.ndarray) -> Frequency:
    """Numbers: their step is the span over the whole number of median steps it holds (so gaps do not count)."""
    span = float(values[-1] - values[0])
    median = float(np.median(np.diff(values)))
    step = _round_step(span / max(round(span / median), 1))
    if values[0] == 0 and step == 1 and np.array_equal(values, np.arange(len(values))):
        return Frequency("rows", (), step=1.0)
    return Frequency(f"steps of {step:.{_STEP_DIGITS}g}", (), step=step)


def _inferred_offset(index: pd.DatetimeIndex) -> pd.offsets.BaseOffset | None:
    """pandas' own reading of evenly spaced dates; None when it cannot tell (gaps, ragged steps, under 3 dates)."""
    if len(index) < 3:
        return None
    with warnings.catch_warnings():
        # pandas 3 warns that infer_freq will return an offset instead of an alias; to_offset reads either.
        warnings.filterwarnings("ignore", message=".*infer_freq", category=Warning)
        found = pd.infer_freq(index)
    return None if found is None else to_offset(found)


def evenly_spaced(dates: pd.Series | np.ndarray) -> bool:
    """Whether the dates rise at one frequency pandas can name, with no gap (at least 3 of them)."""
    return _inferred_offset(pd.DatetimeIndex(dates)) is not None


def _month_offset(index: pd.DatetimeIndex, median: pd.Timedelta) -> pd.offsets.BaseOffset | None:
    """A step of whole calendar months, if the dates keep to one day of the month (or its first or last day,
    calendar or business); else None."""
    months = int(np.median(np.diff(index.year * 12 + index.month)))
    # Months run 28–31 days, quarters 89–92: a tenth either way covers them, and steps of 4 weeks are told
    # apart below because their day of the month drifts.
    if months < 1 or abs(median - months * AVERAGE_MONTH) > months * AVERAGE_MONTH / 10:
        return None
    for anchor in _MONTH_ANCHORS:
        if all(anchor.is_on_offset(date) for date in index):
            return anchor * months
    if index.day.nunique() == 1:
        return pd.DateOffset(months=months)
    return None


def _offset_from_steps(index: pd.DatetimeIndex) -> pd.offsets.BaseOffset:
    """The offset of dates pandas cannot read, from their median step: a few gaps leave the median unchanged."""
    median = pd.Timedelta(int(np.median(np.diff(index.asi8))))
    months = _month_offset(index, median)
    if months is not None:
        return months
    if median % WEEK == ZERO and index.day_of_week.nunique() == 1:
        return pd.offsets.Week(median // WEEK, weekday=int(index.day_of_week[0]))
    # Daily steps that never land on a weekend over at least a week are business days (a holiday is a gap).
    if median == DAY and (index.day_of_week < 5).all() and index[-1] - index[0] >= WEEK:
        return pd.offsets.BusinessDay()
    if median % DAY == ZERO:
        return pd.offsets.Day(median // DAY)
    return to_offset(median)


def _month_count(offset: pd.offsets.BaseOffset) -> int:
    """The calendar months one step of `offset` spans; 0 if it is not a step of months."""
    for kinds, months in _MONTHS_PER_STEP:
        if isinstance(offset, kinds):
            return months * offset.n
    if type(offset) is pd.DateOffset and set(offset.kwds) <= {"months", "years"}:
        return offset.n * (offset.kwds.get("months", 0) + 12 * offset.kwds.get("years", 0))
    return 0


def _duration_name(duration: pd.Timedelta) -> str:
    if duration in _NAMES_BY_DURATION:
        return _NAMES_BY_DURATION[duration]
    for unit, length in _UNITS:
        if duration % length == ZERO:
            count = duration // length
            return f"every {unit}" if count == 1 else f"every {count} {unit}s"
    raise AssertionError("every duration is a whole number of nanoseconds")


def _fixed_frequency(offset: pd.offsets.BaseOffset, duration: pd.Timedelta) -> Frequency:
    """Steps of a fixed length: a day, or a part of one whose seasons are the day and then the week."""
    name = _duration_name(duration)
    if duration < DAY:
        steps_per_day = DAY // duration if DAY % duration == ZERO else 0
        seasons = (steps_per_day, 7 * steps_per_day) if steps_per_day else ()
        return Frequency(name, seasons, offset, sub_daily=True)
    # Daily data has a weekly season and, over years of it, a yearly one.
    return Frequency(name, (7, 365) if duration == DAY else (), offset)


def _described(offset: pd.offsets.BaseOffset) -> Frequency:
    """The name and seasons of dates one `offset` apart."""
    months = _month_count(offset)
    if months:
        return Frequency(
            _NAMES_BY_MONTHS.get(months, f"every {months} months"), _SEASONS_BY_MONTHS.get(months, ()), offset
        )
    if isinstance(offset, pd.offsets.Week):
        if offset.n == 1:
            return Frequency("weekly", (52,), offset)
        return Frequency(f"every {offset.n} weeks", (), offset)
    if isinstance(offset, pd.offsets.BusinessDay):
        if offset.n == 1:
            return Frequency("business-daily", (5,), offset)
        return Frequency(f"every {offset.n} business days", (), offset)
    if isinstance(offset, (pd.offsets.Tick, pd.offsets.Day)):
        return _fixed_frequency(offset, pd.Timedelta(offset))
    return Frequency(f"every {offset.freqstr}", (), offset)


def frequency(xs: np.ndarray) -> Frequency:
    """The frequency of an x column (strictly increasing numbers or dates); ValueError if it is not one.

    Dates take pandas' inferred frequency, or the median step when gaps hide it; numbers take their median step
    (rounded to 12 significant digits). Numbers have no season, years written as numbers included.
    """
    values = _checked(xs)
    if values.dtype.kind != "M":
        return _number_frequency(values)
    index = pd.DatetimeIndex(values)
    offset = _inferred_offset(index)
    return _described(offset if offset is not None else _offset_from_steps(index))


def missing_dates(xs: np.ndarray) -> int:
    """How many dates a dated x column skips at its own frequency (a month left out of a monthly file); 0 for
    numbers, and where the dates do not keep to the steps of their frequency."""
    values = _checked(xs)
    if values.dtype.kind != "M":
        return 0
    index = pd.DatetimeIndex(values)
    offset = frequency(values).offset
    if offset is None or not offset.is_on_offset(index[0]):
        return 0
    expected = pd.date_range(index[0], index[-1], freq=offset)
    if not index.isin(expected).all():
        return 0
    return len(expected) - len(index)


def suggest_season(xs: np.ndarray, n_train: int | None = None) -> int:
    """The season to use for an x column: the first candidate of its frequency with two whole cycles in the
    training part (the first `n_train` values, all of them by default); 0 when none fits.

    Candidates longer than a config allows (MAX_SEASON_LENGTH) are passed over. Sub-daily data takes the week
    when two whole weeks fit: demand data cycles daily and weekly, and the weekly cycle contains the daily one.
    """
    values = _checked(xs)
    if n_train is None:
        n_train = len(values)
    if not 0 <= n_train <= len(values):
        raise ValueError(f"n_train must be between 0 and the {len(values)} x values, got {n_train}")
    found = frequency(values)
    fitting = [season for season in found.seasons if season <= MAX_SEASON_LENGTH and 2 * season <= n_train]
    if not fitting:
        return 0
    return fitting[-1] if found.sub_daily else fitting[0]


def _checked_horizon(horizon: int) -> None:
    if isinstance(horizon, bool) or not isinstance(horizon, (int, np.integer)) or horizon < 1:
        raise ValueError(f"horizon must be a whole number of steps, at least 1, got {horizon!r}")


def _checked_step(step: float) -> float:
    if isinstance(step, bool) or not isinstance(step, (int, float, np.integer, np.floating)) or not 0 < step < np.inf:
        raise ValueError(f"step must be a positive number, got {step!r}")
    return float(step)


def _continued_numbers(values: np.ndarray, horizon: int, step: float) -> np.ndarray:
    """Numbers after the last: on the grid x_0 + k·step when the series lies on it, else from the last value."""
    first = values[0]
    positions = np.round((values - first) / step)
    ahead = np.arange(1, horizon + 1, dtype=np.float64)
    # Counting from the first x (not adding steps to the last) keeps a grid exact: -20 + 400 × 0.1 is 20.0.
    if np.all(np.abs(first + positions * step - values) <= 1e-6 * step):
        return first + (positions[-1] + ahead) * step
    return values[-1] + ahead * step


def continue_xs(xs: np.ndarray, horizon: int, step: float | None = None) -> np.ndarray:
    """The `horizon` x values after the last of `xs`, at the series' own frequency.

    Dates (returned as datetime64[ns]) step by their pandas offset from the last date: month starts stay month
    starts, month ends stay month ends, weeks keep their weekday. Numbers (returned as float64) step by `step`,
    read from the data when None; a caller that knows the grid's step (x_start + k·x_step) passes it. Numbers
    on that grid continue it exactly; others continue from the last value. ValueError for a horizon under 1,
    fewer than 2 xs, or a `step` given for dates.
    """
    _checked_horizon(horizon)
    values = _checked(xs)
    if values.dtype.kind == "M":
        if step is not None:
            raise ValueError("step is for numeric x values: dates continue at their own frequency, so leave it out")
        offset = frequency(values).offset
        last = pd.Timestamp(values[-1])
        # Each date from the last one (not from the one before it), so day 31 + 1 month + 1 month stays a 31st.
        future = pd.DatetimeIndex([last + offset * ahead for ahead in range(1, horizon + 1)])
        return future.to_numpy().astype("datetime64[ns]")
    step = frequency(values).step if step is None else _checked_step(step)
    return _continued_numbers(values, horizon, step)


def iso_text(xs: np.ndarray) -> list[str]:
    """Dates as ISO text at the coarsest unit that keeps every one exact: days, seconds, or finer (a series of
    half-seconds keeps its .500), so that two different dates never print as the same text."""
    xs = np.asarray(xs)
    unit = next((unit for unit in ("D", "s", "ms", "us") if np.all(xs == xs.astype(f"datetime64[{unit}]"))), "ns")
    return [str(x) for x in np.datetime_as_string(xs, unit=unit)]
