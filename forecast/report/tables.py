"""Tables, exports and a plain-language reading of a result (pure functions; no Streamlit)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from forecast.data import sources
from forecast.evaluation import intervals
from forecast.run.ensemble import Ensemble
from forecast.run.outcome import RunResult
from forecast.run.result import Result

__all__ = [
    "MODEL_LABELS",
    "backtest_table",
    "best_recursive",
    "config_json",
    "future_table",
    "interval_notes",
    "metrics_table",
    "predictions_table",
    "reading",
    "run_reading",
    "run_warnings",
]

MODEL_LABELS = {
    "lstm": "LSTM",
    "naive": "Naive (repeat last value)",
    "linear_ar": "Linear AR (least squares)",
    "seasonal_naive": "Seasonal naive (repeat last season)",
    "arima": "AutoARIMA",
    "ets": "AutoETS",
}
KIND_LABELS = {"one_step": "one-step", "recursive": "recursive"}
# The models' names inside a sentence: the table's labels without their explanation in brackets, which would read
# "the Linear AR (least squares)'s (MAE 0.57)".
SENTENCE_NAMES = {
    "lstm": "LSTM",
    "naive": "naive forecast",
    "linear_ar": "linear AR",
    "seasonal_naive": "seasonal naive forecast",
    "arima": "AutoARIMA",
    "ets": "AutoETS",
}
# A baseline this close to perfect (relative to the series' spread) is exact up to floating-point rounding.
EXACT_TOLERANCE = 1e-6


def metrics_table(result: Result) -> pd.DataFrame:
    """One row per model and forecast kind, with rmse, mae and r2 on the test targets."""
    rows = []
    for model in result.models:
        for kind, label in KIND_LABELS.items():
            values = result.metrics[model][kind]
            rows.append({"model": MODEL_LABELS[model], "forecast": label, **values})
    return pd.DataFrame(rows, columns=["model", "forecast", "rmse", "mae", "r2", "mase"])


def _with_range(mean: float, spread: tuple[float, float], digits: str = ".3g") -> str:
    if not np.isfinite(mean):
        return "not finite"
    low, high = spread
    return f"{mean:{digits}} ({low:{digits}}–{high:{digits}})" if high > low else f"{mean:{digits}}"


def backtest_table(run: RunResult) -> pd.DataFrame:
    """One row per model: recursive MASE and MAE averaged over the backtest windows (lowest–highest), one-step
    MASE, and the windows it wins by recursive MASE (their numbers, oldest first)."""
    wins = run.best_by_window()
    rows = []
    for model, kinds in run.mean_metrics.items():
        spread = run.spread[model]
        rows.append(
            {
                "model": MODEL_LABELS[model],
                "recursive MASE": _with_range(kinds["recursive"]["mase"], spread["recursive"]["mase"]),
                "recursive MAE": _with_range(kinds["recursive"]["mae"], spread["recursive"]["mae"], ".4g"),
                "one-step MASE": _with_range(kinds["one_step"]["mase"], spread["one_step"]["mase"]),
                # Which windows, by number ("#1, #3"): a bare "3" read as a count of windows.
                "won windows": ", ".join(f"#{index + 1}" for index, best in enumerate(wins) if best == model) or "—",
            }
        )
    return pd.DataFrame(rows)


def future_table(run: RunResult) -> pd.DataFrame:
    """The future, a row per step: x, the true value (functions of x), each model's forecast and its interval."""
    future = run.future
    table = pd.DataFrame({"x": future.future_xs})
    if future.truth is not None:
        table["actual"] = future.truth
    for model in future.models:
        table[model] = future.future(model)
        band = run.band(model, -1)
        if band is not None:
            table[f"{model}_lower"], table[f"{model}_upper"] = band.lower, band.upper
    return table


def predictions_table(result: Result) -> pd.DataFrame:
    """Every target the chart shows: x, actual, and each model's one-step and (test only) recursive prediction.

    The `part` column says whether a row is a training or a test target; recursive forecasts exist only on the
    test part and are empty elsewhere.
    """
    first = result.first_target
    n_targets = result.n_train + result.n_test
    xs = result.xs[first : first + n_targets]
    table = pd.DataFrame(
        {
            "x": xs,
            "part": ["train"] * result.n_train + ["test"] * result.n_test,
            "actual": result.ys[first : first + n_targets],
        }
    )
    for model in result.models:
        table[f"{model}_one_step"] = np.concatenate([result.fitted(model), result.test_forecast(model, "one_step")])
        recursive = np.full(n_targets, np.nan)
        recursive[result.n_train :] = result.test_forecast(model, "recursive")
        table[f"{model}_recursive"] = recursive
    return table


