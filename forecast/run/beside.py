"""Work done in a spawned process beside this one: the command line's classical fits while it imports TensorFlow.

Importing TensorFlow and setting up the first training keep one CPU busy for 2–3 s and leave the other idle; a
run's ARIMA and ETS fits (about a second per fold on airline passengers) fill it, and go on beside the training.
A plain `multiprocessing.Process` and a pipe rather than a `ProcessPoolExecutor`: the executor has no way to end
its worker before Python 3.14, so a Ctrl-C waited seconds for the fit in progress (measured: 4.4 s against 0.5 s
without the side process); a process can be terminated at once.
"""

from __future__ import annotations

import multiprocessing
import signal
from collections.abc import Callable, Hashable, Mapping
from typing import Any

__all__ = ["Beside"]


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


def _one_blas_thread() -> None:
    """numpy's and scipy's OpenBLAS on one thread each.

    OpenBLAS's threads spin while they wait for work; beside a training that keeps both CPUs busy they took the
    CPU from it and from each other (measured on 2 cores: each fold's fits 0.9 s alone, 2.8–7.8 s beside the
    training, and the whole run 10 % slower than without a side process). The fits are small matrices, which
    one thread does as fast. threadpoolctl limits the libraries already loaded, so scipy's linear algebra (what
    statsmodels' filters call) is imported first.
    """
    import scipy.linalg  # noqa: F401
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=1)
