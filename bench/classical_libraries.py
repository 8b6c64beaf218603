"""Which library for the AutoARIMA and AutoETS baselines: statsforecast or statsmodels, measured side by side.

    python -m bench.classical_libraries                         # the libraries this interpreter has
    /tmp/venv-sf/bin/python -m bench.classical_libraries        # a throwaway venv with statsforecast (pandas < 3)

For each library found: the import of what the baselines use, in a fresh process (seconds and resident memory
over a process that has imported numpy and pandas, median of 3), then on every bundled series with its natural
holdout the fit time (median of 3) and the 12-month (10-year) MAE of the one-step and recursive forecasts of
AutoARIMA and AutoETS. statsmodels is used through forecast.models.classical (its own model selection on statsmodels'
SARIMAX and ETSModel); statsforecast through its AutoARIMA / AutoETS, one-step by `forward` on the true history.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import statistics
import subprocess
import sys
import time

import numpy as np

from forecast.data import datasets
from forecast.models import classical

IMPORTS = {
    "statsforecast": "from statsforecast.models import AutoARIMA, AutoETS",
    "statsmodels": (
        "import statsmodels.tsa.statespace.sarimax, statsmodels.tsa.exponential_smoothing.ets, "
        "statsmodels.tsa.seasonal, statsmodels.tsa.stattools"
    ),
}

PROBE = """
import json, time
def rss():
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmRSS")) / 1024
import numpy, pandas
before = rss()
started = time.perf_counter()
{statement}
print(json.dumps({{"seconds": time.perf_counter() - started, "before": before, "after": rss()}}))
"""


def import_cost(library: str, repeats: int) -> dict[str, float]:
    runs = []
    for _ in range(repeats):
        code = PROBE.format(statement=IMPORTS[library])
        completed = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
        runs.append(json.loads(completed.stdout.strip().splitlines()[-1]))
    return {
        "seconds": statistics.median(run["seconds"] for run in runs),
        "added_mb": statistics.median(run["after"] - run["before"] for run in runs),
        "total_mb": statistics.median(run["after"] for run in runs),
    }


def statsmodels_forecasts(kind: str, train: np.ndarray, test: np.ndarray, season_length: int):
    started = time.perf_counter()
    model = (classical.AutoARIMA if kind == "arima" else classical.AutoETS)(season_length).fit(train)
    seconds = time.perf_counter() - started
    return model.description, model.one_step(test), model.forecast(len(test)), seconds


def statsforecast_forecasts(kind: str, train: np.ndarray, test: np.ndarray, season_length: int):
    from statsforecast.models import AutoARIMA, AutoETS

    started = time.perf_counter()
    model = (AutoARIMA if kind == "arima" else AutoETS)(season_length=max(season_length, 1)).fit(train)
    seconds = time.perf_counter() - started
    series = np.concatenate([train, test])
    one_step = np.array(
        [model.forward(series[:position], h=1)["mean"][0] for position in range(len(train), len(series))]
    )
    description = str(model.model_.get("method", "")) if kind == "ets" else ""
    if kind == "arima":
        p, q, seasonal_p, seasonal_q, season, d, seasonal_d = model.model_["arma"]
        description = f"ARIMA({p},{d},{q})({seasonal_p},{seasonal_d},{seasonal_q})[{season}]"
    return description, one_step, model.predict(len(test))["mean"], seconds


def main() -> None:
    parser = argparse.ArgumentParser(description="statsforecast vs statsmodels for the AutoARIMA/AutoETS baselines.")
    parser.add_argument("--repeats", type=int, default=3)
    arguments = parser.parse_args()
    found = [library for library in IMPORTS if importlib.util.find_spec(library) is not None]
    versions = {library: _version(library) for library in found}
    print(
        f"python {sys.version.split()[0]}, pandas {_version('pandas')}, numpy {_version('numpy')}; "
        + ", ".join(f"{library} {version}" for library, version in versions.items())
    )
    print(f"{'library':<14} {'import s':>9} {'added MB':>9} {'process MB':>11}")
    for library in found:
        cost = import_cost(library, arguments.repeats)
        print(f"{library:<14} {cost['seconds']:>9.2f} {cost['added_mb']:>9.0f} {cost['total_mb']:>11.0f}", flush=True)
    print(f"{'library':<14} {'series':<22} {'model':<28} {'fit s':>6} {'1-step MAE':>10} {'rec MAE':>9}")
    forecasters = {"statsforecast": statsforecast_forecasts, "statsmodels": statsmodels_forecasts}
    for library in found:
        for name, info in datasets.CATALOGUE.items():
            values = datasets.load(name).ys
            train, test = values[: -info.holdout], values[-info.holdout :]
            for kind in ("arima", "ets"):
                forecaster = forecasters[library]
                forecaster(kind, train, test, info.season_length)  # warm-up: imports and compilation
                runs = [forecaster(kind, train, test, info.season_length) for _ in range(arguments.repeats)]
                description, one_step, recursive, _ = runs[0]
                seconds = [run[3] for run in runs]
                print(
                    f"{library:<14} {name:<22} {description:<28} {statistics.median(seconds):>6.2f} "
                    f"{np.mean(np.abs(one_step - test)):>10.2f} {np.mean(np.abs(recursive - test)):>9.2f}",
                    flush=True,
                )


def _version(package: str) -> str:
    import importlib.metadata

    return importlib.metadata.version(package)


if __name__ == "__main__":
    main()
