"""The session's state: one dataclass under one `st.session_state` key, initialised once per session.

Widget values live under their own keys (the Config field names), as Streamlit requires; the last known value
of every field is also kept here, because Streamlit forgets a widget's key on a run that does not draw it (the
sidebar draws only the chosen data source's inputs).
"""

from __future__ import annotations

import dataclasses
from typing import Any

import streamlit as st

from forecast.config import DEFAULT_CONFIG, FIELD_NAMES, Config
from forecast.config.expressions import PRESETS
from forecast.config.fields import from_query_params
from forecast.data import datasets
from forecast.report.history import History
from forecast.run.ensemble import BAND_KINDS
from forecast.run.recipe import Recipe, SeriesFacts
from forecast.training import Subscription

__all__ = [
    "CUSTOM_PRESET",
    "KEY",
    "PAGE_DEFAULTS",
    "Pause",
    "SessionState",
    "SessionUpload",
    "get",
    "get_existing",
    "preset_for",
]

KEY = "playground"
CUSTOM_PRESET = "Custom expression"
# The page's settings before anyone changes them: the library's defaults, watching the network learn (a snapshot
# of its forecasts every LIVE_SNAPSHOT_EVERY epochs; measured to cost the default training a few per cent:
# bench/live.py). The command line takes none unless asked; its numbers are the same either way.
LIVE_SNAPSHOT_EVERY = 20
PAGE_DEFAULTS = DEFAULT_CONFIG.replace(snapshot_every=LIVE_SNAPSHOT_EVERY)
# Uploaded files a session keeps, newest first; older ones must be uploaded again to be used.
MAX_SESSION_UPLOADS = 3


@dataclasses.dataclass(frozen=True)
class SessionUpload:
    """A file uploaded in this session: its bytes and what its columns hold."""

    name: str
    data: bytes
    columns: datasets.CsvColumns


@dataclasses.dataclass(frozen=True)
class Pause:
    """Why the run under `key` is not trained until the visitor presses Train."""

    key: str | None
    message: str


@dataclasses.dataclass
class SessionState:
    """Everything the app remembers for one browser session, besides the widgets' own values."""

    fields: dict[str, Any]  # the last known value of every Config field
    url_errors: dict[str, str]
    from_link: bool  # the first run: the settings came from the URL and are checked before anything trains
    # The fallback for settings that cannot be used: only ever a config whose series was built in this session.
    last_good_config: Config | None = None
    uploads: dict[str, SessionUpload] = dataclasses.field(default_factory=dict)
    history: History = dataclasses.field(default_factory=History)
    pause: Pause | None = None
    subscriptions: list[Subscription] = dataclasses.field(default_factory=list)
    wanted_key: str | None = None
    recorded_key: str | None = None
    upload_error: str | None = None
    # The last file refused for its empty cells: read again when the fill mode changes, because the uploader
    # does not fire again for the file it already holds.
    refused_upload: SessionUpload | None = None
    band_kind: str = BAND_KINDS[0]
    compare_chosen: bool = False
    recipe_error: str | None = None  # why the real-series recipe could not be applied
    series_facts: SeriesFacts | None = None  # the shown series' frequency, suggested season and missing dates
    recipe: Recipe | None = None  # the real-series recipe last applied, with its reasons
    trained_key: str | None = None  # the page whose networks this session trained last (shown as trained, not cached)

    def upload_bytes(self, digest: str) -> bytes | None:
        upload = self.uploads.get(digest)
        return upload.data if upload is not None else None

    def add_upload(self, upload: SessionUpload, digest: str) -> None:
        self.uploads.pop(digest, None)
        self.uploads[digest] = upload
        for old in list(self.uploads)[:-MAX_SESSION_UPLOADS]:
            del self.uploads[old]

    def apply(self, config: Config) -> None:
        """Show `config` in the widgets (call before they are drawn in this run, or from a callback)."""
        for name, value in config.to_dict().items():
            st.session_state[name] = value
        self.fields.update(config.to_dict())
        st.session_state.preset = preset_for(config.expression)

    def widget_values(self) -> dict[str, Any]:
        """Every Config field as the widgets hold it, falling back to the last known value."""
        return {name: st.session_state.get(name, self.fields[name]) for name in FIELD_NAMES}

    def remember_widgets(self) -> None:
        self.fields.update(self.widget_values())

    def restore_widgets(self) -> None:
        """Give back the keys Streamlit dropped for widgets the last run did not draw."""
        for name in FIELD_NAMES:
            if name not in st.session_state:
                st.session_state[name] = self.fields[name]
        if "preset" not in st.session_state:
            st.session_state.preset = preset_for(self.fields["expression"])

    def abandon_training(self) -> None:
        # Cancel at once, not after the grace period a plain rerun gets: this session will not come back for it.
        for subscription in self.subscriptions:
            subscription.abandon()
        self.subscriptions = []


def preset_for(expression: str) -> str:
    for preset in PRESETS:
        if preset.expression == expression.strip():
            return preset.name
    return CUSTOM_PRESET


def get() -> SessionState:
    """The session's state: created from the URL's query parameters on its first run, then reused."""
    state = st.session_state.get(KEY)
    if state is None:
        config, errors = from_query_params(st.query_params.to_dict(), PAGE_DEFAULTS)
        state = SessionState(fields=config.to_dict(), url_errors=errors, from_link=True)
        st.session_state[KEY] = state
        state.apply(config)
    else:
        state.from_link = False
        state.restore_widgets()
    return state


def get_existing() -> SessionState:
    """The session's state from a callback or a later step of the run (after `get` created it)."""
    return st.session_state[KEY]
