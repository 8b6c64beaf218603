"""Training in worker processes: bounded concurrency, recycled workers, shared jobs and cancellation.

TensorFlow keeps about 20 MB per trained model in a process even after `clear_session()`, and Keras's global
state (seeds, sessions) is shared by everything in a process. A long-running app therefore never trains in its
own process: it submits configs to a `TrainingService`, whose worker processes are replaced after a bounded
number of trainings, so the app's memory stays flat. The app process never imports TensorFlow.
"""

from __future__ import annotations

import atexit
import collections
import concurrent.futures
import contextlib
import dataclasses
import itertools
import multiprocessing
import os
import signal
import sys
import threading
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from forecast.cache import ResultCache
from forecast.config import Config
from forecast.data import Dataset
from forecast.pipeline import Result, result_key

__all__ = [
    "DEFAULT_TRAININGS_PER_WORKER",
    "Job",
    "JobState",
    "Subscription",
    "TensorFlowUnavailable",
    "TrainingService",
    "tensorflow_problem",
]

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

# Set once per worker by `_initialise_worker`: the channel back to the service, the shared cancel flags, and
# why TensorFlow could not be imported (None when it could).
_progress_queue: Any = None
_cancel_flags: Any = None
_import_problem: str | None = None


class TensorFlowUnavailable(RuntimeError):
    """TensorFlow cannot be imported in the worker; the message says why and what to do, in one sentence."""


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
    # A worker retired with its pool would otherwise spend seconds in interpreter teardown with TensorFlow
    # loaded, holding its memory while the fresh pool's worker starts. By the time exit handlers
    # run, multiprocessing has flushed the progress queue, so nothing is lost by leaving at once.
    atexit.register(os._exit, 0)
    # Pay for importing TensorFlow when the worker starts, not when the first visitor's training does. A failed
    # import must not kill the worker (the pool would only report a crash): each training then says what is wrong.
    global _import_problem
    try:
        import forecast.model  # noqa: F401
    except ImportError as error:
        _import_problem = tensorflow_problem(error)


def tensorflow_problem(error: ImportError) -> str:
    """One sentence for a person: TensorFlow cannot be imported, why, and what to do about it."""
    version = ".".join(map(str, sys.version_info[:3]))
    return (
        f"Training needs TensorFlow, which cannot be imported in this Python {version} ({error}): install "
        "requirements.txt in a Python that TensorFlow has wheels for, such as 3.12 (on Streamlit Community "
        "Cloud, choose it under Advanced settings)."
    )


def _warm_up() -> int:
    return os.getpid()


def _is_cancelled(number: int) -> bool:
    return _cancel_flags[number % CANCEL_SLOTS] == number + 1


