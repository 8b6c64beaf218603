"""Work done beside the training: a run's classical fits, in a spawned process or on a thread of this one.

Importing TensorFlow and setting up the first training keep one CPU busy for 2–3 s and leave the other idle; a
run's ARIMA and ETS fits (about a second per fold on airline passengers) fill it, and go on beside the training.

`Beside` is a spawned process, for the command line before it imports TensorFlow: a plain
`multiprocessing.Process` and a pipe rather than a `ProcessPoolExecutor`, which has no way to end its worker
before Python 3.14, so a Ctrl-C waited seconds for the fit in progress (measured: 4.4 s against 0.5 s without the
side process); a process can be terminated at once. `BesideThread` is a thread, for a process that has TensorFlow
loaded already (the app's workers), where a second process would cost its 250 MB for 3 %: TensorFlow runs a
training's steps without holding the GIL, and with OpenBLAS on one thread a thread shortened one network's
airline run in the app's worker from 2.4 to 2.0 s (teams of several networks keep both CPUs busy and gain
nothing: `forecast.run.pipeline` fits theirs in turn).
"""

from __future__ import annotations

import contextlib
import multiprocessing
import signal
import threading
from collections.abc import Callable, Hashable, Iterator, Mapping
from typing import Any

__all__ = ["Beside", "BesideThread", "start_beside"]


def start_beside(
    function: Callable[..., Any], jobs: Mapping[Hashable, tuple], *, process: bool
) -> Beside | BesideThread:
    """`Beside` if `process` (and one can be started), else `BesideThread`."""
    if process:
        try:
            return Beside(function, jobs)
        except OSError:  # no process to be had (a process limit, no memory): a thread of this one
            pass
    return BesideThread(function, jobs)


class Beside:
    """Calls `function(*arguments)` for each job in a spawned process, in the order given, and hands back the
    answers as they are asked for.

    The caller's main module must be importable without side effects (`if __name__ == "__main__":`), as for any
    spawned process: the child imports it.
    """

    def __init__(self, function: Callable[..., Any], jobs: Mapping[Hashable, tuple]) -> None:
        context = multiprocessing.get_context("spawn")
        self._keys = list(jobs)
        self._answers: dict[Hashable, Any] = {}
        self._receiver, sender = context.Pipe(duplex=False)
        # Daemonic: multiprocessing ends it when this process exits, however the run ended.
        self._process = context.Process(target=_serve, args=(function, list(jobs.values()), sender), daemon=True)
        self._process.start()
        sender.close()  # the child holds the only sending end, so its death reads as end of file here

    def result(self, key: Hashable) -> Any | None:
        """The answer for `key`, waiting for it; its exception is raised here. None if `key` is not one of the
        jobs or the process died before it answered (the caller then does the work itself)."""
        if key not in self._keys:
            return None
        while key not in self._answers:
            try:
                index, answer = self._receiver.recv()
            except (EOFError, OSError):
                return None
            self._answers[self._keys[index]] = answer
        answer = self._answers[key]
        if isinstance(answer, BaseException):
            raise answer
        return answer

    def close(self) -> None:
        """End the process now, whatever it is doing (it has nothing left to do once every answer was read)."""
        if self._process.is_alive():
            self._process.terminate()
        self._process.join(timeout=5)
        self._receiver.close()


def _serve(function: Callable[..., Any], jobs: list[tuple], sender: Any) -> None:
    # Ctrl-C in a terminal reaches the whole process group: the parent handles it and ends this process.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _one_blas_thread()
    for index, arguments in enumerate(jobs):
        try:
            answer = function(*arguments)
        except Exception as error:  # handed over, to be raised where the answer is asked for
            answer = error
        try:
            sender.send((index, answer))
        except OSError:  # the parent is gone
            return


class BesideThread:
    """Calls `function(*arguments)` for each job on a daemon thread of this process, in the order given, and
    hands back the answers as they are asked for; the same interface as `Beside`.

    `function` must not change process-wide state that the caller's thread uses at the same time. The classical
    fits silence statsmodels' warnings with `warnings.catch_warnings`, whose filters are process-wide: the
    training thread enters no `catch_warnings` of its own while they run (tests/run/test_pipeline.py checks it),
    so the two never restore each other's filters.
    """

    def __init__(self, function: Callable[..., Any], jobs: Mapping[Hashable, tuple]) -> None:
        self._keys = list(jobs)
        self._answers: dict[Hashable, Any] = {}
        self._finished = False
        self._changed = threading.Condition()
        self._closed = threading.Event()
        arguments = (function, list(jobs.values()))
        self._thread = threading.Thread(target=self._serve, args=arguments, name="fits-beside", daemon=True)
        self._thread.start()

    def result(self, key: Hashable) -> Any | None:
        """The answer for `key`, waiting for it; its exception is raised here. None if `key` is not one of the
        jobs or the thread was closed before it answered (the caller then does the work itself)."""
        if key not in self._keys:
            return None
        with self._changed:
            self._changed.wait_for(lambda: key in self._answers or self._finished)
        if key not in self._answers:
            return None
        answer = self._answers[key]
        if isinstance(answer, BaseException):
            raise answer
        return answer

    def close(self) -> None:
        """Start no further job, without waiting: a fit in progress (a second or two) ends on its own, unseen,
        so that a Stop is not held up by it."""
        self._closed.set()

    def _serve(self, function: Callable[..., Any], jobs: list[tuple]) -> None:
        try:
            with _one_blas_thread_meanwhile():
                for key, arguments in zip(self._keys, jobs, strict=True):
                    if self._closed.is_set():
                        return
                    try:
                        answer = function(*arguments)
                    except Exception as error:  # handed over, to be raised where the answer is asked for
                        answer = error
                    with self._changed:
                        self._answers[key] = answer
                        self._changed.notify_all()
        finally:
            with self._changed:
                self._finished = True
                self._changed.notify_all()


# OpenBLAS's thread count is process-wide: the first thread beside sets it to one, the last one restores it.
_blas_lock = threading.Lock()
_blas_users = 0
_blas_limiter: Any = None


@contextlib.contextmanager
def _one_blas_thread_meanwhile() -> Iterator[None]:
    global _blas_users, _blas_limiter
    with _blas_lock:
        if _blas_users == 0:
            _blas_limiter = _one_blas_thread()
        _blas_users += 1
    try:
        yield
    finally:
        with _blas_lock:
            _blas_users -= 1
            if _blas_users == 0:
                _blas_limiter.restore_original_limits()


def _one_blas_thread() -> Any:
    """numpy's and scipy's OpenBLAS on one thread each.

    OpenBLAS's threads spin while they wait for work; beside a training that keeps both CPUs busy they took the
    CPU from it and from each other (measured on 2 cores: each fold's fits 0.9 s alone, 2.8–7.8 s beside the
    training, and the whole run 10 % slower than without a side process). The fits are small matrices, which
    one thread does as fast. threadpoolctl limits the libraries already loaded, so scipy's linear algebra (what
    statsmodels' filters call) is imported first.
    """
    import scipy.linalg  # noqa: F401
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=1)
