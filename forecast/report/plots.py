"""Plotly figures built by pure functions from plain data (no Streamlit, no TensorFlow)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import plotly.graph_objects as go

from forecast.config import Config
from forecast.data import calendar, sources
from forecast.run.ensemble import BAND_KINDS, Ensemble
from forecast.run.result import Result

if TYPE_CHECKING:
    from forecast.report.history import ComparedRun

__all__ = [
    "COLORS",
    "RUN_COLORS",
    "TRACE_NAMES",
    "axis_titles",
    "band_traces",
    "chart_title",
    "comparison_figure",
    "forecast_figure",
    "horizon_figure",
    "layout",
    "loss_figure",
    "midpoint",
    "series_figure",
]

# The Okabe–Ito palette: distinguishable with every common colour-vision deficiency. Actual values are blue,
# the LSTM's predictions orange and vermillion, and the two are also told apart by marker and line style.
COLORS = {
    "actual": "#0072B2",
    "lstm_one_step": "#E69F00",
    "lstm_recursive": "#D55E00",
    "lstm_train_fit": "#E69F00",
    "naive": "#999999",
    "linear_ar": "#009E73",
    "seasonal_naive": "#CC79A7",
    "arima": "#56B4E9",
    "ets": "#000000",
    "boundary": "#555555",
    "band": "rgba(230, 159, 0, 0.25)",
    "recursive_band": "rgba(213, 94, 0, 0.15)",
}
# Runs compared on one chart: the rest of the palette, then repeats (markers and dashes still differ).
RUN_COLORS = ("#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")
TRACE_NAMES = {
    "actual": "Actual",
    "train_fit": "LSTM one-step fit (train)",
    "one_step": "LSTM one-step (test)",
    "recursive": "LSTM recursive (test)",
    "one_step_band": "ensemble one-step spread",
    "recursive_band": "ensemble recursive spread",
}
MODEL_LABELS = {
    "lstm": "LSTM",
    "linear_ar": "Linear AR",
    "naive": "Naive",
    "seasonal_naive": "Seasonal naive",
    "arima": "AutoARIMA",
    "ets": "AutoETS",
}


# The models every result has; the others (seasonal naive, ARIMA, ETS) follow them in the chart when present.
MODEL_LABELS_CORE = ("lstm", "linear_ar", "naive")


def axis_titles(config: Config) -> tuple[str, str]:
    """Names of the x axis and the value axis for the config's series."""
    return sources.get(config.source).axis_titles(config)


def chart_title(config: Config) -> str:
    """The title of the config's series chart."""
    return sources.get(config.source).chart_title(config)


def midpoint(first: np.ndarray | float, second: np.ndarray | float):
    """Half-way between two x values, numbers or dates."""
    return first + (second - first) / 2


def layout(figure: go.Figure, title: str, x_title: str, y_title: str) -> go.Figure:
    """The house style: title at the left, legend below the plot, white template."""
    figure.update_layout(
        title={"text": title, "x": 0.0, "xanchor": "left"},
        xaxis_title=x_title,
        yaxis_title=y_title,
        hovermode="closest",
        # Below the plot, so that it never covers the title or the curve, at any width.
        legend={"orientation": "h", "yanchor": "top", "y": -0.15, "xanchor": "left", "x": 0.0},
        margin={"l": 50, "r": 20, "t": 50, "b": 40},
        template="plotly_white",
    )
    return figure


def iso_x(x: object) -> object:
    """An x for Plotly: a numpy date as ISO text, which Plotly reads on a date axis (a datetime64 scalar would be
    taken for a number); anything else as it is."""
    return calendar.iso_text(np.array([x]))[0] if isinstance(x, np.datetime64) else x


def _boundary(figure: go.Figure, x: object) -> None:
    # A shape and an annotation rather than add_vline, which cannot place its label on a date axis.
    x = iso_x(x)
    line = {"color": COLORS["boundary"], "dash": "dot", "width": 1}
    figure.add_shape(type="line", x0=x, x1=x, y0=0, y1=1, yref="paper", line=line)
    figure.add_annotation(
        x=x, y=0, yref="paper", text="train | test", showarrow=False, xanchor="left", yanchor="bottom"
    )


def series_figure(
    xs: np.ndarray,
    ys: np.ndarray,
    boundary_x: object = None,
    title: str = "f(x)",
    axis: tuple[str, str] = ("x", "f(x)"),
) -> go.Figure:
    """The actual curve alone, with the train/test boundary if given: what the page shows before training."""
    figure = go.Figure()
    figure.add_trace(
        go.Scatter(
            x=np.asarray(xs),
            y=np.asarray(ys),
            mode="lines",
            name=TRACE_NAMES["actual"],
            line={"color": COLORS["actual"], "width": 1.5},
            hovertemplate="x=%{x}<br>actual=%{y:.4g}<extra></extra>",
        )
    )
    if boundary_x is not None:
        _boundary(figure, boundary_x)
    return layout(figure, title, *axis)


