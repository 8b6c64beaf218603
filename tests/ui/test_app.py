"""The dashboard, driven headlessly with Streamlit's AppTest: widgets by key, real training in worker processes."""

from __future__ import annotations

import ast
import base64
import gc
import json
import re
import time
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from forecast.config import DEFAULT_CONFIG, FIELD_NAMES, ORIGINAL_RECIPE, Config
from forecast.config.fields import from_query_params, to_query_params
from forecast.data import datasets, make_dataset, sources
from forecast.models.schedule import learning_rates
from forecast.report.plots import TRACE_NAMES
from forecast.ui import services
from forecast.ui import state as state_module
from forecast.ui.state import LIVE_SNAPSHOT_EVERY
from tests.conftest import BAD_INPUTS

APP = str(Path(__file__).resolve().parents[2] / "app.py")
# Runs that train wait for a worker process (TensorFlow import on first use), so they get a generous timeout.
TIMEOUT = 240


def decode(values) -> np.ndarray:
    """Plotly's JSON stores numpy arrays as base64 typed arrays; plain lists pass through."""
    if isinstance(values, dict) and "bdata" in values:
        array = np.frombuffer(base64.b64decode(values["bdata"]), dtype=np.dtype(values["dtype"]))
        return array.reshape(values["shape"]) if "shape" in values else array
    return np.asarray(values)


def chart_traces(at: AppTest, title_part: str = "") -> dict[str, dict]:
    """Traces of the first Plotly chart whose title contains `title_part`, by trace name."""
    for chart in at.get("plotly_chart"):
        spec = json.loads(chart.proto.spec)
        title = spec.get("layout", {}).get("title", {}).get("text", "")
        if title_part in title:
            return {trace.get("name"): trace for trace in spec["data"]}
    raise AssertionError(f"no chart titled {title_part!r}")


def shown(elements) -> str:
    """The text of messages as a reader sees it: without the Markdown escapes the app adds to user text."""
    return " ".join(re.sub(r"\\(.)", r"\1", element.value) for element in elements)


def url_params(at: AppTest) -> dict[str, str]:
    """The URL's query parameters after a run, one value each."""
    return {key: value[-1] if isinstance(value, list) else value for key, value in at.query_params.items()}


def app_with_params(config: Config) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    for name, value in to_query_params(config).items():
        at.query_params[name] = value
    return at


def n_points(config: Config) -> int:
    return len(make_dataset(config).ys)


OTHER_SOURCES_FIELDS = {
    name for source in sources.SOURCES.values() if source.name != "expression" for name in source.fields
}


def open_tab(at: AppTest, label: str) -> AppTest:
    """Select a tab as a click would: tabs are lazy, only the open one is built."""
    at.session_state["view"] = label
    return at


def widget(at: AppTest, key: str):
    for element in (
        at.get("number_input") + at.get("text_input") + at.get("radio") + at.get("selectbox") + at.get("select_slider")
    ):
        if element.key == key:
            return element
    raise AssertionError(f"no widget with key {key!r}")


@pytest.fixture(scope="module")
def shared_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("app-cache")


