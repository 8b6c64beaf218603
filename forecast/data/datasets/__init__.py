"""Series that are not functions of x: the bundled real datasets, and CSV files people upload."""

from __future__ import annotations

import csv
import dataclasses
import functools
import hashlib
import io
from pathlib import Path

import numpy as np
import pandas as pd

from forecast.config.catalogue import CATALOGUE, FILL_MODES, MAX_POINTS, MIN_POINTS, DatasetInfo
from forecast.data import calendar

__all__ = [
    "CATALOGUE",
    "FILL_MODES",
    "MAX_UPLOAD_BYTES",
    "CsvColumns",
    "DatasetInfo",
    "Series",
    "content_hash",
    "inspect_csv",
    "load",
    "read_csv",
]

FOLDER = Path(__file__).resolve().parent
# Matches server.maxUploadSize in .streamlit/config.toml: Streamlit refuses larger uploads before we see them.
MAX_UPLOAD_BYTES = 20 * 1024 * 1024
# The same bounds as a function's sampled points.
MIN_ROWS = MIN_POINTS
MAX_ROWS = MAX_POINTS


@dataclasses.dataclass(frozen=True)
class Series:
    """A series read from a table: x (numbers or dates) and float values, with their column names."""

    xs: np.ndarray  # (n,) float64, or datetime64[ns] for dates
    ys: np.ndarray  # (n,) float64
    x_label: str
    value_label: str
    filled: int = 0  # empty value cells filled (or rows dropped) by the fill mode


@dataclasses.dataclass(frozen=True)
class CsvColumns:
    """What an uploaded file offers: its columns, which hold numbers, and which look like dates or a time index."""

    columns: tuple[str, ...]
    numeric: tuple[str, ...]
    dates: tuple[str, ...]
    increasing: tuple[str, ...]  # numeric columns rising in equal steps: years, time steps
    rows: int

    def suggestion(self) -> tuple[str, str]:
        """A sensible (value column, x column) to start from: dates or an increasing column for x."""
        x_column = self.dates[0] if self.dates else ""
        values = [name for name in self.numeric if name != x_column]
        if not x_column and len(values) > 1 and values[0] in self.increasing:
            x_column = values.pop(0)
        return (values[0] if values else ""), x_column


def content_hash(data: bytes) -> str:
    """The sha256 of a file's bytes: how a config refers to an uploaded file."""
    return hashlib.sha256(data).hexdigest()


def _size(count: int) -> str:
    return f"{count / 1024 / 1024:,.1f} MB" if count >= 1024 * 1024 else f"{count / 1024:,.1f} kB"


def _text(data: bytes) -> str:
    """The file's text, or ValueError if it is too large, empty or not text at all."""
    if len(data) > MAX_UPLOAD_BYTES:
        raise ValueError(f"the file is {_size(len(data))}: at most {_size(MAX_UPLOAD_BYTES)} can be used")
    if not data.strip():
        raise ValueError("the file is empty")
    head = data[:4096]
    if head.startswith(b"PK\x03\x04"):
        raise ValueError("this looks like an Excel workbook or another zip file, not CSV: save it as CSV first")
    if b"\x00" in head:
        raise ValueError("this is not a CSV file: it contains binary data")
    return data.decode("utf-8-sig", errors="replace")


def _table(data: bytes) -> pd.DataFrame:
    """Parse CSV bytes into a table of text cells, or raise ValueError saying what is wrong with the file."""
    text = _text(data)
    lines = text.count("\n") + (not text.endswith("\n"))
    if lines > MAX_ROWS + 1:
        raise ValueError(f"the file has {lines - 1:,} rows: at most {MAX_ROWS:,} can be used; keep the part you need")
    try:
        dialect = csv.Sniffer().sniff(text[:65536], delimiters=",;\t|")
        separator = dialect.delimiter
    except csv.Error:
        separator = ","
    try:
        table = pd.read_csv(io.StringIO(text), sep=separator, dtype=str, skipinitialspace=True)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeError, csv.Error) as error:
        reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise ValueError(f"the file could not be read as CSV: {reason}") from None
    if table.shape[1] == 0:
        raise ValueError("the file has no columns")
    # A first row of numbers or dates is data, not a header: read again with numbered columns.
    if all(_is_number(str(name)) or _is_date(str(name)) for name in table.columns):
        table = pd.read_csv(io.StringIO(text), sep=separator, dtype=str, header=None, skipinitialspace=True)
        table.columns = [f"column {index + 1}" for index in range(table.shape[1])]
    table.columns = [str(name).strip() for name in table.columns]
    if table.empty:
        raise ValueError(f"the file has a header but no rows of data: at least {MIN_ROWS} rows are needed")
    if separator != ",":
        table = table.apply(_decimal_commas_read)
    return table


# 1,5 or -12,25: a number written with a decimal comma, as files separated by semicolons often are.
_DECIMAL_COMMA = r"^[+-]?\d+,\d+$"


