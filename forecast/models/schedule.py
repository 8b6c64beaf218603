"""Learning-rate schedules: Adam's step size for each epoch of a training, from the config alone."""

from __future__ import annotations

import math

import numpy as np

from forecast.config.catalogue import SCHEDULES

__all__ = ["SCHEDULES", "learning_rates"]


def learning_rates(schedule: str, learning_rate: float, epochs: int) -> np.ndarray:
    """The step size of every epoch, (epochs,) float64.

    constant: `learning_rate` throughout (Keras's default, the original recipe). cosine: half a cosine from
    `learning_rate` in the first epoch down towards zero, lr·(1 + cos(π·epoch/epochs))/2 for epoch 0, 1, …:
    large steps early travel fast, small steps late settle into the minimum instead of bouncing around it.
    """
    if schedule == "constant":
        return np.full(epochs, learning_rate, dtype=np.float64)
    if schedule == "cosine":
        # Scalar math.cos, written exactly so in the exported script: both give the same float, bit for bit.
        return np.array([learning_rate * 0.5 * (1.0 + math.cos(math.pi * epoch / epochs)) for epoch in range(epochs)])
    raise ValueError(f"schedule must be one of {', '.join(SCHEDULES)}; got {schedule!r}")
