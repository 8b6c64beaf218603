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
from typing import Any

import numpy as np

from forecast.config import DEFAULT_CONFIG, Config
from forecast.data import WindowData, make_dataset, validation_split
from forecast.models.lstm import structure
from forecast.models.lstm.network import build_model
from forecast.models.lstm.runtime import keras, tf
from forecast.models.lstm.team import Member, Team
from forecast.models.progress import EpochReport, ProgressCallback, Snapshot, TrainingCancelled
from forecast.models.schedule import learning_rates

__all__ = ["EarlyStopping", "Observer", "Training", "structure", "train", "train_many", "warm_up"]

# Takes a network (its Keras model holding the weights after an epoch) and that epoch's report; returns the
# forecasts it makes then. Called every `snapshot_every` epochs; it must not change the weights.
Observer = Callable[[Any, EpochReport], Snapshot]

# Each compiled call trains whole epochs and then reports them. A training's first call takes about
# STEPS_PER_CALL optimizer steps (of all the team's networks); each later one as many epochs as the previous
# call's pace fits in CALL_SECONDS. Progress updates and cancellation checks stay a fraction of a second apart
# for a small network and a large one alike, and a team does not pay a call's overhead (its four tensors per
# network passed in, the losses back: 5–10 ms for 8 networks) after every epoch, as a fixed 100 steps made it.
STEPS_PER_CALL = 100
CALL_SECONDS = 0.25


@dataclasses.dataclass
class Training:
    """A trained model and how it got there."""

    model: keras.Model
    loss: np.ndarray  # (epochs_run,)
    val_loss: np.ndarray  # (epochs_run,)
    learning_rate: np.ndarray  # (epochs_run,) Adam's step size in each epoch
    fit_seconds: float
    best_epoch: int = 0  # with early stopping: the epoch whose weights the model has (1-based); else 0
    snapshots: list[Snapshot] = dataclasses.field(default_factory=list)  # every `snapshot_every` epochs

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


# Teams by network structure and size, most recently used last. A few are kept: a worker switching between a
# handful of structures keeps them all compiled, and each holds only small networks.
_TEAMS: collections.OrderedDict[tuple, Team] = collections.OrderedDict()
_TEAMS_KEPT = 4
_TEAMS_LOCK = threading.Lock()


@contextlib.contextmanager
def _team_for(config: Config, outputs: int, size: int) -> Iterator[Team]:
    """The kept team of the config's structure and this size, or a new one; a private one if another thread is
    training it."""
    key = (config.lookback, config.layers, config.units, config.dense_layers, config.dropout, outputs, size)
    with _TEAMS_LOCK:
        team = _TEAMS.pop(key, None)
    if team is None:
        team = Team(config, outputs, size)
    try:
        yield team
    finally:
        with _TEAMS_LOCK:
            _TEAMS[key] = team  # taken out while in use, so no two trainings share it
            while len(_TEAMS) > _TEAMS_KEPT:
                _TEAMS.popitem(last=False)


def train(
    config: Config, data: WindowData, progress: ProgressCallback | None = None, observer: Observer | None = None
) -> Training:
    """Train the config's model on the training windows, watching the others (all in the network's units).

    `progress` is called once per epoch, in bursts of a few epochs; it may raise `TrainingCancelled` to stop.
    Targets of shape (n,) train a network with one output; targets of shape (n, steps), the next `steps` values
    after each window, train the direct strategy's head of `steps` outputs on the MSE over all of them.
    """
    training = train_many([config], [data], [progress], [observer])[0]
    if training is None:
        raise TrainingCancelled
    return training


