"""The training service: jobs shared between sessions, run by a backend, stored in the cache when done."""

from __future__ import annotations

import functools
from collections.abc import Sequence

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


def _new_job(task: Task, dataset: Dataset | None, number: int) -> Job:
    return Job(task, number, dataset)


def _store(cache: ResultStore, job: Job) -> None:
    if job.result is not None:
        cache.put(job.key, job.result, job.warnings)


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
        return self.submit_many([task], cache, [dataset])[0]

    def submit_many(
        self, tasks: Sequence[Task | Config], cache: ResultStore | None = None, datasets: Sequence[Dataset | None] = ()
    ) -> list[Job]:
        """`submit` for many tasks at once: the new ones go to the backend together, so a worker trains them as
        teams and shares their baselines (a run's networks; a sweep's cells). `datasets`: one per task, or none."""
        datasets = list(datasets) or [None] * len(tasks)
        jobs, new_jobs = [], []
        for task, dataset in zip(tasks, datasets, strict=True):
            task = task if isinstance(task, Task) else Task(task)
            job, new = self.registry.subscribe(task.key, functools.partial(_new_job, task, dataset))
            jobs.append(job)
            if new and cache is not None:
                # Stored before the job counts as finished, so a session that sees it done also finds it cached.
                job.on_finish(functools.partial(_store, cache))
            if new:
                new_jobs.append(job)
        if new_jobs:
            self._start(new_jobs)
        return jobs

    def _start(self, jobs: list[Job]) -> None:
        """Hand new jobs to the backend: together where it trains groups, else one by one."""
        submit_group = getattr(self.backend, "submit_group", None)
        try:
            if submit_group is not None:
                submit_group([(job.number, job.task, job.dataset, job) for job in jobs])
            else:
                for job in jobs:
                    self.backend.submit(job.number, job.task, job.dataset, job)
        except ValueError as error:
            # The backend cannot take it (a Ray cluster that went away and cannot be reached): the jobs fail with
            # the backend's sentence, like any failed training, instead of waiting forever.
            for job in jobs:
                job.ended(None, str(error))
            return
        self.trainings_started += len(jobs)

    def subscribe(
        self, task: Task | Config, cache: ResultStore | None = None, dataset: Dataset | None = None
    ) -> Subscription:
        """`submit`, wrapped in a `Subscription` that releases the job exactly once."""
        return Subscription(self.registry, self.submit(task, cache, dataset))

    def subscribe_many(
        self, tasks: Sequence[Task | Config], cache: ResultStore | None = None, datasets: Sequence[Dataset | None] = ()
    ) -> list[Subscription]:
        """`submit_many`, each job wrapped in a `Subscription`."""
        return [Subscription(self.registry, job) for job in self.submit_many(tasks, cache, datasets)]

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
