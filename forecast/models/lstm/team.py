"""Many networks of one structure trained as one compiled program: an ensemble's members, a run's backtest windows
and its future, a sweep's cells.

Each network keeps its own weights, optimizer, data, shuffle, learning rates and epochs, and runs exactly the ops
it runs alone (the same fused kernels on the same shapes), so its numbers do not depend on its neighbours. What
the networks share is the program: one trace and set-up for all of them, one call per chunk of epochs, one
while-loop step advancing every network by a mini-batch (the independent kernels run side by side on the
inter-op threads), instead of a program, a trace and a Python loop per network.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from forecast.config import Config
from forecast.models.lstm.fused import FusedAdam, forward, stacked_kernels
from forecast.models.lstm.network import build_model
from forecast.models.lstm.runtime import keras, tf

__all__ = ["Member", "Team"]


@dataclasses.dataclass
class Member:
    """One network of a team: its Keras model, its LSTMs' stacked kernels [W; U] and its optimizer."""

    model: keras.Model
    lstms: list[keras.layers.LSTM]
    lstm_weights: list[tf.Variable]
    optimizer: FusedAdam

    @classmethod
    def build(cls, config: Config, outputs: int) -> Member:
        model = build_model(config, outputs)
        # Each LSTM's kernels trained as one variable [W; U], the fused op's weight: stacking them and splitting
        # their gradient on every step were three ops per layer and step, and Adam is elementwise, so the updates
        # are exactly those of the two kernels apart. The Keras kernels get the values back (`sync_model`).
        lstms, lstm_weights, variables = [], [], []
        for layer in model.layers:
            if isinstance(layer, keras.layers.LSTM):
                lstms.append(layer)
                lstm_weights.append(tf.Variable(stacked_kernels(layer)))
                variables += [lstm_weights[-1], layer.cell.bias]
            else:
                variables += layer.trainable_variables
        return cls(model, lstms, lstm_weights, FusedAdam(variables, config.learning_rate))

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

    def step(self, x: tf.Tensor, y: tf.Tensor, rate: tf.Tensor, outputs: int) -> tf.Tensor:
        """One Adam step on a mini-batch; returns its sum of squared errors."""
        with tf.GradientTape() as tape:
            predictions = _head(forward(self.model, x, True, lstm_weights=self.lstm_weights), outputs)
            squared_errors = tf.square(predictions - y)
            loss = tf.reduce_mean(squared_errors)
        self.optimizer.apply(tape.gradient(loss, self.optimizer.variables), rate)
        return tf.reduce_sum(squared_errors)

    def watched_loss(self, x: tf.Tensor, y: tf.Tensor, outputs: int) -> tf.Tensor:
        predictions = _head(forward(self.model, x, False, False, self.lstm_weights), outputs)
        return tf.reduce_mean(tf.square(predictions - y))


def _head(outputs: tf.Tensor, count: int) -> tf.Tensor:
    """The network's (batch, outputs) as its targets are shaped: (batch,) for one output, else as it is."""
    return outputs[:, 0] if count == 1 else outputs


