"""Sweeps: value syntax, the grid of Configs, its bounds, the best cell and the link round trip."""

from __future__ import annotations

import itertools
import json
import math
import re

import pytest

from forecast import data, sweep
from forecast.config import Config
from forecast.run.pipeline import run


@pytest.mark.parametrize(
    ("field", "text", "expected"),
    [
        ("lookback", "4,8,12", (4, 8, 12)),
        ("lookback", " 4 , 8 ", (4, 8)),
        ("lookback", "4:16:4", (4, 8, 12, 16)),
        ("lookback", "4:15:4", (4, 8, 12)),  # STOP off the grid is not reached
        ("lookback", "8,4,8", (8, 4)),  # the order given, duplicates dropped
        ("units", "8:64:*2", (8, 16, 32, 64)),
        ("units", "16", (16,)),
        ("epochs", "1e2,2e2", (100, 200)),
        ("dropout", "0:0.3:0.1", (0.0, 0.1, 0.2, 0.3)),  # not 0.30000000000000004
        ("learning_rate", "0.0001:0.01:*10", (0.0001, 0.001, 0.01)),
        ("learning_rate", "0.001,1e-3", (0.001,)),
        ("train_ratio", "0.5:0.8:0.15", (0.5, 0.65, 0.8)),
        ("seed", "0:4:1", (0, 1, 2, 3, 4)),
    ],
)
def test_lists_and_ranges(field, text, expected):
    values = sweep.parse_values(field, text)
    assert values == expected
    assert all(type(value) is type(getattr(Config(), field)) for value in values)


