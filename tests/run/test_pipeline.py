import concurrent.futures
import sys
import threading
import warnings

import numpy as np
import pandas as pd
import pytest

from forecast import data
from forecast.config import DEFAULT_CONFIG
from forecast.config.expressions import ExpressionError
from forecast.data import Fold
from forecast.models.registry import MODEL_NAMES
from forecast.run import beside as beside_module
from forecast.run import keys, pipeline
from forecast.run.beside import Beside, BesideThread
from forecast.run.cache import ResultCache
from forecast.run.keys import result_key
from forecast.run.pipeline import run
from forecast.run.result import Result
from tests.conftest import make_fake_result


def test_tiny_run_end_to_end(tiny_config):
    result = run(tiny_config)
    n_windows = 80 - tiny_config.lookback
    assert result.n_points == 80 and result.n_train + result.n_test == n_windows
    assert result.epochs_run == 2 and not result.cached
    for model in MODEL_NAMES:
        assert result.fitted(model).shape == (result.n_train,)
        assert result.test_forecast(model, "one_step").shape == (result.n_test,)
        assert result.test_forecast(model, "recursive").shape == (result.n_test,)
        for kind in ("one_step", "recursive"):
            assert set(result.metrics[model][kind]) == {"rmse", "mae", "r2", "mase"}
    assert result.metrics["linear_ar"]["one_step"]["rmse"] < 1e-6
    np.testing.assert_allclose(result.test_xs, result.xs[-result.n_test :])
    # Naive one-step on the test windows is the last true value of each window.
    np.testing.assert_array_equal(result.test_forecast("naive", "one_step"), result.ys[-result.n_test - 1 : -1])
    assert result.model_bytes[:2] == b"PK"


def test_same_config_gives_the_same_numbers(tiny_config):
    first = run(tiny_config)
    second = run(tiny_config)
    assert first.metrics == second.metrics
    np.testing.assert_array_equal(first.test_forecast("lstm", "recursive"), second.test_forecast("lstm", "recursive"))


def test_result_bytes_round_trip(tiny_config):
    result = run(tiny_config.replace(schedule="cosine", epochs=3))
    restored = Result.from_bytes(result.to_bytes())
    assert restored.config == result.config
    assert restored.metrics == result.metrics
    assert restored.model_bytes == result.model_bytes
    pd.testing.assert_frame_equal(restored.table(), result.table())
    np.testing.assert_array_equal(restored.loss, result.loss)
    np.testing.assert_array_equal(restored.learning_rate, result.learning_rate)
    assert result.learning_rate[0] == result.config.learning_rate > result.learning_rate[-1] > 0
    assert restored.summary() == result.summary()


@pytest.mark.parametrize("data", [b"", b"not an npz", b"PK\x03\x04garbage", np.zeros(3).tobytes()])
def test_foreign_bytes_are_refused(data):
    with pytest.raises(ValueError, match="not a stored result"):
        Result.from_bytes(data)


def test_summary_has_the_cli_contract(tiny_config):
    summary = run(tiny_config).summary()
    assert set(summary) >= {"config", "n_points", "n_train", "n_test", "epochs_run", "fit_seconds", "cached", "metrics"}
    assert summary["config"] == tiny_config.to_dict()
    assert set(summary["metrics"]) == {"lstm", "naive", "linear_ar"}


def test_bad_series_fails_before_training(tiny_config, monkeypatch):
    def no_training(*args, **kwargs):
        raise AssertionError("must not train")

    monkeypatch.setattr(pipeline, "compute", no_training)
    with pytest.raises(ExpressionError, match="NaN"):
        run(tiny_config.replace(expression="log(x)"))


def test_run_uses_the_cache(tiny_config, tmp_path, monkeypatch):
    cache = ResultCache(tmp_path)
    first = run(tiny_config, cache=cache)
    assert not first.cached

    def no_training(*args, **kwargs):
        raise AssertionError("a cached config must not train")

    monkeypatch.setattr(pipeline, "compute", no_training)
    second = run(tiny_config, cache=cache)
    assert second.cached and second.metrics == first.metrics


def test_result_key_depends_on_config_and_code_version(monkeypatch):
    key = result_key(DEFAULT_CONFIG)
    assert key == result_key(DEFAULT_CONFIG.replace())
    assert key != result_key(DEFAULT_CONFIG.replace(seed=3))
    monkeypatch.setattr(keys, "TRAINING_CODE_VERSION", "changed")
    assert key != result_key(DEFAULT_CONFIG)


