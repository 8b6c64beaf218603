import keras
import numpy as np
import pytest
import tensorflow as tf

from forecast.data import WindowData, make_dataset
from forecast.models.lstm import fused, network, trainer
from forecast.models.lstm.network import build_model
from forecast.models.lstm.trainer import train
from forecast.models.progress import EpochReport, TrainingCancelled
from forecast.models.schedule import learning_rates
from forecast.models.window import direct_windows


def test_build_model_stacks_layers_as_configured(tiny_config):
    model = build_model(tiny_config.replace(layers=3, units=8, dropout=0.2, dense_layers=2))
    kinds = [type(layer).__name__ for layer in model.layers]
    assert kinds == ["LSTM", "Dropout", "LSTM", "Dropout", "LSTM", "Dense", "Dense", "Dense"]
    lstms = [layer for layer in model.layers if isinstance(layer, keras.layers.LSTM)]
    assert [layer.return_sequences for layer in lstms] == [True, True, False]
    assert all(layer.units == 8 for layer in lstms)
    assert model.output_shape == (None, 1)
    assert model.input_shape == (None, tiny_config.lookback, 1)
    # The direct strategy's head: the same network with one output per step.
    assert build_model(tiny_config, outputs=6).output_shape == (None, 6)
    with pytest.raises(ValueError, match="outputs must be at least 1"):
        build_model(tiny_config, outputs=0)


def test_layer_names_do_not_depend_on_the_models_built_before(tiny_config):
    # The trainer no longer resets Keras's name counters (clear_session), so a model must name its own layers: a
    # saved or downloaded model is the same file whatever the process trained before.
    config = tiny_config.replace(layers=3, dropout=0.2, dense_layers=1)
    keras.backend.clear_session(free_memory=False)
    first = [layer.name for layer in build_model(config).layers]
    train(tiny_config, make_dataset(tiny_config).window_data())
    again = [layer.name for layer in build_model(config).layers]
    assert first == again == ["lstm", "dropout", "lstm_1", "dropout_1", "lstm_2", "dense", "dense_1"]


def test_original_architecture_parameter_count():
    # LSTM(32) on 1 feature: 4·32·(1+32+1) = 4352; on 32 features: 4·32·(32+32+1) = 8320 each; Dense: 33.
    from forecast.config import ORIGINAL_RECIPE

    assert build_model(ORIGINAL_RECIPE).count_params() == 4352 + 8320 + 8320 + 33


def test_train_reports_every_epoch_and_returns_history(tiny_config):
    config = tiny_config.replace(epochs=5)
    reports: list[EpochReport] = []
    training = train(config, make_dataset(config).window_data(), progress=reports.append)
    assert [report.epoch for report in reports] == [1, 2, 3, 4, 5]
    assert all(report.epochs == 5 for report in reports)
    assert training.epochs_run == 5
    np.testing.assert_allclose(training.loss, [report.loss for report in reports])
    np.testing.assert_allclose(training.val_loss, [report.val_loss for report in reports])
    assert np.all(np.isfinite(training.loss)) and np.all(training.val_loss > 0)
    assert training.fit_seconds > 0
    assert reports[-1].elapsed <= training.fit_seconds


def test_training_reduces_the_loss(tiny_config):
    config = tiny_config.replace(epochs=30, units=8, learning_rate=0.01)
    training = train(config, make_dataset(config).window_data())
    assert training.loss[-1] < 0.5 * training.loss[0]


def test_progress_callback_can_cancel(tiny_config):
    config = tiny_config.replace(epochs=50, batch_size=64)

    def stop_after_two(report: EpochReport) -> None:
        if report.epoch == 2:
            raise TrainingCancelled

    with pytest.raises(TrainingCancelled):
        train(config, make_dataset(config).window_data(), progress=stop_after_two)


