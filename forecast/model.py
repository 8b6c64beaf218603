"""Build the stacked LSTM, train it quickly and deterministically with per-epoch progress, and predict with it.

Importing this module imports TensorFlow (a few seconds); the rest of the package does not, so the app can draw
the series before TensorFlow is loaded.
"""

from __future__ import annotations

import collections
import contextlib
import dataclasses
import math
import os
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np

from forecast.config import MAX_UNROLLED_LOOKBACK, Config
from forecast.data import Dataset, StandardScaler, validation_split
from forecast.forecasting import Predictor
from forecast.resources import available_cpus
from forecast.result import EpochReport, ProgressCallback
from forecast.schedule import learning_rates


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

__all__ = [
    "EarlyStopping",
    "EpochReport",
    "FusedAdam",
    "ProgressCallback",
    "Training",
    "TrainingCancelled",
    "build_model",
    "model_from_bytes",
    "model_to_bytes",
    "predictor",
    "train",
    "warm_up",
]

# Each compiled call trains whole epochs and then reports them; this many optimizer steps per call keeps
# progress updates and cancellation checks a fraction of a second apart without adding per-call overhead.
STEPS_PER_CALL = 100
# One thread per op: this model's ops are far too small to split across cores (measured: two threads per op made
# every step about 30% slower on a 2-core machine, also for 128 units); independent ops still run side by side
# on the inter-op pool, one thread per allowed CPU. (One inter-op thread was 3% faster on a quiet machine, but the
# browser stress test hung once in a full-suite run while it was in place — not reproduced in 7 runs alone, cause
# not found — and a single inter-op thread is where TensorFlow ops that block on each other can deadlock.)
INTRA_OP_THREADS = 1


class TrainingCancelled(Exception):
    """Raised by a progress callback to stop a training between epochs."""


@dataclasses.dataclass
class Training:
    """A trained model and how it got there."""

    model: keras.Model
    loss: np.ndarray  # (epochs_run,)
    val_loss: np.ndarray  # (epochs_run,)
    learning_rate: np.ndarray  # (epochs_run,) Adam's step size in each epoch
    fit_seconds: float
    best_epoch: int = 0  # with early stopping: the epoch whose weights the model has (1-based); else 0

    @property
    def epochs_run(self) -> int:
        return len(self.loss)


class EarlyStopping:
    """Watch the validation loss epoch by epoch, keep the best epoch's weights, and say when patience runs out.

    Called once per epoch (the trainer runs one epoch per compiled call while it watches), so the weights kept
    are exactly those after the best epoch.
    """

    def __init__(self, model: keras.Model, patience: int) -> None:
        if patience < 1:
            raise ValueError(f"patience must be at least 1, got {patience}")
        self.model = model
        self.patience = patience
        self.best_loss = math.inf
        self.best_epoch = 0
        self.best_weights: list[np.ndarray] | None = None
        self.waited = 0

    def update(self, epoch: int, val_loss: float) -> bool:
        """Record epoch `epoch`'s (1-based) validation loss; True when `patience` epochs passed without a better one."""
        if val_loss < self.best_loss:  # NaN is never better
            self.best_loss, self.best_epoch, self.waited = val_loss, epoch, 0
            self.best_weights = self.model.get_weights()
        else:
            self.waited += 1
        return self.waited >= self.patience

    def restore(self) -> None:
        """Put the best epoch's weights back into the model (nothing if no epoch had a finite loss)."""
        if self.best_weights is not None:
            self.model.set_weights(self.best_weights)


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


def build_model(config: Config) -> keras.Model:
    """The stacked LSTM: `layers` LSTMs (sequences between them), optional dropout and Dense layers, Dense(1)."""
    unroll = config.lookback <= MAX_UNROLLED_LOOKBACK
    model = keras.Sequential(name="stacked_lstm")
    model.add(keras.Input(shape=(config.lookback, 1)))  # (batch, lookback, 1)
    for index in range(config.layers):
        last = index == config.layers - 1
        model.add(keras.layers.LSTM(config.units, return_sequences=not last, unroll=unroll))
        if not last and config.dropout > 0:
            model.add(keras.layers.Dropout(config.dropout))
    for _ in range(config.dense_layers):
        model.add(keras.layers.Dense(config.units, activation="relu"))
    model.add(keras.layers.Dense(1))  # (batch, 1)
    return model


