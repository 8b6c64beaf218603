"""The Steps-ahead tab: recursive-forecast error by steps ahead, for the LSTM and every baseline."""

from __future__ import annotations

import streamlit as st

from forecast.ui.views import Shown

__all__ = ["LABEL", "NEEDS_RESULT", "render"]

LABEL = "Steps ahead"
NEEDS_RESULT = True


def render(shown: Shown) -> None:
    st.plotly_chart(shown.views.horizon_figure, key="horizon_chart")
    st.caption(
        "From every test window the model rolls forward on its own predictions; each point is the RMSE that many "
        "steps ahead, averaged over all starting points (up to half the test length, at most 60, so each averages "
        "at least half of them). Where a line crosses the dotted level it is no better than predicting the mean."
    )
