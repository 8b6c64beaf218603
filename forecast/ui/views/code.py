"""The Code tab: a standalone numpy + Keras script that reproduces the run, with a download button."""

from __future__ import annotations

import streamlit as st

from forecast.ui.services import exported_script
from forecast.ui.views import Shown

__all__ = ["LABEL", "NEEDS_RESULT", "render"]

LABEL = "Code"
NEEDS_RESULT = True


def render(shown: Shown) -> None:
    page = shown.page
    if page.dataset is None:
        st.info("Upload the file this run used to export its code.")
        return
    script = exported_script(page.key, page.config, page.dataset.raw_ys)
    st.markdown(
        "A standalone script (numpy and Keras only) that rebuilds this run's data, model and training and prints "
        "its test metrics: the numbers match the app's up to floating-point rounding (the app trains with fused "
        "kernels), to about four digits after a few epochs; over hundreds of epochs the rounding adds up to "
        "differences of a percent or so, a few percent where the training has not settled (its loss still jumps "
        "between epochs)."
    )
    if page.config.ensemble > 1:
        st.caption(
            f"The script trains the ensemble's first network (seed {page.config.seed}): its numbers are the LSTM "
            "rows of the metrics table. The ensemble's mean averages the forecasts of the same script run with "
            f"SEED = {page.config.seed} … {page.config.seed + page.config.ensemble - 1}."
        )
    st.download_button(
        "Download the script",
        script,
        file_name=f"lstm-forecast-{page.key[:10]}.py",
        mime="text/x-python",
        key="download_script",
        on_click="ignore",
        help="Run it with python; it needs numpy and tensorflow.",
    )
    st.code(script, language="python", line_numbers=True)
