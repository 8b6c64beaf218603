"""Jobs and the job registry (forecast/training/jobs.py), driven as a backend drives them, without processes."""

from __future__ import annotations

import threading
import time

from forecast.models.progress import EpochReport
from forecast.run.keys import Task
from forecast.training.jobs import Job, JobRegistry, JobState, Subscription
from tests.conftest import make_fake_result


def report(epoch: int) -> EpochReport:
    return EpochReport(epoch=epoch, epochs=3, loss=1.0 / epoch, val_loss=2.0 / epoch, elapsed=0.1 * epoch)


def task_key(config):
    """The registry keys a job by its task's key."""
    return Task(config).key


def test_a_job_goes_from_queued_to_done_and_wait_returns_at_once(tiny_config):
    job = Job(Task(tiny_config), 0)
    assert job.state == JobState.QUEUED and job.latest is None and not job.finished
    assert job.wait(timeout=0.05) is False
    job.started(worker_pid=1234)
    assert job.state == JobState.RUNNING and job.worker_pid == 1234
    for epoch in (1, 2, 3):
        job.epoch(report(epoch))
    assert [entry.epoch for entry in job.reports] == [1, 2, 3] and job.latest.loss == 1.0 / 3
    result = make_fake_result(tiny_config)
    # A waiter in another thread is woken by the event, not by polling.
    woken = []
    waiter = threading.Thread(target=lambda: woken.append((job.wait(timeout=10), time.monotonic())))
    waiter.start()
    time.sleep(0.05)
    ended = time.monotonic()
    job.ended(result, None)
    waiter.join()
    assert woken[0][0] is True and woken[0][1] - ended < 0.01
    assert job.state == JobState.DONE and job.result is result and job.error is None


def test_the_first_end_wins_and_late_reports_are_dropped(tiny_config):
    job = Job(Task(tiny_config), 0)
    job.ended(None, "training failed: boom")
    job.ended(make_fake_result(tiny_config), None)
    job.epoch(report(1))
    assert job.state == JobState.FAILED and job.error == "training failed: boom" and job.result is None
    assert job.reports == []
    cancelled = Job(Task(tiny_config), 1)
    cancelled.ended(None, None)
    assert cancelled.state == JobState.CANCELLED and cancelled.wait(0) is True


def test_on_finish_runs_before_wait_returns_and_at_once_when_already_finished(tiny_config):
    job = Job(Task(tiny_config), 0)
    seen = []
    job.on_finish(lambda done: seen.append(("first", done.finished)))
    job.ended(make_fake_result(tiny_config), None)
    assert seen == [("first", False)]  # ran before the event was set
    job.on_finish(lambda done: seen.append(("late", done.finished)))
    assert seen[-1] == ("late", True)


def test_registry_shares_a_job_and_cancels_it_when_abandoned(tiny_config):
    cancelled = []
    registry = JobRegistry(grace_seconds=0.1, cancel=cancelled.append)
    first, new = registry.subscribe(task_key(tiny_config), lambda number: Job(Task(tiny_config), number))
    again, new_again = registry.subscribe(task_key(tiny_config), lambda number: Job(Task(tiny_config), number))
    assert new and not new_again and first is again and registry.subscribers(first) == 2
    registry.release(first)
    assert cancelled == [] and registry.subscribers(first) == 1
    registry.release(first)
    assert cancelled == []  # the grace period: a rerun may come back for it
    time.sleep(0.3)
    assert cancelled == [first]


def test_resubscribing_within_the_grace_period_keeps_the_job(tiny_config):
    cancelled = []
    registry = JobRegistry(grace_seconds=0.1, cancel=cancelled.append)
    job, _ = registry.subscribe(task_key(tiny_config), lambda number: Job(Task(tiny_config), number))
    registry.release(job)
    same, new = registry.subscribe(task_key(tiny_config), lambda number: Job(Task(tiny_config), number))
    time.sleep(0.3)
    assert same is job and not new and cancelled == []


def test_a_finished_job_leaves_the_registry_and_a_new_one_replaces_it(tiny_config):
    registry = JobRegistry(grace_seconds=0.1, cancel=lambda job: None)
    job, _ = registry.subscribe(task_key(tiny_config), lambda number: Job(Task(tiny_config), number))
    job.ended(make_fake_result(tiny_config), None)
    assert registry.in_flight() == []
    fresh, new = registry.subscribe(task_key(tiny_config), lambda number: Job(Task(tiny_config), number))
    assert new and fresh is not job and fresh.number == job.number + 1


def test_queue_positions(tiny_config):
    registry = JobRegistry(grace_seconds=0.1, cancel=lambda job: None)
    tasks = [Task(tiny_config.replace(seed=n)) for n in range(3)]
    jobs = [registry.subscribe(task.key, lambda number, task=task: Job(task, number))[0] for task in tasks]
    assert [registry.queue_position(job, max_concurrent=1) for job in jobs] == [0, 1, 2]
    jobs[0].started(1)
    assert [registry.queue_position(job, max_concurrent=1) for job in jobs] == [0, 1, 2]
    assert [registry.queue_position(job, max_concurrent=2) for job in jobs] == [0, 0, 1]
    jobs[0].ended(None, None)
    assert [registry.queue_position(job, max_concurrent=1) for job in jobs[1:]] == [0, 1]


def test_a_subscription_releases_once(tiny_config):
    cancelled = []
    registry = JobRegistry(grace_seconds=10, cancel=cancelled.append)
    job, _ = registry.subscribe(task_key(tiny_config), lambda number: Job(Task(tiny_config), number))
    registry.subscribe(task_key(tiny_config), lambda number: Job(Task(tiny_config), number))
    mine = Subscription(registry, job)
    mine.release()
    mine.release()
    mine.abandon()
    assert registry.subscribers(job) == 1 and cancelled == []
    theirs = Subscription(registry, job)
    theirs.abandon()  # the last one: cancelled at once, without the grace period
    assert cancelled == [job]
