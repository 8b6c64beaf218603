"""The Ray backend: each training is a Ray task on a cluster, whose plain Result comes back into the local cache.

The other backend is the local process pool (`forecast.training.pool`); this one is chosen when
`FORECAST_RAY_ADDRESS` (or the CLI's `--ray-address`) names a running cluster (`ray start --head`). Both implement
`forecast.training.backend.Backend`, so the job registry above them (one job per config in flight, subscribers,
grace timers, storing results in the cache) is the same: see `forecast.training.service.TrainingService`.

- TensorFlow is imported only in the Ray worker (the task body imports the training code); the driver, the app
  process, imports Ray but never TensorFlow.
- The task runs the same `pipeline.compute` as a local worker, so the numbers are the same; its Result is plain
  data and goes into the same content-addressed cache, under the same key, in the driver (the service stores it).
  A worker whose libraries give the config another cache key (other TensorFlow or numpy versions) fails the job
  with a message rather than fill the cache with numbers a local training would not reproduce.
- The worker imports the `forecast` package shipped by Ray as a runtime-env `py_modules` entry: the driver's own
  copy of the code, zipped and uploaded once per version to the cluster. So a cluster's nodes need the project's
  dependencies (TensorFlow, numpy, …) but not a checkout of the project, and a worker can never train with other
  code than the driver's, which the cache key (TRAINING_CODE_VERSION) assumes.
- Connecting is bounded: `ray.init` retries an unreachable cluster for many minutes, so the address is first
  checked with a TCP connection and a GCS handshake, each within `connect_timeout`.
- A cluster that disappears is noticed within about a second (the GCS port stops answering); its jobs fail with
  a message and the driver disconnects at once, because Ray's driver otherwise ends the whole process (the web
  server) after a minute without its cluster.
"""

from __future__ import annotations

import atexit
import contextlib
import dataclasses
import logging
import threading
import time
from pathlib import Path
from typing import Any

import ray
import ray.exceptions

from forecast.data import Dataset
from forecast.run.keys import Task
from forecast.run.result import Result
from forecast.training import ray_worker
from forecast.training.backend import JobEvents
from forecast.training.pool import DEFAULT_TRAININGS_PER_WORKER
from forecast.training.ray_address import (
    ADDRESS_VARIABLE,
    DEFAULT_CONNECT_TIMEOUT,
    check_reachable,
    configured_address,
    parse_address,
    port_open,
    unreachable,
)

__all__ = [
    "ADDRESS_VARIABLE",
    "DEFAULT_CONNECT_TIMEOUT",
    "RayBackend",
    "check_reachable",
    "configured_address",
    "parse_address",
]

# How often the dispatcher looks for task output, and how often it checks that the cluster is still there.
POLL_SECONDS = 0.2
HEALTH_CHECK_SECONDS = 1.0
# A whole cluster stopped at once (`ray stop --force`) can end a training's node a moment before its head stops
# answering: a lost node is taken for a lost cluster if the head goes quiet within this long.
NODE_LOSS_GRACE_SECONDS = 2.0
# A cancelled task first gets a KeyboardInterrupt, which stops training at its next chunk of epochs (well within
# a second); one that has not ended after this long (stuck in native code) has its worker process killed.
FORCE_CANCEL_AFTER_SECONDS = 5.0
# The whole `forecast` package (this file is forecast/training/ray_backend.py), shipped to the workers.
PACKAGE_DIRECTORY = Path(__file__).resolve().parent.parent


# --- in the driver (the app process) -----------------------------------------------------------------------


@dataclasses.dataclass(eq=False)
class _Task:
    """One submitted training, while it is in flight: where its news goes and Ray's handle on its output."""

    number: int
    key: str  # the cache key this process gives the config
    events: JobEvents
    generator: Any = None  # Ray's ObjectRefGenerator for the task's output
    cancel_requested: bool = False
    worker_key: str | None = None  # the cache key as computed in the worker, with its library versions
    ended: bool = False