def _train(number: int, config_fields: dict[str, Any], dataset: Dataset | None) -> Result | None:
    """Train one config, streaming progress to the service; None if the job was cancelled.

    `dataset` is the series prepared by the app (needed for an uploaded file, which the worker cannot read).
    """
    if _import_problem is not None:
        raise TensorFlowUnavailable(_import_problem)
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

    Every change of state happens in the `TrainingService`, under its lock: `state` moves only forward (queued,
    running, then one finished state, which is final), and `done` is set once, when it becomes final.
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
        self.warnings: list[str] = []  # problems storing the result (a cache folder that cannot be written)
        self.worker_pid: int | None = None
        self.subscribers = 0
        self.cancel_requested = False  # once set, nobody new may join this job: it is going to end cancelled
        self.future: concurrent.futures.Future | None = None
        self.done = threading.Event()
        self._release_timer: threading.Timer | None = None

    @property
    def finished(self) -> bool:
        return self.done.is_set()

    @property
    def latest(self) -> dict[str, float] | None:
        """The most recent epoch report, or None before the first epoch ends."""
        reports = self.reports
        return reports[-1] if reports else None

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the job finishes or `timeout` passes; True if it finished."""
        return self.done.wait(timeout)


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

    - Identical configs submitted while one is in flight share one job (and one training), unless that job's
      cancellation has already been requested: a newcomer then gets a fresh job, never one about to be cancelled.
    - Jobs wait in this service's own queue and go to the pool only when a trainer is free, so the pool never
      holds a backlog. Workers are replaced after about `trainings_per_worker` trainings each (bounding the
      memory TensorFlow leaks) by retiring the whole pool once it has run its share and starting a fresh one.
      (The standard library's `max_tasks_per_child` is not used: on Python 3.11-3.15b3 a worker that reaches
      it is not always replaced and the queued tasks then wait forever, CPython gh-115634.)
    - A job is cancelled `grace_seconds` after its last subscriber releases it; a running training stops at its
      next epoch boundary, a queued one at once.
    - A finished result goes into the cache given to `submit`, so any session asking again gets it at once.

    Workers report progress on one queue that a dispatcher thread here routes to jobs; finished futures are
    posted to the same queue, so one thread applies every change of a job's state, in order, under the lock.
    Cancellation is a flag in an array shared with every worker. Both are handed to workers when they start,
    as the standard library requires for its queues and shared memory.
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
        self._warm = warm_up
        # `spawn` everywhere: a `fork` of a threaded server can deadlock, and `spawn` behaves the same on every OS.
        self._context = multiprocessing.get_context("spawn")
        self._progress_queue = self._context.Queue()
        self._cancel_flags = self._context.Array("q", CANCEL_SLOTS, lock=False)
        self._lock = threading.RLock()
        self._jobs: dict[str, Job] = {}
        self._jobs_by_number: dict[int, Job] = {}
        self._waiting: collections.deque[Job] = collections.deque()  # queued here, not yet given to the pool
        self._running = 0  # jobs given to the pool and not finished
        self._pool_trainings = 0  # trainings given to the current pool
        self._retired: list[concurrent.futures.ProcessPoolExecutor] = []
        self._numbers = itertools.count()
        self._closed = False
        self.trainings_started = 0
        self._executor = self._new_executor()
        self._dispatcher = threading.Thread(target=self._dispatch, name="training-progress", daemon=True)
        self._dispatcher.start()
        # Cancel running trainings when the interpreter exits. The executor joins its workers from a
        # threading-exit hook, which would otherwise wait for every running training to finish; hooks registered
        # later run earlier, so this one cancels first. (threading has no public API for this hook.)
        register = getattr(threading, "_register_atexit", None)
        if register is not None:
            register(self.shutdown)

    def _new_executor(self) -> concurrent.futures.ProcessPoolExecutor:
        executor = concurrent.futures.ProcessPoolExecutor(
            max_workers=self.max_concurrent,
            mp_context=self._context,
            initializer=_initialise_worker,
            initargs=(self._progress_queue, self._cancel_flags),
        )
        if self._warm:
            # Start every worker now, so TensorFlow's import overlaps whatever the app does before it trains.
            for _ in range(self.max_concurrent):
                executor.submit(_warm_up)
        return executor

    def _dispatch(self) -> None:
        """Apply progress messages and finished futures to their jobs until the service shuts down."""
        while True:
            try:
                message = self._progress_queue.get()
            except (OSError, EOFError, ValueError):
                return  # The queue was closed: the service is shutting down.
            if message is None:
                return
            number, kind, payload = message
            if kind == "finished":
                self._finish(number)
                continue
            with self._lock:
                job = self._jobs_by_number.get(number)
                if job is None or job.finished:
                    continue  # A late message of a job that has ended: its state is final.
                if kind == "started":
                    job.worker_pid = payload
                    if job.state == JobState.QUEUED:
                        job.state = JobState.RUNNING
                elif kind == "epoch":
                    job.reports = [*job.reports, payload]  # a new list: readers never see one being changed

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
            if job is None or job.finished or job.cancel_requested:
                job = Job(config, key, next(self._numbers), cache, dataset)
                self._jobs[key] = job
                self._jobs_by_number[job.number] = job
                self._waiting.append(job)
                self._pump()
            job.subscribers += 1
            if job._release_timer is not None:
                # A timer that already fired waits for this lock and then finds a subscriber: nothing to cancel.
                job._release_timer.cancel()
                job._release_timer = None
            return job

    def subscribe(
        self, config: Config, cache: ResultCache | None = None, dataset: Dataset | None = None
    ) -> Subscription:
        """`submit`, wrapped in a `Subscription` that releases the job exactly once."""
        return Subscription(self, self.submit(config, cache, dataset))

    def _pump(self) -> None:
        """Give waiting jobs to the pool while a trainer is free (called with the lock held)."""
        while self._waiting and self._running < self.max_concurrent and not self._closed:
            if self._pool_trainings >= self.trainings_per_worker * self.max_concurrent:
                if self._running:
                    return  # The pool finishes what it runs first; `_finish` retires it and calls this again.
                self._replace_executor()
            job = self._waiting.popleft()
            self._start(job)

    def _replace_executor(self) -> None:
        """Retire the current pool (its workers exit once idle) and start a fresh one (lock held)."""
        self._executor.shutdown(wait=False)
        self._retired = [*(old for old in self._retired if _has_live_workers(old)), self._executor]
        self._executor = self._new_executor()
        self._pool_trainings = 0

    def _start(self, job: Job) -> None:
        arguments = (_train, job.number, job.config.to_dict(), job.dataset)
        try:
            future = self._executor.submit(*arguments)
        except BrokenProcessPool:
            # A worker died (killed for memory, say); the pool cannot be reused, so start a fresh one.
            self._executor.shutdown(wait=False, cancel_futures=True)
            self._executor = self._new_executor()
            self._pool_trainings = 0
            future = self._executor.submit(*arguments)
        job.future = future
        self._running += 1
        self._pool_trainings += 1
        self.trainings_started += 1
        # The callback runs in the pool's own thread (or in whichever thread cancels the future): it only posts
        # the news, and the dispatcher applies it, so no pool thread ever waits for this service's lock.
        future.add_done_callback(lambda _, number=job.number: self._post_finished(number))

    def _post_finished(self, number: int) -> None:
        with contextlib.suppress(OSError, ValueError):  # The queue is closed only after shutdown.
            self._progress_queue.put((number, "finished", None))

    def _finish(self, number: int) -> None:
        """Record the outcome of a job whose future is done, then start the next waiting job."""
        with self._lock:
            job = self._jobs_by_number.get(number)
        if job is None or job.future is None or job.finished:
            return
        future = job.future
        if future.cancelled():
            result, error = None, None
        else:
            try:
                result, error = future.result(), None
            except BrokenProcessPool:
                result, error = None, "the training process stopped unexpectedly (out of memory?); try a smaller model"
            except TensorFlowUnavailable as exception:
                result, error = None, str(exception)
            except Exception as exception:  # Reported to the user; the service keeps serving.
                result, error = None, f"training failed: {type(exception).__name__}: {exception}"
        if result is not None and job.cache is not None:
            # Stored before the job is marked done, so that a session that sees it done also finds it cached.
            job.cache.put(job.key, result, job.warnings)
        with self._lock:
            self._running -= 1
            state = JobState.DONE if result is not None else JobState.FAILED if error else JobState.CANCELLED
            self._complete(job, state, result, error)
            if (
                not self._closed
                and not self._running
                and self._pool_trainings >= self.trainings_per_worker * self.max_concurrent
            ):
                # Retire the pool now, while nothing waits, so the fresh workers import TensorFlow before the
                # next training asks for them.
                self._replace_executor()
            self._pump()

    def _complete(self, job: Job, state: str, result: Result | None = None, error: str | None = None) -> None:
        """Make `state` the job's final state and wake everyone waiting for it (lock held)."""
        job.result, job.error, job.state = result, error, state
        if self._jobs.get(job.key) is job:
            del self._jobs[job.key]
        self._jobs_by_number.pop(job.number, None)
        if job._release_timer is not None:
            job._release_timer.cancel()
            job._release_timer = None
        job.done.set()

    def _cancel(self, job: Job) -> None:
        """Cancel `job` (lock held): a queued one ends now, a running one at its next epoch boundary."""
        if job.finished:
            return
        job.cancel_requested = True
        if job in self._waiting:
            self._waiting.remove(job)
            self._complete(job, JobState.CANCELLED)
            return
        self._cancel_flags[job.number % CANCEL_SLOTS] = job.number + 1
        if job.future is not None:
            job.future.cancel()  # Succeeds only while the pool has not handed it to a worker yet.

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
            if job._release_timer is not None:
                job._release_timer.cancel()
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
        with self._lock:
            if job.state != JobState.QUEUED:
                return 0
            waiting_ahead = sum(1 for other in self._waiting if other.number < job.number)
            running = sum(1 for other in self._jobs.values() if other.state == JobState.RUNNING)
        # Jobs ahead in the queue, plus one if every trainer slot is busy with a running job.
        return waiting_ahead + max(0, running - self.max_concurrent + 1)

    def worker_pids(self) -> list[int]:
        """Process ids of the current worker processes (and of retired ones still finishing a training)."""
        pids = []
        for executor in [*self._retired, self._executor]:
            processes = getattr(executor, "_processes", None) or {}
            pids += [pid for pid, process in list(processes.items()) if process.is_alive()]
        return pids

    def shutdown(self) -> None:
        """Cancel everything and stop the workers; leaves no child process behind."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            jobs = list(self._jobs.values())
            for job in jobs:
                self._cancel(job)
        for executor in [*self._retired, self._executor]:
            executor.shutdown(wait=True, cancel_futures=True)
        self._progress_queue.put(None)  # Stops the dispatcher thread.
        self._dispatcher.join(timeout=5)
        self._progress_queue.close()


def _has_live_workers(executor: concurrent.futures.ProcessPoolExecutor) -> bool:
    processes = getattr(executor, "_processes", None) or {}
    return any(process.is_alive() for process in list(processes.values()))
