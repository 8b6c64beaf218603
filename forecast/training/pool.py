"""The local backend: a pool of spawned worker processes, recycled after a number of trainings.

TensorFlow keeps about 20 MB per trained model in a process even after `clear_session()`, and Keras's global
state (seeds, sessions) is shared by everything in a process. A long-running app therefore never trains in its
own process: workers are replaced after `trainings_per_worker` trainings, so memory stays flat.
"""

from __future__ import annotations

import atexit
import concurrent.futures
import multiprocessing
import threading
from concurrent.futures.process import BrokenProcessPool

from forecast.config import Config
from forecast.data import Dataset
from forecast.training import child
from forecast.training.backend import JobEvents

__all__ = ["DEFAULT_TRAININGS_PER_WORKER", "LocalPool"]

DEFAULT_TRAININGS_PER_WORKER = 10


class LocalPool:
    """A `Backend` on a `ProcessPoolExecutor` (`spawn` context) of at most `max_concurrent` workers.

    Workers send every message about a job (its start, each epoch, its result) on one queue, so a job's result
    is always routed after all of its progress; a dispatcher thread here hands them to the job's events. The
    executor's own future only tells how the task ended (cancelled, failed, or "the result is on the queue").
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
        # `spawn` everywhere: a `fork` of a threaded server can deadlock, and `spawn` behaves the same on every OS.
        self._context = multiprocessing.get_context("spawn")
        self._queue = self._context.Queue()
        self._cancel_flags = self._context.Array("q", child.CANCEL_SLOTS, lock=False)
        self._lock = threading.Lock()
        self._events: dict[int, JobEvents] = {}
        self._futures: dict[int, concurrent.futures.Future] = {}
        self._reported_pids: set[int] = set()
        self._closed = False
        self._executor = self._new_executor()
        self._dispatcher = threading.Thread(target=self._dispatch, name="training-progress", daemon=True)
        self._dispatcher.start()
        if warm_up:
            for _ in range(max_concurrent):
                self._executor.submit(child.warm_up)
        self._watch_interpreter_exit()

    def _new_executor(self) -> concurrent.futures.ProcessPoolExecutor:
        return concurrent.futures.ProcessPoolExecutor(
            max_workers=self.max_concurrent,
            mp_context=self._context,
            initializer=child.initialise,
            initargs=(self._queue, self._cancel_flags),
            max_tasks_per_child=self.trainings_per_worker,
        )

    def _watch_interpreter_exit(self) -> None:
        """Shut down when the program ends, before the executor's exit hook waits for running trainings.

        At interpreter exit the main thread is marked finished first, then the executor's exit hook joins its
        workers, which would wait for every running training to end. A thread blocked in `join()` on the main
        thread wakes at that first step and cancels the trainings, so the workers are free at once.
        `atexit` is the fallback for programs whose main thread is not the one that ends them.
        """
        main = threading.main_thread()

        def shut_down_when_main_ends() -> None:
            main.join()
            self.shutdown()

        threading.Thread(target=shut_down_when_main_ends, name="pool-exit", daemon=True).start()
        atexit.register(self.shutdown)

    def submit(self, number: int, config: Config, dataset: Dataset | None, events: JobEvents) -> None:
        with self._lock:
            if self._closed:
                raise RuntimeError("the training service has been shut down")
            self._events[number] = events
            arguments = (child.train, number, config.to_dict(), dataset)
            try:
                future = self._executor.submit(*arguments)
            except BrokenProcessPool:
                # A worker died (killed for memory, say); the pool cannot be reused, so start a fresh one.
                self._executor.shutdown(wait=False, cancel_futures=True)
                self._executor = self._new_executor()
                future = self._executor.submit(*arguments)
            self._futures[number] = future
        future.add_done_callback(lambda done: self._task_ended(number, done))

    def _task_ended(self, number: int, future: concurrent.futures.Future) -> None:
        """How the task ended: cancelled or failed end the job here; a result arrives on the queue instead."""
        if future.cancelled():
            self._finish(number, None, None)
            return
        try:
            sent_result = future.result()
        except BrokenProcessPool:
            self._finish(
                number, None, "the training process stopped unexpectedly (out of memory?); try a smaller model"
            )
            return
        except Exception as exception:  # Reported to the user; the pool keeps serving.
            self._finish(number, None, f"training failed: {type(exception).__name__}: {exception}")
            return
        if not sent_result:
            self._finish(number, None, None)  # cancelled inside the worker

    def _finish(self, number: int, result: object, error: str | None) -> None:
        with self._lock:
            events = self._events.pop(number, None)
            self._futures.pop(number, None)
        if events is not None:
            events.ended(result, error)  # type: ignore[arg-type]

    def _dispatch(self) -> None:
        """Route messages from the workers to their jobs until the pool shuts down."""
        while True:
            try:
                message = self._queue.get()
            except (OSError, EOFError, ValueError):
                return  # The queue was closed: the pool is shutting down.
            if message is None:
                return
            number, kind, payload = message
            if kind == "worker":
                self._reported_pids.add(payload)
                continue
            if kind == "result":
                self._finish(number, payload, None)
                continue
            with self._lock:
                events = self._events.get(number)
            if events is None:
                continue
            if kind == "started":
                events.started(payload)
            elif kind == "epoch":
                events.epoch(payload)

    def cancel(self, number: int) -> None:
        self._cancel_flags[number % child.CANCEL_SLOTS] = number + 1
        with self._lock:
            future = self._futures.get(number)
        if future is not None:
            future.cancel()  # Succeeds only while the task still waits for a worker.

    def worker_pids(self) -> list[int]:
        # Workers report their pid when they start; multiprocessing knows which of its children still live.
        alive = {process.pid for process in multiprocessing.active_children()}
        return sorted(self._reported_pids & alive)

    def shutdown(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
            numbers = list(self._futures)
        for number in numbers:
            self.cancel(number)
        self._executor.shutdown(wait=True, cancel_futures=True)
        self._queue.put(None)  # Stops the dispatcher thread.
        self._dispatcher.join(timeout=5)
        self._queue.close()
        # Jobs whose task never reported back (cancelled while queued) end here.
        with self._lock:
            remaining = list(self._events)
        for number in remaining:
            self._finish(number, None, None)
