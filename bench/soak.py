"""Memory soak: many distinct trainings through the running app; the app's memory must stay flat.

    python -m bench.soak                    # 50 trainings, about three minutes; needs Debian's chromium
    python -m bench.soak --trainings 100

A real `streamlit run app.py` is driven by headless Chromium: the seed is changed and Train pressed, so every
training is a new config going through the app's own training path (worker pool, cache, progress). After the
first training and after every tenth it prints the resident memory of the app process and of its worker
processes. Workers are replaced after FORECAST_TRAININGS_PER_WORKER trainings (10 by default), which bounds
what TensorFlow keeps per trained model; the app process never imports TensorFlow.
"""

from __future__ import annotations

import argparse
import tempfile
import time

from bench.processes import resident_memory_mb, worker_pids
from tests.e2e.streamlit_server import CHROMIUM, CHROMIUM_ARGS, StreamlitServer

# The default network, fewer epochs: a realistic model, a couple of seconds per training.
BASE = "?epochs=20&seed={seed}"
DONE = """seed => {
    const app = document.querySelector('[data-testid="stApp"]');
    return app && app.dataset.testScriptState === 'notRunning'
        && new URLSearchParams(location.search).get('seed') === String(seed)
        && !document.querySelector('[data-testid="stProgress"]')
        && document.querySelector('[data-testid="stTable"]') !== null;
}"""


def soak(trainings: int) -> list[tuple[int, float, float, int]]:
    from playwright.sync_api import sync_playwright

    rows = []
    with tempfile.TemporaryDirectory() as cache, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        server = StreamlitServer({"FORECAST_CACHE_DIR": cache}).start()
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.goto(server.url + BASE.format(seed=0))
            page.wait_for_function(DONE, arg=0, timeout=300_000)
            started = time.perf_counter()
            for done in range(1, trainings + 1):
                if done > 1:
                    seed = done - 1
                    page.locator(".st-key-seed input").fill(str(seed))
                    page.locator(".st-key-train button").first.click()
                    page.wait_for_function(DONE, arg=seed, timeout=300_000)
                if done == 1 or done % 10 == 0:
                    workers = worker_pids(server.process.pid)
                    worker_rss = sum(resident_memory_mb(pid) for pid in workers)
                    rows.append((done, resident_memory_mb(server.process.pid), worker_rss, len(workers)))
                    app_rss = rows[-1][1]
                    print(
                        f"{done:>4} trainings  app {app_rss:7.1f} MB  workers {worker_rss:7.1f} MB "
                        f"({len(workers)} process{'es' if len(workers) != 1 else ''})  "
                        f"{time.perf_counter() - started:6.1f} s",
                        flush=True,
                    )
        finally:
            browser.close()
            server.stop()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description="App and worker memory over many distinct trainings.")
    parser.add_argument("--trainings", type=int, default=50)
    arguments = parser.parse_args()
    rows = soak(arguments.trainings)
    first = rows[0][1]
    growth = max(row[1] for row in rows) - first
    print(
        f"app process: {first:.1f} MB after the first training, at most {first + growth:.1f} MB "
        f"(+{growth:.1f} MB; the target is within 100 MB): {'flat' if growth <= 100 else 'NOT flat'}"
    )
    print(f"workers: at most {max(row[2] for row in rows):.1f} MB")
    print(f"command: python -m bench.soak --trainings {arguments.trainings}")


if __name__ == "__main__":
    main()