@pytest.fixture(autouse=True)
def app_cache(shared_cache: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """One cache folder for the whole module: configs several tests fall back to (the defaults) train once."""
    monkeypatch.setenv("FORECAST_CACHE_DIR", str(shared_cache))
    return shared_cache


@pytest.fixture
def tiny(tiny_config) -> Config:
    return tiny_config


def widget_keys(at: AppTest) -> set[str]:
    kinds = ("number_input", "text_input", "radio", "selectbox", "select_slider")
    return {element.key for kind in kinds for element in at.get(kind)}


def test_every_config_field_has_a_keyed_widget_and_there_is_a_train_button(tiny):
    at = app_with_params(tiny).run()
    assert not at.exception
    # The function of x: every field but those of the other sources, which are not drawn at all.
    expression_fields = set(FIELD_NAMES) - OTHER_SOURCES_FIELDS
    assert expression_fields <= widget_keys(at) and not OTHER_SOURCES_FIELDS & widget_keys(at)
    assert any(button.key == "train" for button in at.button)
    for name in expression_fields:
        assert widget(at, name).help, f"{name} has no help text"
    digest = datasets.content_hash(UPLOAD)
    uploaded = with_upload(app_with_params(tiny.replace(source="upload", upload=digest, lookback=4))).run()
    assert {"upload", "value_column", "x_column"} <= widget_keys(uploaded)
    assert not {"dataset", "expression", "x_start", "x_step"} & widget_keys(uploaded)
    for name in ("upload", "value_column", "x_column"):
        assert widget(uploaded, name).help, f"{name} has no help text"


def test_the_sidebar_shows_only_the_chosen_sources_inputs_and_keeps_the_others(tiny):
    at = app_with_params(tiny.replace(expression="sin(x)")).run()
    at.radio(key="source").set_value("dataset").run()
    assert not at.exception
    keys = widget_keys(at)
    assert "dataset" in keys and not {"expression", "x_start", "x_end", "x_step", "preset", "upload"} & keys
    assert widget(at, "dataset").help
    # Back to the function: what was typed before is still there, and the URL describes it.
    at.radio(key="source").set_value("expression").run()
    assert not at.exception
    assert widget(at, "expression").value == "sin(x)" and "dataset" not in widget_keys(at)
    assert url_params(at)["expression"] == "sin(x)" and url_params(at)["source"] == "expression"


def test_an_uploaded_file_and_a_chosen_dataset_are_kept_across_a_visit_to_another_source(tiny):
    digest = datasets.content_hash(UPLOAD)
    at = with_upload(app_with_params(tiny.replace(source="upload", upload=digest, lookback=4))).run()
    assert TRACE_NAMES["one_step"] in chart_traces(at, "Uploaded series")
    at.radio(key="source").set_value("dataset").run()
    at.selectbox(key="dataset").set_value("lake_huron").run()
    at.radio(key="source").set_value("upload").run()
    assert not at.exception and widget(at, "upload").value == digest
    assert TRACE_NAMES["one_step"] in chart_traces(at, "Uploaded series")  # cached: no file to upload again
    at.radio(key="source").set_value("dataset").run()
    assert widget(at, "dataset").value == "lake_huron" and url_params(at)["dataset"] == "lake_huron"


def test_link_restores_widgets_and_draws_the_result(tiny):
    config = tiny.replace(lookback=7, units=3, seed=5, learning_rate=0.002, scaling="none", schedule="constant")
    at = app_with_params(config).run()
    assert not at.exception and not at.error
    for name, value in config.to_dict().items():
        if name not in OTHER_SOURCES_FIELDS:
            assert widget(at, name).value == value, name
    # The URL keeps holding the config.
    assert url_params(at) == to_query_params(config)
    traces = chart_traces(at, "f(x) =")
    dataset = make_dataset(config)
    one_step = traces[TRACE_NAMES["one_step"]]
    np.testing.assert_allclose(decode(one_step["x"]), dataset.xs[-dataset.n_test :])
    assert len(decode(traces[TRACE_NAMES["actual"]]["x"])) == n_points(config)


def test_submitting_a_tiny_config_trains_and_draws_predictions(tiny):
    at = app_with_params(tiny).run()
    assert not at.exception
    widget(at, "lookback").set_value(4)
    widget(at, "layers").set_value(2)
    widget(at, "expression").input("sin(x) + 0.5*sin(3*x)")
    at.button(key="train").click().run()
    assert not at.exception and not at.error
    expected = tiny.replace(lookback=4, layers=2, expression="sin(x) + 0.5*sin(3*x)")
    dataset = make_dataset(expected)
    traces = chart_traces(at, "sin(3*x)")
    assert len(decode(traces[TRACE_NAMES["actual"]]["y"])) == n_points(expected)
    one_step = traces[TRACE_NAMES["one_step"]]
    assert len(decode(one_step["y"])) == dataset.n_test
    np.testing.assert_allclose(decode(one_step["x"]), dataset.xs[-dataset.n_test :])
    assert len(decode(traces[TRACE_NAMES["recursive"]]["y"])) == dataset.n_test
    assert url_params(at)["lookback"] == "4" and url_params(at)["layers"] == "2"
    # The metrics table and its reading.
    table = at.table[0].value
    assert list(table.columns) == ["Model", "Forecast", "RMSE", "MAE", "R²", "MASE"] and len(table) == 6
    assert any("Linear AR" in model for model in table["Model"])
    assert at.info and "One step ahead" in at.info[0].value


def test_a_config_seen_before_comes_back_from_the_cache(tiny):
    first = app_with_params(tiny).run()
    assert not first.exception
    second = open_tab(app_with_params(tiny), "Training").run(timeout=30)
    assert not second.exception
    assert any(metric.value == "cached" for metric in second.metric)
    open_tab(second, "Forecast").run(timeout=30)
    assert chart_traces(second, "f(x) =")


@pytest.mark.parametrize(
    "expression",
    ["__import__('os').system('id')", "().__class__.__bases__[0].__subclasses__()", "open('/etc/passwd').read()"],
)
def test_malicious_expression_is_refused(tiny, expression):
    at = app_with_params(tiny).run()
    widget(at, "expression").input(expression)
    at.button(key="train").click().run()
    assert not at.exception
    assert at.error and expression.split("(")[0] in shown(at.error)
    # Shown literally: Markdown would otherwise turn __import__ into a bold "import".
    assert "__" not in at.error[0].value.replace("\\_\\_", "")


def test_malicious_expression_in_a_link_is_reported_and_replaced(tiny):
    params = to_query_params(tiny) | {"expression": "__import__('os').system('id')", "layers": "nine"}
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    for name, value in params.items():
        at.query_params[name] = value
    started = time.perf_counter()
    at.run()
    assert time.perf_counter() - started < 5  # refused at once: nothing is trained
    assert not at.exception
    warnings = shown(at.warning)
    assert "expression" in warnings and "__import__" in warnings and "layers" in warnings
    assert widget(at, "expression").value == DEFAULT_CONFIG.expression
    assert widget(at, "layers").value == DEFAULT_CONFIG.layers


def test_reproduce_original_post_sets_the_original_recipe(tiny):
    at = app_with_params(tiny.replace(epochs=1)).run()
    at.button(key="reproduce_original").click().run()
    assert not at.exception
    # The page keeps watching the network learn: only the snapshots differ from the library's original recipe.
    for name, value in ORIGINAL_RECIPE.replace(snapshot_every=LIVE_SNAPSHOT_EVERY).to_dict().items():
        if name not in OTHER_SOURCES_FIELDS:
            assert widget(at, name).value == value, name
    assert url_params(at)["scaling"] == "none" and url_params(at)["schedule"] == "constant"


def test_preset_fills_the_expression(tiny):
    at = app_with_params(tiny).run()
    at.selectbox(key="preset").set_value("Sine").run()
    assert not at.exception
    assert widget(at, "expression").value == "sin(x)"
    assert url_params(at)["expression"] == "sin(x)"


def test_downloads_and_training_tab(tiny):
    at = app_with_params(tiny).run()
    assert not at.exception
    keys = {element.proto.id for element in at.get("download_button")}
    assert len(keys) == 3  # predictions, model, config
    assert not at.metric  # the Training tab is not built until it is opened
    open_tab(at, "Training").run()
    labels = [metric.label for metric in at.metric]
    assert {"Fit time", "Epochs run", "Result"} <= set(labels)
    loss = chart_traces(at, "Loss per epoch")
    assert len(decode(loss["training loss"]["y"])) == tiny.epochs
    rates = decode(loss["learning rate (right axis)"]["y"])
    np.testing.assert_array_equal(rates, learning_rates(tiny.schedule, tiny.learning_rate, tiny.epochs))


def test_switching_back_to_an_earlier_config_never_retrains(tiny):
    tiny = tiny.replace(seed=1001)  # trained by no other test
    at = open_tab(app_with_params(tiny), "Training").run()
    assert any(metric.value == "fresh" for metric in at.metric)
    widget(at, "lookback").set_value(6)
    at.button(key="train").click().run()
    assert any(metric.value == "fresh" for metric in at.metric)
    widget(at, "lookback").set_value(tiny.lookback)
    at.button(key="train").click().run(timeout=30)
    assert not at.exception
    assert any(metric.value == "cached" for metric in at.metric)
    assert not at.get("progress")


@pytest.mark.parametrize(("changes", "message"), BAD_INPUTS)
def test_every_kind_of_bad_input_in_a_link_is_reported_and_the_app_works(tiny, changes, message, tmp_path, monkeypatch):
    """A link is validated like the widgets: field by field, then as a whole; nothing trains until asked."""
    monkeypatch.setenv("FORECAST_CACHE_DIR", str(tmp_path))  # nothing cached: any training would show
    params = to_query_params(tiny) | {
        name: repr(value) if isinstance(value, float) else str(value) for name, value in changes.items()
    }
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    for name, value in params.items():
        at.query_params[name] = value
    at.run()
    assert not at.exception
    warnings = shown(at.warning)
    assert message in warnings, warnings
    # The page falls back to valid settings, draws their actual curve and trains nothing until asked.
    traces = chart_traces(at, "f(x)")
    assert list(traces) == [TRACE_NAMES["actual"]]
    assert "nothing was trained" in at.info[0].value
    assert not at.get("progress")


def test_a_link_whose_one_field_does_not_fit_its_series_keeps_every_other_field(tiny):
    # A lookback too long for the linked series is the field the problem names: only it goes back to its default.
    at = app_with_params(tiny.replace(lookback=79, seed=42, units=5))
    at.run()
    assert not at.exception
    assert "The link's `lookback` was not used" in shown(at.warning) and "lookback is back to its default" in shown(
        at.warning
    )
    assert widget(at, "lookback").value == DEFAULT_CONFIG.lookback
    assert (widget(at, "seed").value, widget(at, "units").value, widget(at, "epochs").value) == (42, 5, tiny.epochs)
    assert "nothing was trained" in at.info[0].value


def test_after_a_bad_link_train_runs_the_settings_shown(tiny):
    at = app_with_params(tiny.replace(seed=7))
    at.query_params["layers"] = "nine"
    at.run()
    assert "nothing was trained" in at.info[0].value
    assert widget(at, "layers").value == DEFAULT_CONFIG.layers
    at.button(key="train").click().run()
    assert not at.exception
    assert TRACE_NAMES["one_step"] in chart_traces(at, "f(x) =")


CROSS_FIELD = [
    case
    for case in BAD_INPUTS
    if case.id
    in {
        "step-zero",
        "no-points",
        "empty-range",
        "lookback-too-long",
        "empty-train-side",
        "no-windows",
        "nan-series",
        "infinite-series",
        "syntax",
        "escape",
        "over-budget",
        # Number inputs have no bounds of their own (the browser would refuse such a value out of sight and hold
        # back the whole form): the config's check names the bound on the page.
        "lookback-over-bound",
        "dropout-over-bound",
    }
]


def test_a_number_out_of_bounds_is_named_and_the_rest_of_the_form_kept(tiny):
    at = app_with_params(tiny).run()
    widget(at, "epochs").set_value(3000)
    widget(at, "seed").set_value(7)
    at.button(key="train").click().run()
    assert not at.exception
    assert "epochs 3000 is above the maximum of 1000" in shown(at.error)
    assert widget(at, "seed").value == 7 and widget(at, "epochs").value == 3000  # as typed, to be corrected
    assert "(1–1000)" in widget(at, "epochs").help


@pytest.mark.parametrize(("changes", "message"), CROSS_FIELD)
def test_every_kind_of_bad_input_in_the_form_shows_an_error_and_keeps_the_result(tiny, changes, message):
    at = app_with_params(tiny).run()
    for key, value in changes.items():
        element = widget(at, key)
        element.input(value) if key == "expression" else element.set_value(value)
    at.button(key="train").click().run()
    assert not at.exception
    assert message in shown(at.error), shown(at.error)
    traces = chart_traces(at, "f(x) =")
    assert len(decode(traces[TRACE_NAMES["one_step"]]["y"])) == make_dataset(tiny).n_test


# --- beyond the blog post: data sources, ensembles, horizon, history, code ----------------------------------

UPLOAD = ("t,level\n" + "".join(f"{index},{np.cos(index / 4):.5f}\n" for index in range(60))).encode()


def with_upload(at: AppTest, data: bytes = UPLOAD) -> AppTest:
    """Put a file in the session as the file uploader would (AppTest cannot drive the uploader itself)."""
    config, errors = from_query_params(dict(at.query_params))
    assert not errors
    state = state_module.SessionState(fields=config.to_dict(), url_errors={}, from_link=False)
    state.add_upload(
        state_module.SessionUpload("series.csv", data, datasets.inspect_csv(data)), datasets.content_hash(data)
    )
    at.session_state[state_module.KEY] = state
    return at


def test_bundled_dataset_trains_and_is_shareable(tiny):
    config = tiny.replace(source="dataset", dataset="lake_huron", lookback=4)
    at = app_with_params(config).run()
    assert not at.exception and not at.error
    traces = chart_traces(at, "Lake Huron")
    assert len(decode(traces[TRACE_NAMES["actual"]]["y"])) == 98
    assert url_params(at)["source"] == "dataset" and url_params(at)["dataset"] == "lake_huron"
    assert widget(at, "dataset").value == "lake_huron"


def test_switching_the_source_to_a_dataset(tiny):
    at = app_with_params(tiny).run()
    at.radio(key="source").set_value("dataset").run()
    assert not at.exception and chart_traces(at, "Airline passengers")
    widget(at, "dataset").set_value("us_accidental_deaths").run()
    assert not at.exception
    assert chart_traces(at, "US accidental deaths")
    assert "expression" not in widget_keys(at) and not widget(at, "dataset").disabled


def test_uploaded_series_trains_with_its_columns(tiny):
    digest = datasets.content_hash(UPLOAD)
    config = tiny.replace(source="upload", upload=digest, x_column="t", value_column="level", lookback=4)
    at = with_upload(app_with_params(config)).run()
    assert not at.exception and not at.error
    traces = chart_traces(at, "Uploaded series")
    np.testing.assert_allclose(decode(traces[TRACE_NAMES["actual"]]["y"]), np.round(np.cos(np.arange(60) / 4), 5))
    assert widget(at, "value_column").value == "level" and widget(at, "x_column").value == "t"
    assert url_params(at)["upload"] == digest


def test_a_link_to_an_upload_this_page_lacks_says_so(tiny):
    config = tiny.replace(source="upload", upload="f" * 64, lookback=4)
    at = app_with_params(config).run()
    assert not at.exception and not at.error
    assert "upload the same file" in shown(at.info)
    assert not at.get("progress")


def test_a_link_to_an_upload_with_a_lookback_too_long_for_it_explains_and_does_not_crash(tiny):
    # 60 rows cannot make windows of 70: the link's own settings never built a series, so there is no valid
    # config to fall back to yet, and the page says what to change instead of raising.
    config = tiny.replace(source="upload", upload=datasets.content_hash(UPLOAD), lookback=70)
    at = with_upload(app_with_params(config)).run()
    assert not at.exception
    assert "leaves" in shown(at.error) and "Change the settings" in shown(at.error), shown(at.error)
    widget(at, "lookback").set_value(4)
    at.button(key="train").click().run()
    assert not at.exception and not at.error
    assert TRACE_NAMES["one_step"] in chart_traces(at, "Uploaded series")
    # Now a bad lookback falls back to the run that worked.
    widget(at, "lookback").set_value(70)
    at.button(key="train").click().run()
    assert not at.exception
    assert "Showing the last valid settings instead" in shown(at.error)
    assert TRACE_NAMES["one_step"] in chart_traces(at, "Uploaded series")


def test_cache_warnings_are_shown_to_the_session_that_caused_them(tiny, tmp_path, monkeypatch):
    from forecast.run.keys import result_key

    monkeypatch.setenv("FORECAST_CACHE_DIR", str(tmp_path))  # a cache (shared by sessions) of this test only
    damaged = tiny.replace(seed=91)
    (tmp_path / f"{result_key(damaged)}.npz").write_bytes(b"garbage")
    first = app_with_params(damaged).run()
    assert not first.exception and "damaged" in shown(first.warning)
    second = app_with_params(tiny.replace(seed=92)).run()  # another visitor, another config
    assert not second.exception and "damaged" not in shown(second.warning), shown(second.warning)


def ending(at: AppTest) -> str:
    """How a run ended: with a result, or with the "stopped" message; anything else (silence) fails the test."""
    assert not at.exception, at.exception
    if any(element.value.startswith("Training stopped") for element in at.info):
        return "stopped"
    assert at.get("table") or at.get("metric"), "the run ended with neither a result nor a message"
    return "result"


def test_stress_new_sessions_upload_train_train_switch_tab_train(tiny):
    # AppTest runs each script to its end, so Stop cannot be pressed mid-training here (the browser stress test
    # in tests/e2e/test_stress.py does); every other step of the sequence is repeated, each in a new session,
    # as after a reload. Every run must end in a result or a clear "stopped" message.
    digest = datasets.content_hash(UPLOAD)
    for repetition in range(4):
        config = tiny.replace(source="upload", upload=digest, lookback=4, seed=300 + repetition)
        at = with_upload(app_with_params(config)).run()
        assert ending(at) == "result"
        widget(at, "seed").set_value(400 + repetition)
        at.button(key="train").click().run()
        assert ending(at) == "result"
        at.button(key="train").click().run()  # the same config again: from the cache, at once
        assert ending(at) == "result" and not at.get("progress")
        open_tab(at, "Training").run()
        assert ending(at) == "result"
        widget(at, "seed").set_value(500 + repetition)
        at.button(key="train").click().run()
        assert ending(at) == "result"
        open_tab(at, "Forecast").run()
        assert ending(at) == "result" and TRACE_NAMES["one_step"] in chart_traces(at, "Uploaded series")


def test_choosing_upload_without_a_file_asks_for_one(tiny):
    at = app_with_params(tiny).run()
    at.radio(key="source").set_value("upload").run()
    assert not at.exception
    assert "Upload a CSV file" in shown(at.info)
    # The last valid run stays on the page and in the link until a file arrives.
    assert TRACE_NAMES["one_step"] in chart_traces(at, "f(x) =")
    assert url_params(at)["source"] == "expression"
    assert {"upload", "value_column", "x_column"} <= widget_keys(at)


def test_ensemble_draws_bands_and_reports_the_mean(tiny):
    at = app_with_params(tiny.replace(ensemble=3, seed=40)).run()
    assert not at.exception and not at.error
    traces = chart_traces(at, "f(x) =")
    bands = [name for name in traces if name and "spread" in name]
    assert len(bands) == 2 and all("3 seeds" in name for name in bands)
    # One model: the metrics table's LSTM is the members' mean, and the text says so.
    assert len(at.table) == 1 and "ensemble's mean forecast" in shown(at.markdown)
    at.radio(key="band").set_value("mean ± 2 sd").run()
    assert any("mean ± 2 sd" in name for name in chart_traces(at, "f(x) =") if name)


def test_horizon_chart_has_the_three_models(tiny):
    at = open_tab(app_with_params(tiny), "Steps ahead").run()
    traces = chart_traces(at, "steps ahead")
    assert set(traces) == {"LSTM", "Naive", "Linear AR"}
    n_test = make_dataset(tiny).n_test
    assert len(decode(traces["LSTM"]["y"])) == -(-n_test // 2)


def test_history_compares_and_removes_runs(tiny):
    at = app_with_params(tiny.replace(seed=61)).run()
    widget(at, "seed").set_value(62)
    at.button(key="train").click().run()
    assert not at.exception
    open_tab(at, "Compare runs").run()
    history = at.dataframe[0].value
    assert len(history) >= 2 and "recursive RMSE" in history.columns
    chosen = at.multiselect(key="compare_runs")
    assert len(chosen.value) == 2
    traces = chart_traces(at, "selected runs")
    assert sum(1 for name in traces if name.endswith(": one-step")) == 2
    at.button(key="remove_runs").click().run()
    assert not at.exception
    remaining = at.dataframe[0].value if at.dataframe else []
    assert len(remaining) == len(history) - 2


def test_runs_on_different_series_are_compared_on_charts_of_their_own(tiny):
    at = app_with_params(tiny.replace(seed=63)).run()
    at.radio(key="source").set_value("dataset").run()  # airline: dates, not numbers, on the x axis
    assert not at.exception
    open_tab(at, "Compare runs").run()
    assert len(at.multiselect(key="compare_runs").value) == 2
    charts = [element for element in at.get("plotly_chart")]
    assert len(charts) == 2, "one chart per series"
    assert any(element.value.endswith(":") and "Airline" in element.value for element in at.caption)


def test_code_tab_shows_a_runnable_script(tiny):
    at = open_tab(app_with_params(tiny), "Code").run()
    code = at.code[0].value
    ast.parse(code)
    assert "LOOKBACK = 5" in code and "EPOCHS = 2" in code
    assert any("script" in button.proto.label for button in at.get("download_button"))


def test_a_bundled_datasets_csv_is_parsed_at_most_once_per_rerun(tiny, monkeypatch):
    calls = []
    original = datasets.read_csv

    def counting_read_csv(*args, **kwargs):
        calls.append(args[1:] + tuple(kwargs.values()))
        return original(*args, **kwargs)

    monkeypatch.setattr(datasets, "read_csv", counting_read_csv)
    config = tiny.replace(source="dataset", dataset="us_accidental_deaths", lookback=4, ensemble=3)
    at = app_with_params(config).run()  # three networks, trained in worker processes on the series read here
    assert not at.exception and not at.error
    assert len(at.table) == 1 and "Ensemble of 3 networks" in shown(at.markdown)
    assert len(calls) == 1
    for tab in ("Forecast", "Backtest", "Steps ahead", "Training", "Compare runs", "Code", "About"):
        calls.clear()
        open_tab(at, tab).run()
        assert not at.exception
        assert len(calls) == 1, f"{tab}: the CSV was parsed {len(calls)} times"


def test_the_run_history_table_fits_its_columns_in_the_page(tiny):
    at = app_with_params(tiny.replace(seed=71)).run()
    open_tab(at, "Compare runs").run()
    columns = {name: value for name, value in json.loads(at.dataframe[0].proto.columns).items() if name != "_index"}
    fixed = [column["width"] for column in columns.values() if isinstance(column.get("width"), int)]
    assert list(columns) == list(at.dataframe[0].value.columns)
    # Every column has a fixed width, together within the main area of a 1280 px window (about 800 px).
    assert len(fixed) == len(columns) and sum(fixed) <= 750


def test_first_run_freezes_what_the_imports_created():
    """Streamlit walks every tracked object after each script run (runner.postScriptGC) before the run's last
    messages can leave; the app's first run freezes what the imports made, so later walks skip it, once."""
    services.freeze_startup_objects.clear()
    gc.unfreeze()
    try:
        tracked = len(gc.get_objects())
        at = AppTest.from_file(APP, default_timeout=TIMEOUT)
        at.query_params["source"] = "upload"  # No file yet: the page asks for one and never trains.
        at.run()
        assert not at.exception
        frozen = gc.get_freeze_count()
        assert frozen > 10_000
        assert len(gc.get_objects()) < tracked / 5
        at.run()
        # Once per process: the second run freezes nothing more (frozen objects may still be freed by refcount).
        assert gc.get_freeze_count() <= frozen
    finally:
        gc.unfreeze()
        services.freeze_startup_objects.clear()
