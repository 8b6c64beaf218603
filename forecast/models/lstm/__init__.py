"""The stacked LSTM: TensorFlow set-up, the Keras network, the fused ops and the trainer.

The only part of the package that imports TensorFlow; importing this package itself does not.
"""

from __future__ import annotations

from forecast.config import Config

__all__ = ["structure"]


def structure(config: Config) -> tuple:
    """What networks must share to train as one team: their layers (the data, seed, schedule, epochs, batch size
    and early stopping may differ). Here, not in the trainer, so that a run can plan its teams before it pays for
    importing TensorFlow."""
    return (config.lookback, config.layers, config.units, config.dense_layers, config.dropout)
