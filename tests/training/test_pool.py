"""The local backend (forecast/training/pool.py): worker processes found without private APIs, and cleaned up."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from forecast.run.keys import Task
from forecast.training.pool import LocalPool

ROOT = Path(__file__).resolve().parents[2]


def test_invalid_arguments():
    with pytest.raises(ValueError, match="max_concurrent"):
        LocalPool(max_concurrent=0, warm_up=False)
    with pytest.raises(ValueError, match="trainings_per_worker"):
        LocalPool(trainings_per_worker=0, warm_up=False)


def test_worker_pids_are_reported_by_the_workers_and_gone_after_shutdown():
    pool = LocalPool(max_concurrent=1, warm_up=True)
    deadline = time.monotonic() + 120
    while not pool.worker_pids() and time.monotonic() < deadline:
        time.sleep(0.05)
    pids = pool.worker_pids()
    assert len(pids) == 1 and pids[0] != os.getpid()
    os.kill(pids[0], 0)  # alive
    pool.shutdown()
    assert pool.worker_pids() == []
    with pytest.raises(ProcessLookupError):
        for _ in range(100):
            os.kill(pids[0], 0)
            time.sleep(0.05)


def test_a_program_that_ends_during_a_training_exits_at_once(tmp_path):
    """The exit hook cancels the running training, so the interpreter does not wait for it to finish."""
    script = textwrap.dedent(
        f"""
        import sys, time
        sys.path.insert(0, {str(ROOT)!r})
        from forecast.config import Config
        from forecast.training import TrainingService
        service = TrainingService(grace_seconds=30)
        long = Config(x_start=-10.0, x_end=10.0, x_step=0.25, layers=1, units=4, epochs=1000, batch_size=1)
        job = service.submit(long)
        while not job.reports:
            time.sleep(0.05)
        print("training", flush=True)
        """
    )
    started = time.monotonic()
    completed = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=240,
        env=os.environ | {"FORECAST_CACHE_DIR": str(tmp_path)},
    )
    assert completed.returncode == 0, completed.stderr
    assert "training" in completed.stdout
    # Importing TensorFlow in the worker takes seconds; the 1000-epoch training alone would take about a minute.
    assert time.monotonic() - started < 45


def test_the_pool_and_jobs_fit_the_backend_interface(tiny_config):
    from forecast.training import Backend, Job, JobEvents

    pool = LocalPool(warm_up=False)
    try:
        assert isinstance(pool, Backend)
        assert isinstance(Job(Task(tiny_config), 0), JobEvents)
    finally:
        pool.shutdown()


def test_trainings_handed_to_a_starting_worker_are_counted_until_it_begins_them(tiny_config):
    # A worker still importing TensorFlow skips its warm-up when this count is above zero, so that a first
    # visit's training does not wait for it; a count that never came back to zero would skip every later one.
    from forecast.training import TrainingService

    service = TrainingService(grace_seconds=0.1)
    try:
        pool = service.backend
        first = service.submit(tiny_config.replace(seed=81))
        assert pool._unstarted.value == 1  # the worker needs seconds to import TensorFlow
        stopped = service.submit(tiny_config.replace(seed=82))
        pool.cancel(stopped.number)  # still in the pool's own queue: never handed over
        assert first.wait(timeout=240) and stopped.wait(timeout=240)
        assert pool._unstarted.value == 0
        again = service.submit(tiny_config.replace(seed=83))
        pool.cancel(again.number)
        assert again.wait(timeout=240)
        assert pool._unstarted.value == 0
    finally:
        service.shutdown()