def _backing(variable: keras.Variable | tf.Variable) -> tf.Variable:
    """The tf.Variable behind a Keras variable; a tf.Variable as it is."""
    return variable.value if isinstance(variable, keras.Variable) else variable


class FusedAdam:
    """Adam with Keras's defaults and formula, applied with TensorFlow's fused `ResourceApplyAdam` kernel.

    Keras's `Adam.apply_gradients` builds about ten small ops per variable; the fused kernel does the same update
    in one (m ← β₁m + (1−β₁)g, v ← β₂v + (1−β₂)g², w ← w − lr·√(1−β₂ᵗ)/(1−β₁ᵗ)·m/(√v + ε)), which makes every
    training step cheaper and the training loop faster to trace. Tests check it against `keras.optimizers.Adam`.
    """

    BETA_1 = 0.9
    BETA_2 = 0.999
    EPSILON = 1e-7  # keras.optimizers.Adam's default

    def __init__(self, variables: list, learning_rate: float) -> None:
        self.variables = [_backing(variable) for variable in variables]
        self.momentums = [tf.Variable(tf.zeros_like(variable), trainable=False) for variable in self.variables]
        self.velocities = [tf.Variable(tf.zeros_like(variable), trainable=False) for variable in self.variables]
        self.iterations = tf.Variable(0.0, trainable=False)
        self.learning_rate = tf.constant(learning_rate, tf.float32)

    def reset(self) -> None:
        """Forget all steps taken: zero moments and step count, as a new optimizer has."""
        for slot in (*self.momentums, *self.velocities):
            slot.assign(tf.zeros_like(slot))
        self.iterations.assign(0.0)

    def apply(self, gradients: list, learning_rate: tf.Tensor | None = None) -> None:
        """One Adam step; `learning_rate` overrides the constructor's step size for this step (a schedule)."""
        learning_rate = self.learning_rate if learning_rate is None else learning_rate
        step = self.iterations.assign_add(1.0)
        beta_1_power = tf.pow(self.BETA_1, step)
        beta_2_power = tf.pow(self.BETA_2, step)
        for variable, gradient, momentum, velocity in zip(
            self.variables, gradients, self.momentums, self.velocities, strict=True
        ):
            tf.raw_ops.ResourceApplyAdam(
                var=variable.handle,
                m=momentum.handle,
                v=velocity.handle,
                beta1_power=beta_1_power,
                beta2_power=beta_2_power,
                lr=learning_rate,
                beta1=self.BETA_1,
                beta2=self.BETA_2,
                epsilon=self.EPSILON,
                grad=gradient,
            )


def _block_lstm_arguments(inputs: tf.Tensor, weights: tf.Tensor, bias: tf.Tensor) -> dict[str, tf.Tensor | bool]:
    """The arguments `BlockLSTMV2` and its gradient share for Keras's LSTM: zero initial state, no peepholes."""
    units = bias.shape[0] // 4
    zeros = tf.zeros(tf.stack([tf.shape(inputs)[1], units]))  # (batch, units)
    return {
        "seq_len_max": tf.shape(inputs, out_type=tf.int64)[0],
        "x": inputs,
        "cs_prev": zeros,
        "h_prev": zeros,
        "w": weights,
        "wci": tf.zeros([units]),  # peephole weights, unused
        "wcf": tf.zeros([units]),
        "wco": tf.zeros([units]),
        "b": bias,
        "use_peephole": False,
    }


