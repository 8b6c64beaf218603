"""LSTM Forecast Playground: a Streamlit dashboard over the `forecast` package.

Thin by design: widgets become a Config, the `forecast` package does all the numerics (training happens in a
worker process, so this process never imports TensorFlow), and pure functions in `forecast.plots`,
`forecast.report` and `forecast.export` build what is drawn and downloaded.
"""

from __future__ import annotations

import dataclasses
import os
import time

import plotly.graph_objects as go
import streamlit as st
from pandas.io.formats.style import Styler

from forecast import datasets, export, plots, report
from forecast.cache import ResultCache, default_cache_dir
from forecast.config import (
    DEFAULT_CONFIG,
    FIELD_NAMES,
    FIELD_SPECS,
    ORIGINAL_RECIPE,
    Config,
    from_query_params,
)
from forecast.data import Dataset, MissingUpload, make_dataset, raw_series
from forecast.ensemble import BAND_KINDS, Ensemble, summarize
from forecast.expressions import PRESETS
from forecast.history import History
from forecast.pipeline import Result, result_key
from forecast.resources import default_concurrency
from forecast.worker import JobState, Subscription, TrainingService

CUSTOM_PRESET = "Custom expression"
STOPPED_MESSAGE = "Training stopped. Press **Train** to start it again."
LINK_PAUSE_MESSAGE = (
    "This link's settings could not all be used (see above), so nothing was trained. The settings shown in the "
    "sidebar replace them: press **Train** to run them."
)
POLL_SECONDS = 0.15
LIVE_CHART_SECONDS = 0.5
# Uploaded files a session keeps, newest first; older ones must be uploaded again to be used.
MAX_SESSION_UPLOADS = 3
TAB_LABELS = ["Forecast", "Horizon", "Training", "Compare runs", "Code", "About"]
SOURCE_LABELS = {"expression": "Function of x", "dataset": "Bundled dataset", "upload": "Upload a CSV"}


@st.cache_resource(show_spinner=False)
def result_cache(directory: str) -> ResultCache:
    """One result cache per server process and folder: a memory layer over the disk folder."""
    return ResultCache(directory)


@st.cache_resource(show_spinner=False)
def training_service() -> TrainingService:
    """One pool of training workers per server process, shared by every session."""
    return TrainingService(
        max_concurrent=int(os.environ.get("FORECAST_MAX_CONCURRENT", default_concurrency())),
        trainings_per_worker=int(os.environ.get("FORECAST_TRAININGS_PER_WORKER", "10")),
    )


@dataclasses.dataclass(frozen=True)
class ResultViews:
    """Everything drawn from a result, built once per result: re-rendering a cached config then costs little."""

    forecast_figure: go.Figure
    horizon_figure: go.Figure
    loss_figure: go.Figure
    metrics_table: Styler
    ensemble_table: Styler | None
    reading: str
    predictions_csv: str
    config_json: str


def _styled(table) -> Styler:
    return (
        table.rename(columns={"model": "Model", "forecast": "Forecast", "rmse": "RMSE", "mae": "MAE", "r2": "R²"})
        .style.format({"RMSE": "{:.4g}", "MAE": "{:.4g}", "R²": "{:.4f}"}, na_rep="n/a")
        .hide(axis="index")
    )


@st.cache_resource(show_spinner=False, max_entries=64)
def result_views(key: str, band: str, _result: Result, _ensemble: Ensemble | None) -> ResultViews:
    """The figures, tables and texts for the run stored under `key` (result and ensemble are not hashed)."""
    return ResultViews(
        forecast_figure=plots.forecast_figure(_result, _ensemble, band),
        horizon_figure=plots.horizon_figure(_result),
        loss_figure=plots.loss_figure(
            _result.loss, _result.val_loss, scaled=_result.config.scaling != "none", learning_rate=_result.learning_rate
        ),
        metrics_table=_styled(report.metrics_table(_result)),
        ensemble_table=_styled(report.ensemble_table(_ensemble)) if _ensemble is not None else None,
        reading=report.reading(_result),
        predictions_csv=report.predictions_table(_result).to_csv(index=False),
        config_json=report.config_json(_result),
    )