def _prediction_trace(
    xs: np.ndarray, actual: np.ndarray, predicted: np.ndarray, name: str, **style: object
) -> go.Scatter:
    error = predicted - actual
    return go.Scatter(
        x=xs,
        y=predicted,
        name=name,
        customdata=np.column_stack([actual, error]),
        hovertemplate=(
            "x=%{x}<br>actual=%{customdata[0]:.4g}<br>predicted=%{y:.4g}<br>error=%{customdata[1]:.3g}"
            f"<extra>{name}</extra>"
        ),
        **style,
    )


def boundary_x(result: Result) -> object:
    """Half-way between the last training target and the first test target."""
    test_start = result.test_xs[0]
    last_train = result.train_target_xs[-1] if result.n_train else test_start
    return midpoint(last_train, test_start)


def band_traces(
    figure: go.Figure, xs: np.ndarray, lower: np.ndarray, upper: np.ndarray, name: str, color: str, **style: object
) -> None:
    """A filled band between two edges, one legend entry for both (`style`: e.g. visible="legendonly")."""
    # Upper edge first, then the lower edge filled up to it: one legend entry toggles both.
    edge = {"mode": "lines", "line": {"width": 0}, "hoverinfo": "skip", "legendgroup": name, **style}
    figure.add_trace(go.Scatter(x=xs, y=upper, showlegend=False, **edge))
    figure.add_trace(go.Scatter(x=xs, y=lower, fill="tonexty", fillcolor=color, name=name, **edge))


def _lstm_traces(figure: go.Figure, result: Result) -> None:
    """The LSTM's faint training fit, its one-step test predictions (markers) and its recursive forecast."""
    test_xs, test_actual = result.test_xs, result.test_targets
    figure.add_trace(
        _prediction_trace(
            result.train_target_xs,
            result.train_targets,
            result.fitted("lstm"),
            TRACE_NAMES["train_fit"],
            mode="lines",
            opacity=0.7,
            line={"color": COLORS["lstm_train_fit"], "width": 1.5, "dash": "dot"},
        )
    )
    marker = {"symbol": "circle", "size": 7, "color": COLORS["lstm_one_step"], "line": {"width": 1, "color": "#333"}}
    figure.add_trace(
        _prediction_trace(
            test_xs,
            test_actual,
            result.test_forecast("lstm", "one_step"),
            TRACE_NAMES["one_step"],
            mode="markers",
            marker=marker,
        )
    )
    figure.add_trace(
        _prediction_trace(
            test_xs,
            test_actual,
            result.test_forecast("lstm", "recursive"),
            TRACE_NAMES["recursive"],
            mode="lines",
            line={"color": COLORS["lstm_recursive"], "width": 2.5, "dash": "dash"},
        )
    )


def _baseline_traces(figure: go.Figure, result: Result) -> None:
    """The baselines' test forecasts, hidden until their legend entry is clicked."""
    for model in ("linear_ar", "naive", *[name for name in result.models if name not in MODEL_LABELS_CORE]):
        label = MODEL_LABELS[model]
        for kind, dash in (("one_step", "dot"), ("recursive", "dashdot")):
            figure.add_trace(
                _prediction_trace(
                    result.test_xs,
                    result.test_targets,
                    result.test_forecast(model, kind),
                    f"{label} {kind.replace('_', '-')} (test)",
                    mode="lines",
                    visible="legendonly",
                    line={"color": COLORS[model], "width": 1.5, "dash": dash},
                )
            )


def forecast_figure(result: Result, ensemble: Ensemble | None = None, band: str = BAND_KINDS[0]) -> go.Figure:
    """The actual curve with the LSTM's one-step and recursive predictions over it, baselines one click away.

    Traces, in order: actual; LSTM one-step fit on the training windows (faint); LSTM one-step test predictions
    (markers, as in the original post); LSTM recursive forecast (line); then the naive and linear-AR baselines,
    hidden until their legend entry is clicked; then, for an ensemble, the bands of its members' forecasts.
    """
    config = result.config
    figure = series_figure(result.xs, result.ys, boundary_x(result), chart_title(config), axis_titles(config))
    _lstm_traces(figure, result)
    _baseline_traces(figure, result)
    if ensemble is not None and ensemble.size > 1:
        for kind, color in (("one_step", COLORS["band"]), ("recursive", COLORS["recursive_band"])):
            lower, upper = ensemble.band(kind, band)
            name = f"{TRACE_NAMES[kind + '_band']} ({band}, {ensemble.size} seeds)"
            band_traces(figure, result.test_xs, lower, upper, name, color)
    return figure


