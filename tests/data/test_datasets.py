import numpy as np
import pytest

from forecast.data import calendar, datasets
from forecast.data.datasets import CATALOGUE, content_hash, inspect_csv, load, read_csv

# Published means of R's copies of these series (datasets::AirPassengers, LakeHuron, USAccDeaths).
PUBLISHED = {
    "airline_passengers": (144, 280.2986),
    "lake_huron": (98, 579.0041),
    "us_accidental_deaths": (72, 8787.736),
}


def csv_bytes(rows: list[str]) -> bytes:
    return ("\n".join(rows) + "\n").encode()


def series_rows(n: int, header: str = "t,value") -> list[str]:
    return [header] + [f"{index},{np.sin(index / 3):.6f}" for index in range(n)]


@pytest.mark.parametrize("name", list(CATALOGUE))
def test_bundled_datasets_match_their_published_copies(name):
    series = load(name)
    count, mean = PUBLISHED[name]
    assert len(series.ys) == count
    assert series.ys.mean() == pytest.approx(mean, abs=1e-3)
    assert np.all(
        np.diff(series.xs.astype(np.float64) if series.xs.dtype.kind == "f" else series.xs.astype(np.int64)) > 0
    )


def test_bundled_dates_are_dates():
    airline = load("airline_passengers")
    assert airline.xs.dtype.kind == "M"
    assert str(airline.xs[0])[:7] == "1949-01" and str(airline.xs[-1])[:7] == "1960-12"
    assert load("lake_huron").xs[0] == 1875.0


def test_unknown_dataset():
    with pytest.raises(ValueError, match="no bundled dataset 'nope'"):
        load("nope")


def test_reads_a_plain_csv_and_chooses_the_first_numeric_column():
    data = csv_bytes(["name,value,other"] + [f"row{index},{index**2 * 1.5},{-index}" for index in range(30)])
    series = read_csv(data)
    assert series.value_label == "value"
    np.testing.assert_allclose(series.ys, np.arange(30) ** 2 * 1.5)
    np.testing.assert_array_equal(series.xs, np.arange(30.0))


def test_headerless_semicolon_file_and_dates():
    data = csv_bytes([f"2020-01-{day:02d};{day * 2}" for day in range(1, 29)])
    columns = inspect_csv(data)
    assert columns.columns == ("column 1", "column 2") and columns.dates == ("column 1",)
    value, x = columns.suggestion()
    series = read_csv(data, value, x)
    assert series.xs.dtype.kind == "M" and series.ys[0] == 2.0


def test_suggestion_prefers_an_increasing_column_for_x():
    columns = inspect_csv(csv_bytes(series_rows(25, "year,level")))
    assert columns.suggestion() == ("level", "year")


