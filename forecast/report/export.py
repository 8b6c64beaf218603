"""A standalone Python script (numpy + Keras) that reproduces one config's data, model and training."""

from __future__ import annotations

import functools
import json
import string
from pathlib import Path

import numpy as np

from forecast.config import MAX_UNROLLED_LOOKBACK, Config
from forecast.data import chain_of, sources

__all__ = ["TEMPLATE_PATH", "standalone_script"]

# The script's text, with $-placeholders filled in by `standalone_script` (string.Template: nothing is evaluated).
TEMPLATE_PATH = Path(__file__).resolve().parent / "export_script.py.tmpl"


@functools.cache
def _template() -> string.Template:
    return string.Template(TEMPLATE_PATH.read_text(encoding="utf-8"))


def _layers(config: Config) -> str:
    unroll = config.lookback <= MAX_UNROLLED_LOOKBACK
    layers = []
    for index in range(config.layers):
        last = index == config.layers - 1
        layers.append(f"        keras.layers.LSTM({config.units}, return_sequences={not last}, unroll={unroll}),")
        if not last and config.dropout > 0:
            layers.append(f"        keras.layers.Dropout({config.dropout!r}),")
    layers += [f'        keras.layers.Dense({config.units}, activation="relu"),'] * config.dense_layers
    layers.append("        keras.layers.Dense(outputs),  # 1, or the direct strategy's head")
    return "\n".join(layers)


def _transform(config: Config) -> str:
    """Code that defines `transform` (the series the network models) and its exact inverses."""
    chain = chain_of(config)
    season = f"SEASON = {config.season_length}  # the series' season (0: none): MASE's seasonal naive\n"
    if chain.is_identity:
        return season + (
            "\n\ndef transform(values):\n    return values  # the network models the values themselves\n\n\n"
            "def invert_one_step(values, predicted, origin):\n    return predicted\n\n\n"
            "def invert_recursive(history, predicted):\n    return predicted\n"
        )
    return season + _TRANSFORM_CODE.format(
        describe=chain.describe(),
        transform=repr(config.transform),
        difference=config.difference,
        seasonal_difference=config.seasonal_difference,
    )


# The transform and its inverses, exactly as forecast.data.transform computes them.
_TRANSFORM_CODE = """
# --- transform --------------------------------------------------------------------------------------------
# The network models y after {describe}; its forecasts are turned back into y's units.
TRANSFORM = {transform}  # none, or log: model log(y) (every value must be above 0)
DIFFERENCE = {difference}  # order of the first difference: 0, 1 or 2
SEASONAL_DIFFERENCE = {seasonal_difference}  # 1: also the difference between seasons
# The differencing (1 - B)^DIFFERENCE (1 - B^SEASON)^SEASONAL_DIFFERENCE as a polynomial in the backshift B:
# z[t] = sum over k of coefficients[k] * working[t - k], with coefficients[0] = 1.
coefficients = np.array([1.0])
for _ in range(DIFFERENCE):
    coefficients = np.convolve(coefficients, [1.0, -1.0])
if SEASONAL_DIFFERENCE:
    seasonal = np.zeros(SEASON + 1)
    seasonal[0], seasonal[-1] = 1.0, -1.0
    coefficients = np.convolve(coefficients, seasonal)
LOST = len(coefficients) - 1  # the first LOST values have no difference
lags = np.flatnonzero(coefficients)[1:]


def working(values):
    return np.log(values) if TRANSFORM == "log" else np.asarray(values, dtype=float)


def original(levels):
    return np.exp(levels) if TRANSFORM == "log" else levels


def transform(values):
    return np.convolve(working(values), coefficients, mode="valid")  # entry i belongs to values[i + LOST]


def invert_one_step(values, predicted, origin):
    \"\"\"One-step: each predicted change is added to the TRUE previous values.\"\"\"
    history = np.zeros(len(predicted))
    for lag in lags:
        history += coefficients[lag] * working(values)[origin - lag : origin - lag + len(predicted)]
    return original(predicted - history)


def invert_recursive(history, predicted):
    \"\"\"Recursive: from the origin on, the previous values are the forecast's own, so its errors accumulate.\"\"\"
    path = np.concatenate([working(history)[len(history) - LOST :], np.empty(len(predicted))])
    for step, change in enumerate(predicted):
        path[LOST + step] = change - float(np.dot(coefficients[lags], path[LOST + step - lags]))
    return original(path[LOST:])
"""


def _split(config: Config) -> str:
    if config.test_size > 0:
        return f"N_TEST = {config.test_size}  # the last N_TEST values are held out\n"
    return (
        "# The holdout: the windows after int(windows · TRAIN_RATIO), as in the original post.\n"
        "n_windows = len(cut_windows(transform(y))[0])\n"
        "N_TEST = n_windows - int(n_windows * TRAIN_RATIO)\n"
    )


def standalone_script(config: Config, raw_values: np.ndarray | None = None) -> str:
    """Python source that trains `config` the way the playground does and prints its test metrics as JSON.

    `raw_values` is the series before noise, needed for a dataset or an uploaded file (an expression is written
    out as numpy code; an upload's values are those after its fill mode). The script seeds Keras, shuffles each
    epoch in the playground's order, uses `keras.optimizers.Adam` with the config's learning-rate schedule, and
    applies the config's transform and differencing (inverting the forecasts exactly), holdout, early stopping and
    multi-step strategy (the direct strategy's output head, its targets and forecasts), so its numbers match the
    app's up to floating-point rounding. An ensemble's script trains its first network.
    """
    member = config.member(0) if config.ensemble > 1 else config
    return _template().substitute(
        settings=json.dumps(member.to_dict(), indent=4).replace("\n", "\n# "),
        seed=member.seed,
        lookback=member.lookback,
        train_ratio=repr(member.train_ratio),
        scaling=repr(member.scaling),
        backtest_windows=member.backtest_windows,
        horizon=member.horizon,
        patience=member.patience,
        validation_ratio=repr(member.validation_ratio),
        epochs=member.epochs,
        batch_size=member.batch_size,
        learning_rate=repr(member.learning_rate),
        schedule=repr(member.schedule),
        strategy=repr(member.strategy),
        snapshot_every=member.snapshot_every,
        noise=repr(member.noise),
        data=sources.get(member.source).export_snippet(member, raw_values),
        transform=_transform(member),
        split=_split(member),
        layers=_layers(member),
        truth=sources.get(member.source).export_truth(member),
    )
