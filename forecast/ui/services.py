"""What every session of the server shares: the result cache, the training service, figures built per result."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import gc
import json
import logging
import os
from collections.abc import AsyncIterator

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import streamlit as st
from pandas.io.formats.style import Styler

from forecast.config import Config
from forecast.report import export, future_plots, learning_plots, plots, tables
from forecast.resources import default_concurrency
from forecast.run.cache import ResultCache, default_cache_dir
from forecast.run.ensemble import Ensemble
from forecast.run.outcome import RunResult
from forecast.training import TrainingService, choice
from forecast.training.pool import DEFAULT_TRAININGS_PER_WORKER

__all__ = [
    "ResultViews",
    "exported_script",
    "freeze_startup_objects",
    "result_cache",
    "result_views",
    "show_backend_problem",
    "start_with_server",
    "training_service",
]

_LOGGER = logging.getLogger(__name__)


@st.cache_resource(show_spinner=False)
def freeze_startup_objects() -> int:
    """Once per server process: exclude what the imports created from every later full garbage collection.

    Streamlit runs `gc.collect(2)` after every script run (`runner.postScriptGC`), on the script thread and
    holding the GIL, right after it queued the run's last messages; the server cannot send them until it ends.
    Measured in this app's server, that walk over the ~150,000 objects of Streamlit, pandas, Plotly and this
    package took 0.4–0.8 s on a loaded 2-core machine — most of a cached reload. Frozen objects (modules,
    classes, functions: alive for the whole process anyway) are skipped, and the walk drops to a few thousand.
    Returns how many objects were frozen.
    """
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()


@st.cache_resource(show_spinner=False)
def _result_cache(directory: str) -> ResultCache:
    return ResultCache(directory)


def result_cache() -> ResultCache:
    """One result cache per server process and folder: a memory layer over the disk folder."""
    return _result_cache(str(default_cache_dir()))


@st.cache_resource(show_spinner=False)
def _training_service(ray_address: str | None) -> tuple[TrainingService, str | None]:
    settings = {
        "max_concurrent": int(os.environ.get("FORECAST_MAX_CONCURRENT", default_concurrency())),
        "trainings_per_worker": int(os.environ.get("FORECAST_TRAININGS_PER_WORKER", DEFAULT_TRAININGS_PER_WORKER)),
    }
    try:
        return choice.training_service(ray_address, **settings), None
    except ValueError as error:
        # The page says so in one sentence and trains here: a cluster that is down must not take the app down.
        problem = f"Training runs on this server because the Ray cluster is not available: {error}"
        return choice.training_service(None, **settings), problem


def training_service() -> TrainingService:
    """One training service per server process, shared by every session: on the Ray cluster that
    `FORECAST_RAY_ADDRESS` names, or (unset, or unreachable when the server started) a local pool of workers."""
    return _training_service(choice.ray_address())[0]


@contextlib.asynccontextmanager
async def start_with_server(_app: object) -> AsyncIterator[None]:
    """The server's lifespan (`st.App`): start the training service, and so its workers, as the server starts.

    Their TensorFlow import then overlaps the first visitor's page load instead of following the first script run.
    A problem here only loses that head start: the first page creates the service again and says what is wrong.
    """
    try:
        # In a thread, as a script run would: connecting to a Ray cluster must not happen on the server's event loop.
        await asyncio.to_thread(training_service)
    except Exception:  # Any problem at all: the server must start (see above).
        _LOGGER.exception("Could not start the training service with the server; the first page will retry")
    yield


def show_backend_problem() -> None:
    """Say, in one sentence, why training runs here although a Ray cluster is configured (nothing otherwise)."""
    problem = _training_service(choice.ray_address())[1]
    if problem is not None:
        st.warning(problem)


@dataclasses.dataclass(frozen=True)
class ResultViews:
    """Everything drawn from a run, built once per run: re-rendering a cached config then costs little."""

    forecast_figure: go.Figure  # with its epoch scrubber when the run has snapshots
    horizon_figure: go.Figure
    loss_figure: go.Figure
    metrics_table: Styler
    reading: str
    predictions_csv: str
    config_json: str
    backtest_figure: go.Figure
    backtest_table: Styler
    future_table: pd.DataFrame | None  # x, truth (functions), each model's forecast, lower and upper
    notes: list[str]  # what the intervals could not give
    warnings: list[str]  # forecasts that diverged: never shown silently as if they were answers


def _styled(table: pd.DataFrame) -> Styler:
    names = {"model": "Model", "forecast": "Forecast", "rmse": "RMSE", "mae": "MAE", "r2": "R²", "mase": "MASE"}
    return (
        table.rename(columns=names)
        .style.format({"RMSE": "{:.4g}", "MAE": "{:.4g}", "R²": "{:.4f}", "MASE": "{:.3g}"}, na_rep="n/a")
        .hide(axis="index")
    )


@st.cache_resource(show_spinner=False, max_entries=64)
def result_views(key: str, band: str, _run: RunResult, _ensemble: Ensemble | None) -> ResultViews:
    """The figures, tables and texts for the run stored under `key` (run and ensemble are not hashed)."""
    result = _run.result
    return ResultViews(
        # The scrubber's frames are built here, once per run, not on every rerun of a page that shows it.
        forecast_figure=learning_plots.with_scrubber(future_plots.run_figure(_run, _ensemble, band), result),
        horizon_figure=plots.horizon_figure(result),
        loss_figure=plots.loss_figure(
            result.loss,
            result.val_loss,
            scaled=result.config.scaling != "none",
            learning_rate=result.learning_rate,
            validation=result.config.patience > 0,
        ),
        metrics_table=_styled(tables.metrics_table(result)),
        reading=tables.run_reading(_run, _ensemble),
        predictions_csv=tables.predictions_table(result).to_csv(index=False),
        config_json=json.dumps(_run.config.to_dict(), indent=2),
        backtest_figure=future_plots.backtest_figure(_run),
        backtest_table=tables.backtest_table(_run).style.hide(axis="index"),
        future_table=tables.future_table(_run) if _run.future is not None else None,
        notes=tables.interval_notes(_run),
        warnings=tables.run_warnings(_run),
    )


@st.cache_resource(show_spinner=False, max_entries=32)
def exported_script(key: str, _config: Config, _raw_values: np.ndarray | None) -> str:
    """The standalone script for the config stored under `key` (`_raw_values`: its series before noise)."""
    return export.standalone_script(_config, _raw_values)
