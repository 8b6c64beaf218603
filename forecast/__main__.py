"""Command line: python -m forecast [--expression EXPR] … [--json] [--plot FILE.html] [--no-cache]; also `sweep`."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from typing import NoReturn

from forecast import sources
from forecast.config import DEFAULT_CONFIG, FIELD_NAMES, FIELD_TYPES, Config
from forecast.datasets import MAX_UPLOAD_BYTES, content_hash
from forecast.ensemble import Ensemble, summarize
from forecast.fields import FIELD_SPECS
from forecast.pipeline import ResultStore
from forecast.result import EpochReport, ProgressCallback, Result

__all__ = ["build_parser", "main"]

EXIT_INVALID = 2


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        # One line, no usage block: the contract is "exit 2 and a one-line message on standard error".
        self.exit(EXIT_INVALID, f"{self.prog}: error: {message} (see --help)\n")


def build_parser(*, sweep: bool = False) -> argparse.ArgumentParser:
    """A flag per Config field (`x_start` → `--x-start`), plus the run options (or, for `sweep`, its options)."""
    if sweep:
        parser = _Parser(
            prog="python -m forecast sweep",
            description="Train a grid of configs, varying one or two fields, and compare their test errors.",
        )
        parser.add_argument(
            "--vary",
            action="append",
            required=True,
            metavar="FIELD=VALUES",
            help="A field and its values: a list (lookback=4,8,12), a range (lookback=4:16:4) or a geometric range "
            "(units=8:64:*2). Once or twice (a grid); at most 64 cells.",
        )
    else:
        parser = _Parser(
            prog="python -m forecast",
            description="Train a stacked LSTM on f(x) and compare it with naive and linear-AR baselines. "
            "`python -m forecast sweep --help`: train a grid of configs.",
        )
    for name in FIELD_NAMES:
        spec = FIELD_SPECS[name]
        bounds = ""
        if spec.choices:
            bounds = f" One of {', '.join(spec.choices)}."
        elif spec.minimum is not None and spec.maximum is not None:
            bounds = f" {spec.minimum:g}–{spec.maximum:g}."
        parser.add_argument(
            "--" + name.replace("_", "-"),
            dest=name,
            type=FIELD_TYPES[name],
            default=getattr(DEFAULT_CONFIG, name),
            metavar=name.upper(),
            # argparse formats help texts with %, so a literal % in a field's help (or default) must be doubled.
            help=f"{spec.help}{bounds} Default: {getattr(DEFAULT_CONFIG, name)}.".replace("%", "%%"),
        )
    parser.add_argument(
        "--csv",
        metavar="FILE.csv",
        help="Use this CSV file as the series (sets --source upload and --upload to the file's sha256); "
        "choose columns with --value-column and --x-column.",
    )
    parser.add_argument(
        "--preset",
        choices=("real",),
        help="real: the real-series recipe, adapted to the series (log when positive, seasonal and first "
        "differencing, a season's lookback, 2×32 LSTM, ensemble of 5; see forecast/recipe.py). It sets those "
        "fields; the data source, seed, and an explicit --test-size or --season-length are kept.",
    )
    parser.add_argument("--json", action="store_true", help="Print one JSON object with the config and metrics.")
    parser.add_argument("--no-cache", action="store_true", help="Train even if a cached result exists; store nothing.")
    if not sweep:
        parser.add_argument("--plot", metavar="FILE.html", help="Write an interactive Plotly chart to this HTML file.")
    parser.add_argument(
        "--ray-address",
        metavar="HOST:PORT",
        help="Train on the Ray cluster whose head is at HOST:PORT (default: $FORECAST_RAY_ADDRESS; unset: train "
        "here). Needs requirements-ray.txt.",
    )
    parser.add_argument(
        "--progress-every",
        type=int,
        default=10,
        metavar="N",
        help="Print a progress line every N epochs (default 10).",
    )
    return parser


def _fail(message: str) -> NoReturn:
    print(f"python -m forecast: error: {message}", file=sys.stderr)
    raise SystemExit(EXIT_INVALID)


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


def _read_upload(path: str) -> bytes:
    try:
        with open(path, "rb") as handle:
            data = handle.read(MAX_UPLOAD_BYTES + 1)
    except OSError as error:
        _fail(f"cannot read {path}: {error.strerror}")
    if len(data) > MAX_UPLOAD_BYTES:
        _fail(f"{path} is larger than {MAX_UPLOAD_BYTES // 1024 // 1024} MB: keep the part of the series you need")
    return data


def _config_from(arguments: argparse.Namespace) -> tuple[Config, bytes | None]:
    """The Config the flags describe, and the CSV file's bytes for --csv (exit 2 on invalid input)."""
    if arguments.progress_every < 1:
        _fail(f"--progress-every must be at least 1, got {arguments.progress_every}")
    fields = {name: getattr(arguments, name) for name in FIELD_NAMES}
    upload = None
    if arguments.csv:
        upload = _read_upload(arguments.csv)
        fields |= {"source": "upload", "upload": content_hash(upload)}
    try:
        config = Config(**fields)
        if arguments.preset == "real":
            from forecast import recipe
            from forecast.data import load_series

            config = recipe.real_series(config, load_series(config, upload))
        return config, upload
    except ValueError as error:
        _fail(str(error))


