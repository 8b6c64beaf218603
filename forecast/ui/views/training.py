"""The Training tab: loss curves, fit time, epochs run, and whether the result came from the cache."""

from __future__ import annotations

import streamlit as st

from forecast.ui.views import Shown

__all__ = ["LABEL", "NEEDS_RESULT", "render"]

LABEL = "Training"
NEEDS_RESULT = True


def render(shown: Shown) -> None:
    result, views = shown.result, shown.views
    # A run this session has just trained comes back from the cache when a tab switch reruns the page.
    cached = result.cached and shown.state.trained_key != shown.page.key
    origin = "came from the cache (no training needed)" if cached else "was trained just now"
    columns = st.columns(4)
    columns[0].metric("Fit time", f"{result.fit_seconds:.2f} s")
    columns[1].metric("Epochs run", f"{result.epochs_run}")
    columns[2].metric("Final loss", f"{result.loss[-1]:.3g}" if result.epochs_run else "–")
    columns[3].metric("Result", "cached" if cached else "fresh")
    units = "scaled" if result.config.scaling != "none" else "original"
    st.caption(
        f"This result {origin}. Losses are MSE in the model's {units} units; "
        "the test loss is watched, never used to steer training."
    )
    st.plotly_chart(views.loss_figure, key="loss_chart")
