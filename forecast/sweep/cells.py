"""A sweep's cells: one Config per combination of values, within the sweep budget, and the best of them."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from forecast import data
from forecast.config import Config
from forecast.sweep.grid import MAX_SWEEP_COST, MAX_SWEEP_STEPS, SWEEP_BUDGET_TRAININGS, Sweep, format_value

__all__ = ["CellResult", "best_index", "expand", "summary", "sweep_cost"]


def sweep_cost(cells: Sequence[Config], n_points: int) -> tuple[float, int]:
    """Multiply-adds and optimizer steps of training every cell, summed (as `data.training_cost` counts them).

    Each cell's training windows are counted by the same split the training uses (test size, differencing).
    """
    total_cost, total_steps = 0.0, 0
    for cell in cells:
        n_train, _ = data.window_counts(cell, n_points)
        cost, steps = data.training_cost(cell, n_train)
        total_cost += cost * cell.ensemble
        total_steps += steps * cell.ensemble
    return total_cost, total_steps


def expand(base: Config, sweep: Sweep, *, n_points: int | None = None) -> list[Config]:
    """The sweep's cells: `base` with each combination of values, one network each (ensemble 1), in grid order.

    Every cell is validated as a Config (bounds, the split, the single-training budget), and all cells together
    must stay within the sweep budget. `n_points` is the series' length (as the caller has it prepared); when
    None it is read from the base config's series, which an uploaded file's config cannot do (MissingUpload).
    Raises ValueError saying which cell fails, or what to cut.
    """
    if n_points is None:
        n_points = len(data.load_series(base).ys)
    cells = []
    for changes in sweep.changes():
        try:
            # One network on the usual holdout: the run-wide fields (future, backtest windows, interval) are the
            # Forecast tab's, not a cell's.
            cell = base.replace(ensemble=1, horizon=0, backtest_windows=1, interval=0, **changes)
            data.check_fits(cell, n_points)
        except ValueError as error:
            where = ", ".join(f"{field}={format_value(value)}" for field, value in changes.items())
            raise ValueError(f"sweep cell {where}: {error}") from None
        cells.append(cell)
    cost, steps = sweep_cost(cells, n_points)
    if cost > MAX_SWEEP_COST:
        raise ValueError(
            f"this sweep would cost {cost:.2g} multiply-adds over its {len(cells)} cells, over the sweep budget of "
            f"{MAX_SWEEP_COST:.0e} ({SWEEP_BUDGET_TRAININGS} full trainings): "
            f"{_cut_advice(base, sweep, cost / MAX_SWEEP_COST)}"
        )
    if steps > MAX_SWEEP_STEPS:
        raise ValueError(
            f"this sweep would take {steps} optimizer steps over its {len(cells)} cells, over the sweep budget of "
            f"{MAX_SWEEP_STEPS}: {_cut_advice(base, sweep, steps / MAX_SWEEP_STEPS, steps=True)}"
        )
    return cells


def _cut_advice(base: Config, sweep: Sweep, over: float, *, steps: bool = False) -> str:
    """What to cut, with numbers: fewer cells, or (if epochs is not varied) fewer epochs."""
    fewest = max(1, math.floor(sweep.size / over))
    advice = [f"use fewer values (about {fewest} cells at this cost instead of {sweep.size})"]
    if "epochs" not in sweep.fields:
        advice.append(f"lower epochs (at most {max(1, math.floor(base.epochs / over))})")
    advice.append("raise batch_size" if steps else "lower units, layers or lookback")
    return ", or ".join(advice)


class CellResult(Protocol):
    """What a sweep needs of a trained cell: the plain fields of a `Result`."""

    config: Config
    metrics: Mapping[str, Mapping[str, Mapping[str, float]]]
    cached: bool
    fit_seconds: float


def _score(metrics: Mapping[str, Any], model: str, kind: str, metric: str) -> float:
    try:
        value = metrics[model][kind][metric]
    except (KeyError, TypeError):
        return math.inf
    if value is None or not math.isfinite(value):
        return math.inf  # A diverged training (NaN) never wins.
    return float(value)


def best_index(
    metrics: Sequence[Mapping[str, Any]], *, model: str = "lstm", kind: str = "recursive", metric: str = "rmse"
) -> int:
    """Index of the cell with the lowest error (by default the LSTM's recursive test RMSE); the first on ties.

    Cells whose score is missing or not finite rank last; ValueError if no cell has a score.
    """
    scores = [_score(cell, model, kind, metric) for cell in metrics]
    if not scores or min(scores) == math.inf:
        raise ValueError(f"no cell has a finite {model} {kind} {metric} to pick the best by")
    return scores.index(min(scores))


def _finite_or_none(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {key: _finite_or_none(item) for key, item in value.items()}
    value = float(value)
    return value if math.isfinite(value) else None


def summary(results: Sequence[CellResult]) -> dict[str, Any]:
    """The command line's sweep JSON (DESIGN §3.4): `{"cells": [...], "best": {...}}`, best by recursive RMSE."""
    cells = [
        {
            "config": result.config.to_dict(),
            "metrics": _finite_or_none(result.metrics),
            "cached": bool(result.cached),
            "fit_seconds": round(float(result.fit_seconds), 4),
        }
        for result in results
    ]
    best = best_index([cell["metrics"] for cell in cells])
    return {"cells": cells, "best": cells[best]}
