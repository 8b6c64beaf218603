"""LSTM Forecast Playground: a Streamlit dashboard over the `forecast` package.

Thin by design: widgets become a Config, the `forecast` package does all the numerics (training happens in a
worker process, so this process never imports TensorFlow), and pure functions in `forecast.plots` and
`forecast.report` build what is drawn.
"""

from __future__ import annotations

import dataclasses
import os
import time

import plotly.graph_objects as go
import streamlit as st
from pandas.io.formats.style import Styler

from forecast import plots, report
from forecast.cache import ResultCache, default_cache_dir
from forecast.config import DEFAULT_CONFIG, FIELD_NAMES, FIELD_SPECS, ORIGINAL_RECIPE, Config, from_query_params
from forecast.data import Dataset, make_dataset
from forecast.expressions import PRESETS
from forecast.pipeline import Result, result_key
from forecast.resources import default_concurrency
from forecast.worker import Job, JobState, TrainingService

CUSTOM_PRESET = "Custom expression"
STOPPED_MESSAGE = "Training stopped. Press **Train** to start it again."
LINK_PAUSE_MESSAGE = (
    "This link's settings could not all be used (see above), so nothing was trained. The settings shown in the "
    "sidebar replace them: press **Train** to run them."
)
POLL_SECONDS = 0.15
LIVE_CHART_SECONDS = 0.5


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
    loss_figure: go.Figure
    metrics_table: Styler
    reading: str
    predictions_csv: str
    config_json: str


@st.cache_resource(show_spinner=False, max_entries=64)
def result_views(key: str, _result: Result) -> ResultViews:
    """The figures, table and texts of the result stored under `key` (the result itself is not hashed)."""
    return ResultViews(
        forecast_figure=plots.forecast_figure(_result),
        loss_figure=plots.loss_figure(_result.loss, _result.val_loss, scaled=_result.config.scaling != "none"),
        metrics_table=report.metrics_table(_result)
        .rename(columns={"model": "Model", "forecast": "Forecast", "rmse": "RMSE", "mae": "MAE", "r2": "R²"})
        .style.format({"RMSE": "{:.4g}", "MAE": "{:.4g}", "R²": "{:.4f}"}, na_rep="n/a")
        .hide(axis="index"),
        reading=report.reading(_result),
        predictions_csv=report.predictions_table(_result).to_csv(index=False),
        config_json=report.config_json(_result),
    )


def _plain(text: str) -> str:
    """Text shown as it is: Streamlit renders messages as Markdown, where `__import__` would turn bold."""
    return "".join("\\" + character if character in MARKDOWN_SPECIALS else character for character in text)


MARKDOWN_SPECIALS = set("\\`*_[]<>#|~$")


# --- state -----------------------------------------------------------------------------------------------


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
    subscription = st.session_state.get("subscription")
    if subscription is not None and (config is None or result_key(config) != subscription.job.key):
        _abandon_training()


def _abandon_training() -> None:
    # Cancel at once, not after the grace period a plain rerun gets: this session will not come back for it.
    subscription = st.session_state.pop("subscription", None)
    if subscription is not None:
        subscription.abandon()


def _on_preset_change() -> None:
    chosen = st.session_state.preset
    for preset in PRESETS:
        if preset.name == chosen:
            st.session_state.expression = preset.expression
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


def config_from_widgets() -> tuple[Config | None, str | None]:
    """The Config the widgets describe, or the validation message that explains why there is none."""
    try:
        return Config(**{name: st.session_state[name] for name in FIELD_NAMES}), None
    except ValueError as error:
        return None, str(error)


# --- widgets ---------------------------------------------------------------------------------------------


def _number_input(name: str, *, step: float | int | None = None, number_format: str | None = None) -> None:
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
    )