def config_json(result: Result) -> str:
    """The config as indented JSON, ready to share or to pass back as query parameters."""
    return json.dumps(result.config.to_dict(), indent=2)


def _format(value: float) -> str:
    return f"{value:.3g}" if np.isfinite(value) else "not finite"


def reading(result: Result, ensemble: Ensemble | None = None) -> str:
    """One or two sentences a newcomer can act on: who wins, by how much, and what the multi-step forecast says."""
    metrics = result.metrics
    lstm = metrics["lstm"]["one_step"]["rmse"]
    naive = metrics["naive"]["one_step"]["rmse"]
    lstm_recursive = metrics["lstm"]["recursive"]["rmse"]
    spread = float(np.std(result.test_targets))
    # A constant test part (spread 0) is measured against 1; a spread that overflows makes nothing "exact".
    exact = EXACT_TOLERANCE * (spread or 1.0) if np.isfinite(spread) else 0.0
    sentences = []
    if not np.isfinite(lstm):
        sentences.append("The LSTM's predictions are not finite: training diverged, so lower the learning rate.")
    elif lstm <= exact and naive <= exact:
        sentences.append(f"One step ahead, the LSTM and repeating the last value are both exact ({_format(lstm)}).")
    elif lstm < naive:
        sentences.append(
            f"One step ahead, the LSTM (RMSE {_format(lstm)}) is {naive / max(lstm, 1e-300):.1f}× better than "
            f"repeating the last value ({_format(naive)})."
        )
    else:
        sentences.append(
            f"One step ahead, the LSTM (RMSE {_format(lstm)}) does not beat simply repeating the last value "
            f"({_format(naive)}): train longer, scale the data or change the network."
        )
    sentences += _linear_sentences(result, exact)
    if np.isfinite(lstm_recursive):
        how = (
            f"Forecasting all {result.n_test} test steps at once from the last window (the direct strategy)"
            if result.config.strategy == "direct"
            else f"Fed its own predictions for all {result.n_test} test steps (the honest forecast)"
        )
        sentences.append(f"{how}, the LSTM's RMSE is {_format(lstm_recursive)}.")
    if len(result.models) > 3 or (ensemble is not None and ensemble.size > 1):
        sentences.append(best_recursive(result, ensemble))
    return " ".join(sentences)


def _linear_sentences(result: Result, exact: float) -> list[str]:
    """What the linear AR says: exact (and why, for a function of x), exact one step ahead only, or better."""
    linear = result.metrics["linear_ar"]["one_step"]["rmse"]
    linear_recursive = result.metrics["linear_ar"]["recursive"]["rmse"]
    lstm = result.metrics["lstm"]["one_step"]["rmse"]
    if not linear <= exact:
        if np.isfinite(lstm) and linear < lstm:
            return [f"A linear autoregression on the same windows does better still (RMSE {_format(linear)})."]
        return []
    if not linear_recursive <= exact:
        return [
            f"A linear autoregression on the same windows is exact one step ahead (RMSE {linear:.1g}), but fed its "
            f"own predictions it drifts too (RMSE {_format(linear_recursive)})."
        ]
    subject = sources.get(result.config.source).series_name
    return [
        f"A linear autoregression on the same windows is exact here (RMSE {linear:.1g}): {subject} obeys a linear "
        "recurrence, so no network can do better."
    ]


def best_recursive(result: Result, ensemble: Ensemble | None = None) -> str:
    """One sentence naming the model with the lowest recursive MAE, whichever it is, and the runner-up.

    With an ensemble, the LSTM is the mean of its members' forecasts, and is named so.
    """
    labels = {model: SENTENCE_NAMES[model] for model in result.models}
    if ensemble is not None and ensemble.size > 1:
        labels["lstm"] = f"{ensemble.size}-seed LSTM ensemble mean"
    scores = {model: result.metrics[model]["recursive"]["mae"] for model in result.models}
    finite = {model: value for model, value in scores.items() if np.isfinite(value)}
    if not finite:
        return "No model's recursive forecast is finite."
    ranked = sorted(finite, key=finite.__getitem__)
    best = ranked[0]
    kind = "multi-step" if result.config.strategy == "direct" else "recursive"
    sentence = (
        f"Over the whole {result.n_test}-step test part, the best {kind} forecast is the "
        f"{labels[best]}'s (MAE {_format(finite[best])})"
    )
    if len(ranked) > 1:
        sentence += f", ahead of the {labels[ranked[1]]}'s ({_format(finite[ranked[1]])})"
    return sentence + "."