def _decimal_commas_read(column: pd.Series) -> pd.Series:
    """A column of numbers written with decimal commas, with points instead (others as they are)."""
    text = column.fillna("").str.strip()
    filled = text != ""
    if filled.any() and text[filled].str.match(_DECIMAL_COMMA).mean() >= 0.8:
        return column.str.replace(",", ".", regex=False)
    return column


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _is_date(text: str) -> bool:
    return not pd.isna(pd.to_datetime(text.strip(), errors="coerce", format="mixed"))


def _numbers(column: pd.Series) -> pd.Series:
    return pd.to_numeric(column.str.strip(), errors="coerce")


# A day and a month written as numbers in either order: 01/02/2000, 1.2.2000, 01-02-00.
_AMBIGUOUS_DATE = r"^\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}\b"


def _dates(column: pd.Series) -> pd.Series:
    """Dates as pandas reads them (month first where a day and a month could be either), or day first where
    only that reading gives dates that rise at a regular frequency (01/02/2000, 01/03/2000 … are months)."""
    text = column.str.strip()
    month_first = pd.to_datetime(text, errors="coerce", format="mixed")
    if not text.str.match(_AMBIGUOUS_DATE).any():
        return month_first
    day_first = pd.to_datetime(text, errors="coerce", format="mixed", dayfirst=True)
    return day_first if _date_order(day_first) > _date_order(month_first) else month_first


def _date_order(dates: pd.Series) -> tuple[bool, bool, bool]:
    """How well a reading of a date column holds: every cell a date, rising, at one frequency pandas can name."""
    complete = bool(dates.notna().all())
    rising = complete and dates.is_monotonic_increasing and dates.is_unique
    regular = rising and calendar.evenly_spaced(dates)
    return complete, rising, regular


def _mostly(values: pd.Series, filled: pd.Series) -> bool:
    return int(filled.sum()) > 0 and values.notna().sum() >= 0.8 * filled.sum()


def inspect_csv(data: bytes) -> CsvColumns:
    """The columns of an uploaded file, for choosing the value and x columns; ValueError if it is unusable."""
    table = _table(data)
    numeric, dates, increasing = [], [], []
    for name in table.columns:
        column = table[name].fillna("")
        filled = column.str.strip() != ""
        values = _numbers(column)
        if _mostly(values, filled):
            numeric.append(name)
            if _is_time_index(values):
                increasing.append(name)
        elif _mostly(_dates(column), filled):
            dates.append(name)
    return CsvColumns(tuple(table.columns), tuple(numeric), tuple(dates), tuple(increasing), len(table))


def _rows(positions: np.ndarray) -> str:
    # File line numbers: the header is line 1, so data row i is line i + 2.
    shown = ", ".join(str(int(position) + 2) for position in positions[:5])
    return shown + (f" and {len(positions) - 5} more" if len(positions) > 5 else "")


def _default_value_column(table: pd.DataFrame, x_column: str) -> str:
    """The first column of numbers other than x, passing over one that only increases (a year, a time step)."""
    candidates = []
    for name in table.columns:
        column = table[name].fillna("")
        if name != x_column and _mostly(_numbers(column), column.str.strip() != ""):
            candidates.append(name)
    if not candidates:
        raise ValueError(f"the file has no column of numbers: its columns are {', '.join(table.columns)}")
    if len(candidates) > 1 and _is_time_index(_numbers(table[candidates[0]].fillna(""))):
        return candidates[1]
    return candidates[0]


def _is_time_index(values: pd.Series) -> bool:
    """Numbers that rise in equal steps, like years or time steps: an x column rather than values."""
    if len(values) < 2 or not values.notna().all():
        return False
    steps = values.diff().iloc[1:].to_numpy()
    return bool(steps[0] > 0 and np.allclose(steps, steps[0]))


def _choose_columns(table: pd.DataFrame, value_column: str, x_column: str) -> str:
    """Check the named columns exist and differ; the value column to use (the default one if none is named)."""
    columns = list(table.columns)
    for role, name in (("value", value_column), ("x", x_column)):
        if name and name not in columns:
            raise ValueError(f"the file has no column {name!r} for the {role}s: its columns are {', '.join(columns)}")
    if value_column and value_column == x_column:
        raise ValueError(f"column {value_column!r} cannot be both the values and x")
    return value_column or _default_value_column(table, x_column)


def _check_missing(value_column: str, empty: np.ndarray, missing: np.ndarray, fill: str) -> None:
    """Refuse cells that are not numbers: any of them without a fill mode, text ones in every mode."""
    text = np.flatnonzero(missing & ~empty)
    if fill == "none" and missing.any():
        bad = np.flatnonzero(missing)
        hint = ", or choose a fill mode for the empty ones (interpolate, ffill or drop)" if empty.any() else ""
        raise ValueError(
            f"column {value_column!r} has {len(bad)} empty or non-numeric value{'s' if len(bad) > 1 else ''} "
            f"(line {_rows(bad)}): fill or remove those rows{hint}"
        )
    if len(text):
        raise ValueError(
            f"column {value_column!r} has {len(text)} non-numeric value{'s' if len(text) > 1 else ''} "
            f"(line {_rows(text)}): only empty cells are filled, so correct or remove those rows"
        )
    if empty.all():
        raise ValueError(f"column {value_column!r} has no values: every cell is empty")


