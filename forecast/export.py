"""A standalone Python script (numpy + Keras) that reproduces one config's data, model and training."""

from __future__ import annotations

import json

import numpy as np

from forecast import expressions
from forecast.config import MAX_UNROLLED_LOOKBACK, Config

__all__ = ["standalone_script"]


def _data_section(config: Config, raw_values: np.ndarray | None) -> str:
    if config.source == "expression":
        return (
            f"# f(x) = {config.expression}, sampled from {config.x_start!r} (inclusive) to {config.x_end!r} "
            f"(exclusive) in steps of {config.x_step!r}.\n"
            f"x = {config.x_start!r} + {config.x_step!r} * np.arange({config.n_points})\n"
            f"y = {expressions.to_numpy_source(config.expression)}\n"
        )
    if raw_values is None:
        raise ValueError("a dataset or uploaded series needs its values to be exported")
    values = ", ".join(repr(float(value)) for value in np.asarray(raw_values, dtype=np.float64))
    origin = f"the bundled dataset {config.dataset!r}" if config.source == "dataset" else "the uploaded file"
    return f"# The series of {origin}, {len(raw_values)} values.\ny = np.array([{values}])\n"


def standalone_script(config: Config, raw_values: np.ndarray | None = None) -> str:
    """Python source that trains `config` the way the playground does and prints its test metrics as JSON.

    `raw_values` is the series before noise, needed for a dataset or an uploaded file (an expression is written
    out as numpy code). The script seeds Keras, shuffles each epoch in the playground's order and uses
    `keras.optimizers.Adam` with the config's learning-rate schedule, so its numbers match the app's up to
    floating-point rounding.
    """
    member = config.member(0) if config.ensemble > 1 else config
    unroll = member.lookback <= MAX_UNROLLED_LOOKBACK
    layers = []
    for index in range(member.layers):
        last = index == member.layers - 1
        layers.append(f"    keras.layers.LSTM({member.units}, return_sequences={not last}, unroll={unroll}),")
        if not last and member.dropout > 0:
            layers.append(f"    keras.layers.Dropout({member.dropout!r}),")
    layers += [f'    keras.layers.Dense({member.units}, activation="relu"),'] * member.dense_layers
    layers.append("    keras.layers.Dense(1),")
    scaling = (
        "seen = y[: split + LOOKBACK]  # every value the training windows and targets contain, nothing later\n"
        "MEAN, STD = seen.mean(), (seen.std() or 1.0)\n"
        if member.scaling == "standard"
        else "MEAN, STD = 0.0, 1.0  # no scaling, as in the original post\n"
    )
    settings = json.dumps(member.to_dict(), indent=4).replace("\n", "\n# ")
    return f'''"""Reproduce one run of the LSTM Forecast Playground with numpy and Keras alone.

Run it with `python this_file.py` (needs numpy and tensorflow 2.18+ with Keras 3). It prints the LSTM's test
metrics as JSON: one-step (each test value predicted from the true previous values) and recursive (rolling
forward from the first test window, feeding predictions back).
"""

# The playground's settings for this run:
# {settings}

import json
import math
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras
import numpy as np
import tensorflow as tf

SEED = {member.seed}
LOOKBACK = {member.lookback}
TRAIN_RATIO = {member.train_ratio!r}
EPOCHS = {member.epochs}
BATCH_SIZE = {member.batch_size}
LEARNING_RATE = {member.learning_rate!r}
SCHEDULE = {member.schedule!r}  # constant, or cosine: decays from LEARNING_RATE towards 0 over the epochs
NOISE = {member.noise!r}

keras.utils.set_random_seed(SEED)
tf.config.experimental.enable_op_determinism()

# --- data -----------------------------------------------------------------------------------------------
{_data_section(member, raw_values)}if NOISE > 0:
    y = y + np.random.default_rng(SEED).normal(0.0, NOISE, size=y.shape)

# Windows as in the original post: X[i] = y[i : i + LOOKBACK], target y[i + LOOKBACK]; chronological split.
windows = np.lib.stride_tricks.sliding_window_view(y, LOOKBACK)[:-1]
targets = y[LOOKBACK:]
split = int(len(windows) * TRAIN_RATIO)
train_x, train_y = windows[:split], targets[:split]
test_x, test_y = windows[split:], targets[split:]
{scaling}

def scale(values):
    return (values - MEAN) / STD


# --- model ----------------------------------------------------------------------------------------------
model = keras.Sequential([
    keras.Input(shape=(LOOKBACK, 1)),
{chr(10).join(layers)}
])
optimizer = keras.optimizers.Adam(learning_rate=LEARNING_RATE)


@tf.function(reduce_retracing=True)
def train_step(batch_x, batch_y):
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean(tf.square(model(batch_x, training=True)[:, 0] - batch_y))
    gradients = tape.gradient(loss, model.trainable_variables)
    optimizer.apply_gradients(zip(gradients, model.trainable_variables))
    return loss


# --- training: mini-batches, a fresh shuffle every epoch, mean squared error, Adam (step size per epoch) --
# model.compile(optimizer, "mse") and model.fit(x, y, batch_size=BATCH_SIZE, epochs=EPOCHS) train the same way;
# this loop shuffles in the playground's order (a permutation drawn from (SEED, epoch)) so the numbers match.
inputs = scale(train_x)[..., np.newaxis].astype("float32")  # (windows, LOOKBACK, 1)
outputs = scale(train_y).astype("float32")
for epoch in range(EPOCHS):
    if SCHEDULE == "cosine":
        optimizer.learning_rate = LEARNING_RATE * 0.5 * (1.0 + math.cos(math.pi * epoch / EPOCHS))
    keys = tf.random.stateless_uniform([len(inputs)], seed=tf.constant([SEED, epoch], tf.int64))
    order = tf.argsort(keys, stable=True).numpy()
    losses = [
        float(train_step(inputs[order[start : start + BATCH_SIZE]], outputs[order[start : start + BATCH_SIZE]]))
        for start in range(0, len(order), BATCH_SIZE)
    ]
    if (epoch + 1) % max(1, EPOCHS // 10) == 0:
        print(f"epoch {{epoch + 1}}/{{EPOCHS}}  loss {{np.mean(losses):.6g}}", flush=True)

# --- forecasts and metrics ------------------------------------------------------------------------------
predict_scaled = tf.function(lambda batch: model(batch, training=False), reduce_retracing=True)


def predict(batch_windows):
    scaled = scale(np.asarray(batch_windows))[..., np.newaxis].astype("float32")
    return predict_scaled(scaled).numpy()[:, 0].astype(np.float64) * STD + MEAN


one_step = predict(test_x)
window, recursive = test_x[0].copy(), []
for _ in range(len(test_y)):
    recursive.append(predict(window[np.newaxis])[0])
    window = np.append(window[1:], recursive[-1])
recursive = np.array(recursive)


def metrics(actual, predicted):
    residual = float(np.sum((actual - predicted) ** 2))
    total = float(np.sum((actual - actual.mean()) ** 2))
    return {{
        "rmse": float(np.sqrt(np.mean((actual - predicted) ** 2))),
        "mae": float(np.mean(np.abs(actual - predicted))),
        "r2": 1.0 - residual / total if total else float(residual == 0.0),
    }}


print(json.dumps({{"one_step": metrics(test_y, one_step), "recursive": metrics(test_y, recursive)}}))
'''
