"""The fused pieces of the trainer: each LSTM layer as one `BlockLSTMV2` op, and Adam as one fused kernel per
variable. The same arithmetic as Keras's LSTM and Adam (tests compare them), with far fewer ops per step."""

from __future__ import annotations

from forecast.models.lstm.runtime import keras, tf

__all__ = ["FusedAdam", "block_lstm", "forward", "stacked_kernels"]


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


def block_lstm(inputs: tf.Tensor, weights: tf.Tensor, bias: tf.Tensor, differentiable: bool = True) -> tf.Tensor:
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


def stacked_kernels(layer: keras.layers.LSTM) -> tf.Tensor:
    """An LSTM layer's [W; U], (in + units, 4·units): the weight of the fused op."""
    return tf.concat([layer.cell.kernel.value, layer.cell.recurrent_kernel.value], axis=0)


def forward(
    model: keras.Model,
    inputs: tf.Tensor,
    training: bool,
    differentiable: bool = True,
    lstm_weights: list[tf.Variable] | None = None,
) -> tf.Tensor:
    """The model's output for (batch, lookback, 1) inputs: the same layers and weights as `model(inputs)`.

    LSTMs run as one fused op each (`block_lstm`) on time-major sequences; Dropout and Dense layers are Keras's
    own. Between LSTMs the dropout mask is drawn over (T, batch, units) rather than (batch, T, units): the same
    independent per-element dropout, in another memory order. `lstm_weights`, one per LSTM layer, hold [W; U]
    already stacked (the trainer's copies); without them each layer's kernels are stacked here.
    """
    outputs = tf.transpose(inputs, (1, 0, 2))  # (lookback, batch, 1)
    stacked = iter(lstm_weights or [])
    for layer in model.layers:
        if isinstance(layer, keras.layers.LSTM):
            cell = layer.cell
            weights = stacked_kernels(layer) if lstm_weights is None else tf.convert_to_tensor(next(stacked))
            outputs = block_lstm(outputs, weights, cell.bias.value, differentiable)
            if not layer.return_sequences:
                outputs = outputs[-1]  # (batch, units)
        else:
            outputs = layer(outputs, training=training)
    return outputs
