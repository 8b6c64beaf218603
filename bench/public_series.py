"""Public real series for the benchmarks, from PyPI packages, kept as `date,value` CSV files outside the repository.

    python -m bench.public_series                        # fetch what is missing, print the table
    FORECAST_BENCH_DATA=/tmp/series python -m bench.public_series --details

Two sources, both reachable with nothing but pip:

- statsmodels' bundled datasets (statsmodels is already a runtime dependency);
- pmdarima's bundled datasets, read out of its wheel without installing it (pmdarima needs compiling):
  `python -m pip download pmdarima==2.1.1 --no-deps --only-binary=:all: -d DIR`. In that wheel only the monthly
  sunspots and the MSFT prices are data files (`pmdarima/datasets/data/`); every other series is a number list
  written in its loader module (`pmdarima/datasets/wineind.py` …), which is parsed here with `ast`, never run.
  None of those lists carries dates: they are built from each series' documented start and frequency.

Each series becomes `NAME.csv` with the columns `date,value` (ISO dates; date and time for sub-daily steps) in
`$FORECAST_BENCH_DATA`, or `~/.cache/lstm-forecast-playground-bench` when that is unset. Only missing files are
made, and the wheel is downloaded only when a pmdarima series is missing; `--refresh` makes every file again.
"""

from __future__ import annotations

import argparse
import ast
import dataclasses
import gzip
import io
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import uuid
import warnings
import zipfile
from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np
import pandas as pd

# The app's bounds on a series (forecast.config.catalogue MIN_POINTS and MAX_POINTS), repeated rather than imported:
# fetching data must not depend on the app's package importing cleanly.
MIN_ROWS = 20
MAX_ROWS = 5000
# Pinned: the loader modules' layout parsed below is the one checked in this version.
PMDARIMA_VERSION = "2.1.1"
CACHE_ENV = "FORECAST_BENCH_DATA"
DEFAULT_CACHE = Path("~/.cache/lstm-forecast-playground-bench")
PIP_TIMEOUT_SECONDS = 300


class FetchError(RuntimeError):
    """A series could not be made: the download failed, or a package's file is not what this module expects."""


@dataclasses.dataclass(frozen=True)
class PublicSeries:
    """One public series: what it is, where it comes from (as the package states it) and how its CSV is made."""

    name: str
    title: str
    source: str  # who collected or published it, as the package says
    licence: str  # as the package states it
    frequency: str
    season: int  # usual season length in steps; 0 if none
    package: str  # "statsmodels" or "pmdarima": whose files hold it
    how: str  # where it is in the package and what was done to make the date,value table
    filled: int = 0  # values missing in the source and filled here


_SM = "statsmodels (BSD-3-Clause)"
_PM = f"pmdarima {PMDARIMA_VERSION} (MIT)"
_PM_LICENCE = "not stated by pmdarima, which is MIT-licensed itself"