def _progress_printer(every: int) -> ProgressCallback:
    def progress(report: EpochReport) -> None:
        if report.epoch % every == 0 or report.epoch == report.epochs:
            print(
                f"epoch {report.epoch}/{report.epochs}  loss {report.loss:.6g}  test loss {report.val_loss:.6g}"
                f"  {report.elapsed:.1f}s",
                file=sys.stderr,
                flush=True,
            )

    return progress


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
    from forecast import data, pipeline, sweep_command
    from forecast.training import choice

    series = data.load_series(config, upload)
    data.make_dataset(config, series=series)  # Checks the split and the budget of the whole ensemble first.

    def train_there(missing: list[Config]) -> list[Result]:
        try:
            service = choice.training_service(address)
        except ValueError as error:
            _fail(str(error))
        try:
            # The prepared series goes with each member: a Ray worker cannot read an uploaded file.
            datasets = [data.make_dataset(member, series=series) if upload else None for member in missing]
            jobs = sweep_command.train_all(service, missing, cache, datasets, progress=progress)
        finally:
            service.shutdown()
        for job in jobs:
            if job.result is None:
                print(f"python -m forecast: error: {job.error or 'training was cancelled'}", file=sys.stderr)
                raise SystemExit(sweep_command.EXIT_FAILED)
        return [job.result for job in jobs if job.result is not None]

    results = pipeline.resolve_members(config, cache, train_there)
    if results is None:
        raise RuntimeError("training on Ray returned no results")
    return results


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["sweep"]:
        from forecast import sweep_command

        return sweep_command.main(argv[1:])
    arguments = build_parser().parse_args(argv)
    config, upload = _config_from(arguments)

    from forecast import pipeline
    from forecast.cache import ResultCache
    from forecast.training.choice import ray_address

    cache = None if arguments.no_cache else ResultCache()
    progress = None if arguments.json else _progress_printer(arguments.progress_every)
    address = ray_address(arguments.ray_address)
    try:
        # Reads and checks the series (NaN, inf, a bad file, the split, the budget) before importing TensorFlow.
        if address is None:
            members = pipeline.run_ensemble(config, cache=cache, progress=progress, upload=upload)
        else:
            members = _members_on(address, config, cache, progress, upload)
    except ValueError as error:
        _fail(str(error))
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
        from forecast.plots import forecast_figure

        try:
            forecast_figure(result, ensemble).write_html(arguments.plot, include_plotlyjs=True)
        except OSError as error:
            _fail(f"cannot write {arguments.plot}: {error.strerror}")
    if arguments.json:
        print(json.dumps(summary, allow_nan=False))
    else:
        _print_text(config, result, summary, ensemble, arguments.plot)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