@st.cache_resource(show_spinner=False, max_entries=32)
def exported_script(key: str, _config: Config, _upload: bytes | None) -> str:
    """The standalone script for the config stored under `key` (`_upload`: its file, for an uploaded series).

    A dataset's or file's values are read inside, so a cached script costs nothing to show again.
    """
    raw_values = None if _config.source == "expression" else raw_series(_config, _upload)[1]
    return export.standalone_script(_config, raw_values)


def _plain(text: str) -> str:
    """Text shown as it is: Streamlit renders messages as Markdown, where `__import__` would turn bold."""
    return "".join("\\" + character if character in MARKDOWN_SPECIALS else character for character in text)


MARKDOWN_SPECIALS = set("\\`*_[]<>#|~$")


# --- state -----------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class SessionUpload:
    """A file uploaded in this session: its bytes and what its columns hold."""

    name: str
    data: bytes
    columns: datasets.CsvColumns


def _uploads() -> dict[str, SessionUpload]:
    return st.session_state.setdefault("uploads", {})


def _history() -> History:
    return st.session_state.setdefault("history", History())


def _apply_config_to_widgets(config: Config) -> None:
    for name, value in config.to_dict().items():
        st.session_state[name] = value
    st.session_state.preset = _preset_for(config.expression)


def _preset_for(expression: str) -> str:
    for preset in PRESETS:
        if preset.expression == expression.strip():
            return preset.name
    return CUSTOM_PRESET


def init_state_from_url() -> None:
    """On a session's first run, set every widget from the URL's query parameters (defaults where missing)."""
    if "initialised" in st.session_state:
        return
    config, errors = from_query_params(st.query_params.to_dict())
    _apply_config_to_widgets(config)
    st.session_state.url_errors = errors
    st.session_state.last_good_config = config
    if errors:
        # A link that could not be used as given starts no work: the visitor sees what was replaced and decides.
        st.session_state.paused = (result_key(config), LINK_PAUSE_MESSAGE)
    st.session_state.initialised = True


def _settings_changed() -> None:
    """After any change of settings: a stopped training may run again, and one nobody wants any more stops now."""
    st.session_state.paused = None
    config, _ = config_from_widgets()
    wanted = {result_key(config.member(index)) for index in range(config.ensemble)} if config else set()
    kept = []
    for subscription in st.session_state.get("subscriptions", []):
        if subscription.job.key in wanted:
            kept.append(subscription)
        else:
            subscription.abandon()
    st.session_state.subscriptions = kept


def _abandon_training() -> None:
    # Cancel at once, not after the grace period a plain rerun gets: this session will not come back for it.
    for subscription in st.session_state.pop("subscriptions", []):
        subscription.abandon()


def _on_preset_change() -> None:
    chosen = st.session_state.preset
    for preset in PRESETS:
        if preset.name == chosen:
            st.session_state.expression = preset.expression
            st.session_state.source = "expression"
    _settings_changed()


def _on_reproduce_original() -> None:
    _apply_config_to_widgets(ORIGINAL_RECIPE)
    _settings_changed()


def _on_reset_defaults() -> None:
    _apply_config_to_widgets(DEFAULT_CONFIG)
    _settings_changed()


def _on_train() -> None:
    st.session_state.preset = _preset_for(st.session_state.expression)
    _settings_changed()


def _on_stop() -> None:
    st.session_state.paused = (st.session_state.get("wanted_key"), STOPPED_MESSAGE)
    _abandon_training()


def _on_upload() -> None:
    uploaded = st.session_state.get("upload_file")
    if uploaded is None:
        return
    data = uploaded.getvalue()
    try:
        columns = datasets.inspect_csv(data)
        value_column, x_column = columns.suggestion()
        datasets.read_csv(data, value_column, x_column)  # Refuse a file that cannot become a series at all.
    except ValueError as error:
        st.session_state.upload_error = f"{uploaded.name}: {error}"
        return
    digest = datasets.content_hash(data)
    uploads = _uploads()
    uploads.pop(digest, None)
    uploads[digest] = SessionUpload(uploaded.name, data, columns)
    for old in list(uploads)[:-MAX_SESSION_UPLOADS]:
        del uploads[old]
    st.session_state.upload_error = None
    st.session_state.source = "upload"
    st.session_state.upload = digest
    st.session_state.value_column = value_column
    st.session_state.x_column = x_column
    _settings_changed()


def _on_remove_runs() -> None:
    _history().remove(st.session_state.get("compare_runs", []))
    st.session_state.compare_runs = []
    st.session_state.compare_chosen = False


