"""The app with real series: the Real-series recipe button, the new settings, a file with empty cells."""

from __future__ import annotations

import pytest

from forecast import datasets, recipe
from forecast.config import Config
from tests.test_app import app_with_params, url_params, widget, with_upload

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


def test_a_file_with_gaps_is_filled_and_the_page_says_how_many():
    values = ["" if index in (7, 30) else str(100 + index) for index in range(60)]
    rows = [f"{1990 + index // 12}-{index % 12 + 1:02d}-01,{value}" for index, value in enumerate(values)]
    data = ("month,value\n" + "\n".join(rows) + "\n").encode()
    config = Config(source="upload", upload=datasets.content_hash(data), value_column="value", x_column="month")
    at = with_upload(app_with_params(config.replace(lookback=4, layers=1, units=4, epochs=1)), data).run()
    assert any("choose a fill mode" in element.value for element in at.error)
    at.selectbox(key="fill").set_value("interpolate").run()
    assert not at.exception
    assert any("2 empty values filled (interpolate)" in element.value for element in at.info)
    assert any("Suggested season length for this series: 12" in element.value for element in at.caption)


@pytest.mark.parametrize("name", ["transform", "difference", "season_length", "test_size", "patience"])
def test_the_real_series_settings_have_widgets_with_help(name):
    at = app_with_params(TINY_AIRLINE).run()
    assert widget(at, name).help