def train_many(
    configs: list[Config],
    datas: list[WindowData],
    progresses: list[ProgressCallback | None] | None = None,
    observers: list[Observer | None] | None = None,
) -> list[Training | None]:
    """Train several networks of one structure as one program (`Team`); each gives exactly the numbers it gives
    alone. A network whose progress callback raises `TrainingCancelled` stops there and gets None; the others go on.
    A network with an observer and a config's `snapshot_every` of N is observed after every N-th epoch; the
    snapshot rides on that epoch's report and is kept in its Training.
    """
    if not configs or len({structure(config) for config in configs}) != 1 or len(configs) != len(datas):
        raise ValueError("a team needs one data per config, and configs that share their layers")
    prepared = [_outputs(data) for data in datas]
    outputs = {count for _, count in prepared}
    if len(outputs) != 1:
        raise ValueError(f"a team's networks must have heads of one size, got {sorted(outputs)}")
    # No `keras.backend.clear_session()` here: it also clears TensorFlow's kernel cache, so the kept training loop
    # and predictors were set up again on every training (0.09 s for one network, 0.35 s for a team of 5, 0.5 s
    # for 8). The seeds below make each network's numbers, and `build_model` its layers' names, what a fresh
    # session gives; the automatic collector frees the old models.
    count = prepared[0][1]
    models = []
    for config in configs:
        # Seeds Python, numpy and TensorFlow: initial weights and dropout masks follow from each network's seed.
        keras.utils.set_random_seed(config.seed)
        models.append(build_model(config, count))
    with _team_for(configs[0], count, len(configs)) as team:
        for member, model in zip(team.members, models, strict=True):
            member.start(model)
        none = [None] * len(configs)
        runs = [
            _Run(config, data, member, progress, observer)
            for config, (data, _), member, progress, observer in zip(
                configs, prepared, team.members, progresses or none, observers or none, strict=True
            )
        ]
        seconds = _train_team(team, runs)
        trainings = [run.finish(model, seconds / len(runs)) for run, model in zip(runs, models, strict=True)]
    return trainings


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


class _Run:
    """One network's training within a team: its data as tensors, its rates, its early stopping and its losses."""

    def __init__(
        self,
        config: Config,
        data: WindowData,
        member: Member,
        progress: ProgressCallback | None,
        observer: Observer | None = None,
    ) -> None:
        self.config, self.member, self.progress, self.observer = config, member, progress, observer
        self.every = config.snapshot_every if observer is not None else 0  # epochs between snapshots (0: none)
        self.snapshots: list[Snapshot] = []
        self.tensors, n_fit = _tensors(config, data)
        self.batch = min(config.batch_size, n_fit)
        self.steps_per_epoch = math.ceil(n_fit / self.batch)
        self.rates = learning_rates(config.schedule, config.learning_rate, config.epochs)
        self.stopper = EarlyStopping(member.model, config.patience) if config.patience > 0 else None
        self.losses: list[float] = []
        self.val_losses: list[float] = []
        self.active, self.cancelled = True, False

    def record(self, train_losses: np.ndarray, watched: np.ndarray, elapsed: float) -> None:
        """Take a chunk's epochs: report each, then stop if early stopping says so or the loss is not finite."""
        try:
            for train_loss, val_loss in zip(train_losses, watched, strict=True):
                self.losses.append(float(train_loss))
                self.val_losses.append(float(val_loss))
                epoch = len(self.losses)
                report = EpochReport(epoch, self.config.epochs, self.losses[-1], self.val_losses[-1], elapsed)
                if self.every and epoch % self.every == 0:
                    report = self._observe(report)
                if self.progress is not None:
                    self.progress(report)
        except TrainingCancelled:
            self.active, self.cancelled = False, True
            return
        if self.stopper is not None:
            self.member.sync_model()  # early stopping keeps the Keras model's weights
            if self.stopper.update(len(self.losses), self.val_losses[-1]):
                self.active = False
        # Training diverged (usually a learning rate that is too high): stop instead of burning epochs on NaN.
        if not math.isfinite(self.losses[-1]) or len(self.losses) >= self.config.epochs:
            self.active = False

    def _observe(self, report: EpochReport) -> EpochReport:
        # A snapshot's epoch always ends a chunk (`_train_team`), so the team holds exactly that epoch's weights.
        self.member.sync_model()
        snapshot = self.observer(self.member.model, report)
        self.snapshots.append(snapshot)
        return dataclasses.replace(report, snapshot=snapshot)

    def finish(self, model: keras.Model, fit_seconds: float) -> Training | None:
        """The trained network in its own Keras model (None if it was cancelled)."""
        if self.cancelled:
            return None
        if self.stopper is None:
            self.member.sync_model()
        else:
            self.stopper.restore()
        for variable, value in zip(model.variables, self.member.model.variables, strict=True):
            variable.assign(value)
        best_epoch = self.stopper.best_epoch if self.stopper is not None else 0
        rates = self.rates[: len(self.losses)]
        losses, val_losses = np.array(self.losses), np.array(self.val_losses)
        return Training(model, losses, val_losses, rates, fit_seconds, best_epoch, self.snapshots)


