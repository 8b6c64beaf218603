"""Training progress, as plain data: the report a trainer gives after each epoch, and how a caller stops it."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

__all__ = ["EpochReport", "ProgressCallback", "TrainingCancelled"]


@dataclasses.dataclass(frozen=True)
class EpochReport:
    """Progress after one epoch: losses are MSE in the model's (scaled) units."""

    epoch: int  # 1-based
    epochs: int
    loss: float
    val_loss: float  # on the test windows: watched only, never used to steer training
    elapsed: float  # seconds since training started


# Called once per finished epoch; it may raise `TrainingCancelled` to stop the training.
ProgressCallback = Callable[[EpochReport], None]


class TrainingCancelled(Exception):
    """Raised by a progress callback to stop a training between epochs."""
