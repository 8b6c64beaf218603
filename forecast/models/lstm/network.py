"""The stacked LSTM as a Keras model: built from a config, saved to and loaded from `.keras` bytes, and turned
into a compiled function from windows to predictions."""

from __future__ import annotations

import collections
import tempfile
import threading
from pathlib import Path

import numpy as np

from forecast.config import MAX_UNROLLED_LOOKBACK, Config
from forecast.models.lstm.fused import forward, stacked_kernels
from forecast.models.lstm.runtime import keras, tf

__all__ = ["Predictor", "build_model", "model_from_bytes", "model_to_bytes", "predictor"]


class Predictor:
    """A trained network as a function from windows (n, lookback) to the next value of each (n,), in the network's
    units; a network with an output head of several steps (the direct strategy) gives the next `outputs` values
    of each, (n, outputs). `roll` is its recursive forecast from one window, in one compiled call."""

    def __init__(self, shared: _SharedInference, weights: list[np.ndarray]) -> None:
        self.shared, self.weights = shared, weights

    def __call__(self, windows: np.ndarray) -> np.ndarray:
        inputs = np.asarray(windows)[..., np.newaxis].astype(np.float32)  # (n, lookback, 1)
        output = self.shared(self.weights, inputs)  # (n, outputs)
        return output.astype(np.float64)[:, 0] if output.shape[1] == 1 else output.astype(np.float64)

    def roll(self, window: np.ndarray, steps: int) -> np.ndarray:
        """`steps` predictions from one window (lookback,), each fed back in as its newest value: (steps,).

        The same numbers as calling the predictor step by step with the window of the previous predictions (the
        window stays in float32 either way), without a round trip to Python per step: 79 steps cost ≈ 55 ms one
        call at a time and a few milliseconds in one."""
        window = np.asarray(window, dtype=np.float32).reshape(-1)
        return self.shared.roll(self.weights, window, int(steps)).astype(np.float64)


def build_model(config: Config, outputs: int = 1) -> keras.Model:
    """The stacked LSTM: `layers` LSTMs (sequences between them), optional dropout and Dense layers, then
    Dense(outputs): 1 for the next value, or the direct strategy's head of `outputs` steps."""
    if outputs < 1:
        raise ValueError(f"outputs must be at least 1 (the steps the output head covers), got {outputs}")
    unroll = config.lookback <= MAX_UNROLLED_LOOKBACK
    # Every layer named as a fresh Keras session would name it ("lstm", "lstm_1", …), so the model is the same
    # however many models the process built before: the trainer does not reset Keras's name counters with
    # `clear_session` (why: `trainer.train_many`).
    names = _LayerNames()
    layers: list = [keras.Input(shape=(config.lookback, 1), name="input_layer")]  # (batch, lookback, 1)
    for index in range(config.layers):
        last = index == config.layers - 1
        layers.append(keras.layers.LSTM(config.units, return_sequences=not last, unroll=unroll, name=names("lstm")))
        if not last and config.dropout > 0:
            layers.append(keras.layers.Dropout(config.dropout, name=names("dropout")))
    for _ in range(config.dense_layers):
        layers.append(keras.layers.Dense(config.units, activation="relu", name=names("dense")))
    layers.append(keras.layers.Dense(outputs, name=names("dense")))  # (batch, outputs)
    # Given as one list, the model is built once; `add` rebuilt it after every layer (a third of the time).
    return keras.Sequential(layers, name="stacked_lstm")


class _LayerNames:
    """Keras's automatic layer names for one model: "lstm", "lstm_1", "lstm_2", … per kind."""

    def __init__(self) -> None:
        self.counts: dict[str, int] = {}

    def __call__(self, kind: str) -> str:
        count = self.counts.get(kind, 0)
        self.counts[kind] = count + 1
        return kind if count == 0 else f"{kind}_{count}"