def test_training_is_deterministic(tiny_config):
    config = tiny_config.replace(epochs=3, dropout=0.3, layers=2)
    dataset = make_dataset(config)
    first = train(config, dataset.window_data())
    second = train(config, dataset.window_data())
    np.testing.assert_array_equal(first.loss, second.loss)
    for a, b in zip(first.model.get_weights(), second.model.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    other = train(config.replace(seed=1), dataset.window_data())
    assert not np.array_equal(first.loss, other.loss)


def test_chunking_does_not_change_the_numbers(tiny_config, monkeypatch):
    config = tiny_config.replace(epochs=4)
    dataset = make_dataset(config)
    whole = train(config, dataset.window_data())
    monkeypatch.setattr(trainer, "STEPS_PER_CALL", 1)  # one epoch per compiled call: the first …
    monkeypatch.setattr(trainer, "CALL_SECONDS", 0.0)  # … and every later one
    chunked = train(config, dataset.window_data())
    np.testing.assert_allclose(whole.loss, chunked.loss, rtol=1e-6)


def test_later_calls_take_as_many_epochs_as_fit_in_call_seconds(tiny_config, monkeypatch):
    chunks = []
    record = trainer._Run.record

    def spy(self, losses, watched, elapsed):
        chunks.append(len(losses))
        return record(self, losses, watched, elapsed)

    monkeypatch.setattr(trainer._Run, "record", spy)
    config = tiny_config.replace(epochs=30)
    data = make_dataset(config).window_data()
    monkeypatch.setattr(trainer, "STEPS_PER_CALL", 1)  # the first call: one epoch
    monkeypatch.setattr(trainer, "CALL_SECONDS", 1000.0)  # then everything left fits in one call
    train(config, data)
    assert chunks == [1, 29]
    chunks.clear()
    monkeypatch.setattr(trainer, "CALL_SECONDS", 0.0)  # nothing fits: one epoch per call
    train(config, data)
    assert chunks == [1] * 30


def plain_keras_training(config, x, y, x_watch, y_watch) -> tuple[list[np.ndarray], list[float], list[float]]:
    """Keras's LSTM layers, `keras.optimizers.Adam` with the schedule's rate per epoch, `fit`'s batching and MSE
    over every output: the weights after training, and each epoch's train and watched loss."""
    rates = learning_rates(config.schedule, config.learning_rate, config.epochs)
    keras.backend.clear_session()
    keras.utils.set_random_seed(config.seed)
    outputs = 1 if y.ndim == 1 else y.shape[1]
    reference = build_model(config, outputs)
    optimizer = keras.optimizers.Adam(learning_rate=config.learning_rate)

    def predict(inputs, training):
        predictions = reference(inputs, training=training)
        return predictions[:, 0] if outputs == 1 else predictions

    losses, watched = [], []
    for epoch in range(config.epochs):
        optimizer.learning_rate = rates[epoch]
        keys = tf.random.stateless_uniform([len(x)], seed=tf.constant([config.seed, epoch], tf.int64))
        order = tf.argsort(keys, stable=True).numpy()
        squared_errors = 0.0
        for start in range(0, len(x), config.batch_size):
            batch = order[start : start + config.batch_size]
            with tf.GradientTape() as tape:
                errors = tf.square(predict(x[batch], True) - y[batch])
                loss = tf.reduce_mean(errors)
            squared_errors += float(tf.reduce_sum(errors))
            gradients = tape.gradient(loss, reference.trainable_variables)
            optimizer.apply_gradients(zip(gradients, reference.trainable_variables, strict=True))
        losses.append(squared_errors / y.size)
        watched.append(float(tf.reduce_mean(tf.square(predict(x_watch, False) - y_watch))))
    return reference.get_weights(), losses, watched


@pytest.mark.parametrize("schedule", ["constant", "cosine"])
def test_matches_a_plain_keras_loop_with_a_partial_last_batch(tiny_config, schedule):
    """Keras's LSTM layers, `keras.optimizers.Adam` with the schedule's rate per epoch, `fit`'s batching.

    The padded last batch must give exactly the update of the smaller batch, as Keras's fit does, and the fused
    LSTM kernels the same gradients as Keras's own LSTM.
    """
    config = tiny_config.replace(epochs=3, batch_size=16, layers=2, schedule=schedule, learning_rate=0.01)
    dataset = make_dataset(config)
    assert dataset.n_train % config.batch_size != 0  # the case under test
    training = train(config, dataset.window_data())
    rates = learning_rates(config.schedule, config.learning_rate, config.epochs)
    np.testing.assert_array_equal(training.learning_rate, rates)

    scaler = dataset.scaler
    x = scaler.transform(dataset.train_windows)[..., np.newaxis].astype(np.float32)
    y = scaler.transform(dataset.train_targets).astype(np.float32)
    x_watch = scaler.transform(dataset.test_windows)[..., np.newaxis].astype(np.float32)
    y_watch = scaler.transform(dataset.test_targets).astype(np.float32)
    weights, losses, watched = plain_keras_training(config, x, y, x_watch, y_watch)
    for got, want in zip(training.model.get_weights(), weights, strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(training.loss, losses, rtol=1e-4)
    np.testing.assert_allclose(training.val_loss, watched, rtol=1e-4)


def test_a_direct_head_trains_on_the_mse_over_all_its_outputs(tiny_config, monkeypatch):
    """Targets (n, steps) train a head of `steps` outputs like the plain Keras loop; the one-output network of the
    same structure keeps its own compiled trainer and numbers."""
    _fresh_trainers(monkeypatch)
    config = tiny_config.replace(epochs=3, batch_size=16, layers=2, learning_rate=0.01)
    dataset = make_dataset(config)
    before = train(config, dataset.window_data())
    scaled = dataset.scaler.transform(np.concatenate([dataset.train_windows[0], dataset.train_targets]))
    windows, targets = direct_windows(scaled, config.lookback, 4)
    watch_windows, watch_targets = windows[-5:], targets[-5:]
    training = train(config, WindowData(windows[:-5], targets[:-5], watch_windows, watch_targets))
    assert training.model.output_shape == (None, 4)
    weights, losses, watched = plain_keras_training(
        config,
        windows[:-5, :, np.newaxis].astype(np.float32),
        targets[:-5].astype(np.float32),
        watch_windows[..., np.newaxis].astype(np.float32),
        watch_targets.astype(np.float32),
    )
    for got, want in zip(training.model.get_weights(), weights, strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(training.loss, losses, rtol=1e-4)
    np.testing.assert_allclose(training.val_loss, watched, rtol=1e-4)
    assert len(trainer._TEAMS) == 2  # one compiled loop per number of outputs
    after = train(config, dataset.window_data())
    np.testing.assert_array_equal(before.loss, after.loss)
    with pytest.raises(ValueError, match="targets must be"):
        train(config, WindowData(windows, targets, watch_windows, watch_targets[:, :2]))


def test_predictor_and_model_bytes_round_trip(tiny_config):
    dataset = make_dataset(tiny_config)
    training = train(tiny_config, dataset.window_data())
    windows = dataset.window_data().watch_windows
    predictions = network.predictor(training.model)(windows)
    assert predictions.shape == (dataset.n_test,)
    data = network.model_to_bytes(training.model)
    assert data[:2] == b"PK"  # a .keras file is a zip archive
    restored = network.model_from_bytes(data)
    np.testing.assert_allclose(network.predictor(restored)(windows), predictions, rtol=1e-6)


def test_fused_adam_matches_keras_adam():
    initial = np.array([[0.5, -1.0], [2.0, 0.25]], dtype=np.float32)
    ours = keras.Variable(initial.copy())
    theirs = keras.Variable(initial.copy())
    optimizer = fused.FusedAdam([ours], learning_rate=0.01)
    reference = keras.optimizers.Adam(learning_rate=0.01)
    rng = np.random.default_rng(0)
    for _ in range(20):
        gradient = tf.constant(rng.normal(size=initial.shape).astype(np.float32))
        optimizer.apply([gradient])
        reference.apply_gradients([(gradient, theirs)])
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-5, atol=1e-6)
    assert not np.allclose(ours.numpy(), initial)


@pytest.mark.parametrize(
    "changes",
    [
        {"layers": 3, "units": 6, "dense_layers": 2},
        {"layers": 2, "units": 5, "lookback": 40, "x_step": 0.1},  # longer than MAX_UNROLLED_LOOKBACK: Keras loops
    ],
)
def test_fused_forward_matches_keras_outputs_and_gradients(tiny_config, changes):
    """The trainer's fused LSTM kernels compute what the Keras model computes, forward and backward."""
    config = tiny_config.replace(**changes)
    keras.backend.clear_session()
    keras.utils.set_random_seed(3)
    model = build_model(config)
    inputs = tf.constant(np.random.default_rng(0).normal(size=(7, config.lookback, 1)).astype(np.float32))
    with tf.GradientTape(persistent=True) as tape:
        ours = fused.forward(model, inputs, False)
        theirs = model(inputs, training=False)
        our_loss, their_loss = tf.reduce_sum(tf.square(ours)), tf.reduce_sum(tf.square(theirs))
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-5, atol=1e-6)
    variables = model.trainable_variables
    for got, want in zip(tape.gradient(our_loss, variables), tape.gradient(their_loss, variables), strict=True):
        np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-4, atol=1e-6)


