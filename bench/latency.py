"""Dashboard latency against its two floors, all measured in one run on the same machine.

    python -m bench.latency              # a few minutes; needs Debian's chromium (/usr/bin/chromium)

The app is started exactly as the README's run command leaves it: a copy of the checkout with a real `.venv`
inside it (a fresh virtual environment that reuses this interpreter's packages through a .pth file), the
project's own .streamlit/config.toml and default watcher settings, `streamlit run app.py` from that folder.

1. First visit: an empty cache, the default config's link opened in headless Chromium the moment the app's
   server answers (its training workers start with the server); time from opening the page to the metrics table
   on screen, against the wall time of `python -m forecast --no-cache` for the same config (a fresh process:
   Python start, TensorFlow import, training), run just before. Target: ≤ 1.3×.
2. Cached reload of the same link, median of five, against the reload of a minimal Streamlit page holding one
   Plotly chart and one small table, served the same way at the same time; the reloads alternate between the
   two. A reload counts until its table is on screen and its script has finished. Target: ≤ 1.2×.
   Beside them, for the reading only: the minimal page with the app's own settings panel in its sidebar (and
   nothing else of the app), which splits the app's ratio into what its settings cost and what the rest adds.
3. Whether any "Inotify" line appeared in the app server's log.

Every time is taken by the page itself (see OBSERVER), from the start of the navigation.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time
from pathlib import Path

from tests.e2e.streamlit_server import CHROMIUM, CHROMIUM_ARGS, IDLE, ROOT, StreamlitServer

RELOADS = 5
RESULT = '[data-testid="stTable"]'
MINIMAL_PAGE = '''"""The framework's floor: one Plotly chart and one small table."""
import numpy as np
import pandas as pd
import plotly.graph_objects as go
import streamlit as st

