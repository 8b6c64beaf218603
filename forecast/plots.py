"""Plotly figures built by pure functions from plain data (no Streamlit, no TensorFlow)."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from forecast.pipeline import Result

__all__ = ["COLORS", "forecast_figure", "loss_figure", "series_figure"]

# The Okabe–Ito palette: distinguishable with every common colour-vision deficiency. Actual values are blue,
# the LSTM's predictions orange and vermillion, and the two are also told apart by marker and line style.
COLORS = {
    "actual": "#0072B2",
    "lstm_one_step": "#E69F00",
    "lstm_recursive": "#D55E00",
    "lstm_train_fit": "#E69F00",
    "naive": "#999999",
    "linear_ar": "#009E73",
    "boundary": "#555555",
}
TRACE_NAMES = {
    "actual": "Actual f(x)",
    "train_fit": "LSTM one-step fit (train)",
    "one_step": "LSTM one-step (test)",
    "recursive": "LSTM recursive (test)",
}


def _layout(figure: go.Figure, title: str, x_title: str, y_title: str) -> go.Figure:
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


def series_figure(xs: np.ndarray, ys: np.ndarray, boundary_x: float | None = None, title: str = "f(x)") -> go.Figure:
    """The actual curve alone, with the train/test boundary if given: what the page shows before training."""
    figure = go.Figure()
    figure.add_trace(
        go.Scatter(
            x=np.asarray(xs),
            y=np.asarray(ys),
            mode="lines",
            name=TRACE_NAMES["actual"],
            line={"color": COLORS["actual"], "width": 1.5},
            marker={"symbol": "star", "size": 4, "color": COLORS["actual"]},
            hovertemplate="x=%{x:.4g}<br>actual=%{y:.4g}<extra></extra>",
        )
    )
    if boundary_x is not None:
        figure.add_vline(
            x=boundary_x,
            line={"color": COLORS["boundary"], "dash": "dot", "width": 1},
            annotation_text="train | test",
            annotation_position="bottom right",
        )
    return _layout(figure, title, "x", "f(x)")


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
            "x=%{x:.4g}<br>actual=%{customdata[0]:.4g}<br>predicted=%{y:.4g}<br>error=%{customdata[1]:.3g}"
            f"<extra>{name}</extra>"
        ),
        **style,
    )


def boundary_x(result: Result) -> float:
    """Half-way between the last training target and the first test target."""
    test_start = result.test_xs[0]
    last_train = result.train_target_xs[-1] if result.n_train else test_start
    return float((test_start + last_train) / 2)


def forecast_figure(result: Result) -> go.Figure:
    """The actual curve with the LSTM's one-step and recursive predictions over it, baselines one click away.

    Traces, in order: actual; LSTM one-step fit on the training windows (faint); LSTM one-step test predictions
    (markers, as in the original post); LSTM recursive forecast (line); then the naive and linear-AR baselines,
    hidden until their legend entry is clicked.
    """
    config = result.config
    figure = series_figure(result.xs, result.ys, boundary_x(result), title=f"f(x) = {config.expression}")
    lstm = result.predictions["lstm"]
    test_xs = result.test_xs
    test_actual = result.test_targets
    train_xs = result.train_target_xs
    train_actual = result.ys[config.lookback : config.lookback + result.n_train]
    figure.add_trace(
        _prediction_trace(
            train_xs,
            train_actual,
            lstm["one_step"][: result.n_train],
            TRACE_NAMES["train_fit"],
            mode="lines",
            opacity=0.7,
            line={"color": COLORS["lstm_train_fit"], "width": 1.5, "dash": "dot"},
        )
    )
    figure.add_trace(
        _prediction_trace(
            test_xs,
            test_actual,
            lstm["one_step"][-result.n_test :],
            TRACE_NAMES["one_step"],
            mode="markers",
            marker={
                "symbol": "circle",
                "size": 7,
                "color": COLORS["lstm_one_step"],
                "line": {"width": 1, "color": "#333"},
            },
        )
    )
    figure.add_trace(
        _prediction_trace(
            test_xs,
            test_actual,
            lstm["recursive"],
            TRACE_NAMES["recursive"],
            mode="lines",
            line={"color": COLORS["lstm_recursive"], "width": 2.5, "dash": "dash"},
        )
    )
    for model, label in (("linear_ar", "Linear AR"), ("naive", "Naive")):
        for kind, dash in (("one_step", "dot"), ("recursive", "dashdot")):
            figure.add_trace(
                _prediction_trace(
                    test_xs,
                    test_actual,
                    result.predictions[model][kind][-result.n_test :],
                    f"{label} {kind.replace('_', '-')} (test)",
                    mode="lines",
                    visible="legendonly",
                    line={"color": COLORS[model], "width": 1.5, "dash": dash},
                )
            )
    return figure


def loss_figure(loss: np.ndarray, val_loss: np.ndarray, *, scaled: bool = True) -> go.Figure:
    """Training and test loss per epoch on a log axis."""
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
                name="test loss (watched, not trained on)",
                line={"color": COLORS["lstm_recursive"], "dash": "dash"},
            )
        )
    figure.update_yaxes(type="log")
    return _layout(figure, "Loss per epoch", "epoch", f"MSE ({units})")