def horizon_figure(result: Result) -> go.Figure:
    """Recursive-forecast RMSE against steps ahead, for the LSTM and every baseline."""
    figure = go.Figure()
    styles = {"lstm": ("solid", 2.5), "linear_ar": ("dot", 2), "naive": ("dash", 2)}
    for model, errors in result.step_errors.items():
        dash, width = styles.get(model, ("dashdot", 1.5))
        color = COLORS["lstm_recursive"] if model == "lstm" else COLORS[model]
        steps = np.arange(1, len(errors) + 1)
        figure.add_trace(
            go.Scatter(
                x=steps,
                y=errors,
                mode="lines+markers",
                name=MODEL_LABELS[model],
                line={"color": color, "dash": dash, "width": width},
                marker={"size": 4},
                hovertemplate=f"{MODEL_LABELS[model]}: %{{x}} steps ahead, RMSE %{{y:.4g}}<extra></extra>",
            )
        )
    spread = float(np.std(result.test_targets))
    figure.add_hline(
        y=spread,
        line={"color": COLORS["boundary"], "dash": "dot", "width": 1},
        annotation_text="std of the test values: no better than predicting the mean",
        annotation_position="top left",
    )
    return layout(figure, "Recursive forecast error by steps ahead", "steps ahead", "RMSE")


def comparison_figure(runs: list[ComparedRun], axis: tuple[str, str] = ("x", "value")) -> go.Figure:
    """Several runs' LSTM test forecasts on one chart: one-step as markers, recursive as lines, one colour each."""
    figure = go.Figure()
    # One actual curve per series: from the run whose test part reaches back furthest (a longer lookback or a
    # larger train ratio leaves a shorter one).
    longest: dict[str, ComparedRun] = {}
    for run in runs:
        if run.series_key not in longest or len(run.actual) > len(longest[run.series_key].actual):
            longest[run.series_key] = run
    for number, run in enumerate(longest.values()):
        name = TRACE_NAMES["actual"] if number == 0 else f"Actual ({run.label})"
        figure.add_trace(
            go.Scatter(
                x=run.test_xs, y=run.actual, mode="lines", name=name, line={"color": COLORS["actual"], "width": 2}
            )
        )
    for index, run in enumerate(runs):
        color = RUN_COLORS[index % len(RUN_COLORS)]
        figure.add_trace(
            go.Scatter(
                x=run.test_xs,
                y=run.one_step,
                mode="markers",
                name=f"{run.label}: one-step",
                legendgroup=run.label,
                marker={"color": color, "size": 6, "symbol": ("circle", "square", "diamond", "triangle-up")[index % 4]},
            )
        )
        figure.add_trace(
            go.Scatter(
                x=run.test_xs,
                y=run.recursive,
                mode="lines",
                name=f"{run.label}: recursive",
                legendgroup=run.label,
                line={"color": color, "width": 2, "dash": ("dash", "dot", "dashdot", "longdash")[index % 4]},
            )
        )
    return layout(figure, "Test forecasts of the selected runs", *axis)


def loss_figure(
    loss: np.ndarray,
    val_loss: np.ndarray,
    *,
    scaled: bool = True,
    learning_rate: np.ndarray | None = None,
    validation: bool = False,
) -> go.Figure:
    """Training and test loss per epoch on a log axis, and Adam's learning rate per epoch on a second axis.

    `validation`: the second curve is early stopping's validation slice (the last training windows) rather than
    the test windows.
    """
    units = "scaled units" if scaled else "original units"
    loss = np.asarray(loss, dtype=np.float64)
    val_loss = np.asarray(val_loss, dtype=np.float64)
    epochs = np.arange(1, len(loss) + 1)
    figure = go.Figure()
    figure.add_trace(go.Scatter(x=epochs, y=loss, mode="lines", name="training loss", line={"color": COLORS["actual"]}))
    if len(val_loss):
        figure.add_trace(
            go.Scatter(
                x=epochs[: len(val_loss)],
                y=val_loss,
                mode="lines",
                name=(
                    "validation loss (early stopping watches it)"
                    if validation
                    else "test loss (watched, not trained on)"
                ),
                line={"color": COLORS["lstm_recursive"], "dash": "dash"},
            )
        )
    figure.update_yaxes(type="log")
    layout(figure, "Loss per epoch", "epoch", f"MSE ({units})")
    if learning_rate is not None and len(learning_rate):
        _learning_rate_axis(figure, epochs, np.asarray(learning_rate, dtype=np.float64))
    return figure


def _learning_rate_axis(figure: go.Figure, epochs: np.ndarray, learning_rate: np.ndarray) -> None:
    """Adam's learning rate per epoch on a second, linear axis from zero: a cosine decay reads as the curve it
    is, a constant rate as a flat line. (After the layout, whose right margin it widens.)"""
    figure.add_trace(
        go.Scatter(
            x=epochs[: len(learning_rate)],
            y=learning_rate,
            mode="lines",
            name="learning rate (right axis)",
            yaxis="y2",
            line={"color": COLORS["linear_ar"], "dash": "dot", "width": 1.5},
        )
    )
    figure.update_layout(
        yaxis2={
            "title": "learning rate",
            "overlaying": "y",
            "side": "right",
            "rangemode": "tozero",
            "showgrid": False,
            # Its own round ticks: an overlaying axis otherwise puts its ticks on the log axis's grid lines.
            "tickmode": "auto",
            "tickformat": ".3~g",
        },
        margin={"r": 70},
    )
