"""Training status above the tabs: results from the cache or trained in workers, progress, a live loss curve, Stop."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from forecast.data import Dataset, Fold, folds
from forecast.report import plots
from forecast.run import keys, pipeline
from forecast.run.cache import ResultCache
from forecast.run.keys import Task
from forecast.run.outcome import RunResult
from forecast.run.result import Result
from forecast.training import Job, JobState, Subscription, TrainingService
from forecast.ui import state as state_module
from forecast.ui.messages import plain, show_problem
from forecast.ui.page import Page

__all__ = ["STOPPED_MESSAGE", "on_stop", "progress_box", "resolve"]

STOPPED_MESSAGE = "Training stopped. Press **Train** to start it again."
POLL_SECONDS = 0.15
LIVE_CHART_SECONDS = 0.5


def progress_box(
    stop_key: str, stop: Callable[[], None], stop_help: str
) -> tuple[DeltaGenerator, DeltaGenerator, DeltaGenerator]:
    """A bordered box with a progress bar and a Stop button beside it: (its slot, the box, the bar).

    The slot empties the whole box when the work is done; more can be drawn into the box below the bar.
    """
    slot = st.empty()
    box = slot.container(border=True)
    with box:
        left, right = st.columns([4, 1], vertical_alignment="center")
        bar = left.progress(0.0, text="Starting…")
        right.button("Stop", key=stop_key, on_click=stop, help=stop_help, width="stretch")
    return slot, box, bar


def on_stop() -> None:
    state = state_module.get_existing()
    state.pause = state_module.Pause(state.wanted_key, STOPPED_MESSAGE)
    state.abandon_training()


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


# The share of the bar that training fills; the rest is each network's forecasts and its window's baselines.
TRAINING_SHARE = 0.9


def _progress_text(service: TrainingService, jobs: list[Job], cached: int = 0) -> tuple[float, str]:
    """How far the run is, and a line saying so: networks trained of the run's, then the running one's epoch (or
    the forecasts and baseline fits after training).

    `cached`: the run's networks that came from the cache (they count as trained)."""
    networks = len(jobs) + cached
    shares = [1.0 if job.finished else TRAINING_SHARE * len(job.reports) / job.config.epochs for job in jobs]
    fraction = (sum(shares) + cached) / networks
    prefix = f"{sum(job.finished for job in jobs) + cached} of {networks} networks trained · " if networks > 1 else ""
    running = [job for job in jobs if not job.finished]
    active = running[0] if running else jobs[-1]
    if active.state == JobState.QUEUED:
        ahead = service.queue_position(active)
        if ahead:
            trainings = f"{ahead} training{'s' if ahead > 1 else ''}"
            return 0.0, f"{prefix}Waiting for a free trainer: {trainings} ahead of yours…"
        return fraction, f"{prefix}Starting the trainer…"
    latest = active.latest
    if latest is None:
        return fraction, f"{prefix}Building the model and compiling the training loop…"
    if running and all(job.latest is not None and job.latest.epoch == job.config.epochs for job in running):
        return fraction, f"{prefix}Forecasting with each network and fitting the baselines of each window…"
    return fraction, (
        f"{prefix}Epoch {latest.epoch}/{latest.epochs} · loss {latest.loss:.4g} · "
        f"test loss {latest.val_loss:.4g} · {latest.elapsed:.1f}s"
    )


# Draws the forecasts the running jobs have sent so far (their reports' snapshots) where the page shows them.
LiveDrawer = Callable[[list[Job]], None]


def _follow(
    service: TrainingService,
    subscriptions: list[Subscription],
    bar: DeltaGenerator,
    live_chart: DeltaGenerator,
    cached: int = 0,
    live: LiveDrawer | None = None,
) -> bool:
    """Update the progress bar, the live loss curve and (with `live`) the forecast so far until every job ends, at
    most every LIVE_CHART_SECONDS whatever the epoch rate; False if the tab went away."""
    shown: tuple[str | None, int] = (None, 0)
    last_drawn = 0.0
    jobs = [subscription.job for subscription in subscriptions]
    while True:
        # One look at which jobs are still running per round: a job may finish at any moment (in the backend's
        # thread), and asking again further down could find none left.
        running = [job for job in jobs if not job.finished]
        if not running:
            break
        fraction, text = _progress_text(service, jobs, cached)
        bar.progress(min(fraction, 1.0), text=text)
        job = running[0]
        reports = job.reports
        now = time.monotonic()
        if (job.key, len(reports)) != shown and reports and now - last_drawn >= LIVE_CHART_SECONDS:
            shown, last_drawn = (job.key, len(reports)), now
            _draw_live(job, live_chart, jobs, live)
        if not _session_is_connected():
            for subscription in subscriptions:
                subscription.abandon()  # The tab is gone: nobody will see these trainings.
            return False
        # Wakes as soon as the job ends; otherwise redraws the progress a few times a second.
        job.wait(POLL_SECONDS)
    return True


def _draw_live(job: Job, live_chart: DeltaGenerator, jobs: list[Job], live: LiveDrawer | None) -> None:
    """The running job's loss curve so far, and (with `live`) every job's forecasts so far."""
    reports = job.reports
    figure = plots.loss_figure(
        [report.loss for report in reports],
        [report.val_loss for report in reports],
        scaled=job.config.scaling != "none",
        validation=job.config.patience > 0,
    )
    live_chart.plotly_chart(figure, height=260)
    if live is not None:
        live(jobs)


