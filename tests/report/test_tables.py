"""Tables, exports and the plain-language reading (forecast/report/tables.py)."""

import dataclasses
import json

import numpy as np

from forecast.config import DEFAULT_CONFIG, Config
from forecast.config.fields import from_query_params
from forecast.data import Fold
from forecast.report import future_plots, tables
from forecast.run.outcome import RunResult, divergence
from tests.conftest import make_fake_result


def test_config_json_holds_every_field_and_reads_back():
    config = DEFAULT_CONFIG.replace(lookback=8, learning_rate=0.003, expression="sin(x) + 0.5*sin(3*x)")
    text = tables.config_json(make_fake_result(config))
    values = json.loads(text)
    assert values == config.to_dict() and list(values) == list(config.to_dict())
    assert text.startswith('{\n  "source": "expression"')  # indented, in declaration order
    assert Config(**values) == config
    restored, errors = from_query_params({name: str(value) for name, value in values.items()})
    assert errors == {} and restored == config


def test_metrics_table_has_a_row_per_model_and_kind():
    table = tables.metrics_table(make_fake_result(DEFAULT_CONFIG))
    assert list(table.columns) == ["model", "forecast", "rmse", "mae", "r2", "mase"] and len(table) == 6
    assert set(table["forecast"]) == {"one-step", "recursive"}


def test_predictions_table_marks_the_split_and_leaves_recursive_empty_on_training_rows():
    result = make_fake_result(DEFAULT_CONFIG)
    table = tables.predictions_table(result)
    assert len(table) == result.n_train + result.n_test == 395
    assert list(table["part"]).count("test") == 79
    np.testing.assert_array_equal(table["x"].to_numpy()[-79:], result.test_xs)
    assert table["lstm_recursive"].isna().sum() == result.n_train
    np.testing.assert_array_equal(table["lstm_recursive"].to_numpy()[-79:], result.test_forecast("lstm", "recursive"))


def two_windows(misses_first, misses_last, interval=0):
    """A run of two backtest windows made of fake results whose forecasts miss by the given amounts."""
    config = DEFAULT_CONFIG.replace(backtest_windows=2, interval=interval)
    first = make_fake_result(DEFAULT_CONFIG, misses=misses_first)
    last = make_fake_result(DEFAULT_CONFIG, misses=misses_last)
    return RunResult(config, (Fold(cut=79, n_test=79), Fold()), ((first,), (last,)))


def test_backtest_table_gives_the_mean_the_range_and_the_windows_won():
    run = two_windows({"lstm": 1.0, "naive": 2.0, "linear_ar": 3.0}, {"lstm": 3.0, "naive": 2.0, "linear_ar": 0.5})
    table = tables.backtest_table(run).set_index("model")
    scale = run.windows[0].mase_scale
    assert table.loc["LSTM", "recursive MAE"] == "2 (1–3)"
    assert table.loc["LSTM", "recursive MASE"] == f"{2 / scale:.3g} ({1 / scale:.3g}–{3 / scale:.3g})"
    assert table.loc["LSTM", "won windows"] == "#1" and table.loc["Linear AR (least squares)", "won windows"] == "#2"
    assert run.best() == "linear_ar"  # mean MASE (3 + 0.5) / 2 beats the LSTM's (1 + 3) / 2
    assert "best recursive forecast by mean MASE is the linear AR's" in tables.run_reading(run)


def test_interval_notes_say_what_the_bands_cannot_give():
    run = two_windows({"lstm": 1.0, "naive": 1.0, "linear_ar": 1.0}, {"lstm": 1.0, "naive": 1.0, "linear_ar": 1.0}, 95)
    notes = tables.interval_notes(run)
    # One calibrating window of 79 test steps: step h has 80 − h errors while the rolling rows reach (60 steps), so
    # the 95% band (19 errors needed) has its own to step 60; from 61 on there is one recursive error per step.
    # Steps 61 and 62 pool with the steps before them (60 has 20 errors); from 63 on two steps back are too few.
    assert len(notes) == 2 and "at step 61–62 also uses the errors of the steps just before" in notes[0]
    assert "no width for step 63–79" in notes[1] and "(19 are needed)" in notes[1]
    assert tables.interval_notes(two_windows({"lstm": 1.0}, {"lstm": 1.0}, 0)) == []


