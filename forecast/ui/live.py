"""The forecasts networks send while they train, picked for the live chart: one fold at a time, each network's
newest snapshot."""

from __future__ import annotations

import numpy as np

from forecast.report.learning_plots import LiveLine
from forecast.training import Job

__all__ = ["lines"]


def lines(jobs: list[Job]) -> list[LiveLine]:
    """Each network's newest snapshot on the fold training now (the earliest fold that is not finished; networks
    train fold by fold), in the order the jobs were submitted. Empty until one has sent a snapshot."""
    if not jobs:
        return []
    running = [job for job in jobs if not job.finished]
    fold = (running[0] if running else jobs[-1]).task.fold
    shown = []
    for job in jobs:
        if job.task.fold != fold or job.dataset is None:
            continue
        snapshots = [report.snapshot for report in job.reports if report.snapshot is not None]
        if not snapshots:
            continue
        dataset = job.dataset
        future_xs = dataset.future_xs if dataset.future_xs is not None else np.empty(0)
        test_xs = np.empty(0) if fold.is_future else dataset.test_xs
        shown.append(LiveLine(f"seed {job.config.seed}", snapshots[-1], test_xs, future_xs))
    return shown
