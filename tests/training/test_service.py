"""The training service (forecast/training/service.py): real worker processes, tiny configs."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from forecast.run.cache import ResultCache
from forecast.run.keys import result_key
from forecast.run.pipeline import run
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


def test_a_stop_is_not_held_up_by_the_classical_fits_beside_the_training(service, tiny_config):
    """A real series' ARIMA and ETS are fitted on a thread of the worker while it trains: Stop ends the training
    at its next chunk whether or not a fit is in progress, and the worker's next training is whole."""
    airline = tiny_config.replace(source="dataset", dataset="airline_passengers", test_size=12, season_length=12)
    job = service.submit(airline.replace(epochs=700, batch_size=1, seed=61))  # within the budget of steps
    try:
        deadline = time.monotonic() + 180
        while len(job.reports) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert job.state == JobState.RUNNING
    finally:
        released = time.monotonic()
        service.release(job, grace_seconds=0)
    assert job.wait(timeout=10) and job.state == JobState.CANCELLED
    assert time.monotonic() - released < 2.0
    after = service.submit(airline.replace(seed=62))
    try:
        assert after.wait(timeout=180) and after.state == JobState.DONE
    finally:
        service.release(after)
    assert after.result.metrics == run(airline.replace(seed=62)).metrics
    assert {"arima", "ets"} <= set(after.result.metrics)


def test_tasks_submitted_together_train_as_a_team_each_with_its_own_numbers(service, tiny_config):
    configs = [tiny_config.replace(seed=seed, epochs=3) for seed in (41, 42, 43)]
    jobs = service.submit_many(configs)
    try:
        assert all(job.wait(timeout=180) for job in jobs)
    finally:
        for job in jobs:
            service.release(job)
    assert [job.state for job in jobs] == [JobState.DONE] * 3
    assert len({job.worker_pid for job in jobs}) == 1  # one worker took the group
    for config, job in zip(configs, jobs, strict=True):
        assert [report.epoch for report in job.reports] == [1, 2, 3]
        assert job.result.metrics == run(config).metrics


def test_one_stopped_member_of_a_group_leaves_the_others_training(service, tiny_config):
    long = tiny_config.replace(epochs=400, batch_size=1)
    stopped, kept = service.submit_many([long.replace(seed=51), tiny_config.replace(seed=52, epochs=400)])
    try:
        deadline = time.monotonic() + 180
        while len(stopped.reports) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        released = time.monotonic()
        service.release(stopped, grace_seconds=0)
        assert stopped.wait(timeout=10)
        assert time.monotonic() - released < 2.0
        assert kept.wait(timeout=180)
    finally:
        service.release(kept)
    assert stopped.state == JobState.CANCELLED and stopped.reports[-1].epoch < 400
    assert kept.state == JobState.DONE and len(kept.reports) == 400


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


def test_a_newcomer_never_joins_a_job_whose_cancellation_was_requested(service, tiny_config):
    # A session's rerun that comes back after the grace period must get a training, not the cancelled one.
    config = tiny_config.replace(epochs=1000, batch_size=1, seed=61)
    first = service.submit(config)
    deadline = time.monotonic() + 180
    while not first.reports and time.monotonic() < deadline:
        time.sleep(0.05)
    service.release(first, grace_seconds=0)  # cancelled now, but a running training ends only at an epoch
    second = service.submit(config)
    try:
        assert second is not first
        assert first.wait(timeout=60) and first.state == JobState.CANCELLED
        deadline = time.monotonic() + 180
        while len(second.reports) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert second.state == JobState.RUNNING and not second.finished
    finally:
        service.release(second, grace_seconds=0)
    assert second.wait(timeout=60)


def test_workers_are_replaced_with_a_backlog_waiting(tiny_config):
    # Python 3.11's own max_tasks_per_child leaves a backlog waiting forever once a worker retires (CPython
    # gh-115634): every job of a burst larger than a worker's share must still finish, in fresh workers.
    service = TrainingService(trainings_per_worker=2, grace_seconds=0.1)
    try:
        jobs = [service.submit(tiny_config.replace(seed=70 + index)) for index in range(5)]
        for job in jobs:
            assert job.wait(timeout=240), f"job {job.number} never finished ({job.state})"
            assert job.state == JobState.DONE, job.error
        assert len({job.worker_pid for job in jobs}) >= 3  # 5 trainings, 2 per worker
    finally:
        service.shutdown()


def _wait_for_result(subscription, what: str, failures: list[str]) -> None:
    if not subscription.job.wait(timeout=240):
        failures.append(f"{what}: job {subscription.job.number} never finished")
    elif subscription.job.state != JobState.DONE:
        failures.append(f"{what}: got {subscription.job.state}")
    subscription.release()


def _stress_session(service: TrainingService, configs: list, number: int, failures: list[str]) -> None:
    """One session's random visit: wait, leave, rerun at once or after the grace period, or stop."""
    chooser = random.Random(number)
    for _ in range(6):
        config = chooser.choice(configs)
        subscription = service.subscribe(config)
        action = chooser.choice(["wait", "leave", "rerun", "late-rerun", "stop"])
        if action == "wait":
            _wait_for_result(subscription, f"session {number} waited", failures)
            continue
        time.sleep(chooser.uniform(0, 0.3))
        if action == "stop":
            subscription.abandon()
            continue
        subscription.release()
        if action in {"rerun", "late-rerun"}:
            time.sleep(0.0 if action == "rerun" else 0.1)
            _wait_for_result(service.subscribe(config), f"session {number} after a {action}", failures)


def test_stress_sessions_that_wait_always_get_their_result(tiny_config):
    # Many sessions at once: some wait, some leave, some come back at once or after the grace period, on a few
    # shared configs, while workers retire. Whoever waits for a job gets a result, never a silent cancellation.
    service = TrainingService(trainings_per_worker=3, grace_seconds=0.05)
    configs = [tiny_config.replace(seed=80 + index) for index in range(3)]
    failures: list[str] = []
    threads = [
        threading.Thread(target=_stress_session, args=(service, configs, number, failures)) for number in range(4)
    ]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=600)
        assert not any(thread.is_alive() for thread in threads), "a session is still waiting"
        assert not failures, failures
    finally:
        service.shutdown()


def test_a_missing_tensorflow_is_one_sentence_not_a_traceback(tmp_path, tiny_config):
    # A real failed import, as on a Python TensorFlow has no wheels for: a `tensorflow` package first on the path
    # that raises ImportError. The service runs in a fresh process, so its workers inherit that path.
    shim = tmp_path / "shim" / "tensorflow"
    shim.mkdir(parents=True)
    (shim / "__init__.py").write_text("raise ImportError(\"No module named 'tensorflow' (simulated)\")\n")
    script = f"""
import json
from forecast.config import Config
from forecast.training import TrainingService
service = TrainingService()
job = service.submit(Config(**{tiny_config.to_dict()!r}))
finished = job.wait(timeout=120)
print(json.dumps({{"finished": finished, "state": job.state, "error": job.error}}))
service.shutdown()
"""
    environment = {**os.environ, "PYTHONPATH": f"{shim.parent}{os.pathsep}{Path(__file__).resolve().parents[2]}"}
    completed = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=300, env=environment
    )
    assert completed.returncode == 0, completed.stderr
    outcome = json.loads(completed.stdout.strip().splitlines()[-1])
    assert outcome["finished"] and outcome["state"] == JobState.FAILED
    error = outcome["error"]
    assert error.startswith("Training needs TensorFlow, which cannot be imported") and "(simulated)" in error
    assert "3.12" in error and "Traceback" not in error and "\n" not in error and error.count(". ") == 0
