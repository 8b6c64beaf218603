"""The Code tab: a standalone numpy + Keras script that reproduces the run, with a download button."""

from __future__ import annotations

import streamlit as st

from forecast.export import not_exported
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
        "its test metrics: the numbers match the app's up to floating-point rounding."
    )
    left_out = not_exported(page.config)
    if left_out:
        st.warning(
            f"This run uses {', '.join(left_out)}, which the script does not reproduce yet: it trains the same "
            "network on the untransformed series with the train-ratio split, so its numbers differ from the app's."
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