class _SharedInference:
    """One compiled inference function per network structure, shared by every trained model of that structure.

    Tracing a compiled call costs 0.1–0.3 s, several times a short training's own forecasts: a run of many
    networks of one shape (an ensemble, backtest windows, a sweep) traces it once. Each model's weights are put
    into the shared copy when it predicts after another one did; its outputs are those of its own call.
    """

    def __init__(self, model: keras.Model) -> None:
        self.model = keras.models.clone_model(model)
        # The fused LSTM op (one kernel per layer, as in training) rather than Keras's cell-by-cell graph: several
        # times faster for a recursive forecast's many small calls, the same arithmetic up to float rounding.
        self.compiled = tf.function(
            lambda inputs: forward(self.model, inputs, False, differentiable=False),
            input_signature=[tf.TensorSpec((None, *model.input_shape[1:]), tf.float32)],
            autograph=False,
        )
        # The weights the copy holds: a predictor's own list, so that two predictors of one model made at different
        # epochs (snapshots while it trains) never pass for each other.
        self.owner: list[np.ndarray] | None = None
        self.lock = threading.Lock()
        self.rolled = tf.function(
            self._roll,
            input_signature=[tf.TensorSpec((model.input_shape[1],), tf.float32), tf.TensorSpec((), tf.int32)],
            autograph=False,
        )

    def _roll(self, window: tf.Tensor, steps: tf.Tensor) -> tf.Tensor:
        # Each LSTM's [W; U] stacked once, outside the loop: its steps only read them.
        stacked = [stacked_kernels(layer) for layer in self.model.layers if isinstance(layer, keras.layers.LSTM)]

        def step(index: tf.Tensor, window: tf.Tensor, outputs: tf.TensorArray) -> tuple:
            inputs = window[tf.newaxis, :, tf.newaxis]
            prediction = forward(self.model, inputs, False, differentiable=False, lstm_weights=stacked)[0, 0]
            return index + 1, tf.concat([window[1:], prediction[tf.newaxis]], axis=0), outputs.write(index, prediction)

        start = (tf.constant(0), window, tf.TensorArray(tf.float32, size=steps))
        _, _, outputs = tf.while_loop(lambda index, *_: index < steps, step, start)
        return outputs.stack()

    def _load(self, weights: list[np.ndarray]) -> None:
        if self.owner is not weights:
            # Straight into the TensorFlow variables: Keras's set_weights checks each one at ≈ 0.3 ms, a tenth of
            # a snapshot's whole cost while a network trains. The same order as get_weights.
            for variable, value in zip(self.model.weights, weights, strict=True):
                variable.value.assign(value)
            self.owner = weights

    def roll(self, weights: list[np.ndarray], window: np.ndarray, steps: int) -> np.ndarray:
        with self.lock:
            self._load(weights)
            return self.rolled(tf.constant(window), tf.constant(steps, tf.int32)).numpy()

    def __call__(self, weights: list[np.ndarray], inputs: np.ndarray) -> np.ndarray:
        with self.lock:
            self._load(weights)
            return self.compiled(tf.constant(inputs)).numpy()


_SHARED: collections.OrderedDict[tuple, _SharedInference] = collections.OrderedDict()
_SHARED_KEPT = 8
_SHARED_LOCK = threading.Lock()


def _structure(model: keras.Model) -> tuple:
    """What makes two models the same program: their input shape and each layer's kind, weights' shapes and flags."""
    layers = tuple(
        (type(layer).__name__, tuple(tuple(weight.shape) for weight in layer.weights), getattr(layer, "unroll", None))
        for layer in model.layers
    )
    return (tuple(model.input_shape[1:]), layers)


def _shared_inference(model: keras.Model) -> _SharedInference:
    key = _structure(model)
    with _SHARED_LOCK:
        shared = _SHARED.pop(key, None) or _SharedInference(model)
        _SHARED[key] = shared
        while len(_SHARED) > _SHARED_KEPT:
            _SHARED.popitem(last=False)
    return shared


def predictor(model: keras.Model) -> Predictor:
    """A function from windows (n, lookback) to the network's prediction of the next value of each (n,), or of
    the next `outputs` values of each, (n, outputs), for a network with a multi-step head.

    Both in the network's own units (the scaled, transformed values it was trained on). Compiled once per network
    structure for any batch size: the recursive forecast calls it once per step, and an eager call of an
    unrolled stacked LSTM costs tens of milliseconds where a compiled one costs well under one.
    """
    return Predictor(_shared_inference(model), model.get_weights())


def model_to_bytes(model: keras.Model) -> bytes:
    """The model in Keras's native `.keras` format, as bytes."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "model.keras"
        model.save(path)
        return path.read_bytes()


def model_from_bytes(data: bytes) -> keras.Model:
    """Load a model saved by `model_to_bytes`."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "model.keras"
        path.write_bytes(data)
        return keras.models.load_model(path)
