"""Jobs and who waits for them: one job per config in flight, shared by its subscribers, cancelled when abandoned."""

from __future__ import annotations

import enum
import itertools
import threading
from collections.abc import Callable

from forecast.data import Dataset
from forecast.models.progress import EpochReport
from forecast.run.keys import Task
from forecast.run.result import Result

__all__ = ["Job", "JobRegistry", "JobState", "Subscription"]


class JobState(enum.StrEnum):
    """The states of a job, in the order they happen."""

    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def finished(self) -> bool:
        return self in (JobState.DONE, JobState.FAILED, JobState.CANCELLED)


class Job:
    """One training, shared by every session that asked for the same config while it was in flight.

    A backend reports on it from its own threads (`started`, `epoch`, `finished`); sessions read it from theirs.
    Its state is guarded by a lock, and `wait` blocks on an event set once the job has finished.
    """

    def __init__(self, task: Task, number: int, dataset: Dataset | None = None) -> None:
        self.task = task
        self.config = task.config
        self.key = task.key
        self.number = number  # submission order: queue positions and cancel flags
        self.dataset = dataset  # the prepared series, sent to the worker
        self.warnings: list[str] = []  # problems storing the result (a cache folder that cannot be written)
        self._lock = threading.Lock()
        self._done = threading.Event()
        self._state = JobState.QUEUED
        self._reports: list[EpochReport] = []
        self._result: Result | None = None
        self._error: str | None = None
        self._worker_pid: int | None = None
        self._on_finish: list[Callable[[Job], None]] = []

    # --- read by sessions ----------------------------------------------------------------------------------

    @property
    def state(self) -> JobState:
        with self._lock:
            return self._state

    @property
    def finished(self) -> bool:
        return self._done.is_set()

    @property
    def reports(self) -> list[EpochReport]:
        """One report per finished epoch so far (a copy)."""
        with self._lock:
            return list(self._reports)

    @property
    def latest(self) -> EpochReport | None:
        """The most recent epoch report, or None before the first epoch ends."""
        with self._lock:
            return self._reports[-1] if self._reports else None

    @property
    def result(self) -> Result | None:
        with self._lock:
            return self._result

    @property
    def error(self) -> str | None:
        with self._lock:
            return self._error

    @property
    def worker_pid(self) -> int | None:
        with self._lock:
            return self._worker_pid

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the job finishes or `timeout` passes; True if it finished."""
        return self._done.wait(timeout)

    def on_finish(self, callback: Callable[[Job], None]) -> None:
        """Call `callback(job)` when the job finishes, before `wait` returns (at once if it already has)."""
        with self._lock:
            if not self._state.finished:
                self._on_finish.append(callback)
                return
        callback(self)

    # --- reported by a backend (JobEvents) -----------------------------------------------------------------

    def started(self, worker_pid: int) -> None:
        with self._lock:
            self._worker_pid = worker_pid
            if self._state == JobState.QUEUED:
                self._state = JobState.RUNNING

    def epoch(self, report: EpochReport) -> None:
        with self._lock:
            if not self._state.finished:
                self._reports.append(report)

    def ended(self, result: Result | None, error: str | None) -> None:
        with self._lock:
            if self._state.finished:
                return  # A backend may learn the end twice (the result, then the task's return): keep the first.
            self._result, self._error = result, error
            self._state = JobState.DONE if result is not None else JobState.FAILED if error else JobState.CANCELLED
            callbacks, self._on_finish = self._on_finish, []
        try:
            for callback in callbacks:
                callback(self)
        finally:
            self._done.set()  # Whatever a callback did, nobody may wait for this job forever.


class JobRegistry:
    """The jobs in flight by key, their subscriber counts and grace timers, and their queue positions."""

    def __init__(self, grace_seconds: float, cancel: Callable[[Job], None]) -> None:
        self.grace_seconds = grace_seconds
        self._cancel = cancel
        self._lock = threading.RLock()
        self._jobs: dict[str, Job] = {}
        self._subscribers: dict[int, int] = {}
        self._timers: dict[int, threading.Timer] = {}
        self._cancelling: set[int] = set()  # jobs whose cancellation was requested: nobody new may join them
        self._numbers = itertools.count()

    def subscribe(self, key: str, create: Callable[[int], Job]) -> tuple[Job, bool]:
        """The job in flight for `key` or a new one made by `create(number)`; True if it is new."""
        with self._lock:
            job = self._jobs.get(key)
            # A job about to end cancelled is never shared: a rerun that comes back late gets a fresh training.
            new = job is None or job.finished or job.number in self._cancelling
            if new:
                job = create(next(self._numbers))
                self._jobs[key] = job
                job.on_finish(self._forget)
            assert job is not None
            self._subscribers[job.number] = self._subscribers.get(job.number, 0) + 1
            timer = self._timers.pop(job.number, None)
            if timer is not None:
                timer.cancel()
            return job, new

    def subscribers(self, job: Job) -> int:
        with self._lock:
            return self._subscribers.get(job.number, 0)

    def _forget(self, job: Job) -> None:
        with self._lock:
            if self._jobs.get(job.key) is job:
                del self._jobs[job.key]
            self._subscribers.pop(job.number, None)
            self._cancelling.discard(job.number)
            timer = self._timers.pop(job.number, None)
            if timer is not None:
                timer.cancel()

    def release(self, job: Job, grace_seconds: float | None = None) -> None:
        """One subscriber less; when none is left the job is cancelled after the grace period (0: at once)."""
        grace = self.grace_seconds if grace_seconds is None else grace_seconds
        with self._lock:
            if job.finished:
                return
            remaining = max(0, self._subscribers.get(job.number, 0) - 1)
            self._subscribers[job.number] = remaining
            if remaining > 0 or job.finished:
                return
            if grace <= 0:
                self._cancel_now(job)
                return
            previous = self._timers.pop(job.number, None)
            if previous is not None:
                previous.cancel()
            timer = threading.Timer(grace, self.cancel_if_abandoned, args=(job,))
            timer.daemon = True
            self._timers[job.number] = timer
            timer.start()

    def cancel_if_abandoned(self, job: Job) -> None:
        """Cancel `job` now if nobody is subscribed to it (and it has not finished)."""
        with self._lock:
            if self._subscribers.get(job.number, 0) == 0 and not job.finished:
                self._cancel_now(job)

    def _cancel_now(self, job: Job) -> None:
        """Ask the backend to cancel `job` (lock held); from now on nobody new joins it."""
        self._cancelling.add(job.number)
        self._cancel(job)

    def in_flight(self) -> list[Job]:
        with self._lock:
            return list(self._jobs.values())

    def queue_position(self, job: Job, max_concurrent: int) -> int:
        """How many trainings will start before this one: 0 once it is running or finished."""
        if job.state != JobState.QUEUED:
            return 0
        jobs = self.in_flight()
        waiting_ahead = sum(1 for other in jobs if other.number < job.number and other.state == JobState.QUEUED)
        running = sum(1 for other in jobs if other.state == JobState.RUNNING)
        # Jobs ahead in the queue, plus one if every trainer slot is busy with a running job.
        return waiting_ahead + max(0, running - max_concurrent + 1)


class Subscription:
    """One caller's interest in a job: released exactly once, however many code paths try.

    Streamlit reruns, Stop buttons and closed tabs can each end a session's wait for a training; whichever comes
    first releases the subscription, and the others find nothing left to do.
    """

    def __init__(self, registry: JobRegistry, job: Job) -> None:
        self.registry = registry
        self.job = job
        self._released = False
        self._lock = threading.Lock()

    def release(self, grace_seconds: float | None = None) -> None:
        """Stop waiting; the job is cancelled after the grace period if nobody else waits for it."""
        with self._lock:
            if self._released:
                return
            self._released = True
        self.registry.release(self.job, grace_seconds)

    def abandon(self) -> None:
        """Stop waiting and cancel the job now, unless another caller still waits for it."""
        with self._lock:
            already, self._released = self._released, True
        if already:
            self.registry.cancel_if_abandoned(self.job)
        else:
            self.registry.release(self.job, grace_seconds=0)
