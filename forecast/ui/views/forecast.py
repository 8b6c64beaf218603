"""The Forecast tab: the actual curve with the forecasts over it, the metrics, their reading and downloads."""

from __future__ import annotations

import streamlit as st

from forecast.report import plots
from forecast.run.ensemble import BAND_KINDS, Ensemble
from forecast.run.keys import result_key
from forecast.run.result import Result
from forecast.ui.page import Page
from forecast.ui.services import ResultViews
from forecast.ui.state import SessionState
from forecast.ui.views import Shown

__all__ = ["LABEL", "NEEDS_RESULT", "render", "render_series"]

LABEL = "Forecast"
NEEDS_RESULT = True


def render_series(page: Page) -> None:
    """The actual curve alone, before any training: the page never waits on TensorFlow to show something."""
    dataset = page.dataset
    if dataset is None:
        return
    config = page.config
    boundary = plots.midpoint(dataset.xs[dataset.first_target + dataset.n_train - 1], dataset.test_xs[0])
    figure = plots.series_figure(dataset.xs, dataset.ys, boundary, plots.chart_title(config), plots.axis_titles(config))
    st.plotly_chart(figure, key="series_chart")


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


def _metrics(views: ResultViews, ensemble: Ensemble | None) -> None:
    st.markdown(
        "**Test metrics** in the series' own units: RMSE and MAE (lower is better), R² (1 is perfect, 0 is no "
        "better than the mean). One-step forecasts see the true previous values; recursive ones only their own."
    )
    # An HTML table rather than the canvas data grid: screen readers and text selection reach every number.
    st.table(views.metrics_table)
    st.info(views.reading)
    if ensemble is not None and views.ensemble_table is not None:
        low, high = ensemble.member_rmse["recursive"]
        st.markdown(
            f"**Ensemble of {ensemble.size} networks** (seeds {', '.join(map(str, ensemble.seeds))}): metrics of "
            f"their mean forecast. The members' recursive RMSE ranges from {low:.4g} to {high:.4g}."
        )
        st.table(views.ensemble_table)


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


def render(shown: Shown) -> None:
    st.plotly_chart(shown.views.forecast_figure, key="forecast_chart")
    if shown.ensemble is not None:
        _band(shown.state)
    _metrics(shown.views, shown.ensemble)
    _downloads(shown.result, shown.views)