st.set_page_config(page_title="Minimal", layout="wide")
st.title("Minimal page")
xs = np.arange(-20, 20, 0.1)
figure = go.Figure(go.Scatter(x=xs, y=xs * np.sin(xs), mode="lines", name="actual"))
st.plotly_chart(figure)
st.table(pd.DataFrame({"model": ["LSTM", "naive", "linear AR"], "rmse": [0.18, 0.52, 0.01]}))
'''
# The minimal page with the app's own settings panel in its sidebar (the sidebar module, its widgets and callbacks)
# and nothing else of the app: what the settings alone cost a reload, so that a ratio above the target can be split
# between the framework's per-widget cost and what the app adds around its settings.
SETTINGS_PAGE = (
    MINIMAL_PAGE.replace(
        "The framework's floor: one Plotly chart and one small table.",
        "The minimal page with the app's settings panel in its sidebar.",
    )
    .replace(
        "import streamlit as st\n",
        "import streamlit as st\n\nfrom forecast.ui import sidebar, state\n",
    )
    .replace(
        'st.title("Minimal page")\n',
        'st.title("Minimal page")\nwith st.sidebar:\n    sidebar.render(state.get())\n',
    )
)


def make_checkout(folder: Path) -> Path:
    """The repository's tracked files plus a real `.venv` inside, as after the README's first command."""
    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    for name in tracked.splitlines():
        source = ROOT / name
        if source.is_file():
            (folder / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, folder / name)
    subprocess.run([sys.executable, "-m", "venv", str(folder / ".venv")], check=True)
    site = subprocess.run(
        [str(folder / ".venv/bin/python"), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    # The packages themselves come from this interpreter's environment (no download); the folder is a real venv.
    Path(site, "shared-packages.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return folder


def headless_run(checkout: Path, cache: str) -> float:
    """Wall time of the command-line training of the default config, in a fresh process."""
    started = time.perf_counter()
    subprocess.run(
        [str(checkout / ".venv/bin/python"), "-m", "forecast", "--no-cache"],
        cwd=checkout,
        env={**os.environ, "FORECAST_CACHE_DIR": cache},
        check=True,
        capture_output=True,
    )
    return time.perf_counter() - started


# Times are taken by the page itself: a MutationObserver notes, in milliseconds since the navigation started, when
# each of these first appears, and when the result is on screen with the script finished. Playwright's own
# `wait_for_selector` polls at growing intervals (up to 500 ms apart), which made one reload of the same page
# measure 0.45 s or 0.95 s depending on which poll caught it.
MOMENTS = {
    "curve": '[data-testid="stPlotlyChart"] .main-svg',
    "progress": '[data-testid="stProgress"]',
    "result": RESULT,
}
OBSERVER = """
(() => {
  const moments = %s;
  const idle = %s;
  window.__moments = {};
  const note = () => {
    for (const [name, selector] of Object.entries(moments)) {
      if (!(name in window.__moments) && document.querySelector(selector)) window.__moments[name] = performance.now();
    }
    if (!("ready" in window.__moments) && document.querySelector(moments.result) && document.querySelector(idle)) {
      window.__moments.ready = performance.now();
    }
  };
  new MutationObserver(note).observe(document, {subtree: true, childList: true, attributes: true});
})();
"""


def visit(page, url: str, timeout_ms: int = 60_000) -> dict[str, float]:
    """Open `url` and return the seconds from the navigation's start to each moment (and "ready")."""
    page.goto(url)
    page.wait_for_function("() => window.__moments && 'ready' in window.__moments", timeout=timeout_ms)
    return {name: milliseconds / 1000 for name, milliseconds in page.evaluate("() => window.__moments").items()}


def measure() -> dict[str, object]:
    from playwright.sync_api import sync_playwright

    from forecast.config import DEFAULT_CONFIG
    from forecast.config.fields import to_query_params

    link = "?" + "&".join(f"{name}={value}" for name, value in to_query_params(DEFAULT_CONFIG).items())
    with tempfile.TemporaryDirectory() as temporary, sync_playwright() as playwright:
        folder = Path(temporary)
        checkout = make_checkout(folder / "checkout")
        minimal = folder / "minimal"
        shutil.copytree(checkout / ".streamlit", minimal / ".streamlit")
        (minimal / "page.py").write_text(MINIMAL_PAGE)
        # Inside the checkout, whose folder Streamlit puts on the import path: the page imports `forecast.ui`.
        (checkout / "settings_page.py").write_text(SETTINGS_PAGE)
        python = str(checkout / ".venv/bin/python")
        headless = headless_run(checkout, str(folder / "cli-cache"))

        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.add_init_script(OBSERVER % (json.dumps(MOMENTS), json.dumps(IDLE)))
        # The other pages' servers first: the app's server starts its training workers as it starts, and the first
        # visit opens the page the moment that server answers, so its workers get no head start beyond it.
        floor = StreamlitServer({}, minimal / "page.py", file_watcher=None, cwd=minimal, python=python)
        settings = StreamlitServer(
            {"FORECAST_CACHE_DIR": str(folder / "settings-cache")}, checkout / "settings_page.py", file_watcher=None,
            cwd=checkout, python=python,
        )  # fmt: skip
        app = StreamlitServer(
            {"FORECAST_CACHE_DIR": str(folder / "app-cache")}, checkout / "app.py", file_watcher=None, cwd=checkout,
            python=python,
        )  # fmt: skip
        with floor, settings, app:
            first = visit(page, app.url + link, timeout_ms=600_000)
            urls = {"app": app.url + link, "minimal": floor.url, "minimal with settings": settings.url}
            # Their first loads warm the browser's cache, as the app's first visit did.
            visit(page, floor.url)
            visit(page, settings.url)
            # Reloads alternate between the pages, so all meet the same state of the machine.
            reloads: dict[str, list[float]] = {name: [] for name in urls}
            for _ in range(RELOADS):
                for name, url in urls.items():
                    reloads[name].append(visit(page, url)["ready"])
        browser.close()
        log = app.log()
    return {
        "headless": headless,
        "curve": first.get("curve", math.nan),
        "progress": first.get("progress", math.nan),
        "first_visit": first["result"],
        "reloads": reloads,
        "inotify_lines": [line for line in log.splitlines() if "Inotify" in line],
    }


def main() -> None:
    argparse.ArgumentParser(description=__doc__.splitlines()[0]).parse_args()
    if not Path(CHROMIUM).exists():
        raise SystemExit(f"{CHROMIUM} not found: apt-get install -y chromium")
    figures = measure()
    headless, first = figures["headless"], figures["first_visit"]
    reloads = figures["reloads"]
    app_reload, floor_reload, settings_reload = (
        statistics.median(reloads[name]) for name in ("app", "minimal", "minimal with settings")
    )
    print("first visit, empty cache, default config, headless Chromium (page opened → …):")
    print(f"  actual curve drawn        {figures['curve']:6.2f} s")
    print(f"  progress bar shown        {figures['progress']:6.2f} s")
    print(f"  metrics table on screen   {first:6.2f} s")
    print(f"  python -m forecast --no-cache, same config, same run: {headless:.2f} s")
    print(f"  ratio {first / headless:.2f}× (target ≤ 1.3×)")
    print(f"cached reload of the same link, median of {RELOADS}: {app_reload:.2f} s")
    print(f"  minimal page (one Plotly chart, one small table), median of {RELOADS}: {floor_reload:.2f} s")
    print(f"  ratio {app_reload / floor_reload:.2f}× (target ≤ 1.2×)")
    print(f"  the minimal page with the app's settings panel in its sidebar, median of {RELOADS}: "
          f"{settings_reload:.2f} s = {settings_reload / floor_reload:.2f}× the minimal page; "
          f"the app {app_reload / settings_reload:.2f}× this page")  # fmt: skip
    print("  all reloads: " + ", ".join(f"{name} {[round(t, 2) for t in times]}" for name, times in reloads.items()))
    lines = figures["inotify_lines"]
    print(f'"Inotify" lines in the app server\'s log: {len(lines)}' + (f" (first: {lines[0]})" if lines else ""))
    print("command: python -m bench.latency")


if __name__ == "__main__":
    main()
