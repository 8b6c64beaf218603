"""The interface between the training service and where trainings run (a local process pool; later Ray)."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from forecast.data import Dataset
from forecast.models.progress import EpochReport
from forecast.run.keys import Task
from forecast.run.result import Result

__all__ = ["Backend", "JobEvents"]


@runtime_checkable
class JobEvents(Protocol):
    """What a backend reports about one submitted training (`forecast.training.jobs.Job` implements it).

    `ended` is called once per submission, after every `epoch` of it (a repeated call is ignored).
    """

    def started(self, worker_pid: int) -> None: ...

    def epoch(self, report: EpochReport) -> None: ...

    def ended(self, result: Result | None, error: str | None) -> None:
        """A result (done), or an error message (failed), or neither (cancelled)."""


@runtime_checkable
class Backend(Protocol):
    """Runs trainings somewhere else than the calling process, at most `max_concurrent` at once."""

    max_concurrent: int

    def submit(self, number: int, task: Task, dataset: Dataset | None, events: JobEvents) -> None:
        """Start (or queue) training `task` on `dataset`, its fold's series (None: the backend builds it); `number`
        names it."""

    def cancel(self, number: int) -> None:
        """Stop the training called `number` soon (at its next chunk of epochs), or drop it if still queued."""

    def worker_pids(self) -> list[int]:
        """Process ids of the backend's live worker processes on this machine (empty if it has none)."""
        ...

    def shutdown(self) -> None:
        """Cancel everything and release the workers; the backend cannot be used afterwards."""
