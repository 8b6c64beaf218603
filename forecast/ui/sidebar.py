"""The settings: the data source and its own inputs only, shortcuts, then a form with the rest of the Config."""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from forecast.config import DEFAULT_CONFIG, ORIGINAL_RECIPE, Config
from forecast.config.config import MIN_INTERVAL
from forecast.config.expressions import PRESETS
from forecast.config.fields import FIELD_SPECS
from forecast.data import datasets, load_series, sources
from forecast.run import recipe
from forecast.run.keys import result_key
from forecast.ui import state as state_module
from forecast.ui.messages import show_problem
from forecast.ui.state import CUSTOM_PRESET, SessionState, SessionUpload, preset_for

__all__ = ["render"]


# --- callbacks: they run before the next script run, with the new widget values in place ---------------------


def _settings_changed() -> None:
    """After any change of settings: a stopped training may run again, and one nobody wants any more stops now."""
    state = state_module.get_existing()
    state.pause = None
    try:
        config = Config(**state.widget_values())
        wanted = {result_key(member) for member in config.members()}
    except ValueError:
        wanted = set()
    kept = []
    for subscription in state.subscriptions:
        if subscription.job.key in wanted:
            kept.append(subscription)
        else:
            subscription.abandon()
    state.subscriptions = kept


def _on_preset_change() -> None:
    for preset in PRESETS:
        if preset.name == st.session_state.preset:
            st.session_state.expression = preset.expression
            st.session_state.source = "expression"
    _settings_changed()


def _on_source_change() -> None:
    """Show the chosen source's inputs with their last values. Assigned, not merely restored when missing: a Train
    pressed while the function's inputs were hidden left the browser holding empty values for them, which it
    showed."""
    state = state_module.get_existing()
    for name in sources.get(st.session_state.source).fields:
        st.session_state[name] = state.fields[name]
    _settings_changed()


def _on_apply(config: Config) -> None:
    state_module.get_existing().apply(config)
    _settings_changed()


def _on_recipe() -> None:
    """Apply the real-series recipe, adapted to the series the settings describe (its season, its sign)."""
    state = state_module.get_existing()
    state.recipe_error = None
    try:
        config = Config(**state.widget_values())
        upload = state.upload_bytes(config.upload) if config.upload else None
        chosen = recipe.choose(config, load_series(config, upload))
        state.apply(chosen.config)
        state.recipe = chosen
    except ValueError as error:
        state.recipe_error = f"The real-series recipe does not fit these settings: {error}"
        return
    _settings_changed()


def _on_train() -> None:
    st.session_state.preset = preset_for(st.session_state.get("expression", ""))
    _settings_changed()


def _accept_upload(state: SessionState, name: str, data: bytes) -> bool:
    """Use an uploaded file as the series, read with the chosen fill mode (True); or say why it cannot be used."""
    state.refused_upload = None
    try:
        columns = datasets.inspect_csv(data)
    except ValueError as error:
        state.upload_error = f"{name}: {error}"
        return False
    value_column, x_column = columns.suggestion()
    try:
        # Refuse a file that cannot become a series at all, with the fill mode chosen for its empty cells.
        datasets.read_csv(data, value_column, x_column, fill=st.session_state.get("fill", "none"))
    except ValueError as error:
        state.upload_error = f"{name}: {error}"
        # Kept so that choosing another fill mode reads it again (a table whose cells may be filled).
        state.refused_upload = SessionUpload(name, data, columns)
        return False
    digest = datasets.content_hash(data)
    state.add_upload(SessionUpload(name, data, columns), digest)
    state.upload_error = None
    st.session_state.source = "upload"
    st.session_state.upload = digest
    st.session_state.value_column = value_column
    st.session_state.x_column = x_column
    return True


def _on_upload() -> None:
    state = state_module.get_existing()
    uploaded = st.session_state.get("upload_file")
    if uploaded is None:
        # The file was removed from the uploader: a later change of fill mode must not bring it back.
        state.refused_upload, state.upload_error = None, None
        return
    if _accept_upload(state, uploaded.name, uploaded.getvalue()):
        _settings_changed()


def _on_fill_change() -> None:
    """A new fill mode reads a file refused for its empty cells again, as if it had been uploaded once more."""
    state = state_module.get_existing()
    if state.refused_upload is not None:
        _accept_upload(state, state.refused_upload.name, state.refused_upload.data)
    _settings_changed()


# --- widgets ---------------------------------------------------------------------------------------------


