"""The local backend: a pool of spawned worker processes, replaced after a number of trainings.

TensorFlow keeps about 20 MB per trained model in a process even after `clear_session()`, and Keras's global
state (seeds, sessions) is shared by everything in a process. A long-running app therefore never trains in its
own process, and the pool's workers are replaced after `trainings_per_worker` trainings each, so memory stays
flat.
"""

from __future__ import annotations

import atexit
import collections
import concurrent.futures
import contextlib
import dataclasses
import math
import multiprocessing
import threading
import traceback
from concurrent.futures.process import BrokenProcessPool

from forecast.data import Dataset
from forecast.run.keys import Task
from forecast.run.result import Result
from forecast.training import child
from forecast.training.backend import JobEvents

__all__ = ["DEFAULT_TRAININGS_PER_WORKER", "LocalPool"]

DEFAULT_TRAININGS_PER_WORKER = 10
BROKEN_MESSAGE = "the training process stopped unexpectedly (out of memory?); try a smaller model"


class _Group:
    """Trainings handed to one worker together, in order; the first one's number names the group."""

    def __init__(self, trainings: list[tuple[int, Task, Dataset | None]]) -> None:
        self.trainings = list(trainings)

    @property
    def leader(self) -> int:
        return self.trainings[0][0]

    @property
    def numbers(self) -> list[int]:
        return [number for number, _, _ in self.trainings]

    def drop(self, number: int) -> None:
        self.trainings = [training for training in self.trainings if training[0] != number]

    def arguments(self) -> tuple:
        """`child.train_group`'s arguments: plain values that pickle cheaply."""
        return (
            self.numbers,
            [task.config.to_dict() for _, task, _ in self.trainings],
            [dataclasses.asdict(task.fold) for _, task, _ in self.trainings],
            [dataset for _, _, dataset in self.trainings],
        )


