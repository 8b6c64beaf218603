"""Regenerate the README's screenshots from the real, running app.

    python docs/make_screenshots.py          # needs Debian's chromium (/usr/bin/chromium); about a minute

It starts `streamlit run app.py` with an empty cache, opens it in headless Chromium, trains the default config
and saves, in docs/: forecast.png (the main chart and metrics, 1280 wide), training-progress.png (a training
under way: progress bar and live loss curve), training.png (the Training tab), ensemble.png (a bundled dataset
with the band of a 3-seed ensemble), horizon.png, compare.png (after two runs), code.png and mobile.png
(390 wide).
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.e2e.helpers import wait_for_result  # noqa: E402
from tests.e2e.streamlit_server import CHROMIUM, CHROMIUM_ARGS, StreamlitServer  # noqa: E402

DOCS = ROOT / "docs"
SCREENSHOTS = (
    "forecast.png",
    "training-progress.png",
    "training.png",
    "ensemble.png",
    "horizon.png",
    "compare.png",
    "code.png",
    "mobile.png",
)


def main() -> None:
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as cache, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        server = StreamlitServer({"FORECAST_CACHE_DIR": cache}).start()
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 1350}, device_scale_factor=1)
            # A longer training first, to catch the progress bar and the live loss curve mid-run.
            page.goto(server.url + "?epochs=600&seed=1")
            page.wait_for_function(
                "() => [...document.querySelectorAll('[data-testid=\"stProgress\"]')]"
                ".some(bar => /Epoch (1[5-9]\\d|[2-5]\\d\\d)\\/600/.test(bar.innerText))",
                timeout=180_000,
            )
            page.wait_for_timeout(600)
            page.screenshot(path=DOCS / "training-progress.png", clip={"x": 0, "y": 0, "width": 1280, "height": 900})
            page.goto(server.url)
            wait_for_result(page, timeout=300_000)
            page.mouse.move(0, 0)
            page.wait_for_timeout(800)
            page.screenshot(path=DOCS / "forecast.png")
            page.get_by_role("tab", name="Training").click()
            page.wait_for_timeout(800)
            page.screenshot(path=DOCS / "training.png", clip={"x": 0, "y": 0, "width": 1280, "height": 1000})
            # Beyond the blog post: a bundled dataset with an ensemble band, then the other tabs.
            page.goto(server.url + "?source=dataset&dataset=lake_huron&lookback=8&epochs=150&ensemble=3")
            wait_for_result(page, timeout=300_000)
            page.mouse.move(0, 0)
            page.wait_for_timeout(800)
            page.screenshot(path=DOCS / "ensemble.png", clip={"x": 0, "y": 0, "width": 1280, "height": 1150})
            page.get_by_role("tab", name="Steps ahead").click()
            page.wait_for_timeout(800)
            page.screenshot(path=DOCS / "horizon.png", clip={"x": 0, "y": 0, "width": 1280, "height": 900})
            # A second run in the same session, to compare with the first. Only the open tab is built, and the
            # wait below looks for the Forecast tab's metrics table.
            page.get_by_role("tab", name="Forecast").click()
            page.locator(".st-key-lookback input").fill("4")
            page.locator(".st-key-train button").first.click()
            page.wait_for_function("() => new URLSearchParams(location.search).get('lookback') === '4'")
            wait_for_result(page, timeout=300_000)
            page.get_by_role("tab", name="Compare runs").click()
            page.wait_for_timeout(800)
            page.screenshot(path=DOCS / "compare.png", clip={"x": 0, "y": 0, "width": 1280, "height": 1150})
            page.get_by_role("tab", name="Code").click()
            page.wait_for_timeout(800)
            page.screenshot(path=DOCS / "code.png", clip={"x": 0, "y": 0, "width": 1280, "height": 800})
            phone = browser.new_page(viewport={"width": 390, "height": 1400}, device_scale_factor=1)
            phone.goto(server.url)
            wait_for_result(phone)
            phone.wait_for_timeout(800)
            phone.screenshot(path=DOCS / "mobile.png")
        finally:
            browser.close()
            server.stop()
    for name in SCREENSHOTS:
        print(DOCS / name)


if __name__ == "__main__":
    main()