def _block_lstm(inputs: tf.Tensor, weights: tf.Tensor, bias: tf.Tensor, differentiable: bool = True) -> tf.Tensor:
    """A whole LSTM layer over a time-major sequence, (T, batch, in) → (T, batch, units), in one fused op.

    TensorFlow's `BlockLSTMV2` kernel computes Keras's LSTM (sigmoid gates, tanh, gate order i, f, c, o, zero
    initial state) for all time steps with one matmul per step, [x_t, h_{t-1}] @ [W; U], and `BlockLSTMGradV2`
    computes its whole backward pass. The gradient TensorFlow registers for `BlockLSTMV2` calls the V1 gradient
    kernel, whose gate order is i, c, f, o; so the V2 gradient kernel is wired here explicitly. Without
    `differentiable` the op is used bare (the training loop's validation pass): wrapping it costs tracing time.
    """
    if not differentiable:
        return tf.raw_ops.BlockLSTMV2(**_block_lstm_arguments(inputs, weights, bias), cell_clip=0.0).h

    @tf.custom_gradient
    def lstm(inputs: tf.Tensor, weights: tf.Tensor, bias: tf.Tensor):
        arguments = _block_lstm_arguments(inputs, weights, bias)
        gates, carry, forget, output, candidate, carry_tanh, hidden = tf.raw_ops.BlockLSTMV2(
            **arguments,
            cell_clip=0.0,  # no clipping, as in Keras
        )

        def gradient(hidden_gradient: tf.Tensor):
            inputs_gradient, _, _, weights_gradient, _, _, _, bias_gradient = tf.raw_ops.BlockLSTMGradV2(
                **arguments,
                i=gates,
                cs=carry,
                f=forget,
                o=output,
                ci=candidate,
                co=carry_tanh,
                h=hidden,
                cs_grad=tf.zeros_like(carry),
                h_grad=hidden_gradient,
            )
            return inputs_gradient, weights_gradient, bias_gradient

        return hidden, gradient

    return lstm(inputs, weights, bias)


def _stacked_kernels(layer: keras.layers.LSTM) -> tf.Tensor:
    """An LSTM layer's [W; U], (in + units, 4·units): the weight of the fused op."""
    return tf.concat([layer.cell.kernel.value, layer.cell.recurrent_kernel.value], axis=0)


def _forward(
    model: keras.Model,
    inputs: tf.Tensor,
    training: bool,
    differentiable: bool = True,
    lstm_weights: list[tf.Variable] | None = None,
) -> tf.Tensor:
    """The model's output for (batch, lookback, 1) inputs: the same layers and weights as `model(inputs)`.

    LSTMs run as one fused op each (`_block_lstm`) on time-major sequences; Dropout and Dense layers are Keras's
    own. Between LSTMs the dropout mask is drawn over (T, batch, units) rather than (batch, T, units): the same
    independent per-element dropout, in another memory order. `lstm_weights`, one per LSTM layer, hold [W; U]
    already stacked (the trainer's copies); without them each layer's kernels are stacked here.
    """
    outputs = tf.transpose(inputs, (1, 0, 2))  # (lookback, batch, 1)
    stacked = iter(lstm_weights or [])
    for layer in model.layers:
        if isinstance(layer, keras.layers.LSTM):
            cell = layer.cell
            weights = _stacked_kernels(layer) if lstm_weights is None else tf.convert_to_tensor(next(stacked))
            outputs = _block_lstm(outputs, weights, cell.bias.value, differentiable)
            if not layer.return_sequences:
                outputs = outputs[-1]  # (batch, units)
        else:
            outputs = layer(outputs, training=training)
    return outputs


