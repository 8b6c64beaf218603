"""The Sweep tab in headless Chromium: a 2×3 sweep stopped halfway, then run again reusing the finished cells."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlparse

from tests.e2e.helpers import IDLE, TINY_QUERY, no_exception, query, wait_for_result

PROGRESS = re.compile(r"(\d+) of 6 done")


def progress_count(page) -> int | None:
    """k of the "k of 6 done" bar, or None when no bar is shown."""
    bars = page.locator('[data-testid="stProgress"]')
    if bars.count() == 0:
        return None
    found = PROGRESS.search(bars.first.inner_text())
    return int(found.group(1)) if found else None


def choose(page, key: str, option: str) -> None:
    page.locator(f".st-key-{key}").click()
    page.get_by_role("option", name=option, exact=True).click()


def test_a_sweep_stopped_halfway_keeps_its_finished_cells(server, page):
    # Enough epochs that a cell takes a second or two, so that Stop lands mid-sweep.
    page.goto(server.url + query(TINY_QUERY | {"epochs": "150"}))
    wait_for_result(page)
    page.get_by_role("tab", name="Sweep").click()
    page.wait_for_selector(".st-key-sweep_values_1 input", timeout=60_000)
    page.locator(".st-key-sweep_values_1 input").fill("4,6")
    choose(page, "sweep_field_2", "seed")
    page.locator(".st-key-sweep_values_2 input").fill("0:2:1")
    page.locator(".st-key-sweep_run button").first.click()
    # Stop once at least one cell, and not all six, is done.
    page.wait_for_function(
        """() => {
            const bar = document.querySelector('[data-testid="stProgress"]');
            const found = bar && bar.innerText.match(/(\\d+) of 6 done/);
            return found && Number(found[1]) >= 1;
        }""",
        timeout=240_000,
    )
    done_before_stop = progress_count(page)
    assert done_before_stop is not None and done_before_stop < 6, "the sweep finished before Stop could be tested"
    page.locator(".st-key-sweep_stop button").first.click()
    page.wait_for_selector("text=Sweep stopped.", timeout=30_000)
    page.wait_for_selector(IDLE, timeout=30_000)
    assert page.locator('[data-testid="stProgress"]').count() == 0
    assert parse_qs(urlparse(page.url).query)["sweep"] == ["lookback:4,6;seed:0,1,2"]
    # Again: the cells finished before Stop come from the cache, so the count starts where it stopped.
    page.locator(".st-key-sweep_run button").first.click()
    page.wait_for_function(
        """() => {
            const bar = document.querySelector('[data-testid="stProgress"]');
            return bar && /\\d+ of 6 done/.test(bar.innerText);
        }""",
        timeout=60_000,
    )
    assert progress_count(page) >= done_before_stop
    page.wait_for_function(
        """() => {
            const app = document.querySelector('[data-testid="stApp"]');
            return app && app.dataset.testScriptState === 'notRunning'
                && !document.querySelector('[data-testid="stProgress"]');
        }""",
        timeout=300_000,
    )
    assert page.locator("text=Sweep stopped.").count() == 0
    assert page.locator("text=Best cell by recursive error").count() == 1
    assert page.locator('[data-testid="stPlotlyChart"]').count() >= 1
    assert no_exception(page)
