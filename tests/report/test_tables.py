"""Tables, exports and the plain-language reading (forecast/report/tables.py)."""

import json

import numpy as np

from forecast.config import DEFAULT_CONFIG, Config
from forecast.config.fields import from_query_params
from forecast.report import tables
from forecast.run.ensemble import summarize
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
    assert list(table.columns) == ["model", "forecast", "rmse", "mae", "r2"] and len(table) == 6
    assert set(table["forecast"]) == {"one-step", "recursive"}


def test_predictions_table_marks_the_split_and_leaves_recursive_empty_on_training_rows():
    result = make_fake_result(DEFAULT_CONFIG)
    table = tables.predictions_table(result)
    assert len(table) == result.n_train + result.n_test == 395
    assert list(table["part"]).count("test") == 79
    np.testing.assert_array_equal(table["x"].to_numpy()[-79:], result.test_xs)
    assert table["lstm_recursive"].isna().sum() == result.n_train
    np.testing.assert_array_equal(table["lstm_recursive"].to_numpy()[-79:], result.test_forecast("lstm", "recursive"))


def test_ensemble_table_is_shaped_like_the_metrics_table():
    members = [make_fake_result(DEFAULT_CONFIG.replace(seed=seed)) for seed in (0, 1)]
    table = tables.ensemble_table(summarize(members))
    assert list(table.columns) == ["model", "forecast", "rmse", "mae", "r2"] and "2 seeds" in table["model"][0]


def test_reading_names_the_winner():
    result = make_fake_result(DEFAULT_CONFIG)
    result.metrics["lstm"]["one_step"]["rmse"] = 0.2
    result.metrics["naive"]["one_step"]["rmse"] = 1.0
    text = tables.reading(result)
    assert "5.0× better than repeating the last value" in text and "79 test steps" in text