def run_reading(run: RunResult, ensemble: Ensemble | None = None) -> str:
    """The holdout's reading, then what the backtest and the intervals add: the best model by recursive MASE over
    the windows, and how often the LSTM's interval held the values it had not seen."""
    sentences = [reading(run.result, ensemble)]
    diverged = {found.where for found in run.divergences() if found.model == "lstm" and found.member is None}
    if diverged:
        sentences.append(f"Careful: the LSTM's forecast has diverged on {', '.join(sorted(diverged))} (see above).")
    if len(run.windows) > 1 and (best := run.best()) is not None:
        mase = run.mean_metrics[best]["recursive"]["mase"]
        sentences.append(
            f"Over {len(run.windows)} backtest windows, the best recursive forecast by mean MASE is the "
            f"{SENTENCE_NAMES[best]}'s ({_format(mase)})."
        )
    covered = [run.coverage("lstm", index) for index in range(1, len(run.windows))]
    covered = [share for share in covered if share is not None]
    if covered:
        sentences.append(
            f"The LSTM's {run.config.interval}% interval held {np.mean(covered):.0%} of the held-out values of the "
            f"window{'s' * (len(covered) > 1)} it had not been calibrated on."
        )
    return " ".join(sentences)


def _steps(missing: np.ndarray) -> str:
    """Steps as a short list of ranges, e.g. "7–12" or "3, 9–10"."""
    steps = [int(step) + 1 for step in np.flatnonzero(missing)]
    ranges, start = [], None
    for index, step in enumerate(steps):
        start = step if start is None else start
        if index + 1 == len(steps) or steps[index + 1] != step + 1:
            ranges.append(f"{start}–{step}" if step > start else f"{step}")
            start = None
    return ", ".join(ranges)


def interval_notes(run: RunResult) -> list[str]:
    """What the intervals could not give, in sentences: steps without enough out-of-sample errors for the level,
    and a holdout band that would need an earlier window to calibrate it."""
    level = run.config.interval
    if not level:
        return []
    notes = []
    if len(run.windows) == 1:
        notes.append(
            f"No {level}% band on the holdout: it is calibrated on earlier backtest windows; set backtest_windows "
            "to 2 or more"
        )
    targets = [("the holdout", None)] + ([("the future", -1)] if run.future is not None else [])
    for where, window in targets:
        band = run.band("lstm", window)
        if band is None:
            continue
        needed = intervals.fewest_errors(level)
        if band.pooled is not None and band.pooled.any():
            notes.append(
                f"The LSTM's {level}% band on {where} at step {_steps(band.pooled > 0)} also uses the errors of the "
                f"step{'s' * int(band.pooled.max() > 1)} just before: too few of its own ({needed} are needed), and "
                "errors grow with the step, so it is a little narrow there"
            )
        if band.missing_steps:
            notes.append(
                f"The LSTM's {level}% band on {where} has no width for step {_steps(~np.isfinite(band.lower))}: "
                f"too few out-of-sample errors that far ahead ({needed} are needed); use more "
                "backtest windows, a longer test part or a lower level"
            )
    return notes


def run_warnings(run: RunResult) -> list[str]:
    """A sentence for every forecast that diverged, so that none is drawn or scored silently as if it were an
    answer: whose, where, how far, and what to try."""
    sentences = []
    for found in run.divergences():
        who = SENTENCE_NAMES[found.model]
        if found.member is not None:
            who += f" network with seed {found.member} (one of the ensemble's)"
        sentences.append(
            f"The {who}'s forecast on {found.where} has diverged: it {found.detail}. It is not an answer"
            + (": try less differencing, the direct strategy or a lower learning rate" if found.model == "lstm" else "")
        )
    return sentences
