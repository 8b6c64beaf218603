"""The training service (forecast/training/service.py): real worker processes, tiny configs."""

from __future__ import annotations

import os
import time

import pytest

from forecast.cache import ResultCache
from forecast.pipeline import result_key, run
from forecast.training import JobState, TrainingService


@pytest.fixture(scope="module")
def service():
    service = TrainingService(grace_seconds=0.1)
    yield service
    pids = service.worker_pids()
    service.shutdown()
    for pid in pids:
        with pytest.raises(ProcessLookupError):
            for _ in range(100):  # The workers exit within a few seconds of shutdown.
                os.kill(pid, 0)
                time.sleep(0.05)


def test_trains_in_a_worker_and_stores_the_result(service, tiny_config, tmp_path):
    cache = ResultCache(tmp_path)
    job = service.submit(tiny_config.replace(epochs=3), cache)
    try:
        assert job.wait(timeout=180)
    finally:
        service.release(job)
    assert job.state == JobState.DONE, job.error
    assert job.worker_pid not in (None, os.getpid())
    assert [report.epoch for report in job.reports] == [1, 2, 3]
    assert all(report.epochs == 3 and report.loss > 0 for report in job.reports)
    assert not job.result.cached
    assert cache.get(result_key(job.config)) is not None


def test_same_numbers_as_in_process(service, tiny_config):
    config = tiny_config.replace(seed=11)
    job = service.submit(config)
    try:
        assert job.wait(timeout=180)
    finally:
        service.release(job)
    assert job.state == JobState.DONE
    assert job.result.metrics == run(config).metrics


def test_identical_configs_share_one_training(service, tiny_config):
    config = tiny_config.replace(seed=21, epochs=20)
    started = service.trainings_started
    first = service.submit(config)
    second = service.submit(config)
    try:
        assert first is second and service.subscribers(first) == 2
        assert first.wait(timeout=180)
    finally:
        service.release(first)
        service.release(second)
    assert service.trainings_started == started + 1
    assert first.state == JobState.DONE


def test_queue_positions_and_cancellation_of_abandoned_jobs(service, tiny_config):
    long = tiny_config.replace(epochs=1000, batch_size=1)  # about a minute if nobody stops it
    running = service.submit(long.replace(seed=31))
    waiting = service.submit(long.replace(seed=32))
    try:
        deadline = time.monotonic() + 180
        while len(running.reports) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert running.state == JobState.RUNNING
        assert service.queue_position(running) == 0
        assert waiting.state == JobState.QUEUED and service.queue_position(waiting) == 1
    finally:
        released = time.monotonic()
        service.release(running)
        service.release(waiting)
    assert running.wait(timeout=10)
    assert running.state == JobState.CANCELLED
    assert time.monotonic() - released < 2.0
    assert running.reports[-1].epoch < 1000
    # The queued job never trains: it is dropped, or stops at once when a worker picks it up.
    assert waiting.wait(timeout=10)
    assert waiting.state == JobState.CANCELLED and not waiting.reports


def test_wait_returns_false_while_the_job_runs(service, tiny_config):
    job = service.submit(tiny_config.replace(epochs=1000, batch_size=1, seed=71))
    try:
        started = time.monotonic()
        assert job.wait(timeout=0.2) is False
        assert 0.15 < time.monotonic() - started < 2.0
        assert not job.finished and job.result is None
    finally:
        service.release(job, grace_seconds=0)
    assert job.wait(timeout=10) is True
    assert job.state == JobState.CANCELLED


def test_a_quick_resubscription_keeps_the_job(service, tiny_config):
    job = service.submit(tiny_config.replace(seed=41, epochs=60))
    service.release(job)
    again = service.submit(tiny_config.replace(seed=41, epochs=60))  # within the grace period: a rerun
    try:
        assert again is job
        assert job.wait(timeout=180)
    finally:
        service.release(again)
    assert job.state == JobState.DONE


def test_invalid_arguments():
    with pytest.raises(ValueError, match="max_concurrent"):
        TrainingService(max_concurrent=0, warm_up=False)
    with pytest.raises(ValueError, match="trainings_per_worker"):
        TrainingService(trainings_per_worker=0, warm_up=False)


def test_submit_after_shutdown_is_refused(tiny_config):
    service = TrainingService(warm_up=False)
    service.shutdown()
    with pytest.raises(RuntimeError, match="shut down"):
        service.submit(tiny_config)


def test_a_subscription_releases_once_and_abandon_cancels_at_once(service, tiny_config):
    long = tiny_config.replace(epochs=1000, batch_size=1, seed=51)
    mine = service.subscribe(long)
    theirs = service.subscribe(long)  # another session waiting for the same training
    assert mine.job is theirs.job and service.subscribers(mine.job) == 2
    mine.release()
    mine.release()  # a second release (rerun, then Stop) must not take the other session's place
    mine.abandon()
    assert service.subscribers(mine.job) == 1
    assert not mine.job.wait(timeout=0.3)  # still wanted by the other subscriber
    started = time.monotonic()
    theirs.abandon()
    assert theirs.job.wait(timeout=10)
    assert theirs.job.state == JobState.CANCELLED
    assert time.monotonic() - started < 5
