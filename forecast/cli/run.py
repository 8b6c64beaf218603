"""The run command: python -m forecast [--expression EXPR] … [--json] [--plot FILE.html] [--no-cache]."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence

from forecast.cli.parser import EXIT_FAILED, RUN_PROGRAM, build_parser, config_from, fail, progress_printer
from forecast.config import Config
from forecast.data import sources
from forecast.models.progress import ProgressCallback
from forecast.run.ensemble import Ensemble, summarize
from forecast.run.keys import ResultStore
from forecast.run.result import Result

__all__ = ["main"]


def _table(summary: dict) -> str:
    lines = [f"{'model':<15} {'forecast':<10} {'rmse':>12} {'mae':>12} {'r2':>10}"]
    for model, kinds in summary["metrics"].items():
        for kind, values in kinds.items():
            cells = [
                f"{values[name]:>12.6g}" if values[name] is not None else f"{'n/a':>12}" for name in ("rmse", "mae")
            ]
            r2 = f"{values['r2']:>10.4f}" if values["r2"] is not None else f"{'n/a':>10}"
            lines.append(f"{model:<15} {kind:<10} {cells[0]} {cells[1]} {r2}")
    return "\n".join(lines)


def _ensemble_summary(ensemble: Ensemble) -> dict:
    return {
        "size": ensemble.size,
        "seeds": list(ensemble.seeds),
        "mean_forecast": ensemble.metrics,
        "member_rmse_range": {kind: list(bounds) for kind, bounds in ensemble.member_rmse.items()},
    }


def _print_text(config: Config, result: Result, summary: dict, ensemble: Ensemble | None, plot: str | None) -> None:
    origin = "from the cache" if result.cached else f"trained in {result.fit_seconds:.2f}s"
    print(
        f"{sources.get(config.source).label(config)}: {result.n_points} points, {result.n_train} train / "
        f"{result.n_test} test windows, {result.epochs_run} epochs, {origin}"
    )
    print(_table(summary))
    if ensemble is not None:
        mean = ensemble.metrics
        print(
            f"ensemble of {ensemble.size} (seeds {', '.join(map(str, ensemble.seeds))}): mean forecast RMSE "
            f"one-step {mean['one_step']['rmse']:.6g}, recursive {mean['recursive']['rmse']:.6g}"
        )
    if plot:
        print(f"chart written to {plot}")


def _members_on(
    address: str, config: Config, cache: ResultStore | None, progress: ProgressCallback | None, upload: bytes | None
) -> list[Result]:
    """The ensemble's results, the missing ones trained on the Ray cluster at `address` (exit 2 if unreachable)."""
    from forecast import data
    from forecast.run import pipeline
    from forecast.training import batch, choice

    series = data.load_series(config, upload)
    # Checks the split and the budget of the whole ensemble first; the members share it (they differ in the seed).
    dataset = data.make_dataset(config, series=series)

    def train_there(missing: list[Config]) -> list[Result]:
        try:
            service = choice.training_service(address)
        except ValueError as error:
            fail(RUN_PROGRAM, str(error))
        try:
            # The prepared series goes with each member: a Ray worker cannot read an uploaded file.
            datasets = [dataset if upload else None for _ in missing]
            jobs = batch.train_all(service, missing, cache, datasets, progress=progress)
        finally:
            service.shutdown()
        for job in jobs:
            if job.result is None:
                fail(RUN_PROGRAM, job.error or "training was cancelled", EXIT_FAILED)
        return [job.result for job in jobs if job.result is not None]

    results = pipeline.resolve_members(config, cache, train_there)
    if results is None:
        raise RuntimeError("training on Ray returned no results")
    return results


def _write_plot(path: str, result: Result, ensemble: Ensemble | None) -> None:
    from forecast.report.plots import forecast_figure

    try:
        forecast_figure(result, ensemble).write_html(path, include_plotlyjs=True)
    except OSError as error:
        fail(RUN_PROGRAM, f"cannot write {path}: {error.strerror}")


def main(argv: Sequence[str]) -> int:
    """Run `python -m forecast …`; returns the exit status."""
    arguments = build_parser().parse_args(argv)
    config, upload = config_from(RUN_PROGRAM, arguments)

    from forecast.run import pipeline
    from forecast.run.cache import ResultCache
    from forecast.training.choice import ray_address

    cache = None if arguments.no_cache else ResultCache()
    progress = None if arguments.json else progress_printer(arguments.progress_every)
    address = ray_address(arguments.ray_address)
    try:
        # Reads and checks the series (NaN, inf, a bad file, the split, the budget) before importing TensorFlow.
        if address is None:
            members = pipeline.run_ensemble(config, cache=cache, progress=progress, upload=upload)
        else:
            members = _members_on(address, config, cache, progress, upload)
    except ValueError as error:
        fail(RUN_PROGRAM, str(error))
    result = members[0]
    summary = result.summary()
    summary["config"] = config.to_dict()
    ensemble = summarize(members) if config.ensemble > 1 else None
    if ensemble is not None:
        summary["ensemble"] = _ensemble_summary(ensemble)
    if cache is not None:
        for warning in cache.warnings:
            print(f"warning: {warning}", file=sys.stderr)
    if arguments.plot:
        _write_plot(arguments.plot, result, ensemble)
    if arguments.json:
        print(json.dumps(summary, allow_nan=False))
    else:
        _print_text(config, result, summary, ensemble, arguments.plot)
    return 0