CATALOGUE: dict[str, PublicSeries] = {
    series.name: series
    for series in (
        PublicSeries(
            "elnino",
            "Sea surface temperature, Niño 1+2 region (0–10°S, 90–80°W), °C, Jan 1950 – Dec 2010",
            "NOAA National Weather Service, ERSST.V3B, Niño 1+2; via statsmodels",
            f"public domain ('This data is in the public domain.'); {_SM}",
            "monthly",
            12,
            "statsmodels",
            "statsmodels.datasets.elnino.load_pandas().data: one row per year (YEAR, JAN … DEC); read row by row "
            "into one value per month, dated the 1st",
        ),
        PublicSeries(
            "co2",
            "Atmospheric CO₂ at Mauna Loa, ppmv, weekly, 29 Mar 1958 – 29 Dec 2001",
            "Keeling and Whorf (2004), SIO/CDIAC, Mauna Loa Observatory; via statsmodels",
            f"public domain ('This is public domain.'); {_SM}",
            "weekly",
            52,
            "statsmodels",
            "statsmodels.datasets.co2.load_pandas().data: weekly (Saturdays), 59 weeks empty, 22 gaps, the longest "
            "18 weeks (25 Jan – 23 May 1964); kept weekly and the empty weeks filled by linear interpolation in time",
            filled=59,
        ),
        PublicSeries(
            "sunspots_yearly",
            "Yearly sunspot number (SUNACTIVITY), 1700–2008",
            "NOAA National Geophysical Data Center; via statsmodels",
            f"public domain ('This data is public domain.'); {_SM}",
            "yearly",
            0,  # an 11-year cycle, not a calendar season
            "statsmodels",
            "statsmodels.datasets.sunspots.load_pandas().data: YEAR and SUNACTIVITY, dated 1 January",
        ),
        PublicSeries(
            "nile",
            "Annual flow of the Nile at Aswan, 10⁸ m³, 1871–1970",
            "Cobb (1978), Biometrika 65(2); via statsmodels",
            f"public domain ('This is public domain.'); {_SM}",
            "yearly",
            0,
            "statsmodels",
            "statsmodels.datasets.nile.load_pandas().data: year and volume, dated 1 January",
        ),
        PublicSeries(
            "us_realgdp",
            "US real GDP, billions of chained 2005 dollars, seasonally adjusted annual rate, 1959Q1 – 2009Q3",
            "FRED, Federal Reserve Bank of St. Louis (accessed 2009-12-15); statsmodels macrodata",
            f"public domain ('This is public domain.'); {_SM}",
            "quarterly",
            0,  # seasonally adjusted at the source
            "statsmodels",
            "statsmodels.datasets.macrodata.load_pandas().data: year, quarter and realgdp, dated the quarter's 1st day",
        ),
        PublicSeries(
            "us_unemployment",
            "US unemployment rate, %, seasonally adjusted, 1959Q1 – 2009Q3",
            "US Bureau of Labor Statistics; statsmodels macrodata",
            f"public domain ('This is public domain.'); {_SM}",
            "quarterly",
            0,  # seasonally adjusted at the source
            "statsmodels",
            "statsmodels.datasets.macrodata.load_pandas().data: year, quarter and unemp, dated the quarter's 1st day",
        ),
        PublicSeries(
            "us_cpi",
            "US consumer price index, all urban consumers, end of quarter, 1982–84 = 100, seasonally adjusted, "
            "1959Q1 – 2009Q3",
            "FRED, Federal Reserve Bank of St. Louis (accessed 2009-12-15); statsmodels macrodata",
            f"public domain ('This is public domain.'); {_SM}",
            "quarterly",
            0,  # seasonally adjusted at the source
            "statsmodels",
            "statsmodels.datasets.macrodata.load_pandas().data: year, quarter and cpi, dated the quarter's 1st day",
        ),
        PublicSeries(
            "eu_elec_equip",
            "Euro area 18 turnover index, manufacture of electrical equipment (NACE 26–27), working-day adjusted, "
            "not seasonally adjusted, Jan 1995 – May 2016",
            "Eurostat (STS.M.I7.W.TOVT.NS0016.4.000); via statsmodels",
            f"public domain ('This is public domain.'); {_SM}",
            "monthly",
            12,
            "statsmodels",
            "statsmodels.datasets.elec_equip.load_pandas().data: dated the 1st of each month, as in the file",
        ),
        PublicSeries(
            "wineind",
            "Australian wine sales by wine makers in bottles ≤ 1 litre, Jan 1980 – Aug 1994",
            "R package forecast, wineind; via pmdarima",
            _PM_LICENCE,
            "monthly",
            12,
            "pmdarima",
            f"{_PM} wheel, pmdarima/datasets/wineind.py: 176 numbers, no dates; dated from the documented start "
            "(Jan 1980, monthly, as pmdarima's own index), the 1st of each month",
        ),
        PublicSeries(
            "ausbeer",
            "Australian beer production, megalitres, 1956Q1 – 2008Q3",
            "R package fpp, ausbeer; via pmdarima",
            _PM_LICENCE,
            "quarterly",
            4,
            "pmdarima",
            f"{_PM} wheel, pmdarima/datasets/ausbeer.py: 211 numbers then one None (an empty 212th quarter, "
            "dropped); no dates; dated from the documented 1956Q1, the quarter's 1st day",
        ),
        PublicSeries(
            "woolyrnq",
            "Australian woollen yarn production, tonnes, 1965Q1 – 1994Q3",
            "R package forecast, woolyrnq; via pmdarima",
            _PM_LICENCE,
            "quarterly",
            4,
            "pmdarima",
            f"{_PM} wheel, pmdarima/datasets/woolyrnq.py: 119 numbers, no dates; dated from the documented start "
            "(Mar 1965 = Q1, as pmdarima's own index), the quarter's 1st day",
        ),
        PublicSeries(
            "austres",
            "Australian residents, thousands, 1971Q2 – 1993Q2",
            "Brockwell and Davis (1996), Introduction to Time Series and Forecasting; R datasets::austres; "
            "via pmdarima",
            _PM_LICENCE,
            "quarterly",
            0,  # a smooth population count: no quarterly pattern to speak of
            "pmdarima",
            f"{_PM} wheel, pmdarima/datasets/austres.py: 89 numbers, no dates. Its docstring says 'March 1971 to "
            "March 1994', which would be 93 quarters; the 89 values are R's austres, whose time runs 1971.25 – "
            "1993.25, so dated by R's time (1971Q2 – 1993Q2), the quarter's 1st day",
        ),
        PublicSeries(
            "lynx",
            "Lynx trappings, Hudson's Bay Company, Canada, yearly 1821–1934",
            "Brockwell and Davis (1991), Series G; R datasets::lynx; via pmdarima",
            _PM_LICENCE,
            "yearly",
            0,  # a roughly 10-year cycle, not a calendar season
            "pmdarima",
            f"{_PM} wheel, pmdarima/datasets/lynx.py: 114 numbers, no dates; dated from the documented 1821, 1 January",
        ),
        PublicSeries(
            "taylor",
            "Electricity demand in England and Wales, MW, half-hourly, Mon 5 Jun – Sun 27 Aug 2000",
            "Taylor (2003), J. Oper. Res. Soc. 54; R package forecast, taylor; via pmdarima",
            _PM_LICENCE,
            "half-hourly",
            48,  # daily; the week (336) is the other season
            "pmdarima",
            f"{_PM} wheel, pmdarima/datasets/taylor.py: 4032 numbers (12 weeks × 7 days × 48), no dates; dated from "
            "the documented Monday 5 June 2000, 00:00 every 30 minutes (local clock time, no time zone: the file "
            "says none)",
        ),
        PublicSeries(
            "heartrate",
            "Heart rate of one subject, beats per minute, 150 readings 0.5 s apart",
            "Goldberger and Rigney (1991); MIT ecg.mit.edu time-series sample; via pmdarima",
            _PM_LICENCE,
            "half-second",
            0,
            "pmdarima",
            f"{_PM} wheel, pmdarima/datasets/heartrate.py: 150 numbers, no dates and no documented start; the clock "
            "is nominal, from 2000-01-01 00:00:00 every 0.5 s (this module's choice: only the spacing is real)",
        ),
        PublicSeries(
            "sunspots_monthly",
            "Monthly mean relative sunspot number, Jan 1749 – Dec 1983",
            "Swiss Federal Observatory, Zurich, then Tokyo Astronomical Observatory; R datasets::sunspots; "
            "via pmdarima",
            _PM_LICENCE,
            "monthly",
            0,  # an 11-year cycle, not a calendar season
            "pmdarima",
            f"{_PM} wheel, pmdarima/datasets/data/sunspots.txt.gz: 235 rows of 12 numbers, no dates; read row by "
            "row and dated from the documented Jan 1749, the 1st of each month",
        ),
        PublicSeries(
            "msft",
            "Microsoft (MSFT) daily closing price, US dollars, last 5000 trading days to 10 Nov 2017",
            "Kaggle 'Huge Stock Market Dataset' (Boris Marjanovic); via pmdarima",
            _PM_LICENCE,
            "daily (trading days)",
            0,
            "pmdarima",
            f"{_PM} wheel, pmdarima/datasets/data/msft.tar.gz: msft.csv with Date, Open, High, Low, Close, Volume, "
            "OpenInt for 7983 trading days from 13 Mar 1986; Date and Close kept, and only the most recent 5000 "
            "days (the app's limit)",
        ),
    )
}


