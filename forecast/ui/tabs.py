"""The tabs under the training status: one view module each, drawn from the run's results once they are in."""

from __future__ import annotations

import streamlit as st

from forecast.run.cache import ResultCache
from forecast.run.ensemble import summarize
from forecast.run.outcome import RunResult
from forecast.training import TrainingService
from forecast.ui import services, status
from forecast.ui.page import Page
from forecast.ui.state import SessionState
from forecast.ui.views import Shown, about, backtest, code, compare, horizon, lessons, sweep, training
from forecast.ui.views import forecast as forecast_view

__all__ = ["VIEWS", "render"]

# The tabs, in order. Tabs rather than pages: the URL keeps holding the config whichever is open.
VIEWS = (forecast_view, backtest, horizon, training, compare, sweep, lessons, code, about)


def render(page: Page, state: SessionState, service: TrainingService, cache: ResultCache) -> None:
    """The training status above the tabs, then the open tab: at once if it needs no result, else once it is in."""
    # Training progress sits above the tabs, so that it shows whichever tab is open.
    status_area = st.container()
    # Only the open tab's content is built and sent (switching tabs reruns the script), which keeps
    # re-rendering a cached config cheap however many tabs there are.
    tabs = st.tabs([view.LABEL for view in VIEWS], key="view", on_change="rerun")
    areas = {view: tab.empty() for view, tab in zip(VIEWS, tabs, strict=True) if tab.open}
    for view, area in areas.items():
        if not view.NEEDS_RESULT:
            with area.container():
                view.render(None)

    def draw_series() -> status.LiveDrawer | None:
        if forecast_view not in areas:
            return None
        with areas[forecast_view].container():
            return forecast_view.render_series(page)

    run = status.resolve(page, service, cache, status_area, before_training=draw_series)
    if run is None:
        return
    shown = _shown(page, state, run)
    for view, area in areas.items():
        if view.NEEDS_RESULT:
            with area.container():
                view.render(shown)


def _shown(page: Page, state: SessionState, run: RunResult) -> Shown:
    """What the tabs draw from a run, recorded once in the session's history. The LSTM of the holdout `result` is
    the ensemble's mean; `ensemble` holds its members' spread."""
    ensemble = summarize(list(run.members)) if len(run.members) > 1 else None
    views = services.result_views(page.key, state.band_kind, run, ensemble)
    if state.recorded_key != page.key:
        # Once per newly shown run: reruns of the same page (or removing it from the list) do not add it again.
        state.history.add(page.config, run.result)
        state.recorded_key = page.key
    return Shown(page, state, run.result, views, ensemble, run)