def sidebar_ui() -> None:
    """The controls: presets and shortcuts, then a form with one widget per Config field."""
    st.header("Settings")
    st.selectbox(
        "Function preset",
        [preset.name for preset in PRESETS] + [CUSTOM_PRESET],
        key="preset",
        on_change=_on_preset_change,
        help="Pick a function from the catalogue; it fills in f(x) below and trains. "
        + " · ".join(f"{preset.name}: {preset.description}" for preset in PRESETS),
    )
    left, right = st.columns(2)
    left.button(
        "Original post",
        key="reproduce_original",
        on_click=_on_reproduce_original,
        help="Reproduce the original blog post: x*sin(x), lookback 5, three LSTM(32), 200 epochs, batch 50, "
        "Adam 0.001 and no scaling.",
        width="stretch",
    )
    right.button(
        "Defaults",
        key="reset_defaults",
        on_click=_on_reset_defaults,
        help="Reset every setting to the playground's defaults.",
        width="stretch",
    )
    with st.form("config_form", border=False):
        st.text_input(FIELD_SPECS["expression"].label, key="expression", help=FIELD_SPECS["expression"].help)
        st.subheader("Data", divider="gray")
        left, right = st.columns(2)
        with left:
            _number_input("x_start", step=1.0, number_format="%g")
        with right:
            _number_input("x_end", step=1.0, number_format="%g")
        left, right = st.columns(2)
        with left:
            _number_input("x_step", step=0.01, number_format="%g")
        with right:
            _number_input("noise", step=0.05, number_format="%g")
        left, right = st.columns(2)
        with left:
            _number_input("lookback", step=1)
        with right:
            _number_input("train_ratio", step=0.05, number_format="%g")
        st.radio(
            FIELD_SPECS["scaling"].label,
            FIELD_SPECS["scaling"].choices,
            key="scaling",
            horizontal=True,
            help=FIELD_SPECS["scaling"].help,
        )
        st.subheader("Network", divider="gray")
        left, right = st.columns(2)
        with left:
            _number_input("layers", step=1)
        with right:
            _number_input("units", step=1)
        left, right = st.columns(2)
        with left:
            _number_input("dense_layers", step=1)
        with right:
            _number_input("dropout", step=0.05, number_format="%g")
        st.subheader("Training", divider="gray")
        left, right = st.columns(2)
        with left:
            _number_input("epochs", step=10)
        with right:
            _number_input("batch_size", step=1)
        left, right = st.columns(2)
        with left:
            _number_input("learning_rate", step=0.0005, number_format="%g")
        with right:
            _number_input("seed", step=1)
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


def _progress_text(service: TrainingService, job: Job) -> tuple[float, str]:
    latest = job.latest
    if job.state == JobState.QUEUED:
        ahead = service.queue_position(job)
        if ahead:
            return 0.0, f"Waiting for a free trainer: {ahead} training{'s' if ahead > 1 else ''} ahead of yours…"
        return 0.0, "Starting the trainer…"
    if latest is None:
        return 0.0, "Building the model and compiling the training loop…"
    fraction = latest["epoch"] / latest["epochs"]
    return fraction, (
        f"Epoch {latest['epoch']}/{latest['epochs']} · loss {latest['loss']:.4g} · "
        f"test loss {latest['val_loss']:.4g} · {latest['elapsed']:.1f}s"
    )


def training_ui(service: TrainingService, cache: ResultCache, config: Config) -> Result | None:
    """Train `config` in a worker, showing progress and a live loss curve; None if it failed or was stopped."""
    subscription = service.subscribe(config, cache)
    st.session_state.subscription = subscription
    job = subscription.job
    slot = st.empty()
    with slot.container(border=True):
        top_left, top_right = st.columns([4, 1], vertical_alignment="center")
        bar = top_left.progress(0.0, text="Starting…")
        top_right.button("Stop", key="stop", on_click=_on_stop, help="Stop this training.", width="stretch")
        live_chart = st.empty()
    shown_epochs = 0
    last_drawn = 0.0
    try:
        while not job.finished:
            fraction, text = _progress_text(service, job)
            bar.progress(min(fraction, 1.0), text=text)
            now = time.monotonic()
            if len(job.reports) > shown_epochs and now - last_drawn >= LIVE_CHART_SECONDS:
                shown_epochs = len(job.reports)
                last_drawn = now
                live_chart.plotly_chart(
                    plots.loss_figure(
                        [report["loss"] for report in job.reports],
                        [report["val_loss"] for report in job.reports],
                        scaled=config.scaling != "none",
                    ),
                    height=260,
                )
            if not _session_is_connected():
                subscription.abandon()  # The tab is gone: nobody will see this training.
                return None
            time.sleep(POLL_SECONDS)
    finally:
        # Reruns, and sessions Streamlit stops, land here too. No Streamlit call is allowed here (a stopped
        # session raises on every one), so the subscription is released directly: the job is cancelled after a
        # short grace unless the next run picks it up again, or at once by a callback that knows it will not.
        subscription.release()
    slot.empty()
    if job.state == JobState.FAILED:
        st.error(_plain(job.error or "Training failed."))
    return job.result


