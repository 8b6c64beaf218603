"""Watching the LSTM learn: the forecast redrawn while it trains, the epoch scrubber, the window behind a point.

Pure functions from results (or the snapshots a training sends) to Plotly figures, like `forecast.report.plots`.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import plotly.graph_objects as go

from forecast.models.progress import Snapshot
from forecast.report.plots import COLORS, RUN_COLORS, TRACE_NAMES, iso_x
from forecast.run.result import Result

__all__ = ["LiveLine", "Window", "live_figure", "window_behind", "window_traces", "with_scrubber"]

# The loss panel's share of the chart's height, under the forecast, when the chart has a scrubber.
LOSS_PANEL = 0.2
SCRUBBER_HEIGHT = 720
FINAL_FRAME = "final"
HIGHLIGHT_NAMES = {"true": "window: true values", "predicted": "window: its own predictions"}


@dataclasses.dataclass(frozen=True)
class LiveLine:
    """One network's latest snapshot, and where its forecasts go on the x axis."""

    label: str  # e.g. "seed 0"
    snapshot: Snapshot
    test_xs: np.ndarray  # the x of its test part ((0,) for the future)
    future_xs: np.ndarray  # the x of its future ((0,) for a backtest window)


def live_figure(base: go.Figure, lines: list[LiveLine], epochs: int) -> go.Figure:
    """The series chart with each network's forecasts so far: one-step markers and the recursive line over its
    test part, or its future; one colour per network (one network keeps the final chart's colours)."""
    figure = go.Figure(base)
    for index, line in enumerate(lines):
        snapshot, alone = line.snapshot, len(lines) == 1
        one_step_color = COLORS["lstm_one_step"] if alone else RUN_COLORS[index % len(RUN_COLORS)]
        recursive_color = COLORS["lstm_recursive"] if alone else one_step_color
        suffix = "" if alone else f", {line.label}"
        if len(snapshot.one_step):
            marker = {"symbol": "circle", "size": 6, "color": one_step_color, "line": {"width": 1, "color": "#333"}}
            figure.add_trace(
                go.Scatter(
                    x=line.test_xs,
                    y=snapshot.one_step,
                    mode="markers",
                    name=f"{TRACE_NAMES['one_step']}{suffix}",
                    marker=marker,
                )
            )
        for values, xs, name in (
            (snapshot.recursive, line.test_xs, TRACE_NAMES["recursive"]),
            (snapshot.future, line.future_xs, "LSTM future"),
        ):
            if len(values):
                style = {"color": recursive_color, "width": 2.5, "dash": "dash"}
                figure.add_trace(go.Scatter(x=xs, y=values, mode="lines", name=f"{name}{suffix}", line=style))
    newest = max((line.snapshot.epoch for line in lines), default=0)
    title = figure.layout.title.text or ""
    figure.update_layout(title={"text": f"{title} · training: epoch {newest} of {epochs}, the forecast so far"})
    return figure


def with_scrubber(figure: go.Figure, result: Result) -> go.Figure:
    """The forecast chart with an epoch scrubber: a slider (and a play button) that redraws the LSTM's one-step
    and recursive test forecasts as they were at each saved epoch, and a loss panel underneath marking it. The last
    position is the trained result (after early stopping, the best epoch's weights). Without snapshots, unchanged.
    """
    snapshots = result.snapshots
    names = [trace.name for trace in figure.data]
    if not snapshots or result.is_future or TRACE_NAMES["one_step"] not in names:
        return figure
    figure = go.Figure(figure)
    one_step, recursive = names.index(TRACE_NAMES["one_step"]), names.index(TRACE_NAMES["recursive"])
    _loss_panel(figure, result)
    marker = len(figure.data) - 1
    actual = result.test_targets
    final_epoch = result.best_epoch or result.epochs_run
    states = [(str(s.epoch), s.one_step, s.recursive, s.epoch, s.loss) for s in snapshots]
    final_loss = result.loss[final_epoch - 1] if result.epochs_run else np.nan
    states.append(
        (
            FINAL_FRAME,
            result.test_forecast("lstm", "one_step"),
            result.test_forecast("lstm", "recursive"),
            final_epoch,
            final_loss,
        )
    )
    figure.frames = [
        go.Frame(
            name=name,
            data=[
                go.Scatter(y=first, customdata=np.column_stack([actual, first - actual])),
                go.Scatter(y=multi, customdata=np.column_stack([actual, multi - actual])),
                go.Scatter(x=[epoch], y=[loss]),
            ],
            traces=[one_step, recursive, marker],
        )
        for name, first, multi, epoch, loss in states
    ]
    _controls(figure, [name for name, *_ in states], final_epoch)
    return figure


def _loss_panel(figure: go.Figure, result: Result) -> None:
    """The training loss under the forecast on its own axes, with a marker at the epoch shown (last trace)."""
    figure.update_layout(
        yaxis={"domain": [LOSS_PANEL + 0.12, 1.0]},
        xaxis2={"domain": [0.0, 1.0], "anchor": "y2"},
        yaxis2={"domain": [0.0, LOSS_PANEL], "type": "log", "title": {"text": "loss"}},
        height=SCRUBBER_HEIGHT,
        # Under the scrubber, which sits right under the loss panel.
        legend={"y": -0.3, "yanchor": "top"},
    )
    # The train | test line and its label belong to the forecast, not to the whole figure.
    figure.update_shapes(yref="y domain")
    figure.update_annotations(yref="y domain")
    epochs = np.arange(1, result.epochs_run + 1)
    figure.add_trace(
        go.Scatter(
            x=epochs,
            y=result.loss,
            mode="lines",
            name="training loss",
            xaxis="x2",
            yaxis="y2",
            showlegend=False,
            line={"color": COLORS["actual"], "width": 1.5},
        )
    )
    final_epoch = result.best_epoch or result.epochs_run
    figure.add_trace(
        go.Scatter(
            x=[final_epoch],
            y=[result.loss[final_epoch - 1]] if result.epochs_run else [np.nan],
            mode="markers",
            name="epoch shown",
            xaxis="x2",
            yaxis="y2",
            showlegend=False,
            marker={"size": 11, "color": COLORS["lstm_recursive"], "line": {"width": 1, "color": "#333"}},
        )
    )


