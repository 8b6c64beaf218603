"""The Sweep tab: one or two fields varied over lists or ranges, the rest from the sidebar; errors per cell.

Cells already in the cache come back at once; the others train on the same service as every run (the local
pool, or Ray when `FORECAST_RAY_ADDRESS` is set) while this tab is open, with "k of n done" and Stop. The sweep's
definition is in the URL (`sweep=lookback:4,8;units:16,32`): a link fills the inputs and shows the cached cells,
and Run sweep trains the rest.
"""

from __future__ import annotations

import dataclasses

import pandas as pd
import streamlit as st

from forecast import sweep as sweep_module
from forecast.config import Config
from forecast.data import make_dataset
from forecast.report import sweep_plots
from forecast.run.keys import Task, result_key
from forecast.run.result import Result
from forecast.sweep import Sweep
from forecast.training import JobState, Subscription
from forecast.ui import services, status
from forecast.ui import state as state_module
from forecast.ui.messages import plain, show_problem
from forecast.ui.page import Page
from forecast.ui.views import Shown
from forecast.ui.views import forecast as forecast_view

__all__ = ["LABEL", "NEEDS_RESULT", "NO_FIELD", "SweepSession", "render"]

LABEL = "Sweep"
NEEDS_RESULT = True
NO_FIELD = "(none)"
SESSION_KEY = "sweep_session"
POLL_SECONDS = 0.15
STOPPED_MESSAGE = "Sweep stopped. Finished cells are kept: press **Run sweep** to train the rest."
VALUES_HELP = (
    "A list (4,8,12), a range with both ends included (4:16:4 → 4, 8, 12, 16) or a geometric range "
    "(8:64:*2 → 8, 16, 32, 64). At most 64 cells in all."
)
# The inputs' keys and their starting values: the tab draws its widgets only while it is open, and Streamlit
# forgets the keys of widgets it does not draw, so the session keeps the values and gives them back.
INPUTS = {"sweep_field_1": "lookback", "sweep_values_1": "4,8,12", "sweep_field_2": NO_FIELD, "sweep_values_2": ""}


@dataclasses.dataclass
class SweepSession:
    """This session's sweep: its inputs, the definition being shown, whether it trains, and why it does not."""

    inputs: dict[str, str] = dataclasses.field(default_factory=lambda: dict(INPUTS))
    definition: str | None = None  # `Sweep.to_query_value()` of the sweep shown
    running: bool = False
    message: str | None = None  # why it stopped, or what was wrong with the inputs
    subscriptions: list[Subscription] = dataclasses.field(default_factory=list)
    link_read: bool = False

    def abandon(self) -> None:
        for subscription in self.subscriptions:
            subscription.abandon()
        self.subscriptions = []


def _session() -> SweepSession:
    session = st.session_state.get(SESSION_KEY)
    if session is None:
        session = st.session_state[SESSION_KEY] = SweepSession()
    return session


def _read_link(session: SweepSession) -> None:
    """Once per session: a link's `sweep` parameter fills the inputs and is shown (cached cells only)."""
    if session.link_read:
        return
    session.link_read = True
    try:
        definition = Sweep.from_query_params(st.query_params.to_dict())
    except ValueError as error:
        session.message = f"The link's sweep was not used: {error}"
        return
    if definition is None:
        return
    session.definition = definition.to_query_value()
    session.inputs = _inputs_for(definition)


def _inputs_for(definition: Sweep) -> dict[str, str]:
    inputs = dict(INPUTS)
    for number, variation in enumerate(definition.variations, start=1):
        inputs[f"sweep_field_{number}"] = variation.field
        inputs[f"sweep_values_{number}"] = variation.to_text()
    if len(definition.variations) == 1:
        inputs["sweep_field_2"], inputs["sweep_values_2"] = NO_FIELD, ""
    return inputs


def _definition_from_inputs(inputs: dict[str, str]) -> Sweep:
    """The sweep the inputs describe; ValueError saying what to fix."""
    variations = []
    for number in (1, 2):
        field, values = inputs[f"sweep_field_{number}"], inputs[f"sweep_values_{number}"]
        if field == NO_FIELD:
            continue
        variations.append(sweep_module.Variation(field, sweep_module.parse_values(field, values)))
    return Sweep(tuple(variations))