class LocalPool:
    """A `Backend` on a `ProcessPoolExecutor` (`spawn` context) of at most `max_concurrent` workers.

    - Trainings wait in this pool's own queue and go to the executor only when a worker is free, so the
      executor never holds a backlog, and a queued training is cancelled at once.
    - After `trainings_per_worker × max_concurrent` trainings the executor is retired (its workers exit once
      idle) and a fresh one started. (The standard library's `max_tasks_per_child` is not used: on Python
      3.11–3.15b3 a worker that reaches it is not always replaced and queued tasks then wait forever, CPython
      gh-115634.)
    - Workers send every message about a training (its start, each epoch, its result) on one queue, and a
      finished task is posted to the same queue, so one dispatcher thread applies them all, in order: a
      training's result is always reported after all of its epochs.
    """

    def __init__(
        self,
        *,
        max_concurrent: int = 1,
        trainings_per_worker: int = DEFAULT_TRAININGS_PER_WORKER,
        warm_up: bool = True,
    ) -> None:
        if max_concurrent < 1:
            raise ValueError(f"max_concurrent must be at least 1, got {max_concurrent}")
        if trainings_per_worker < 1:
            raise ValueError(f"trainings_per_worker must be at least 1, got {trainings_per_worker}")
        self.max_concurrent = max_concurrent
        self.trainings_per_worker = trainings_per_worker
        self._warm_up = warm_up
        # `spawn` everywhere: a `fork` of a threaded server can deadlock, and `spawn` behaves the same on every OS.
        self._context = multiprocessing.get_context("spawn")
        self._queue = self._context.Queue()
        self._cancel_flags = self._context.Array("q", child.CANCEL_SLOTS, lock=False)
        # Trainings given to the executor that no worker has begun: a worker that is still starting skips its
        # warm-up when one waits.
        self._unstarted = self._context.Value("i", 0)
        self._lock = threading.Lock()
        self._events: dict[int, JobEvents] = {}
        self._waiting: collections.deque[_Group] = collections.deque()
        self._futures: dict[int, concurrent.futures.Future] = {}  # by the number of the group's first training
        self._running: dict[int, _Group] = {}  # the same keys: the group each future trains
        self._pool_trainings = 0  # trainings given to the current executor
        self._retiring: list[threading.Thread] = []  # threads waiting for retired executors' workers to exit
        self._reported_pids: set[int] = set()
        self._closed = False
        self._executor = self._new_executor()
        self._dispatcher = threading.Thread(target=self._dispatch, name="training-progress", daemon=True)
        self._dispatcher.start()
        self._watch_interpreter_exit()

    # --- the executor's lifecycle ---------------------------------------------------------------------------

    def _new_executor(self) -> concurrent.futures.ProcessPoolExecutor:
        executor = concurrent.futures.ProcessPoolExecutor(
            max_workers=self.max_concurrent,
            mp_context=self._context,
            initializer=child.initialise,
            initargs=(self._queue, self._cancel_flags, self._unstarted),
        )
        if self._warm_up:
            # Start every worker now, so TensorFlow's import overlaps whatever the app does before it trains.
            for _ in range(self.max_concurrent):
                executor.submit(child.warm_up)
        return executor

    def _replace_executor(self) -> None:
        """Retire the executor (its workers exit once idle) and start a fresh one (lock held)."""
        old = self._executor
        retiring = threading.Thread(target=old.shutdown, kwargs={"wait": True}, name="pool-retire", daemon=True)
        retiring.start()
        self._retiring = [*(thread for thread in self._retiring if thread.is_alive()), retiring]
        self._executor = self._new_executor()
        self._pool_trainings = 0

    def _watch_interpreter_exit(self) -> None:
        """Shut down when the program ends, before the executor's exit hook waits for running trainings.

        At interpreter exit the main thread is marked finished first, then the executor's exit hook joins its
        workers, which would wait for every running training to end. A thread blocked in `join()` on the main
        thread wakes at that first step and cancels the trainings, so the workers are free at once.
        `atexit` is the fallback for programs that end some other way.
        """
        main = threading.main_thread()

        def shut_down_when_main_ends() -> None:
            main.join()
            self.shutdown()

        threading.Thread(target=shut_down_when_main_ends, name="pool-exit", daemon=True).start()
        atexit.register(self.shutdown)

    # --- trainings ------------------------------------------------------------------------------------------

    def submit(self, number: int, task: Task, dataset: Dataset | None, events: JobEvents) -> None:
        self.submit_group([(number, task, dataset, events)])

    def submit_group(self, trainings: list[tuple[int, Task, Dataset | None, JobEvents]]) -> None:
        """Queue trainings that one worker takes together (`child.train_group`): as teams, sharing baselines."""
        with self._lock:
            if self._closed:
                raise RuntimeError("the training service has been shut down")
            for number, _, _, events in trainings:
                self._events[number] = events
            # One share per worker, in order (a run's networks come fold by fold, so a share keeps its folds).
            share = math.ceil(len(trainings) / self.max_concurrent)
            for start in range(0, len(trainings), share):
                chunk = trainings[start : start + share]
                self._waiting.append(_Group([(number, task, dataset) for number, task, dataset, _ in chunk]))
            self._pump()

    def _pump(self) -> None:
        """Give waiting groups to the executor while a worker is free (lock held)."""
        while self._waiting and len(self._futures) < self.max_concurrent and not self._closed:
            if self._pool_trainings >= self.trainings_per_worker * self.max_concurrent:
                if self._futures:
                    return  # The executor finishes what it runs first; `_task_ended` retires it.
                self._replace_executor()
            self._start(self._waiting.popleft())

    def _start(self, group: _Group) -> None:
        arguments = (child.train_group, *group.arguments())
        # Counted before it is handed over, so that a worker beginning it at once never sees the count below zero.
        with self._unstarted.get_lock():
            self._unstarted.value += 1
        try:
            future = self._executor.submit(*arguments)
        except BrokenProcessPool:
            # A worker died (killed for memory, say); the executor cannot be reused, so start a fresh one.
            self._executor.shutdown(wait=False, cancel_futures=True)
            with self._unstarted.get_lock():
                self._unstarted.value = 1  # the dead executor's trainings will never begin; this one will
            self._executor = self._new_executor()
            self._pool_trainings = 0
            future = self._executor.submit(*arguments)
        self._futures[group.leader] = future
        self._running[group.leader] = group
        self._pool_trainings += len(group.numbers)
        # Runs in the executor's thread (or whichever thread cancels the future): it only posts the news, and the
        # dispatcher applies it after every message the worker sent before.
        future.add_done_callback(lambda _, leader=group.leader: self._post(leader, "finished"))

    def _post(self, number: int, kind: str) -> None:
        with contextlib.suppress(OSError, ValueError):  # The queue is closed only after shutdown.
            self._queue.put((number, kind, None))

    def _dispatch(self) -> None:
        """Apply the workers' messages and finished tasks, in order, until the pool shuts down."""
        while True:
            try:
                message = self._queue.get()
            except (OSError, EOFError, ValueError):
                return  # The queue was closed: the pool is shutting down.
            if message is None:
                return
            try:
                self._apply(*message)
            except Exception:  # One bad message or callback must not stop every later job's news.
                traceback.print_exc()

    def _apply(self, number: int | None, kind: str, payload: object) -> None:
        """One message: a worker's pid, a training's start, epoch or result, or the end of a task."""
        if number is None:
            if kind == "worker":
                self._reported_pids.add(payload)  # type: ignore[arg-type]
            return
        if kind == "result":
            self._end(number, payload, None)  # type: ignore[arg-type]
        elif kind == "stopped":  # a cancelled training of a group whose others go on: it ends now, not with them
            self._end(number, None, None)
        elif kind == "finished":
            self._task_ended(number)
        else:
            with self._lock:
                events = self._events.get(number)
            if events is not None and kind == "started":
                events.started(payload)  # type: ignore[arg-type]
            elif events is not None and kind == "epoch":
                events.epoch(payload)  # type: ignore[arg-type]

    def _task_ended(self, leader: int) -> None:
        """A group is over: free its worker slot, then end each of its trainings whose result never came."""
        with self._lock:
            future = self._futures.pop(leader, None)
            group = self._running.pop(leader, None)
            if future is None or group is None:
                return
            used_up = self._pool_trainings >= self.trainings_per_worker * self.max_concurrent
            if used_up and not self._closed and not self._futures:
                # Retire the executor now, while nothing runs, so the fresh workers import TensorFlow before the
                # next training asks for them.
                self._replace_executor()
            self._pump()
        error, sent = None, []
        if not future.cancelled():
            try:
                sent = future.result()
            except BrokenProcessPool:
                error = BROKEN_MESSAGE
            except child.TensorFlowUnavailable as exception:
                error = str(exception)
            except Exception as exception:  # Reported to the user; the pool keeps serving.
                error = f"training failed: {type(exception).__name__}: {exception}"
        # The others are over without a result: cancelled inside the worker, or failed. A sent result is on the
        # queue, and may still be behind this news.
        for number in group.numbers:
            if number not in sent:
                self._end(number, None, error)

    def _end(self, number: int, result: Result | None, error: str | None) -> None:
        with self._lock:
            events = self._events.pop(number, None)
        if events is not None:
            events.ended(result, error)

    def cancel(self, number: int) -> None:
        with self._lock:
            waiting = next((group for group in self._waiting if number in group.numbers), None)
            if waiting is not None:
                waiting.drop(number)
                if not waiting.numbers:
                    self._waiting.remove(waiting)
            self._cancel_flags[number % child.CANCEL_SLOTS] = number + 1
            running = next((group for group in self._running.values() if number in group.numbers), None)
            # A group no worker has begun is dropped once every one of its trainings is cancelled.
            everything = running is not None and all(child.is_flagged(self._cancel_flags, n) for n in running.numbers)
            future = self._futures.get(running.leader) if everything and running is not None else None
        if waiting is not None:
            self._end(number, None, None)  # never started: cancelled at once
        elif future is not None and future.cancel():  # Succeeds only while no worker has begun it.
            with self._unstarted.get_lock():
                self._unstarted.value -= 1

    def worker_pids(self) -> list[int]:
        # Workers report their pid when they start; multiprocessing knows which of its children still live.
        alive = {process.pid for process in multiprocessing.active_children()}
        return sorted(self._reported_pids & alive)

    def shutdown(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
            numbers = [number for group in (*self._waiting, *self._running.values()) for number in group.numbers]
        for number in numbers:
            self.cancel(number)
        self._executor.shutdown(wait=True, cancel_futures=True)
        for thread in self._retiring:
            thread.join(timeout=30)
        self._queue.put(None)  # Stops the dispatcher thread.
        self._dispatcher.join(timeout=5)
        self._queue.close()
        # Trainings whose end never came back (their task was dropped at shutdown) end here, cancelled.
        with self._lock:
            remaining = list(self._events)
        for number in remaining:
            self._end(number, None, None)
