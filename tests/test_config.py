import dataclasses
import math

import pytest

from forecast import config as config_module
from forecast.config import DEFAULT_CONFIG, ORIGINAL_RECIPE, Config, from_query_params, split_sizes


def test_defaults_match_the_design():
    assert DEFAULT_CONFIG.to_dict() == {
        "source": "expression",
        "expression": "x*sin(x)",
        "dataset": "airline_passengers",
        "upload": "",
        "value_column": "",
        "x_column": "",
        "x_start": -20.0,
        "x_end": 20.0,
        "x_step": 0.1,
        "noise": 0.0,
        "lookback": 5,
        "train_ratio": 0.8,
        "layers": 3,
        "units": 32,
        "dense_layers": 0,
        "dropout": 0.0,
        "scaling": "standard",
        "epochs": 200,
        "batch_size": 50,
        "learning_rate": 0.03,
        "schedule": "cosine",
        "seed": 0,
        "ensemble": 1,
    }
    assert DEFAULT_CONFIG.n_points == 400
    assert split_sizes(400, 5, 0.8) == (316, 79)


def test_original_recipe_differs_only_in_scaling_and_learning_rate():
    differences = {name for name, value in ORIGINAL_RECIPE.to_dict().items() if value != getattr(DEFAULT_CONFIG, name)}
    assert differences == {"scaling", "learning_rate", "schedule"}
    # The blog post: raw values, Keras's Adam with its constant default rate.
    original = ORIGINAL_RECIPE
    assert (original.scaling, original.learning_rate, original.schedule) == ("none", 0.001, "constant")


def test_config_is_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        DEFAULT_CONFIG.lookback = 7  # type: ignore[misc]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"lookback": 0}, "lookback 0 is below the minimum of 1"),
        ({"lookback": 101}, "lookback 101 is above the maximum of 100"),
        ({"layers": 6}, "layers 6 is above the maximum of 5"),
        ({"units": 0}, "units 0 is below the minimum of 1"),
        ({"dense_layers": 4}, "above the maximum of 3"),
        ({"dropout": 0.95}, "dropout 0.95 is above the maximum of 0.9"),
        ({"train_ratio": 0.05}, "below the minimum of 0.1"),
        ({"train_ratio": 0.99}, "above the maximum of 0.95"),
        ({"epochs": 0}, "epochs 0 is below the minimum of 1"),
        ({"batch_size": 2000}, "above the maximum of 1024"),
        ({"learning_rate": 2.0}, "above the maximum of 1.0"),
        ({"seed": -1}, "below the minimum of 0"),
        ({"seed": 2**31}, "above the maximum"),
        ({"noise": -0.1}, "below the minimum of 0.0"),
        ({"scaling": "minmax"}, "scaling must be one of standard, none"),
        ({"x_step": 0.0}, "x_step must be greater than 0"),
        ({"x_step": -0.1}, "below the minimum"),
        ({"x_end": -20.0}, "x_end -20.0 must be greater than x_start -20.0"),
        ({"x_start": math.nan}, "x_start must be a finite number"),
        ({"x_end": math.inf}, "x_end must be a finite number"),
        ({"x_step": 10.0}, "holds 4 points: it must hold 20–5000, so use a step between 0.008 and 2"),
        ({"x_step": 0.001}, "holds 40000 points"),
        ({"expression": "__import__('os')"}, "__import__"),
        ({"expression": "x" * 201}, "at most 200"),
        ({"lookback": 3, "x_step": 2.0, "x_end": 20.0, "x_start": -20.0}, None),
        ({"epochs": "200"}, "epochs must be int"),
        ({"lookback": 5.0}, "lookback must be int"),
        ({"scaling": None}, "scaling must be str"),
        ({"epochs": True}, "epochs must be int"),
    ],
)
def test_invalid_values_raise_actionable_errors(changes, message):
    if message is None:
        Config(**changes)  # valid
        return
    with pytest.raises(ValueError) as caught:
        Config(**changes)
    assert message in str(caught.value)