def _on_run() -> None:
    session = _session()
    session.inputs = {key: st.session_state.get(key, value) for key, value in session.inputs.items()}
    session.abandon()
    try:
        definition = _definition_from_inputs(session.inputs)
    except ValueError as error:
        session.message, session.running = str(error), False
        return
    session.definition, session.running, session.message = definition.to_query_value(), True, None


def _on_stop() -> None:
    session = _session()
    session.running, session.message = False, STOPPED_MESSAGE
    session.abandon()


def _on_load(configs: dict[str, Config]) -> None:
    """Open the chosen cell's run in the Forecast tab: its settings go to the sidebar (and the URL)."""
    # The choice as it is now (read here, not bound when the button was drawn, so a change just made counts).
    config = configs[st.session_state["sweep_cell"]]
    state = state_module.get_existing()
    state.pause = None
    state.apply(config)
    st.session_state["view"] = forecast_view.LABEL


def _inputs(session: SweepSession) -> None:
    for key, value in session.inputs.items():
        st.session_state[key] = value
    choices = list(sweep_module.SWEEPABLE_FIELDS)
    with st.form("sweep_form", border=False):
        for number, options in ((1, choices), (2, [NO_FIELD, *choices])):
            left, right = st.columns([1, 2])
            left.selectbox(
                "Vary" if number == 1 else "and (optional)",
                options,
                key=f"sweep_field_{number}",
                help="A field of the config; every other field comes from the sidebar.",
            )
            right.text_input("values", key=f"sweep_values_{number}", help=VALUES_HELP)
        st.form_submit_button("Run sweep", key="sweep_run", on_click=_on_run, type="primary")


def _cell_label(definition: Sweep, config: Config) -> str:
    return ", ".join(f"{field}={getattr(config, field)!r}" for field in definition.fields)


def _train(
    session: SweepSession, page: Page, definition: Sweep, cells: list[Config], found: list[Result | None]
) -> None:
    """Train the cells the cache lacks while the tab is open, with "k of n done" and Stop; fills `found`."""
    service, cache = services.training_service(), services.result_cache()
    missing = [index for index, result in enumerate(found) if result is None]
    # Submitted together: a worker trains cells of one structure as teams and fits their baselines once.
    subscriptions = service.subscribe_many(
        [Task(cells[index]) for index in missing],
        cache,
        [make_dataset(cells[index], series=page.series) for index in missing],
    )
    session.subscriptions = subscriptions
    slot, _, bar = status.progress_box("sweep_stop", _on_stop, "Stop the sweep.")
    jobs = [subscription.job for subscription in subscriptions]
    try:
        if not _wait_for(jobs, len(cells), bar):
            session.abandon()  # The browser tab is gone: nobody will see these cells.
            return
    finally:
        # As for a single run: a rerun releases the cells (they are cancelled after a short grace unless the
        # next run picks them up); Stop abandons them at once.
        for subscription in subscriptions:
            subscription.release()
    slot.empty()
    session.running, session.subscriptions = False, []
    for index, job in zip(missing, jobs, strict=True):
        found[index] = job.result
    failed = [job for job in jobs if job.state == JobState.FAILED]
    if failed:
        first = failed[0]
        where = _cell_label(definition, first.config)
        show_problem(f"{len(failed)} of {len(cells)} cells failed ({where}: {first.error})")


def _wait_for(jobs: list, cell_count: int, bar) -> bool:
    """Move the bar until every job has finished; False when the browser tab went away first."""
    cached = cell_count - len(jobs)
    while True:
        done = cached + sum(job.finished for job in jobs)
        # Cells trained as a team finish together: the bar moves with their epochs meanwhile.
        share = cached + sum(1 if job.finished else len(job.reports) / job.config.epochs for job in jobs)
        bar.progress(min(share / cell_count, 1.0), text=f"{done} of {cell_count} done")
        waiting = [job for job in jobs if not job.finished]
        if not waiting:
            return True
        if not status._session_is_connected():
            return False
        waiting[0].wait(POLL_SECONDS)


