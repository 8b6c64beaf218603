"""Cancellation latency: a training abandoned mid-run stops its worker within about a second.

    python -m bench.cancellation          # about a minute; needs Debian's chromium

In a real browser against `streamlit run app.py`, a long training is started three times and abandoned three
ways: a widget is changed (to a config already trained, so nothing new starts), Stop is pressed, the tab is
closed. For each it prints the time from the action (the moment the page receives the click, or the page is
asked to close) until the worker process stops using CPU (sampled from /proc every 10 ms; the worker counts as idle once
it has used no CPU for 0.3 s).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time

from bench.processes import wait_until_idle, worker_pids
from tests.e2e.streamlit_server import CHROMIUM, CHROMIUM_ARGS, IDLE, StreamlitServer

# The default network with 64 units for 1,000 epochs (within the page's training budget): about 15 s, never
# finished here. With the default 32 units, 1,000 epochs now take about 5 s, and a training sometimes ended
# before Stop was pressed.
LONG = "?epochs=1000&units=64&seed={seed}"


def _start_long_training(browser, server: StreamlitServer, seed: int):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(server.url + LONG.format(seed=seed))
    # Wait until epochs are being reported: the training is really running in the worker.
    page.wait_for_function(
        "() => [...document.querySelectorAll('[data-testid=\"stProgress\"]')]"
        ".some(bar => /Epoch \\d+\\/1000/.test(bar.innerText))",
        timeout=120_000,
    )
    return page


def _watch_clicks(page) -> None:
    # Record, in the page, the wall-clock moment the click arrives: Playwright's click() itself can take a
    # while (it waits for the target to be stable), so timing around it would blur the measurement.
    page.evaluate(
        "() => { window.__clickedAt = null; document.addEventListener('click', () => "
        "{ window.__clickedAt = performance.timeOrigin + performance.now(); }, {capture: true, once: true}); }"
    )


def _click_time(page) -> float:
    """The moment the page received the click, on this process's perf_counter clock."""
    clicked_wall = page.evaluate("() => window.__clickedAt") / 1000
    return time.perf_counter() - (time.time() - clicked_wall)


def measure(repeats: int) -> dict[str, list[float]]:
    from playwright.sync_api import sync_playwright

    results: dict[str, list[float]] = {"widget changed": [], "Stop pressed": [], "tab closed": []}
    with tempfile.TemporaryDirectory() as cache, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        server = StreamlitServer({"FORECAST_CACHE_DIR": cache}).start()
        try:
            # A small config trained once, to switch to without starting another training.
            page = browser.new_page()
            page.goto(server.url + "?epochs=5&seed=0")
            page.wait_for_selector('[data-testid="stTable"]', timeout=120_000)
            page.close()
            workers = worker_pids(server.process.pid)
            for repeat in range(repeats):
                page = _start_long_training(browser, server, seed=100 + repeat)
                page.locator(".st-key-epochs input").fill("5")
                page.locator(".st-key-seed input").fill("0")
                _watch_clicks(page)
                page.locator(".st-key-train button").first.click()
                results["widget changed"].append(wait_until_idle(workers, _click_time(page)))
                page.close()

                page = _start_long_training(browser, server, seed=200 + repeat)
                _watch_clicks(page)
                page.locator(".st-key-stop button").first.click()
                results["Stop pressed"].append(wait_until_idle(workers, _click_time(page)))
                page.wait_for_selector(IDLE)
                page.close()

                page = _start_long_training(browser, server, seed=300 + repeat)
                closed = time.perf_counter()
                page.close()
                results["tab closed"].append(wait_until_idle(workers, closed))
        finally:
            browser.close()
            server.stop()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description="Time from abandoning a training to an idle worker.")
    parser.add_argument("--repeats", type=int, default=3)
    arguments = parser.parse_args()
    results = measure(arguments.repeats)
    print("cancellation latency: action → worker idle (no CPU used for 0.3 s)")
    for action, times in results.items():
        print(
            f"  {action:<15} median {statistics.median(times):.2f} s, max {max(times):.2f} s "
            f"({', '.join(f'{t:.2f}' for t in times)})"
        )
    print(f"command: python -m bench.cancellation --repeats {arguments.repeats}")


if __name__ == "__main__":
    main()
