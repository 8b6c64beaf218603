"""Train the stacked LSTM quickly and deterministically, with per-epoch progress and early stopping.

Epochs and batches loop inside one compiled TensorFlow function per network structure, kept and reused by every
training of that structure in the process (see README, "Speed").
"""

from __future__ import annotations

import collections
import contextlib
import dataclasses
import math
import threading
import time
from collections.abc import Callable, Iterator

import numpy as np

from forecast.config import DEFAULT_CONFIG, Config
from forecast.data import WindowData, make_dataset, validation_split
from forecast.models.lstm.fused import FusedAdam, forward, stacked_kernels
from forecast.models.lstm.network import build_model
from forecast.models.lstm.runtime import keras, tf
from forecast.models.progress import EpochReport, ProgressCallback
from forecast.models.schedule import learning_rates

__all__ = ["EarlyStopping", "Training", "train", "warm_up"]

# Each compiled call trains whole epochs and then reports them; this many optimizer steps per call keeps
# progress updates and cancellation checks a fraction of a second apart without adding per-call overhead.
STEPS_PER_CALL = 100


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


class _Trainer:
    """A network of one structure, its optimizer and its compiled training loop, reused by every training of it.

    Tracing and setting up the compiled loop costs 0.2–0.3 s, more than a short training itself; a process that
    trains often (a worker, a sweep, an ensemble) pays it once per structure instead of once per training. The
    loop takes the data, batch size, seed and learning rates as arguments, so only the layers decide whether a
    trainer can be reused. Each training starts from the weights a fresh model of its seed gets, and the optimizer
    starts from zero: a reused trainer gives exactly the numbers a new one would.
    """

    def __init__(self, config: Config, outputs: int = 1) -> None:
        self.outputs = outputs  # 1: the next value; more: the direct strategy's head, trained on (n, outputs) targets
        self.model = build_model(config, outputs)
        # Each LSTM's kernels trained as one variable [W; U], the fused op's weight: stacking them and splitting
        # their gradient on every step were three ops per layer and step, and Adam is elementwise, so the updates
        # are exactly those of the two kernels apart. The Keras kernels get the values back (`sync_model`).
        self.lstms: list[keras.layers.LSTM] = []
        self.lstm_weights: list[tf.Variable] = []
        variables: list = []
        for layer in self.model.layers:
            if isinstance(layer, keras.layers.LSTM):
                self.lstms.append(layer)
                self.lstm_weights.append(tf.Variable(stacked_kernels(layer)))
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
            weights.assign(stacked_kernels(layer))
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
        lookback = self.model.input_shape[1]
        windows = tf.TensorSpec((None, lookback, 1), tf.float32)
        values = tf.TensorSpec((None,), tf.float32)
        targets = values if self.outputs == 1 else tf.TensorSpec((None, self.outputs), tf.float32)
        scalar = tf.TensorSpec((), tf.int32)

        # autograph=False: the loops below are written as tf.while_loop directly. Converting this function with
        # autograph costs more than half a second of tracing, for nothing it adds here.
        @tf.function(
            autograph=False,
            input_signature=[windows, targets, windows, targets, scalar, *[scalar] * 2, values, scalar],
        )
        def run_epochs(x, y, x_val, y_val, batch, seed, first_epoch, rates, n_epochs):
            def train_epoch(offset: tf.Tensor, losses: tf.TensorArray, val_losses: tf.TensorArray):
                train_loss, val_loss = self._epoch(
                    (x, y, x_val, y_val), batch, seed, first_epoch + offset, rates[offset]
                )
                return offset + 1, losses.write(offset, train_loss), val_losses.write(offset, val_loss)

            _, losses, val_losses = tf.while_loop(
                lambda offset, *_: offset < n_epochs,
                train_epoch,
                (tf.constant(0), tf.TensorArray(tf.float32, size=n_epochs), tf.TensorArray(tf.float32, size=n_epochs)),
            )
            return losses.stack(), val_losses.stack()

        return run_epochs

    def _epoch(
        self, data: tuple[tf.Tensor, ...], batch: tf.Tensor, seed: tf.Tensor, epoch: tf.Tensor, rate: tf.Tensor
    ) -> tuple[tf.Tensor, tf.Tensor]:
        """One epoch inside the compiled loop: shuffle, a step per mini-batch, then the watched windows' loss."""
        x, y, x_val, y_val = data
        n_train = tf.shape(y)[0]
        steps = (n_train + batch - 1) // batch
        # A permutation per epoch that depends only on (seed, epoch): the same whatever the chunking of epochs (and
        # the order the exported script and the tests draw eagerly). One key per window, whatever its targets.
        epoch_seed = tf.cast(tf.stack([seed, epoch]), tf.int64)
        keys_shape = tf.shape(y) if self.outputs == 1 else tf.shape(y)[:1]
        order = tf.argsort(tf.random.stateless_uniform(keys_shape, seed=epoch_seed), stable=True)
        shuffled_x, shuffled_y = tf.gather(x, order), tf.gather(y, order)

        def train_step(step: tf.Tensor, squared_error_sum: tf.Tensor):
            # The batch's rows; the last batch is smaller when batch_size does not divide the windows.
            rows = slice(step * batch, tf.minimum((step + 1) * batch, n_train))
            return step + 1, squared_error_sum + self._step(shuffled_x[rows], shuffled_y[rows], rate)

        _, squared_error_sum = tf.while_loop(
            lambda step, _: step < steps, train_step, (tf.constant(0), tf.constant(0.0))
        )
        val_predictions = self._head(forward(self.model, x_val, False, False, self.lstm_weights))
        val_loss = tf.reduce_mean(tf.square(val_predictions - y_val))
        # The mean squared error over every output (for one output: over the windows, as always).
        count = n_train if self.outputs == 1 else n_train * self.outputs
        return squared_error_sum / tf.cast(count, tf.float32), val_loss

    def _head(self, outputs: tf.Tensor) -> tf.Tensor:
        """The network's (batch, outputs) as its targets are shaped: (batch,) for one output, else as it is."""
        return outputs[:, 0] if self.outputs == 1 else outputs

    def _step(self, x: tf.Tensor, y: tf.Tensor, rate: tf.Tensor) -> tf.Tensor:
        """One Adam step on a mini-batch; returns its sum of squared errors."""
        with tf.GradientTape() as tape:
            predictions = self._head(forward(self.model, x, True, lstm_weights=self.lstm_weights))
            squared_errors = tf.square(predictions - y)
            loss = tf.reduce_mean(squared_errors)
        self.optimizer.apply(tape.gradient(loss, self.optimizer.variables), rate)
        return tf.reduce_sum(squared_errors)


