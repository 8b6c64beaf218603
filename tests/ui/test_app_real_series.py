"""The app with real series: the Real-series recipe button, the new settings, a file with empty cells."""

from __future__ import annotations

import ast

import pytest

from forecast.config import Config
from forecast.data import datasets
from forecast.run import recipe
from tests.ui.test_app import app_with_params, open_tab, url_params, widget, with_upload

TINY_EXPRESSION = Config(lookback=4, layers=1, units=4, epochs=1, x_start=-10.0, x_end=10.0, x_step=0.25)
TINY_AIRLINE = Config(source="dataset", dataset="airline_passengers", lookback=12, layers=1, units=4, epochs=1)


def test_the_recipe_button_adapts_to_the_series_and_names_the_best_model(monkeypatch):
    # The recipe as it is, with fewer epochs and units so that its five networks train in seconds.
    monkeypatch.setitem(recipe.RECIPE_NETWORK, "epochs", 2)
    monkeypatch.setitem(recipe.RECIPE_NETWORK, "units", 4)
    at = app_with_params(TINY_AIRLINE).run()
    assert not at.exception
    at.button(key="real_series_recipe").click().run()
    assert not at.exception
    expected = {"transform": "log", "difference": 1, "seasonal_difference": 1, "season_length": 12}
    expected |= {"test_size": 12, "lookback": 12, "ensemble": 5, "batch_size": 16, "layers": 2}
    for name, value in expected.items():
        assert widget(at, name).value == value, name
        assert url_params(at)[name] == str(value), name
    tables = " ".join(table.value.to_string() for table in at.table)
    for label in ("AutoARIMA", "AutoETS", "Seasonal naive"):
        assert label in tables
    text = " ".join(element.value for element in [*at.markdown, *at.info, *at.caption])
    assert "the best recursive forecast is the" in text


def gappy_monthly_csv(n_rows: int = 60, gaps: tuple[int, ...] = (7, 30)) -> bytes:
    """A monthly series with empty value cells at the given rows."""
    values = ["" if index in gaps else str(100 + index) for index in range(n_rows)]
    rows = [f"{1990 + index // 12}-{index % 12 + 1:02d}-01,{value}" for index, value in enumerate(values)]
    return ("month,value\n" + "\n".join(rows) + "\n").encode()


def test_a_file_with_gaps_is_filled_and_the_page_says_how_many():
    data = gappy_monthly_csv()
    config = Config(source="upload", upload=datasets.content_hash(data), value_column="value", x_column="month")
    at = with_upload(app_with_params(config.replace(lookback=4, layers=1, units=4, epochs=1)), data).run()
    assert any("choose a fill mode" in element.value for element in at.error)
    at.selectbox(key="fill").set_value("interpolate").run()
    assert not at.exception
    assert any("2 empty values filled (interpolate)" in element.value for element in at.info)
    assert any("Detected frequency: monthly. Suggested season length: 12." in element.value for element in at.caption)


@pytest.mark.parametrize("name", ["transform", "difference", "season_length", "test_size", "patience"])
def test_the_real_series_settings_have_widgets_with_help(name):
    at = app_with_params(TINY_AIRLINE).run()
    assert widget(at, name).help


def test_a_file_that_skips_a_month_is_flagged_beside_its_frequency():
    months = [f"{2000 + month // 12}-{month % 12 + 1:02d}-01" for month in range(48) if month != 20]
    data = ("month,sales\n" + "".join(f"{date},{100 + index}\n" for index, date in enumerate(months))).encode()
    config = Config(source="upload", upload=datasets.content_hash(data), value_column="sales", x_column="month")
    at = with_upload(app_with_params(config.replace(lookback=4, epochs=2, layers=1, units=2)), data).run()
    assert not at.exception
    assert any("1 date is missing at this frequency" in element.value for element in at.warning)


def test_the_interval_offers_only_the_levels_a_run_accepts():
    at = app_with_params(TINY_AIRLINE).run()
    interval = widget(at, "interval")
    assert interval.options == ["off", *(f"{level}%" for level in range(50, 100))] and interval.value == 0
    interval.set_value(80)
    at.button(key="train").click().run()
    assert not at.exception and url_params(at)["interval"] == "80"


def test_choosing_a_fill_mode_after_a_refused_upload_reads_the_same_file_again():
    # The uploader does not fire again for the file it holds: the refused file's bytes must be kept and read
    # again with the new fill mode, without uploading it a second time.
    data = gappy_monthly_csv()
    at = app_with_params(TINY_EXPRESSION).run()
    at.radio(key="source").set_value("upload").run()
    at.file_uploader(key="upload_file").upload("gaps.csv", data, "text/csv").run()
    assert any("gaps.csv" in element.value and "choose a fill mode" in element.value for element in at.error)
    assert url_params(at)["source"] == "expression"
    at.selectbox(key="fill").set_value("interpolate").run()
    assert not at.exception
    assert not any("gaps.csv" in element.value for element in at.error)
    params = url_params(at)
    assert params["source"] == "upload" and params["upload"] == datasets.content_hash(data)
    assert params["fill"] == "interpolate" and params["value_column"] == "value" and params["x_column"] == "month"
    assert any("2 empty values filled (interpolate)" in element.value for element in at.info)
    # It trained: the metrics table is on the page.
    assert any("LSTM" in table.value.to_string() for table in at.table)


def test_a_refused_file_removed_from_the_uploader_is_not_read_again_by_a_fill_change():
    at = app_with_params(TINY_EXPRESSION).run()
    at.radio(key="source").set_value("upload").run()
    at.file_uploader(key="upload_file").upload("gaps.csv", gappy_monthly_csv(), "text/csv").run()
    assert any("gaps.csv" in element.value for element in at.error)
    at.file_uploader(key="upload_file").clear().run()
    assert not any("gaps.csv" in element.value for element in at.error)
    at.selectbox(key="fill").set_value("ffill").run()
    assert not at.exception
    assert url_params(at)["upload"] == "" and not any("filled" in element.value for element in at.info)


def test_the_code_tab_exports_the_real_series_settings_without_a_warning():
    config = TINY_AIRLINE.replace(
        transform="log", difference=1, seasonal_difference=1, season_length=12, test_size=12, patience=3, ensemble=2
    )
    at = open_tab(app_with_params(config), "Code").run()
    assert not at.exception and not at.warning
    code = at.code[0].value
    ast.parse(code)
    for line in ("TRANSFORM = 'log'", "DIFFERENCE = 1", "SEASON = 12", "N_TEST = 12", "PATIENCE = 3"):
        assert line in code
    assert "return original(predicted - history)" in code
    assert any("first network (seed 0)" in caption.value for caption in at.caption)
