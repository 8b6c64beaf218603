import operator
import os
import signal
import threading
import time

import pytest
from threadpoolctl import threadpool_info

from forecast.run.beside import Beside, BesideThread, start_beside


def _pid_then(value):
    return os.getpid(), value


def _divide(numerator, denominator):
    return numerator / denominator


def _sleep(seconds):
    time.sleep(seconds)
    return seconds


def test_answers_come_from_another_process_whatever_order_they_are_asked_in():
    beside = Beside(_pid_then, {"a": (1,), "b": (2,), "c": (3,)})
    try:
        pid_c, value_c = beside.result("c")
        pid_a, value_a = beside.result("a")
        assert (value_a, value_c) == (1, 3) and pid_a == pid_c != os.getpid()
        assert beside.result("b")[1] == 2 and beside.result("a")[1] == 1  # asked twice: the same answer
        assert beside.result("not a job") is None
    finally:
        beside.close()


def test_an_exception_is_raised_where_its_answer_is_asked_for():
    beside = Beside(_divide, {"fails": (1, 0), "works": (6, 3)})
    try:
        with pytest.raises(ZeroDivisionError):
            beside.result("fails")
        assert beside.result("works") == 2
    finally:
        beside.close()


def test_a_process_that_died_gives_no_answer_and_close_ends_a_busy_one():
    beside = Beside(operator.add, {"first": (1, 2)})
    assert beside.result("first") == 3
    beside.close()
    busy = Beside(_sleep, {"long": (60,), "after": (0,)})
    started = time.perf_counter()
    busy.close()
    assert time.perf_counter() - started < 10 and busy.result("long") is None
    killed = Beside(_sleep, {"long": (60,)})
    time.sleep(1)
    os.kill(killed._process.pid, signal.SIGKILL)
    assert killed.result("long") is None  # the caller then does the work itself
    killed.close()


def _thread_then(value):
    return threading.get_ident(), value


def _blas_threads():
    return {library["filepath"]: library["num_threads"] for library in threadpool_info()}


def test_a_thread_answers_in_any_order_and_raises_where_asked():
    beside = BesideThread(_thread_then, {"a": (1,), "b": (2,)})
    assert beside.result("b")[1] == 2 and beside.result("a")[1] == 1 and beside.result("not a job") is None
    assert beside.result("a")[0] != threading.get_ident()
    failing = BesideThread(_divide, {"fails": (1, 0), "works": (6, 3)})
    with pytest.raises(ZeroDivisionError):
        failing.result("fails")
    assert failing.result("works") == 2


def test_closing_a_thread_does_not_wait_for_its_job_and_starts_no_other():
    beside = BesideThread(_sleep, {"long": (1.5,), "after": (0,)})
    time.sleep(0.2)
    started = time.perf_counter()
    beside.close()
    assert time.perf_counter() - started < 0.1  # a Stop is not held up by the fit in progress
    assert beside.result("after") is None  # never started: the caller does the work itself
    beside._thread.join(timeout=5)
    assert not beside._thread.is_alive()


def test_openblas_runs_on_one_thread_while_a_thread_works_and_is_restored_after():
    before = _blas_threads()
    beside = BesideThread(_blas_threads, {"during": ()})
    during = beside.result("during")
    beside._thread.join(timeout=5)
    assert during and set(during.values()) == {1}
    assert _blas_threads() == before


def test_start_gives_a_process_or_a_thread_as_asked():
    process = start_beside(_pid_then, {"a": (1,)}, process=True)
    thread = start_beside(_pid_then, {"a": (1,)}, process=False)
    try:
        assert isinstance(process, Beside) and process.result("a")[0] != os.getpid()
        assert isinstance(thread, BesideThread) and thread.result("a") == (os.getpid(), 1)
    finally:
        process.close()
        thread.close()
