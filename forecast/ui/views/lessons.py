"""The What to try tab: prepared configs that teach with the app's own levers, each a link, each with what its
run showed once it has run (on this server: the claims come from the result cache, never from a text)."""

from __future__ import annotations

from urllib.parse import urlencode

import streamlit as st

from forecast.config import Config
from forecast.config.fields import to_query_params
from forecast.report import lessons
from forecast.run import pipeline
from forecast.run.outcome import RunResult
from forecast.ui import services
from forecast.ui.state import PAGE_DEFAULTS
from forecast.ui.views import Shown

__all__ = ["LABEL", "NEEDS_RESULT", "render"]

LABEL = "What to try"
NEEDS_RESULT = True


def link(config: Config) -> str:
    """A relative link that opens the page with `config`."""
    return "?" + urlencode(to_query_params(config))


def _run_of(config: Config, shown: Shown) -> RunResult | None:
    if shown.run is not None and config == shown.page.config:
        return shown.run
    try:
        return pipeline.cached_run(config, services.result_cache())
    except ValueError:
        return None


def render(shown: Shown) -> None:
    st.markdown(
        "Each question opens a prepared run. What it showed appears under it once it has run on this server; "
        "nothing here is written ahead of the numbers."
    )
    for lesson in lessons.LESSONS:
        prepared = lessons.configs(lesson, PAGE_DEFAULTS)
        links = " · ".join(f"[{label}]({link(config)})" for label, config in zip(lesson.labels, prepared, strict=True))
        st.markdown(f"**{lesson.title}** {lesson.look_at} Open: {links}")
        said = lessons.claim(lesson, [_run_of(config, shown) for config in prepared])
        st.caption(f"What it showed: {said}" if said else "Not run here yet: open it to train it.")
