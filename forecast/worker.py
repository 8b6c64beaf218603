"""Training in worker processes: bounded concurrency, recycled workers, shared jobs and cancellation.

TensorFlow keeps about 20 MB per trained model in a process even after `clear_session()`, and Keras's global
state (seeds, sessions) is shared by everything in a process. A long-running app therefore never trains in its
own process: it submits configs to a `TrainingService`, whose worker processes are replaced after a bounded
number of trainings, so the app's memory stays flat. The app process never imports TensorFlow.
"""

from __future__ import annotations

import atexit
import concurrent.futures
import contextlib
import dataclasses
import itertools
import multiprocessing
import os
import signal
import threading
import time
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from forecast.cache import ResultCache
from forecast.config import Config
from forecast.data import Dataset
from forecast.pipeline import Result, result_key

__all__ = ["DEFAULT_TRAININGS_PER_WORKER", "Job", "JobState", "Subscription", "TrainingService"]

DEFAULT_TRAININGS_PER_WORKER = 10
# A job nobody waits for any more is cancelled after this long: long enough for a session's rerun to pick the
# same job up again (a rerun briefly drops its subscription), short enough to free the worker at once.
DEFAULT_GRACE_SECONDS = 0.3
# Cancellation flags live in a shared array indexed by job number modulo its size: two jobs share a slot only
# if this many jobs are in flight at once, far beyond any queue this service lets build up.
CANCEL_SLOTS = 4096
WORKER_NICENESS = 5


class JobState:
    """The states of a job, in the order they happen."""

    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"
    FINISHED = frozenset({DONE, FAILED, CANCELLED})


# --- inside a worker process -------------------------------------------------------------------------------

# Set once per worker by `_initialise_worker`: the channel back to the service and the shared cancel flags.
_progress_queue: Any = None
_cancel_flags: Any = None


def _exit_with_parent() -> None:
    """In a child process: exit as soon as the parent is gone, so a killed server leaves no orphans behind."""
    parent = multiprocessing.parent_process()
    if parent is None:
        return

    def watch() -> None:
        parent.join()  # Returns when the parent process ends, however it ends.
        os._exit(0)

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()


def _initialise_worker(progress_queue: Any, cancel_flags: Any) -> None:
    global _progress_queue, _cancel_flags
    _progress_queue, _cancel_flags = progress_queue, cancel_flags
    # Ctrl-C in the server's terminal reaches the whole process group; the parent shuts workers down cleanly,
    # so they must not each die with a KeyboardInterrupt traceback.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _exit_with_parent()
    # Below the web server in CPU priority: pages stay responsive (first paint, reruns, other visitors) while a
    # worker imports TensorFlow or trains; the worker still gets every cycle the server leaves idle.
    with contextlib.suppress(AttributeError, OSError):
        os.nice(WORKER_NICENESS)
    # A worker retired after its last training would otherwise spend seconds in interpreter teardown with
    # TensorFlow loaded, while the pool waits for it before starting its replacement. By the time exit handlers
    # run, multiprocessing has flushed the progress queue, so nothing is lost by leaving at once.
    atexit.register(os._exit, 0)
    # Pay for importing TensorFlow, and for the one-time set-up of a process's first training, when the worker
    # starts, not when the first visitor's training does.
    import forecast.model

    forecast.model.warm_up()


def _warm_up() -> int:
    return os.getpid()


def _is_cancelled(number: int) -> bool:
    return _cancel_flags[number % CANCEL_SLOTS] == number + 1


def _train(number: int, config_fields: dict[str, Any], dataset: Dataset | None) -> Result | None:
    """Train one config, streaming progress to the service; None if the job was cancelled.

    `dataset` is the series prepared by the app (needed for an uploaded file, which the worker cannot read).
    """
    from forecast import model, pipeline

    if _is_cancelled(number):
        return None
    _progress_queue.put((number, "started", os.getpid()))

    def report(epoch_report: model.EpochReport) -> None:
        if _is_cancelled(number):
            raise model.TrainingCancelled
        _progress_queue.put((number, "epoch", dataclasses.asdict(epoch_report)))

    try:
        return pipeline.compute(Config(**config_fields), dataset, progress=report)
    except model.TrainingCancelled:
        return None


# --- in the app process ------------------------------------------------------------------------------------


class Job:
    """One training, shared by every session that asked for the same config while it was in flight.

    The service's dispatcher thread fills in `state` and `reports` as the worker reports progress.
    """

    def __init__(
        self, config: Config, key: str, number: int, cache: ResultCache | None, dataset: Dataset | None = None
    ) -> None:
        self.config = config
        self.dataset = dataset  # the prepared series, sent to the worker
        self.key = key
        self.number = number  # submission order: queue positions and cancel flags
        self.cache = cache  # where the result is stored when it arrives
        self.state = JobState.QUEUED
        self.reports: list[dict[str, float]] = []  # one per finished epoch: epoch, epochs, loss, val_loss, elapsed
        self.result: Result | None = None
        self.error: str | None = None
        self.worker_pid: int | None = None
        self.subscribers = 0
        self.future: concurrent.futures.Future | None = None
        self._release_timer: threading.Timer | None = None

    @property
    def finished(self) -> bool:
        return self.state in JobState.FINISHED

    @property
    def latest(self) -> dict[str, float] | None:
        """The most recent epoch report, or None before the first epoch ends."""
        return self.reports[-1] if self.reports else None

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the job finishes or `timeout` passes; True if it finished."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while not self.finished:
            if deadline is not None and time.monotonic() >= deadline:
                return False
            time.sleep(0.02)
        return True


