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
        layers.append(f"    keras.layers.LSTM({config.units}, return_sequences={not last}, unroll={unroll}),")
        if not last and config.dropout > 0:
            layers.append(f"    keras.layers.Dropout({config.dropout!r}),")
    layers += [f'    keras.layers.Dense({config.units}, activation="relu"),'] * config.dense_layers
    layers.append("    keras.layers.Dense(1),")
    return "\n".join(layers)


def _scaling(config: Config) -> str:
    if config.scaling == "standard":
        return (
            "seen = z[: split + LOOKBACK]  # every value the training windows and targets contain, nothing later\n"
            "MEAN, STD = seen.mean(), (seen.std() or 1.0)\n"
        )
    return "MEAN, STD = 0.0, 1.0  # no scaling, as in the original post\n"


def _transform(config: Config) -> str:
    """Code that defines `z`, the series the network models: y itself, or its log and differences."""
    chain = chain_of(config)
    if chain.is_identity:
        return "z = y  # the network models the values themselves\n"
    lines = [
        "",
        "# --- transform " + "-" * 89,
        f"# The network models y after {chain.describe()}; its forecasts are turned back into y's units below.",
        f"TRANSFORM = {config.transform!r}  # none, or log: model log(y) (every value must be above 0)",
        f"DIFFERENCE = {config.difference}  # order of the first difference: 0, 1 or 2",
        f"SEASONAL_DIFFERENCE = {config.seasonal_difference}  # 1: also the difference between seasons",
        f"SEASON_LENGTH = {config.season_length}",
        'working = np.log(y) if TRANSFORM == "log" else y',
        "# The differencing (1 - B)^DIFFERENCE (1 - B^SEASON_LENGTH)^SEASONAL_DIFFERENCE as a polynomial in the",
        "# backshift B: z[t] = sum over k of coefficients[k] * working[t - k], with coefficients[0] = 1.",
        "coefficients = np.array([1.0])",
        "for _ in range(DIFFERENCE):",
        "    coefficients = np.convolve(coefficients, [1.0, -1.0])",
        "if SEASONAL_DIFFERENCE:",
        "    seasonal = np.zeros(SEASON_LENGTH + 1)",
        "    seasonal[0], seasonal[-1] = 1.0, -1.0",
        "    coefficients = np.convolve(coefficients, seasonal)",
        "LOST = len(coefficients) - 1  # the first LOST values have no difference",
        "lags = np.flatnonzero(coefficients)[1:]",
        'z = np.convolve(working, coefficients, mode="valid")  # z[i] belongs to y[i + LOST]',
    ]
    return "\n".join(lines) + "\n"


def _split(config: Config) -> str:
    if config.test_size > 0:
        return (
            f"TEST_SIZE = {config.test_size}  # the last TEST_SIZE values are held out\n"
            "split = len(windows) - TEST_SIZE\n"
        )
    return "split = int(len(windows) * TRAIN_RATIO)\n"


def _watch(config: Config) -> str:
    """Early stopping's set-up: the last share of the training windows is watched, not trained on."""
    if config.patience == 0:
        return ""
    return (
        f"PATIENCE = {config.patience}  # epochs without a better validation loss before training stops\n"
        f"VALIDATION_RATIO = {config.validation_ratio!r}\n"
        "# Early stopping watches the last VALIDATION_RATIO of the training windows (chronologically, never the test\n"
        "# part), trains on the ones before, and keeps the weights of the epoch with the lowest validation loss.\n"
        "n_fit = len(train_x) - max(1, round(len(train_x) * VALIDATION_RATIO))\n"
        "train_x, watch_x = train_x[:n_fit], train_x[n_fit:]\n"
        "train_y, watch_y = train_y[:n_fit], train_y[n_fit:]\n"
        'watch_inputs = scale(watch_x)[..., np.newaxis].astype("float32")\n'
        'watch_outputs = scale(watch_y).astype("float32")\n'
        "best_loss, best_epoch, best_weights, waited = math.inf, 0, None, 0\n"
    )


def _stop(config: Config) -> str:
    if config.patience == 0:
        return ""
    return (
        "    watch_loss = float(tf.reduce_mean(tf.square(model(watch_inputs, training=False)[:, 0] - watch_outputs)))\n"
        "    if watch_loss < best_loss:\n"
        "        best_loss, best_epoch, best_weights, waited = watch_loss, epoch + 1, model.get_weights(), 0\n"
        "    else:\n"
        "        waited += 1\n"
        "    if waited >= PATIENCE:\n"
        "        break\n"
        "if best_weights is not None:\n"
        "    model.set_weights(best_weights)\n"
        'print(f"early stopping: {epoch + 1} epochs run, the weights of epoch {best_epoch} kept", flush=True)\n'
    )


def _invert(config: Config) -> str:
    """Code that turns the transformed forecasts back into the series' units."""
    chain = chain_of(config)
    if chain.is_identity:
        return ""
    back = "np.exp({})" if config.transform == "log" else "{}"
    return (
        "\n# Back to the series' units. One-step: each predicted change is added to the TRUE previous values.\n"
        "origin = len(y) - len(test_y)  # index in y of the first held-out value\n"
        "history = np.zeros(len(test_y))\n"
        "for lag in lags:\n"
        "    history += coefficients[lag] * working[origin - lag : origin - lag + len(test_y)]\n"
        f"one_step = {back.format('one_step - history')}\n"
        "# Recursive: from the origin on, the previous values are the forecast's own, so its errors accumulate.\n"
        "path = np.concatenate([working[origin - LOST : origin], np.empty(len(recursive))])\n"
        "for step, change in enumerate(recursive):\n"
        "    path[LOST + step] = change - float(np.dot(coefficients[lags], path[LOST + step - lags]))\n"
        f"recursive = {back.format('path[LOST:]')}\n"
    )


def standalone_script(config: Config, raw_values: np.ndarray | None = None) -> str:
    """Python source that trains `config` the way the playground does and prints its test metrics as JSON.

    `raw_values` is the series before noise, needed for a dataset or an uploaded file (an expression is written
    out as numpy code; an upload's values are those after its fill mode). The script seeds Keras, shuffles each
    epoch in the playground's order, uses `keras.optimizers.Adam` with the config's learning-rate schedule, and
    applies the config's transform and differencing (inverting the forecasts exactly), holdout and early stopping,
    so its numbers match the app's up to floating-point rounding. An ensemble's script trains its first network.
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
        transform=_transform(member),
        split=_split(member),
        scaling=_scaling(member),
        layers=_layers(member),
        watch=_watch(member),
        stop=_stop(member),
        invert=_invert(member),
    )