# A still frame: no transition, no redraw of what did not change.
STILL = {"mode": "immediate", "frame": {"duration": 0, "redraw": False}, "transition": {"duration": 0}}
PLAY_FRAME_MS = 300


def _controls(figure: go.Figure, frame_names: list[str], final_epoch: int) -> None:
    """The slider under the chart (one step per saved epoch, then the trained result) and play / pause."""
    steps = [
        {
            "label": name if name != FINAL_FRAME else "trained",
            "method": "animate",
            "args": [[name], STILL],
        }
        for name in frame_names
    ]
    slider = {
        "active": len(steps) - 1,
        "steps": steps,
        "currentvalue": {"prefix": "epoch ", "visible": True},
        "x": 0.13,
        "len": 0.87,
        "y": 0.0,
        "yanchor": "top",
        "pad": {"t": 40},
    }
    play = {**STILL, "frame": {"duration": PLAY_FRAME_MS, "redraw": False}, "fromcurrent": True}
    buttons = {
        "type": "buttons",
        "direction": "left",
        "showactive": False,
        "x": 0.0,
        "y": 0.0,
        "xanchor": "left",
        "yanchor": "top",
        "pad": {"t": 48},
        "buttons": [
            {"label": "▶", "method": "animate", "args": [None, play]},
            {"label": "❚❚", "method": "animate", "args": [[None], STILL]},
        ],
    }
    figure.update_layout(sliders=[slider], updatemenus=[buttons], margin={"b": 230})


@dataclasses.dataclass(frozen=True)
class Window:
    """The values a test forecast was computed from: positions in the series, and which of them were predicted."""

    kind: str  # "one_step" or "recursive"
    step: int  # 0-based position in the test part
    positions: np.ndarray  # indices into the series' values
    predicted: np.ndarray  # bool per position: the model's own forecast rather than the true value
    caption: str


def window_behind(result: Result, kind: str, step: int) -> Window:
    """The window behind the LSTM's `kind` forecast of test value `step`: for one-step, the `lookback` true values
    before it (more when differencing, which needs the values before them too); for recursive, the same positions,
    those inside the test part being its own earlier forecasts. The direct strategy forecasts every step from the
    window before the test part."""
    config = result.config
    if not 0 <= step < result.n_test:
        raise ValueError(f"step must be a position in the test part, 0–{result.n_test - 1}, got {step}")
    origin, span = result.n_points - result.n_test, result.first_target  # first_target = lookback + differencing
    target = origin + step
    direct = kind == "recursive" and config.strategy == "direct" and result.n_test <= _head(result)
    end = origin if direct else target
    positions = np.arange(max(0, end - span), end)
    predicted = positions >= origin if kind == "recursive" else np.zeros(len(positions), dtype=bool)
    extra = span - config.lookback
    values = f"{len(positions)} values" + (
        f" (lookback {config.lookback}, plus {extra} for differencing)" if extra else ""
    )
    x = _text(result.xs[target])
    if kind == "one_step":
        caption = f"The one-step prediction at x = {x} was computed from the {values} before it, all true values."
    elif direct:
        caption = (
            f"The direct forecast at x = {x} (step {step + 1}) came from the window before the test part: the "
            f"{values} there, all true values, as every step of the direct head does."
        )
    else:
        own = int(predicted.sum())
        caption = (
            f"The recursive forecast at x = {x} (step {step + 1}) was computed from {values}: "
            f"{len(positions) - own} true and {own} of its own earlier predictions."
        )
    return Window(kind, step, positions, predicted, caption)


def _head(result: Result) -> int:
    return result.n_test if result.config.strategy == "direct" else 1


def _text(x: object) -> str:
    return str(iso_x(x)) if isinstance(x, np.datetime64) else f"{float(x):.4g}"


def window_traces(figure: go.Figure, result: Result, window: Window) -> go.Figure:
    """The chart with `window`'s values ringed: true values in the actual curve's colour, the model's own
    predictions (recursive) in the recursive line's, and the forecast they produced."""
    figure = go.Figure(figure)
    recursive = result.test_forecast("lstm", "recursive")
    origin = result.n_points - result.n_test
    values = np.where(
        window.predicted, recursive[np.clip(window.positions - origin, 0, None)], result.ys[window.positions]
    )
    for own, name, color in ((False, "true", COLORS["actual"]), (True, "predicted", COLORS["lstm_recursive"])):
        chosen = window.predicted == own
        if chosen.any():
            figure.add_trace(
                go.Scatter(
                    x=result.xs[window.positions[chosen]],
                    y=values[chosen],
                    mode="markers",
                    name=HIGHLIGHT_NAMES[name],
                    marker={"size": 14, "color": "rgba(0,0,0,0)", "line": {"width": 3, "color": color}},
                )
            )
    forecast = result.test_forecast("lstm", window.kind)[window.step]
    figure.add_trace(
        go.Scatter(
            x=[result.test_xs[window.step]],
            y=[forecast],
            mode="markers",
            name="the forecast it made",
            marker={
                "size": 15,
                "symbol": "star",
                "color": COLORS["lstm_recursive"],
                "line": {"width": 1, "color": "#333"},
            },
        )
    )
    return figure
