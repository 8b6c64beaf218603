"""The Backtest tab: every backtest window's forecasts over the actual series, and which model wins where."""

from __future__ import annotations

import streamlit as st

from forecast.ui.views import Shown

__all__ = ["LABEL", "NEEDS_RESULT", "render"]

LABEL = "Backtest"
NEEDS_RESULT = True


def render(shown: Shown) -> None:
    run = shown.run
    windows = len(run.windows) if run is not None else 1
    st.plotly_chart(shown.views.backtest_figure, key="backtest_chart")
    st.markdown(
        f"**{windows} backtest window{'s' * (windows > 1)}**: each trains every model on everything before its "
        "origin (scaler, transforms and baselines included) and forecasts its test part recursively. The last is "
        "the usual holdout. MASE divides the MAE by the in-sample error of the seasonal naive forecast (the naive "
        "one without a season) on the window's training part: below 1 beats it."
    )
    st.table(shown.views.backtest_table)
    if windows == 1:
        st.caption(
            "Set **backtest windows** in the sidebar to 2 or more to judge every model on more than one holdout."
        )