class _Trainer:
    """A network of one structure, its optimizer and its compiled training loop, reused by every training of it.

    Tracing and setting up the compiled loop costs 0.2–0.3 s, more than a short training itself; a process that
    trains often (a worker, a sweep, an ensemble) pays it once per structure instead of once per training. The
    loop takes the data, batch size, seed and learning rates as arguments, so only the layers decide whether a
    trainer can be reused. Each training starts from the weights a fresh model of its seed gets, and the optimizer
    starts from zero: a reused trainer gives exactly the numbers a new one would.
    """

    def __init__(self, config: Config) -> None:
        self.model = build_model(config)
        # Each LSTM's kernels trained as one variable [W; U], the fused op's weight: stacking them and splitting
        # their gradient on every step were three ops per layer and step, and Adam is elementwise, so the updates
        # are exactly those of the two kernels apart. The Keras kernels get the values back (`sync_model`).
        self.lstms: list[keras.layers.LSTM] = []
        self.lstm_weights: list[tf.Variable] = []
        variables: list = []
        for layer in self.model.layers:
            if isinstance(layer, keras.layers.LSTM):
                self.lstms.append(layer)
                self.lstm_weights.append(tf.Variable(_stacked_kernels(layer)))
                variables += [self.lstm_weights[-1], layer.cell.bias]
            else:
                variables += layer.trainable_variables
        self.optimizer = FusedAdam(variables, config.learning_rate)
        self.run_epochs = self._compile()

    def start(self, initial: keras.Model) -> None:
        """Start a training from `initial`'s weights (and its dropout seeds) with a fresh optimizer."""
        for variable, value in zip(self.model.variables, initial.variables, strict=True):
            variable.assign(value)
        for weights, layer in zip(self.lstm_weights, self.lstms, strict=True):
            weights.assign(_stacked_kernels(layer))
        self.optimizer.reset()

    def sync_model(self) -> None:
        """Put the trained [W; U] back into the Keras model's LSTM kernels."""
        for weights, layer in zip(self.lstm_weights, self.lstms, strict=True):
            inputs = layer.cell.kernel.shape[0]
            layer.cell.kernel.assign(weights[:inputs])
            layer.cell.recurrent_kernel.assign(weights[inputs:])

    def _compile(self) -> Callable[..., tuple[tf.Tensor, tf.Tensor]]:
        """A compiled function that trains whole epochs in one call and returns their train and validation losses.

        Keras's `fit` pays Python and callback overhead on every one of its many tiny steps; here epochs and
        batches loop inside one `tf.function`. The semantics are `fit`'s: a fresh shuffle every epoch,
        mini-batches of `batch_size` with a smaller last batch, MSE, Adam. `rates[epoch]` is Adam's step size.
        """
        model, optimizer, lstm_weights = self.model, self.optimizer, self.lstm_weights
        variables = optimizer.variables  # the same order as the gradients Adam is given
        lookback = model.input_shape[1]
        windows = tf.TensorSpec((None, lookback, 1), tf.float32)
        values = tf.TensorSpec((None,), tf.float32)
        scalar = tf.TensorSpec((), tf.int32)

        # autograph=False: the loops below are written as tf.while_loop directly. Converting this function with
        # autograph costs more than half a second of tracing, for nothing it adds here.
        @tf.function(
            autograph=False, input_signature=[windows, values, windows, values, scalar, *[scalar] * 2, values, scalar]
        )
        def run_epochs(x, y, x_val, y_val, batch, seed, first_epoch, rates, n_epochs):
            n_train = tf.shape(y)[0]
            steps = (n_train + batch - 1) // batch

            def train_epoch(offset: tf.Tensor, losses: tf.TensorArray, val_losses: tf.TensorArray):
                # A permutation per epoch that depends only on (seed, epoch): the same whatever the chunking of
                # epochs (and the order the exported script and the tests draw eagerly).
                epoch_seed = tf.cast(tf.stack([seed, first_epoch + offset]), tf.int64)
                order = tf.argsort(tf.random.stateless_uniform(tf.shape(y), seed=epoch_seed), stable=True)
                shuffled_x, shuffled_y = tf.gather(x, order), tf.gather(y, order)
                learning_rate = rates[offset]

                def train_step(step: tf.Tensor, squared_error_sum: tf.Tensor):
                    # The batch's rows; the last batch is smaller when batch_size does not divide the windows.
                    rows = slice(step * batch, tf.minimum((step + 1) * batch, n_train))
                    with tf.GradientTape() as tape:
                        predictions = _forward(model, shuffled_x[rows], True, lstm_weights=lstm_weights)[:, 0]
                        squared_errors = tf.square(predictions - shuffled_y[rows])
                        loss = tf.reduce_mean(squared_errors)
                    optimizer.apply(tape.gradient(loss, variables), learning_rate)
                    return step + 1, squared_error_sum + tf.reduce_sum(squared_errors)

                _, squared_error_sum = tf.while_loop(
                    lambda step, _: step < steps, train_step, (tf.constant(0), tf.constant(0.0))
                )
                val_predictions = _forward(model, x_val, False, False, lstm_weights)[:, 0]
                val_loss = tf.reduce_mean(tf.square(val_predictions - y_val))
                train_loss = squared_error_sum / tf.cast(n_train, tf.float32)
                return offset + 1, losses.write(offset, train_loss), val_losses.write(offset, val_loss)

            _, losses, val_losses = tf.while_loop(
                lambda offset, *_: offset < n_epochs,
                train_epoch,
                (tf.constant(0), tf.TensorArray(tf.float32, size=n_epochs), tf.TensorArray(tf.float32, size=n_epochs)),
            )
            return losses.stack(), val_losses.stack()

        return run_epochs


