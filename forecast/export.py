"""A standalone Python script (numpy + Keras) that reproduces one config's data, model and training."""

from __future__ import annotations

import functools
import json
import string
from pathlib import Path

import numpy as np

from forecast import sources
from forecast.config import MAX_UNROLLED_LOOKBACK, Config

__all__ = ["NOT_EXPORTED", "TEMPLATE_PATH", "not_exported", "standalone_script"]

# The script's text, with $-placeholders filled in by `standalone_script` (string.Template: nothing is evaluated).
TEMPLATE_PATH = Path(__file__).resolve().parent / "export_script.py.tmpl"


# Real-series settings the script does not reproduce yet: it trains the same network on the untransformed series.
NOT_EXPORTED = ("transform", "difference", "seasonal_difference", "test_size", "patience")


def not_exported(config: Config) -> list[str]:
    """The config's settings that the standalone script leaves out (empty when it reproduces the run)."""
    return [name for name in NOT_EXPORTED if getattr(config, name) != getattr(Config(), name)]


@functools.cache
def _template() -> string.Template:
    return string.Template(TEMPLATE_PATH.read_text(encoding="utf-8"))


def _layers(config: Config) -> str:
    unroll = config.lookback <= MAX_UNROLLED_LOOKBACK
    layers = []
    for index in range(config.layers):
        last = index == config.layers - 1
        layers.append(f"    keras.layers.LSTM({config.units}, return_sequences={not last}, unroll={unroll}),")
        if not last and config.dropout > 0:
            layers.append(f"    keras.layers.Dropout({config.dropout!r}),")
    layers += [f'    keras.layers.Dense({config.units}, activation="relu"),'] * config.dense_layers
    layers.append("    keras.layers.Dense(1),")
    return "\n".join(layers)


def _scaling(config: Config) -> str:
    if config.scaling == "standard":
        return (
            "seen = y[: split + LOOKBACK]  # every value the training windows and targets contain, nothing later\n"
            "MEAN, STD = seen.mean(), (seen.std() or 1.0)\n"
        )
    return "MEAN, STD = 0.0, 1.0  # no scaling, as in the original post\n"


def standalone_script(config: Config, raw_values: np.ndarray | None = None) -> str:
    """Python source that trains `config` the way the playground does and prints its test metrics as JSON.

    `raw_values` is the series before noise, needed for a dataset or an uploaded file (an expression is written
    out as numpy code). The script seeds Keras, shuffles each epoch in the playground's order and uses
    `keras.optimizers.Adam` with the config's learning-rate schedule, so its numbers match the app's up to
    floating-point rounding.
    """
    member = config.member(0) if config.ensemble > 1 else config
    return _template().substitute(
        settings=json.dumps(member.to_dict(), indent=4).replace("\n", "\n# "),
        seed=member.seed,
        lookback=member.lookback,
        train_ratio=repr(member.train_ratio),
        epochs=member.epochs,
        batch_size=member.batch_size,
        learning_rate=repr(member.learning_rate),
        schedule=repr(member.schedule),
        noise=repr(member.noise),
        data=sources.get(member.source).export_snippet(member, raw_values),
        scaling=_scaling(member),
        layers=_layers(member),
    )