def test_lookback_that_leaves_no_test_window_says_the_largest_that_works():
    with pytest.raises(ValueError) as caught:
        Config(x_start=0.0, x_end=2.0, x_step=0.1, lookback=19)
    message = str(caught.value)
    assert "lookback 19" in message and "leaves" in message
    # With 20 points and ratio 0.8 the largest lookback leaving ≥ 2 train and ≥ 1 test windows is 17.
    assert "a lookback of at most 17" in message and "20 points" in message
    Config(x_start=0.0, x_end=2.0, x_step=0.1, lookback=17)


def test_cost_budget_names_the_knob_to_turn_down():
    with pytest.raises(ValueError) as caught:
        Config(layers=5, units=256, epochs=1000, lookback=100, x_step=0.01)
    message = str(caught.value)
    assert "budget" in message and "lower epochs (at most" in message
    with pytest.raises(ValueError, match=r"optimizer steps.*raise batch_size"):
        Config(batch_size=1, epochs=400, units=1, layers=1)


def test_ints_for_float_fields_are_normalised_so_hashes_agree():
    a = Config(x_start=-20, x_end=20)
    assert isinstance(a.x_start, float) and a == DEFAULT_CONFIG
    assert config_module.config_hash(a, "v") == config_module.config_hash(DEFAULT_CONFIG, "v")


def test_hash_is_stable_and_sensitive():
    key = config_module.config_hash(DEFAULT_CONFIG, "1")
    assert key == config_module.config_hash(Config(), "1")
    assert len(key) == 64 and int(key, 16) >= 0
    assert key != config_module.config_hash(DEFAULT_CONFIG, "2")
    assert key != config_module.config_hash(DEFAULT_CONFIG.replace(seed=1), "1")


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
    params = config.to_query_params()
    assert all(isinstance(value, str) for value in params.values())
    assert set(params) == set(config.to_dict())
    restored, errors = from_query_params(params)
    assert errors == {}
    assert restored == config


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


def test_query_params_that_do_not_fit_together_fall_back_to_defaults():
    restored, errors = from_query_params({"x_start": "5", "x_end": "1"})
    assert restored == DEFAULT_CONFIG
    assert "x_end" in errors["config"] and "defaults" in errors["config"]


def test_field_specs_cover_every_field():
    for field in dataclasses.fields(Config):
        spec = config_module.field_spec(field.name)
        assert spec.label and spec.help
    with pytest.raises(ValueError, match="no field"):
        config_module.field_spec("nope")


def test_fields_of_other_sources_are_reset_so_equal_runs_are_equal_configs():
    a = Config(source="dataset", dataset="lake_huron", expression="sin(x)", x_step=0.2, value_column="v")
    b = Config(source="dataset", dataset="lake_huron")
    assert a == b and config_module.config_hash(a, "v") == config_module.config_hash(b, "v")
    assert Config(expression="sin(x)", dataset="lake_huron").dataset == DEFAULT_CONFIG.dataset


def test_source_specific_checks():
    assert Config(source="dataset", dataset="us_accidental_deaths").n_points == 72
    with pytest.raises(ValueError, match="source 'upload' needs a file"):
        Config(source="upload")
    with pytest.raises(ValueError, match="64 hex digits"):
        Config(source="upload", upload="../../etc/passwd")
    with pytest.raises(ValueError, match="dataset must be one of"):
        Config(source="dataset", dataset="secret")
    with pytest.raises(ValueError, match="lookback 71"):
        Config(source="dataset", dataset="us_accidental_deaths", lookback=71)
    with pytest.raises(ValueError, match="column name"):
        Config(source="upload", upload="a" * 64, value_column="x" * 101)
    assert Config(source="upload", upload="a" * 64).n_points is None


def test_ensemble_members_and_budget():
    config = DEFAULT_CONFIG.replace(ensemble=3, seed=7)
    members = [config.member(index) for index in range(3)]
    assert [member.seed for member in members] == [7, 8, 9] and {member.ensemble for member in members} == {1}
    with pytest.raises(ValueError, match="member 3 does not exist"):
        config.member(3)
    single = Config(units=128)  # within the budget alone …
    with pytest.raises(ValueError, match="ensemble size"):
        single.replace(ensemble=5)  # … but not five times over
