"""The worker-process side of training: the initialiser, the training task and the cancel flags it reads.

Everything here runs in a spawned child process. The parent hands each worker, when it starts, a queue for
progress messages and an array of cancel flags shared with every worker (the standard library allows queues
and shared memory to be passed only then).
"""

from __future__ import annotations

import atexit
import contextlib
import multiprocessing
import os
import signal
import sys
import threading
from collections.abc import Callable
from typing import Any

from forecast.config import Config
from forecast.data import Dataset, Fold, make_dataset
from forecast.models.progress import EpochReport, TrainingCancelled
from forecast.run.result import Result

__all__ = [
    "CANCEL_SLOTS",
    "WORKER_NICENESS",
    "Message",
    "TensorFlowUnavailable",
    "initialise",
    "is_cancelled",
    "is_flagged",
    "tensorflow_problem",
    "train_group",
    "warm_up",
]

# Cancellation flags live in a shared array indexed by job number modulo its size: two jobs share a slot only
# if this many jobs are in flight at once, far beyond any queue the service lets build up.
CANCEL_SLOTS = 4096
WORKER_NICENESS = 5

# Messages on the progress queue: (job number or None, kind, payload). Kinds: "worker" (payload: the pid of a
# worker that has started), "started" (pid of the worker that took the job), "epoch" (an EpochReport),
# "result" (the job's Result, always its last message).
Message = tuple[int | None, str, Any]

# Set once per worker by `initialise`: the channels, and why TensorFlow could not be imported (None if it could).
_progress_queue: Any = None
_cancel_flags: Any = None
_unstarted: Any = None  # shared count of trainings handed to the workers that none has begun yet
_import_problem: str | None = None


class TensorFlowUnavailable(RuntimeError):
    """TensorFlow cannot be imported in the worker; the message says why and what to do, in one sentence."""


def tensorflow_problem(error: ImportError) -> str:
    """One sentence for a person: TensorFlow cannot be imported, why, and what to do about it."""
    version = ".".join(map(str, sys.version_info[:3]))
    return (
        f"Training needs TensorFlow, which cannot be imported in this Python {version} ({error}): install "
        "requirements.txt in a Python that TensorFlow has wheels for, such as 3.12 (on Streamlit Community "
        "Cloud, choose it under Advanced settings)."
    )


def _exit_with_parent() -> None:
    """Exit as soon as the parent is gone, so a killed server leaves no orphans behind."""
    parent = multiprocessing.parent_process()
    if parent is None:
        return

    def watch() -> None:
        parent.join()  # Returns when the parent process ends, however it ends.
        os._exit(0)

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()


def initialise(progress_queue: Any, cancel_flags: Any, unstarted: Any) -> None:
    """The pool's initializer: keep the channels, behave well as a child, import TensorFlow early.

    `unstarted` is a shared integer (with a lock): how many trainings are waiting for a worker to begin them.
    """
    global _progress_queue, _cancel_flags, _unstarted
    _progress_queue, _cancel_flags, _unstarted = progress_queue, cancel_flags, unstarted
    # Ctrl-C in the server's terminal reaches the whole process group; the parent shuts workers down cleanly,
    # so they must not each die with a KeyboardInterrupt traceback.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _exit_with_parent()
    # Below the web server in CPU priority: pages stay responsive (first paint, reruns, other visitors) while a
    # worker imports TensorFlow or trains; the worker still gets every cycle the server leaves idle.
    with contextlib.suppress(AttributeError, OSError):
        os.nice(WORKER_NICENESS)
    # A worker retired with its pool would otherwise spend seconds in interpreter teardown with TensorFlow
    # loaded, holding its memory while the fresh pool's worker starts. By the time exit handlers run,
    # multiprocessing has flushed the progress queue, so nothing is lost by leaving at once.
    atexit.register(os._exit, 0)
    # The parent learns its workers' pids from here rather than from the executor's internals.
    progress_queue.put((None, "worker", os.getpid()))
    # Pay for importing TensorFlow, and for the one-time set-up of a process's first training, when the worker
    # starts, not when the first visitor's training does. A failed import must not kill the worker (the pool
    # would only report a crash): each training then says what is wrong.
    global _import_problem
    try:
        from forecast.models.lstm import trainer
    except ImportError as error:
        _import_problem = tensorflow_problem(error)
        return
    # The warm-up only saves time: if it fails, the first real training meets the same problem and reports it.
    # It is skipped when a training already waits (a first visit's): that training pays the same one-time costs,
    # and would otherwise wait for the warm-up too (measured: its result 0.45 s later).
    if unstarted.value == 0:
        with contextlib.suppress(Exception):
            trainer.warm_up()


def warm_up() -> int:
    """A no-op task that makes the pool start a worker (importing TensorFlow, warming up) before anyone trains."""
    return os.getpid()


def is_flagged(flags: Any, number: int) -> bool:
    """Whether the cancel flags (the shared array) say that training `number` is cancelled."""
    return flags[number % CANCEL_SLOTS] == number + 1


def is_cancelled(number: int) -> bool:
    return is_flagged(_cancel_flags, number)


def train_group(
    numbers: list[int],
    configs: list[dict[str, Any]],
    folds: list[dict[str, Any]],
    datasets: list[Dataset | None],
) -> list[int]:
    """Train a group of configs, each on its fold, as `pipeline.compute_many` does (teams, shared baselines),
    streaming each one's progress and then its result to the parent.

    Each result goes on the same queue as its progress, after it, so the parent never sees a job finish before
    its last epoch. A dataset is the fold's series prepared by the app (needed for an uploaded file, which the
    worker cannot read); without it the worker builds it. A cancelled training stops at its next chunk of epochs
    and sends no result; the others go on. Returns the numbers whose results were sent (the parent may see this
    before the results themselves, which come on the queue).
    """
    if _unstarted is not None:
        with _unstarted.get_lock():
            _unstarted.value -= 1
    if _import_problem is not None:
        raise TensorFlowUnavailable(_import_problem)
    from forecast.run import pipeline

    wanted = [k for k, number in enumerate(numbers) if not is_cancelled(number)]
    if not wanted:
        return []
    for k in wanted:
        _progress_queue.put((numbers[k], "started", os.getpid()))
    configs_wanted = [Config(**configs[k]) for k in wanted]
    prepared = [
        datasets[k] if datasets[k] is not None else make_dataset(config, fold=Fold(**folds[k]))
        for k, config in zip(wanted, configs_wanted, strict=True)
    ]
    sent = []

    def send(index: int, result: Result) -> None:  # each result as soon as its team has it
        _progress_queue.put((numbers[wanted[index]], "result", result))
        sent.append(numbers[wanted[index]])

    pipeline.compute_many(configs_wanted, prepared, [_reporter(numbers[k]) for k in wanted], on_result=send)
    return sent


def _reporter(number: int) -> Callable[[EpochReport], None]:
    """Training `number`'s progress callback: each epoch to the parent, or TrainingCancelled once it is flagged."""

    def report(epoch_report: EpochReport) -> None:
        if is_cancelled(number):
            # Said at once: the parent ends this training now, while the rest of its team goes on training.
            _progress_queue.put((number, "stopped", None))
            raise TrainingCancelled
        _progress_queue.put((number, "epoch", epoch_report))

    return report