# Trainers by network structure, most recently used last. A few are kept: a worker switching between a handful of
# structures keeps them all compiled, and each holds only a small network.
_TRAINERS: collections.OrderedDict[tuple, _Trainer] = collections.OrderedDict()
_TRAINERS_KEPT = 4
_TRAINERS_LOCK = threading.Lock()


@contextlib.contextmanager
def _trainer_for(config: Config, outputs: int = 1) -> Iterator[_Trainer]:
    """The kept trainer of the config's structure, or a new one; a private one if another thread is training it."""
    key = (config.lookback, config.layers, config.units, config.dense_layers, config.dropout, outputs)
    with _TRAINERS_LOCK:
        trainer = _TRAINERS.pop(key, None)
    if trainer is None:
        trainer = _Trainer(config, outputs)
    try:
        yield trainer
    finally:
        with _TRAINERS_LOCK:
            _TRAINERS[key] = trainer  # taken out while in use, so no two trainings share it
            while len(_TRAINERS) > _TRAINERS_KEPT:
                _TRAINERS.popitem(last=False)


def train(config: Config, data: WindowData, progress: ProgressCallback | None = None) -> Training:
    """Train the config's model on the training windows, watching the others (all in the network's units).

    `progress` is called once per epoch, in bursts of a few epochs; it may raise `TrainingCancelled` to stop.
    Targets of shape (n,) train a network with one output; targets of shape (n, steps), the next `steps` values
    after each window, train the direct strategy's head of `steps` outputs on the MSE over all of them.
    """
    data, outputs = _outputs(data)
    # Without the garbage collection clear_session would run by default: a full collection costs up to 0.2 s per
    # training in a process that has imported TensorFlow, and the automatic collector frees the old models anyway.
    keras.backend.clear_session(free_memory=False)
    # Seeds Python, numpy and TensorFlow: initial weights and dropout masks follow from the config's seed.
    keras.utils.set_random_seed(config.seed)
    model = build_model(config, outputs)
    with _trainer_for(config, outputs) as trainer:
        trainer.start(model)
        rates = learning_rates(config.schedule, config.learning_rate, config.epochs)
        losses, val_losses, fit_seconds, best_epoch = _train_epochs(trainer, config, data, rates, progress)
        for variable, value in zip(model.variables, trainer.model.variables, strict=True):
            variable.assign(value)
    return Training(model, np.array(losses), np.array(val_losses), rates[: len(losses)], fit_seconds, best_epoch)


