"""Real-series benchmark: the recipe's LSTM against every baseline on each bundled series, natural holdout.

    python -m bench.real_series                      # every bundled series; about 20 s on two cores
    python -m bench.real_series --datasets airline_passengers --epochs 50

For each bundled dataset it builds the real-series recipe (`forecast.recipe.real_series`, what `--preset real`
and the app's "Real-series recipe" button use) with the dataset's natural holdout, trains the ensemble of 5
through the pipeline, and prints MAE and RMSE, one-step and recursive, for the ensemble's mean forecast, the
seeds' spread, naive, seasonal naive, linear AR, AutoARIMA and AutoETS, with fit times (the LSTM's summed over
its 5 networks; each baseline fitted again here on the same training part, timed alone).
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

from forecast.config import Config
from forecast.data import datasets, load_series
from forecast.models.classical import AutoARIMA, AutoETS
from forecast.models.naive import Naive, SeasonalNaive
from forecast.run import ensemble, pipeline, recipe

BASELINES = ("naive", "seasonal_naive", "linear_ar", "arima", "ets")
LABELS = {
    "naive": "naive",
    "seasonal_naive": "seasonal naive",
    "linear_ar": "linear AR (same windows)",
    "arima": "AutoARIMA",
    "ets": "AutoETS",
}


def _baseline_fit_seconds(config: Config, train) -> dict[str, float]:
    """Each baseline fitted alone on the training part, timed (the linear AR on the recipe's own windows)."""
    season = config.season_length
    fitted = {
        "naive": Naive(),
        "seasonal_naive": SeasonalNaive(season) if season >= 2 else None,
        "arima": AutoARIMA(season),
        "ets": AutoETS(season),
    }
    seconds = {}
    for name, baseline in fitted.items():
        if baseline is None:
            continue
        started = time.perf_counter()
        baseline.fit(train)
        seconds[name] = time.perf_counter() - started
    return seconds


def run(name: str, epochs: int | None) -> dict:
    base = Config(source="dataset", dataset=name)
    config = recipe.real_series(base, load_series(base))
    if epochs is not None:
        config = config.replace(epochs=epochs)
    started = time.perf_counter()
    members = pipeline.run_ensemble(config)
    wall = time.perf_counter() - started
    first = members[0]
    mean = ensemble.summarize(members)
    rows = {
        "LSTM recipe (mean of 5 seeds)": {
            "one_step": mean.metrics["one_step"],
            "recursive": mean.metrics["recursive"],
            "fit_seconds": sum(member.fit_seconds for member in members),
        }
    }
    seed_maes = [member.metrics["lstm"]["recursive"]["mae"] for member in members]
    train = first.ys[: first.n_points - first.n_test]
    fit_seconds = _baseline_fit_seconds(config, train)
    for model in BASELINES:
        if model in first.metrics:
            rows[LABELS[model]] = {
                "one_step": first.metrics[model]["one_step"],
                "recursive": first.metrics[model]["recursive"],
                "fit_seconds": fit_seconds.get(model, 0.0),
            }
    return {
        "dataset": name,
        "config": {key: value for key, value in config.to_dict().items() if value != getattr(Config(), key)},
        "n_points": first.n_points,
        "n_test": first.n_test,
        "rows": rows,
        "seed_recursive_mae": {"min": min(seed_maes), "median": statistics.median(seed_maes), "max": max(seed_maes)},
        "wall_seconds": wall,
    }


def _table(report: dict) -> str:
    info = datasets.CATALOGUE[report["dataset"]]
    config = report["config"]
    recipe_text = ", ".join(f"{key} {value}" for key, value in config.items() if key not in ("source", "dataset"))
    lines = [
        f"**{info.title}**, last {report['n_test']} of {report['n_points']} values held out; recipe: {recipe_text}",
        "",
        "| model | one-step MAE | one-step RMSE | recursive MAE | recursive RMSE | fit s |",
        "|---|---|---|---|---|---|",
    ]
    for model, row in report["rows"].items():
        one, rec = row["one_step"], row["recursive"]
        lines.append(
            f"| {model} | {one['mae']:.4g} | {one['rmse']:.4g} | {rec['mae']:.4g} | {rec['rmse']:.4g} | "
            f"{row['fit_seconds']:.2f} |"
        )
    seeds = report["seed_recursive_mae"]
    lines.append("")
    lines.append(
        f"The 5 seeds alone: recursive MAE {seeds['min']:.4g}–{seeds['max']:.4g} (median {seeds['median']:.4g})."
    )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", nargs="+", default=list(datasets.CATALOGUE), choices=list(datasets.CATALOGUE))
    parser.add_argument("--epochs", type=int, help="Override the recipe's epochs (for a quick look only).")
    parser.add_argument("--json", action="store_true", help="Print the reports as JSON instead of tables.")
    arguments = parser.parse_args()
    reports = [run(name, arguments.epochs) for name in arguments.datasets]
    if arguments.json:
        print(json.dumps(reports, indent=2))
        return
    print("\n\n".join(_table(report) for report in reports))


if __name__ == "__main__":
    main()