def cache_folder(cache_dir: Path | None = None) -> Path:
    """The folder for the CSV files: `cache_dir`, else $FORECAST_BENCH_DATA, else ~/.cache/…-bench."""
    if cache_dir is not None:
        return Path(cache_dir).expanduser()
    return Path(os.environ.get(CACHE_ENV) or DEFAULT_CACHE).expanduser()


def _expect(condition: bool, message: str) -> None:
    """Refuse a package file that is not laid out as checked: a wrong date is worse than no series."""
    if not condition:
        raise FetchError(message)


def _frame(dates: Iterable, values: Iterable) -> pd.DataFrame:
    return pd.DataFrame({"date": pd.DatetimeIndex(dates), "value": np.asarray(values, dtype=np.float64)})


def _dated(values: list, start: str, freq: str, count: int, what: str) -> pd.DataFrame:
    """Values from a file without dates, dated from the documented start and step; their count checked first."""
    _expect(len(values) == count, f"{what}: expected {count} values, found {len(values)}")
    return _frame(pd.date_range(start, periods=count, freq=freq), values)


def _quarter_starts(years: pd.Series, quarters: pd.Series) -> pd.DatetimeIndex:
    months = (quarters.astype(int) - 1) * 3 + 1
    return pd.DatetimeIndex(pd.to_datetime({"year": years.astype(int), "month": months, "day": 1}))


