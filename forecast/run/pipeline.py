"""A run from config to result: data, training, forecasts, baselines and metrics; ensembles through the cache."""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Sequence

import numpy as np

from forecast.config import Config
from forecast.data import Dataset, Fold, Series, folds, load_series, make_dataset, make_series
from forecast.evaluation import backtest
from forecast.models import registry
from forecast.models.base import Forecaster
from forecast.models.progress import ProgressCallback
from forecast.run import keys
from forecast.run.keys import ResultStore, Task, library_versions
from forecast.run.outcome import RunResult
from forecast.run.result import Result

__all__ = ["Plan", "Trainer", "compute", "forecasters", "plan", "resolve", "run", "run_all", "run_ensemble"]

# Trains the given tasks, in order; None when the training was stopped or failed (already reported).
Trainer = Callable[[list[Task]], Sequence[Result] | None]


@functools.lru_cache(maxsize=8)
def _fitted(kind: type[Forecaster], season_length: int, train: bytes) -> Forecaster:
    # The members of an ensemble share the series, so a worker fits ARIMA and ETS once for all of them.
    return kind(season_length).fit(np.frombuffer(train, dtype=np.float64))


def forecasters(config: Config, dataset: Dataset, progress: ProgressCallback | None = None) -> dict[str, Forecaster]:
    """The config's LSTM and every baseline that applies, in the order they are shown (classical ones fitted)."""
    # Imported here because it imports TensorFlow: everything before training stays fast to start.
    from forecast.models.lstm.forecaster import LSTMForecaster

    train = np.ascontiguousarray(dataset.ys[: dataset.origin], dtype=np.float64)
    # The direct strategy's output head covers the fold's whole test part, or its future.
    steps = dataset.fold.horizon if dataset.fold.is_future else dataset.n_test
    chosen: dict[str, Forecaster] = {
        "lstm": LSTMForecaster(config, watch=dataset.ys[dataset.origin :], progress=progress, steps=steps),
        **registry.baselines_for(config, len(train)),
    }
    for name, forecaster in registry.classical_for(config, len(train)).items():
        chosen[name] = _fitted(type(forecaster), getattr(forecaster, "season_length", 0), train.tobytes())
    return chosen


def compute(config: Config, dataset: Dataset | None = None, progress: ProgressCallback | None = None) -> Result:
    """Train the config's LSTM and evaluate it beside the baselines on the dataset's fold; no caching.

    A backtest window: every kind of forecast of its test part. The future: the forecast past the series' end.

    `progress` is called after every epoch (see `forecast.models.lstm.trainer.train`). Every forecast is in the
    series' own units (each forecaster inverts its own transform).
    """
    from forecast.models.lstm import network

    dataset = dataset if dataset is not None else make_dataset(config)
    chosen = forecasters(config, dataset, progress)
    if dataset.fold.is_future:
        horizon = dataset.fold.horizon
        table = backtest.forecast_future(chosen, dataset.ys, horizon, first_target=dataset.first_target)
    else:
        table = backtest.evaluate(chosen, dataset.ys, dataset.n_test, first_target=dataset.first_target)
    training = chosen["lstm"].training
    return Result(
        config=config,
        xs=dataset.xs,
        ys=dataset.ys,
        n_train=dataset.n_train,
        n_test=dataset.n_test,
        forecasts=table,
        loss=training.loss,
        val_loss=training.val_loss,
        learning_rate=training.learning_rate,
        fit_seconds=training.fit_seconds,
        model_bytes=network.model_to_bytes(training.model),
        versions=library_versions(),
        best_epoch=training.best_epoch,
        fold=dataset.fold,
        future_xs=dataset.future_xs,
        truth=dataset.truth,
    )