def _outputs(data: WindowData) -> tuple[WindowData, int]:
    """The data with (n, 1) targets as (n,), and how many outputs its targets train: 1, or `steps` for (n, steps)."""
    targets, watched = np.asarray(data.train_targets), np.asarray(data.watch_targets)
    if targets.ndim == 1 and watched.ndim == 1:
        return data, 1
    if targets.ndim != 2 or watched.ndim != 2 or watched.shape[1] != targets.shape[1]:
        raise ValueError(
            f"targets must be (n,) next values or (n, steps) for a multi-step head, alike for the watched windows; "
            f"got {targets.shape} and {watched.shape}"
        )
    if targets.shape[1] == 1:  # a head of one step is the one-output network
        return dataclasses.replace(data, train_targets=targets[:, 0], watch_targets=watched[:, 0]), 1
    return data, targets.shape[1]


def _tensors(config: Config, data: WindowData) -> tuple[list[tf.Tensor], int]:
    """The windows trained on and watched, as the compiled loop takes them, and how many are trained on.

    With early stopping the last validation_ratio of the training windows is watched instead, chronologically:
    the test part never steers training."""
    train_windows, train_targets = data.train_windows, data.train_targets
    val_windows, val_targets = data.watch_windows, data.watch_targets
    if config.patience > 0:
        n_fit = validation_split(len(train_targets), config.validation_ratio)
        train_windows, val_windows = train_windows[:n_fit], train_windows[n_fit:]
        train_targets, val_targets = train_targets[:n_fit], train_targets[n_fit:]
    tensors = [
        tf.constant(train_windows[..., np.newaxis], tf.float32),  # (n_train, lookback, 1)
        tf.constant(train_targets, tf.float32),  # (n_train,), or (n_train, steps) for a multi-step head
        tf.constant(val_windows[..., np.newaxis], tf.float32),  # (n_val, lookback, 1)
        tf.constant(val_targets, tf.float32),  # (n_val,), or (n_val, steps)
    ]
    return tensors, len(train_targets)


def _train_epochs(
    trainer: _Trainer, config: Config, data: WindowData, rates: np.ndarray, progress: ProgressCallback | None
) -> tuple[list[float], list[float], float, int]:
    """Run the config's epochs on the trainer, chunk by chunk with progress; the losses, seconds and best epoch.

    `rates` is Adam's step size in each epoch."""
    started = time.perf_counter()
    stopper = EarlyStopping(trainer.model, config.patience) if config.patience > 0 else None
    tensors, n_fit = _tensors(config, data)
    batch = min(config.batch_size, n_fit)
    # One epoch per call while early stopping watches, so that the best epoch's weights can be kept.
    epochs_per_call = 1 if stopper else max(1, STEPS_PER_CALL // math.ceil(n_fit / batch))
    rates = rates.astype(np.float32)
    losses: list[float] = []
    val_losses: list[float] = []
    for first_epoch in range(0, config.epochs, epochs_per_call):
        count = min(epochs_per_call, config.epochs - first_epoch)
        chunk = trainer.run_epochs(
            *tensors, batch, config.seed, first_epoch, rates[first_epoch : first_epoch + count], count
        )
        elapsed = time.perf_counter() - started
        for train_loss, val_loss in zip(*(part.numpy() for part in chunk), strict=True):
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
    if stopper is None:
        trainer.sync_model()
        return losses, val_losses, time.perf_counter() - started, 0
    stopper.restore()
    return losses, val_losses, time.perf_counter() - started, stopper.best_epoch


def warm_up() -> float:
    """Train the default network for one epoch and throw it away; returns the seconds it took.

    A process's first training pays one-time costs on top of its own (TensorFlow's and Keras's lazy set-up of
    functions, gradients and kernels: measured 0.3–0.6 s here); a worker pays them when it starts instead of on
    a visitor's first click, and its compiled training loop is kept for the default network's trainings. No
    result is kept: results still come only from real trainings.
    """
    started = time.perf_counter()
    config = DEFAULT_CONFIG.replace(epochs=1)
    train(config, make_dataset(config).window_data())
    keras.backend.clear_session()
    return time.perf_counter() - started
