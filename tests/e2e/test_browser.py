"""The real app in headless Chromium: what a person sees and does."""

from __future__ import annotations

import csv
import io
import time
from urllib.parse import parse_qs, urlparse

import numpy as np
import pytest
from playwright.sync_api import expect

from forecast.config import Config
from forecast.config.fields import from_query_params
from forecast.data import make_dataset
from forecast.report.plots import TRACE_NAMES
from tests.e2e.helpers import IDLE, TINY_QUERY, no_exception, query, reading, traces, wait_for_result

TINY = from_query_params(TINY_QUERY)[0]


# Notes, in the page, the first moment the series chart's element is there, and whether the metrics table was. Not
# whether Plotly drew it: with the workers warm, the result can come before a cold browser has loaded Plotly.
FIRST_SERIES_CHART = """
new MutationObserver(() => {
  if (!window.__series && document.querySelector('.st-key-series_chart')) {
    window.__series = {table: document.querySelector('[data-testid="stTable"]') !== null};
  }
}).observe(document, {subtree: true, childList: true});
"""


def test_first_visit_draws_the_curve_then_the_predictions(server, page):
    page.add_init_script(FIRST_SERIES_CHART)
    page.goto(server.url)
    wait_for_result(page, timeout=300_000)
    # The series was sent to the page before the result (the live loss chart may be drawn above it).
    assert page.evaluate("() => window.__series") == {"table": False}
    drawn = traces(page, key="forecast_chart")
    dataset = make_dataset(Config())
    assert len(drawn[TRACE_NAMES["actual"]]["x"]) == 400
    one_step = drawn[TRACE_NAMES["one_step"]]
    assert len(one_step["y"]) == dataset.n_test == 79
    np.testing.assert_allclose(one_step["x"], dataset.xs[-79:])
    assert no_exception(page)


def test_changing_lookback_and_layers_then_train_shows_progress_and_updates(server, page):
    page.goto(server.url + query(TINY_QUERY))
    wait_for_result(page)
    before = reading(page)
    page.locator(".st-key-lookback input").fill("7")
    page.locator(".st-key-layers input").fill("2")
    page.locator(".st-key-epochs input").fill("60")
    page.locator(".st-key-train button").first.click()
    page.wait_for_selector('[data-testid="stProgress"]', timeout=60_000)
    wait_for_result(page)
    assert reading(page) != before
    expected = make_dataset(TINY.replace(lookback=7, layers=2, epochs=60))
    one_step = traces(page)[TRACE_NAMES["one_step"]]
    assert len(one_step["x"]) == expected.n_test
    np.testing.assert_allclose(one_step["x"], expected.test_xs)
    params = parse_qs(urlparse(page.url).query)
    assert params["lookback"] == ["7"] and params["layers"] == ["2"] and params["epochs"] == ["60"]
    assert no_exception(page)


def test_a_shared_link_restores_the_widgets_and_the_numbers(server, browser, page):
    page.goto(server.url + query(TINY_QUERY | {"lookback": "6", "units": "5", "seed": "3"}))
    wait_for_result(page)
    link = page.url
    numbers = reading(page)
    table = page.locator('[data-testid="stTable"]').first.inner_text()
    fresh = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    fresh.goto(link)
    wait_for_result(fresh)
    for key, value in (("lookback", "6"), ("units", "5"), ("seed", "3"), ("x_step", "0.25")):
        # A retrying assertion: a number input can show another value for a moment while it mounts.
        expect(fresh.locator(f".st-key-{key} input")).to_have_value(value)
    assert reading(fresh) == numbers
    assert fresh.locator('[data-testid="stTable"]').first.inner_text() == table
    fresh.context.close()


def test_an_invalid_expression_shows_an_error_and_keeps_the_chart(server, page):
    page.goto(server.url + query(TINY_QUERY))
    wait_for_result(page)
    before = traces(page)[TRACE_NAMES["one_step"]]["y"]
    page.locator(".st-key-expression input").fill("__import__('os').system('id')")
    page.locator(".st-key-train button").first.click()
    page.wait_for_selector('[data-testid="stAlertContentError"]', timeout=60_000)
    page.wait_for_selector(IDLE)
    assert "__import__" in page.locator('[data-testid="stAlertContentError"]').first.inner_text()
    assert traces(page)[TRACE_NAMES["one_step"]]["y"] == before
    assert no_exception(page)


def test_the_predictions_csv_matches_the_chart(server, page):
    page.goto(server.url + query(TINY_QUERY))
    wait_for_result(page)
    drawn = traces(page)[TRACE_NAMES["one_step"]]
    with page.expect_download() as download:
        page.locator(".st-key-download_csv button").first.click()
    rows = list(csv.DictReader(io.StringIO(download.value.path().read_text())))
    test_rows = [row for row in rows if row["part"] == "test"]
    assert len(test_rows) == len(drawn["x"])
    np.testing.assert_allclose([float(row["x"]) for row in test_rows], drawn["x"])
    np.testing.assert_allclose([float(row["lstm_one_step"]) for row in test_rows], drawn["y"], rtol=1e-12)