def config_from_widgets() -> tuple[Config | None, str | None]:
    """The Config the widgets describe, or the validation message that explains why there is none."""
    try:
        return Config(**{name: st.session_state[name] for name in FIELD_NAMES}), None
    except ValueError as error:
        return None, str(error)


# --- widgets ---------------------------------------------------------------------------------------------


def _number_input(
    name: str, *, step: float | int | None = None, number_format: str | None = None, disabled: bool = False
) -> None:
    spec = FIELD_SPECS[name]
    integer = isinstance(getattr(DEFAULT_CONFIG, name), int)
    cast = int if integer else float
    st.number_input(
        spec.label,
        key=name,
        min_value=cast(spec.minimum) if spec.minimum is not None else None,
        max_value=cast(spec.maximum) if spec.maximum is not None else None,
        step=step,
        format=number_format,
        help=spec.help,
        disabled=disabled,
    )


def _number_row(*fields: tuple[str, float | int, str | None, bool]) -> None:
    """Number inputs side by side: (field, step, format, disabled) each."""
    for column, (name, step, number_format, disabled) in zip(st.columns(len(fields)), fields, strict=True):
        with column:
            _number_input(name, step=step, number_format=number_format, disabled=disabled)


def _column_options(key: str) -> list[str]:
    upload = _uploads().get(st.session_state.get("upload", ""))
    options = [""] + (list(upload.columns.columns) if upload else [])
    current = st.session_state.get(key, "")
    return options if current in options else [*options, current]


def data_source_ui() -> None:
    """Where the series comes from: applied at once, outside the form."""
    source = st.session_state.source
    st.radio(
        FIELD_SPECS["source"].label,
        FIELD_SPECS["source"].choices,
        key="source",
        format_func=SOURCE_LABELS.get,
        on_change=_settings_changed,
        help=FIELD_SPECS["source"].help,
    )
    if source == "expression":
        st.selectbox(
            "Function preset",
            [preset.name for preset in PRESETS] + [CUSTOM_PRESET],
            key="preset",
            on_change=_on_preset_change,
            help="Pick a function from the catalogue; it fills in f(x) below and trains. "
            + " · ".join(f"{preset.name}: {preset.description}" for preset in PRESETS),
        )
    st.selectbox(
        FIELD_SPECS["dataset"].label,
        FIELD_SPECS["dataset"].choices,
        key="dataset",
        format_func=lambda name: datasets.CATALOGUE[name].title,
        on_change=_settings_changed,
        disabled=source != "dataset",
        help=FIELD_SPECS["dataset"].help
        + ". Sources and licences: forecast/datasets/README.md. "
        + " · ".join(f"{info.title}: {info.description}" for info in datasets.CATALOGUE.values()),
    )
    st.file_uploader(
        "CSV file",
        type=["csv", "txt", "tsv"],
        key="upload_file",
        on_change=_on_upload,
        help=f"A table with a column of numbers (and optionally an x or date column): {datasets.MIN_ROWS}–"
        f"{datasets.MAX_ROWS:,} rows, at most {datasets.MAX_UPLOAD_BYTES // 1024 // 1024} MB. Missing values "
        "are reported, not guessed.",
    )
    if st.session_state.get("upload_error"):
        st.error(_plain(st.session_state.upload_error))
    st.text_input(FIELD_SPECS["upload"].label, key="upload", disabled=True, help=FIELD_SPECS["upload"].help)
    left, right = st.columns(2)
    for column, key, empty in ((left, "value_column", "(first numbers)"), (right, "x_column", "(row number)")):
        column.selectbox(
            FIELD_SPECS[key].label,
            _column_options(key),
            key=key,
            format_func=lambda name, empty=empty: name or empty,
            on_change=_settings_changed,
            disabled=source != "upload",
            help=FIELD_SPECS[key].help,
        )