def test_resolve_trains_only_what_the_cache_lacks(tiny_config, tmp_path):
    cache = ResultCache(tmp_path)
    config = tiny_config.replace(ensemble=3, seed=10)
    tasks = keys.tasks(config, [Fold()])
    cache.put(tasks[1].key, make_fake_result(tasks[1].config))
    asked = []

    def train(missing):
        asked.append([task.config.seed for task in missing])
        return [make_fake_result(task.config) for task in missing]

    results = pipeline.resolve(tasks, cache, train)
    assert asked == [[10, 12]]
    assert [result.config.seed for result in results] == [10, 11, 12]
    assert results[1].cached and not results[0].cached
    # Everything cached: nothing is trained; a trainer that stops gives None.
    for task in tasks:
        cache.put(task.key, make_fake_result(task.config))
    assert pipeline.resolve(tasks, cache, lambda missing: pytest.fail("trained")) is not None
    assert pipeline.resolve(tasks, None, lambda missing: None) is None
    with pytest.raises(ValueError, match="expected 3 trained results, got 1"):
        pipeline.resolve(tasks, None, lambda missing: missing[:1])


def test_each_fold_of_a_run_is_its_own_cache_entry_and_the_holdout_keeps_its_key(tiny_config):
    config = tiny_config.replace(backtest_windows=3, horizon=6, interval=80, ensemble=2)
    folds = data.folds(config, 80)
    assert len(folds) == 4 and folds[-2] == Fold() and folds[-1].is_future
    tasks = keys.tasks(config, folds)
    assert len({task.key for task in tasks}) == 8  # 4 folds × 2 members
    # The holdout's networks are keyed as a plain run of their config: a run trained before is found again.
    assert [task.key for task in tasks if task.fold == Fold()] == [
        result_key(member) for member in tiny_config.replace(ensemble=2).members()
    ]


def test_resolve_reports_cache_problems_to_its_caller(tiny_config, tmp_path):
    (tmp_path / f"{result_key(tiny_config)}.npz").write_bytes(b"garbage")
    warnings: list[str] = []
    results = pipeline.resolve(
        keys.tasks(tiny_config, [Fold()]), ResultCache(tmp_path), lambda m: [make_fake_result(tiny_config)], warnings
    )
    assert len(results) == 1 and any("damaged" in warning for warning in warnings)


def test_an_ensemble_reads_its_series_once(monkeypatch):
    from forecast.data import datasets

    calls = []
    original = datasets.read_csv
    monkeypatch.setattr(datasets, "read_csv", lambda *a, **k: calls.append(a[1:]) or original(*a, **k))
    config = DEFAULT_CONFIG.replace(source="dataset", dataset="us_accidental_deaths", lookback=4, layers=1, units=2,
                                    epochs=1, ensemble=2)  # fmt: skip
    results = pipeline.run_ensemble(config)
    assert len(calls) == 1 and [result.config.seed for result in results] == [0, 1]


def test_networks_computed_together_give_the_results_they_give_alone(tiny_config):
    """An ensemble's members on two folds, as a worker gets them: trained as teams, the fold's baselines fitted
    and evaluated once, and every result the one `compute` gives for that network alone."""
    config = tiny_config.replace(ensemble=2, horizon=3, backtest_windows=1, test_size=4, epochs=2)
    run_plan = pipeline.plan(config, data.load_series(config))
    configs = [task.config for task in run_plan.tasks]
    datasets = [run_plan.datasets[task.fold] for task in run_plan.tasks]
    teams: list[list[int]] = []
    together = pipeline.compute_many(configs, datasets, on_team=teams.append)
    assert sorted(len(team) for team in teams) == [2, 2]  # one team per fold
    for one, dataset, result in zip(configs, datasets, together, strict=True):
        alone = pipeline.compute(one, dataset)
        np.testing.assert_array_equal(alone.loss, result.loss)
        assert alone.forecasts.models == result.forecasts.models
        for model in alone.forecasts.models:
            np.testing.assert_array_equal(alone.forecasts.values[model], result.forecasts.values[model])


def _airline_folds(**changes):
    config = DEFAULT_CONFIG.replace(source="dataset", dataset="airline_passengers", lookback=4, layers=1, units=2,
                                    epochs=1, horizon=3, backtest_windows=2, test_size=6, season_length=12)  # fmt: skip
    config = config.replace(**changes)
    run_plan = pipeline.plan(config, data.load_series(config))
    return [task.config for task in run_plan.tasks], [run_plan.datasets[task.fold] for task in run_plan.tasks]


def _assert_same_table(first, second):
    assert first.models == second.models and set(first.bands) == set(second.bands)
    for model in first.models:
        np.testing.assert_array_equal(first.values[model], second.values[model])
    for model in first.bands:
        np.testing.assert_array_equal(first.bands[model], second.bands[model])


def _without_tensorflow(monkeypatch):
    """As the command line is before it trains: TensorFlow not imported (restored after the test)."""
    monkeypatch.delitem(sys.modules, "tensorflow", raising=False)


