"""A run from config to result: data, training, forecasts, baselines and metrics; ensembles through the cache."""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence

import numpy as np

from forecast.config import Config
from forecast.data import Dataset, load_series, make_dataset, sources, transform
from forecast.evaluation import metrics
from forecast.models import baselines, forecasting
from forecast.run.keys import ResultStore, library_versions, result_key
from forecast.run.result import MODEL_NAMES, ProgressCallback, Result, holdout

__all__ = [
    "MODEL_NAMES",
    "Trainer",
    "classical_baselines",
    "compute",
    "resolve_members",
    "run",
    "run_ensemble",
]

# AutoARIMA and AutoETS are fitted for real series (a bundled dataset or an uploaded file) whose training part
# holds at most this many values; a season longer than MAX_CLASSICAL_SEASON is left out of them (a seasonal
# state-space model with hundreds of seasonal states takes minutes to fit).
MAX_CLASSICAL_POINTS = 2000
MAX_CLASSICAL_SEASON = 52

# Trains the given member configs, in order; None when the training was stopped or failed (already reported).
Trainer = Callable[[list[Config]], Sequence[Result] | None]


def classical_baselines(config: Config, n_train_points: int) -> dict[str, baselines.Baseline]:
    """The baselines beyond naive and linear AR that apply to a config, unfitted.

    Seasonal naive when the config has a season; AutoARIMA and AutoETS for a bundled dataset or an uploaded
    file (not for a function of x, where a linear AR is exact or close) with a training part of at most
    MAX_CLASSICAL_POINTS values.
    """
    chosen: dict[str, baselines.Baseline] = {}
    if config.season_length >= 2:
        chosen["seasonal_naive"] = baselines.SeasonalNaive(config.season_length)
    if sources.get(config.source).classical_baselines and n_train_points <= MAX_CLASSICAL_POINTS:
        season = config.season_length if config.season_length <= MAX_CLASSICAL_SEASON else 0
        chosen["arima"] = baselines.AutoARIMA(season)
        chosen["ets"] = baselines.AutoETS(season)
    return chosen


@functools.lru_cache(maxsize=8)
def _fitted(name: str, season_length: int, train: bytes) -> baselines.Baseline:
    # The members of an ensemble share the series, so a worker fits ARIMA and ETS once for all of them.
    kind = {"seasonal_naive": baselines.SeasonalNaive, "arima": baselines.AutoARIMA, "ets": baselines.AutoETS}[name]
    return kind(season_length).fit(np.frombuffer(train, dtype=np.float64))


def _transformed_forecasts(
    predict: forecasting.Predictor, dataset: Dataset
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One-step (every window), recursive and horizon forecasts of a model on the dataset's transformed windows,
    in original units: one-step on the true previous values, recursive accumulating its own."""
    chain, ys = dataset.chain, dataset.ys
    origin = len(ys) - dataset.n_test  # index of the first test target
    one_step = forecasting.one_step(predict, dataset.windows)
    recursive = forecasting.recursive(predict, dataset.test_windows[0], dataset.n_test)
    if chain.is_identity:
        horizon = forecasting.horizon_rmse(predict, dataset.test_windows, dataset.test_targets)
        return one_step, recursive, horizon
    horizon = forecasting.horizon_rmse_transformed(predict, dataset.test_windows, ys, origin, chain)
    one_step = transform.invert_one_step(ys, one_step, dataset.first_target, chain)
    recursive = transform.invert_recursive(ys[:origin], recursive, chain)
    return one_step, recursive, horizon


def _original_forecasts(predict: forecasting.Predictor, dataset: Dataset) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The same three for a model that reads windows of original values (the naive baseline)."""
    windows = dataset.original_windows
    test_windows = windows[dataset.n_train :]
    one_step = forecasting.one_step(predict, windows)
    recursive = forecasting.recursive(predict, test_windows[0], dataset.n_test)
    horizon = forecasting.horizon_rmse(predict, test_windows, holdout(dataset.ys, dataset.n_test))
    return one_step, recursive, horizon


def _baseline_forecasts(baseline: baselines.Baseline, dataset: Dataset) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The same three for a baseline fitted on the whole training part (NaN one-step on the training windows)."""
    origin = len(dataset.ys) - dataset.n_test
    test = dataset.ys[origin:]
    one_step = np.concatenate([np.full(dataset.n_train, np.nan), baseline.one_step(test)])
    return one_step, baseline.predict(dataset.n_test), baselines.horizon_rmse(baseline, test)


def compute(config: Config, dataset: Dataset | None = None, progress: ProgressCallback | None = None) -> Result:
    """Train the config's LSTM and evaluate it beside the baselines; no caching.

    `progress` is called after every epoch (see `forecast.model.train`). The LSTM and the linear AR work on the
    transformed windows; every forecast is inverted to the original units before it is scored.
    """
    # Imported here because it imports TensorFlow: everything before training stays fast to start.
    from forecast.models.lstm import network, trainer

    dataset = dataset if dataset is not None else make_dataset(config)
    training = trainer.train(config, dataset, progress=progress)
    forecasts = {
        "lstm": _transformed_forecasts(network.predictor(training.model, dataset.scaler), dataset),
        "naive": _original_forecasts(forecasting.naive_predictor, dataset),
        "linear_ar": _transformed_forecasts(
            forecasting.LinearAutoregression(dataset.train_windows, dataset.train_targets), dataset
        ),
    }
    origin = len(dataset.ys) - dataset.n_test
    train_part = np.ascontiguousarray(dataset.ys[:origin], dtype=np.float64)
    for name, baseline in classical_baselines(config, origin).items():
        season = getattr(baseline, "season_length", 0)
        forecasts[name] = _baseline_forecasts(_fitted(name, season, train_part.tobytes()), dataset)
    test_targets = holdout(dataset.ys, dataset.n_test)
    predictions: dict[str, dict[str, np.ndarray]] = {}
    scores: dict[str, dict[str, dict[str, float]]] = {}
    horizon: dict[str, np.ndarray] = {}
    for name, (one_step, recursive, errors) in forecasts.items():
        predictions[name] = {"one_step": one_step, "recursive": recursive}
        horizon[name] = errors
        scores[name] = {
            "one_step": metrics.evaluate(test_targets, holdout(one_step, dataset.n_test)),
            "recursive": metrics.evaluate(test_targets, recursive),
        }
    return Result(
        config=config,
        xs=dataset.xs,
        ys=dataset.ys,
        n_train=dataset.n_train,
        n_test=dataset.n_test,
        predictions=predictions,
        metrics=scores,
        horizon=horizon,
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
    make_dataset(config, series=series)  # Checks the split and the budget of the whole ensemble first.

    def train_here(missing: list[Config]) -> list[Result]:
        results = []
        for member in missing:
            result = compute(member, make_dataset(member, series=series), progress=progress)
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
