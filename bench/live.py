"""Watching it learn: what the live forecast costs, and whether the page stays quick while a network trains.

    python -m bench.live                  # a few minutes; needs Debian's chromium (/usr/bin/chromium)
    python -m bench.live --part training  # only the first figure, no browser

1. Training cost: the default config trained in this process with the page's snapshots (one every
   LIVE_SNAPSHOT_EVERY epochs: the one-step and recursive forecasts of the test part) and without, alternating,
   medians of training seconds. Target: ≤ 1.10×.
2. Responsiveness, in headless Chromium against the app started as the README leaves it (a checkout with its own
   `.venv`, `streamlit run app.py`, default settings): while a network trains (the page's config with
   TRAINING_EPOCHS epochs, so that each training outlasts a round; each round then chooses a function not trained
   yet, which starts the next), the time from a click to its answer on screen, taken by the page every animation
   frame: switching to the About tab (its text shown), back to the Forecast tab (the chart shown), and choosing
   another function in the preset box (timed from the click on the option, the box opened first: its expression
   in the form). Target: median ≤ 0.5 s.
3. Cached reload: the default config's link with snapshots and without (both trained first), reloads
   alternating, median seconds until the result is on screen and the script idle. Target: ≤ 1.10×.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

from bench.latency import MOMENTS, OBSERVER, make_checkout, visit
from forecast.config.expressions import PRESETS as EXPRESSION_PRESETS
from tests.e2e.streamlit_server import CHROMIUM, CHROMIUM_ARGS, IDLE, StreamlitServer

TRAINING_TARGET, RESPONSE_TARGET, RELOAD_TARGET = 1.10, 0.5, 1.10
# Each round chooses a function not trained yet, so the next round's clicks meet a training too (a function
# chosen twice would come back from the cache, with nothing training).
PRESETS = tuple((preset.name, preset.expression) for preset in EXPRESSION_PRESETS[1:])  # (option, its expression)
# The page's config with epochs enough (≈ 7 s of training) that each training outlasts its round's clicks.
TRAINING_EPOCHS = 1000
PAGE_EVERY = 20  # forecast.ui.state.LIVE_SNAPSHOT_EVERY, checked in main()


def training_cost(repeats: int) -> dict[str, dict[str, list[float]]]:
    """Seconds of the default config's network with and without the page's snapshots, alternating: the whole
    computation (training, then its forecasts and metrics: what the page waits for) and the training alone."""
    from forecast.config import DEFAULT_CONFIG
    from forecast.run import pipeline
    from forecast.ui.state import PAGE_DEFAULTS

    times: dict[str, dict[str, list[float]]] = {
        "without": {"wall": [], "training": []},
        "with": {"wall": [], "training": []},
    }
    pipeline.compute(DEFAULT_CONFIG.replace(epochs=2))  # the process's one-time set-up, paid by neither
    pipeline.compute(PAGE_DEFAULTS.replace(epochs=PAGE_DEFAULTS.snapshot_every))
    for _ in range(repeats):
        for name, config in (("without", DEFAULT_CONFIG), ("with", PAGE_DEFAULTS)):
            started = time.perf_counter()
            result = pipeline.compute(config)
            times[name]["wall"].append(time.perf_counter() - started)
            times[name]["training"].append(result.fit_seconds)
    return times


def _answer(page, click, condition: str, prepare=None) -> float:
    """Seconds from `click` to `condition` (a JS expression) holding, checked by the page every animation frame;
    `prepare` (untimed) readies the click, e.g. opens a select box, which the browser does without the server."""
    page.wait_for_function(
        "() => !!document.querySelector('[data-testid=\"stProgress\"]')", timeout=120_000, polling="raf"
    )
    if prepare is not None:
        prepare()
    started = page.evaluate("() => performance.now()")
    click()
    page.wait_for_function(f"() => {condition}", timeout=30_000, polling="raf")
    return (page.evaluate("() => performance.now()") - started) / 1000


def responsiveness(page, url: str, rounds: int) -> dict[str, list[float]]:
    """Tab switches and a widget change while the page's network trains."""
    page.goto(url)
    answers: dict[str, list[float]] = {"tab: About": [], "tab: Forecast": [], "widget: function preset": []}
    about = "document.body.innerText.includes('Sharing.') && document.querySelector('[data-testid=\"stProgress\"]')"
    forecast = (
        "[...document.querySelectorAll('.js-plotly-plot')].some(p => (p._fullData || []).some(t => t.name === "
        "'Actual')) && document.querySelector('[data-testid=\"stProgress\"]')"
    )
    for round_index in range(rounds):
        answers["tab: About"].append(_answer(page, lambda: page.get_by_role("tab", name="About").click(), about))
        answers["tab: Forecast"].append(
            _answer(page, lambda: page.get_by_role("tab", name="Forecast").click(), forecast)
        )
        option, expression = PRESETS[round_index % len(PRESETS)]

        def choose(option: str = option) -> None:
            page.get_by_role("option", name=option, exact=True).click()

        shown = f"document.querySelector('.st-key-expression input').value === {json.dumps(expression)}"
        opened = page.locator(".st-key-preset").click
        answers["widget: function preset"].append(_answer(page, choose, shown, prepare=opened))
    return answers