# Trainers by network structure, most recently used last. A few are kept: a worker switching between a handful of
# structures keeps them all compiled, and each holds only a small network.
_TRAINERS: collections.OrderedDict[tuple, _Trainer] = collections.OrderedDict()
_TRAINERS_KEPT = 4
_TRAINERS_LOCK = threading.Lock()


@contextlib.contextmanager
def _trainer_for(config: Config) -> Iterator[_Trainer]:
    """The kept trainer of the config's structure, or a new one; a private one if another thread is training it."""
    key = (config.lookback, config.layers, config.units, config.dense_layers, config.dropout)
    with _TRAINERS_LOCK:
        trainer = _TRAINERS.pop(key, None)
    if trainer is None:
        trainer = _Trainer(config)
    try:
        yield trainer
    finally:
        with _TRAINERS_LOCK:
            _TRAINERS[key] = trainer  # taken out while in use, so no two trainings share it
            while len(_TRAINERS) > _TRAINERS_KEPT:
                _TRAINERS.popitem(last=False)


def train(config: Config, dataset: Dataset, progress: ProgressCallback | None = None) -> Training:
    """Train the config's model on the dataset's training windows (scaled by its train-only scaler).

    `progress` is called once per epoch, in bursts of a few epochs; it may raise `TrainingCancelled` to stop.
    """
    # Without the garbage collection clear_session would run by default: a full collection costs up to 0.2 s per
    # training in a process that has imported TensorFlow, and the automatic collector frees the old models anyway.
    keras.backend.clear_session(free_memory=False)
    # Seeds Python, numpy and TensorFlow: initial weights and dropout masks follow from the config's seed.
    keras.utils.set_random_seed(config.seed)
    model = build_model(config)
    with _trainer_for(config) as trainer:
        trainer.start(model)
        rates = learning_rates(config.schedule, config.learning_rate, config.epochs)
        losses, val_losses, fit_seconds, best_epoch = _train_epochs(trainer, config, dataset, rates, progress)
        for variable, value in zip(model.variables, trainer.model.variables, strict=True):
            variable.assign(value)
    return Training(model, np.array(losses), np.array(val_losses), rates[: len(losses)], fit_seconds, best_epoch)