# --- results ---------------------------------------------------------------------------------------------


def metrics_ui(views: ResultViews) -> None:
    st.markdown(
        "**Test metrics** in the series' own units: RMSE and MAE (lower is better), R² (1 is perfect, 0 is no "
        "better than the mean). One-step forecasts see the true previous values; recursive ones only their own."
    )
    # An HTML table rather than the canvas data grid: screen readers and text selection reach every number.
    st.table(views.metrics_table)
    st.info(views.reading)


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


def about_ui() -> None:
    st.markdown(
        """
**One-step** predictions use the true previous values for every test point: that is what the original blog
post plotted, and it flatters any model. **Recursive** forecasts start from the first test window and feed
each prediction back in: the honest forecast of the future.

**Baselines.** *Naive* repeats the last value. *Linear AR* is a least-squares linear autoregression on the same
windows; on `x*sin(x)` it is exact, because that function sampled on a uniform grid obeys a linear recurrence.

**Sharing.** The address bar always holds the current settings: copy it to share exactly this run.
"""
    )


def main() -> None:
    st.set_page_config(page_title="LSTM Forecast Playground", page_icon="📈", layout="wide")
    # Starting the worker pool costs nothing here, and lets its TensorFlow import overlap the first paint.
    service = training_service()
    init_state_from_url()
    with st.sidebar:
        sidebar_ui()

    st.title("LSTM Forecast Playground")
    st.caption(
        "Train a stacked LSTM on a function of x and see its predictions over the actual curve, beside honest "
        "baselines and the honest multi-step forecast."
    )
    for field, message in st.session_state.pop("url_errors", {}).items():
        st.warning(f"The link's `{field}` was not used: {_plain(message)}")

    config, problem = config_from_widgets()
    dataset: Dataset | None = None
    if config is not None:
        try:
            dataset = make_dataset(config)
        except ValueError as error:
            problem = str(error)
    if problem is not None or config is None or dataset is None:
        st.error(f"{_plain(problem)}. Showing the last valid settings instead.")
        config = st.session_state.last_good_config
        dataset = make_dataset(config)
    else:
        st.session_state.last_good_config = config
        if st.query_params.to_dict() != config.to_query_params():
            st.query_params.from_dict(config.to_query_params())

    forecast_tab, training_tab, about_tab = st.tabs(["Forecast", "Training", "About"])
    with about_tab:
        about_ui()
    with forecast_tab:
        status_area = st.container()
        chart = st.empty()
        details_area = st.container()

    cache = result_cache(str(default_cache_dir()))
    key = result_key(config)
    st.session_state.wanted_key = key
    result = cache.get(key)
    for warning in cache.warnings:
        st.warning(_plain(warning))
    if result is None:
        # The actual curve first, before any training: the page never waits on TensorFlow to show something.
        boundary = (dataset.test_xs[0] + dataset.xs[config.lookback + dataset.n_train - 1]) / 2
        chart.plotly_chart(plots.series_figure(dataset.xs, dataset.ys, boundary), key="series_chart")
        paused = st.session_state.get("paused")
        if paused is not None and paused[0] == key:
            status_area.info(paused[1])
            return
        with status_area:
            result = training_ui(service, cache, config)
        if result is None:
            return
    views = result_views(key, result)
    chart.plotly_chart(views.forecast_figure, key="forecast_chart")
    with details_area:
        metrics_ui(views)
        downloads_ui(result, views)
    with training_tab:
        training_tab_ui(result, views)


if __name__ == "__main__":
    main()
