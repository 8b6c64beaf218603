"""The LSTM as a forecaster: trained on the windows of its training part, watched on the part after it."""

from __future__ import annotations

import numpy as np

from forecast.config import Config
from forecast.data import WindowData, chain_of, make_windows
from forecast.models.lstm import network, trainer
from forecast.models.progress import EpochReport, ProgressCallback, Snapshot
from forecast.models.window import WindowForecaster, direct_windows

__all__ = ["LSTMForecaster", "fit_together"]


class LSTMForecaster(WindowForecaster):
    """The config's stacked LSTM: the same windows as the linear AR, standardised when the config scales.

    `watch`: the values after the training part (the test part), whose loss is reported every epoch and never
    used to steer training. `progress` is called after every epoch and may stop the training.

    With the config's strategy "direct", the network's output head has `steps` outputs (the test part's length,
    or the horizon): it is trained on the next `steps` values after each window and forecasts them all at once
    from the last window. A forecast longer than `steps` goes on from a window ending with the head's outputs, in
    chunks of `steps`. With "recursive" (the default) `steps` is not used: one output, fed its own predictions.

    With the config's `snapshot_every` of N, every N-th epoch's forecasts are kept (`training.snapshots`) and sent
    with that epoch's report: of the watched part (one-step and recursive), or without one, of the `steps` after
    the training part (the future).
    """

    name = "lstm"

    def __init__(
        self,
        config: Config,
        *,
        watch: np.ndarray | None = None,
        progress: ProgressCallback | None = None,
        steps: int = 1,
    ) -> None:
        if steps < 1:
            raise ValueError(f"steps must be at least 1 (the steps the direct strategy's head covers), got {steps}")
        head = steps if config.strategy == "direct" else 1
        super().__init__(config.lookback, chain_of(config), config.scaling, head=head)
        self.config = config
        self.watch = np.asarray(watch, dtype=np.float64) if watch is not None else np.empty(0)
        self.progress = progress
        self.steps = steps  # the direct strategy's output head: how many steps one forecast covers
        self.training: trainer.Training | None = None
        self._predict: network.Predictor | None = None
        # Set by `fit_together`: fitting then keeps the windows to train on (`_data`) for the team to train.
        self._deferred = False
        self._data: WindowData | None = None

    def _fit(self, train: np.ndarray) -> None:
        self._train_values = train
        super()._fit(train)

    def _watched(self, windows: np.ndarray, targets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The windows whose targets all lie in `watch`, cut from the transformed whole; the training windows
        themselves when there are none (nothing follows the training part: the future)."""
        if not len(self.watch):
            return windows, targets
        transformed = self.transform.apply(np.concatenate([self._train_values, self.watch]))
        # The first window whose (first) target is the first watched value, the one after the last training value:
        # the training windows end `head` − 1 windows before it (their last target is the last training value).
        first = len(windows) + self.head - 1
        if self.head == 1:
            all_windows, all_targets = make_windows(transformed, self.lookback)
        elif len(transformed) - self.lookback - self.head + 1 > first:
            all_windows, all_targets = direct_windows(transformed, self.lookback, self.head)
        else:
            return windows, targets  # the watched part is shorter than the head: no window has all its targets
        return all_windows[first:], all_targets[first:]

    def _fit_windows(self, windows: np.ndarray, targets: np.ndarray) -> None:
        scale = self.transform.scale
        watch_windows, watch_targets = self._watched(windows, targets)
        data = WindowData(scale(windows), scale(targets), scale(watch_windows), scale(watch_targets))
        if self._deferred:
            self._data = data
            return
        self._adopt(trainer.train(self.config, data, progress=self.progress, observer=self.observer))

    @property
    def observer(self) -> trainer.Observer | None:
        """What the trainer calls every `snapshot_every` epochs (None when the config takes no snapshots)."""
        return self._snapshot if self.config.snapshot_every > 0 else None

    def _snapshot(self, model, report: EpochReport) -> Snapshot:
        """The forecasts the network makes with the weights it has now; the trained ones are not touched."""
        kept, self._predict = self._predict, network.predictor(model)
        try:
            if len(self.watch):
                one_step, recursive = self._watched_one_step(), self.forecast(len(self.watch))
                future = np.empty(0)
            else:
                one_step, recursive, future = np.empty(0), np.empty(0), self.forecast(self.steps)
        finally:
            self._predict = kept
        return Snapshot(report.epoch, report.loss, report.val_loss, one_step, recursive, future)

    def _watched_one_step(self) -> np.ndarray:
        """The one-step predictions of the watched test part from its own windows only, where `one_step` predicts
        every window of the series (for `fitted`): the default run's 79 instead of 395. A row of a batch of two or
        more windows comes out of the fused op bit for bit as in a larger batch (a lone window takes another
        kernel), so the last snapshot is still exactly the trained forecast (tests/run/test_snapshots.py)."""
        last = len(self.watch) if len(self.watch) >= 2 else None  # a lone window: every window, as `one_step`
        return self._every_window(self.train, self.watch, last)[-len(self.watch) :]

    def _adopt(self, training: trainer.Training) -> None:
        self.training = training
        self._predict = network.predictor(training.model)

    def _predicted(self, windows: np.ndarray) -> np.ndarray:
        if self._predict is None:
            raise ValueError("the LSTM is not trained yet: call fit(train) first")
        # The network works in scaled units; its windows and outputs are transformed values.
        return self.transform.unscale(self._predict(self.transform.scale(windows)))

    def _forecast(self, history: np.ndarray, horizon: int) -> np.ndarray:
        if self.head != 1 or self._predict is None:
            return super()._forecast(history, horizon)
        # The recursive forecast rolled forward inside the network's compiled call, in its scaled units (the
        # scaling is affine: rolling there gives the numbers of rolling in transformed units, step by step).
        window = self.transform.scale(self.transform.apply(history)[-self.lookback :])
        changes = self.transform.unscale(self._predict.roll(window, horizon))
        return self.transform.invert_recursive(history, changes)

    def predict_windows(self, windows: np.ndarray) -> np.ndarray:
        predicted = self._predicted(windows)
        return predicted if self.head == 1 else predicted[:, 0]  # a head's first output: the one-step prediction

    def predict_head(self, windows: np.ndarray) -> np.ndarray:
        return self._predicted(windows).reshape(len(windows), self.head)


def fit_together(forecasters: list[LSTMForecaster], trains: list[np.ndarray]) -> list[bool]:
    """Fit LSTMs of one structure and head, each on its training part, as one team (`trainer.train_many`): each
    ends exactly as `fit` alone leaves it. True for each one fitted, False for one whose training was stopped
    (its progress callback raised `TrainingCancelled`): it stays unfitted.
    """
    datas = []
    for forecaster, train in zip(forecasters, trains, strict=True):
        forecaster._deferred = True
        try:
            forecaster.fit(train)  # the checks, the transform and the windows; no training yet
        finally:
            forecaster._deferred = False
        datas.append(forecaster._data)
        forecaster._data = None
    trainings = trainer.train_many(
        [forecaster.config for forecaster in forecasters],
        datas,
        [forecaster.progress for forecaster in forecasters],
        [forecaster.observer for forecaster in forecasters],
    )
    for forecaster, training in zip(forecasters, trainings, strict=True):
        if training is not None:
            forecaster._adopt(training)
        else:
            forecaster._train = None  # not fitted after all
    return [training is not None for training in trainings]