def test_closing_the_tab_stops_the_training(server, browser):
    from bench.processes import cpu_seconds, worker_pids

    page = browser.new_context().new_page()
    page.goto(server.url + query(TINY_QUERY | {"epochs": "1000", "batch_size": "1", "seed": "99"}))
    page.wait_for_function(
        "() => [...document.querySelectorAll('[data-testid=\"stProgress\"]')]"
        ".some(bar => /Epoch \\d+\\/1000/.test(bar.innerText))",
        timeout=120_000,
    )
    workers = worker_pids(server.process.pid)
    page.context.close()
    time.sleep(2.0)  # well beyond the cancellation latency
    used = sum(cpu_seconds(pid) for pid in workers)
    time.sleep(1.0)
    assert sum(cpu_seconds(pid) for pid in workers) - used < 0.1, "the worker kept training after the tab closed"


@pytest.mark.parametrize(("width", "height"), [(1280, 800), (390, 844)])
def test_layout_reads_at_desktop_and_mobile_width(server, browser, width, height):
    page = browser.new_context(viewport={"width": width, "height": height}).new_page()
    page.goto(server.url + query(TINY_QUERY))
    wait_for_result(page)
    # Nothing overflows the viewport sideways, and the chart fits the width.
    overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 1
    chart = page.locator('[data-testid="stPlotlyChart"]').first.bounding_box()
    assert chart["width"] <= width
    # Every widget has a visible label, and every settings widget has help.
    for key in ("expression", "lookback", "layers", "epochs", "train_ratio"):
        label = page.locator(f".st-key-{key} label").first.inner_text().strip()
        assert label, key
    page.context.close()


def test_the_run_history_table_fits_the_page_width(server, page):
    page.goto(server.url + query(TINY_QUERY | {"seed": "5"}))
    wait_for_result(page)
    page.get_by_role("tab", name="Compare runs").click()
    page.wait_for_selector('[data-testid="stDataFrame"]', timeout=60_000)
    page.wait_for_timeout(500)  # the data grid sizes its columns after it is attached
    overflow = page.evaluate(
        """() => {
            const scroller = document.querySelector('[data-testid="stDataFrame"] .dvn-scroller');
            return scroller ? scroller.scrollWidth - scroller.clientWidth : null;
        }"""
    )
    assert overflow is not None and overflow <= 1, f"the table scrolls sideways by {overflow} px"


def test_the_functions_inputs_survive_training_on_another_source(server, page):
    """Train on a bundled dataset, then go back to the function: its inputs show the values they had (a Train
    pressed while they were hidden used to leave them empty and zero), and Train uses them."""
    page.goto(server.url + query(TINY_QUERY))
    wait_for_result(page)
    page.locator(".st-key-source").get_by_text("Bundled dataset").click()
    page.wait_for_selector(IDLE)
    page.locator(".st-key-epochs input").first.fill("2")
    page.locator(".st-key-train button").first.click()
    page.wait_for_selector('[data-testid="stProgress"]', timeout=60_000)
    wait_for_result(page)
    page.locator(".st-key-source").get_by_text("Function of x").click()
    for key, value in (("expression", "x*sin(x)"), ("x_start", "-10"), ("x_end", "10"), ("x_step", "0.25")):
        expect(page.locator(f".st-key-{key} input").first).to_have_value(value)
    page.locator(".st-key-train button").first.click()
    wait_for_result(page)
    assert page.locator('[data-testid="stAlertContentError"]').count() == 0
    assert len(traces(page)[TRACE_NAMES["one_step"]]["x"]) == make_dataset(TINY).n_test
    assert no_exception(page)


def test_the_training_tab_says_trained_just_now_after_a_training_and_cached_on_a_new_visit(server, browser, page):
    link = server.url + query(TINY_QUERY | {"seed": "777"})
    page.goto(link)
    wait_for_result(page)
    page.get_by_role("tab", name="Training").click()  # a rerun: the networks now come from the cache
    expect(page.get_by_text("This result was trained just now")).to_be_visible(timeout=60_000)
    fresh = browser.new_context().new_page()
    fresh.goto(link)
    wait_for_result(fresh)
    fresh.get_by_role("tab", name="Training").click()
    expect(fresh.get_by_text("This result came from the cache")).to_be_visible(timeout=60_000)
    fresh.context.close()


def test_a_parameter_given_twice_is_read_as_its_last_value_and_written_back_once(server, page):
    page.goto(server.url + query(TINY_QUERY) + "&lookback=9")  # TINY_QUERY has lookback=5 already
    wait_for_result(page)
    expect(page.locator(".st-key-lookback input").first).to_have_value("9")
    assert parse_qs(urlparse(page.url).query)["lookback"] == ["9"]