def _train(
    service: TrainingService,
    cache: ResultCache,
    tasks: list[Task],
    datasets: list[Dataset],
    cached: int = 0,
    live: LiveDrawer | None = None,
) -> list[Result] | None:
    """Train `tasks` in workers, showing progress and a live loss curve; None if one failed or was stopped."""
    state = state_module.get_existing()
    # Submitted together: a worker trains a fold's networks as a team and fits its baselines once.
    subscriptions = service.subscribe_many(tasks, cache, datasets)
    state.subscriptions = subscriptions
    slot, box, bar = progress_box("stop", on_stop, "Stop this training.")
    live_chart = box.empty()
    try:
        if not _follow(service, subscriptions, bar, live_chart, cached, live):
            return None
    finally:
        # Reruns, and sessions Streamlit stops, land here too. No Streamlit call is allowed here (a stopped
        # session raises on every one), so subscriptions are released directly: a job is cancelled after a
        # short grace unless the next run picks it up again, or at once by a callback that knows it will not.
        for subscription in subscriptions:
            subscription.release()
    slot.empty()
    jobs = [subscription.job for subscription in subscriptions]
    for warning in dict.fromkeys(warning for job in jobs for warning in job.warnings):
        st.warning(plain(warning))
    failed = [job for job in jobs if job.state == JobState.FAILED]
    for job in failed:
        show_problem(job.error or "Training failed.")
    if failed:
        return None
    if any(job.result is None for job in jobs):
        # Never end in silence: a training this page waited for was stopped (by the server shutting down, say).
        st.info(STOPPED_MESSAGE)
        return None
    return [job.result for job in jobs if job.result is not None]


@dataclasses.dataclass
class _Resolution:
    """One run's way to its results: the page, where to train and where to say what happened."""

    page: Page
    service: TrainingService
    cache: ResultCache
    area: DeltaGenerator
    before_training: Callable[[], LiveDrawer | None]
    # This run's cache problems only: the cache is shared by every session of the server.
    warnings: list[str] = dataclasses.field(default_factory=list)
    shown: set[str] = dataclasses.field(default_factory=set)

    def show_cache_warnings(self) -> None:
        # Before training if there is any (a damaged entry explains why it trains again), each once.
        for warning in self.warnings:
            if warning not in self.shown:
                self.shown.add(warning)
                self.area.warning(plain(warning))

    def train_in_workers(self, missing: list[Task]) -> list[Result] | None:
        self.show_cache_warnings()
        page, state = self.page, state_module.get_existing()
        if page.plan is None:
            self.area.info(plain(page.missing_upload or "This series is not available here."))
            return None
        live = self.before_training()
        if state.pause is not None and state.pause.key == page.key:
            self.area.info(state.pause.message)
            return None
        # Each fold's members share its dataset: they differ only in the seed (an ensemble has no noise).
        datasets = [page.plan.datasets[task.fold] for task in missing]
        with self.area:
            results = _train(self.service, self.cache, missing, datasets, len(page.plan.tasks) - len(missing), live)
        if results is not None:
            # Switching tabs reruns the page, which then finds these networks in the cache: they were trained now.
            state.trained_key = page.key
        return results


def resolve(
    page: Page,
    service: TrainingService,
    cache: ResultCache,
    area: DeltaGenerator,
    before_training: Callable[[], LiveDrawer | None],
) -> RunResult | None:
    """Every network of the page's run: cached ones at once, the others trained in workers.

    Before training, `before_training` draws what can be shown without a result (the actual curve), and may return
    a drawer for the forecasts the networks send while they train. Returns
    None when nothing can be shown yet: the training was stopped, failed, is paused, or lacks its file.
    """
    state_module.get_existing().wanted_key = page.key
    resolution = _Resolution(page, service, cache, area, before_training)
    run_folds, run_tasks = _tasks(page, area)
    if run_tasks is None:
        return None
    results = pipeline.resolve(run_tasks, cache, resolution.train_in_workers, resolution.warnings)
    if results is not None:
        resolution.show_cache_warnings()
        if page.missing_upload is not None:
            area.info(
                "This run used an uploaded file that this page does not have; its results are still in this "
                "server's cache, shown below. Upload the same file to change its settings."
            )
    return RunResult(page.config, tuple(run_folds), _by_fold(run_folds, run_tasks, results)) if results else None


def _tasks(page: Page, area: DeltaGenerator) -> tuple[list[Fold], list[Task] | None]:
    """The run's folds and networks; without the series (an uploaded file not at hand) as far as they are known."""
    if page.plan is not None:
        return list(page.plan.folds), list(page.plan.tasks)
    try:
        run_folds = folds(page.config, None)
    except ValueError:
        area.info(plain(page.missing_upload or "This series is not available here."))
        return [], None
    return run_folds, keys.tasks(page.config, run_folds)


def _by_fold(run_folds: list[Fold], run_tasks: list[Task], results: list[Result]) -> tuple[tuple[Result, ...], ...]:
    pairs = list(zip(run_tasks, results, strict=True))
    return tuple(tuple(result for task, result in pairs if task.fold == fold) for fold in run_folds)
