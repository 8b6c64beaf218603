"""Where the Ray cluster is, and whether it answers: checked before Ray is asked to connect.

`ray.init` retries an unreachable cluster for many minutes, so the address is first checked with a TCP connection
and a GCS handshake, each within a timeout. Ray is imported only for the handshake.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from typing import Any

__all__ = [
    "ADDRESS_VARIABLE",
    "DEFAULT_CONNECT_TIMEOUT",
    "check_reachable",
    "configured_address",
    "parse_address",
    "port_open",
    "unreachable",
]

ADDRESS_VARIABLE = "FORECAST_RAY_ADDRESS"
DEFAULT_CONNECT_TIMEOUT = 5.0


def configured_address() -> str | None:
    """The cluster address in `FORECAST_RAY_ADDRESS`, or None when it is unset or empty (train locally)."""
    address = os.environ.get(ADDRESS_VARIABLE, "").strip()
    return address or None


def unreachable(address: str, reason: str) -> ValueError:
    return ValueError(
        f"Cannot reach the Ray cluster at {address}; {reason} — start one with `ray start --head`, "
        f"correct {ADDRESS_VARIABLE} (or --ray-address), or leave it unset to train locally."
    )


def parse_address(address: str) -> tuple[str, int]:
    """Host and port of a `HOST:PORT` cluster address (the GCS address `ray start --head` prints)."""
    text = address.strip()
    if "://" in text:
        raise unreachable(text, "only HOST:PORT addresses of the cluster's head are supported, not Ray Client URLs")
    host, separator, port_text = text.rpartition(":")
    host = host.strip("[]")
    if not separator or not host or not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise unreachable(text, "the address must be HOST:PORT, e.g. 127.0.0.1:6379")
    return host, int(port_text)


def port_open(host: str, port: int, timeout: float) -> str | None:
    """None if a TCP connection to host:port succeeds within `timeout`, else why not."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return None
    except TimeoutError:
        return f"nothing answered within {timeout:g} s"
    except OSError as error:
        return error.strerror or type(error).__name__


def _gcs_handshake(address: str, timeout: float, budget: float) -> str | None:
    """None if the Ray GCS at `address` answers within `timeout`, else why not (naming the whole `budget`).

    Ray's own client retries a silent port for minutes and cannot be told otherwise, so it runs in a daemon
    thread that is abandoned on timeout (it holds no lock and does not keep the interpreter alive).
    """
    import ray

    # Private, but the same client that `ray health-check` uses; without it only the TCP check is made.
    client_class = getattr(getattr(ray, "_raylet", None), "GcsClient", None)
    if client_class is None:
        return None
    outcome: dict[str, Any] = {}

    def handshake() -> None:
        try:
            outcome["cluster_id"] = client_class(address=address).cluster_id
        except Exception as error:  # Any failure means "not a Ray cluster we can use".
            outcome["error"] = error

    thread = threading.Thread(target=handshake, name="ray-handshake", daemon=True)
    thread.start()
    thread.join(timeout)
    if thread.is_alive():
        return f"a process listens there but no Ray cluster answered within {budget:g} s"
    if "error" in outcome:
        return f"it is not a Ray cluster ({type(outcome['error']).__name__}: {outcome['error']})"
    return None


def check_reachable(address: str, timeout: float = DEFAULT_CONNECT_TIMEOUT) -> None:
    """Raise ValueError ("Cannot reach the Ray cluster at …; …") unless a Ray cluster answers there in time."""
    host, port = parse_address(address)
    deadline = time.monotonic() + timeout
    reason = port_open(host, port, timeout)
    if reason is None:
        reason = _gcs_handshake(address.strip(), max(0.5, deadline - time.monotonic()), timeout)
    if reason is not None:
        raise unreachable(address.strip(), reason)
