"""The Compare runs tab: the session's runs in a table that fits the page, and their test forecasts overlaid."""

from __future__ import annotations

import streamlit as st

from forecast.data import sources
from forecast.report import plots
from forecast.ui.state import SessionState
from forecast.ui.views import Shown

__all__ = ["COLUMN_WIDTHS", "LABEL", "NEEDS_RESULT", "render"]

LABEL = "Compare runs"
NEEDS_RESULT = True
# Fixed widths that add up to less than the main area of a 1280 px wide window with the sidebar open (about
# 800 px), so the table fits instead of scrolling sideways.
COLUMN_WIDTHS = {
    "run": ("run", 45),
    "settings": ("settings", 190),  # the full text is in the "Runs to compare" list below
    "one-step RMSE": ("1-step RMSE", 90),
    "recursive RMSE": ("recursive RMSE", 105),
    "linear AR one-step RMSE": ("linear AR 1-step", 110),
    "best recursive": ("best recursive MAE", 90),
    "fit s": ("fit s", 55),
    "cached": ("cached", 60),
}


def _column_config() -> dict:
    config = {}
    for name, (label, width) in COLUMN_WIDTHS.items():
        if name in ("run", "settings", "best recursive"):
            config[name] = st.column_config.TextColumn(label, width=width)
        elif name == "cached":
            config[name] = st.column_config.CheckboxColumn(label, width=width)
        else:
            config[name] = st.column_config.NumberColumn(label, format="%.4g", width=width)
    return config


def _on_remove(state: SessionState) -> None:
    state.history.remove(st.session_state.get("compare_runs", []))
    st.session_state.compare_runs = []
    state.compare_chosen = False


def _on_choose(state: SessionState) -> None:
    state.compare_chosen = True


def render(shown: Shown) -> None:
    state = shown.state
    history = state.history
    if not history.records:
        st.info("Runs appear here as you train them.")
        return
    st.dataframe(history.table(), hide_index=True, key="history_table", width="stretch", column_config=_column_config())
    labels = [record.label for record in history.records]
    # Until the visitor picks runs, the selection follows the two newest.
    chosen = st.session_state.get("compare_runs")
    if not state.compare_chosen or chosen is None or not set(chosen) <= set(labels):
        st.session_state.compare_runs = labels[-2:]
    chosen = st.multiselect(
        "Runs to compare",
        labels,
        key="compare_runs",
        on_change=_on_choose,
        args=(state,),
        help="Their LSTM test forecasts are drawn on one chart below: one-step as markers, recursive as lines.",
    )
    st.button(
        "Remove the selected runs",
        key="remove_runs",
        on_click=_on_remove,
        args=(state,),
        disabled=not chosen,
        help=f"Forget them in this session (the history keeps the last {history.limit} runs).",
    )
    if chosen:
        # One chart per series: runs on different series (a function of x and a dated dataset, say) share no axis.
        by_series: dict[str, list] = {}
        for record in history.by_label(chosen):
            by_series.setdefault(record.compared().series_key, []).append(record)
        for index, records in enumerate(by_series.values()):
            if len(by_series) > 1:
                st.caption(f"{sources.get(records[0].config.source).label(records[0].config)}:")
            figure = plots.comparison_figure(
                [record.compared() for record in records], plots.axis_titles(records[0].config)
            )
            st.plotly_chart(figure, key="comparison_chart" if index == 0 else f"comparison_chart_{index}")
