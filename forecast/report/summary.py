"""A run as the command line's JSON object (DESIGN §3.4, §3.4b): the holdout, the backtest, the future."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from forecast.data import calendar
from forecast.run.ensemble import summarize
from forecast.run.outcome import RunResult
from forecast.run.result import snapshots_summary

__all__ = ["finite", "run_summary", "x_values"]


def finite(value: Any) -> Any:
    """JSON-safe: NaN and infinities become None, numpy numbers plain ones, in nested dicts and lists too."""
    if isinstance(value, dict):
        return {key: finite(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [finite(item) for item in value]
    if isinstance(value, np.ndarray):
        return finite(value.tolist())
    if isinstance(value, float | np.floating):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, np.integer):
        return int(value)
    return value


def x_values(xs: np.ndarray) -> list:
    """x values as JSON: ISO dates (with the time of day where the series has one), or numbers."""
    xs = np.asarray(xs)
    if not np.issubdtype(xs.dtype, np.datetime64):
        # A grid's x_start + k·x_step carries float noise (20.200000000000003): 12 significant digits read true.
        return [float(f"{x:.12g}") for x in xs]
    return calendar.iso_text(xs)


def _backtest(run: RunResult) -> dict[str, Any]:
    windows = []
    best = run.best_by_window()
    for index, window in enumerate(run.windows):
        origin = x_values(window.xs[window.n_train_points - 1 : window.n_train_points])[0]
        coverage = {model: run.coverage(model, index) for model in window.models} if run.config.interval else {}
        windows.append(
            {
                "origin": origin,
                "n_train": window.n_train,
                "n_test": window.n_test,
                "metrics": window.metrics,
                "coverage": coverage,
                "best": best[index],
            }
        )
    return {"windows": windows, "mean": run.mean_metrics, "spread": run.spread, "best": run.best()}


def _future(run: RunResult) -> dict[str, Any]:
    future = run.future
    models = {}
    for model in future.models:
        band = run.band(model, -1)
        models[model] = {
            "forecast": future.future(model),
            "lower": band.lower if band is not None else None,
            "upper": band.upper if band is not None else None,
            **({"interval": band.method} if band is not None else {}),
        }
    block: dict[str, Any] = {"x": x_values(future.future_xs), "models": models}
    if future.config.snapshot_every > 0:
        block["snapshots"] = snapshots_summary(future.snapshots)
    if future.truth is not None:
        block["truth"] = future.truth
        block["metrics"] = future.future_metrics
        if run.config.interval:
            block["coverage"] = {model: run.future_coverage(model) for model in future.models}
    return block


def run_summary(run: RunResult, warnings: list[str] | None = None) -> dict[str, Any]:
    """The JSON object: the holdout's numbers (the LSTM an ensemble's mean), the backtest and the future."""
    summary = run.result.summary()
    summary |= {
        "config": run.config.to_dict(),
        "fit_seconds": round(run.fit_seconds, 4),
        "cached": run.cached,
        "networks": run.networks,
        "networks_trained": run.trained,
    }
    if run.config.ensemble > 1:
        ensemble = summarize(list(run.members))
        summary["ensemble"] = {
            "size": ensemble.size,
            "seeds": list(ensemble.seeds),
            "member_rmse_range": {kind: list(bounds) for kind, bounds in ensemble.member_rmse.items()},
        }
    summary["backtest"] = _backtest(run)
    if run.future is not None:
        summary["future"] = _future(run)
    summary["warnings"] = list(warnings or [])
    return finite(summary)