def _train_epochs(
    trainer: _Trainer, config: Config, dataset: Dataset, rates: np.ndarray, progress: ProgressCallback | None
) -> tuple[list[float], list[float], float, int]:
    """Run the config's epochs on the trainer, chunk by chunk with progress; the losses, seconds and best epoch.

    `rates` is Adam's step size in each epoch."""
    started = time.perf_counter()
    scaler = dataset.scaler
    train_windows, train_targets = dataset.train_windows, dataset.train_targets
    val_windows, val_targets = dataset.test_windows, dataset.test_targets
    stopper = EarlyStopping(trainer.model, config.patience) if config.patience > 0 else None
    if stopper is not None:
        # Early stopping watches the last validation_ratio of the training windows, chronologically, and trains
        # on the ones before: the test part never steers training.
        n_fit = validation_split(dataset.n_train, config.validation_ratio)
        train_windows, val_windows = train_windows[:n_fit], train_windows[n_fit:]
        train_targets, val_targets = train_targets[:n_fit], train_targets[n_fit:]
    data = [
        tf.constant(scaler.transform(train_windows)[..., np.newaxis], tf.float32),  # (n_train, lookback, 1)
        tf.constant(scaler.transform(train_targets), tf.float32),  # (n_train,)
        tf.constant(scaler.transform(val_windows)[..., np.newaxis], tf.float32),  # (n_val, lookback, 1)
        tf.constant(scaler.transform(val_targets), tf.float32),  # (n_val,)
    ]
    batch = min(config.batch_size, len(train_targets))
    # One epoch per call while early stopping watches, so that the best epoch's weights can be kept.
    epochs_per_call = 1 if stopper else max(1, STEPS_PER_CALL // math.ceil(len(train_targets) / batch))
    rates = rates.astype(np.float32)
    losses: list[float] = []
    val_losses: list[float] = []
    for first_epoch in range(0, config.epochs, epochs_per_call):
        count = min(epochs_per_call, config.epochs - first_epoch)
        chunk_losses, chunk_val_losses = trainer.run_epochs(
            *data, batch, config.seed, first_epoch, rates[first_epoch : first_epoch + count], count
        )
        elapsed = time.perf_counter() - started
        for train_loss, val_loss in zip(chunk_losses.numpy(), chunk_val_losses.numpy(), strict=True):
            losses.append(float(train_loss))
            val_losses.append(float(val_loss))
            if progress is not None:
                progress(EpochReport(len(losses), config.epochs, losses[-1], val_losses[-1], elapsed))
        if stopper is not None:
            trainer.sync_model()  # early stopping keeps the Keras model's weights
            if stopper.update(len(losses), val_losses[-1]):
                break
        if not math.isfinite(losses[-1]):
            # Training diverged (usually a learning rate that is too high): stop instead of burning epochs on NaN.
            break
    if stopper is not None:
        stopper.restore()
    else:
        trainer.sync_model()
    best_epoch = stopper.best_epoch if stopper is not None else 0
    return losses, val_losses, time.perf_counter() - started, best_epoch


def warm_up() -> float:
    """Train the default network for one epoch and throw it away; returns the seconds it took.

    A process's first training pays one-time costs on top of its own (TensorFlow's and Keras's lazy set-up of
    functions, gradients and kernels: measured 0.3–0.6 s here); a worker pays them when it starts instead of on
    a visitor's first click, and its compiled training loop is kept for the default network's trainings. No
    result is kept: results still come only from real trainings.
    """
    from forecast.config import DEFAULT_CONFIG
    from forecast.data import make_dataset

    started = time.perf_counter()
    config = DEFAULT_CONFIG.replace(epochs=1)
    train(config, make_dataset(config))
    keras.backend.clear_session()
    return time.perf_counter() - started


def predictor(model: keras.Model, scaler: StandardScaler) -> Predictor:
    """A function from windows in original units (n, lookback) to predictions in original units (n,)."""

    # Compiled once for any batch size: the recursive forecast calls it once per step, and an eager call of an
    # unrolled stacked LSTM costs tens of milliseconds where a compiled one costs well under one.
    # autograph=False: the model's call has no Python control flow on tensors, and converting it took 0.2 s of
    # tracing per trained model.
    compiled = tf.function(
        lambda inputs: model(inputs, training=False),
        input_signature=[tf.TensorSpec((None, *model.input_shape[1:]), tf.float32)],
        autograph=False,
    )

    def predict(windows: np.ndarray) -> np.ndarray:
        scaled = scaler.transform(windows)[..., np.newaxis].astype(np.float32)  # (n, lookback, 1)
        output = compiled(tf.constant(scaled)).numpy()  # (n, 1)
        return scaler.inverse(output.astype(np.float64)[:, 0])

    return predict


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