def test_cosine_schedule_decays_from_the_learning_rate():
    rates = learning_rates("cosine", 0.02, 4)
    np.testing.assert_allclose(
        rates, [0.02, 0.02 * (1 + np.cos(np.pi / 4)) / 2, 0.01, 0.02 * (1 - np.cos(np.pi / 4)) / 2]
    )
    np.testing.assert_array_equal(learning_rates("constant", 0.001, 3), [0.001] * 3)
    with pytest.raises(ValueError, match="schedule must be one of constant, cosine"):
        learning_rates("step", 0.01, 3)


def test_warm_up_leaves_later_trainings_unchanged(tiny_config):
    dataset = make_dataset(tiny_config)
    before = train(tiny_config, dataset.window_data())
    assert trainer.warm_up() > 0
    after = train(tiny_config, dataset.window_data())
    np.testing.assert_array_equal(before.loss, after.loss)
    np.testing.assert_array_equal(before.learning_rate, after.learning_rate)


def _fresh_trainers(monkeypatch) -> None:
    monkeypatch.setattr(trainer, "_TEAMS", type(trainer._TEAMS)())


def test_a_reused_trainer_gives_the_numbers_of_a_new_one(tiny_config, monkeypatch):
    # Same structure, other data, batch size, seed, schedule and a cancelled run in between: the kept trainer must
    # start the next training exactly where a new process would.
    config = tiny_config.replace(epochs=4, dropout=0.3, layers=2)
    _fresh_trainers(monkeypatch)
    new = train(config, make_dataset(config).window_data())
    other = config.replace(seed=5, batch_size=7, expression="sin(x)", schedule="cosine", epochs=3)
    train(other, make_dataset(other).window_data())

    def stop(report: EpochReport) -> None:
        raise TrainingCancelled

    with pytest.raises(TrainingCancelled):
        train(other, make_dataset(other).window_data(), progress=stop)
    assert len(trainer._TEAMS) == 1
    reused = train(config, make_dataset(config).window_data())
    np.testing.assert_array_equal(new.loss, reused.loss)
    np.testing.assert_array_equal(new.val_loss, reused.val_loss)
    for a, b in zip(new.model.get_weights(), reused.model.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


def test_a_returned_model_is_not_changed_by_later_trainings(tiny_config, monkeypatch):
    _fresh_trainers(monkeypatch)
    config = tiny_config.replace(epochs=3)
    first = train(config, make_dataset(config).window_data())
    weights = first.model.get_weights()
    train(config.replace(seed=9), make_dataset(config).window_data())
    for a, b in zip(weights, first.model.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


def test_trainers_are_kept_per_structure_and_bounded(tiny_config, monkeypatch):
    _fresh_trainers(monkeypatch)
    for units in (2, 3, 4, 5, 6, 7):
        config = tiny_config.replace(epochs=1, units=units)
        train(config, make_dataset(config).window_data())
    assert len(trainer._TEAMS) == trainer._TEAMS_KEPT
    assert [key[2] for key in trainer._TEAMS] == [4, 5, 6, 7]  # the most recent structures


def _same_training(alone: trainer.Training, teamed: trainer.Training) -> None:
    np.testing.assert_array_equal(alone.loss, teamed.loss)
    np.testing.assert_array_equal(alone.val_loss, teamed.val_loss)
    np.testing.assert_array_equal(alone.learning_rate, teamed.learning_rate)
    assert alone.best_epoch == teamed.best_epoch
    for a, b in zip(alone.model.get_weights(), teamed.model.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


def test_a_team_gives_each_network_exactly_its_numbers_alone(tiny_config):
    """Networks of one structure trained as one program: other seeds, epochs, schedules, learning rates, batch
    sizes, early stopping and data (another count of windows) do not change a network's numbers."""
    config = tiny_config.replace(epochs=4, layers=2, dropout=0.2)
    other_data = config.replace(expression="sin(x)", x_end=8.0)
    configs = [
        config,
        config.replace(seed=3, epochs=2, learning_rate=0.02),
        config.replace(seed=4, schedule="cosine", batch_size=5),
        config.replace(seed=5, patience=1, epochs=6),
        other_data,
    ]
    datas = [make_dataset(one).window_data() for one in configs]
    assert len(datas[-1].train_targets) != len(datas[0].train_targets)
    teamed = trainer.train_many(configs, datas)
    for one, data, together in zip(configs, datas, teamed, strict=True):
        _same_training(train(one, data), together)
    assert [len(training.loss) for training in teamed[:3]] == [4, 2, 4]


def test_a_stopped_network_leaves_its_team_going(tiny_config):
    config = tiny_config.replace(epochs=3)
    data = make_dataset(config).window_data()

    def stop(report: EpochReport) -> None:
        raise TrainingCancelled

    configs = [config, config.replace(seed=1)]
    stopped, going = trainer.train_many(configs, [data, data], [stop, None])
    assert stopped is None
    _same_training(train(configs[1], data), going)


def test_a_team_needs_one_structure(tiny_config):
    data = make_dataset(tiny_config).window_data()
    with pytest.raises(ValueError, match="share their layers"):
        trainer.train_many([tiny_config, tiny_config.replace(units=7)], [data, data])
