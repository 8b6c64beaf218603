"""The Forecast tab: the actual curve with the forecasts over it, the metrics, their reading and downloads."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from forecast.report import learning_plots, plots
from forecast.run.ensemble import BAND_KINDS, Ensemble
from forecast.run.keys import result_key
from forecast.run.result import Result
from forecast.training import Job
from forecast.ui import live
from forecast.ui.page import Page
from forecast.ui.services import ResultViews
from forecast.ui.state import SessionState
from forecast.ui.status import LiveDrawer
from forecast.ui.views import Shown

__all__ = ["LABEL", "NEEDS_RESULT", "render", "render_series"]

LABEL = "Forecast"
NEEDS_RESULT = True


def render_series(page: Page) -> LiveDrawer | None:
    """The actual curve alone, before any training: the page never waits on TensorFlow to show something.

    Returns what redraws it, in place, with the forecasts the networks send while they train (`snapshot_every`)."""
    dataset = page.dataset
    if dataset is None:
        return None
    config = page.config
    boundary = plots.midpoint(dataset.xs[dataset.first_target + dataset.n_train - 1], dataset.test_xs[0])
    figure = plots.series_figure(dataset.xs, dataset.ys, boundary, plots.chart_title(config), plots.axis_titles(config))
    # The keyed container names the chart in the page (browser tests find it); the slot inside is redrawn in place.
    slot = st.container(key="series_chart").empty()
    slot.plotly_chart(figure)
    drawn: list[tuple] = []

    def draw(jobs: list[Job]) -> None:
        lines = live.lines(jobs)
        signature = tuple((line.label, line.snapshot.epoch) for line in lines)
        if lines and (not drawn or drawn[-1] != signature):  # only when a network has sent a newer snapshot
            drawn.append(signature)
            slot.plotly_chart(learning_plots.live_figure(figure, lines, config.epochs))

    return draw if config.snapshot_every > 0 else None


def _band(state: SessionState) -> None:
    # The choice lives in the session state, so that it survives visits to other tabs (which unmount the widget).
    st.session_state.band = state.band_kind

    def remember() -> None:
        state.band_kind = st.session_state.band

    st.radio(
        "Band",
        BAND_KINDS,
        key="band",
        horizontal=True,
        on_change=remember,
        help="How the spread of the ensemble's forecasts is drawn.",
    )


def _metrics(views: ResultViews, ensemble: Ensemble | None, windows: int) -> None:
    st.markdown(
        "**Test metrics** in the series' own units: RMSE and MAE (lower is better), R² (1 is perfect, 0 is no "
        "better than the mean), MASE (below 1 beats the in-sample naive forecast). One-step forecasts see the true "
        "previous values; recursive ones only their own."
        + (" The LSTM's are those of the ensemble's mean forecast." if ensemble is not None else "")
    )
    # An HTML table rather than the canvas data grid: screen readers and text selection reach every number.
    st.table(views.metrics_table)
    if windows > 1:
        st.markdown(f"**Over {windows} backtest windows**: the mean, with the lowest and highest in brackets.")
        st.table(views.backtest_table)
    st.info(views.reading)
    for note in views.notes:
        st.caption(note + ".")
    if ensemble is not None:
        low, high = ensemble.member_rmse["recursive"]
        st.markdown(
            f"**Ensemble of {ensemble.size} networks** (seeds {', '.join(map(str, ensemble.seeds))}): the LSTM above "
            f"is their mean forecast. The members' own recursive RMSE ranges from {low:.4g} to {high:.4g}."
        )


def _downloads(result: Result, views: ResultViews) -> None:
    stem = f"lstm-forecast-{result_key(result.config)[:10]}"
    left, middle, right = st.columns(3)
    left.download_button(
        "Predictions (CSV)",
        views.predictions_csv,
        file_name=f"{stem}-predictions.csv",
        mime="text/csv",
        key="download_csv",
        on_click="ignore",
        help="x, actual and every model's one-step and recursive predictions, train and test rows.",
    )
    middle.download_button(
        "Trained model (.keras)",
        result.model_bytes,
        file_name=f"{stem}.keras",
        mime="application/octet-stream",
        key="download_model",
        on_click="ignore",
        help="Load with keras.models.load_model(path). Inputs are scaled windows of shape (n, lookback, 1).",
    )
    right.download_button(
        "Config (JSON)",
        views.config_json,
        file_name=f"{stem}-config.json",
        mime="application/json",
        key="download_config",
        on_click="ignore",
        help="Every setting of this run.",
    )


def _recipe(shown: Shown) -> None:
    """What the real-series recipe chose for this series, and why, while its settings are the ones shown."""
    chosen = shown.state.recipe
    if chosen is None or chosen.config != shown.page.config:
        return
    st.markdown(f"**The real-series recipe** chose, for this {chosen.frequency} series:")
    rows = [
        {"lever": name.replace("_", " "), "value": str(lever.value), "why": lever.why}
        for name, lever in chosen.levers.items()
    ]
    st.table(pd.DataFrame(rows).style.hide(axis="index"))


def _future(views: ResultViews, stem: str) -> None:
    if views.future_table is None:
        return
    st.markdown(f"**The future**: {len(views.future_table)} steps past the data, every model refitted on all of it.")
    st.download_button(
        "Future (CSV)",
        views.future_table.to_csv(index=False),
        file_name=f"{stem}-future.csv",
        mime="text/csv",
        key="download_future",
        on_click="ignore",
        help="x (or date), each model's forecast and, with an interval level, its lower and upper edge.",
    )


# A click on one of these traces asks for the window behind that test forecast.
CLICKABLE = {plots.TRACE_NAMES["one_step"]: "one_step", plots.TRACE_NAMES["recursive"]: "recursive"}


def _chart(shown: Shown) -> None:
    """The forecast chart: with snapshots, its epoch scrubber; a click on an LSTM test forecast rings the window of
    values it was computed from."""
    result = shown.result
    figure = shown.views.forecast_figure
    window = _clicked_window(figure, result)
    if window is not None:
        figure = learning_plots.window_traces(figure, result, window)
    st.plotly_chart(figure, key="forecast_chart", on_select="rerun", selection_mode="points")
    if window is not None:
        st.caption(window.caption)
    else:
        st.caption("Click a one-step dot or a point of the recursive line to see the window of values behind it.")


def _clicked_window(figure, result: Result) -> learning_plots.Window | None:
    """The window behind the point last clicked in the chart, if it was an LSTM test forecast."""
    chart = st.session_state.get("forecast_chart")
    points = chart.selection.points if chart is not None else []
    names = [trace.name for trace in figure.data]
    for point in points:
        curve, index = point.get("curve_number"), point.get("point_index")
        if curve is not None and curve < len(names) and names[curve] in CLICKABLE and index is not None:
            kind = CLICKABLE[names[curve]]
            if 0 <= index < result.n_test:
                return learning_plots.window_behind(result, kind, int(index))
    return None


def render(shown: Shown) -> None:
    for warning in shown.views.warnings:
        st.warning(warning + ".")
    _chart(shown)
    if shown.ensemble is not None:
        _band(shown.state)
    windows = len(shown.run.windows) if shown.run is not None else 1
    _metrics(shown.views, shown.ensemble, windows)
    _recipe(shown)
    _future(shown.views, f"lstm-forecast-{shown.page.key[:10]}")
    _downloads(shown.result, shown.views)
