import operator
import os
import signal
import time

import pytest

from forecast.run.beside import Beside


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
