"""The server starts its training workers, and their TensorFlow import, before anyone opens the page."""

from __future__ import annotations

import time
from pathlib import Path

from tests.e2e.streamlit_server import StreamlitServer


def _children(pid: int) -> list[int]:
    """The processes whose parent is `pid` (Linux's /proc)."""
    children = []
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            fields = dict(line.split(":\t", 1) for line in status.read_text().splitlines() if ":\t" in line)
        except OSError:  # the process ended while we looked
            continue
        if fields.get("PPid", "").strip() == str(pid):
            children.append(int(status.parent.name))
    return children


def _has_tensorflow(pid: int) -> bool:
    try:
        return "libtensorflow" in Path(f"/proc/{pid}/maps").read_text()
    except OSError:
        return False


def test_workers_import_tensorflow_before_the_first_visit(tmp_path):
    # No page is opened, so no script runs: only the server's lifespan hook (app.py's st.App) can start them.
    with StreamlitServer({"FORECAST_CACHE_DIR": str(tmp_path)}) as server:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if any(_has_tensorflow(child) for child in _children(server.process.pid)):
                break
            time.sleep(0.2)
        else:
            raise AssertionError(f"no worker of the server imported TensorFlow:\n{server.log()}")
        assert "Traceback" not in server.log()
