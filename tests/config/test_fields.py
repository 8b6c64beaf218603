"""Field labels, help texts, bounds and the URL query-parameter round trip (forecast/config/fields.py)."""

import dataclasses

import pytest

from forecast.config import DEFAULT_CONFIG, ORIGINAL_RECIPE, Config, fields
from forecast.config.fields import from_query_params, to_query_params


def test_field_specs_cover_every_field_with_the_configs_bounds():
    for field in dataclasses.fields(Config):
        spec = fields.field_spec(field.name)
        assert spec.label and spec.help
    assert (fields.field_spec("lookback").minimum, fields.field_spec("lookback").maximum) == (1, 100)
    assert fields.field_spec("dataset").choices == ("airline_passengers", "lake_huron", "us_accidental_deaths")
    with pytest.raises(ValueError, match="no field"):
        fields.field_spec("nope")


def test_query_params_round_trip():
    config = Config(
        expression="sin(x) + 0.5*sin(3*x)",
        x_step=0.05,
        lookback=12,
        layers=2,
        units=17,
        dropout=0.25,
        scaling="none",
        learning_rate=0.003,
        seed=42,
        noise=0.1,
    )
    params = to_query_params(config)
    assert all(isinstance(value, str) for value in params.values())
    assert set(params) == set(config.to_dict())
    assert params["learning_rate"] == "0.003" and params["lookback"] == "12"
    restored, errors = from_query_params(params)
    assert errors == {}
    assert restored == config


def test_a_complete_link_from_before_the_schedule_keeps_its_constant_rate():
    older_link = {name: text for name, text in to_query_params(ORIGINAL_RECIPE).items() if name != "schedule"}
    restored, errors = from_query_params(older_link)
    assert errors == {} and restored == ORIGINAL_RECIPE
    # A complete link that names the schedule, and a partial link, follow what they say and the defaults.
    assert from_query_params(to_query_params(DEFAULT_CONFIG))[0].schedule == "cosine"
    partial, errors = from_query_params({"lookback": "10", "learning_rate": "0.001"})
    assert errors == {} and partial == DEFAULT_CONFIG.replace(lookback=10, learning_rate=0.001)


def test_query_params_accept_lists_and_ignore_unknown_keys():
    restored, errors = from_query_params({"lookback": ["3", "7"], "utm_source": "mail", "layers": "2"})
    assert errors == {}
    assert restored == DEFAULT_CONFIG.replace(lookback=7, layers=2)


def test_bad_query_params_are_reported_field_by_field_and_fall_back():
    restored, errors = from_query_params(
        {"lookback": "abc", "layers": "9", "units": "8", "expression": "open('x')", "x_start": "nan"}
    )
    assert set(errors) == {"lookback", "layers", "expression", "x_start"}
    assert "whole number" in errors["lookback"]
    assert "maximum of 5" in errors["layers"]
    assert "open" in errors["expression"]
    assert "finite" in errors["x_start"]
    assert restored == DEFAULT_CONFIG.replace(units=8)


def test_query_params_that_do_not_fit_together_cost_the_field_named_or_else_fall_back_to_defaults():
    restored, errors = from_query_params({"x_start": "5", "x_end": "1", "lookback": "7"})
    # The message names x_end first; with it back at its default the rest of the link holds.
    assert restored == DEFAULT_CONFIG.replace(x_start=5.0, lookback=7)
    assert errors == {"x_end": "x_end 1.0 must be greater than x_start 5.0; x_end is back to its default (20.0)"}
    restored, errors = from_query_params({"x_start": "30", "x_end": "25", "lookback": "7"})
    assert restored == DEFAULT_CONFIG.replace(x_end=25.0, lookback=7) and list(errors) == ["x_start"]
    restored, errors = from_query_params({"interval": "49", "horizon": "10", "lookback": "7"})
    assert (
        restored == DEFAULT_CONFIG.replace(horizon=10, lookback=7)
        and "interval is back to its default (0)" in (errors["interval"])
    )
    # A problem that names no field it could blame: every field falls back.
    restored, errors = from_query_params({"x_step": "10", "lookback": "7"})
    assert restored == DEFAULT_CONFIG
    assert "holds 4 points" in errors["config"] and "defaults" in errors["config"]


def test_parse_value_types():
    assert fields.parse_value("epochs", " 12 ") == 12
    assert fields.parse_value("noise", "0.5") == 0.5
    assert fields.parse_value("expression", " x ") == " x "
    with pytest.raises(ValueError, match="epochs must be a whole number"):
        fields.parse_value("epochs", "1.5")