def _number_input(name: str, *, step: float | int | None = None, number_format: str | None = None) -> None:
    # No min_value/max_value: the browser would refuse a value out of bounds under the field, out of sight, and
    # hold back the whole form with it (a seed changed beside it was lost). The config's check names the bound in
    # the page's error instead, and the rest of the form is kept.
    spec = FIELD_SPECS[name]
    cast = int if isinstance(getattr(DEFAULT_CONFIG, name), int) else float
    bounds = f" ({spec.range_text})" if spec.range_text is not None else ""
    st.number_input(
        spec.label,
        key=name,
        step=cast(step) if step is not None else None,
        format=number_format,
        help=spec.help + bounds,
    )


def _number_row(*fields: tuple[str, float | int, str | None]) -> None:
    """Number inputs side by side: (field, step, format) each."""
    for column, (name, step, number_format) in zip(st.columns(len(fields)), fields, strict=True):
        with column:
            _number_input(name, step=step, number_format=number_format)


def _expression_inputs(state: SessionState) -> None:
    st.selectbox(
        "Function preset",
        [preset.name for preset in PRESETS] + [CUSTOM_PRESET],
        key="preset",
        on_change=_on_preset_change,
        help="Pick a function from the catalogue; it fills in f(x) below and trains. "
        + " · ".join(f"{preset.name}: {preset.description}" for preset in PRESETS),
    )


def _dataset_inputs(state: SessionState) -> None:
    st.selectbox(
        FIELD_SPECS["dataset"].label,
        FIELD_SPECS["dataset"].choices,
        key="dataset",
        format_func=lambda name: datasets.CATALOGUE[name].title,
        on_change=_settings_changed,
        help=FIELD_SPECS["dataset"].help
        + ". Sources and licences: forecast/datasets/README.md. "
        + " · ".join(f"{info.title}: {info.description}" for info in datasets.CATALOGUE.values()),
    )


def _column_options(state: SessionState, key: str) -> list[str]:
    upload = state.uploads.get(st.session_state.get("upload", ""))
    options = [""] + (list(upload.columns.columns) if upload else [])
    current = st.session_state.get(key, "")
    return options if current in options else [*options, current]


def _upload_inputs(state: SessionState) -> None:
    # Before the file: a file with empty cells is accepted on upload when a fill mode is chosen.
    spec = FIELD_SPECS["fill"]
    st.selectbox(spec.label, spec.choices, key="fill", on_change=_on_fill_change, help=spec.help)
    st.file_uploader(
        "CSV file",
        type=["csv", "txt", "tsv"],
        key="upload_file",
        on_change=_on_upload,
        help=f"A table with a column of numbers (and optionally an x or date column): {datasets.MIN_ROWS}–"
        f"{datasets.MAX_ROWS:,} rows, at most {datasets.MAX_UPLOAD_BYTES // 1024 // 1024} MB. Empty cells "
        "are reported with their lines unless you choose a way to fill them above.",
    )
    if state.upload_error:
        show_problem(state.upload_error)
    st.text_input(FIELD_SPECS["upload"].label, key="upload", disabled=True, help=FIELD_SPECS["upload"].help)
    left, right = st.columns(2)
    for column, key, empty in ((left, "value_column", "(first numbers)"), (right, "x_column", "(row number)")):
        column.selectbox(
            FIELD_SPECS[key].label,
            _column_options(state, key),
            key=key,
            format_func=lambda name, empty=empty: name or empty,
            on_change=_settings_changed,
            help=FIELD_SPECS[key].help,
        )


# Inputs each data source draws outside the form (applied at once); a source without an entry has none.
SOURCE_INPUTS: dict[str, Callable[[SessionState], None]] = {
    "expression": _expression_inputs,
    "dataset": _dataset_inputs,
    "upload": _upload_inputs,
}


def _data_source(state: SessionState) -> None:
    """Where the series comes from, and that source's own inputs: applied at once, outside the form."""
    spec = FIELD_SPECS["source"]
    st.radio(
        spec.label,
        spec.choices,
        key="source",
        format_func=lambda name: sources.get(name).title,
        on_change=_on_source_change,
        help=spec.help,
    )
    SOURCE_INPUTS.get(st.session_state.source, lambda state: None)(state)


def _shortcuts() -> None:
    left, right = st.columns(2)
    left.button(
        "Original post",
        key="reproduce_original",
        on_click=_on_apply,
        args=(ORIGINAL_RECIPE.replace(snapshot_every=state_module.LIVE_SNAPSHOT_EVERY),),
        help="Reproduce the original blog post: x*sin(x), lookback 5, three LSTM(32), 200 epochs, batch 50, "
        "Adam with a constant 0.001 and no scaling.",
        width="stretch",
    )
    right.button(
        "Defaults",
        key="reset_defaults",
        on_click=_on_apply,
        args=(state_module.PAGE_DEFAULTS,),
        help="Reset every setting to the playground's defaults.",
        width="stretch",
    )
    st.button(
        "Real-series recipe",
        key="real_series_recipe",
        on_click=_on_recipe,
        help="Settings that make the LSTM competitive on real series, adapted to this one: log when every value "
        "is above 0, the seasonal difference (and the first when the training part holds 8 seasons or more), a "
        "season's lookback, the bundled dataset's holdout, 2×32 LSTM, batch 16, an ensemble of 5; a future of "
        "one season, 3 backtest windows and 80% intervals. Measured in the README's Real series table.",
        width="stretch",
    )
    state = state_module.get_existing()
    if state.recipe_error:
        show_problem(state.recipe_error)


