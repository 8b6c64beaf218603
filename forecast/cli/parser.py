"""What both commands share: a flag per Config field, the config the flags describe, and the one-line errors."""

from __future__ import annotations

import argparse
import dataclasses
import sys
from collections.abc import Sequence
from typing import Any, NoReturn

from forecast.config import DEFAULT_CONFIG, FIELD_NAMES, FIELD_TYPES, Config
from forecast.config.fields import FIELD_SPECS
from forecast.data import load_series
from forecast.data.datasets import MAX_UPLOAD_BYTES, content_hash, inspect_csv
from forecast.models.progress import EpochReport, ProgressCallback

__all__ = [
    "EXIT_FAILED",
    "EXIT_INVALID",
    "EXIT_STOPPED",
    "RUN_PROGRAM",
    "SWEEP_PROGRAM",
    "build_parser",
    "config_from",
    "fail",
    "progress_printer",
    "request_from",
    "typed_fields",
]

EXIT_INVALID = 2  # bad input: one line on standard error, nothing trained
EXIT_FAILED = 1  # a training failed (not bad input): the message says why
EXIT_STOPPED = 130  # stopped with Ctrl-C, as shells report a SIGINT: one line says what was kept
RUN_PROGRAM = "python -m forecast"
SWEEP_PROGRAM = "python -m forecast sweep"


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        # One line, no usage block: the contract is "exit 2 and a one-line message on standard error".
        self.exit(EXIT_INVALID, f"{self.prog}: error: {message} (see --help)\n")

    def parse_known_args(
        self, args: Sequence[str] | None = None, namespace: argparse.Namespace | None = None
    ) -> tuple[argparse.Namespace, list[str]]:
        return super().parse_known_args(self._attached(sys.argv[1:] if args is None else list(args)), namespace)

    def _attached(self, args: list[str]) -> list[str]:
        """`--expression -x*sin(x)` as `--expression=-x*sin(x)`: argparse reads a value that starts with "-" (other
        than a negative number) as an option and refuses the flag, although no option of that name exists."""
        joined: list[str] = []
        for token in args:
            action = self._option_string_actions.get(joined[-1]) if joined else None
            takes_value = action is not None and action.nargs is None and action.const is None
            if takes_value and token.startswith("-") and token not in self._option_string_actions:
                joined[-1] = f"{joined[-1]}={token}"
            else:
                joined.append(token)
        return joined


def fail(program: str, message: str, status: int = EXIT_INVALID) -> NoReturn:
    """Print `program: error: message` on standard error and exit (status 2: invalid input)."""
    print(f"{program}: error: {message}", file=sys.stderr)
    raise SystemExit(status)


def _field_flags(parser: argparse.ArgumentParser) -> None:
    for name in FIELD_NAMES:
        spec = FIELD_SPECS[name]
        bounds = ""
        if spec.choices:
            bounds = f" One of {', '.join(spec.choices)}."
        elif spec.range_text is not None:
            bounds = f" {spec.range_text}."
        parser.add_argument(
            "--" + name.replace("_", "-"),
            dest=name,
            type=FIELD_TYPES[name],
            # None: not typed. What is typed wins over a preset; what is not takes the preset's or the default.
            default=None,
            metavar=name.upper(),
            # argparse formats help texts with %, so a literal % in a field's help (or default) must be doubled.
            help=f"{spec.help}{bounds} Default: {getattr(DEFAULT_CONFIG, name)}.".replace("%", "%%"),
        )


def _run_options(parser: argparse.ArgumentParser) -> None:
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
        "differencing, a season's lookback, 2×32 LSTM, ensemble of 5, a horizon of one season, 3 backtest windows, "
        "80%% intervals; see forecast/run/recipe.py). Flags typed explicitly win over it.",
    )
    parser.add_argument("--json", action="store_true", help="Print one JSON object with the config and metrics.")
    parser.add_argument("--no-cache", action="store_true", help="Train even if a cached result exists; store nothing.")
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


