"""A run from config to result: data, training, forecasts, baselines and metrics; ensembles through the cache."""

from __future__ import annotations

import dataclasses
import functools
import sys
import threading
from collections.abc import Callable, Sequence

import numpy as np

from forecast.config import Config
from forecast.data import Dataset, Fold, Series, chain_of, folds, load_series, make_dataset, make_series
from forecast.evaluation import backtest
from forecast.models import registry
from forecast.models.base import Forecaster
from forecast.models.lstm import structure
from forecast.models.progress import ProgressCallback, TrainingCancelled
from forecast.run import keys
from forecast.run.beside import Beside, BesideThread, start_beside
from forecast.run.keys import ResultStore, Task, library_versions
from forecast.run.outcome import RunResult
from forecast.run.result import Result

__all__ = [
    "Plan",
    "Trainer",
    "cached_run",
    "compute",
    "compute_many",
    "forecasters",
    "plan",
    "resolve",
    "run",
    "run_all",
    "run_ensemble",
]

# Trains the given tasks, in order; None when the training was stopped or failed (already reported).
Trainer = Callable[[list[Task]], Sequence[Result] | None]


# The most networks trained as one team: a team's compiled loop is traced once per size and kept, and tracing
# grows faster than the team (measured: 0.26 s for 1 network, 1.1 s for 5, 6.3 s for 20).
MAX_TEAM = 8


@functools.lru_cache(maxsize=16)
def _fitted(kind: type[Forecaster], season_length: int, train: bytes) -> Forecaster:
    # A run's networks of one fold share its series, so a worker fits ARIMA and ETS once per fold.
    return kind(season_length).fit(np.frombuffer(train, dtype=np.float64))


def forecasters(config: Config, dataset: Dataset, progress: ProgressCallback | None = None) -> dict[str, Forecaster]:
    """The config's LSTM and every baseline that applies, in the order they are shown (classical ones fitted)."""
    return {"lstm": _lstm(config, dataset, progress), **_baselines(config, dataset)}


def _lstm(config: Config, dataset: Dataset, progress: ProgressCallback | None) -> Forecaster:
    # Imported here because it imports TensorFlow: everything before training stays fast to start.
    from forecast.models.lstm.forecaster import LSTMForecaster

    # The direct strategy's output head covers the fold's whole test part, or its future.
    steps = dataset.fold.horizon if dataset.fold.is_future else dataset.n_test
    return LSTMForecaster(config, watch=dataset.ys[dataset.origin :], progress=progress, steps=steps)


def _baselines(config: Config, dataset: Dataset) -> dict[str, Forecaster]:
    train = np.ascontiguousarray(dataset.ys[: dataset.origin], dtype=np.float64)
    chosen = registry.baselines_for(config, len(train))
    for name, forecaster in registry.classical_for(config, len(train)).items():
        chosen[name] = _fitted(type(forecaster), getattr(forecaster, "season_length", 0), train.tobytes())
    return chosen


def _table(chosen: dict[str, Forecaster], dataset: Dataset) -> backtest.Forecasts:
    """Every kind of forecast of the dataset's fold by each forecaster: of its test part, or of its future."""
    if dataset.fold.is_future:
        return backtest.forecast_future(chosen, dataset.ys, dataset.fold.horizon, first_target=dataset.first_target)
    return backtest.evaluate(chosen, dataset.ys, dataset.n_test, first_target=dataset.first_target)


def compute(config: Config, dataset: Dataset | None = None, progress: ProgressCallback | None = None) -> Result:
    """Train the config's LSTM and evaluate it beside the baselines on the dataset's fold; no caching.

    A backtest window: every kind of forecast of its test part. The future: the forecast past the series' end.

    `progress` is called after every epoch (see `forecast.models.lstm.trainer.train`) and may raise
    `TrainingCancelled`, which this raises too. Every forecast is in the series' own units (each forecaster
    inverts its own transform).
    """
    result = compute_many([config], [dataset if dataset is not None else make_dataset(config)], [progress])[0]
    if result is None:
        raise TrainingCancelled
    return result


