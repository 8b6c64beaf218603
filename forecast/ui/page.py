"""The config the settings describe and its series, built once per run; the one place their problems are shown."""

from __future__ import annotations

import dataclasses

import streamlit as st

from forecast.config import Config
from forecast.config.fields import to_query_params, without_blamed_field
from forecast.data import Dataset, Fold, MissingUpload, datasets, load_series
from forecast.run import pipeline, recipe
from forecast.run.keys import result_key
from forecast.run.pipeline import Plan
from forecast.sweep import QUERY_PARAMETER
from forecast.ui.messages import plain, show_problem
from forecast.ui.state import PAGE_DEFAULTS, Pause, SessionState

__all__ = ["LINK_PAUSE_MESSAGE", "Page", "prepare"]

LINK_PAUSE_MESSAGE = (
    "This link's settings could not all be used (see above), so nothing was trained. The settings shown in the "
    "sidebar replace them: press **Train** to run them."
)


@dataclasses.dataclass(frozen=True)
class Page:
    """What this run shows: a valid config, its key, and its series (None if its uploaded file is missing)."""

    config: Config
    key: str
    series: datasets.Series | None
    plan: Plan | None  # the run's folds, networks and datasets (None without the series)
    missing_upload: str | None

    @property
    def dataset(self) -> Dataset | None:
        """The holdout's dataset: what the page draws before any result is in."""
        return self.plan.datasets[Fold()] if self.plan is not None else None


def _load(config: Config, state: SessionState) -> Page:
    """The config's series, read once; ValueError if it cannot be trained on (NaN, a bad file, the split)."""
    upload = state.upload_bytes(config.upload) if config.upload else None  # set only for the upload source
    key = result_key(config)
    try:
        series = load_series(config, upload)
    except MissingUpload as missing:
        return Page(config, key, None, None, str(missing))
    return Page(config, key, series, pipeline.plan(config, series), None)


def _link_salvaged(values: dict, state: SessionState, error: ValueError) -> Page:
    """A link's settings that cannot be used: only the field the problem names goes back to its default where that
    is enough (a lookback too long for the linked series), else every field does."""
    salvaged = without_blamed_field(values, PAGE_DEFAULTS, error, check=lambda config: _load(config, state))
    if salvaged is None:
        state.url_errors["config"] = f"{error}; using the defaults instead"
        config = PAGE_DEFAULTS
    else:
        config, name = salvaged
        state.url_errors[name] = f"{error}; {name} is back to its default ({getattr(PAGE_DEFAULTS, name)})"
    state.apply(config)
    return _load(config, state)


def prepare(state: SessionState) -> Page | None:
    """The page for the settings the widgets hold, before any widget is drawn in this run.

    An invalid setting is shown as an error and the last valid settings are used instead; settings from a link
    that cannot be used are replaced by the defaults, reported, and train nothing until the visitor asks.
    The upload source without a file keeps showing the last valid settings until a file is uploaded. Returns
    None when there is nothing valid to show yet.
    """
    values = state.widget_values()
    if values["source"] == "upload" and not values["upload"]:
        # Until a usable file arrives, the page keeps showing the last valid run (and the link keeps it).
        st.info("Upload a CSV file in the sidebar to train on your own series.")
        return _load(state.last_good_config, state) if state.last_good_config is not None else None
    try:
        page = _load(Config(**values), state)
    except ValueError as error:
        if state.from_link:
            page = _link_salvaged(values, state, error)
        elif state.last_good_config is None:
            show_problem(error, "Change the settings in the sidebar and press Train.")
            return None
        else:
            # Preparing the fallback again cannot fail for the same reason: its series was built before.
            show_problem(error, "Showing the last valid settings instead.")
            return _load(state.last_good_config, state)
    state.last_good_config = page.config
    if page.series is not None:
        state.series_facts = recipe.series_facts(page.config, page.series)
        if page.series.filled:
            verb = "dropped" if page.config.fill == "drop" else f"filled ({page.config.fill})"
            st.info(f"{page.series.filled} empty value{'s' if page.series.filled > 1 else ''} {verb} in the file.")
    _write_link(page.config)
    _report_link_problems(state, page)
    return page


def _write_link(config: Config) -> None:
    """The address bar holds the config; the Sweep tab's `sweep` parameter stays beside it."""
    params = to_query_params(config) | {
        name: value for name, value in st.query_params.to_dict().items() if name == QUERY_PARAMETER
    }
    # A parameter given twice (`lookback=7&lookback=9`) is read as its last value, and written back once.
    repeated = any(len(st.query_params.get_all(name)) > 1 for name in st.query_params)
    if repeated or st.query_params.to_dict() != params:
        st.query_params.from_dict(params)


def _report_link_problems(state: SessionState, page: Page) -> None:
    for field, message in state.url_errors.items():
        st.warning(f"The link's `{field}` was not used: {plain(message)}")
    if state.from_link and state.url_errors:
        # A link that could not be used as given starts no work: the visitor sees what was replaced and decides.
        state.pause = Pause(page.key, LINK_PAUSE_MESSAGE)
    state.url_errors = {}