def _epochs_per_call(runs: list[_Run], seconds_per_epoch: float | None = None) -> int:
    """Epochs per compiled call: as many as fit in CALL_SECONDS at the last call's pace (`seconds_per_epoch`),
    else about STEPS_PER_CALL steps in all, whatever the team's size (Stop stays as quick); with snapshots, a
    multiple of their interval where one is near, so that calls end where snapshots are taken (the page's
    default: 10 calls of 20 epochs, not 20 calls of 14 and 6)."""
    if seconds_per_epoch is None:
        per_call = max(1, STEPS_PER_CALL // sum(run.steps_per_epoch for run in runs if run.active))
    else:
        per_call = max(1, int(CALL_SECONDS / max(seconds_per_epoch, 1e-6)))
    every = min((run.every for run in runs if run.every), default=0)
    if every and every <= 2 * per_call:
        return every * max(1, round(per_call / every))
    return per_call


def _train_team(team: Team, runs: list[_Run]) -> float:
    """Run every network's epochs in lockstep, chunk by chunk with progress, until each has finished or stopped;
    returns the seconds it took."""
    started = time.perf_counter()
    watching = any(run.stopper is not None for run in runs)
    epoch, seconds_per_epoch = 0, None
    while any(run.active for run in runs):
        # One epoch per call while early stopping watches, so that the best epoch's weights can be kept.
        per_call = 1 if watching else _epochs_per_call(runs, seconds_per_epoch)
        # A chunk ends where the first active network's epochs do: a finished network never takes a step more.
        count = min(per_call, *(run.config.epochs - epoch for run in runs if run.active))
        # ... and where a network takes a snapshot: it is taken from the weights after that very epoch.
        count = min(count, *(run.every - epoch % run.every for run in runs if run.active and run.every), count)
        rates = np.zeros((len(runs), count), dtype=np.float32)
        for index, run in enumerate(runs):
            if run.active:
                rates[index] = run.rates[epoch : epoch + count]
        called = time.perf_counter()
        chunk = team.run_epochs(
            *[[run.tensors[part] for run in runs] for part in range(4)],
            np.array([run.batch for run in runs], dtype=np.int32),
            np.array([run.config.seed for run in runs], dtype=np.int32),
            epoch,
            rates,
            count,
            np.array([run.active for run in runs]),
        )
        losses, watched = (part.numpy() for part in chunk)  # (count, size) each
        seconds_per_epoch = (time.perf_counter() - called) / count
        elapsed = time.perf_counter() - started
        for index, run in enumerate(runs):
            if run.active:
                run.record(losses[:, index], watched[:, index], elapsed)
        epoch += count
    return time.perf_counter() - started


def warm_up() -> float:
    """Train the default network for one epoch and throw it away; returns the seconds it took.

    A process's first training pays one-time costs on top of its own (TensorFlow's and Keras's lazy set-up of
    functions, gradients and kernels: measured 0.3–0.6 s here); a worker pays them when it starts instead of on
    a visitor's first click, and its compiled training loop is kept for the default network's trainings. No
    result is kept: results still come only from real trainings.
    """
    started = time.perf_counter()
    config = DEFAULT_CONFIG.replace(epochs=1)
    # The model is thrown away; its compiled loop and the kernels set up for it (no clear_session) serve the next
    # training.
    train(config, make_dataset(config).window_data())
    return time.perf_counter() - started