def sidebar_ui() -> None:
    """The controls: the data source, shortcuts, then a form with the rest of the Config fields."""
    st.header("Settings")
    data_source_ui()
    left, right = st.columns(2)
    left.button(
        "Original post",
        key="reproduce_original",
        on_click=_on_reproduce_original,
        help="Reproduce the original blog post: x*sin(x), lookback 5, three LSTM(32), 200 epochs, batch 50, "
        "Adam with a constant 0.001 and no scaling.",
        width="stretch",
    )
    right.button(
        "Defaults",
        key="reset_defaults",
        on_click=_on_reset_defaults,
        help="Reset every setting to the playground's defaults.",
        width="stretch",
    )
    function = st.session_state.source == "expression"
    with st.form("config_form", border=False):
        st.text_input(
            FIELD_SPECS["expression"].label,
            key="expression",
            help=FIELD_SPECS["expression"].help,
            disabled=not function,
        )
        st.subheader("Data", divider="gray")
        _number_row(("x_start", 1.0, "%g", not function), ("x_end", 1.0, "%g", not function))
        _number_row(("x_step", 0.01, "%g", not function), ("noise", 0.05, "%g", False))
        _number_row(("lookback", 1, None, False), ("train_ratio", 0.05, "%g", False))
        st.radio(
            FIELD_SPECS["scaling"].label,
            FIELD_SPECS["scaling"].choices,
            key="scaling",
            horizontal=True,
            help=FIELD_SPECS["scaling"].help,
        )
        st.subheader("Network", divider="gray")
        _number_row(("layers", 1, None, False), ("units", 1, None, False))
        _number_row(("dense_layers", 1, None, False), ("dropout", 0.05, "%g", False))
        st.subheader("Training", divider="gray")
        _number_row(("epochs", 10, None, False), ("batch_size", 1, None, False))
        _number_row(("learning_rate", 0.0005, "%g", False), ("seed", 1, None, False))
        st.radio(
            FIELD_SPECS["schedule"].label,
            FIELD_SPECS["schedule"].choices,
            key="schedule",
            horizontal=True,
            help=FIELD_SPECS["schedule"].help,
        )
        _number_input("ensemble", step=1)
        st.form_submit_button(
            "Train",
            key="train",
            type="primary",
            on_click=_on_train,
            width="stretch",
            help="Apply the settings: train, or fetch the result at once if this config was trained before.",
        )


# --- training --------------------------------------------------------------------------------------------


def _session_is_connected() -> bool:
    """False once the browser tab of this session has gone (closed, navigated away)."""
    try:
        from streamlit.runtime import exists, get_instance
        from streamlit.runtime.scriptrunner import get_script_run_ctx

        context = get_script_run_ctx()
        if not exists() or context is None:
            return True
        return get_instance().is_active_session(context.session_id)
    except Exception:  # No runtime (tests, bare mode): there is no tab to lose.
        return True


def _progress_text(service: TrainingService, subscriptions: list[Subscription]) -> tuple[float, str]:
    jobs = [subscription.job for subscription in subscriptions]
    total_epochs = sum(job.config.epochs for job in jobs)
    done_epochs = sum(job.config.epochs if job.finished else len(job.reports) for job in jobs)
    prefix = f"Network {sum(job.finished for job in jobs) + 1} of {len(jobs)} · " if len(jobs) > 1 else ""
    active = next((job for job in jobs if not job.finished), jobs[-1])
    if active.state == JobState.QUEUED:
        ahead = service.queue_position(active)
        if ahead:
            return (
                0.0,
                f"{prefix}Waiting for a free trainer: {ahead} training{'s' if ahead > 1 else ''} ahead of yours…",
            )
        return done_epochs / total_epochs, f"{prefix}Starting the trainer…"
    latest = active.latest
    if latest is None:
        return done_epochs / total_epochs, f"{prefix}Building the model and compiling the training loop…"
    return done_epochs / total_epochs, (
        f"{prefix}Epoch {latest['epoch']}/{latest['epochs']} · loss {latest['loss']:.4g} · "
        f"test loss {latest['val_loss']:.4g} · {latest['elapsed']:.1f}s"
    )