def build_parser(*, sweep: bool = False) -> argparse.ArgumentParser:
    """A flag per Config field (`x_start` → `--x-start`), plus the run options (or, for `sweep`, its options)."""
    if sweep:
        parser = _Parser(
            prog=SWEEP_PROGRAM,
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
            prog=RUN_PROGRAM,
            description="Train a stacked LSTM on f(x), a bundled dataset or a CSV file, and compare it with its "
            "baselines (naive, seasonal naive, linear AR, AutoARIMA, AutoETS). "
            "`python -m forecast sweep --help`: train a grid of configs.",
        )
    _field_flags(parser)
    _run_options(parser)
    if not sweep:
        parser.add_argument("--plot", metavar="FILE.html", help="Write an interactive Plotly chart to this HTML file.")
    return parser


def _read_upload(program: str, path: str) -> bytes:
    try:
        with open(path, "rb") as handle:
            data = handle.read(MAX_UPLOAD_BYTES + 1)
    except OSError as error:
        fail(program, f"cannot read {path}: {error.strerror}")
    if len(data) > MAX_UPLOAD_BYTES:
        fail(
            program,
            f"{path} is larger than {MAX_UPLOAD_BYTES // 1024 // 1024} MB: keep the part of the series you need",
        )
    return data


def typed_fields(arguments: argparse.Namespace) -> dict[str, Any]:
    """The Config fields given as flags on the command line (the others are None)."""
    return {name: getattr(arguments, name) for name in FIELD_NAMES if getattr(arguments, name) is not None}


def _csv_fields(program: str, path: str, typed: dict[str, Any]) -> tuple[dict[str, Any], bytes]:
    """The fields of a --csv file, read as the app reads an upload: the value and x (date) columns it suggests,
    unless typed."""
    if typed.get("source", "upload") != "upload":
        fail(program, f"--csv reads a file as the series (source upload): leave out --source {typed['source']}")
    upload = _read_upload(program, path)
    try:
        value_column, x_column = inspect_csv(upload).suggestion()
    except ValueError as error:
        fail(program, f"{path}: {error}")
    suggested = {"value_column": value_column, "x_column": x_column}
    return {"source": "upload", "upload": content_hash(upload)} | suggested | typed, upload


@dataclasses.dataclass(frozen=True)
class Request:
    """What the flags ask for: the config, the --csv file's bytes, and the recipe's levers with `--preset real`."""

    config: Config
    upload: bytes | None = None
    recipe: dict[str, dict[str, Any]] | None = None  # lever → {"value", "why"}
    # The series' frequency, suggested season and missing dates, as the app's sidebar shows them.
    facts: dict[str, Any] = dataclasses.field(default_factory=dict)


def config_from(program: str, arguments: argparse.Namespace) -> tuple[Config, bytes | None]:
    """The Config the flags describe, and the CSV file's bytes for --csv (exit 2 on invalid input)."""
    request = request_from(program, arguments)
    return request.config, request.upload


def request_from(program: str, arguments: argparse.Namespace) -> Request:
    """What the flags ask for (exit 2 on invalid input). Flags typed explicitly win over `--preset`: the preset
    fills in every field they leave out, and says why it chose each."""
    if arguments.progress_every < 1:
        fail(program, f"--progress-every must be at least 1, got {arguments.progress_every}")
    fields = typed_fields(arguments)
    upload = None
    if arguments.csv:
        fields, upload = _csv_fields(program, arguments.csv, fields)
    try:
        config = Config(**fields)
        from forecast.run import recipe

        series = load_series(config, upload)
        facts = dataclasses.asdict(recipe.series_facts(config, series))
        if arguments.preset != "real":
            return Request(config, upload, None, facts)
        chosen = recipe.choose(config, series, keep=tuple(typed_fields(arguments)))
        return Request(chosen.config, upload, chosen.summary(), facts)
    except ValueError as error:
        fail(program, str(error))


def progress_printer(every: int) -> ProgressCallback:
    """A progress callback that prints a line on standard error every `every` epochs (and the last one)."""

    def progress(report: EpochReport) -> None:
        if report.epoch % every == 0 or report.epoch == report.epochs:
            print(
                f"epoch {report.epoch}/{report.epochs}  loss {report.loss:.6g}  test loss {report.val_loss:.6g}"
                f"  {report.elapsed:.1f}s",
                file=sys.stderr,
                flush=True,
            )

    return progress