def _values(table: pd.DataFrame, value_column: str, fill: str) -> tuple[pd.DataFrame, np.ndarray, int]:
    """The rows kept, the value column as finite floats with empty cells filled, and how many were filled.

    Raises a ValueError naming the lines that are not usable.
    """
    n_rows = len(table)
    if n_rows < MIN_ROWS:
        raise ValueError(f"the file has {n_rows} rows: at least {MIN_ROWS} are needed")
    if n_rows > MAX_ROWS:
        raise ValueError(f"the file has {n_rows:,} rows: at most {MAX_ROWS:,} can be used; keep the part you need")
    cells = table[value_column].fillna("")
    values = _numbers(cells)
    empty = (cells.str.strip() == "").to_numpy()
    missing = values.isna().to_numpy()
    _check_missing(value_column, empty, missing, fill)
    filled = int(empty.sum())
    if fill == "drop" and filled:
        table, values = table[~empty], values[~empty]
        if len(table) < MIN_ROWS:
            raise ValueError(
                f"dropping the {filled} rows with an empty value leaves {len(table)} rows: at least {MIN_ROWS} are "
                "needed, so interpolate or carry values forward instead"
            )
    elif fill == "interpolate":
        values = values.interpolate(method="linear", limit_direction="both")
    elif fill == "ffill":
        values = values.ffill().bfill()
    ys = values.to_numpy(dtype=np.float64)
    infinite = np.flatnonzero(~np.isfinite(ys))
    if len(infinite):
        lines = table.index.to_numpy()
        raise ValueError(f"column {value_column!r} has infinite values (line {_rows(lines[infinite])}): remove them")
    return table, ys, filled


def _x_values(table: pd.DataFrame, x_column: str) -> np.ndarray:
    """The x column as floats or dates, rising from row to row, or a ValueError saying where it is not."""
    # File line of each row: its position in the file, which dropping rows must not shift.
    lines = table.index.to_numpy()
    raw = table[x_column].fillna("")
    xs_numeric = _numbers(raw)
    if xs_numeric.notna().all():
        xs = xs_numeric.to_numpy(dtype=np.float64)
    else:
        xs_dates = _dates(raw)
        if xs_dates.isna().any():
            bad = np.flatnonzero((xs_numeric.isna() & xs_dates.isna()).to_numpy())
            raise ValueError(f"column {x_column!r} is neither numbers nor dates (line {_rows(lines[bad])})")
        xs = xs_dates.to_numpy(dtype="datetime64[ns]")
    steps = np.diff(xs)
    if np.issubdtype(steps.dtype, np.timedelta64):
        steps = steps.astype(np.int64)  # nanoseconds
    backwards = np.flatnonzero(steps <= 0)
    if len(backwards):
        raise ValueError(
            f"column {x_column!r} must increase from row to row (line {_rows(lines[backwards + 1])} does not): "
            "sort the file or choose another x column"
        )
    return xs


def read_csv(data: bytes, value_column: str = "", x_column: str = "", fill: str = "none") -> Series:
    """Read a series from CSV bytes: `value_column` and an optional x column (numbers or dates).

    An empty `value_column` means the first column of numbers other than x, passing over one that only
    increases (a year or time-step column) when there is another; an empty `x_column` means the row number.
    `fill` says what to do with empty value cells (see FILL_MODES): "none" refuses the file naming their lines;
    "interpolate" fills them linearly between the neighbouring rows (by row, the edges take the nearest value);
    "ffill" carries the last value forward (leading ones take the first value); "drop" removes those rows. The
    count is the series' `filled`. Cells with text that is not a number are refused in every mode.

    Raises ValueError with a message a person can act on for every kind of bad file.
    """
    if fill not in FILL_MODES:
        raise ValueError(f"fill must be one of {', '.join(FILL_MODES)}, got {fill!r}")
    table = _table(data)
    value_column = _choose_columns(table, value_column, x_column)
    table, ys, filled = _values(table, value_column, fill)
    if not x_column:
        return Series(np.arange(len(ys), dtype=np.float64), ys, "row", value_column, filled)
    return Series(_x_values(table, x_column), ys, x_column, value_column, filled)


@functools.cache
def _bundled_bytes(name: str) -> bytes:
    return (FOLDER / CATALOGUE[name].file).read_bytes()


def load(name: str) -> Series:
    """A bundled dataset by name."""
    if name not in CATALOGUE:
        raise ValueError(f"no bundled dataset {name!r}: choose one of {', '.join(CATALOGUE)}")
    info = CATALOGUE[name]
    return read_csv(_bundled_bytes(name), value_column=info.value_column, x_column=info.x_column)
