"""Sweeps: one or two Config fields varied over lists or ranges of values, as a bounded grid of runs."""

from forecast.sweep.cells import CellResult, best_index, expand, summary, sweep_cost
from forecast.sweep.grid import (
    MAX_CELLS,
    MAX_SWEEP_COST,
    MAX_SWEEP_STEPS,
    MAX_VARIED_FIELDS,
    QUERY_PARAMETER,
    SWEEPABLE_FIELDS,
    Sweep,
    Variation,
    parse_values,
    parse_variation,
)

__all__ = [
    "MAX_CELLS",
    "MAX_SWEEP_COST",
    "MAX_SWEEP_STEPS",
    "MAX_VARIED_FIELDS",
    "QUERY_PARAMETER",
    "SWEEPABLE_FIELDS",
    "CellResult",
    "Sweep",
    "Variation",
    "best_index",
    "expand",
    "parse_values",
    "parse_variation",
    "summary",
    "sweep_cost",
]
