import pytest

from forecast.config import DEFAULT_CONFIG, ORIGINAL_RECIPE
from forecast.report.history import History, describe
from forecast.report.plots import TRACE_NAMES, comparison_figure
from tests.conftest import make_fake_result as fake_result


def test_add_is_once_per_config_and_bounded():
    history = History(limit=3)
    first = history.add(DEFAULT_CONFIG, fake_result(DEFAULT_CONFIG))
    assert history.add(DEFAULT_CONFIG, fake_result(DEFAULT_CONFIG)) is first
    for seed in range(1, 5):
        config = DEFAULT_CONFIG.replace(seed=seed)
        history.add(config, fake_result(config))
    assert [record.number for record in history.records] == [3, 4, 5]
    table = history.table()
    assert list(table["run"]) == ["#3", "#4", "#5"] and "one-step RMSE" in table.columns


def test_remove_and_select_by_label():
    history = History()
    records = [
        history.add(DEFAULT_CONFIG.replace(seed=s), fake_result(DEFAULT_CONFIG.replace(seed=s))) for s in range(3)
    ]
    assert history.remove([records[1].label]) == 1
    assert [record.number for record in history.by_label([r.label for r in records])] == [1, 3]


def test_compared_runs_share_a_series_key_only_on_the_same_series():
    history = History()
    a = history.add(DEFAULT_CONFIG, fake_result(DEFAULT_CONFIG))
    b = history.add(DEFAULT_CONFIG.replace(layers=2), fake_result(DEFAULT_CONFIG.replace(layers=2)))
    c = history.add(DEFAULT_CONFIG.replace(noise=0.5), fake_result(DEFAULT_CONFIG.replace(noise=0.5)))
    constant = DEFAULT_CONFIG.replace(schedule="constant", learning_rate=0.001)
    d = history.add(constant, fake_result(constant))
    assert a.compared().series_key == b.compared().series_key == d.compared().series_key != c.compared().series_key


def test_runs_differing_only_in_seed_share_one_actual_curve():
    history = History()
    runs = [history.add(config, fake_result(config)) for config in (DEFAULT_CONFIG, DEFAULT_CONFIG.replace(seed=3))]
    figure = comparison_figure([run.compared() for run in runs])
    assert [trace.name for trace in figure.data].count(TRACE_NAMES["actual"]) == 1
    assert not any(str(trace.name).startswith("Actual (") for trace in figure.data)
    noisy = [DEFAULT_CONFIG.replace(noise=0.1), DEFAULT_CONFIG.replace(noise=0.1, seed=3)]
    assert len({history.add(config, fake_result(config)).compared().series_key for config in noisy}) == 2


def test_describe_mentions_what_differs():
    text = describe(DEFAULT_CONFIG.replace(scaling="none", ensemble=3))
    assert text.startswith("x*sin(x) · lookback 5, 3×32 LSTM") and "scaling none" in text and "ensemble 3" in text
    assert describe(DEFAULT_CONFIG.replace(source="dataset")).startswith("Airline passengers")
    assert "learning rate 0.001, schedule constant" in describe(ORIGINAL_RECIPE)


def test_limit_must_be_positive():
    with pytest.raises(ValueError):
        History(limit=0)