def training_ui(
    service: TrainingService, cache: ResultCache, configs: list[Config], dataset: Dataset
) -> list[Result] | None:
    """Train `configs` in workers, showing progress and a live loss curve; None if one failed or was stopped."""
    subscriptions = [service.subscribe(config, cache, dataset) for config in configs]
    st.session_state.subscriptions = subscriptions
    slot = st.empty()
    with slot.container(border=True):
        top_left, top_right = st.columns([4, 1], vertical_alignment="center")
        bar = top_left.progress(0.0, text="Starting…")
        top_right.button("Stop", key="stop", on_click=_on_stop, help="Stop this training.", width="stretch")
        live_chart = st.empty()
    shown = (None, 0)
    last_drawn = 0.0
    try:
        while not all(subscription.job.finished for subscription in subscriptions):
            fraction, text = _progress_text(service, subscriptions)
            bar.progress(min(fraction, 1.0), text=text)
            job = next(s.job for s in subscriptions if not s.job.finished)
            now = time.monotonic()
            if (job.key, len(job.reports)) != shown and job.reports and now - last_drawn >= LIVE_CHART_SECONDS:
                shown = (job.key, len(job.reports))
                last_drawn = now
                live_chart.plotly_chart(
                    plots.loss_figure(
                        [report["loss"] for report in job.reports],
                        [report["val_loss"] for report in job.reports],
                        scaled=job.config.scaling != "none",
                    ),
                    height=260,
                )
            if not _session_is_connected():
                for subscription in subscriptions:
                    subscription.abandon()  # The tab is gone: nobody will see these trainings.
                return None
            time.sleep(POLL_SECONDS)
    finally:
        # Reruns, and sessions Streamlit stops, land here too. No Streamlit call is allowed here (a stopped
        # session raises on every one), so subscriptions are released directly: a job is cancelled after a
        # short grace unless the next run picks it up again, or at once by a callback that knows it will not.
        for subscription in subscriptions:
            subscription.release()
    slot.empty()
    failed = [subscription.job for subscription in subscriptions if subscription.job.state == JobState.FAILED]
    for job in failed:
        st.error(_plain(job.error or "Training failed."))
    if failed or any(subscription.job.result is None for subscription in subscriptions):
        return None
    return [subscription.job.result for subscription in subscriptions]


# --- results ---------------------------------------------------------------------------------------------


def band_ui() -> None:
    # The choice lives outside the widget, so that it survives visits to other tabs (which unmount the widget).
    st.session_state.band = st.session_state.get("band_kind", BAND_KINDS[0])
    st.radio(
        "Band",
        BAND_KINDS,
        key="band",
        horizontal=True,
        on_change=lambda: st.session_state.update(band_kind=st.session_state.band),
        help="How the spread of the ensemble's forecasts is drawn.",
    )


def metrics_ui(views: ResultViews, ensemble: Ensemble | None) -> None:
    st.markdown(
        "**Test metrics** in the series' own units: RMSE and MAE (lower is better), R² (1 is perfect, 0 is no "
        "better than the mean). One-step forecasts see the true previous values; recursive ones only their own."
    )
    # An HTML table rather than the canvas data grid: screen readers and text selection reach every number.
    st.table(views.metrics_table)
    st.info(views.reading)
    if ensemble is not None and views.ensemble_table is not None:
        low, high = ensemble.member_rmse["recursive"]
        st.markdown(
            f"**Ensemble of {ensemble.size} networks** (seeds {', '.join(map(str, ensemble.seeds))}): metrics of "
            f"their mean forecast. The members' recursive RMSE ranges from {low:.4g} to {high:.4g}."
        )
        st.table(views.ensemble_table)


def downloads_ui(result: Result, views: ResultViews) -> None:
    stem = f"lstm-forecast-{result_key(result.config)[:10]}"
    left, middle, right = st.columns(3)
    left.download_button(
        "Predictions (CSV)",
        views.predictions_csv,
        file_name=f"{stem}-predictions.csv",
        mime="text/csv",
        key="download_csv",
        on_click="ignore",
        help="x, actual and every model's one-step and recursive predictions, train and test rows.",
    )
    middle.download_button(
        "Trained model (.keras)",
        result.model_bytes,
        file_name=f"{stem}.keras",
        mime="application/octet-stream",
        key="download_model",
        on_click="ignore",
        help="Load with keras.models.load_model(path). Inputs are scaled windows of shape (n, lookback, 1).",
    )
    right.download_button(
        "Config (JSON)",
        views.config_json,
        file_name=f"{stem}-config.json",
        mime="application/json",
        key="download_config",
        on_click="ignore",
        help="Every setting of this run.",
    )