def reloads(page, urls: dict[str, str], count: int) -> dict[str, list[float]]:
    for url in urls.values():
        visit(page, url, timeout_ms=600_000)  # trains it, once
    times: dict[str, list[float]] = {name: [] for name in urls}
    for _ in range(count):
        for name, url in urls.items():
            times[name].append(visit(page, url)["ready"])
    return times


def browser_part(rounds: int, reload_count: int) -> dict[str, dict[str, list[float]]]:
    from playwright.sync_api import sync_playwright

    from forecast.config import DEFAULT_CONFIG
    from forecast.config.fields import to_query_params
    from forecast.ui.state import PAGE_DEFAULTS

    def link(config) -> str:
        return "?" + "&".join(f"{name}={value}" for name, value in to_query_params(config).items())

    with tempfile.TemporaryDirectory() as temporary, sync_playwright() as playwright:
        folder = Path(temporary)
        checkout = make_checkout(folder / "checkout")
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.add_init_script(OBSERVER % (json.dumps(MOMENTS), json.dumps(IDLE)))
        app = StreamlitServer(
            {"FORECAST_CACHE_DIR": str(folder / "cache")}, checkout / "app.py", file_watcher=None, cwd=checkout,
            python=str(checkout / ".venv/bin/python"),
        )  # fmt: skip
        with app:
            # Reloads first: the trainings the clicks start would otherwise still run (until abandoned) under them.
            urls = {"with snapshots": app.url + link(PAGE_DEFAULTS), "without": app.url + link(DEFAULT_CONFIG)}
            times = reloads(page, urls, reload_count)
            answers = responsiveness(page, app.url + link(PAGE_DEFAULTS.replace(epochs=TRAINING_EPOCHS)), rounds)
        browser.close()
    return {"answers": answers, "reloads": times}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--part", choices=["training", "all"], default="all")
    parser.add_argument("--repeats", type=int, default=3, help="trainings of each kind")
    parser.add_argument("--rounds", type=int, default=5, help="rounds of clicks while a network trains")
    parser.add_argument("--reloads", type=int, default=5)
    arguments = parser.parse_args()
    if not 1 <= arguments.rounds <= len(PRESETS):
        parser.error(f"--rounds must be 1–{len(PRESETS)}: each round needs a function not trained yet")
    from forecast.ui.state import LIVE_SNAPSHOT_EVERY

    assert LIVE_SNAPSHOT_EVERY == PAGE_EVERY, "update PAGE_EVERY"
    started = time.perf_counter()
    cost = training_cost(arguments.repeats)
    medians = {
        name: {part: statistics.median(values) for part, values in parts.items()} for name, parts in cost.items()
    }
    for part in ("wall", "training"):
        print(
            f"default config, {part}: {medians['without'][part]:.2f} s without snapshots, "
            f"{medians['with'][part]:.2f} s with one every {PAGE_EVERY} epochs (medians of {arguments.repeats})"
        )
    ratio = medians["with"]["wall"] / medians["without"]["wall"]
    lines = [f"live forecast: the network's run {ratio:.3f}× (target ≤ {TRAINING_TARGET}×)"]
    if arguments.part == "all":
        if not Path(CHROMIUM).exists():
            raise SystemExit(f"{CHROMIUM} not found: apt-get install -y chromium")
        measured = browser_part(arguments.rounds, arguments.reloads)
        for name, seconds in measured["answers"].items():
            print(f"while training, {name}: median {statistics.median(seconds):.3f} s of {len(seconds)}: {seconds}")
        every = [second for seconds in measured["answers"].values() for second in seconds]
        lines.append(f"answers while training: median {statistics.median(every):.3f} s (target ≤ {RESPONSE_TARGET} s)")
        reload_times = {name: statistics.median(seconds) for name, seconds in measured["reloads"].items()}
        print("cached reload, median: " + ", ".join(f"{name} {value:.3f} s" for name, value in reload_times.items()))
        ratio = reload_times["with snapshots"] / reload_times["without"]
        lines.append(f"cached reload with snapshots {ratio:.3f}× without (target ≤ {RELOAD_TARGET}×)")
    print("FIGURES: " + "; ".join(lines))
    took = time.perf_counter() - started
    print(f"command: python -m bench.live --part {arguments.part} --repeats {arguments.repeats} ({took:.0f} s)")


if __name__ == "__main__":
    main()
