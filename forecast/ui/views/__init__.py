"""One module per tab. Each has a LABEL, NEEDS_RESULT, and `render(shown)` drawing into the open tab.

A view with NEEDS_RESULT False is drawn before any training and gets None instead of a `Shown`.
"""

from __future__ import annotations

import dataclasses

from forecast.run.ensemble import Ensemble
from forecast.run.outcome import RunResult
from forecast.run.result import Result
from forecast.ui.page import Page
from forecast.ui.services import ResultViews
from forecast.ui.state import SessionState

__all__ = ["Shown"]


@dataclasses.dataclass(frozen=True)
class Shown:
    """What the views draw: the page, the session, the result with its figures (and its ensemble, if any)."""

    page: Page
    state: SessionState
    result: Result  # the holdout, its LSTM the ensemble's mean
    views: ResultViews
    ensemble: Ensemble | None = None
    run: RunResult | None = None  # every fold: the backtest windows and the future