def _expression_form_inputs() -> None:
    spec = FIELD_SPECS["expression"]
    st.text_input(spec.label, key="expression", help=spec.help)
    _number_row(("x_start", 1.0, "%g"), ("x_end", 1.0, "%g"))
    _number_input("x_step", step=0.01, number_format="%g")


# Inputs each data source draws inside the form (applied with Train); a source without an entry has none.
SOURCE_FORM_INPUTS: dict[str, Callable[[], None]] = {"expression": _expression_form_inputs}


def _real_series_inputs() -> None:
    st.subheader("Real series", divider="gray")
    spec = FIELD_SPECS["transform"]
    st.radio(spec.label, spec.choices, key="transform", horizontal=True, help=spec.help)
    _number_row(("difference", 1, None), ("seasonal_difference", 1, None))
    state = state_module.get_existing()
    _number_row(("season_length", 1, None), ("test_size", 1, None))
    if state.series_facts is not None:
        _series_facts_note(state.series_facts)
    _number_row(("patience", 5, None), ("validation_ratio", 0.05, "%g"))


def _interval_input() -> None:
    # A slider of the levels that exist: a number input's step buttons went from 0 to 5, which no run accepts.
    spec = FIELD_SPECS["interval"]
    levels = [0, *range(MIN_INTERVAL, int(spec.maximum) + 1)]
    st.select_slider(
        spec.label, levels, key="interval", format_func=lambda level: f"{level}%" if level else "off", help=spec.help
    )


def _series_facts_note(facts: recipe.SeriesFacts) -> None:
    """The detected frequency, the season it suggests (unless already chosen) and the dates a file skips."""
    suggestion = ""
    if facts.suggested_season and facts.suggested_season != st.session_state.get("season_length"):
        suggestion = f" Suggested season length: {facts.suggested_season}."
    if facts.frequency or suggestion:
        st.caption((f"Detected frequency: {facts.frequency}." if facts.frequency else "") + suggestion)
    if missing := facts.missing_dates:
        st.warning(
            f"{missing} date{'s are' if missing > 1 else ' is'} missing at this frequency: every season after a gap "
            "is a step out of line. Add the missing rows (empty values can be filled) for seasonal models to line up."
        )


def _form() -> None:
    with st.form("config_form", border=False):
        st.subheader("Data", divider="gray")
        SOURCE_FORM_INPUTS.get(st.session_state.source, lambda: None)()
        _number_row(("noise", 0.05, "%g"), ("lookback", 1, None))
        _number_input("train_ratio", step=0.05, number_format="%g")
        spec = FIELD_SPECS["scaling"]
        st.radio(spec.label, spec.choices, key="scaling", horizontal=True, help=spec.help)
        st.subheader("Network", divider="gray")
        _number_row(("layers", 1, None), ("units", 1, None))
        _number_row(("dense_layers", 1, None), ("dropout", 0.05, "%g"))
        st.subheader("Training", divider="gray")
        _number_row(("epochs", 10, None), ("batch_size", 1, None))
        _number_row(("learning_rate", 0.0005, "%g"), ("seed", 1, None))
        spec = FIELD_SPECS["schedule"]
        st.radio(spec.label, spec.choices, key="schedule", horizontal=True, help=spec.help)
        _number_row(("ensemble", 1, None), ("snapshot_every", 5, None))
        _real_series_inputs()
        st.subheader("Forecast", divider="gray")
        _number_row(("horizon", 1, None), ("backtest_windows", 1, None))
        _interval_input()
        spec = FIELD_SPECS["strategy"]
        st.radio(spec.label, spec.choices, key="strategy", horizontal=True, help=spec.help)
        st.form_submit_button(
            "Train",
            key="train",
            type="primary",
            on_click=_on_train,
            width="stretch",
            help="Apply the settings: train, or fetch the result at once if this config was trained before.",
        )


def render(state: SessionState) -> None:
    """The sidebar's contents; remembers every field's value for runs that do not draw its widget."""
    st.header("Settings")
    _data_source(state)
    _shortcuts()
    _form()
    state.remember_widgets()
