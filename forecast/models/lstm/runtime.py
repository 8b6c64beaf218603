"""TensorFlow for the LSTM: imported quietly, deterministic, with thread pools sized for this process's CPUs.

Every module of `forecast.models.lstm` that needs TensorFlow imports `keras` and `tf` from here, so the set-up
below runs once, before any model is built. Importing this module costs a few seconds; the rest of the package
does not import it, so the app can draw the series before TensorFlow is loaded.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator

from forecast.resources import available_cpus

__all__ = ["INTRA_OP_THREADS", "keras", "tf"]

# One thread per op: this model's ops are far too small to split across cores (measured: two threads per op made
# every step about 30% slower on a 2-core machine, also for 128 units); independent ops still run side by side
# on the inter-op pool, one thread per allowed CPU. (One inter-op thread was 3% faster on a quiet machine, but the
# browser stress test hung once in a full-suite run while it was in place — not reproduced in 7 runs alone, cause
# not found — and a single inter-op thread is where TensorFlow ops that block on each other can deadlock.)
INTRA_OP_THREADS = 1


@contextlib.contextmanager
def _native_stderr_silenced() -> Iterator[None]:
    """Send file descriptor 2 to /dev/null for the duration, unless TF_CPP_MIN_LOG_LEVEL asks for everything.

    TensorFlow's C++ runtime prints its oneDNN and CPU-feature notices while loading, before its logging is set
    up, so TF_CPP_MIN_LOG_LEVEL cannot hide them; they would otherwise open every CLI run and app log.
    """
    if os.environ.get("TF_CPP_MIN_LOG_LEVEL", "2") == "0":
        yield
        return
    sys.stderr.flush()
    saved = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    try:
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
with _native_stderr_silenced():
    import keras
    import tensorflow as tf


def _configure_tensorflow() -> None:
    # Same config, same numbers: deterministic kernels, and thread pools sized from the CPUs this process may
    # use rather than the host's (a container on a 64-core host must not start 64 threads).
    tf.config.experimental.enable_op_determinism()
    # Grappler rewrites every newly traced training function before its first run; for this loop of a few fused
    # kernels it finds nothing that speeds up the steps, and the rewrite itself cost about half of the first
    # call's set-up (measured: 0.13 s → 0.06 s per training, steps equally fast).
    tf.config.optimizer.set_experimental_options({"disable_meta_optimizer": True})
    try:
        tf.config.threading.set_intra_op_parallelism_threads(INTRA_OP_THREADS)
        tf.config.threading.set_inter_op_parallelism_threads(available_cpus())
    except RuntimeError:
        pass  # The runtime was already initialised by the embedding program; keep its pools.


_configure_tensorflow()
