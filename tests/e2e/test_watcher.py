"""Reload-on-save as the README runs the app: the project's files are watched, .venv, .git and the cache are not."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tests.e2e.helpers import IDLE, TINY_QUERY, query
from tests.e2e.streamlit_server import ROOT, StreamlitServer

# Folders a real checkout holds beside the app: a virtual environment, git's objects, a cache.
OTHER_FOLDERS = 300


def inotify_watches(pid: int) -> int:
    """How many inotify watches the process holds (a recursive watch holds one per folder below it)."""
    count = 0
    for descriptor in os.listdir(f"/proc/{pid}/fd"):
        try:
            if os.readlink(f"/proc/{pid}/fd/{descriptor}") != "anon_inode:inotify":
                continue
            with open(f"/proc/{pid}/fdinfo/{descriptor}") as info:
                count += sum(line.startswith("inotify wd:") for line in info)
        except OSError:
            continue  # The descriptor closed while being read.
    return count


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    """A copy of the app laid out as after the README's commands: `.venv` (and `.git`, a cache) inside it."""
    root = tmp_path / "checkout"
    ignore = shutil.ignore_patterns("__pycache__")
    shutil.copytree(ROOT / "forecast", root / "forecast", ignore=ignore)
    shutil.copytree(ROOT / ".streamlit", root / ".streamlit")
    shutil.copy(ROOT / "app.py", root / "app.py")
    for index in range(OTHER_FOLDERS):
        for folder in (".venv/lib/python3/site-packages", ".git/objects", "forecast-cache"):
            (root / folder / f"d{index:03d}").mkdir(parents=True)
    return root


@pytest.mark.skipif(not Path("/proc/self/fdinfo").exists(), reason="counts inotify watches through Linux's /proc")
def test_edits_to_the_app_rerun_without_watching_the_environment(checkout, browser, tmp_path):
    # runOnSave (set through Streamlit's environment variable, leaving the watcher as configured) turns the
    # "source changed" prompt into a rerun, whose new text shows that the edit was seen.
    environment = {"FORECAST_CACHE_DIR": str(tmp_path / "cache"), "STREAMLIT_SERVER_RUN_ON_SAVE": "true"}
    server = StreamlitServer(environment, checkout / "app.py", file_watcher=None, cwd=checkout)
    with server:
        page = browser.new_page()
        try:
            page.goto(server.url + query(TINY_QUERY))
            page.wait_for_selector(IDLE, timeout=60_000)
            page.get_by_text("LSTM Forecast Playground").first.wait_for(timeout=60_000)
            # Watchers are in place once a session has run the script.
            watches = inotify_watches(server.process.pid)
            assert watches < OTHER_FOLDERS, f"{watches} inotify watches: the watcher walks .venv, .git or the cache"

            source = checkout / "app.py"
            source.write_text(source.read_text().replace('st.title("LSTM Forecast Playground")', 'st.title("Edited")'))
            page.get_by_role("heading", name="Edited").wait_for(timeout=30_000)
        finally:
            page.close()
    assert "Inotify" not in server.log(), server.log()