class RayBackend:
    """A `Backend` that trains configs as Ray tasks on the cluster at `address` (default: `FORECAST_RAY_ADDRESS`).

    Connects at once; raises ValueError with one sentence if the cluster cannot be reached within
    `connect_timeout` seconds. A process has one Ray connection, so it should have one backend at a time.
    Trainings beyond the cluster's free CPUs wait in Ray's own queue; `max_concurrent` (for queue positions) is
    the cluster's CPUs divided by `cpus_per_training`, as counted when connecting.

    - `cpus_per_training`: the Ray CPUs each task reserves, hence how many train at once on a node.
    - `trainings_per_worker`: a Ray worker process is replaced after this many trainings (Ray's `max_calls`),
      bounding the memory TensorFlow keeps per trained model, as the local pool does.
    """

    def __init__(
        self,
        address: str | None = None,
        *,
        connect_timeout: float = DEFAULT_CONNECT_TIMEOUT,
        cpus_per_training: float = 1.0,
        trainings_per_worker: int = DEFAULT_TRAININGS_PER_WORKER,
        force_cancel_after: float = FORCE_CANCEL_AFTER_SECONDS,
    ) -> None:
        address = address if address is not None else configured_address()
        if not address:
            raise ValueError(f"no Ray cluster address: set {ADDRESS_VARIABLE} to the HOST:PORT of its head")
        if cpus_per_training <= 0:
            raise ValueError(f"cpus_per_training must be above 0, got {cpus_per_training}")
        if trainings_per_worker < 1:
            raise ValueError(f"trainings_per_worker must be at least 1, got {trainings_per_worker}")
        parse_address(address)
        self.address = address.strip()
        self.connect_timeout = connect_timeout
        self.cpus_per_training = cpus_per_training
        self.force_cancel_after = force_cancel_after
        self.max_concurrent = 1
        self._task = ray.remote(
            num_cpus=cpus_per_training,
            max_calls=trainings_per_worker,
            # A failed training is reported, not silently repeated: the local pool does not retry either, and a
            # retry after a lost node would only fail again later.
            max_retries=0,
        )(ray_worker.train_in_ray_worker)
        self._lock = threading.RLock()  # guards the task table and the connection
        self._tasks: dict[int, _Task] = {}
        self._connected = False
        self._closed = False
        self._wake = threading.Event()
        self._connect()
        self._dispatcher = threading.Thread(target=self._dispatch, name="ray-dispatcher", daemon=True)
        self._dispatcher.start()
        atexit.register(self.shutdown)

    # --- connection ---

    def _connect(self) -> None:
        check_reachable(self.address, self.connect_timeout)
        if ray.is_initialized():
            ray.shutdown()  # Left over from an earlier backend that lost its cluster; one connection per process.
        try:
            ray.init(
                address=self.address,
                runtime_env={"py_modules": [str(PACKAGE_DIRECTORY)], "excludes": ["__pycache__/"]},
                # Worker output stays in the cluster's logs instead of the app's (or the CLI's) standard error.
                log_to_driver=False,
                logging_level=logging.WARNING,
            )
            cpus = float(ray.cluster_resources().get("CPU", 1.0))
        except Exception as error:  # A version mismatch, a node that is not part of the cluster, …
            first_line = str(error).strip().splitlines()[0] if str(error).strip() else ""
            raise unreachable(self.address, f"connecting failed ({type(error).__name__}: {first_line})") from None
        self.max_concurrent = max(1, int(cpus // self.cpus_per_training))
        self._connected = True

    @property
    def connected(self) -> bool:
        return self._connected

    def _lose_cluster(self) -> None:
        """The cluster went away: fail every training in flight with a message, and disconnect."""
        with self._lock:
            if not self._connected:
                return
            self._connected = False
            tasks = list(self._tasks.values())
            for task in tasks:
                task.generator = None
            # At once (it takes a few seconds): Ray's driver otherwise gives up on its cluster after a minute by
            # ending the whole process. Under the lock, so that a submit meanwhile waits and then reconnects.
            with contextlib.suppress(Exception):
                ray.shutdown()
        message = (
            f"the Ray cluster at {self.address} went away during training; nothing was stored — "
            f"start it again, or unset {ADDRESS_VARIABLE} to train locally"
        )
        for task in tasks:
            self._end(task, None, message)

    # --- trainings (the Backend interface) ---

    def submit(self, number: int, task: Task, dataset: Dataset | None, events: JobEvents) -> None:
        """Start training `task` (a config on a fold) as a Ray task (it waits in Ray's queue while the cluster's
        CPUs are busy).

        Reconnects first if the cluster was lost (ValueError if it still cannot be reached). `dataset` is the
        prepared series (required for an uploaded file; otherwise the worker builds it).
        """
        if not self._connected:
            # Checked before taking the lock, so that an unreachable cluster is reported at once even while the
            # dispatcher is still letting go of a lost one.
            check_reachable(self.address, self.connect_timeout)
        with self._lock:
            if self._closed:
                raise RuntimeError("the Ray backend has been shut down")
            if not self._connected:
                self._connect()
            running = _Task(number, task.key, events)
            running.generator = self._task.remote(task.config.to_dict(), dataclasses.asdict(task.fold), dataset)
            self._tasks[number] = running
        self._wake.set()

    def cancel(self, number: int) -> None:
        """Cancel a training: Ray's cancellation interrupts the task (training stops at its next chunk of epochs,
        and a queued task never starts); a task still running `force_cancel_after` seconds later has its worker
        killed."""
        with self._lock:
            task = self._tasks.get(number)
            if task is None or task.ended or task.cancel_requested:
                return
            task.cancel_requested = True
            if task.generator is None or not self._connected:
                return
            with contextlib.suppress(Exception):  # The task may have just finished.
                ray.cancel(task.generator, force=False)
        timer = threading.Timer(self.force_cancel_after, self._force_cancel, args=(task,))
        timer.daemon = True
        timer.start()

    def _force_cancel(self, task: _Task) -> None:
        with self._lock:
            if task.ended or task.generator is None or not self._connected:
                return
            with contextlib.suppress(Exception):
                ray.cancel(task.generator, force=True)

    def in_flight(self) -> list[int]:
        """Numbers of the trainings submitted and not ended, in submission order."""
        with self._lock:
            return sorted(self._tasks)

    def worker_pids(self) -> list[int]:
        """None on this machine that the app should count: Ray's workers belong to the cluster's raylets."""
        return []

    def shutdown(self) -> None:
        """Cancel every training and disconnect from the cluster (the cluster itself keeps running)."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            numbers = list(self._tasks)
        for number in numbers:
            self.cancel(number)
        deadline = time.monotonic() + self.force_cancel_after + 2
        while self.in_flight() and time.monotonic() < deadline:
            time.sleep(0.05)
        self._wake.set()
        self._dispatcher.join(timeout=5)
        with self._lock:
            remaining = list(self._tasks.values())
            if self._connected:
                self._connected = False
                with contextlib.suppress(Exception):
                    ray.shutdown()
        for task in remaining:  # Their end never came back: cancelled.
            self._end(task, None, None)

    # --- the dispatcher thread ---

    def _dispatch(self) -> None:
        """Relay task output to the trainings' events, and watch the cluster, until shut down (and idle)."""
        last_check = time.monotonic()
        while True:
            with self._lock:
                if self._closed and not self._tasks:
                    return
                connected = self._connected
                running = {id(task.generator): task for task in self._tasks.values() if task.generator is not None}
            if self._closed and not connected:
                return
            if not connected or not running:
                self._wake.wait(POLL_SECONDS)
                self._wake.clear()
            else:
                try:
                    ready, _ = ray.wait(
                        [task.generator for task in running.values()], num_returns=1, timeout=POLL_SECONDS
                    )
                except Exception:  # Disconnected meanwhile (shutdown or a lost cluster); the checks below decide.
                    ready = []
                for generator in ready:
                    self._advance(running[id(generator)])
            if connected and time.monotonic() - last_check >= HEALTH_CHECK_SECONDS:
                last_check = time.monotonic()
                if not self._cluster_alive():
                    self._lose_cluster()

    def _cluster_alive(self, grace: float = 0.0) -> bool:
        """Whether the cluster's head answers, now and, given a `grace` in seconds, still after it."""
        host, port = parse_address(self.address)
        deadline = time.monotonic() + grace
        while port_open(host, port, timeout=HEALTH_CHECK_SECONDS) is None:
            if time.monotonic() >= deadline:
                return True
            time.sleep(POLL_SECONDS)
        return False

    def _advance(self, task: _Task) -> None:
        """Take the next item a task produced: progress, its result, or how it ended."""
        try:
            kind, payload = ray.get(next(task.generator))
        except (StopIteration, ray.exceptions.TaskCancelledError):  # Returned without a result: cancelled.
            self._end(task, None, None)
            return
        except ray.exceptions.RayTaskError as error:  # The training itself raised.
            cause = error.cause if getattr(error, "cause", None) is not None else error
            self._end(task, None, f"training failed: {type(cause).__name__}: {cause}")
            return
        except Exception as error:  # The worker, its node or the whole cluster went away (or we disconnected).
            self._failed(task, error)
            return
        if kind == "started":
            task.events.started(payload)
        elif kind == "epoch":
            task.events.epoch(payload)
        elif kind == "key":
            task.worker_key = payload
        elif kind == "result":
            self._accept(task, payload)

    def _failed(self, task: _Task, error: Exception) -> None:
        """A task's output could not be read: a lost cluster, a killed worker (a forced cancel), a lost node."""
        if not self._connected:
            return  # Shut down or lost meanwhile: that path ends every training.
        node_lost = isinstance(error, ray.exceptions.NodeDiedError)
        if not self._cluster_alive(NODE_LOSS_GRACE_SECONDS if node_lost else 0.0):
            self._lose_cluster()  # One message for every training, whichever noticed first.
        elif task.cancel_requested:
            self._end(task, None, None)  # A forced cancel kills the worker: that is the cancellation.
        elif isinstance(error, ray.exceptions.WorkerCrashedError):
            self._end(task, None, "the Ray worker stopped unexpectedly (out of memory?); try a smaller model")
        elif node_lost:
            self._end(task, None, "the Ray node that ran this training went away; train it again")
        else:
            self._end(task, None, f"training on the Ray cluster failed: {type(error).__name__}: {error}")

    def _accept(self, task: _Task, result: Result) -> None:
        if task.worker_key not in (None, task.key):
            self._end(
                task,
                None,
                f"the Ray worker's libraries {result.versions} differ from this process's, so its numbers may "
                "differ from a local training's: install the same versions on the cluster",
            )
        else:
            self._end(task, result, None)

    def _end(self, task: _Task, result: Result | None, error: str | None) -> None:
        with self._lock:
            if task.ended:
                return
            task.ended = True
            task.generator = None
            self._tasks.pop(task.number, None)
        task.events.ended(result, error)