def compute_many(
    configs: Sequence[Config],
    datasets: Sequence[Dataset],
    progresses: Sequence[ProgressCallback | None] | None = None,
    on_team: Callable[[list[int]], None] | None = None,
    on_result: Callable[[int, Result], None] | None = None,
    *,
    side_process: bool = False,
) -> list[Result | None]:
    """`compute` for many configs, each on its dataset, sharing what they share; each result is exactly the one
    `compute` gives alone.

    Networks of one structure on one fold (an ensemble's members, a sweep's cells) train as one team
    (`fit_together`); the baselines of a fold are fitted and evaluated once for all of its networks. None for a
    network whose progress callback stopped it (`TrainingCancelled`); the others go on. `on_team(indices)` is
    called before each team trains, `on_result(index, result)` as soon as a network's result is ready.

    On the main thread, the folds' ARIMA and ETS may be fitted beside the training (`_baselines_beside`; the same
    tables): on a thread where every team is one network, or with `side_process` in a spawned process while this
    one imports TensorFlow. A process is for the command line, whose main module a spawned process may import; it
    applies only before TensorFlow is imported.
    """
    teams = _teams(configs, datasets)
    beside = _baselines_beside(configs, datasets, teams, process=side_process)
    try:
        return _train_teams(configs, datasets, progresses, teams, beside, on_team, on_result)
    finally:
        if beside is not None:
            beside.close()


def _train_teams(
    configs: Sequence[Config],
    datasets: Sequence[Dataset],
    progresses: Sequence[ProgressCallback | None] | None,
    teams: list[list[int]],
    beside: Beside | BesideThread | None,
    on_team: Callable[[list[int]], None] | None,
    on_result: Callable[[int, Result], None] | None,
) -> list[Result | None]:
    from forecast.models.lstm.forecaster import fit_together

    progresses = list(progresses) if progresses is not None else [None] * len(configs)
    lstms = [_lstm(*arguments) for arguments in zip(configs, datasets, progresses, strict=True)]
    shared: dict[tuple, backtest.Forecasts] = {}
    results: list[Result | None] = [None] * len(configs)
    for team in teams:
        if on_team is not None:
            on_team(team)
        fitted = fit_together([lstms[k] for k in team], [datasets[k].ys[: datasets[k].origin] for k in team])
        for k in (k for k, done in zip(team, fitted, strict=True) if done):
            key = _baseline_key(configs[k], datasets[k])
            if key not in shared:
                shared[key] = _fold_baselines(configs[k], datasets[k], key, beside)
            table = _table({"lstm": lstms[k]}, datasets[k]).joined(shared[key])
            results[k] = _result(configs[k], datasets[k], table, lstms[k].training)
            if on_result is not None:
                on_result(k, results[k])
    return results


def _baselines_beside(
    configs: Sequence[Config], datasets: Sequence[Dataset], teams: list[list[int]], *, process: bool = False
) -> Beside | BesideThread | None:
    """Start fitting each fold's baselines beside the training, in the order the teams will need them, when some
    fold has ARIMA and ETS to fit and this is the process's main thread.

    In a spawned process if `process` and this process has not imported TensorFlow yet (the command line).
    Once TensorFlow is loaded (the app's workers import it when they start; a later run in the same process) a
    side process saved only 3 % of the airline recipe's run (13.6 → 13.2 s, medians of 3 on 2 cores), not worth
    a second process's 250 MB; a thread instead, where every team is one network: in the app's worker, one
    network's airline run took 2.0 s against 2.4 s with the fits in turn, but an ensemble of 5 took 4.3 s against
    4.1 s and the 20-network recipe 14.5 s against 13.9 s (a team keeps both CPUs busy, and the fits only
    contend with it). Otherwise, and for a run on another thread (a Ray worker's task, with its own share of a
    machine), the baselines are fitted after each team, in turn.
    """
    in_a_process = process and "tensorflow" not in sys.modules
    one_network_teams = all(len(team) == 1 for team in teams)
    if threading.current_thread() is not threading.main_thread() or not (in_a_process or one_network_teams):
        return None
    wanted: dict[tuple, tuple[Config, Dataset]] = {}
    for k in (k for team in teams for k in team):
        config, dataset = configs[k], datasets[k]
        if "arima" in registry.classical_for(config, dataset.origin):
            wanted.setdefault(_baseline_key(config, dataset), (config, dataset))
    if not wanted:
        return None
    return start_beside(_baseline_table, wanted, process=in_a_process)


