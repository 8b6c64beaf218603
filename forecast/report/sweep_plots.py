"""Sweep figures, built by pure functions from a sweep and its cells' metrics (no Streamlit, no TensorFlow).

One varied field: a line chart of the LSTM's test RMSE per value; two: a heatmap per forecast kind. Either way
one-step and recursive sit side by side, with the naive and linear-AR baselines' levels marked.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from forecast.config.fields import field_spec
from forecast.report.plots import COLORS
from forecast.run.result import FORECAST_KINDS
from forecast.sweep import Sweep

__all__ = ["KIND_TITLES", "baseline_levels", "cell_errors", "sweep_figure"]

KIND_TITLES = {"one_step": "one-step test RMSE", "recursive": "recursive test RMSE"}
# Metrics of one cell as in `Result.metrics` (model → kind → metric → value), or None if it has not finished.
CellMetrics = Mapping[str, Mapping[str, Mapping[str, float | None]]] | None


def _value(metrics: CellMetrics, model: str, kind: str, metric: str) -> float:
    try:
        value = metrics[model][kind][metric]  # type: ignore[index]
    except (KeyError, TypeError):
        return math.nan
    return float(value) if value is not None and math.isfinite(value) else math.nan


def cell_errors(cells: Sequence[CellMetrics], model: str, kind: str, metric: str = "rmse") -> np.ndarray:
    """One model's error per cell, in grid order: (cells,), NaN where a cell has not finished (or diverged)."""
    return np.array([_value(metrics, model, kind, metric) for metrics in cells], dtype=np.float64)


def baseline_levels(cells: Sequence[CellMetrics], model: str, kind: str, metric: str = "rmse") -> str:
    """A baseline's error over the finished cells as text: one number, or a range when the cells differ."""
    values = cell_errors(cells, model, kind, metric)
    values = values[np.isfinite(values)]
    if not len(values):
        return "n/a"
    low, high = float(values.min()), float(values.max())
    return f"{low:.3g}" if math.isclose(low, high, rel_tol=1e-3, abs_tol=1e-12) else f"{low:.3g}–{high:.3g}"


def _axis_type(values: Sequence[Any]) -> str:
    # Values spread over two decades or more (a geometric range of learning rates) read best on a log axis.
    numbers = [float(value) for value in values]
    return "log" if min(numbers) > 0 and max(numbers) / min(numbers) >= 100 else "linear"


def _label(field: str) -> str:
    return field_spec(field).label


def _line_figure(sweep: Sweep, cells: Sequence[CellMetrics], best: int | None) -> go.Figure:
    variation = sweep.variations[0]
    xs = list(variation.values)
    figure = make_subplots(rows=1, cols=2, subplot_titles=[KIND_TITLES[kind] for kind in FORECAST_KINDS])
    styles = {
        "lstm": {"color": COLORS["lstm_recursive"], "dash": "solid"},
        "naive": {"color": COLORS["naive"], "dash": "dash"},
        "linear_ar": {"color": COLORS["linear_ar"], "dash": "dot"},
    }
    names = {"lstm": "LSTM", "naive": "naive", "linear_ar": "linear AR"}
    for column, kind in enumerate(FORECAST_KINDS, start=1):
        for model, style in styles.items():
            figure.add_trace(
                go.Scatter(
                    x=xs,
                    y=cell_errors(cells, model, kind),
                    mode="lines+markers" if model == "lstm" else "lines",
                    name=names[model],
                    legendgroup=model,
                    showlegend=column == 1,
                    line={"color": style["color"], "dash": style["dash"]},
                    hovertemplate=f"{variation.field} %{{x}}<br>{names[model]} RMSE %{{y:.4g}}<extra></extra>",
                ),
                row=1,
                col=column,
            )
        figure.update_xaxes(title_text=_label(variation.field), type=_axis_type(xs), row=1, col=column)
        if all(isinstance(value, int) for value in xs):
            # Whole-number fields (units, lookback, seed) get a tick at each value, never at 4.5.
            figure.update_xaxes(tickmode="array", tickvals=xs, row=1, col=column)
        # One y title, on the left panel: the right one's sat on the left panel's lines on a phone.
        figure.update_yaxes(title_text="test RMSE" if column == 1 else None, rangemode="tozero", row=1, col=column)
    if best is not None:
        _star(figure, xs[best], cell_errors(cells, "lstm", "recursive")[best], {"symbol": "star", "size": 14})
    return figure


