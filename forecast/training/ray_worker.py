"""The Ray task body: one training inside a Ray worker, its progress streamed back to the driver.

This is where TensorFlow is imported on a cluster, never in the driver.
"""

from __future__ import annotations

import os
import queue
import threading
from typing import Any

from forecast.config import Config
from forecast.data import Dataset, Fold, make_dataset
from forecast.models.progress import EpochReport, TrainingCancelled

__all__ = ["train_in_ray_worker"]


def train_in_ray_worker(config_fields: dict[str, Any], fold_fields: dict[str, Any], dataset: Dataset | None) -> Any:
    """The task body: train one config on one fold, yielding ("started", pid), ("epoch", report)…, ("key", …),
    ("result", …).

    A generator, so that Ray streams the progress back while the task runs. Training runs in a thread of the
    worker because a progress callback cannot yield; the task's own thread relays its messages. `ray.cancel`
    raises KeyboardInterrupt in the task's thread, which sets the cooperative cancel flag that the progress
    callback checks: training stops at its next chunk of epochs, as it does in a local worker.
    """
    # Imported here, in the Ray worker: this is where TensorFlow is imported, never in the driver.
    from forecast.run import keys, pipeline

    config, fold = Config(**config_fields), Fold(**fold_fields)
    dataset = dataset if dataset is not None else make_dataset(config, fold=fold)
    messages: queue.Queue[tuple[str, Any]] = queue.Queue()
    cancelled = threading.Event()

    def report(epoch_report: EpochReport) -> None:
        if cancelled.is_set():
            raise TrainingCancelled
        messages.put(("epoch", epoch_report))

    def train() -> None:
        try:
            messages.put(("result", pipeline.compute(config, dataset, progress=report)))
        except TrainingCancelled:
            messages.put(("cancelled", None))
        except BaseException as error:  # Handed to the task's thread, which raises it to Ray.
            messages.put(("error", error))

    trainer = threading.Thread(target=train, name="training", daemon=True)
    yield ("started", os.getpid())
    trainer.start()
    try:
        yield from _relay(messages, keys.result_key(config, fold))
    finally:
        # Cancelled, or the driver stopped reading: stop the training too, and wait for it, so that the worker
        # is idle (and TensorFlow not mid-step) before Ray gives it another task.
        cancelled.set()
        trainer.join()


def _relay(messages: queue.Queue[tuple[str, Any]], key: str) -> Any:
    """Yield the training thread's epochs, then the worker's cache key and the result; raise its error."""
    while True:
        try:
            # A timeout keeps this thread in Python code, where Ray's KeyboardInterrupt can arrive.
            kind, payload = messages.get(timeout=0.1)
        except queue.Empty:
            continue
        if kind == "epoch":
            yield kind, payload
        elif kind == "result":
            # The key this worker's libraries give the config: the driver accepts the result only if it is the
            # driver's own key, so a node with other TensorFlow or numpy versions never fills the cache.
            yield "key", key
            yield kind, payload
            return
        elif kind == "cancelled":
            return
        else:
            raise payload