def _year_starts(years: pd.Series) -> pd.DatetimeIndex:
    return pd.DatetimeIndex(pd.to_datetime({"year": years.astype(int), "month": 1, "day": 1}))


# statsmodels: imported inside each reader, since it takes about a second and only a missing file needs it.


def _elnino() -> pd.DataFrame:
    from statsmodels.datasets import elnino

    table = elnino.load_pandas().data
    months = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]
    _expect(list(table.columns) == ["YEAR", *months], f"elnino: unexpected columns {list(table.columns)}")
    years = table["YEAR"].astype(int)
    _expect(bool((years.diff().iloc[1:] == 1).all()), "elnino: the years are not consecutive")
    values = table[months].to_numpy().ravel()  # row by row: each year's twelve months in order
    return _dated(list(values), f"{years.iloc[0]}-01-01", "MS", 12 * len(years), "elnino")


def _co2() -> pd.DataFrame:
    from statsmodels.datasets import co2

    weekly = co2.load_pandas().data["co2"]
    _expect(weekly.index.freqstr == "W-SAT", f"co2: expected weekly Saturdays, found {weekly.index.freqstr}")
    missing = int(weekly.isna().sum())
    expected = CATALOGUE["co2"].filled
    _expect(missing == expected, f"co2: {missing} empty weeks where {expected} were checked")
    # Linear in time between the neighbouring weeks: gaps are short but for one of 18 weeks in 1964.
    return _frame(weekly.index, weekly.interpolate(method="time"))


def _sunspots_yearly() -> pd.DataFrame:
    from statsmodels.datasets import sunspots

    table = sunspots.load_pandas().data
    return _frame(_year_starts(table["YEAR"]), table["SUNACTIVITY"])


def _nile() -> pd.DataFrame:
    from statsmodels.datasets import nile

    table = nile.load_pandas().data
    return _frame(_year_starts(table["year"]), table["volume"])


def _macrodata(column: str) -> Callable[[], pd.DataFrame]:
    def read() -> pd.DataFrame:
        from statsmodels.datasets import macrodata

        table = macrodata.load_pandas().data
        return _frame(_quarter_starts(table["year"], table["quarter"]), table[column])

    return read