def _fold_baselines(
    config: Config, dataset: Dataset, key: tuple, beside: Beside | BesideThread | None
) -> backtest.Forecasts:
    """The fold's baseline table (`key`: its `_baseline_key`): from the process or thread that fitted it beside the
    training, or fitted here (also when that process died: killed, out of memory)."""
    if beside is not None and (table := beside.result(key)) is not None:
        return table
    return _baseline_table(config, dataset)


def _baseline_table(config: Config, dataset: Dataset) -> backtest.Forecasts:
    return _table(_baselines(config, dataset), dataset)


def _teams(configs: Sequence[Config], datasets: Sequence[Dataset]) -> list[list[int]]:
    """Indices of the networks that train together: one structure, head and fold, at most MAX_TEAM at a time."""
    groups: dict[tuple, list[int]] = {}
    for k, (config, dataset) in enumerate(zip(configs, datasets, strict=True)):
        steps = dataset.fold.horizon if dataset.fold.is_future else dataset.n_test
        head = steps if config.strategy == "direct" else 1
        groups.setdefault((structure(config), head, _data_key(dataset)), []).append(k)
    return [group[start : start + MAX_TEAM] for group in groups.values() for start in range(0, len(group), MAX_TEAM)]


def _data_key(dataset: Dataset) -> tuple:
    return (dataset.fold, dataset.origin, dataset.n_test, dataset.ys.tobytes())


def _baseline_key(config: Config, dataset: Dataset) -> tuple:
    """What the baselines of a run depend on: the fold's data and the config's windows, transform and season."""
    return (_data_key(dataset), config.source, config.lookback, chain_of(config))


def _result(config: Config, dataset: Dataset, table: backtest.Forecasts, training) -> Result:
    from forecast.models.lstm import network

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
        snapshots=tuple(training.snapshots),
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
    on_team: Callable[[list[Task], int, int], None] | None = None,
    side_process: bool = False,
) -> RunResult:
    """Every network of the config's run, trained in this process where the cache lacks it.

    Raises ValueError before any training if the series is unusable. Networks train in teams (`compute_many`,
    which also says what `side_process` does); `on_team(tasks, done, total)` is called before each team trains,
    with how many of the `total` trained before it; `progress` follows each team's first network.
    """
    run_plan = plan(config, load_series(config, upload))

    def train_here(missing: list[Task]) -> list[Result]:
        return _train_here(run_plan, missing, cache, progress, on_team, side_process)

    results = resolve(run_plan.tasks, cache, train_here)
    if results is None:  # train_here never stops early; this only guards against a change to it
        raise RuntimeError("training in this process returned no results")
    return run_plan.assemble(results)


def _train_here(
    run_plan: Plan,
    missing: list[Task],
    cache: ResultStore | None,
    progress: ProgressCallback | None,
    on_team: Callable[[list[Task], int, int], None] | None,
    side_process: bool,
) -> list[Result]:
    """Train `missing` in this process, in teams, and store each result in the cache as soon as it is ready (a run
    interrupted after some teams keeps what they trained)."""
    configs = [task.config for task in missing]
    datasets = [run_plan.datasets[task.fold] for task in missing]
    leaders = {team[0] for team in _teams(configs, datasets)}
    progresses = [progress if k in leaders else None for k in range(len(missing))]
    done = [0]

    def announce(team: list[int]) -> None:
        if on_team is not None:
            on_team([missing[k] for k in team], done[0], len(missing))
        done[0] += len(team)

    def keep(k: int, result: Result) -> None:
        if cache is not None:
            cache.put(missing[k].key, result)

    results = compute_many(configs, datasets, progresses, on_team=announce, on_result=keep, side_process=side_process)
    trained = [result for result in results if result is not None]
    if len(trained) != len(missing):  # no callback here stops a training; this guards against a change to that
        raise RuntimeError("a training in this process was stopped")
    return trained


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


def cached_run(config: Config, cache: ResultStore, upload: bytes | None = None) -> RunResult | None:
    """The config's whole run if the cache holds every network of it, else None; never trains."""
    run_plan = plan(config, load_series(config, upload))
    results = resolve(run_plan.tasks, cache, lambda missing: None)
    return run_plan.assemble(results) if results is not None else None
