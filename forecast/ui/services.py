"""What every session of the server shares: the result cache, the training service, figures built per result."""

from __future__ import annotations

import dataclasses
import os

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import streamlit as st
from pandas.io.formats.style import Styler

from forecast import export, plots, report
from forecast.cache import ResultCache, default_cache_dir
from forecast.config import Config
from forecast.ensemble import Ensemble
from forecast.resources import default_concurrency
from forecast.result import Result
from forecast.training import TrainingService
from forecast.training.pool import DEFAULT_TRAININGS_PER_WORKER

__all__ = ["ResultViews", "exported_script", "result_cache", "result_views", "training_service"]


@st.cache_resource(show_spinner=False)
def _result_cache(directory: str) -> ResultCache:
    return ResultCache(directory)


def result_cache() -> ResultCache:
    """One result cache per server process and folder: a memory layer over the disk folder."""
    return _result_cache(str(default_cache_dir()))


@st.cache_resource(show_spinner=False)
def training_service() -> TrainingService:
    """One pool of training workers per server process, shared by every session."""
    return TrainingService(
        max_concurrent=int(os.environ.get("FORECAST_MAX_CONCURRENT", default_concurrency())),
        trainings_per_worker=int(os.environ.get("FORECAST_TRAININGS_PER_WORKER", DEFAULT_TRAININGS_PER_WORKER)),
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


def _styled(table: pd.DataFrame) -> Styler:
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
            _result.loss,
            _result.val_loss,
            scaled=_result.config.scaling != "none",
            validation=_result.config.patience > 0,
        ),
        metrics_table=_styled(report.metrics_table(_result)),
        ensemble_table=_styled(report.ensemble_table(_ensemble)) if _ensemble is not None else None,
        reading=report.reading(_result, _ensemble),
        predictions_csv=report.predictions_table(_result).to_csv(index=False),
        config_json=report.config_json(_result),
    )


@st.cache_resource(show_spinner=False, max_entries=32)
def exported_script(key: str, _config: Config, _raw_values: np.ndarray | None) -> str:
    """The standalone script for the config stored under `key` (`_raw_values`: its series before noise)."""
    return export.standalone_script(_config, _raw_values)
