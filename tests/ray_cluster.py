"""A real local Ray cluster for tests and benchmarks: `ray start --head` on free ports, stopped by process id.

`ray stop --force` would stop every Ray process of the user on the machine (it matches processes by name), so a
developer's own cluster, or a benchmark's running beside the tests, would go too. This cluster is stopped the
same way `ray stop --force` stops one (SIGKILL), but only its own processes: those whose command line names its
private temporary folder (or, for the Ray Client server, its GCS port), and everything below them (the workers).
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

__all__ = ["LocalRayCluster", "free_port"]

RAY = str(Path(sys.executable).with_name("ray"))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _processes() -> dict[int, tuple[int, str, str]]:
    """Every process: pid → (parent pid, state, command line), read from /proc (Linux)."""
    table = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        table[int(entry.name)] = (int(stat[1]), stat[0], command)
    return table


class LocalRayCluster:
    """A head node with `num_cpus` CPUs and a small object store; `address` is its GCS HOST:PORT."""

    def __init__(self, *, num_cpus: int = 2, object_store_bytes: int = 80 * 1024 * 1024) -> None:
        self.num_cpus = num_cpus
        self.object_store_bytes = object_store_bytes
        self.port = free_port()
        self.address = f"127.0.0.1:{self.port}"
        # Short: Ray puts Unix sockets under it, and their paths may not exceed about 100 characters.
        self.temp_dir = tempfile.mkdtemp(prefix="ray-", dir="/tmp")

    def start(self) -> LocalRayCluster:
        command = [
            RAY, "start", "--head",
            "--port", str(self.port),
            "--num-cpus", str(self.num_cpus),
            "--object-store-memory", str(self.object_store_bytes),
            "--include-dashboard=false",
            "--disable-usage-stats",
            "--temp-dir", self.temp_dir,
            # Ports that otherwise have fixed defaults, so that two clusters (tests and a benchmark) can coexist.
            "--ray-client-server-port", str(free_port()),
            "--dashboard-port", str(free_port()),
            "--dashboard-agent-listen-port", str(free_port()),
            "--metrics-export-port", str(free_port()),
        ]  # fmt: skip
        finished = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
        if finished.returncode != 0:
            self.stop()
            raise RuntimeError(f"ray start failed ({finished.returncode}):\n{finished.stdout}\n{finished.stderr}")
        return self

    def pids(self) -> list[int]:
        """The cluster's live processes (zombies excluded: they hold nothing and only wait to be reaped)."""
        table = _processes()
        # Every process `ray start` leaves names the temporary folder, except the Ray Client server, which names
        # the GCS address; the workers are children of the raylet.
        roots = {
            pid
            for pid, (_, _, command) in table.items()
            if self.temp_dir in command or ("ray.util.client.server" in command and f":{self.port} " in command)
        }
        roots.discard(os.getpid())
        found, stack = set(roots), list(roots)
        children: dict[int, list[int]] = {}
        for pid, (parent, _, _) in table.items():
            children.setdefault(parent, []).append(pid)
        while stack:
            for child in children.get(stack.pop(), []):
                if child not in found:
                    found.add(child)
                    stack.append(child)
        return sorted(pid for pid in found if table.get(pid, (0, "Z", ""))[1] != "Z")

    def core_pids(self) -> list[int]:
        """The cluster's GCS server and raylet processes."""
        table = _processes()
        return [pid for pid in self.pids() if any(name in table[pid][2] for name in ("gcs_server", "raylet"))]

    def kill(self) -> None:
        """Stop the cluster as `ray stop --force` would (SIGKILL), but only this cluster's processes."""
        for pid in self.pids():
            try:
                os.kill(pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                continue

    def stop(self, timeout: float = 10.0) -> None:
        """Kill the cluster, wait until none of its processes is left, and remove its folder."""
        deadline = time.monotonic() + timeout
        while True:
            self.kill()
            remaining = self.pids()
            if not remaining or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        shutil.rmtree(self.temp_dir, ignore_errors=True)
        if remaining:
            raise RuntimeError(f"Ray processes still running after stop: {remaining}")

    def __enter__(self) -> LocalRayCluster:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