class Subscription:
    """One caller's interest in a job: released exactly once, however many code paths try.

    Streamlit reruns, Stop buttons and closed tabs can each end a session's wait for a training; whichever comes
    first releases the subscription, and the others find nothing left to do.
    """

    def __init__(self, service: TrainingService, job: Job) -> None:
        self.service = service
        self.job = job
        self._released = False
        self._lock = threading.Lock()

    def release(self, grace_seconds: float | None = None) -> None:
        """Stop waiting; the job is cancelled after the grace period if nobody else waits for it."""
        with self._lock:
            if self._released:
                return
            self._released = True
        self.service.release(self.job, grace_seconds)

    def abandon(self) -> None:
        """Stop waiting and cancel the job now, unless another caller still waits for it."""
        with self._lock:
            already, self._released = self._released, True
        if already:
            self.service.cancel_if_abandoned(self.job)
        else:
            self.service.release(self.job, grace_seconds=0)


class TrainingService:
    """Trains configs in a pool of `spawn`ed worker processes, at most `max_concurrent` at once.

    - Identical configs submitted while one is in flight share one job (and one training).
    - Workers are replaced after `trainings_per_worker` trainings, bounding the memory TensorFlow leaks.
    - A job is cancelled `grace_seconds` after its last subscriber releases it; a running training stops at its
      next epoch boundary.
    - A finished result goes into the cache given to `submit`, so any session asking again gets it at once.

    Workers report progress on one queue that a dispatcher thread here routes to jobs; cancellation is a flag in
    an array shared with every worker. Both are handed to workers when they start, as the standard library
    requires for its queues and shared memory.
    """

    def __init__(
        self,
        *,
        max_concurrent: int = 1,
        trainings_per_worker: int = DEFAULT_TRAININGS_PER_WORKER,
        grace_seconds: float = DEFAULT_GRACE_SECONDS,
        warm_up: bool = True,
    ) -> None:
        if max_concurrent < 1:
            raise ValueError(f"max_concurrent must be at least 1, got {max_concurrent}")
        if trainings_per_worker < 1:
            raise ValueError(f"trainings_per_worker must be at least 1, got {trainings_per_worker}")
        self.max_concurrent = max_concurrent
        self.trainings_per_worker = trainings_per_worker
        self.grace_seconds = grace_seconds
        # `spawn` everywhere: a `fork` of a threaded server can deadlock, and `spawn` behaves the same on every OS.
        self._context = multiprocessing.get_context("spawn")
        self._progress_queue = self._context.Queue()
        self._cancel_flags = self._context.Array("q", CANCEL_SLOTS, lock=False)
        self._lock = threading.RLock()
        self._jobs: dict[str, Job] = {}
        self._jobs_by_number: dict[int, Job] = {}
        self._numbers = itertools.count()
        self._closed = False
        self.trainings_started = 0
        self._executor = self._new_executor()
        self._dispatcher = threading.Thread(target=self._dispatch, name="training-progress", daemon=True)
        self._dispatcher.start()
        if warm_up:
            for _ in range(max_concurrent):
                self._executor.submit(_warm_up)
        # Cancel running trainings when the interpreter exits. The executor joins its workers from a
        # threading-exit hook, which would otherwise wait for every running training to finish; hooks registered
        # later run earlier, so this one cancels first. (threading has no public API for this hook.)
        register = getattr(threading, "_register_atexit", None)
        if register is not None:
            register(self.shutdown)

    def _new_executor(self) -> concurrent.futures.ProcessPoolExecutor:
        return concurrent.futures.ProcessPoolExecutor(
            max_workers=self.max_concurrent,
            mp_context=self._context,
            initializer=_initialise_worker,
            initargs=(self._progress_queue, self._cancel_flags),
            max_tasks_per_child=self.trainings_per_worker,
        )

    def _dispatch(self) -> None:
        """Route progress messages from the workers to their jobs until the service shuts down."""
        while True:
            try:
                message = self._progress_queue.get()
            except (OSError, EOFError, ValueError):
                return  # The queue was closed: the service is shutting down.
            if message is None:
                return
            number, kind, payload = message
            job = self._jobs_by_number.get(number)
            if job is None:
                continue
            if kind == "started":
                job.worker_pid = payload
                if job.state == JobState.QUEUED:
                    job.state = JobState.RUNNING
            elif kind == "epoch":
                job.reports.append(payload)

    def submit(self, config: Config, cache: ResultCache | None = None, dataset: Dataset | None = None) -> Job:
        """Subscribe to the training of `config`: an in-flight job for the same config, or a new one.

        The result is stored in `cache` when it arrives. `dataset` is the config's prepared series (required
        for an uploaded file; otherwise the worker builds it). Every `submit` must be paired with a `release`
        when the caller stops waiting.
        """
        key = result_key(config)
        with self._lock:
            if self._closed:
                raise RuntimeError("the training service has been shut down")
            job = self._jobs.get(key)
            if job is None or job.finished:
                job = Job(config, key, next(self._numbers), cache, dataset)
                self._jobs[key] = job
                self._jobs_by_number[job.number] = job
                self._start(job)
            job.subscribers += 1
            if job._release_timer is not None:
                job._release_timer.cancel()
                job._release_timer = None
            return job

    def subscribe(
        self, config: Config, cache: ResultCache | None = None, dataset: Dataset | None = None
    ) -> Subscription:
        """`submit`, wrapped in a `Subscription` that releases the job exactly once."""
        return Subscription(self, self.submit(config, cache, dataset))

    def _start(self, job: Job) -> None:
        arguments = (_train, job.number, job.config.to_dict(), job.dataset)
        try:
            future = self._executor.submit(*arguments)
        except BrokenProcessPool:
            # A worker died (killed for memory, say); the pool cannot be reused, so start a fresh one.
            self._executor.shutdown(wait=False, cancel_futures=True)
            self._executor = self._new_executor()
            future = self._executor.submit(*arguments)
        job.future = future
        self.trainings_started += 1
        future.add_done_callback(lambda done, job=job: self._finish(job, done))

    def _finish(self, job: Job, future: concurrent.futures.Future) -> None:
        if future.cancelled():
            result, error = None, None
        else:
            try:
                result, error = future.result(), None
            except BrokenProcessPool:
                result, error = None, "the training process stopped unexpectedly (out of memory?); try a smaller model"
            except Exception as exception:  # Reported to the user; the service keeps serving.
                result, error = None, f"training failed: {type(exception).__name__}: {exception}"
        if result is not None:
            if job.cache is not None:
                job.cache.put(job.key, result)
            job.result = result
        job.error = error
        job.state = JobState.DONE if result is not None else JobState.FAILED if error else JobState.CANCELLED
        with self._lock:
            if self._jobs.get(job.key) is job:
                del self._jobs[job.key]
            self._jobs_by_number.pop(job.number, None)

    def _cancel(self, job: Job) -> None:
        self._cancel_flags[job.number % CANCEL_SLOTS] = job.number + 1
        if job.future is not None:
            job.future.cancel()  # Succeeds only while the job still waits for a worker.

    def release(self, job: Job, grace_seconds: float | None = None) -> None:
        """Stop waiting for `job`; when nobody waits any more, it is cancelled after `grace_seconds`.

        The default grace (the service's) lets a rerun pick the job up again; 0 cancels at once.
        """
        grace = self.grace_seconds if grace_seconds is None else grace_seconds
        with self._lock:
            job.subscribers = max(0, job.subscribers - 1)
            if job.subscribers > 0 or job.finished:
                return
            if grace <= 0:
                self._cancel(job)
                return
            timer = threading.Timer(grace, self.cancel_if_abandoned, args=(job,))
            timer.daemon = True
            job._release_timer = timer
            timer.start()

    def cancel_if_abandoned(self, job: Job) -> None:
        """Cancel `job` now if nobody is subscribed to it (and it has not finished)."""
        with self._lock:
            if job.subscribers == 0 and not job.finished:
                self._cancel(job)

    def queue_position(self, job: Job) -> int:
        """How many trainings will start before this one: 0 once it is running or finished."""
        if job.state != JobState.QUEUED:
            return 0
        with self._lock:
            waiting_ahead = sum(
                1 for other in self._jobs.values() if other.number < job.number and other.state == JobState.QUEUED
            )
            running = sum(1 for other in self._jobs.values() if other.state == JobState.RUNNING)
        # Jobs ahead in the queue, plus one if every trainer slot is busy with a running job.
        return waiting_ahead + max(0, running - self.max_concurrent + 1)

    def worker_pids(self) -> list[int]:
        """Process ids of the current worker processes."""
        processes = getattr(self._executor, "_processes", None) or {}
        return [pid for pid, process in list(processes.items()) if process.is_alive()]

    def shutdown(self) -> None:
        """Cancel everything and stop the workers; leaves no child process behind."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            jobs = list(self._jobs.values())
        for job in jobs:
            self._cancel(job)
        self._executor.shutdown(wait=True, cancel_futures=True)
        self._progress_queue.put(None)  # Stops the dispatcher thread.
        self._dispatcher.join(timeout=5)
        self._progress_queue.close()