def _results_table(definition: Sweep, cells: list[Config], found: list[Result | None]) -> pd.DataFrame:
    rows = []
    for config, result in zip(cells, found, strict=True):
        row = {field: getattr(config, field) for field in definition.fields}
        if result is None:
            row |= {"one-step RMSE": None, "recursive RMSE": None, "fit s": None, "cached": None}
        else:
            row |= {
                "one-step RMSE": result.metrics["lstm"]["one_step"]["rmse"],
                "recursive RMSE": result.metrics["lstm"]["recursive"]["rmse"],
                "fit s": result.fit_seconds,
                "cached": result.cached,
            }
        rows.append(row)
    return pd.DataFrame(rows)


def _results(definition: Sweep, cells: list[Config], found: list[Result | None]) -> None:
    metrics = [result.metrics if result is not None else None for result in found]
    finished = [index for index, result in enumerate(found) if result is not None]
    try:
        best = sweep_module.best_index(metrics) if finished else None
    except ValueError:  # every finished cell diverged
        best = None
    figure = sweep_plots.sweep_figure(definition, metrics, best=best)
    st.plotly_chart(figure, key="sweep_chart")
    if best is not None:
        lstm, naive = metrics[best]["lstm"]["recursive"], metrics[best]["naive"]["recursive"]  # type: ignore[index]
        linear_ar = metrics[best]["linear_ar"]["recursive"]  # type: ignore[index]
        st.markdown(
            f"**Best cell by recursive error: {plain(_cell_label(definition, cells[best]))}** — recursive test RMSE "
            f"{lstm['rmse']:.4g} (naive {naive['rmse']:.4g}, linear AR {linear_ar['rmse']:.4g} on the same test part)."
        )
    st.dataframe(_results_table(definition, cells, found), hide_index=True, key="sweep_table")
    if not finished:
        return
    labels = {_cell_label(definition, cells[index]): index for index in finished}
    left, right = st.columns([3, 1], vertical_alignment="bottom")
    left.selectbox(
        "Open a cell",
        list(labels),
        index=finished.index(best) if best is not None else 0,
        key="sweep_cell",
        help="Show this cell's run in the Forecast tab: its settings replace the sidebar's. A cell is one network "
        "on the holdout, so the sidebar's ensemble, future, backtest windows and interval are set to 1, 0, 1 and "
        "off; set them again there for a whole forecast.",
    )
    right.button(
        "Load in Forecast",
        key="sweep_load",
        on_click=_on_load,
        args=({label: cells[index] for label, index in labels.items()},),
        width="stretch",
    )
    _load_note()


def _load_note() -> None:
    """Loading a cell changes the run-wide settings the sidebar holds: said where it would."""
    run_wide = {"ensemble": 1, "horizon": 0, "backtest_windows": 1, "interval": 0}
    if any(st.session_state.get(name, value) != value for name, value in run_wide.items()):
        st.caption(
            "Loading a cell sets the sidebar's ensemble to 1, the future to 0, backtest windows to 1 and the "
            "interval off (a cell is one network on the holdout): set them again there for a whole forecast."
        )


def render(shown: Shown) -> None:
    session = _session()
    _read_link(session)
    page = shown.page
    st.caption(
        "Vary one or two settings (every other one comes from the sidebar, as last trained) and compare the "
        "LSTM's test error across them, beside the naive and linear-AR baselines. Each cell is one network on the "
        "holdout (no ensemble, future, backtest windows or interval). Cells trained before come from the cache."
    )
    _inputs(session)
    if session.message is not None:
        (st.info if session.message == STOPPED_MESSAGE else show_problem)(session.message)
    if session.definition is None:
        return
    definition = Sweep.from_query_value(session.definition)
    if page.series is None:
        st.info(plain(page.missing_upload or "This series is not available here."))
        return
    try:
        cells = sweep_module.expand(page.config, definition, n_points=len(page.series.ys))
    except ValueError as error:
        show_problem(error, "Change the values or the sidebar's settings.")
        return
    if st.query_params.get(sweep_module.QUERY_PARAMETER) != session.definition:
        st.query_params[sweep_module.QUERY_PARAMETER] = session.definition
    cache = services.result_cache()
    found: list[Result | None] = [cache.get(result_key(cell)) for cell in cells]
    missing = sum(result is None for result in found)
    if missing and session.running:
        _train(session, page, definition, cells, found)
    elif missing and session.message is None:
        st.info(f"{len(cells) - missing} of {len(cells)} cells are cached. Press **Run sweep** to train the rest.")
    session.running = False
    _results(definition, cells, found)
