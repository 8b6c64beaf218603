"""The command line: `python -m forecast` (one run) and `python -m forecast sweep` (a grid of runs)."""

from __future__ import annotations

import sys
from collections.abc import Sequence

__all__ = ["main"]


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["sweep"]:
        from forecast.cli import sweep

        return sweep.main(argv[1:])
    from forecast.cli import run

    return run.main(argv)
