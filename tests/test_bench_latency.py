"""The latency benchmark's pages: they must keep drawing what the benchmark's reading says they draw."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from bench.latency import MINIMAL_PAGE, SETTINGS_PAGE
from forecast.config import DEFAULT_CONFIG


def test_minimal_page_holds_one_chart_and_one_table() -> None:
    at = AppTest.from_string(MINIMAL_PAGE).run()
    assert not at.exception
    assert len(at.get("plotly_chart")) == 1
    assert len(at.table) == 1
    assert not at.sidebar.children


def test_settings_page_is_the_minimal_page_with_the_apps_settings_panel() -> None:
    at = AppTest.from_string(SETTINGS_PAGE).run()
    assert not at.exception
    assert len(at.get("plotly_chart")) == 1
    assert len(at.table) == 1
    # The app's own widgets, holding the default config (the page has no link).
    assert at.sidebar.number_input(key="lookback").value == DEFAULT_CONFIG.lookback
    assert at.sidebar.text_input(key="expression").value == DEFAULT_CONFIG.expression
    assert at.sidebar.button(key="train").label == "Train"