def test_reading_names_the_winner():
    result = make_fake_result(DEFAULT_CONFIG)
    result.metrics["lstm"]["one_step"]["rmse"] = 0.2
    result.metrics["naive"]["one_step"]["rmse"] = 1.0
    text = tables.reading(result)
    assert "5.0× better than repeating the last value" in text and "79 test steps" in text


def test_a_forecast_that_leaves_the_data_is_named_and_never_shown_silently():
    # The fake series is sin(t): values in −1…1. A forecast 100 away has left it; one 1 away has not.
    run = two_windows({"lstm": 1.0, "naive": 1.0, "linear_ar": 1.0}, {"lstm": 100.0, "naive": 1.0, "linear_ar": 1.0})
    found = run.divergences()
    assert [(item.model, item.where) for item in found] == [("lstm", "the holdout")]
    assert (
        found[0].detail.startswith("reaches 10") and "far outside the training values (-1 to 0.9999)" in found[0].detail
    )
    warnings = tables.run_warnings(run)
    assert len(warnings) == 1 and warnings[0].startswith("The LSTM's forecast on the holdout has diverged")
    assert "Careful: the LSTM's forecast has diverged on the holdout" in tables.run_reading(run)
    figure = future_plots.run_figure(run)
    assert "LSTM recursive (test): DIVERGED" in [trace.name for trace in figure.data]
    np.testing.assert_allclose(figure.layout.yaxis.range, (-2.0, 2.0), atol=1e-3)  # the data's range
    assert divergence(np.array([0.5, np.nan]), np.array([0.0, 1.0])) == "is not finite"
    assert tables.run_warnings(two_windows({"lstm": 1.0}, {"lstm": 2.5})) == []


def test_the_reading_says_exact_only_where_it_is_and_names_the_strategy():
    exact_linear = {"lstm": 1.0, "naive": 2.0, "linear_ar": 0.0}
    text = tables.reading(make_fake_result(DEFAULT_CONFIG, misses=exact_linear))
    assert "is exact here (RMSE 0): this function, sampled on a uniform grid" in text
    assert "Fed its own predictions for all 79 test steps" in text
    # Exact one step ahead but drifting when fed its own forecasts: never "no network can do better".
    drifting = make_fake_result(DEFAULT_CONFIG, misses=exact_linear)
    drifting.metrics["linear_ar"]["recursive"]["rmse"] = 5.0
    text = tables.reading(drifting)
    assert "exact one step ahead (RMSE 0), but fed its own predictions it drifts too (RMSE 5)" in text
    assert "no network can do better" not in text
    # A series that is not a function of x is not called one; the direct strategy is not "fed its own predictions".
    direct = dataclasses.replace(
        make_fake_result(DEFAULT_CONFIG, misses=exact_linear),
        config=DEFAULT_CONFIG.replace(source="dataset", strategy="direct"),
    )
    text = tables.reading(direct)
    assert "this series obeys a linear recurrence" in text and "function" not in text
    assert "Forecasting all 79 test steps at once from the last window (the direct strategy)" in text
    assert "Over the whole 79-step test part, the best multi-step forecast" in tables.best_recursive(direct)
    # Both exact (a constant test part): not "does not beat simply repeating the last value".
    text = tables.reading(make_fake_result(DEFAULT_CONFIG, misses={"lstm": 0.0, "naive": 0.0, "linear_ar": 0.0}))
    assert text.startswith("One step ahead, the LSTM and repeating the last value are both exact (0).")
