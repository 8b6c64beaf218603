"""Start `streamlit run app.py` on a free loopback port the way Streamlit's own end-to-end tests do.

Used by the browser tests and by the latency benchmark. The server runs in its own process group, so stopping
it also stops the training workers it started: no orphan process is left behind.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"]'


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class StreamlitServer:
    """A context manager around a real `streamlit run app.py` process."""

    def __init__(
        self,
        environment: dict[str, str] | None = None,
        app: Path = ROOT / "app.py",
        *,
        file_watcher: str | None = "none",
        cwd: Path = ROOT,
        python: str = sys.executable,
    ) -> None:
        """`file_watcher`: Streamlit's `server.fileWatcherType`, or None for the project's own setting (as the
        README's `streamlit run app.py` gets it); `cwd`: where it runs, and so whose .streamlit/config.toml;
        `python`: the interpreter (a checkout's own `.venv/bin/python`, say)."""
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        self.app = app
        self.file_watcher = file_watcher
        self.cwd = cwd
        self.python = python
        self.environment = {**os.environ, **(environment or {})}
        self.process: subprocess.Popen | None = None
        self.log_path = Path(self.environment.get("FORECAST_CACHE_DIR", "/tmp")) / f"streamlit-{self.port}.log"

    def start(self, timeout: float = 60.0) -> StreamlitServer:
        command = [
            self.python, "-m", "streamlit", "run", str(self.app),
            "--server.headless", "true",
            "--server.port", str(self.port),
            "--server.address", "127.0.0.1",
            "--browser.gatherUsageStats", "false",
        ]  # fmt: skip
        if self.file_watcher is not None:
            command += ["--server.fileWatcherType", self.file_watcher]
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = self.log_path.open("wb")
        self.process = subprocess.Popen(
            command, cwd=self.cwd, env=self.environment, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"streamlit exited with {self.process.returncode}:\n{self.log()}")
            try:
                with urllib.request.urlopen(self.url + "_stcore/health", timeout=1) as response:
                    if response.status == 200:
                        return self
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"streamlit did not become healthy within {timeout} s:\n{self.log()}")

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def stop(self, timeout: float = 15.0) -> None:
        """Stop the server as Ctrl-C would, then make sure nothing of its process group survives."""
        if self.process is None:
            return
        group = self.process.pid
        if self.process.poll() is None:
            os.killpg(group, signal.SIGINT)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.killpg(group, signal.SIGKILL)
                self.process.wait()
        # Workers exit with their parent; give them a moment, then remove any straggler by force.
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and group_alive(group):
            time.sleep(0.1)
        if group_alive(group):
            os.killpg(group, signal.SIGKILL)

    def __enter__(self) -> StreamlitServer:
        # `with StreamlitServer(...).start() as server` enters a running server: starting it again would leave the
        # first process running, unstopped, beside the one the block stops.
        return self if self.process is not None else self.start()

    def __exit__(self, *exception: object) -> None:
        self.stop()


def group_alive(group: int) -> bool:
    """True while any process of the process group exists."""
    try:
        os.killpg(group, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
