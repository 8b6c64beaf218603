import dataclasses
import math

import pytest

from forecast import config as config_module
from forecast.config import DEFAULT_CONFIG, ORIGINAL_RECIPE, Config


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
        "transform": "none",
        "difference": 0,
        "seasonal_difference": 0,
        "season_length": 0,
        "test_size": 0,
        "patience": 0,
        "validation_ratio": 0.1,
        "fill": "none",
        "horizon": 0,
        "backtest_windows": 1,
        "interval": 0,
        "strategy": "recursive",
        "snapshot_every": 0,
    }


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


def test_fields_of_other_sources_are_reset_so_equal_runs_are_equal_configs():
    a = Config(source="dataset", dataset="lake_huron", expression="sin(x)", x_step=0.2, value_column="v")
    b = Config(source="dataset", dataset="lake_huron")
    assert a == b and config_module.config_hash(a, "v") == config_module.config_hash(b, "v")
    assert Config(expression="sin(x)", dataset="lake_huron").dataset == DEFAULT_CONFIG.dataset


def test_source_specific_checks():
    with pytest.raises(ValueError, match="source 'upload' needs a file"):
        Config(source="upload")
    with pytest.raises(ValueError, match="64 hex digits"):
        Config(source="upload", upload="../../etc/passwd")
    with pytest.raises(ValueError, match="dataset must be one of"):
        Config(source="dataset", dataset="secret")
    with pytest.raises(ValueError, match="column name"):
        Config(source="upload", upload="a" * 64, value_column="x" * 101)
    Config(source="upload", upload="a" * 64)  # valid: the file's length is checked where it is read


def test_ensemble_members():
    config = DEFAULT_CONFIG.replace(ensemble=3, seed=7)
    members = config.members()
    assert [member.seed for member in members] == [7, 8, 9] and {member.ensemble for member in members} == {1}
    assert members == [config.member(index) for index in range(3)]
    with pytest.raises(ValueError, match="member 3 does not exist"):
        config.member(3)
    assert DEFAULT_CONFIG.members() == [DEFAULT_CONFIG]


def test_an_ensemble_refuses_noise_its_members_would_draw_differently():
    with pytest.raises(ValueError, match="set noise to 0 or ensemble size to 1"):
        Config(noise=0.1, ensemble=2)
    Config(noise=0.1)
    Config(ensemble=2)


def test_config_reads_no_data_and_evaluates_nothing(monkeypatch):
    """Building a Config never reads a CSV or evaluates the expression: those happen once, in forecast.data."""
    from forecast.config import expressions
    from forecast.data import datasets

    def refuse(*args, **kwargs):
        raise AssertionError("Config must not read or compute the series")

    monkeypatch.setattr(datasets, "read_csv", refuse)
    monkeypatch.setattr(datasets, "load", refuse)
    monkeypatch.setattr(expressions, "evaluate", refuse)
    Config(source="dataset", dataset="lake_huron", lookback=90)  # too long for 98 points: found when read
    Config(expression="log(x)")  # NaN on the default range: found when evaluated
    Config(epochs=1000, units=256, layers=5)  # over the budget: found when the series is built


def test_bounds_of_every_field():
    assert config_module.bounds("lookback") == config_module.Bounds(1, 100)
    assert config_module.bounds("scaling").choices == ("standard", "none")
    assert config_module.bounds("source").choices == ("expression", "dataset", "upload")
    with pytest.raises(ValueError, match="no field"):
        config_module.bounds("nope")
