"""The Sweep tab (forecast/ui/views/sweep.py), driven headlessly with Streamlit's AppTest on tiny configs."""

from __future__ import annotations

import json

import pytest
from streamlit.testing.v1 import AppTest

from forecast import sweep
from forecast.run.cache import ResultCache
from forecast.run.keys import result_key
from forecast.ui import services
from forecast.ui.views import sweep as sweep_view
from tests.ray_cluster import free_port
from tests.ui.test_app import APP, TIMEOUT, app_with_params, open_tab, shown, url_params, widget


@pytest.fixture
def tiny(tiny_config):
    return tiny_config


def sweep_tab(at: AppTest, first: tuple[str, str], second: tuple[str, str] | None = None) -> AppTest:
    """Fill the Sweep tab's inputs and press Run sweep."""
    at.selectbox(key="sweep_field_1").set_value(first[0])
    at.text_input(key="sweep_values_1").input(first[1])
    field, values = second if second is not None else (sweep_view.NO_FIELD, "")
    at.selectbox(key="sweep_field_2").set_value(field)
    at.text_input(key="sweep_values_2").input(values)
    return at.button(key="sweep_run").click().run()


def sweep_chart(at: AppTest) -> dict:
    for chart in at.get("plotly_chart"):
        spec = json.loads(chart.proto.spec)
        if spec.get("layout", {}).get("title", {}).get("text", "").startswith("Sweep over"):
            return spec
    raise AssertionError("no sweep chart")


def test_a_two_field_sweep_trains_shows_heatmaps_names_the_best_and_is_in_the_link(tiny):
    at = open_tab(app_with_params(tiny), sweep_view.LABEL).run()
    assert not at.exception
    at = sweep_tab(at, ("lookback", "4,6"), ("units", "2:4:2"))
    assert not at.exception and not at.error, [element.value for element in at.error]
    spec = sweep_chart(at)
    heatmaps = [trace for trace in spec["data"] if trace["type"] == "heatmap"]
    assert len(heatmaps) == 2  # one-step and recursive side by side
    assert heatmaps[0]["x"] == ["2", "4"] and heatmaps[0]["y"] == ["4", "6"]
    titles = " ".join(annotation["text"] for annotation in spec["layout"]["annotations"])
    assert "one-step test RMSE" in titles and "recursive test RMSE" in titles and "naive" in titles
    table = at.dataframe[0].value
    assert list(table["lookback"]) == [4, 4, 6, 6] and list(table["units"]) == [2, 4, 2, 4]
    assert table["recursive RMSE"].notna().all()
    best = int(table["recursive RMSE"].idxmin())
    expected = f"lookback={table['lookback'][best]}, units={table['units'][best]}"
    assert f"Best cell by recursive error: {expected}" in shown(at.markdown)
    # Every cell went into the shared cache under its own key.
    cells = sweep.expand(tiny, sweep.Sweep.from_options(["lookback=4,6", "units=2,4"]))
    assert all(ResultCache().get(result_key(cell)) is not None for cell in cells)
    # The URL holds the sweep beside the config; a new session from that link shows every cell from the cache.
    params = url_params(at)
    assert params["sweep"] == "lookback:4,6;units:2,4" and params["lookback"] == str(tiny.lookback)
    again = AppTest.from_file(APP, default_timeout=TIMEOUT)
    for name, value in params.items():
        again.query_params[name] = value
    open_tab(again, sweep_view.LABEL).run()
    assert not again.exception
    assert again.selectbox(key="sweep_field_2").value == "units"
    assert again.text_input(key="sweep_values_1").value == "4,6"
    assert list(again.dataframe[0].value["cached"]) == [True] * 4
    # Load: the chosen cell's settings go to the sidebar and the Forecast tab opens.
    again.selectbox(key="sweep_cell").set_value("lookback=6, units=4")
    again.button(key="sweep_load").click().run()
    assert not again.exception
    assert again.session_state["view"] == "Forecast"
    assert widget(again, "lookback").value == 6 and widget(again, "units").value == 4
    assert url_params(again)["lookback"] == "6" and url_params(again)["sweep"] == "lookback:4,6;units:2,4"


def test_a_one_field_sweep_draws_lines_with_the_baselines(tiny):
    at = open_tab(app_with_params(tiny), sweep_view.LABEL).run()
    at = sweep_tab(at, ("seed", "0,1"))
    assert not at.exception and not at.error
    spec = sweep_chart(at)
    names = {trace.get("name") for trace in spec["data"]}
    assert {"LSTM", "naive", "linear AR", "best (recursive)"} <= names
    lstm = [trace for trace in spec["data"] if trace.get("name") == "LSTM"]
    assert len(lstm) == 2 and lstm[0]["x"] == [0, 1]  # one-step and recursive panels
    assert not any("Loading a cell sets" in element.value for element in at.caption)  # nothing run-wide to lose


def test_loading_a_cell_says_which_run_wide_settings_it_resets(tiny):
    at = open_tab(app_with_params(tiny.replace(horizon=3)), sweep_view.LABEL).run()
    at = sweep_tab(at, ("seed", "0,1"))
    assert not at.exception
    assert any("Loading a cell sets the sidebar's ensemble to 1, the future to 0" in e.value for e in at.caption)


@pytest.mark.parametrize(
    ("first", "second", "message"),
    [
        (("lookback", "1:70:1"), None, "has 70 values: a sweep has at most 64 cells"),
        (("lookback", "0,4"), None, "lookback 0 is below the minimum of 1"),
        (("dropout", "0.1,x"), None, "dropout takes numbers, got 'x'"),
        (("seed", "0:9:1"), ("units", "1:10:1"), "this sweep has 100 cells"),
        (("lookback", "4"), ("lookback", "6"), "lookback is varied twice"),
        (("lookback", "4,79"), None, "sweep cell lookback=79"),
    ],
)
def test_bad_sweeps_are_refused_with_a_message_and_train_nothing(tiny, first, second, message):
    at = open_tab(app_with_params(tiny), sweep_view.LABEL).run()
    at = sweep_tab(at, first, second)
    assert not at.exception
    assert message in shown(at.error)
    assert not at.get("progress")
    assert "sweep" not in url_params(at)


def test_a_link_with_a_bad_sweep_says_so(tiny):
    at = app_with_params(tiny)
    at.query_params["sweep"] = "nodes:1,2"
    open_tab(at, sweep_view.LABEL).run()
    assert not at.exception
    assert "The link's sweep was not used: Config has no field 'nodes'" in shown(at.error)


def test_an_unreachable_ray_cluster_is_one_sentence_and_training_runs_here(tiny, monkeypatch):
    address = f"127.0.0.1:{free_port()}"
    monkeypatch.setenv("FORECAST_RAY_ADDRESS", address)
    at = app_with_params(tiny.replace(seed=11)).run()
    try:
        assert not at.exception and not at.error
        warnings = [element.value for element in at.warning]
        assert len(warnings) == 1
        assert warnings[0].startswith(
            f"Training runs on this server because the Ray cluster is not available: Cannot reach the Ray cluster "
            f"at {address}; "
        )
        assert "\n" not in warnings[0]
        assert at.get("plotly_chart")  # trained here, and drawn
    finally:
        services.training_service().shutdown()  # this test's own local pool (its address is used only here)