def _elec_equip() -> pd.DataFrame:
    from statsmodels.datasets import elec_equip

    table = elec_equip.load_pandas().data
    _expect(table.shape[1] == 1, f"elec_equip: expected one column, found {list(table.columns)}")
    _expect(bool((table.index.day == 1).all()), "elec_equip: expected dates on the 1st of each month")
    return _frame(table.index, table.iloc[:, 0])


_STATSMODELS: dict[str, Callable[[], pd.DataFrame]] = {
    "elnino": _elnino,
    "co2": _co2,
    "sunspots_yearly": _sunspots_yearly,
    "nile": _nile,
    "us_realgdp": _macrodata("realgdp"),
    "us_unemployment": _macrodata("unemp"),
    "us_cpi": _macrodata("cpi"),
    "eu_elec_equip": _elec_equip,
}


# pmdarima: read out of its wheel.


def _literal_list(node: ast.AST) -> list | None:
    """The number list in `np.array([...])` or `np.array([...]).astype(dtype)`, or None for anything else."""
    while isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "astype":
        node = node.func.value
    if isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.List):
        return ast.literal_eval(node.args[0])
    return None


def _module_values(wheel: zipfile.ZipFile, module: str) -> list:
    """The list that pmdarima's loader `module` assigns to `rslt`, parsed with ast: nothing from the wheel is run."""
    source = wheel.read(f"pmdarima/datasets/{module}.py").decode("utf-8")
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "rslt" for t in node.targets):
            values = _literal_list(node.value)
            if values is not None:
                return values
    raise FetchError(f"pmdarima/datasets/{module}.py: no `rslt = np.array([...])` list found")


def _from_module(module: str, start: str, freq: str, count: int) -> Callable[[zipfile.ZipFile], pd.DataFrame]:
    def read(wheel: zipfile.ZipFile) -> pd.DataFrame:
        return _dated(_module_values(wheel, module), start, freq, count, module)

    return read


def _ausbeer(wheel: zipfile.ZipFile) -> pd.DataFrame:
    values = _module_values(wheel, "ausbeer")
    # The list ends in None, a 212th quarter with no value (2008Q4): R's fpp::ausbeer stops at 2008Q3.
    while values and values[-1] is None:
        values = values[:-1]
    _expect(None not in values, "ausbeer: an empty value inside the series")
    return _dated(values, "1956-01-01", "QS", 211, "ausbeer")


def _sunspots_monthly(wheel: zipfile.ZipFile) -> pd.DataFrame:
    text = gzip.decompress(wheel.read("pmdarima/datasets/data/sunspots.txt.gz")).decode("ascii")
    rows = np.loadtxt(io.StringIO(text))
    _expect(rows.ndim == 2 and rows.shape[1] == 12, f"sunspots.txt.gz: expected 12 months a row, found {rows.shape}")
    return _dated(list(rows.ravel()), "1749-01-01", "MS", 2820, "sunspots.txt.gz")


def _msft(wheel: zipfile.ZipFile) -> pd.DataFrame:
    with tarfile.open(fileobj=io.BytesIO(wheel.read("pmdarima/datasets/data/msft.tar.gz")), mode="r:gz") as tar:
        members = [member for member in tar.getmembers() if member.isfile() and member.name.endswith(".csv")]
        _expect(len(members) == 1, f"msft.tar.gz: expected one CSV, found {[m.name for m in members]}")
        table = pd.read_csv(tar.extractfile(members[0]))
    _expect({"Date", "Close"} <= set(table.columns), f"msft.csv: no Date and Close in {list(table.columns)}")
    return _frame(pd.to_datetime(table["Date"], format="%Y-%m-%d"), table["Close"])


_PMDARIMA: dict[str, Callable[[zipfile.ZipFile], pd.DataFrame]] = {
    "wineind": _from_module("wineind", "1980-01-01", "MS", 176),
    "ausbeer": _ausbeer,
    "woolyrnq": _from_module("woolyrnq", "1965-01-01", "QS", 119),
    "austres": _from_module("austres", "1971-04-01", "QS", 89),
    "lynx": _from_module("lynx", "1821-01-01", "YS", 114),
    "taylor": _from_module("taylor", "2000-06-05 00:00", "30min", 4032),
    "heartrate": _from_module("heartrate", "2000-01-01 00:00:00", "500ms", 150),
    "sunspots_monthly": _sunspots_monthly,
    "msft": _msft,
}