def training_tab_ui(result: Result, views: ResultViews) -> None:
    origin = "came from the cache (no training needed)" if result.cached else "was trained just now"
    columns = st.columns(4)
    columns[0].metric("Fit time", f"{result.fit_seconds:.2f} s")
    columns[1].metric("Epochs run", f"{result.epochs_run}")
    columns[2].metric("Final loss", f"{result.loss[-1]:.3g}" if result.epochs_run else "–")
    columns[3].metric("Result", "cached" if result.cached else "fresh")
    units = "scaled" if result.config.scaling != "none" else "original"
    st.caption(
        f"This result {origin}. Losses are MSE in the model's {units} units; "
        "the test loss is watched, never used to steer training."
    )
    st.plotly_chart(views.loss_figure, key="loss_chart")


def horizon_ui(views: ResultViews) -> None:
    st.plotly_chart(views.horizon_figure, key="horizon_chart")
    st.caption(
        "From every test window the model rolls forward on its own predictions; each point is the RMSE that many "
        "steps ahead, averaged over all starting points (up to half the test length, so each averages at least "
        "half of them). Where a line crosses the dotted level it is no better than predicting the mean."
    )


def compare_ui(history: History) -> None:
    if not history.records:
        st.info("Runs appear here as you train them.")
        return
    st.dataframe(
        history.table(),
        hide_index=True,
        key="history_table",
        column_config={
            name: st.column_config.NumberColumn(name, format="%.4g")
            for name in ("one-step RMSE", "recursive RMSE", "linear AR one-step RMSE", "fit s")
        },
    )
    labels = [record.label for record in history.records]
    # Until the visitor picks runs, the selection follows the two newest.
    chosen = st.session_state.get("compare_runs")
    if not st.session_state.get("compare_chosen") or chosen is None or not set(chosen) <= set(labels):
        st.session_state.compare_runs = labels[-2:]
    chosen = st.multiselect(
        "Runs to compare",
        labels,
        key="compare_runs",
        on_change=lambda: st.session_state.update(compare_chosen=True),
        help="Their LSTM test forecasts are drawn on one chart below: one-step as markers, recursive as lines.",
    )
    st.button(
        "Remove the selected runs",
        key="remove_runs",
        on_click=_on_remove_runs,
        disabled=not chosen,
        help=f"Forget them in this session (the history keeps the last {history.limit} runs).",
    )
    if chosen:
        records = history.by_label(chosen)
        figure = plots.comparison_figure(
            [record.compared() for record in records], plots.axis_titles(records[0].config)
        )
        st.plotly_chart(figure, key="comparison_chart")


def code_ui(config: Config, script: str) -> None:
    st.markdown(
        "A standalone script (numpy and Keras only) that rebuilds this run's data, model and training and prints "
        "its test metrics: the numbers match the app's up to floating-point rounding."
    )
    st.download_button(
        "Download the script",
        script,
        file_name=f"lstm-forecast-{result_key(config)[:10]}.py",
        mime="text/x-python",
        key="download_script",
        on_click="ignore",
        help="Run it with python; it needs numpy and tensorflow.",
    )
    st.code(script, language="python", line_numbers=True)


def about_ui() -> None:
    st.markdown(
        """
**One-step** predictions use the true previous values for every test point: that is what the original blog
post plotted, and it flatters any model. **Recursive** forecasts start from the first test window and feed
each prediction back in: the honest forecast of the future. The **Horizon** tab shows how their error grows
with every step ahead.

**Baselines.** *Naive* repeats the last value. *Linear AR* is a least-squares linear autoregression on the same
windows; on `x*sin(x)` it is exact, because that function sampled on a uniform grid obeys a linear recurrence.

**Your own data.** Choose a bundled dataset or upload a CSV in the sidebar. A link to an uploaded file works
where that file is uploaded again (or its result is still cached on this server).

**Sharing.** The address bar always holds the current settings: copy it to share exactly this run.
"""
    )


# --- page ------------------------------------------------------------------------------------------------


def prepare(config: Config) -> tuple[Dataset | None, str | None]:
    """The config's series, or why it is missing: an uploaded file this session does not have.

    Raises ValueError for a series that cannot be trained on (NaN, a bad file, a split that does not fit).
    """
    upload = _uploads().get(config.upload)
    try:
        return make_dataset(config.member(0), upload.data if upload else None), None
    except MissingUpload as error:
        return None, str(error)


