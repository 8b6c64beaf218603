"""The run command: python -m forecast [--expression EXPR] … [--json] [--plot FILE.html] [--no-cache]."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence

from forecast.cli.parser import (
    EXIT_FAILED,
    EXIT_STOPPED,
    RUN_PROGRAM,
    build_parser,
    fail,
    progress_printer,
    request_from,
)
from forecast.config import Config
from forecast.data import sources
from forecast.models.progress import ProgressCallback
from forecast.report.summary import run_summary
from forecast.report.tables import interval_notes, run_warnings
from forecast.run.keys import ResultStore, Task
from forecast.run.outcome import RunResult
from forecast.run.result import Result

__all__ = ["main"]


def _table(summary: dict) -> str:
    """The holdout's metrics, a row per model and kind (the LSTM: an ensemble's mean)."""
    lines = [f"{'model':<15} {'forecast':<10} {'rmse':>12} {'mae':>12} {'r2':>10} {'mase':>10}"]
    for model, kinds in summary["metrics"].items():
        for kind, values in kinds.items():
            cells = [f"{_number(values[name]):>12}" for name in ("rmse", "mae")]
            r2 = f"{values['r2']:>10.4f}" if values["r2"] is not None else f"{'n/a':>10}"
            lines.append(f"{model:<15} {kind:<10} {cells[0]} {cells[1]} {r2} {_number(values.get('mase')):>10}")
    return "\n".join(lines)


def _future_table(summary: dict) -> str:
    """The future as text: one row per step, each model's forecast (and the interval of the LSTM's)."""
    future = summary["future"]
    models = list(future["models"])
    lstm = future["models"]["lstm"]
    banded = lstm["lower"] is not None
    header = f"{'x':<20}" + (f" {'truth':>11}" if "truth" in future else "") + "".join(f" {m:>14}" for m in models)
    lines = [header + (f" {'lstm lower':>12} {'lstm upper':>12}" if banded else "")]
    for step, x in enumerate(future["x"]):
        cells = [f"{future['models'][model]['forecast'][step]:>14.6g}" for model in models]
        truth = f" {future['truth'][step]:>11.6g}" if "truth" in future and future["truth"][step] is not None else ""
        band = ""
        if banded:
            band = "".join(f" {_number(lstm[edge][step]):>12}" for edge in ("lower", "upper"))
        lines.append(f"{x!s:<20}{truth} " + " ".join(cells) + band)
    return "\n".join(lines)


def _number(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.6g}"


def _print_text(config: Config, run: RunResult, summary: dict, plot: str | None) -> None:
    result = run.result
    networks = f"{run.networks} network{'s' * (run.networks > 1)}"
    origin = "all from the cache" if run.cached else f"trained in {run.fit_seconds:.2f}s ({run.trained} of {networks})"
    print(
        f"{sources.get(config.source).label(config)}: {result.n_points} points, {result.n_train} train / "
        f"{result.n_test} test windows, {result.epochs_run} epochs, {networks}, {origin}"
    )
    if run.config.ensemble > 1:
        seeds = f"{config.seed}–{config.seed + config.ensemble - 1}"
        print(f"LSTM: the mean of {run.config.ensemble} networks (seeds {seeds})")
    if summary["suggested_season"] and summary["suggested_season"] != config.season_length:
        season = summary["suggested_season"]
        print(f"{summary['frequency']} data: suggested season length {season} (--season-length {season})")
    if summary["missing_dates"]:
        missing = summary["missing_dates"]
        print(f"note: {missing} date{'s' * (missing > 1)} missing at this frequency: seasons after a gap are shifted")
    if "recipe" in summary:
        print(f"the real-series recipe, for this {summary['frequency']} series:")
        for lever, choice in summary["recipe"].items():
            print(f"  {lever} = {choice['value']}: {choice['why']}")
    print(_table(summary))
    if len(run.windows) > 1:
        best = summary["backtest"]["best"]
        print(f"backtest over {len(run.windows)} windows: best by mean recursive MASE: {best}")
    if "future" in summary:
        print(_future_table(summary))
    for warning in summary["warnings"]:
        print(f"note: {warning}")
    if plot:
        print(f"chart written to {plot}")


def _run_on(
    address: str, config: Config, cache: ResultStore | None, progress: ProgressCallback | None, upload: bytes | None
) -> RunResult:
    """The run, the networks the cache lacks trained on the Ray cluster at `address` (exit 2 if unreachable)."""
    from forecast import data
    from forecast.run import pipeline
    from forecast.training import batch, choice

    run_plan = pipeline.plan(config, data.load_series(config, upload))

    def train_there(missing: list[Task]) -> list[Result]:
        try:
            service = choice.training_service(address)
        except ValueError as error:
            fail(RUN_PROGRAM, str(error))
        try:
            # The prepared series goes with each network: a Ray worker cannot read an uploaded file.
            datasets = [run_plan.datasets[task.fold] if upload else None for task in missing]
            jobs = batch.train_all(service, missing, cache, datasets, progress=progress)
        finally:
            service.shutdown()
        for job in jobs:
            if job.result is None:
                fail(RUN_PROGRAM, job.error or "training was cancelled", EXIT_FAILED)
        return [job.result for job in jobs if job.result is not None]

    results = pipeline.resolve(run_plan.tasks, cache, train_there)
    if results is None:
        raise RuntimeError("training on Ray returned no results")
    return run_plan.assemble(results)


def _write_plot(path: str, run: RunResult) -> None:
    from forecast.report.future_plots import run_figure
    from forecast.run.ensemble import summarize

    ensemble = summarize(list(run.members)) if len(run.members) > 1 else None
    try:
        run_figure(run, ensemble).write_html(path, include_plotlyjs=True)
    except OSError as error:
        fail(RUN_PROGRAM, f"cannot write {path}: {error.strerror}")


def _check_writable(path: str) -> None:
    """Refuse a chart file that cannot be written before anything is trained (exit 2)."""
    folder = os.path.dirname(os.path.abspath(path))
    if os.path.isdir(path) or not os.path.isdir(folder) or not os.access(folder, os.W_OK):
        reason = "it is a folder" if os.path.isdir(path) else f"{folder} is not a folder this user can write to"
        fail(RUN_PROGRAM, f"cannot write the chart to {path}: {reason}; choose another --plot file")


def _announce(team: list[Task], done: int, total: int) -> None:
    fold = team[0].fold
    where = "the future" if fold.is_future else "a backtest window" if fold.cut else "the holdout"
    seeds = ", ".join(str(task.config.seed) for task in team)
    if len(team) == 1:
        print(f"network {done + 1} of {total}: seed {seeds} on {where}", file=sys.stderr, flush=True)
        return
    networks = f"networks {done + 1}–{done + len(team)} of {total}"
    print(f"{networks}: seeds {seeds} on {where}, trained together", file=sys.stderr, flush=True)


def _train_run(
    arguments: argparse.Namespace, config: Config, upload: bytes | None, cache: ResultStore | None
) -> RunResult:
    """The run's networks, trained in this process or on the Ray cluster the flags name (exit 2 on bad input)."""
    from forecast.run import pipeline
    from forecast.training.choice import ray_address

    progress = None if arguments.json else progress_printer(arguments.progress_every)
    address = ray_address(arguments.ray_address)
    try:
        # Reads and checks the series (NaN, inf, a bad file, the split, the budget) before importing TensorFlow.
        if address is not None:
            return _run_on(address, config, cache, progress, upload)
        announce = None if arguments.json else _announce
        # The folds' ARIMA and ETS fits go to a side process while this one imports TensorFlow (README, "Many
        # networks at once"); `python -m forecast`'s main module is safe for it to import.
        return pipeline.run_all(
            config, cache=cache, progress=progress, upload=upload, on_team=announce, side_process=True
        )
    except ValueError as error:
        fail(RUN_PROGRAM, str(error))


def main(argv: Sequence[str]) -> int:
    """Run `python -m forecast …`; returns the exit status."""
    arguments = build_parser().parse_args(argv)
    request = request_from(RUN_PROGRAM, arguments)
    config, upload = request.config, request.upload
    if arguments.plot:
        _check_writable(arguments.plot)

    from forecast.run.cache import ResultCache

    cache = None if arguments.no_cache else ResultCache()
    try:
        run = _train_run(arguments, config, upload, cache)
    except KeyboardInterrupt:
        kept = "; the networks already trained are cached: run it again to go on" if cache is not None else ""
        print(f"{RUN_PROGRAM}: stopped{kept}", file=sys.stderr)
        return EXIT_STOPPED
    summary = run_summary(run, interval_notes(run) + run_warnings(run))
    summary |= request.facts
    if request.recipe is not None:
        summary["recipe"] = request.recipe
    if cache is not None:
        for warning in cache.warnings:
            print(f"warning: {warning}", file=sys.stderr)
    if arguments.plot:
        _write_plot(arguments.plot, run)
    if arguments.json:
        print(json.dumps(summary, allow_nan=False))
    else:
        _print_text(config, run, summary, arguments.plot)
    return 0
