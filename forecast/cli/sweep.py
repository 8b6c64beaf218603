"""The command line's `sweep` subcommand: train a grid of configs through a TrainingService (local pool or Ray).

    python -m forecast sweep --vary lookback=4,8,12 --vary units=16,32 [any Config flag] [--json]
                             [--no-cache] [--ray-address HOST:PORT]

Cells already in the cache come back at once; the rest train on the local process pool (as many at once as the
machine allows) or, with `--ray-address` or `FORECAST_RAY_ADDRESS`, as tasks on a Ray cluster. Bad input (an
unknown field, a value out of bounds, too many cells, an unreachable cluster) exits with status 2 and one line.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Sequence

from forecast import data, sweep
from forecast.cli.parser import EXIT_FAILED, EXIT_STOPPED, SWEEP_PROGRAM, build_parser, config_from, fail
from forecast.config import Config
from forecast.run.keys import ResultStore, Task, result_key
from forecast.run.result import Result
from forecast.training import batch
from forecast.training.jobs import JobState

__all__ = ["format_table", "main"]


def _cell_label(definition: sweep.Sweep, config: Config) -> str:
    return ", ".join(f"{field}={getattr(config, field)}" for field in definition.fields)


def format_table(definition: sweep.Sweep, summary: dict) -> str:
    """The sweep's cells as a text table (LSTM test RMSE one-step and recursive), and the best cell."""

    def number(value: float | None) -> str:
        return f"{value:>12.6g}" if value is not None else f"{'n/a':>12}"

    header = "".join(f"{field:>14}" for field in definition.fields)
    lines = [f"{header} {'one-step rmse':>14} {'recursive rmse':>14} {'fit s':>8}  cached"]
    for cell in summary["cells"]:
        values = "".join(f"{cell['config'][field]!s:>14}" for field in definition.fields)
        lstm = cell["metrics"]["lstm"]
        lines.append(
            f"{values}   {number(lstm['one_step']['rmse'])}   {number(lstm['recursive']['rmse'])} "
            f"{cell['fit_seconds']:>8.2f}  {'yes' if cell['cached'] else 'no'}"
        )
    best = summary["best"]
    where = ", ".join(f"{field}={best['config'][field]}" for field in definition.fields)
    lines.append(f"best by recursive RMSE: {where} ({best['metrics']['lstm']['recursive']['rmse']:.6g})")
    lines.append(
        f"baselines on the same test part: naive {best['metrics']['naive']['recursive']['rmse']:.6g}, "
        f"linear AR {best['metrics']['linear_ar']['recursive']['rmse']:.6g} (recursive RMSE)"
    )
    return "\n".join(lines)


def _progress_line(total: int, cached: int) -> Callable[[int], None]:
    def report(done: int) -> None:
        print(f"{cached + done} of {total} done", file=sys.stderr, flush=True)

    return report


def _train_missing(
    arguments: argparse.Namespace,
    definition: sweep.Sweep,
    cells: list[Config],
    found: list[Result | None],
    cache: ResultStore | None,
    series_datasets: Callable[[Config], data.Dataset | None],
) -> int | None:
    """Train the cells the cache lacks, filling `found`; an exit status if the sweep cannot finish, else None."""
    from forecast.resources import default_concurrency
    from forecast.training import choice

    missing = [index for index, result in enumerate(found) if result is None]
    try:
        workers = int(os.environ.get("FORECAST_MAX_CONCURRENT", default_concurrency()))
        service = choice.training_service(choice.ray_address(arguments.ray_address), max_concurrent=workers)
    except ValueError as error:
        fail(SWEEP_PROGRAM, str(error))
    try:
        on_finished = None if arguments.json else _progress_line(len(cells), len(cells) - len(missing))
        configs = [cells[index] for index in missing]
        prepared = [series_datasets(cell) for cell in configs]
        jobs = batch.train_all(service, [Task(cell) for cell in configs], cache, prepared, on_finished=on_finished)
    except KeyboardInterrupt:
        print("python -m forecast sweep: stopped; finished cells are cached", file=sys.stderr)
        return EXIT_STOPPED
    finally:
        service.shutdown()
    failed = [job for job in jobs if job.state != JobState.DONE]
    if failed:
        print(
            f"python -m forecast sweep: cell {_cell_label(definition, failed[0].config)} failed: "
            f"{failed[0].error or 'cancelled'}",
            file=sys.stderr,
        )
        return EXIT_FAILED
    for index, job in zip(missing, jobs, strict=True):
        found[index] = job.result
    return None


def _grid(arguments: argparse.Namespace) -> tuple[sweep.Sweep, list[Config], data.Series]:
    """The sweep the flags describe, its cells and the series they share (exit 2 if any of it is unusable)."""
    base, upload = config_from(SWEEP_PROGRAM, arguments)
    try:
        definition = sweep.Sweep.from_options(arguments.vary)
        series = data.load_series(base, upload)
        return definition, sweep.expand(base, definition, n_points=len(series.ys)), series
    except ValueError as error:
        fail(SWEEP_PROGRAM, str(error))


def main(argv: Sequence[str]) -> int:
    """Run `python -m forecast sweep …` (the arguments after `sweep`); returns the exit status."""
    from forecast.run.cache import ResultCache

    arguments = build_parser(sweep=True).parse_args(argv)
    definition, cells, series = _grid(arguments)
    cache = None if arguments.no_cache else ResultCache()
    found: list[Result | None] = [cache.get(result_key(cell)) if cache is not None else None for cell in cells]
    if not arguments.json:
        cached = sum(result is not None for result in found)
        print(f"sweep {definition.to_query_value()}: {len(cells)} cells, {cached} cached", file=sys.stderr, flush=True)
    if None in found:
        # The prepared series goes with each cell: a worker (or a Ray node) cannot read an uploaded file.
        prepare = lambda cell: data.make_dataset(cell, series=series)  # noqa: E731
        status = _train_missing(arguments, definition, cells, found, cache, prepare)
        if status is not None:
            return status
    summary = sweep.summary([result for result in found if result is not None])
    if cache is not None:
        for warning in cache.warnings:
            print(f"warning: {warning}", file=sys.stderr)
    if arguments.json:
        print(json.dumps(summary, allow_nan=False))
    else:
        print(format_table(definition, summary))
    return 0
