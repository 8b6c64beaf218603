"""Concurrency: four browser sessions train four different configs at once; each result equals a solo run.

    python -m bench.concurrency                    # about a minute; needs Debian's chromium
    python -m bench.concurrency --max-concurrent 1

Four headless Chromium pages open four links at the same moment against one `streamlit run app.py`. The
server trains at most FORECAST_MAX_CONCURRENT configs at once (2 here unless told otherwise; the default on
two cores is 1) and queues the rest, showing their position. When all four have finished, each page's
predictions CSV is downloaded and its LSTM metrics are computed from it; each config is then trained alone by
`python -m forecast --no-cache --json` in a fresh process, and the numbers must be identical.
"""

from __future__ import annotations

import argparse
import io
import json
import re
import subprocess
import sys
import tempfile
import time

import numpy as np
import pandas as pd

from forecast.config import Config
from forecast.config.fields import to_query_params
from forecast.evaluation.metrics import rmse
from tests.e2e.streamlit_server import CHROMIUM, CHROMIUM_ARGS, IDLE, ROOT, StreamlitServer

CONFIGS = [
    Config(epochs=40, seed=1),
    Config(epochs=40, lookback=8, layers=2, seed=2),
    Config(epochs=40, expression="sin(x) + 0.5*sin(3*x)", units=16, seed=3),
    Config(epochs=40, scaling="none", dropout=0.1, seed=4),
]


def solo(config: Config) -> dict:
    flags = [part for name, value in config.to_dict().items() for part in (f"--{name.replace('_', '-')}", str(value))]
    completed = subprocess.run(
        [sys.executable, "-m", "forecast", *flags, "--no-cache", "--json"], cwd=ROOT, capture_output=True, text=True
    )
    if completed.returncode != 0:
        raise SystemExit(completed.stderr)
    return json.loads(completed.stdout)["metrics"]["lstm"]


def wait_for_all(pages: list, started: float) -> tuple[dict[int, float], set[str]]:
    """Seconds until each session shows its result, and the queue messages seen on the way."""
    queue_messages: set[str] = set()
    finished: dict[int, float] = {}
    while len(finished) < len(pages):
        for index, page in enumerate(pages):
            if index in finished:
                continue
            for text in page.locator('[data-testid="stProgress"]').all_inner_texts():
                if "ahead of yours" in text:
                    queue_messages.add(re.sub(r"\s+", " ", text.strip()))
            if page.locator('[data-testid="stTable"]').count():
                finished[index] = time.perf_counter() - started
        time.sleep(0.2)
        if time.perf_counter() - started > 600:
            raise SystemExit("not all sessions finished within 10 minutes")
    return finished, queue_messages


def compare_with_solo(index: int, page, config: Config, seconds: float) -> bool:
    """Recompute the session's RMSE from its downloaded CSV and compare it with the CLI on the same config."""
    page.wait_for_selector(IDLE)
    with page.expect_download() as download:
        page.locator(".st-key-download_csv button").first.click()
    table = pd.read_csv(io.StringIO(download.value.path().read_text()))
    test = table[table["part"] == "test"]
    from_app = {
        "one_step": rmse(test["actual"].to_numpy(), test["lstm_one_step"].to_numpy()),
        "recursive": rmse(test["actual"].to_numpy(), test["lstm_recursive"].to_numpy()),
    }
    alone = solo(config)
    same = all(np.isclose(from_app[kind], alone[kind]["rmse"], rtol=1e-9, atol=0) for kind in from_app)
    print(
        f"  session {index + 1}: finished after {seconds:5.1f} s; LSTM RMSE one-step "
        f"{from_app['one_step']:.6f} (alone {alone['one_step']['rmse']:.6f}), recursive "
        f"{from_app['recursive']:.6f} (alone {alone['recursive']['rmse']:.6f}): "
        f"{'identical' if same else 'DIFFERENT'}"
    )
    return same


def run(max_concurrent: int) -> None:
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as cache, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        server = StreamlitServer({"FORECAST_CACHE_DIR": cache, "FORECAST_MAX_CONCURRENT": str(max_concurrent)}).start()
        try:
            pages = [browser.new_page(viewport={"width": 1280, "height": 900}) for _ in CONFIGS]
            started = time.perf_counter()
            for page, config in zip(pages, CONFIGS, strict=True):
                query = "&".join(f"{key}={value}" for key, value in to_query_params(config).items())
                page.goto(server.url + "?" + query.replace("+", "%2B"), wait_until="commit")
            finished, queue_messages = wait_for_all(pages, started)
            print(f"4 sessions at once, at most {max_concurrent} training(s) at a time:")
            for message in sorted(queue_messages):
                print(f"  seen while queued: {message!r}")
            identical = True
            for index, (page, config) in enumerate(zip(pages, CONFIGS, strict=True)):
                identical &= compare_with_solo(index, page, config, finished[index])
            print(f"all four finished; every result equals the config trained alone: {'yes' if identical else 'NO'}")
        finally:
            browser.close()
            server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description="Four sessions training at once, compared with solo runs.")
    parser.add_argument("--max-concurrent", type=int, default=2)
    arguments = parser.parse_args()
    run(arguments.max_concurrent)
    print(f"command: python -m bench.concurrency --max-concurrent {arguments.max_concurrent}")


if __name__ == "__main__":
    main()