@pytest.mark.parametrize("process", [True, False])
def test_baselines_fitted_beside_the_training_are_those_fitted_here(monkeypatch, process):
    """Each fold's ARIMA and ETS are fitted beside the training, in a spawned process (before TensorFlow is
    imported, when the caller allows it) or on a thread: the same tables, one per fold."""
    configs, datasets = _airline_folds()
    _without_tensorflow(monkeypatch)
    teams = pipeline._teams(configs, datasets)
    beside = pipeline._baselines_beside(configs, datasets, teams, process=process)
    assert isinstance(beside, Beside if process else BesideThread)
    try:
        leaders = [team[0] for team in teams]
        assert len({pipeline._baseline_key(configs[k], datasets[k]) for k in leaders}) == 3  # 2 windows, future
        for k in leaders:
            key = pipeline._baseline_key(configs[k], datasets[k])
            _assert_same_table(
                pipeline._fold_baselines(configs[k], datasets[k], key, beside),
                pipeline._baseline_table(configs[k], datasets[k]),
            )
    finally:
        beside.close()


def test_compute_many_gives_the_same_tables_with_the_fits_beside_or_in_turn(monkeypatch):
    configs, datasets = _airline_folds()
    _without_tensorflow(monkeypatch)
    in_a_process = pipeline.compute_many(configs, datasets, side_process=True)
    on_a_thread = pipeline.compute_many(configs, datasets)
    monkeypatch.setattr(pipeline, "_baselines_beside", lambda *arguments, **keywords: None)
    in_turn = pipeline.compute_many(configs, datasets)
    for first, second, third in zip(in_a_process, on_a_thread, in_turn, strict=True):
        _assert_same_table(first.forecasts, third.forecasts)
        _assert_same_table(second.forecasts, third.forecasts)


def test_the_training_thread_enters_no_catch_warnings_while_the_fits_run_beside(monkeypatch):
    """The fits on a thread silence statsmodels with `warnings.catch_warnings`, whose filters are process-wide:
    were the training thread to enter one meanwhile, each could restore the other's filters."""
    configs, datasets = _airline_folds()
    entered: list[int] = []
    original = warnings.catch_warnings

    class Recorded(original):
        def __enter__(self):
            entered.append(threading.get_ident())
            return super().__enter__()

    monkeypatch.setattr(warnings, "catch_warnings", Recorded)
    pipeline._fitted.cache_clear()  # fitted here, not found from an earlier test
    pipeline.compute_many(configs, datasets)
    assert entered and threading.get_ident() not in entered


def test_no_work_beside_off_the_main_thread_or_without_classical_fits_and_no_process_with_tensorflow(
    tiny_config, monkeypatch
):
    configs, datasets = _airline_folds()
    teams = pipeline._teams(configs, datasets)
    monkeypatch.setitem(sys.modules, "tensorflow", sys.modules.get("tensorflow", object()))
    loaded = pipeline._baselines_beside(configs, datasets, teams, process=True)
    assert isinstance(loaded, BesideThread)  # the app's workers, a later run: a thread, not a process
    loaded.close()
    _without_tensorflow(monkeypatch)
    on_a_thread = concurrent.futures.ThreadPoolExecutor(1).submit(
        pipeline._baselines_beside, configs, datasets, teams, process=True
    )
    assert on_a_thread.result() is None  # a Ray worker's training thread
    tiny = pipeline._baselines_beside([tiny_config], [data.make_dataset(tiny_config)], [[0]], process=True)
    assert tiny is None  # a function of x: no ARIMA or ETS to fit


def test_teams_of_several_networks_fit_in_turn_unless_a_process_can_take_the_fits(monkeypatch):
    """A team keeps both CPUs busy: a thread's fits would only contend with it (measured in the app's worker)."""
    configs, datasets = _airline_folds(ensemble=2)
    teams = pipeline._teams(configs, datasets)
    assert max(len(team) for team in teams) == 2
    monkeypatch.setitem(sys.modules, "tensorflow", sys.modules.get("tensorflow", object()))
    assert pipeline._baselines_beside(configs, datasets, teams, process=True) is None
    _without_tensorflow(monkeypatch)
    assert pipeline._baselines_beside(configs, datasets, teams) is None
    in_a_process = pipeline._baselines_beside(configs, datasets, teams, process=True)
    assert isinstance(in_a_process, Beside)
    in_a_process.close()


def test_a_side_process_that_cannot_start_leaves_the_fits_to_a_thread(monkeypatch):
    configs, datasets = _airline_folds()
    _without_tensorflow(monkeypatch)

    def no_process(*arguments):
        raise OSError(11, "Resource temporarily unavailable")

    monkeypatch.setattr(beside_module, "Beside", no_process)
    beside = pipeline._baselines_beside(configs, datasets, pipeline._teams(configs, datasets), process=True)
    assert isinstance(beside, BesideThread)
    beside.close()
