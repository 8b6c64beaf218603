"""Research probe: can the project's LSTM beat ARIMA and ETS on the bundled real series, and with what recipe?

    python -m bench.real_series_probe                       # every bundled series, the recipe below, 5 seeds
    python -m bench.real_series_probe --datasets airline_passengers --seeds 0 1 2 --layers 1 --difference 1

Each series keeps its natural holdout (the last 12 months, or the last 10 years) out of everything that is
fitted. The baselines (naive, seasonal naive, linear AR on the LSTM's windows, AutoARIMA, AutoETS) come from
forecast.baselines. The LSTM is trained by forecast.model.train on windows of the TRANSFORMED series
(forecast.transforms), standardised on its training part, and its predictions are inverted to the original
units: one-step from the true history, recursive from its own. The ensemble is the mean, in original units, of
the members' forecasts. It prints MAE and RMSE, one-step and recursive, per model and series, with fit times.

The default recipe (what this probe found; every knob is a flag): log when every value is positive; the
season's difference when there is a season; the first difference too when the training part holds at least 8
seasons (or has no season), and then a lookback of one season, otherwise half a season (6 without a season);
2 LSTM layers of 32 units, 200 epochs, batch 16, Adam 0.001; the mean of 5 seeds. `--patience N` emulates early
stopping on the last tenth of the training windows; `--difference -1 --lookback -1` chooses both by a backtest
on the training part (it picked the wrong candidate on airline passengers and US accidental deaths).
"""

from __future__ import annotations

import argparse
import dataclasses
import itertools
import os
import statistics
import sys
import time

import numpy as np

from forecast.config import Config
from forecast.data import Dataset, StandardScaler, datasets, transform
from forecast.evaluation import metrics
from forecast.models import baselines, forecasting

# The natural holdout of each bundled series and its season (0: none), as the catalogue carries them.
HOLDOUTS = {name: info.holdout for name, info in datasets.CATALOGUE.items()}
SEASONS = {name: info.season_length for name, info in datasets.CATALOGUE.items()}


