"""The sequence that once ended in silence: reloads that close sessions, then upload → Train → Train → Stop → Train.

Every run must end in a result or in a clear "stopped" message, never in a page with neither. The server retires
its workers after two trainings each, so the sequence also crosses worker replacements.
"""

from __future__ import annotations

import numpy as np
import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from tests.e2e.helpers import IDLE
from tests.e2e.streamlit_server import StreamlitServer

REPETITIONS = 2
RELOADS = 5
# A yearly series of 300 values: a seeded AR(2) cycle around a slow trend, written as a person's CSV would be.
_values = np.zeros(300)
_noise = np.random.default_rng(7).normal(0, 1, 300)
for _index in range(2, 300):
    _values[_index] = 1.3 * _values[_index - 1] - 0.6 * _values[_index - 2] + _noise[_index]
YEARLY = "year,level\n" + "".join(f"{1700 + i},{50 + 0.05 * i + v:.3f}\n" for i, v in enumerate(_values))
SMALL = "?epochs=15&layers=1&units=8&lookback=6"
STOPPED = "Training stopped"

ENDED = """([stopped, seed]) => {
    if (new URLSearchParams(location.search).get('seed') !== seed) return false;  // not yet this run
    const app = document.querySelector('[data-testid="stApp"]');
    if (!app || app.dataset.testScriptState !== 'notRunning') return false;
    if (document.querySelector('[data-testid="stProgress"]')) return false;
    const text = document.body.innerText;
    return text.includes(stopped) || document.querySelector('[data-testid="stTable"], [data-testid="stMetric"]')
        !== null || document.querySelector('[data-testid="stException"]') !== null;
}"""

STOP_OR_ENDED = f"(run) => document.querySelector('.st-key-stop button') !== null || ({ENDED})(run)"


@pytest.fixture(scope="module")
def stress_server(tmp_path_factory, chromium):
    cache = tmp_path_factory.mktemp("stress-cache")
    with StreamlitServer({"FORECAST_CACHE_DIR": str(cache), "FORECAST_TRAININGS_PER_WORKER": "2"}) as server:
        yield server


def wait_for_an_ending(page, seed: int, timeout: float = 180_000) -> str:
    """Wait until the run of `seed` has settled on a result or a "stopped" message, and say which.

    A page that settles on neither (the silence this guards against) never matches: the wait times out."""
    page.wait_for_function(ENDED, arg=[STOPPED, str(seed)], timeout=timeout)
    assert page.locator('[data-testid="stException"]').count() == 0, page.locator("body").inner_text()
    return "stopped" if STOPPED in page.locator("body").inner_text() else "result"


def press_train(page) -> None:
    page.locator(".st-key-train button").first.click()


def press_stop_unless_finished(page, seed: int) -> None:
    """Press Stop while the run of `seed` trains. A run that finished first (a small network beside the classical
    fits takes about a second) has no Stop button left to press: its result shows instead."""
    page.wait_for_function(STOP_OR_ENDED, arg=[STOPPED, str(seed)], timeout=60_000)
    stop = page.locator(".st-key-stop button")
    if stop.count() == 0:
        return
    try:
        stop.first.click(timeout=10_000)
    except PlaywrightTimeoutError:
        assert stop.count() == 0, "the Stop button is there but cannot be pressed"


def test_reloads_then_upload_train_train_stop_train_never_end_in_silence(stress_server, browser, tmp_path):
    csv = tmp_path / "yearly.csv"
    csv.write_text(YEARLY)
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    try:
        for repetition in range(REPETITIONS):
            page.goto(stress_server.url)
            for _ in range(RELOADS):  # each reload closes the previous session, mid-training
                page.wait_for_selector('[data-testid="stPlotlyChart"]', timeout=60_000)
                page.reload()
            page.goto(stress_server.url + SMALL + f"&seed={repetition}")
            page.wait_for_selector(IDLE, timeout=180_000)
            page.get_by_text("Upload a CSV").click()
            page.get_by_text("Upload a CSV file in the sidebar").wait_for(timeout=60_000)
            page.wait_for_selector(IDLE, timeout=60_000)
            page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(csv))
            page.wait_for_function(
                "() => new URLSearchParams(location.search).get('source') === 'upload'", timeout=60_000
            )
            page.locator(".st-key-seed input").fill(str(100 + repetition))
            press_train(page)
            page.wait_for_timeout(400)
            press_train(page)
            assert wait_for_an_ending(page, 100 + repetition) == "result"
            # Once more on another seed, away from the Forecast tab, stopped while it trains (long enough to
            # be stopped: the small run ends within about a second).
            page.locator(".st-key-epochs input").fill("400")
            page.locator(".st-key-seed input").fill(str(200 + repetition))
            press_train(page)
            page.get_by_role("tab", name="Training").click()
            press_stop_unless_finished(page, 200 + repetition)
            ending = wait_for_an_ending(page, 200 + repetition)  # stopped, or its result if it finished first
            press_train(page)
            if ending == "stopped":  # the message goes when the new run starts
                page.wait_for_function("text => !document.body.innerText.includes(text)", arg=STOPPED)
            assert wait_for_an_ending(page, 200 + repetition) == "result"
    finally:
        context.close()
    assert "Traceback" not in stress_server.log(), stress_server.log()
