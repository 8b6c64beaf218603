"""Real-series benchmark: the recipe's LSTM, both strategies, against every baseline on every real series at hand.

    python -m bench.real_series                          # the bundled series and every public one (long)
    python -m bench.real_series --series airline_passengers elnino --json

Each series is read as the app reads an upload (a bundled one as bundled), the real-series recipe chooses its
levers (`forecast.run.recipe.choose`: season, log, differencing, lookback, strategy, holdout, 3 backtest windows),
and the run is trained twice, once with each multi-step strategy. The table gives the recursive MASE averaged over
the backtest windows of the LSTM (the mean of 5 seeds) for both strategies, of naive, seasonal naive, linear AR,
AutoARIMA and AutoETS, and the levers the recipe chose. Series in `bench.future.HELD_OUT` were never looked at
while the recipe's rules were chosen; they are marked.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from bench import public_series
from bench.future import HELD_OUT
from forecast.config import CATALOGUE, Config
from forecast.data import datasets, load_series
from forecast.run import pipeline, recipe

MODELS = ("naive", "seasonal_naive", "linear_ar", "arima", "ets")
LEVERS = ("transform", "difference", "seasonal_difference", "season_length", "lookback", "strategy", "test_size")


def series_config(name: str) -> tuple[Config, bytes | None]:
    """The config that reads the series as a person would: a bundled dataset, or the public CSV as an upload."""
    if name in CATALOGUE:
        return Config(source="dataset", dataset=name), None
    data = Path(public_series.fetch()[name]).read_bytes()
    config = Config(source="upload", upload=datasets.content_hash(data), value_column="value", x_column="date")
    return config, data


def run(name: str, epochs: int | None) -> dict:
    base, upload = series_config(name)
    chosen = recipe.choose(base, load_series(base, upload))
    config = chosen.config.replace(horizon=0, interval=0, **({"epochs": epochs} if epochs else {}))
    report = {"series": name, "frequency": chosen.frequency, "recipe": chosen.summary(), "mase": {}, "seconds": {}}
    for strategy in ("recursive", "direct"):
        started = time.perf_counter()
        try:
            outcome = pipeline.run_all(config.replace(strategy=strategy), upload=upload)
        except ValueError as error:  # a strategy this series cannot train (e.g. too few windows for a head)
            report.setdefault("refused", {})[strategy] = str(error)
            continue
        report["seconds"][strategy] = time.perf_counter() - started
        report["mase"][f"lstm {strategy}"] = outcome.mean_metrics["lstm"]["recursive"]["mase"]
        for model in MODELS:
            if model in outcome.mean_metrics:
                report["mase"][model] = outcome.mean_metrics[model]["recursive"]["mase"]
    report |= {"n_points": len(load_series(base, upload).ys), "windows": config.backtest_windows}
    return report


def _row(report: dict) -> str:
    mase = report["mase"]
    refused = report.get("refused", {})
    columns = ("lstm recursive", "lstm direct", *MODELS)
    text = " | ".join(
        "refused"
        if column.removeprefix("lstm ") in refused
        else "—"
        if mase.get(column) is None
        else f"{mase[column]:.3g}"
        for column in columns
    )
    levers = ", ".join(f"{name} {report['recipe'][name]['value']}" for name in LEVERS if name in report["recipe"])
    held = " (held out)" if report["series"] in HELD_OUT else ""
    return f"| {report['series']}{held} | {report['frequency']} | {report['n_points']} | {text} | {levers} |"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    names = [*CATALOGUE, *public_series.CATALOGUE]
    parser.add_argument("--series", nargs="+", default=names, choices=names)
    parser.add_argument("--epochs", type=int, help="Override the recipe's epochs (for a quick look only).")
    parser.add_argument("--json", action="store_true", help="Print the reports as JSON instead of a table.")
    arguments = parser.parse_args()
    header = "| series | frequency | values | LSTM recursive | LSTM direct | " + " | ".join(MODELS) + " | levers |"
    if not arguments.json:
        print(header + "\n|" + "---|" * (len(MODELS) + 6), flush=True)
    reports = []
    for name in arguments.series:
        report = run(name, arguments.epochs)
        reports.append(report)
        if not arguments.json:
            print(_row(report), flush=True)
    if arguments.json:
        print(json.dumps(reports, indent=2))


if __name__ == "__main__":
    main()
