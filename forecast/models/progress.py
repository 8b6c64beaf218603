"""Training progress, as plain data: the report a trainer gives after each epoch, and how a caller stops it."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import numpy as np

__all__ = ["EpochReport", "ProgressCallback", "Snapshot", "TrainingCancelled"]


@dataclasses.dataclass(frozen=True, eq=False)
class Snapshot:
    """The LSTM's forecasts after one epoch of its training, in the series' own units (config `snapshot_every`).

    A backtest window's: the one-step and recursive forecasts of its test part (`future` empty). The future's: the
    forecast past the series' end (`one_step` and `recursive` empty: it has no test part).
    """

    epoch: int  # 1-based
    loss: float
    val_loss: float
    one_step: np.ndarray
    recursive: np.ndarray
    future: np.ndarray


@dataclasses.dataclass(frozen=True)
class EpochReport:
    """Progress after one epoch: losses are MSE in the model's (scaled) units."""

    epoch: int  # 1-based
    epochs: int
    loss: float
    val_loss: float  # on the test windows: watched only, never used to steer training
    elapsed: float  # seconds since training started
    snapshot: Snapshot | None = None  # the forecasts after this epoch, on the epochs the config takes them


# Called once per finished epoch; it may raise `TrainingCancelled` to stop the training.
ProgressCallback = Callable[[EpochReport], None]


class TrainingCancelled(Exception):
    """Raised by a progress callback to stop a training between epochs."""
