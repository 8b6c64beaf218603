"""The live forecast, the epoch scrubber and the window behind a point, as figures."""

import numpy as np
import pytest

from forecast.config import Config
from forecast.report import learning_plots, plots
from forecast.report.learning_plots import LiveLine
from forecast.run import pipeline
from tests.conftest import TINY


@pytest.fixture(scope="module")
def result():
    return pipeline.compute(Config(**TINY).replace(epochs=4, snapshot_every=2))


def test_the_scrubber_has_a_frame_per_snapshot_then_the_trained_result(result):
    figure = learning_plots.with_scrubber(plots.forecast_figure(result), result)
    assert [frame.name for frame in figure.frames] == ["2", "4", "final"]
    names = [trace.name for trace in figure.data]
    recursive = names.index(plots.TRACE_NAMES["recursive"])
    first = figure.frames[0]
    assert recursive in first.traces
    np.testing.assert_allclose(first.data[list(first.traces).index(recursive)].y, result.snapshots[0].recursive)
    assert figure.layout.sliders[0].active == 2  # the trained result is shown first
    # The loss panel marks the epoch of each frame.
    assert [frame.data[2].x[0] for frame in figure.frames] == [2, 4, 4]


def test_without_snapshots_the_chart_is_unchanged(result):
    plain = pipeline.compute(Config(**TINY))
    figure = plots.forecast_figure(plain)
    assert learning_plots.with_scrubber(figure, plain) is figure


def test_the_window_behind_a_one_step_prediction_is_the_lookback_true_values(result):
    window = learning_plots.window_behind(result, "one_step", 3)
    origin = result.n_points - result.n_test
    assert window.positions.tolist() == list(range(origin + 3 - 5, origin + 3))
    assert not window.predicted.any() and "5 values" in window.caption and "all true" in window.caption


def test_the_window_behind_a_recursive_forecast_mixes_true_and_predicted(result):
    window = learning_plots.window_behind(result, "recursive", 3)
    assert window.predicted.tolist() == [False, False, True, True, True]
    assert "2 true and 3 of its own" in window.caption
    figure = learning_plots.window_traces(plots.forecast_figure(result), result, window)
    drawn = {trace.name: trace for trace in figure.data}
    np.testing.assert_allclose(drawn["window: its own predictions"].y, result.test_forecast("lstm", "recursive")[:3])
    with pytest.raises(ValueError, match="position in the test part"):
        learning_plots.window_behind(result, "recursive", result.n_test)


def test_the_live_figure_draws_each_networks_newest_forecast(result):
    base = plots.series_figure(result.xs, result.ys)
    lines = [LiveLine(f"seed {seed}", result.snapshots[0], result.test_xs, np.empty(0)) for seed in (0, 1)]
    figure = learning_plots.live_figure(base, lines, epochs=4)
    names = [trace.name for trace in figure.data]
    assert f"{plots.TRACE_NAMES['recursive']}, seed 1" in names and len(base.data) == 1
    assert "epoch 2 of 4" in figure.layout.title.text
