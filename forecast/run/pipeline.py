"""A run from config to result: data, training, forecasts, baselines and metrics; ensembles through the cache."""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence

import numpy as np

from forecast.config import Config
from forecast.data import Dataset, load_series, make_dataset
from forecast.evaluation import backtest
from forecast.models import registry
from forecast.models.base import Forecaster
from forecast.models.progress import ProgressCallback
from forecast.run.keys import ResultStore, library_versions, result_key
from forecast.run.result import Result

__all__ = [
    "Trainer",
    "compute",
    "forecasters",
    "resolve_members",
    "run",
    "run_ensemble",
]

# Trains the given member configs, in order; None when the training was stopped or failed (already reported).
Trainer = Callable[[list[Config]], Sequence[Result] | None]


@functools.lru_cache(maxsize=8)
def _fitted(kind: type[Forecaster], season_length: int, train: bytes) -> Forecaster:
    # The members of an ensemble share the series, so a worker fits ARIMA and ETS once for all of them.
    return kind(season_length).fit(np.frombuffer(train, dtype=np.float64))


def forecasters(config: Config, dataset: Dataset, progress: ProgressCallback | None = None) -> dict[str, Forecaster]:
    """The config's LSTM and every baseline that applies, in the order they are shown (classical ones fitted)."""
    # Imported here because it imports TensorFlow: everything before training stays fast to start.
    from forecast.models.lstm.forecaster import LSTMForecaster

    train = np.ascontiguousarray(dataset.ys[: dataset.origin], dtype=np.float64)
    chosen: dict[str, Forecaster] = {
        "lstm": LSTMForecaster(config, watch=dataset.ys[dataset.origin :], progress=progress),
        **registry.baselines_for(config, len(train)),
    }
    for name, forecaster in registry.classical_for(config, len(train)).items():
        chosen[name] = _fitted(type(forecaster), getattr(forecaster, "season_length", 0), train.tobytes())
    return chosen


def compute(config: Config, dataset: Dataset | None = None, progress: ProgressCallback | None = None) -> Result:
    """Train the config's LSTM and evaluate it beside the baselines on the dataset's test part; no caching.

    `progress` is called after every epoch (see `forecast.models.lstm.trainer.train`). Every forecast is in the
    series' own units (each forecaster inverts its own transform).
    """
    from forecast.models.lstm import network

    dataset = dataset if dataset is not None else make_dataset(config)
    chosen = forecasters(config, dataset, progress)
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
    )


def resolve_members(
    config: Config, cache: ResultStore | None, train: Trainer, warnings: list[str] | None = None
) -> list[Result] | None:
    """The result of every network of the config's ensemble: from `cache` where it holds one, else trained.

    `train` is called once, with the members the cache lacks (in order), and only if it lacks any; it stores
    what it trains (the CLI trains in process, the app in worker processes). Returns None if `train` does.
    Problems reading the cache go to `warnings` (this caller's), or else to the cache's own list.
    """
    members = config.members()
    found = [cache.get(result_key(member), warnings) if cache is not None else None for member in members]
    missing = [member for member, result in zip(members, found, strict=True) if result is None]
    if not missing:
        return [result for result in found if result is not None]
    trained = train(missing)
    if trained is None:
        return None
    if len(trained) != len(missing):
        raise ValueError(f"expected {len(missing)} trained results, got {len(trained)}")
    fresh = iter(trained)
    return [result if result is not None else next(fresh) for result in found]


def run_ensemble(
    config: Config,
    *,
    cache: ResultStore | None = None,
    progress: ProgressCallback | None = None,
    upload: bytes | None = None,
) -> list[Result]:
    """The results of every member of the config's ensemble (one for ensemble size 1), trained in this process.

    Raises ValueError before any training if the series is unusable. The series is read once for all members.
    """
    series = load_series(config, upload)
    # Checks the split and the budget of the whole ensemble first. The members share it: they differ only in the
    # seed, and an ensemble has no noise for the seed to draw.
    dataset = make_dataset(config, series=series)

    def train_here(missing: list[Config]) -> list[Result]:
        results = []
        for member in missing:
            result = compute(member, dataset, progress=progress)
            if cache is not None:
                cache.put(result_key(member), result)
            results.append(result)
        return results

    results = resolve_members(config, cache, train_here)
    if results is None:  # train_here never stops early; this only guards against a change to it
        raise RuntimeError("training in this process returned no results")
    return results


def run(
    config: Config,
    *,
    cache: ResultStore | None = None,
    progress: ProgressCallback | None = None,
    upload: bytes | None = None,
) -> Result:
    """The result for a config: from `cache` if it holds one, else computed (and stored there).

    `upload` is the file's bytes when the config's source is an upload. Raises ValueError before any training
    if the series is unusable. An ensemble config is trained as its members; this returns the first member.
    """
    first = config.member(0) if config.ensemble > 1 else config
    return run_ensemble(first, cache=cache, progress=progress, upload=upload)[0]