def main() -> None:
    st.set_page_config(page_title="LSTM Forecast Playground", page_icon="📈", layout="wide")
    # Starting the worker pool costs nothing here, and lets its TensorFlow import overlap the first paint.
    service = training_service()
    init_state_from_url()
    with st.sidebar:
        sidebar_ui()

    st.title("LSTM Forecast Playground")
    st.caption(
        "Train a stacked LSTM on a function of x or a real series and see its predictions over the actual "
        "curve, beside honest baselines and the honest multi-step forecast."
    )
    for field, message in st.session_state.pop("url_errors", {}).items():
        st.warning(f"The link's `{field}` was not used: {_plain(message)}")

    if st.session_state.source == "upload" and not st.session_state.upload:
        st.info("Upload a CSV file in the sidebar to train on your own series.")
        return
    config, problem = config_from_widgets()
    dataset: Dataset | None = None
    missing_upload = None
    if config is not None:
        try:
            dataset, missing_upload = prepare(config)
        except ValueError as error:
            problem = str(error)
    if problem is not None or config is None:
        st.error(f"{_plain(problem or 'invalid settings')}. Showing the last valid settings instead.")
        config = st.session_state.last_good_config
        dataset, missing_upload = prepare(config)
    else:
        st.session_state.last_good_config = config
        if st.query_params.to_dict() != config.to_query_params():
            st.query_params.from_dict(config.to_query_params())

    # Training progress sits above the tabs, so that it shows whichever tab is open.
    status_area = st.container()
    # Only the open tab's content is built and sent (switching tabs reruns the script), which keeps
    # re-rendering a cached config cheap however many tabs there are.
    tabs = st.tabs(TAB_LABELS, key="view", on_change="rerun")
    forecast_tab, horizon_tab, training_tab, compare_tab, code_tab, about_tab = tabs
    if about_tab.open:
        with about_tab:
            about_ui()
    with forecast_tab:
        chart = st.empty()
        details_area = st.container()

    cache = result_cache(str(default_cache_dir()))
    members = [config.member(index) for index in range(config.ensemble)]
    key = result_key(config)
    st.session_state.wanted_key = key
    results = [cache.get(result_key(member)) for member in members]
    for warning in cache.warnings:
        status_area.warning(_plain(warning))
    if any(result is None for result in results):
        if missing_upload is not None or dataset is None:
            status_area.info(_plain(missing_upload or "This series is not available here."))
            return
        if forecast_tab.open:
            # The actual curve first, before any training: the page never waits on TensorFlow to show something.
            boundary = plots.midpoint(dataset.xs[config.lookback + dataset.n_train - 1], dataset.test_xs[0])
            axis = plots.axis_titles(config)
            figure = plots.series_figure(dataset.xs, dataset.ys, boundary, plots.chart_title(config), axis)
            chart.plotly_chart(figure, key="series_chart")
        paused = st.session_state.get("paused")
        if paused is not None and paused[0] == key:
            status_area.info(paused[1])
            return
        missing = [member for member, result in zip(members, results, strict=True) if result is None]
        with status_area:
            trained = training_ui(service, cache, missing, dataset)
        if trained is None:
            return
        fresh = iter(trained)
        results = [result if result is not None else next(fresh) for result in results]
    elif missing_upload is not None:
        status_area.info(
            "This run used an uploaded file that this page does not have; its results are still in this server's "
            "cache, shown below. Upload the same file to change its settings."
        )
    result = results[0]
    ensemble = summarize(results) if len(results) > 1 else None
    band = st.session_state.get("band_kind", BAND_KINDS[0])
    views = result_views(key, band, result, ensemble)
    history = _history()
    if st.session_state.get("recorded_key") != key:
        # Once per newly shown run: reruns of the same page (or removing it from the list) do not add it again.
        history.add(config, result)
        st.session_state.recorded_key = key
    if forecast_tab.open:
        chart.plotly_chart(views.forecast_figure, key="forecast_chart")
        with details_area:
            if ensemble is not None:
                band_ui()
            metrics_ui(views, ensemble)
            downloads_ui(result, views)
    if horizon_tab.open:
        with horizon_tab:
            horizon_ui(views)
    if training_tab.open:
        with training_tab:
            training_tab_ui(result, views)
    if compare_tab.open:
        with compare_tab:
            compare_ui(history)
    if code_tab.open:
        with code_tab:
            if missing_upload is None:
                upload = _uploads().get(config.upload)
                code_ui(config, exported_script(key, config, upload.data if upload else None))
            else:
                st.info("Upload the file this run used to export its code.")


if __name__ == "__main__":
    main()
