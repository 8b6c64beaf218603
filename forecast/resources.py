"""What this process may use and is using: allowed CPUs and resident memory (standard library only)."""

from __future__ import annotations

import math
import os
from pathlib import Path

__all__ = ["CGROUP_CPU_MAX", "available_cpus", "default_concurrency", "resident_memory_mb"]

# cgroup v2's CPU quota of this process's group: "<quota> <period>" in microseconds, or "max <period>".
CGROUP_CPU_MAX = Path("/sys/fs/cgroup/cpu.max")


def available_cpus(cpu_max: Path = CGROUP_CPU_MAX) -> int:
    """CPUs this process may use: its affinity mask, capped by a cgroup v2 CPU quota (containers, cloud hosts).

    `os.cpu_count()` reports the host's CPUs, which on a shared cloud box can be dozens while the container may
    use one or two; sizing thread pools from it oversubscribes the CPUs actually granted. `cpu_max` is the
    cgroup file to read (a missing or unreadable file means no quota).
    """
    try:
        count = len(os.sched_getaffinity(0))
    except AttributeError:  # macOS and Windows have no affinity masks.
        count = os.cpu_count() or 1
    try:
        quota, period = cpu_max.read_text().split()[:2]
        if quota != "max":
            count = min(count, max(1, math.floor(int(quota) / int(period))))
    except (OSError, ValueError):
        pass
    return max(1, count)


def default_concurrency() -> int:
    """How many trainings may run at once by default: one per two allowed CPUs, at least one.

    Each training already uses every CPU it is given (TensorFlow's thread pools), so running more at once only
    makes each slower.
    """
    return max(1, available_cpus() // 2)


def resident_memory_mb(pid: int | None = None) -> float:
    """Resident set size of a process in MB (Linux: /proc; elsewhere the peak of this process)."""
    status = Path(f"/proc/{pid or os.getpid()}/status")
    try:
        for line in status.read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        return 0.0  # A process that is exiting (a zombie) holds no memory.
    except FileNotFoundError:
        if pid is not None:
            return 0.0  # Gone.
    except OSError:
        pass
    if pid is not None and pid != os.getpid():
        raise ValueError(f"cannot read the memory of process {pid} on this platform")
    import resource

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if os.uname().sysname == "Darwin" else peak / 1024
