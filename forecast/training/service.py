"""The training service: jobs shared between sessions, run by a backend, stored in the cache when done."""

from __future__ import annotations

from forecast.config import Config
from forecast.data import Dataset
from forecast.run.keys import ResultStore, Task
from forecast.training.backend import Backend
from forecast.training.jobs import Job, JobRegistry, Subscription
from forecast.training.pool import DEFAULT_TRAININGS_PER_WORKER, LocalPool

__all__ = ["DEFAULT_GRACE_SECONDS", "TrainingService"]

# A job nobody waits for any more is cancelled after this long: long enough for a session's rerun to pick the
# same job up again (a rerun briefly drops its subscription), short enough to free the worker at once.
DEFAULT_GRACE_SECONDS = 0.3


class TrainingService:
    """Trains configs on a backend (by default a local pool of worker processes), at most `max_concurrent` at once.

    - Identical configs submitted while one is in flight share one job (and one training).
    - A job is cancelled `grace_seconds` after its last subscriber releases it; a running training stops at its
      next chunk of epochs.
    - A finished result goes into the cache given to `submit`, so any session asking again gets it at once.
    """

    def __init__(
        self,
        *,
        max_concurrent: int = 1,
        trainings_per_worker: int = DEFAULT_TRAININGS_PER_WORKER,
        grace_seconds: float = DEFAULT_GRACE_SECONDS,
        warm_up: bool = True,
        backend: Backend | None = None,
    ) -> None:
        self.backend: Backend = backend or LocalPool(
            max_concurrent=max_concurrent, trainings_per_worker=trainings_per_worker, warm_up=warm_up
        )
        self.registry = JobRegistry(grace_seconds, cancel=lambda job: self.backend.cancel(job.number))
        self.trainings_started = 0

    @property
    def max_concurrent(self) -> int:
        return self.backend.max_concurrent

    def submit(self, task: Task | Config, cache: ResultStore | None = None, dataset: Dataset | None = None) -> Job:
        """Subscribe to the training of `task` (a config on a fold; a bare config trains on its usual holdout): an
        in-flight job for the same, or a new one.

        The result is stored in `cache` when it arrives. `dataset` is the config's prepared series (required
        for an uploaded file; otherwise the worker builds it). Every `submit` must be paired with a `release`
        when the caller stops waiting.
        """
        task = task if isinstance(task, Task) else Task(task)
        job, new = self.registry.subscribe(task.key, lambda number: Job(task, number, dataset))
        if new:
            if cache is not None:
                # Stored before the job counts as finished, so a session that sees it done also finds it cached.
                job.on_finish(
                    lambda done: cache.put(done.key, done.result, done.warnings) if done.result is not None else None
                )
            try:
                self.backend.submit(job.number, task, dataset, job)
            except ValueError as error:
                # The backend cannot take it (a Ray cluster that went away and cannot be reached): the job fails
                # with the backend's sentence, like any failed training, instead of waiting forever.
                job.ended(None, str(error))
                return job
            self.trainings_started += 1
        return job

    def subscribe(
        self, task: Task | Config, cache: ResultStore | None = None, dataset: Dataset | None = None
    ) -> Subscription:
        """`submit`, wrapped in a `Subscription` that releases the job exactly once."""
        return Subscription(self.registry, self.submit(task, cache, dataset))

    def release(self, job: Job, grace_seconds: float | None = None) -> None:
        """Stop waiting for `job`; when nobody waits any more, it is cancelled after `grace_seconds`."""
        self.registry.release(job, grace_seconds)

    def cancel_if_abandoned(self, job: Job) -> None:
        self.registry.cancel_if_abandoned(job)

    def subscribers(self, job: Job) -> int:
        return self.registry.subscribers(job)

    def queue_position(self, job: Job) -> int:
        """How many trainings will start before this one: 0 once it is running or finished."""
        return self.registry.queue_position(job, self.max_concurrent)

    def worker_pids(self) -> list[int]:
        """Process ids of the backend's live worker processes."""
        return self.backend.worker_pids()

    def shutdown(self) -> None:
        """Cancel everything and stop the workers; leaves no child process behind."""
        for job in self.registry.in_flight():
            self.backend.cancel(job.number)
        self.backend.shutdown()
