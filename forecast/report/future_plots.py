"""Figures of a whole run: the forecast chart with the holdout's interval and the future, and the backtest view.

Pure functions from a RunResult to Plotly figures, like those of `forecast.report.plots`.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from forecast.report.plots import COLORS, MODEL_LABELS, axis_titles, band_traces, forecast_figure, iso_x, layout
from forecast.run.ensemble import BAND_KINDS, Ensemble
from forecast.run.outcome import RunResult

__all__ = ["FUTURE_TRACE_NAMES", "backtest_figure", "run_figure"]

FUTURE_TRACE_NAMES = {
    "future": "LSTM future",
    "truth": "Actual (past the data)",
    "holdout_band": "LSTM recursive interval (test)",
    "future_band": "LSTM future interval",
}
INTERVAL_COLOR = "rgba(213, 94, 0, 0.18)"
FUTURE_REGION = "rgba(0, 114, 178, 0.06)"


def _future(figure: go.Figure, run: RunResult) -> None:
    """The future region, shaded: the LSTM's future and its interval, the baselines' futures one legend click away,
    and the true values where the source knows them."""
    future = run.future
    xs = future.future_xs
    figure.add_vrect(x0=iso_x(xs[0]), x1=iso_x(xs[-1]), fillcolor=FUTURE_REGION, line_width=0, layer="below")
    figure.add_annotation(x=iso_x(xs[0]), y=1, yref="paper", text="future", showarrow=False, xanchor="left")
    band = run.band("lstm", -1)
    if band is not None:
        name = f"{FUTURE_TRACE_NAMES['future_band']} ({run.config.interval}%)"
        band_traces(figure, xs, band.lower, band.upper, name, INTERVAL_COLOR)
    if future.truth is not None and np.isfinite(future.truth).any():
        line = {"color": COLORS["actual"], "width": 1.5, "dash": "dot"}
        figure.add_trace(go.Scatter(x=xs, y=future.truth, mode="lines", name=FUTURE_TRACE_NAMES["truth"], line=line))
    line = {"color": COLORS["lstm_recursive"], "width": 2.5}
    figure.add_trace(
        go.Scatter(x=xs, y=future.future("lstm"), mode="lines", name=FUTURE_TRACE_NAMES["future"], line=line)
    )
    for model in future.models[1:]:
        style = {"color": COLORS[model], "width": 1.5, "dash": "dash"}
        name = f"{MODEL_LABELS[model]} future"
        trace = go.Scatter(x=xs, y=future.future(model), mode="lines", name=name, line=style, visible="legendonly")
        figure.add_trace(trace)


def run_figure(run: RunResult, ensemble: Ensemble | None = None, band: str = BAND_KINDS[0]) -> go.Figure:
    """The forecast chart of the holdout (see `forecast_figure`), with the LSTM's interval around its recursive
    forecast when there is one, and the future when the run has a horizon."""
    result = run.result
    figure = forecast_figure(result, ensemble, band)
    interval = run.band("lstm")
    if interval is not None:
        name = f"{FUTURE_TRACE_NAMES['holdout_band']} ({run.config.interval}%)"
        band_traces(figure, result.test_xs, interval.lower, interval.upper, name, INTERVAL_COLOR)
    if run.future is not None:
        _future(figure, run)
    _mark_divergences(figure, run)
    return figure


def _mark_divergences(figure: go.Figure, run: RunResult) -> None:
    """A diverged forecast is named as such in the legend, and the value axis stays on the data's range (the
    curve still shows where the forecast leaves it) instead of shrinking the data to a flat line."""
    diverged = {(found.model, found.where) for found in run.divergences() if found.member is None}
    if not diverged:
        return
    names = {("lstm", "the holdout"): "LSTM recursive (test)", ("lstm", "the future"): FUTURE_TRACE_NAMES["future"]}
    for trace in figure.data:
        for (model, where), name in names.items():
            if (model, where) in diverged and trace.name == name:
                trace.name = f"{name}: DIVERGED"
    ys = run.result.ys
    low, high = float(np.min(ys)), float(np.max(ys))
    margin = 0.5 * ((high - low) or 1.0)
    figure.update_yaxes(range=[low - margin, high + margin])


def backtest_figure(run: RunResult, model: str = "lstm") -> go.Figure:
    """Every backtest window's recursive forecast of `model` over the actual series, each window in its own colour,
    the best model of each window in the hover."""
    result = run.result
    config = result.config
    figure = go.Figure()
    line = {"color": COLORS["actual"], "width": 1.5}
    figure.add_trace(go.Scatter(x=result.xs, y=result.ys, mode="lines", name="Actual", line=line))
    best = run.best_by_window()
    palette = ("#D55E00", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#F0E442", "#000000", "#999999")
    for index, window in enumerate(run.windows):
        mase = window.metrics[model]["recursive"]["mase"]
        name = f"window {index + 1}: {MODEL_LABELS[model]} (MASE {mase:.3g}; best {MODEL_LABELS.get(best[index], '—')})"
        style = {"color": palette[index % len(palette)], "width": 2, "dash": "dash"}
        forecast = window.test_forecast(model, "recursive")
        figure.add_trace(go.Scatter(x=window.test_xs, y=forecast, mode="lines", name=name, line=style))
        start = window.test_xs[0]
        figure.add_vline(x=iso_x(start), line={"color": "#BBBBBB", "width": 1, "dash": "dot"})
    title = f"Backtest: {len(run.windows)} window{'s' * (len(run.windows) > 1)}, recursive forecasts"
    return layout(figure, title, *axis_titles(config))