@dataclasses.dataclass(frozen=True)
class Recipe:
    """The real-series recipe: transforms chosen from the series, and the network's settings."""

    log: bool = True  # log when every value is positive
    # -2: by length (below); -1: 0 or 1, whichever forecasts the last holdout of the training part better
    difference: int = -2
    seasonal_difference: int = 1  # when the series has a season
    # 0: a season with the first difference, half a season without it, 6 without a season; -1: by backtest
    lookback: int = 0
    long_series_seasons: int = 8  # difference -2: first difference when the training part holds this many seasons
    layers: int = 2
    units: int = 32
    epochs: int = 200
    batch_size: int = 16
    learning_rate: float = 0.001
    patience: int = 0  # > 0: early stopping on the last validation_ratio of the training windows
    validation_ratio: float = 0.1

    def chain(self, values: np.ndarray, season_length: int) -> transform.TransformChain:
        positive = bool(np.all(values > 0))
        return transform.TransformChain(
            transform="log" if self.log and positive else "none",
            difference=self.difference,
            seasonal_difference=self.seasonal_difference if season_length >= 2 else 0,
            season_length=season_length,
        )

    def resolved(self, n_train_points: int, season_length: int) -> Recipe:
        """The recipe with "by length" settings made concrete for a training part of this many values."""
        difference = self.difference
        if difference == -2:
            long_enough = season_length < 2 or n_train_points >= self.long_series_seasons * season_length
            difference = 1 if long_enough else 0
        return dataclasses.replace(self, difference=difference)

    def lookback_for(self, season_length: int) -> int:
        if self.lookback:
            return self.lookback
        if season_length < 2:
            return 6
        return season_length if self.difference else max(2, season_length // 2)


def lstm_forecasts(values: np.ndarray, holdout: int, season_length: int, recipe: Recipe, seed: int):
    """One member: (one-step, recursive) forecasts of the holdout in original units, and fit seconds."""
    from forecast.models.lstm import network, trainer

    recipe = recipe.resolved(len(values) - holdout, season_length)
    chain = recipe.chain(values[:-holdout], season_length)
    lookback = recipe.lookback_for(season_length)
    transform.check_chain(chain, len(values), lookback, test_size=holdout)
    changes = transform.apply(values, chain)  # (n - lost,)
    windows = np.lib.stride_tricks.sliding_window_view(changes, lookback)[:-1]
    targets = changes[lookback:]
    n_train = len(targets) - holdout
    # Standardised on the values the training windows contain, as the pipeline does.
    scaler = StandardScaler.fit(changes[: n_train + lookback])
    config = Config(
        lookback=lookback,
        layers=recipe.layers,
        units=recipe.units,
        epochs=recipe.epochs,
        batch_size=recipe.batch_size,
        learning_rate=recipe.learning_rate,
        seed=seed,
    )
    xs = np.arange(len(changes), dtype=np.float64)
    if recipe.patience:
        # Early stopping as the pipeline's `patience` will do it: fit on the first windows, watch the last
        # validation_ratio of the training windows (chronological), stop after `patience` epochs without a new
        # best and keep the best epoch's weights. The trainer is deterministic (weights from the seed, shuffles
        # from (seed, epoch)), so training again for exactly the best number of epochs gives those weights.
        n_fit = n_train - max(1, round(n_train * recipe.validation_ratio))
        watched = Dataset(
            xs, changes, windows[:n_fit], targets[:n_fit], windows[n_fit:n_train], targets[n_fit:n_train], scaler
        )
        probe = trainer.train(config, watched)
        best_epoch, best_loss = 1, float("inf")
        for epoch, loss in enumerate(probe.val_loss, start=1):
            if loss < best_loss:
                best_epoch, best_loss = epoch, loss
            elif epoch - best_epoch >= recipe.patience:
                break
        training = trainer.train(config.replace(epochs=best_epoch), watched)
        training.fit_seconds += probe.fit_seconds
        if os.environ.get("PROBE_VERBOSE"):
            print(f"seed {seed}: best epoch {best_epoch} of {len(probe.val_loss)} run", file=sys.stderr)
    else:
        dataset = Dataset(
            xs, changes, windows[:n_train], targets[:n_train], windows[n_train:], targets[n_train:], scaler
        )
        training = trainer.train(config, dataset)
    predict = network.predictor(training.model, scaler)
    test_windows = windows[n_train:]  # (holdout, lookback)
    one_step_changes = forecasting.one_step(predict, test_windows)
    recursive_changes = forecasting.recursive(predict, test_windows[0], holdout)
    origin = len(values) - holdout
    one_step = transform.invert_one_step(values, one_step_changes, origin, chain)
    recursive = transform.invert_recursive(values[:origin], recursive_changes, chain)
    return one_step, recursive, training.fit_seconds


def scores(actual: np.ndarray, one_step: np.ndarray, recursive: np.ndarray) -> dict[str, float]:
    return {
        "one_step_mae": metrics.mae(actual, one_step),
        "one_step_rmse": metrics.rmse(actual, one_step),
        "recursive_mae": metrics.mae(actual, recursive),
        "recursive_rmse": metrics.rmse(actual, recursive),
    }


def evaluate(name: str, recipe: Recipe, seeds: list[int], with_baselines: bool = True) -> list[tuple]:
    values = datasets.load(name).ys
    holdout, season_length = HOLDOUTS[name], SEASONS[name]
    train, test = values[:-holdout], values[-holdout:]
    rows = []
    if recipe.difference != -1 and recipe.lookback != -1:
        recipe = recipe.resolved(len(train), season_length)
    if with_baselines:
        lookback = recipe.lookback_for(season_length) if recipe.lookback >= 0 else season_length or 6
        candidates: list[baselines.Baseline] = [baselines.Naive()]
        if season_length >= 2:
            candidates.append(baselines.SeasonalNaive(season_length))
        candidates += [
            baselines.LinearAR(lookback),
            baselines.AutoARIMA(season_length),
            baselines.AutoETS(season_length),
        ]
        for baseline in candidates:
            started = time.perf_counter()
            baseline.fit(train)
            seconds = time.perf_counter() - started
            label = baseline.name + (f" {baseline.description}" if hasattr(baseline, "description") else "")
            rows.append((name, label, scores(test, baseline.one_step(test), baseline.predict(holdout)), seconds))
    if recipe.difference < 0 or recipe.lookback < 0:
        recipe, backtest = choose_by_backtest(train, holdout, season_length, recipe, seeds)
        for candidate, (error, seconds) in backtest.items():
            rows.append((name, f"backtest {candidate}", _only_recursive(error), seconds))
    members = [lstm_forecasts(values, holdout, season_length, recipe, seed) for seed in seeds]
    for seed, (one_step, recursive, seconds) in zip(seeds, members, strict=True):
        rows.append((name, f"lstm seed {seed}", scores(test, one_step, recursive), seconds))
    one_step = np.mean([member[0] for member in members], axis=0)
    recursive = np.mean([member[1] for member in members], axis=0)
    seconds = sum(member[2] for member in members)
    rows.append(
        (
            name,
            f"lstm mean of {len(seeds)} (d {recipe.difference}, lookback {recipe.lookback_for(season_length)})",
            scores(test, one_step, recursive),
            seconds,
        )
    )
    return rows


def choose_by_backtest(
    train: np.ndarray, holdout: int, season_length: int, recipe: Recipe, seeds: list[int]
) -> tuple[Recipe, dict[str, tuple[float, float]]]:
    """Backtest on the training part only: hold out its last `holdout` values, forecast them recursively with the
    ensemble of every candidate, and keep the best. Candidates: first difference 0 and 1 where `difference` is -1,
    lookback one season and half a season where `lookback` is -1. Returns the recipe and {candidate: (MAE, s)}."""
    full = recipe.lookback_for(season_length) if recipe.lookback >= 0 else 0
    differences = (0, 1) if recipe.difference < 0 else (recipe.difference,)
    season = season_length if season_length >= 2 else 6
    lookbacks = (season, max(2, season // 2)) if recipe.lookback < 0 else (full,)
    backtest = {}
    for difference, lookback in itertools.product(differences, lookbacks):
        candidate = dataclasses.replace(recipe, difference=difference, lookback=lookback)
        members = [lstm_forecasts(train, holdout, season_length, candidate, seed) for seed in seeds]
        recursive = np.mean([member[1] for member in members], axis=0)
        error = metrics.mae(train[-holdout:], recursive)
        backtest[f"difference {difference} lookback {lookback}"] = (error, sum(member[2] for member in members))
        if error <= min(value[0] for value in backtest.values()):
            best = candidate
    return best, backtest


def _only_recursive(error: float) -> dict[str, float]:
    return {
        "one_step_mae": float("nan"),
        "one_step_rmse": float("nan"),
        "recursive_mae": error,
        "recursive_rmse": float("nan"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description="The LSTM on transformed real series against classical peers.")
    parser.add_argument("--datasets", nargs="+", default=list(HOLDOUTS), choices=list(HOLDOUTS))
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    parser.add_argument("--no-baselines", action="store_true")
    for field in dataclasses.fields(Recipe):
        flag = "--" + field.name.replace("_", "-")
        if field.type == "bool":
            parser.add_argument(flag, type=lambda text: text.lower() in ("1", "true", "yes"), default=field.default)
        else:
            parser.add_argument(flag, type=type(field.default), default=field.default)
    arguments = parser.parse_args()
    recipe = Recipe(**{field.name: getattr(arguments, field.name) for field in dataclasses.fields(Recipe)})
    print(recipe)
    print(
        f"{'series':<22} {'model':<40} {'1-step MAE':>10} {'1-step RMSE':>11} {'rec MAE':>9} "
        f"{'rec RMSE':>9} {'fit s':>6}"
    )
    for name in arguments.datasets:
        rows = evaluate(name, recipe, arguments.seeds, with_baselines=not arguments.no_baselines)
        for series, model, values, seconds in rows:
            print(
                f"{series:<22} {model:<40} {values['one_step_mae']:>10.2f} {values['one_step_rmse']:>11.2f} "
                f"{values['recursive_mae']:>9.2f} {values['recursive_rmse']:>9.2f} {seconds:>6.2f}",
                flush=True,
            )
        members = [row[2]["recursive_mae"] for row in rows if row[1].startswith("lstm seed")]

        print(
            f"{name}: members' recursive MAE median {statistics.median(members):.2f}, range "
            f"{min(members):.2f}–{max(members):.2f}"
        )


if __name__ == "__main__":
    main()
