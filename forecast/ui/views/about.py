"""The About tab: what the forecasts and baselines mean, and how to share a run (needs no result)."""

from __future__ import annotations

import streamlit as st

from forecast.ui.views import Shown

__all__ = ["LABEL", "NEEDS_RESULT", "render"]

LABEL = "About"
NEEDS_RESULT = False


def render(shown: Shown | None = None) -> None:
    st.markdown(
        """
**One-step** predictions use the true previous values for every test point: that is what the original blog
post plotted, and it flatters any model. **Recursive** forecasts start from the first test window and feed
each prediction back in: the honest forecast of the future. The **Steps ahead** tab shows how their error grows
with every step ahead.

**Baselines.** *Naive* repeats the last value. *Linear AR* is a least-squares linear autoregression on the same
windows; on `x*sin(x)` it is exact, because that function sampled on a uniform grid obeys a linear recurrence.

**Your own data.** Choose a bundled dataset or upload a CSV in the sidebar. A link to an uploaded file works
where that file is uploaded again (or its result is still cached on this server).

**Sharing.** The address bar always holds the current settings: copy it to share exactly this run.
"""
    )