def _star(figure: go.Figure, x: object, y: object, marker: dict) -> None:
    """The best cell, starred on the recursive panel."""
    marker = {"color": COLORS["actual"], **marker}
    trace = go.Scatter(x=[x], y=[y], mode="markers", name="best (recursive)", marker=marker, hoverinfo="skip")
    figure.add_trace(trace, row=1, col=2)


def _heatmap(
    sweep: Sweep, cells: Sequence[CellMetrics], kind: str, labels: tuple[list[str], list[str]], colorbar_x: float
) -> go.Heatmap:
    """The LSTM's RMSE of one kind over the grid (rows: the first field), the naive RMSE in the hover."""
    rows, columns = sweep.variations
    errors = cell_errors(cells, "lstm", kind).reshape(sweep.shape)  # (rows, columns)
    text = [[f"{value:.3g}" if math.isfinite(value) else "" for value in row] for row in errors]
    return go.Heatmap(
        x=labels[0],
        y=labels[1],
        z=errors,
        text=text,
        texttemplate="%{text}",
        customdata=cell_errors(cells, "naive", kind).reshape(sweep.shape),
        colorscale="Viridis_r",
        colorbar={"x": colorbar_x, "len": 0.9, "thickness": 12},
        hovertemplate=(
            f"{columns.field} %{{x}}, {rows.field} %{{y}}<br>LSTM RMSE %{{z:.4g}}"
            "<br>naive RMSE %{customdata:.4g}<extra></extra>"
        ),
        name=KIND_TITLES[kind],
    )


def _heatmap_figure(sweep: Sweep, cells: Sequence[CellMetrics], best: int | None) -> go.Figure:
    rows, columns = sweep.variations
    shape = (len(rows.values), len(columns.values))
    titles = [
        f"{KIND_TITLES[kind]}<br><sup>naive {baseline_levels(cells, 'naive', kind)} · "
        f"linear AR {baseline_levels(cells, 'linear_ar', kind)}</sup>"
        for kind in FORECAST_KINDS
    ]
    figure = make_subplots(rows=1, cols=2, subplot_titles=titles, horizontal_spacing=0.14)
    # Categories, so that every value gets a cell of the same size whatever the spacing of the values.
    xs = [str(value) for value in columns.values]
    ys = [str(value) for value in rows.values]
    for column, kind in enumerate(FORECAST_KINDS, start=1):
        figure.add_trace(
            _heatmap(sweep, cells, kind, (xs, ys), colorbar_x=0.43 if column == 1 else 1.0), row=1, col=column
        )
        figure.update_xaxes(title_text=_label(columns.field), type="category", row=1, col=column)
        figure.update_yaxes(title_text=_label(rows.field), type="category", row=1, col=column)
    if best is not None:
        row, column = divmod(best, shape[1])
        # A frame around the cell rather than a star on it: a star hid the cell's own number.
        frame = {"symbol": "square-open", "size": 34, "color": "#FFFFFF", "line": {"width": 3}}
        _star(figure, xs[column], ys[row], frame)
    return figure


def sweep_figure(sweep: Sweep, cells: Sequence[CellMetrics], *, best: int | None = None) -> go.Figure:
    """The LSTM's test RMSE over the sweep, one-step and recursive side by side, baselines marked.

    `cells` are the cells' metrics in grid order (None for a cell that has not finished); `best` is the index of
    the best cell, starred. One field: lines over its values, with the naive and linear-AR baselines as dashed
    and dotted lines (they change with lookback and train ratio). Two fields: heatmaps (rows: the first field),
    each titled with the baselines' levels.
    """
    if len(cells) != sweep.size:
        raise ValueError(f"the sweep has {sweep.size} cells, got metrics for {len(cells)}")
    figure = _line_figure(sweep, cells, best) if len(sweep.fields) == 1 else _heatmap_figure(sweep, cells, best)
    figure.update_layout(
        title={"text": f"Sweep over {' × '.join(sweep.fields)}", "x": 0.0, "xanchor": "left"},
        template="plotly_white",
        hovermode="closest",
        legend={"orientation": "h", "yanchor": "top", "y": -0.2, "xanchor": "left", "x": 0.0},
        margin={"l": 50, "r": 20, "t": 80, "b": 40},
    )
    return figure