@pytest.mark.parametrize(
    ("option", "message"),
    [
        ("colour=1,2", "Config has no field 'colour'; a sweep can vary lookback"),
        ("scaling=none", "scaling cannot be swept"),
        ("expression=x", "expression cannot be swept"),
        ("lookback 4,8", "has no '='"),
        ("lookback=", "lookback needs values"),
        ("lookback=4.5", "lookback takes whole numbers, got '4.5'"),
        ("lookback=four", "lookback takes whole numbers, got 'four'"),
        ("dropout=a,b", "dropout takes numbers, got 'a'"),
        ("lookback=101", "lookback 101 is above the maximum of 100"),
        ("dropout=0.5,0.95", "dropout 0.95 is above the maximum of 0.9"),
        ("learning_rate=0", "learning_rate 0.0 is below the minimum of 1e-05"),
        ("dropout=nan", "dropout must be a finite number"),
        ("lookback=4:16", "must be START:STOP:STEP"),
        ("lookback=16:4:4", "goes backwards"),
        ("lookback=4:16:0", "needs a STEP above 0"),
        ("units=8:64:*1", "needs a FACTOR above 1"),
        ("dropout=0:0.5:*2", "START must be above 0"),
        ("seed=0:1000000000:1", "has 1000000001 values: a sweep has at most 64 cells, so use a larger step"),
        ("seed=" + ",".join(str(seed) for seed in range(65)), "has 65 values"),
    ],
)
def test_bad_options_say_what_to_change(option, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        sweep.parse_variation(option)


def test_cli_spelling_of_field_names():
    assert sweep.parse_variation("learning-rate=0.01").field == "learning_rate"


def test_grid_order_and_fields():
    definition = sweep.Sweep.from_options(["lookback=4,8,12", "units=16,32"])
    assert definition.fields == ("lookback", "units")
    assert definition.shape == (3, 2) and definition.size == 6
    base = Config(epochs=20)
    cells = sweep.expand(base, definition)
    # Row-major: the first field varies slowest, as rows of the heatmap.
    assert [(cell.lookback, cell.units) for cell in cells] == list(itertools.product((4, 8, 12), (16, 32)))
    # Everything else comes from the base config.
    for cell in cells:
        assert cell.replace(lookback=base.lookback, units=base.units) == base


def test_cells_are_single_networks():
    cells = sweep.expand(Config(ensemble=3), sweep.Sweep.from_options(["seed=0,1"]))
    assert [(cell.seed, cell.ensemble) for cell in cells] == [(0, 1), (1, 1)]


def test_too_many_cells_and_repeated_fields():
    with pytest.raises(ValueError, match=r"has 70 cells \(10 lookback values × 7 units values\), over the limit of 64"):
        sweep.Sweep.from_options(["lookback=1:10:1", "units=1:7:1"])
    with pytest.raises(ValueError, match="varies 1 or 2 fields, got 3"):
        sweep.Sweep.from_options(["lookback=4", "units=8", "layers=1"])
    with pytest.raises(ValueError, match="lookback is varied twice"):
        sweep.Sweep.from_options(["lookback=4", "lookback=8"])
    # Exactly 64 cells is allowed.
    assert sweep.Sweep.from_options(["lookback=1:8:1", "seed=0:7:1"]).size == 64


def test_each_cell_is_validated_as_a_config():
    # On 30 points a lookback of 27 leaves 3 windows: enough with train ratio 0.95, not with 0.5.
    definition = sweep.Sweep.from_options(["lookback=5,27", "train_ratio=0.95,0.5"])
    message = r"^sweep cell lookback=27, train_ratio=0\.5: lookback 27 with train ratio 0\.5 leaves fewer than 2"
    with pytest.raises(ValueError, match=message):
        sweep.expand(Config(x_end=-17.0), definition)
    # The single-training budget applies to every cell.
    with pytest.raises(ValueError, match="sweep cell epochs=1000, units=256: this training would cost"):
        sweep.expand(Config(layers=5), sweep.Sweep.from_options(["epochs=1000", "units=32,256"]))


def test_the_sweep_budget_is_summed_over_cells():
    definition = sweep.Sweep.from_options(["lookback=4:14:2", "units=64,80,96"])
    cells = [Config().replace(**changes) for changes in definition.changes()]
    cost, _ = sweep.sweep_cost(cells, 400)
    # The same sum, cell by cell, as the config module counts one training.
    expected = sum(data.training_cost(cell, data.window_counts(cell, 400)[0])[0] for cell in cells)
    assert cost == pytest.approx(expected)
    assert cost > sweep.MAX_SWEEP_COST  # each cell alone is within the single-training budget
    with pytest.raises(ValueError, match=r"over the sweep budget of 5e\+11 .*use fewer values \(about \d+ cells"):
        sweep.expand(Config(), definition)
    with pytest.raises(ValueError, match=r"lower epochs \(at most \d+\)"):
        sweep.expand(Config(), definition)
    # Lowering epochs as advised brings it within the budget.
    over = cost / sweep.MAX_SWEEP_COST
    assert len(sweep.expand(Config(epochs=math.floor(200 / over)), definition)) == 18


def test_the_sweep_budget_counts_the_windows_a_test_size_leaves():
    # With a test size, the split ignores the train ratio: a ratio of 0.1 still trains on all but the last 20
    # steps. Counting by the ratio said 10x less work than the cell really costs.
    base = Config(x_start=0.0, x_end=200.0, x_step=0.1, train_ratio=0.1, test_size=20)
    n_train, n_test = data.window_counts(base, 2000)
    assert (n_train, n_test) == (1975, 20)
    cost, steps = sweep.sweep_cost([base], 2000)
    assert (cost, steps) == data.training_cost(base, n_train)
    assert steps == 200 * 40  # 200 epochs of ceil(1975 / 50) batches
    # Differencing consumes values too: the same count the training itself uses.
    differenced = base.replace(difference=2)
    assert sweep.sweep_cost([differenced], 2000) == data.training_cost(
        differenced, data.window_counts(differenced, 2000)[0]
    )


def test_the_step_budget_is_summed_over_cells():
    definition = sweep.Sweep.from_options(["seed=0:9:1"])
    base = Config(layers=1, units=2, epochs=1000, batch_size=5)  # 64,000 steps each: 640,000 in all
    with pytest.raises(ValueError, match=r"optimizer steps over its 10 cells.*raise batch_size"):
        sweep.expand(base, definition)


def test_uploaded_series_need_their_length():
    base = Config(source="upload", upload="0" * 64)
    definition = sweep.Sweep.from_options(["lookback=4,8"])
    with pytest.raises(ValueError, match=r"uploaded file .* is not available here"):
        sweep.expand(base, definition)
    assert [cell.lookback for cell in sweep.expand(base, definition, n_points=120)] == [4, 8]
    with pytest.raises(ValueError, match=r"sweep cell lookback=8: lookback 8 with train ratio 0\.8 leaves"):
        sweep.expand(base, definition, n_points=10)


@pytest.mark.parametrize(
    "options",
    [
        ["lookback=4,8,12", "units=16,32"],
        ["dropout=0:0.3:0.1"],
        ["learning_rate=0.0001:0.01:*10", "seed=0,1"],
        ["train_ratio=0.7,0.123456789012345"],
    ],
)
def test_link_round_trip(options):
    definition = sweep.Sweep.from_options(options)
    params = definition.to_query_params()
    assert list(params) == ["sweep"]
    again = sweep.Sweep.from_query_params(params)
    assert again == definition
    assert again.to_query_value() == params["sweep"]


def test_link_text():
    definition = sweep.Sweep.from_options(["lookback=4:12:4", "units=16,32"])
    assert definition.to_query_value() == "lookback:4,8,12;units:16,32"
    assert sweep.Sweep.from_query_params({}) is None
    assert sweep.Sweep.from_query_params({"sweep": ["lookback:4:8:4"]}).variations[0].values == (4, 8)
    for text, message in [("", "empty"), ("lookback", "has no ':'"), ("lookback:4;lookback:8", "varied twice")]:
        with pytest.raises(ValueError, match=message):
            sweep.Sweep.from_query_value(text)


def test_best_cell_by_recursive_rmse():
    def metrics(one_step, recursive):
        return {"lstm": {"one_step": {"rmse": one_step}, "recursive": {"rmse": recursive}}}

    cells = [metrics(0.1, 5.0), metrics(0.5, 2.0), metrics(0.2, float("nan")), metrics(0.9, 2.0), metrics(0.0, None)]
    assert sweep.best_index(cells) == 1  # lowest recursive RMSE, the first of a tie; NaN and None never win
    assert sweep.best_index(cells, kind="one_step") == 4
    with pytest.raises(ValueError, match="no cell has a finite lstm recursive rmse"):
        sweep.best_index([metrics(0.1, float("nan"))])
    with pytest.raises(ValueError):
        sweep.best_index([])


def test_summary_of_a_trained_sweep(tiny_config):
    cells = sweep.expand(tiny_config.replace(epochs=1), sweep.Sweep.from_options(["units=2,4"]))
    results = [run(cell) for cell in cells]
    document = json.loads(json.dumps(sweep.summary(results), allow_nan=False))
    assert [cell["config"]["units"] for cell in document["cells"]] == [2, 4]
    assert set(document["cells"][0]) == {"config", "metrics", "cached", "fit_seconds"}
    assert document["cells"][0]["metrics"] == results[0].summary()["metrics"]
    recursive = [result.metrics["lstm"]["recursive"]["rmse"] for result in results]
    assert document["best"] == document["cells"][recursive.index(min(recursive))]


def test_real_series_fields_can_be_swept():
    base = Config(source="dataset", dataset="airline_passengers", lookback=12, season_length=12, epochs=5)
    grid = sweep.Sweep.from_options(["difference=0,1", "seasonal_difference=0,1"])
    cells = sweep.expand(base, grid)
    assert [(cell.difference, cell.seasonal_difference) for cell in cells] == [(0, 0), (0, 1), (1, 0), (1, 1)]
    assert all(cell.season_length == 12 and cell.dataset == "airline_passengers" for cell in cells)
    with pytest.raises(ValueError, match="season_length"):
        sweep.expand(base, sweep.Sweep.from_options(["season_length=1,12"]))


def test_a_trailing_comma_is_a_slip_and_an_empty_value_is_named():
    assert sweep.parse_values("lookback", " 3 , 4 , ") == (3, 4)
    with pytest.raises(ValueError, match="lookback has an empty value: write its values between commas"):
        sweep.parse_values("lookback", "3,,4")
