"""One module per tab. Each has a LABEL, NEEDS_RESULT, and `render(shown)` drawing into the open tab."""

from __future__ import annotations

import dataclasses

from forecast.ensemble import Ensemble
from forecast.result import Result
from forecast.ui.page import Page
from forecast.ui.services import ResultViews
from forecast.ui.state import SessionState

__all__ = ["Shown"]


@dataclasses.dataclass(frozen=True)
class Shown:
    """What the views draw: the page, the session, and (once there is one) the result with its figures."""

    page: Page
    state: SessionState
    result: Result | None = None
    ensemble: Ensemble | None = None
    views: ResultViews | None = None
