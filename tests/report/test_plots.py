import numpy as np
import plotly.graph_objects as go

from forecast.config import DEFAULT_CONFIG
from forecast.report import plots
from tests.conftest import make_fake_result as fake_result


def traces_by_name(figure: go.Figure) -> dict[str, go.Scatter]:
    return {trace.name: trace for trace in figure.data}


def test_forecast_figure_places_test_predictions_like_the_original():
    result = fake_result(DEFAULT_CONFIG)
    figure = plots.forecast_figure(result)
    traces = traces_by_name(figure)
    actual = traces[plots.TRACE_NAMES["actual"]]
    assert len(actual.x) == 400
    one_step = traces[plots.TRACE_NAMES["one_step"]]
    assert one_step.mode == "markers"
    assert len(one_step.x) == result.n_test == 79
    np.testing.assert_array_equal(one_step.x, result.xs[-79:])
    np.testing.assert_array_equal(one_step.y, result.test_forecast("lstm", "one_step"))
    recursive = traces[plots.TRACE_NAMES["recursive"]]
    assert recursive.mode == "lines" and len(recursive.y) == 79
    train_fit = traces[plots.TRACE_NAMES["train_fit"]]
    assert len(train_fit.x) == result.n_train and train_fit.opacity < 1
    np.testing.assert_array_equal(train_fit.x, result.xs[5 : 5 + 316])


def test_hover_shows_actual_and_error():
    result = fake_result(DEFAULT_CONFIG)
    one_step = traces_by_name(plots.forecast_figure(result))[plots.TRACE_NAMES["one_step"]]
    assert "actual" in one_step.hovertemplate and "error" in one_step.hovertemplate
    actual, error = np.asarray(one_step.customdata).T
    np.testing.assert_array_equal(actual, result.ys[-79:])
    np.testing.assert_allclose(error, result.test_forecast("lstm", "one_step") - result.ys[-79:])


def test_baselines_are_one_click_away_and_boundary_is_drawn():
    figure = plots.forecast_figure(fake_result(DEFAULT_CONFIG))
    hidden = [trace.name for trace in figure.data if trace.visible == "legendonly"]
    assert len(hidden) == 4 and any("Linear AR" in name for name in hidden)
    lines = [shape for shape in figure.layout.shapes if shape.type == "line"]
    assert len(lines) == 1
    result = fake_result(DEFAULT_CONFIG)
    assert result.xs[5 + 315] < lines[0].x0 < result.xs[-79]


def test_axes_have_titles_and_the_drawn_series_are_told_apart():
    figure = plots.forecast_figure(fake_result(DEFAULT_CONFIG))
    assert figure.layout.xaxis.title.text == "x" and figure.layout.yaxis.title.text == "f(x)"
    traces = traces_by_name(figure)
    actual = traces[plots.TRACE_NAMES["actual"]]
    one_step = traces[plots.TRACE_NAMES["one_step"]]
    recursive = traces[plots.TRACE_NAMES["recursive"]]
    # Actual and predictions differ in colour, and the two LSTM forecasts also in marker versus dashed line.
    assert actual.line.color != one_step.marker.color and actual.line.color != recursive.line.color
    assert one_step.mode == "markers" and recursive.mode == "lines" and recursive.line.dash == "dash"
    baselines = [trace for trace in figure.data if trace.visible == "legendonly"]
    assert {trace.line.color for trace in baselines}.isdisjoint({actual.line.color, recursive.line.color})


def test_a_datasets_chart_is_titled_and_labelled_from_its_source():
    from forecast.config import Config

    config = Config(source="dataset", dataset="lake_huron", lookback=4)
    assert plots.chart_title(config) == "Lake Huron level (1875–1972)"
    assert plots.axis_titles(config) == ("year", "level_ft")


def test_series_figure_without_boundary():
    figure = plots.series_figure(np.arange(5.0), np.arange(5.0) ** 2)
    assert len(figure.data) == 1 and not figure.layout.shapes


def test_loss_figure():
    figure = plots.loss_figure(np.array([1.0, 0.5, 0.25]), np.array([2.0, 1.0, 0.9]))
    assert [len(trace.y) for trace in figure.data] == [3, 3]
    assert figure.layout.yaxis.type == "log"
    assert list(figure.data[0].x) == [1, 2, 3]


def test_loss_figure_draws_the_learning_rate_on_a_second_axis():
    rates = np.array([0.03, 0.015, 0.001])
    figure = plots.loss_figure(np.array([1.0, 0.5, 0.25]), np.array([2.0, 1.0, 0.9]), learning_rate=rates)
    assert len(figure.data) == 3
    rate_trace = figure.data[2]
    assert rate_trace.yaxis == "y2" and list(rate_trace.y) == list(rates)
    assert figure.layout.yaxis2.overlaying == "y" and figure.layout.yaxis2.side == "right"


def test_comparison_draws_one_actual_curve_per_series():
    from forecast.report.history import History

    history = History()
    for changes in ({}, {"lookback": 8}, {"noise": 0.3}):
        config = DEFAULT_CONFIG.replace(**changes)
        history.add(config, fake_result(config))
    runs = [record.compared() for record in history.records]
    figure = plots.comparison_figure(runs, ("x", "f(x)"))
    actual = [trace for trace in figure.data if trace.name.startswith("Actual")]
    assert len(actual) == 2  # the noisy run is another series
    assert len(actual[0].x) == max(len(runs[0].actual), len(runs[1].actual))
    assert sum(trace.name.endswith(": recursive") for trace in figure.data) == 3
    assert figure.layout.yaxis.title.text == "f(x)"


def test_horizon_figure_and_date_boundaries():
    result = fake_result(DEFAULT_CONFIG)
    figure = plots.horizon_figure(result)
    assert {trace.name for trace in figure.data} == {"LSTM", "Naive", "Linear AR"}
    assert figure.layout.xaxis.title.text == "steps ahead"
    dates = np.array(["2020-01-01", "2020-02-01"], dtype="datetime64[ns]")
    series = plots.series_figure(dates, np.array([1.0, 2.0]), plots.midpoint(dates[0], dates[1]))
    assert series.layout.shapes[0].x0.startswith("2020-01-16")