class Team:
    """`size` networks of one structure and their compiled training loop, kept and reused by every team of that
    structure and size in the process (tracing it costs more than a short training)."""

    def __init__(self, config: Config, outputs: int, size: int) -> None:
        self.outputs = outputs  # 1: the next value; more: the direct strategy's head, trained on (n, outputs)
        self.members = [Member.build(config, outputs) for _ in range(size)]
        self.run_epochs = self._compile(config.lookback)

    @property
    def size(self) -> int:
        return len(self.members)

    def _compile(self, lookback: int) -> Callable[..., tuple[tf.Tensor, tf.Tensor]]:
        """A compiled function that trains whole epochs of every network in one call and returns their train and
        watched losses, (epochs, size) each.

        The semantics are Keras `fit`'s, per network: a fresh shuffle every epoch from (its seed, epoch),
        mini-batches of its batch size with a smaller last batch, MSE, Adam with `rates[network, epoch]`. A network
        whose `active` flag is off (it stopped early, or finished its epochs) takes no step at all.
        """
        windows = [tf.TensorSpec((None, lookback, 1), tf.float32)] * self.size
        values = tf.TensorSpec((None,), tf.float32) if self.outputs == 1 else tf.TensorSpec((None, self.outputs))
        integers = tf.TensorSpec((self.size,), tf.int32)
        signature = [windows, [values] * self.size, windows, [values] * self.size, integers, integers]
        signature += [tf.TensorSpec((), tf.int32), tf.TensorSpec((self.size, None), tf.float32)]
        signature += [tf.TensorSpec((), tf.int32), tf.TensorSpec((self.size,), tf.bool)]

        # autograph=False: the loops below are written as tf.while_loop directly. Converting this function with
        # autograph costs more than half a second of tracing, for nothing it adds here.
        @tf.function(autograph=False, input_signature=signature)
        def run_epochs(x, y, x_val, y_val, batches, seeds, first_epoch, rates, n_epochs, active):
            data = (x, y, x_val, y_val)

            def train_epoch(offset: tf.Tensor, losses: tf.TensorArray, val_losses: tf.TensorArray):
                train, watched = self._epoch(data, batches, seeds, first_epoch + offset, rates[:, offset], active)
                return offset + 1, losses.write(offset, train), val_losses.write(offset, watched)

            empty = tf.TensorArray(tf.float32, size=n_epochs)
            _, losses, val_losses = tf.while_loop(
                lambda offset, *_: offset < n_epochs, train_epoch, (tf.constant(0), empty, empty)
            )
            return losses.stack(), val_losses.stack()

        return run_epochs

    def _epoch(
        self, data: tuple, batches: tf.Tensor, seeds: tf.Tensor, epoch: tf.Tensor, rates: tf.Tensor, active: tf.Tensor
    ) -> tuple[tf.Tensor, tf.Tensor]:
        """One epoch of every active network: its own shuffle, a step per mini-batch, its watched windows' loss."""
        x, y, x_val, y_val = data
        shuffled = [self._shuffle(x[k], y[k], seeds[k], epoch) for k in range(self.size)]
        counts = [tf.shape(y[k])[0] for k in range(self.size)]
        steps = [(counts[k] + batches[k] - 1) // batches[k] for k in range(self.size)]
        longest = tf.reduce_max(tf.stack(steps))

        def train_step(step: tf.Tensor, sums: tuple) -> tuple:
            updated = []
            for k, member in enumerate(self.members):
                rows = slice(step * batches[k], tf.minimum((step + 1) * batches[k], counts[k]))

                def take(k=k, member=member, rows=rows) -> tf.Tensor:
                    return sums[k] + member.step(shuffled[k][0][rows], shuffled[k][1][rows], rates[k], self.outputs)

                if self.size == 1:
                    # Alone, a network takes every step of the loop: it runs only while active, for its own steps.
                    updated.append(take())
                else:
                    taking = tf.logical_and(active[k], step < steps[k])
                    updated.append(tf.cond(taking, take, lambda k=k: sums[k]))
            return step + 1, tuple(updated)

        zeros = tuple(tf.constant(0.0) for _ in range(self.size))
        _, sums = tf.while_loop(lambda step, _: step < longest, train_step, (tf.constant(0), zeros))
        train_losses, watched = [], []
        for k, member in enumerate(self.members):
            # The mean squared error over every output (for one output: over the windows, as always).
            count = counts[k] if self.outputs == 1 else counts[k] * self.outputs
            train_losses.append(sums[k] / tf.cast(count, tf.float32))
            watched.append(member.watched_loss(x_val[k], y_val[k], self.outputs))
        return tf.stack(train_losses), tf.stack(watched)

    def _shuffle(self, x: tf.Tensor, y: tf.Tensor, seed: tf.Tensor, epoch: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
        # A permutation per epoch that depends only on (seed, epoch): the same whatever the chunking of epochs (and
        # the order the exported script and the tests draw eagerly). One key per window, whatever its targets.
        epoch_seed = tf.cast(tf.stack([seed, epoch]), tf.int64)
        keys_shape = tf.shape(y) if self.outputs == 1 else tf.shape(y)[:1]
        order = tf.argsort(tf.random.stateless_uniform(keys_shape, seed=epoch_seed), stable=True)
        return tf.gather(x, order), tf.gather(y, order)
