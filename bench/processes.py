"""Helpers for the benchmarks: find a server's worker processes and read their memory and CPU time (Linux)."""

from __future__ import annotations

import os
import time
from pathlib import Path

from forecast.resources import resident_memory_mb

__all__ = ["cpu_seconds", "descendants", "resident_memory_mb", "wait_until_idle", "worker_pids"]

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def descendants(pid: int) -> list[int]:
    """Every process below `pid`, read from /proc."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(entry.name))
    found, stack = [], [pid]
    while stack:
        for child in children.get(stack.pop(), []):
            found.append(child)
            stack.append(child)
    return found


def worker_pids(server_pid: int) -> list[int]:
    """The training workers of a Streamlit server: its spawned children, not the resource tracker."""
    pids = []
    for pid in descendants(server_pid):
        try:
            command = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
        except OSError:
            continue
        if "spawn_main" in command:
            pids.append(pid)
    return pids


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time a process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def wait_until_idle(pids: list[int], since: float, quiet: float = 0.3, timeout: float = 30.0) -> float:
    """Seconds from `since` (a perf_counter time) until the processes last used CPU, once quiet for `quiet` s."""
    last_total, last_busy = None, time.perf_counter()
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        total = 0.0
        for pid in pids:
            try:
                total += cpu_seconds(pid)
            except OSError:
                continue  # exited: idle by definition
        now = time.perf_counter()
        if last_total is None or total > last_total + 0.5 / CLOCK_TICKS:
            last_busy = now
        last_total = total
        if now - last_busy >= quiet:
            return max(0.0, last_busy - since)
        time.sleep(0.01)
    raise TimeoutError(f"processes {pids} still busy after {timeout} s")