def resolve(
    tasks: Sequence[Task], cache: ResultStore | None, train: Trainer, warnings: list[str] | None = None
) -> list[Result] | None:
    """The result of every task: from `cache` where it holds one, else trained.

    `train` is called once, with the tasks the cache lacks (in order), and only if it lacks any; it stores what
    it trains (the CLI trains in process, the app in worker processes). Returns None if `train` does. Problems
    reading the cache go to `warnings` (this caller's), or else to the cache's own list.
    """
    found = [cache.get(task.key, warnings) if cache is not None else None for task in tasks]
    missing = [task for task, result in zip(tasks, found, strict=True) if result is None]
    if not missing:
        return [result for result in found if result is not None]
    trained = train(missing)
    if trained is None:
        return None
    if len(trained) != len(missing):
        raise ValueError(f"expected {len(missing)} trained results, got {len(trained)}")
    fresh = iter(trained)
    return [result if result is not None else next(fresh) for result in found]


@dataclasses.dataclass(frozen=True)
class Plan:
    """What a run trains: its folds, a task per network, and the dataset of each fold (shared by its members)."""

    config: Config
    folds: tuple[Fold, ...]
    tasks: tuple[Task, ...]
    datasets: dict[Fold, Dataset]

    def assemble(self, results: Sequence[Result]) -> RunResult:
        """The run's results, grouped by fold in the plan's order."""
        by_fold = {
            fold: tuple(r for task, r in zip(self.tasks, results, strict=True) if task.fold == fold)
            for fold in self.folds
        }
        return RunResult(self.config, self.folds, tuple(by_fold[fold] for fold in self.folds))


def plan(config: Config, series: Series) -> Plan:
    """The run of `config` on `series` (as `load_series` reads it): ValueError if anything does not fit, before
    any training (the split, the windows, the horizon, the budget of every network)."""
    # Every fold's members share its dataset: they differ only in the seed, and an ensemble has no noise to draw.
    _, values = make_series(config, series=series)
    run_folds = tuple(folds(config, len(values)))
    datasets = {fold: make_dataset(config, series=series, fold=fold) for fold in run_folds}
    return Plan(config, run_folds, tuple(keys.tasks(config, list(run_folds))), datasets)


def run_all(
    config: Config,
    *,
    cache: ResultStore | None = None,
    progress: ProgressCallback | None = None,
    upload: bytes | None = None,
    on_task: Callable[[int, int, Task], None] | None = None,
) -> RunResult:
    """Every network of the config's run, trained in this process where the cache lacks it.

    Raises ValueError before any training if the series is unusable. `on_task(number, total, task)` is called
    before each network trains (number from 1, among the ones trained).
    """
    run_plan = plan(config, load_series(config, upload))

    def train_here(missing: list[Task]) -> list[Result]:
        results = []
        for number, task in enumerate(missing, start=1):
            if on_task is not None:
                on_task(number, len(missing), task)
            result = compute(task.config, run_plan.datasets[task.fold], progress=progress)
            if cache is not None:
                cache.put(task.key, result)
            results.append(result)
        return results

    results = resolve(run_plan.tasks, cache, train_here)
    if results is None:  # train_here never stops early; this only guards against a change to it
        raise RuntimeError("training in this process returned no results")
    return run_plan.assemble(results)


def run_ensemble(
    config: Config,
    *,
    cache: ResultStore | None = None,
    progress: ProgressCallback | None = None,
    upload: bytes | None = None,
) -> list[Result]:
    """The holdout's result of every member of the config's ensemble (one for ensemble size 1)."""
    return list(run_all(config, cache=cache, progress=progress, upload=upload).members)


def run(
    config: Config,
    *,
    cache: ResultStore | None = None,
    progress: ProgressCallback | None = None,
    upload: bytes | None = None,
) -> Result:
    """The holdout's result for a config: from `cache` if it holds one, else computed (and stored there).

    `upload` is the file's bytes when the config's source is an upload. Raises ValueError before any training
    if the series is unusable. An ensemble config is trained as its members; this returns the first member.
    """
    first = config.member(0) if config.ensemble > 1 else config
    return run_ensemble(first, cache=cache, progress=progress, upload=upload)[0]
