"""Future benchmark: forecast the last horizon of real series as a person would, and score it afterwards.

    python -m bench.future                                  # every bundled and public series (tens of minutes)
    python -m bench.future --series airline_passengers wineind

For each series it writes a CSV of every value but the last H (H: a season — 12 monthly, 8 quarterly, 10 yearly,
48 half-hourly, 52 weekly, 14 daily), runs

    python -m forecast --csv FILE --preset real --horizon H --interval 80 --json --no-cache

exactly as a person would (no other flag: the recipe chooses everything else), and scores each model's future
against the H values that really followed: MAE, MASE (scaled by the in-sample seasonal naive MAE of the CSV's
values at the recipe's season, the naive one without a season) and the share of them inside its 80 % interval.

The series are the bundled ones and those of `bench.public_series`. The statsmodels series are the tuning set;
the pmdarima ones (wine, beer, wool, lynx, half-hourly electricity …) were kept out of every choice the recipe
makes (`HELD_OUT`): they are reported to show how it does on series nobody tuned it for.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from bench import public_series
from forecast.config import CATALOGUE
from forecast.data import datasets

ROOT = Path(__file__).resolve().parents[1]
HORIZONS = {"monthly": 12, "quarterly": 8, "yearly": 10, "half-hourly": 48, "weekly": 52, "daily": 14}
# Never looked at while the recipe's rules were chosen.
HELD_OUT = ("wineind", "ausbeer", "woolyrnq", "austres", "lynx", "taylor", "heartrate", "sunspots_monthly", "msft")
MODELS = ("lstm", "naive", "seasonal_naive", "linear_ar", "arima", "ets")


def _bundled(name: str) -> tuple[pd.DataFrame, str]:
    info = CATALOGUE[name]
    series = datasets.load(name)
    frequency = {12: "monthly", 0: "yearly"}[info.season_length]
    return pd.DataFrame({"date": series.xs, "value": series.ys}), frequency


def every_series(names: list[str] | None) -> dict[str, tuple[pd.DataFrame, str]]:
    """Name → (date, value table, frequency word) of the bundled and public series asked for (all by default)."""
    chosen = {name: _bundled(name) for name in CATALOGUE}
    paths = public_series.fetch()
    for name, info in public_series.CATALOGUE.items():
        chosen[name] = (pd.read_csv(paths[name], parse_dates=["date"]), info.frequency.split(" ")[0])
    return {name: chosen[name] for name in (names or chosen)}


def horizon(frequency: str) -> int:
    return HORIZONS.get(frequency, 12)


def forecast_as_a_person_would(table: pd.DataFrame, steps: int, folder: Path) -> tuple[dict, float]:
    """The command line's JSON for the table's CSV with the real-series preset and a future of `steps`, and its
    wall time in seconds."""
    path = folder / "series.csv"
    table.to_csv(path, index=False)  # pandas writes each date as exactly as needed (half-seconds keep their .5)
    command = [sys.executable, "-m", "forecast", "--csv", str(path), "--preset", "real"]
    command += ["--horizon", str(steps), "--interval", "80", "--json", "--no-cache"]
    started = time.perf_counter()
    completed = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=3600)
    if completed.returncode != 0:
        raise RuntimeError(completed.stderr.strip().splitlines()[-1] if completed.stderr.strip() else "failed")
    return json.loads(completed.stdout), time.perf_counter() - started


def score(summary: dict, known: np.ndarray, actual: np.ndarray) -> dict[str, dict[str, float | None]]:
    """Each model's future against what followed: MAE, MASE and the share inside its 80 % interval."""
    season = summary["config"]["season_length"]
    lag = season if 2 <= season < len(known) // 2 else 1
    scale = float(np.mean(np.abs(known[lag:] - known[:-lag])))
    scores = {}
    for model, block in summary["future"]["models"].items():
        forecast = np.array(block["forecast"], dtype=float)
        mae = float(np.mean(np.abs(forecast - actual)))
        inside = None
        if block["lower"] is not None:
            lower = np.array([np.nan if v is None else v for v in block["lower"]], dtype=float)
            upper = np.array([np.nan if v is None else v for v in block["upper"]], dtype=float)
            defined = np.isfinite(lower) & np.isfinite(upper)
            if defined.any():
                inside = float(np.mean((actual[defined] >= lower[defined]) & (actual[defined] <= upper[defined])))
        scores[model] = {"mae": mae, "mase": mae / scale if scale else None, "coverage": inside}
    return scores


def _cell(value: float | None, digits: str) -> str:
    return "—" if value is None or not np.isfinite(value) else f"{value:{digits}}"


def main() -> None:
    parser = argparse.ArgumentParser(description="The recipe's future against what really followed.")
    parser.add_argument("--series", nargs="+", help="names (default: every bundled and public series)")
    arguments = parser.parse_args()
    header = "| series | values known | H | " + " | ".join(f"{m} MASE" for m in MODELS)
    print(header + " | LSTM 80% coverage | s |")
    print("|" + "---|" * (len(MODELS) + 5))
    coverages = []
    for name, (table, frequency) in every_series(arguments.series).items():
        steps = horizon(frequency)
        known, actual = table.iloc[:-steps], table["value"].to_numpy(dtype=float)[-steps:]
        with tempfile.TemporaryDirectory() as folder:
            try:
                summary, seconds = forecast_as_a_person_would(known, steps, Path(folder))
            except RuntimeError as error:
                print(f"| {name} | {len(known)} | {steps} | failed: {error} |", flush=True)
                continue
        scores = score(summary, known["value"].to_numpy(dtype=float), actual)
        mases = " | ".join(_cell(scores.get(model, {}).get("mase"), ".3g") for model in MODELS)
        coverage = scores["lstm"]["coverage"]
        if coverage is not None:
            coverages.append(coverage)
        mark = " (held out)" if name in HELD_OUT else ""
        row = f"| {name}{mark} | {len(known)} | {steps} | {mases} | {_cell(coverage, '.0%')} | {seconds:.0f} |"
        print(row, flush=True)
    if coverages:
        print(f"\nLSTM 80% interval coverage: median {statistics.median(coverages):.0%} over {len(coverages)} series")


if __name__ == "__main__":
    main()
