"""The server starts its training workers, and their TensorFlow import, before anyone opens the page."""

from __future__ import annotations

import time
from pathlib import Path

from bench.processes import worker_pids
from tests.e2e.streamlit_server import StreamlitServer, group_alive


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
            if any(_has_tensorflow(worker) for worker in worker_pids(server.process.pid)):
                break
            time.sleep(0.2)
        else:
            raise AssertionError(f"no worker of the server imported TensorFlow:\n{server.log()}")
        assert "Traceback" not in server.log()


def test_a_started_server_entered_as_a_context_is_the_same_server_and_stops(tmp_path):
    server = StreamlitServer({"FORECAST_CACHE_DIR": str(tmp_path)}).start()
    started = server.process
    with server as entered:
        assert entered.process is started
    assert not group_alive(started.pid), "the server started before the with block survived it"