@pytest.mark.parametrize(
    ("data", "arguments", "message"),
    [
        (b"", {}, "the file is empty"),
        (b"   \n  \n", {}, "the file is empty"),
        (b"PK\x03\x04" + bytes(100), {}, "Excel workbook"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00", {}, "binary data"),
        (csv_bytes(["a,b"] + [f"x{i},y{i}" for i in range(30)]), {}, "no column of numbers"),
        (csv_bytes(series_rows(10)), {}, "has 10 rows: at least 20"),
        (csv_bytes(series_rows(6000)), {}, "6,000 rows: at most 5,000"),
        (
            csv_bytes([*series_rows(30)[:5], "4,", "5,abc", *series_rows(30)[7:]]),
            {},
            "2 empty or non-numeric values (line 6, 7)",
        ),
        (csv_bytes([*series_rows(30)[:3], "2,inf", *series_rows(30)[4:]]), {}, "infinite values (line 4)"),
        (csv_bytes(series_rows(30)), {"value_column": "missing"}, "no column 'missing' for the values"),
        (csv_bytes(series_rows(30)), {"x_column": "nope"}, "no column 'nope' for the xs"),
        (csv_bytes(series_rows(30)), {"value_column": "t", "x_column": "t"}, "cannot be both"),
        (csv_bytes(["t,value"] + [f"{30 - i},{i}" for i in range(30)]), {"x_column": "t"}, "must increase"),
        (csv_bytes(["t,value"] + [f"when{i},{i}" for i in range(30)]), {"x_column": "t"}, "neither numbers nor dates"),
        (b"a,b\n1,2\n3,4,5,6\n" + b"7,8\n" * 30, {}, "could not be read as CSV"),
    ],
)
def test_bad_files_get_clear_messages(data, arguments, message):
    with pytest.raises(ValueError) as caught:
        read_csv(data, **arguments)
    assert message in str(caught.value)


def test_oversized_upload_is_refused_without_parsing():
    data = b"1\n" * (datasets.MAX_UPLOAD_BYTES // 2 + 10)
    with pytest.raises(ValueError, match=r"at most 20\.0 MB"):
        read_csv(data)


def test_content_hash_is_sha256():
    assert content_hash(b"abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"


def gappy_file() -> bytes:
    """Monthly rows with empty value cells at lines 2 (the first row), 5, 6 and 25 (the last row)."""
    rows = ["month,value"]
    for index in range(24):
        month = f"{2000 + index // 12}-{index % 12 + 1:02d}"
        empty = index in (0, 3, 4, 23)
        rows.append(f"{month}," + ("" if empty else f"{index * 10.0}"))
    return csv_bytes(rows)


def test_fill_none_refuses_empty_cells_with_their_lines_and_names_the_fill_modes():
    with pytest.raises(ValueError) as caught:
        read_csv(gappy_file(), "value", "month")
    assert "4 empty or non-numeric values (line 2, 5, 6, 25)" in str(caught.value)
    assert "interpolate, ffill or drop" in str(caught.value)


def test_fill_interpolate_is_linear_between_rows_and_takes_the_nearest_value_at_the_edges():
    series = read_csv(gappy_file(), "value", "month", fill="interpolate")
    assert series.filled == 4
    expected = np.arange(24) * 10.0
    expected[0], expected[23] = 10.0, 220.0  # the edges have one neighbour: its value
    np.testing.assert_allclose(series.ys, expected)  # rows 3 and 4 lie on the line through 20 and 50
    assert len(series.xs) == 24


def test_fill_ffill_carries_the_last_value_forward():
    series = read_csv(gappy_file(), "value", "month", fill="ffill")
    assert series.filled == 4
    assert series.ys[0] == 10.0  # nothing before it: the first value
    assert series.ys[3] == series.ys[4] == 20.0 and series.ys[23] == 220.0


def test_fill_drop_removes_the_rows_and_their_dates():
    series = read_csv(gappy_file(), "value", "month", fill="drop")
    assert series.filled == 4 and len(series.ys) == len(series.xs) == 20
    assert str(series.xs[0])[:7] == "2000-02" and str(series.xs[2])[:7] == "2000-06"
    with pytest.raises(ValueError, match="dropping the 3 rows with an empty value leaves 19 rows: at least 20"):
        read_csv(csv_bytes(gappy_file().decode().splitlines()[:23]), "value", "month", fill="drop")


def test_fill_modes_never_fill_text_and_keep_line_numbers():
    rows = gappy_file().decode().splitlines()
    rows[9] = "2000-09,n.a."  # line 10
    rows[12] = "2000-12,inf"  # line 13
    with pytest.raises(ValueError, match=r"1 non-numeric value \(line 10\): only empty cells are filled"):
        read_csv(csv_bytes(rows), "value", "month", fill="interpolate")
    rows[9] = "2000-09,90"
    with pytest.raises(ValueError, match=r"infinite values \(line 13\)"):
        read_csv(csv_bytes(rows), "value", "month", fill="drop")  # after dropping, still the file's line


def test_fill_mode_is_checked_and_the_default_fills_nothing():
    with pytest.raises(ValueError, match="fill must be one of none, interpolate, ffill, drop"):
        read_csv(gappy_file(), fill="mean")
    assert read_csv(csv_bytes(series_rows(30))).filled == 0


def test_bundled_datasets_carry_the_season_their_dates_suggest():
    assert {name: info.season_length for name, info in CATALOGUE.items()} == {
        "airline_passengers": 12,
        "lake_huron": 0,
        "us_accidental_deaths": 12,
    }
    for name, info in CATALOGUE.items():
        assert calendar.suggest_season(load(name).xs) == info.season_length


def test_day_first_dates_are_read_day_first_where_only_that_reading_is_regular():
    # 01/02/2000, 01/03/2000 …: months written day first. Read month first they would be January's days, then a
    # jump of a year: the page would call the file daily and suggest a season of 7.
    day_first = [f"01/{month % 12 + 1:02d}/{2000 + month // 12}" for month in range(36)]
    data = ("date,value\n" + "".join(f"{date},{100 + index}\n" for index, date in enumerate(day_first))).encode()
    series = datasets.read_csv(data, "value", "date")
    assert str(series.xs[1])[:10] == "2000-02-01" and str(series.xs[-1])[:10] == "2002-12-01"
    assert calendar.frequency(series.xs).name == "monthly"
    # Month first where that reading is the regular one (pandas' default), and wherever both are.
    month_first = [f"{month % 12 + 1:02d}/01/{2000 + month // 12}" for month in range(36)]
    data = ("date,value\n" + "".join(f"{date},{index}\n" for index, date in enumerate(month_first))).encode()
    assert str(datasets.read_csv(data, "value", "date").xs[1])[:10] == "2000-02-01"
    days = [f"01/{day:02d}/2000" for day in range(1, 29)]  # January 1–28: only 12 of them could be months
    data = ("date,value\n" + "".join(f"{date},{index}\n" for index, date in enumerate(days))).encode()
    assert str(datasets.read_csv(data, "value", "date").xs[1])[:10] == "2000-01-02"


def test_decimal_commas_in_a_semicolon_file_are_numbers_and_a_header_alone_is_named():
    rows = "".join(f"{2000 + month // 12}-{month % 12 + 1:02d}-01;{month},5\n" for month in range(30))
    series = datasets.read_csv(("date;value\n" + rows).encode(), "value", "date")
    np.testing.assert_allclose(series.ys[:3], [0.5, 1.5, 2.5])
    with pytest.raises(ValueError, match="the file has a header but no rows of data: at least 20 rows are needed"):
        datasets.read_csv(b"date,value\n")
