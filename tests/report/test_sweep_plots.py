"""Sweep figures (forecast/report/sweep_plots.py): lines for one field, heatmaps for two, baselines marked."""

import math

import numpy as np
import pytest

from forecast.report import sweep_plots
from forecast.sweep import Sweep


def cell(lstm: tuple[float, float], naive: tuple[float, float] = (2.0, 9.0), linear_ar: float = 1.0) -> dict:
    def kinds(one_step: float, recursive: float) -> dict:
        return {"one_step": {"rmse": one_step}, "recursive": {"rmse": recursive}}

    return {"lstm": kinds(*lstm), "naive": kinds(*naive), "linear_ar": kinds(linear_ar, linear_ar)}


def test_one_field_draws_each_model_in_both_panels_and_stars_the_best():
    definition = Sweep.from_options(["lookback=4,8,12"])
    cells = [cell((0.5, 3.0)), cell((0.4, 2.0)), None]  # the last has not finished
    figure = sweep_plots.sweep_figure(definition, cells, best=1)
    traces = {(trace.name, trace.xaxis): trace for trace in figure.data}
    np.testing.assert_array_equal(traces[("LSTM", "x")].y, [0.5, 0.4, math.nan])
    np.testing.assert_array_equal(traces[("LSTM", "x2")].y, [3.0, 2.0, math.nan])
    np.testing.assert_array_equal(traces[("naive", "x2")].y, [9.0, 9.0, math.nan])
    assert traces[("linear AR", "x")].line.dash == "dot"
    star = traces[("best (recursive)", "x2")]
    assert list(star.x) == [8] and list(star.y) == [2.0]
    assert figure.layout.xaxis.title.text == "lookback" and figure.layout.title.text == "Sweep over lookback"
    assert list(figure.layout.xaxis.tickvals) == [4, 8, 12]  # whole numbers: a tick at each value, none at 4.5


def test_a_geometric_range_gets_a_log_axis():
    figure = sweep_plots.sweep_figure(Sweep.from_options(["learning_rate=0.0001:0.01:*10"]), [cell((1, 1))] * 3)
    assert figure.layout.xaxis.type == "log"


def test_two_fields_draw_heatmaps_rows_by_the_first_field_with_baseline_levels_in_the_titles():
    definition = Sweep.from_options(["lookback=4,8", "units=16,32,64"])
    cells = [cell((index, 10 + index), naive=(2.0, 9.0 + index % 2)) for index in range(6)]
    figure = sweep_plots.sweep_figure(definition, cells, best=4)
    one_step, recursive = (trace for trace in figure.data if trace.type == "heatmap")
    assert list(one_step.x) == ["16", "32", "64"] and list(one_step.y) == ["4", "8"]
    np.testing.assert_array_equal(np.asarray(recursive.z), [[10, 11, 12], [13, 14, 15]])
    titles = [annotation.text for annotation in figure.layout.annotations]
    assert "naive 2 · linear AR 1" in titles[0] and "naive 9–10" in titles[1]
    star = next(trace for trace in figure.data if trace.name == "best (recursive)")
    assert list(star.x) == ["32"] and list(star.y) == ["8"]  # cell 4: second row, second column


def test_the_cell_count_must_match():
    with pytest.raises(ValueError, match="the sweep has 2 cells, got metrics for 1"):
        sweep_plots.sweep_figure(Sweep.from_options(["seed=0,1"]), [cell((1, 1))])


def test_baseline_levels_ignore_unfinished_and_diverged_cells():
    cells = [cell((1, 1), naive=(3.0, 3.0)), None, cell((1, 1), naive=(math.nan, math.nan))]
    assert sweep_plots.baseline_levels(cells, "naive", "recursive") == "3"
    assert sweep_plots.baseline_levels([None], "naive", "recursive") == "n/a"
