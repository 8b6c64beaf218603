"""Dashboard latency benchmark: cold start in a real browser, and re-rendering configs already trained.

    python -m bench.latency              # about a minute; needs Debian's chromium (/usr/bin/chromium)
    python -m bench.latency --repeats 9

1. Cold start: `streamlit run app.py` with an empty cache folder; the clock starts before the process does.
   It reports when the server answers its health check, when the actual curve is drawn in the browser, and
   when the trained default config's forecast (chart and metrics) is on screen.
2. Cached re-render in the browser: two configs trained once, then switched back and forth with the sidebar
   form; time from pressing Train to the new result on screen, and whether anything retrained.
3. Cached re-render of the script alone (Streamlit's AppTest, no browser): median time of a full script run.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from tests.e2e.streamlit_server import CHROMIUM, CHROMIUM_ARGS, IDLE, ROOT, StreamlitServer


def _reading(page) -> str:
    return page.locator('[data-testid="stAlertContentInfo"]').first.inner_text()


def browser_latencies(repeats: int) -> dict[str, object]:
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as cache, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        started = time.perf_counter()
        server = StreamlitServer({"FORECAST_CACHE_DIR": cache}).start()
        try:
            healthy = time.perf_counter() - started
            page.goto(server.url)
            page.wait_for_selector('[data-testid="stPlotlyChart"] .main-svg', timeout=120_000)
            curve = time.perf_counter() - started
            page.wait_for_selector('[data-testid="stTable"]', timeout=300_000)
            forecast = time.perf_counter() - started
            page.wait_for_selector(IDLE, timeout=60_000)
            readings = {5: _reading(page)}
            # Train the second config once (not timed), so that both are cached from here on.
            page.locator(".st-key-lookback input").fill("6")
            page.locator(".st-key-train button").first.click()
            page.wait_for_function(
                "previous => { const info = document.querySelector('[data-testid=\"stAlertContentInfo\"]');"
                " return info && info.innerText !== previous; }",
                arg=readings[5],
                timeout=300_000,
            )
            page.wait_for_selector(IDLE, timeout=60_000)
            readings[6] = _reading(page)
            switches = []
            retrained = False
            lookback = 6
            for _ in range(repeats):
                lookback = 5 if lookback == 6 else 6
                page.locator(".st-key-lookback input").fill(str(lookback))
                clicked = time.perf_counter()
                page.locator(".st-key-train button").first.click()
                page.wait_for_function(
                    "expected => { const info = document.querySelector('[data-testid=\"stAlertContentInfo\"]');"
                    " return info && info.innerText === expected; }",
                    arg=readings[lookback],
                    timeout=60_000,
                )
                switches.append(time.perf_counter() - clicked)
                page.wait_for_selector(IDLE, timeout=60_000)
                retrained |= page.locator('[data-testid="stProgress"]').count() > 0
                # The Training tab is built when opened (a rerun): it says whether the result was trained now.
                page.get_by_role("tab", name="Training").click()
                page.wait_for_selector('[data-testid="stMetric"]', timeout=60_000)
                retrained |= "fresh" in page.locator('[data-testid="stMetric"]').all_inner_texts()[-1]
                page.get_by_role("tab", name="Forecast").click()
                page.wait_for_selector('[data-testid="stAlertContentInfo"]', timeout=60_000)
                page.wait_for_selector(IDLE, timeout=60_000)
        finally:
            browser.close()
            server.stop()
    return {"healthy": healthy, "curve": curve, "forecast": forecast, "switches": switches, "retrained": retrained}


def script_rerender(repeats: int) -> list[float]:
    """Full script runs of a cached config through AppTest: the server-side part of a re-render."""
    import os

    from streamlit.testing.v1 import AppTest

    from forecast.config import DEFAULT_CONFIG
    from forecast.fields import to_query_params

    durations = []
    with tempfile.TemporaryDirectory() as cache:
        os.environ["FORECAST_CACHE_DIR"] = cache
        first = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300)
        for name, value in to_query_params(DEFAULT_CONFIG).items():
            first.query_params[name] = value
        first.run()  # trains (or loads) once
        for _ in range(repeats):
            at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
            started = time.perf_counter()
            at.run()
            durations.append(time.perf_counter() - started)
            assert not at.exception
    return durations


def main() -> None:
    parser = argparse.ArgumentParser(description="Cold start and cached re-render latencies of the dashboard.")
    parser.add_argument("--repeats", type=int, default=6)
    arguments = parser.parse_args()
    if not Path(CHROMIUM).exists():
        raise SystemExit(f"{CHROMIUM} not found: apt-get install -y chromium")
    browser = browser_latencies(arguments.repeats)
    print("cold start (process start → …), empty cache, default config, headless Chromium:")
    print(f"  server healthy          {browser['healthy']:6.2f} s")
    print(f"  actual curve drawn      {browser['curve']:6.2f} s")
    print(f"  forecast + metrics      {browser['forecast']:6.2f} s  (includes importing TensorFlow and training)")
    switches = browser["switches"]
    print(
        f"cached re-render in the browser (Train pressed → result on screen), {len(switches)} switches between two "
        f"trained configs: median {statistics.median(switches):.2f} s, max {max(switches):.2f} s; "
        f"retrained: {'yes' if browser['retrained'] else 'no'}"
    )
    runs = script_rerender(arguments.repeats)
    print(
        f"cached re-render, script only (AppTest, {len(runs)} runs): median {statistics.median(runs) * 1000:.0f} ms, "
        f"max {max(runs) * 1000:.0f} ms"
    )
    print(f"command: python -m bench.latency --repeats {arguments.repeats}")


if __name__ == "__main__":
    main()