def _pip_download(dest: Path, platform_args: list[str]) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "pip", "download", f"pmdarima=={PMDARIMA_VERSION}", "--no-deps"]
    command += ["--only-binary=:all:", "--dest", str(dest), "--quiet", "--disable-pip-version-check", *platform_args]
    return subprocess.run(command, capture_output=True, text=True, timeout=PIP_TIMEOUT_SECONDS, check=False)


def pmdarima_wheel(folder: Path) -> Path:
    """pmdarima's wheel in `folder`/downloads, downloaded with pip if it is not there yet; FetchError if it fails."""
    downloads = folder / "downloads"
    found = sorted(downloads.glob(f"pmdarima-{PMDARIMA_VERSION}-*.whl"))
    if found:
        return found[0]
    downloads.mkdir(parents=True, exist_ok=True)
    # Any wheel has the same data files: first one for this interpreter, else the CPython 3.11 Linux one, for a
    # Python or platform that pmdarima has no wheel for.
    attempts = ([], ["--platform", "manylinux2014_x86_64", "--python-version", "3.11", "--implementation", "cp"])
    errors = []
    for platform_args in attempts:
        # Into a folder of its own, moved in whole: a half-written wheel must never look like a download.
        with tempfile.TemporaryDirectory(dir=downloads) as scratch:
            try:
                done = _pip_download(Path(scratch), platform_args)
            except (OSError, subprocess.TimeoutExpired) as error:
                errors.append(str(error))
                continue
            wheels = sorted(Path(scratch).glob("pmdarima-*.whl"))
            if done.returncode == 0 and wheels:
                target = downloads / wheels[0].name
                shutil.move(wheels[0], target)
                return target
            said = (done.stderr or done.stdout or "").strip().splitlines()
            errors.append(said[-1] if said else f"pip exited with {done.returncode}")
    raise FetchError(f"pip download pmdarima=={PMDARIMA_VERSION} failed: {errors}")


def _finish(frame: pd.DataFrame, name: str) -> pd.DataFrame:
    """Check the table and keep at most the app's MAX_ROWS, the most recent."""
    _expect(bool(frame["date"].is_monotonic_increasing and frame["date"].is_unique), f"{name}: dates out of order")
    _expect(not frame["value"].isna().any(), f"{name}: {int(frame['value'].isna().sum())} empty values")
    _expect(len(frame) >= MIN_ROWS, f"{name}: {len(frame)} rows, fewer than {MIN_ROWS}")
    return frame.iloc[-MAX_ROWS:].reset_index(drop=True)


def _date_text(dates: pd.Series) -> pd.Series:
    """ISO dates, with the time of day only for sub-daily steps (and milliseconds only where there are any)."""
    if (dates.dt.microsecond != 0).any():
        return dates.dt.strftime("%Y-%m-%d %H:%M:%S.%f").str[:-3]
    if (dates != dates.dt.normalize()).any():
        return dates.dt.strftime("%Y-%m-%d %H:%M:%S")
    return dates.dt.strftime("%Y-%m-%d")


