"""Train many tasks through a TrainingService and wait for all of them: a sweep's cells, a run's networks."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

from forecast.data import Dataset
from forecast.models.progress import ProgressCallback
from forecast.run.keys import ResultStore, Task
from forecast.training.jobs import Job
from forecast.training.service import TrainingService

__all__ = ["train_all"]

POLL_SECONDS = 0.05


def train_all(
    service: TrainingService,
    tasks: Sequence[Task],
    cache: ResultStore | None,
    datasets: Sequence[Dataset | None],
    *,
    progress: ProgressCallback | None = None,
    on_finished: Callable[[int], None] | None = None,
) -> list[Job]:
    """Submit every task to `service` and wait for all; the finished jobs, in order.

    `progress` gets the epochs of the first task (a single run's progress lines); `on_finished(k)` is called
    each time the number of finished jobs grows. Interrupting (Ctrl-C) abandons every job, which cancels it.
    """
    subscriptions = service.subscribe_many(tasks, cache, datasets)
    jobs = [subscription.job for subscription in subscriptions]
    reported, finished = 0, 0
    try:
        while True:
            if progress is not None:
                reports = jobs[0].reports
                for report in reports[reported:]:
                    progress(report)
                reported = len(reports)
            done = sum(job.finished for job in jobs)
            if done != finished and on_finished is not None:
                on_finished(done)
            finished = done
            if done == len(jobs):
                return jobs
            time.sleep(POLL_SECONDS)
    finally:
        for subscription in subscriptions:
            subscription.abandon()  # Nothing left to cancel once every job has finished.
