"""The LSTM as a forecaster: trained on the windows of its training part, watched on the part after it."""

from __future__ import annotations

import numpy as np

from forecast.config import Config
from forecast.data import WindowData, chain_of, make_windows
from forecast.models.lstm import network, trainer
from forecast.models.progress import ProgressCallback
from forecast.models.window import WindowForecaster

__all__ = ["LSTMForecaster"]


class LSTMForecaster(WindowForecaster):
    """The config's stacked LSTM: the same windows as the linear AR, standardised when the config scales.

    `watch`: the values after the training part (the test part), whose loss is reported every epoch and never
    used to steer training. `progress` is called after every epoch and may stop the training.
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
        super().__init__(config.lookback, chain_of(config), config.scaling)
        self.config = config
        self.watch = np.asarray(watch, dtype=np.float64) if watch is not None else np.empty(0)
        self.progress = progress
        self.steps = steps  # the direct strategy's output head: how many steps one forecast covers
        self.training: trainer.Training | None = None
        self._predict: network.Predictor | None = None

    def _fit(self, train: np.ndarray) -> None:
        self._train_values = train
        super()._fit(train)

    def _fit_windows(self, windows: np.ndarray, targets: np.ndarray) -> None:
        scale = self.transform.scale
        if len(self.watch):
            # The watched windows: those whose targets lie in `watch`, cut from the transformed whole.
            series = np.concatenate([self._train_values, self.watch])
            all_windows, all_targets = make_windows(self.transform.apply(series), self.lookback)
            watch_windows, watch_targets = all_windows[len(windows) :], all_targets[len(windows) :]
        else:
            # Nothing follows the training part (the future): the loss watched is the training windows' own.
            watch_windows, watch_targets = windows, targets
        data = WindowData(scale(windows), scale(targets), scale(watch_windows), scale(watch_targets))
        self.training = trainer.train(self.config, data, progress=self.progress)
        self._predict = network.predictor(self.training.model)

    def predict_windows(self, windows: np.ndarray) -> np.ndarray:
        if self._predict is None:
            raise ValueError("the LSTM is not trained yet: call fit(train) first")
        # The network works in scaled units; its windows and outputs are transformed values.
        return self.transform.unscale(self._predict(self.transform.scale(windows)))