def _write(frame: pd.DataFrame, path: Path) -> None:
    """Write date,value to `path` through a temporary file beside it: a reader never sees half a file."""
    table = pd.DataFrame({"date": _date_text(frame["date"]), "value": frame["value"]})
    temporary = path.with_name(f".{path.name}.{os.getpid()}-{uuid.uuid4().hex}.tmp")
    try:
        # %.10g: the sources' own digits, without binary noise such as 0.30000000000000004.
        table.to_csv(temporary, index=False, float_format="%.10g", lineterminator="\n")
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def _make(names: list[str], folder: Path) -> None:
    """Make the CSV of each named series; a series that cannot be made is left out with a warning."""
    wheel_path: Path | None = None
    if any(CATALOGUE[name].package == "pmdarima" for name in names):
        try:
            wheel_path = pmdarima_wheel(folder)
        except FetchError as error:
            warnings.warn(f"{error}; the pmdarima series are left out", stacklevel=3)
    wheel = zipfile.ZipFile(wheel_path) if wheel_path else None
    try:
        for name in names:
            if CATALOGUE[name].package == "pmdarima" and wheel is None:
                continue
            try:
                frame = _STATSMODELS[name]() if name in _STATSMODELS else _PMDARIMA[name](wheel)
                _write(_finish(frame, name), folder / f"{name}.csv")
            except FetchError as error:
                warnings.warn(f"{name} left out: {error}", stacklevel=3)
    finally:
        if wheel is not None:
            wheel.close()


def fetch(
    cache_dir: Path | None = None, *, names: Iterable[str] | None = None, refresh: bool = False
) -> dict[str, Path]:
    """Make sure each series (all, or `names`) is a `NAME.csv` of date,value in the cache folder; name → path.

    Only missing files are made (all of them with `refresh`). A series that cannot be made (pip cannot reach
    PyPI, a package file changed) is left out of the answer with a warning.
    """
    wanted = list(CATALOGUE) if names is None else list(names)
    unknown = [name for name in wanted if name not in CATALOGUE]
    if unknown:
        raise ValueError(f"no public series {', '.join(unknown)}: choose from {', '.join(CATALOGUE)}")
    folder = cache_folder(cache_dir)
    folder.mkdir(parents=True, exist_ok=True)
    paths = {name: folder / f"{name}.csv" for name in wanted}
    todo = [name for name, path in paths.items() if refresh or not path.exists()]
    if todo:
        _make(todo, folder)
    return {name: path for name, path in paths.items() if path.exists()}


def load(name: str, cache_dir: Path | None = None) -> pd.DataFrame:
    """One series as a table of `date` (datetime64) and `value` (float), fetched first if it is missing."""
    path = fetch(cache_dir, names=[name]).get(name)
    if path is None:
        raise FetchError(f"{name} could not be fetched: see the warning above")
    return pd.read_csv(path, parse_dates=["date"], dtype={"value": "float64"})


def _table(paths: dict[str, Path]) -> str:
    lines = [
        "| name | rows | first | last | frequency | season | missing | source |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, path in paths.items():
        series = CATALOGUE[name]
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        missing = int((frame["value"].str.strip() == "").sum())
        missing_text = f"{missing} ({series.filled} filled)" if series.filled else str(missing)
        lines.append(
            f"| {name} | {len(frame)} | {frame['date'].iloc[0]} | {frame['date'].iloc[-1]} | {series.frequency} | "
            f"{series.season} | {missing_text} | {series.source} |"
        )
    return "\n".join(lines)


def _details(names: Iterable[str]) -> str:
    blocks = []
    for name in names:
        series = CATALOGUE[name]
        blocks.append(
            f"{name}: {series.title}\n  source: {series.source}\n  licence: {series.licence}\n  how: {series.how}"
        )
    return "\n".join(blocks)


def main() -> None:
    """Fetch every public series that is missing and print the table of what is there."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--cache-dir", type=Path, help=f"Folder for the CSV files (default: ${CACHE_ENV} or ~/.cache/…)"
    )
    parser.add_argument("--refresh", action="store_true", help="Make every file again, even those already there.")
    parser.add_argument("--details", action="store_true", help="Also print each series' title, licence and origin.")
    args = parser.parse_args()
    paths = fetch(args.cache_dir, refresh=args.refresh)
    print(f"{len(paths)} of {len(CATALOGUE)} series in {cache_folder(args.cache_dir)}\n")
    print(_table(paths))
    missing = [name for name in CATALOGUE if name not in paths]
    if missing:
        print(f"\nNot fetched: {', '.join(missing)}")
    if args.details:
        print()
        print(_details(paths))


if __name__ == "__main__":
    main()
