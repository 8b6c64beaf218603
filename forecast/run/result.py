"""What a run produces, as plain data: the Result (no TensorFlow, no pipeline)."""

from __future__ import annotations

import dataclasses
import functools
import io
import json
from typing import Any

import numpy as np
import pandas as pd

from forecast.config import Config
from forecast.data import Fold, holdout
from forecast.evaluation import metrics
from forecast.evaluation.backtest import Forecasts
from forecast.models.progress import Snapshot

__all__ = ["FORECAST_KINDS", "SNAPSHOT_KINDS", "Result", "snapshots_summary"]

FORECAST_KINDS = ("one_step", "recursive")  # the kinds a metrics block scores
SNAPSHOT_KINDS = ("one_step", "recursive", "future")  # the forecasts a snapshot holds


@dataclasses.dataclass(frozen=True, eq=False)
class Result:
    """Everything a run produced, as plain data: it never holds a live model, so it pickles and caches.

    `forecasts` is the tidy table of every model's forecasts (`forecast.evaluation.backtest`); the metrics, the
    error by steps ahead and every view of a run are computed from it.
    """

    config: Config
    xs: np.ndarray  # (n_points,)
    ys: np.ndarray  # (n_points,)
    n_train: int
    n_test: int
    forecasts: Forecasts
    loss: np.ndarray  # (epochs_run,) training MSE in the model's units
    val_loss: np.ndarray  # (epochs_run,) MSE on the test windows, watched only
    learning_rate: np.ndarray  # (epochs_run,) Adam's step size in each epoch (the config's schedule)
    fit_seconds: float
    model_bytes: bytes  # the trained model in `.keras` format
    versions: dict[str, str]
    cached: bool = False
    best_epoch: int = 0  # with early stopping (patience > 0): the epoch whose weights were kept; else 0
    fold: Fold = dataclasses.field(default_factory=Fold)  # the part of the series: a backtest window, the future
    # The future fold's: the x of each step past the series (horizon,), and the true values there (NaN unknown).
    future_xs: np.ndarray | None = None
    truth: np.ndarray | None = None
    networks: int = 1  # how many networks' forecasts the LSTM's are the mean of (an ensemble's size)
    snapshots: tuple[Snapshot, ...] = ()  # the LSTM's forecasts every `snapshot_every` epochs, oldest first

    @property
    def epochs_run(self) -> int:
        return len(self.loss)

    @property
    def is_future(self) -> bool:
        """True for the future: trained on the whole series, forecasting past its end (no test part)."""
        return self.fold.is_future

    @property
    def models(self) -> tuple[str, ...]:
        """The models this result holds forecasts of: the LSTM, then its baselines, in the order shown."""
        return self.forecasts.models

    @property
    def first_target(self) -> int:
        """Index of the first training target: lookback, plus the values differencing consumed."""
        return self.n_points - self.n_train - self.n_test

    @property
    def n_points(self) -> int:
        return len(self.xs)

    @property
    def n_train_points(self) -> int:
        """The values before the test part: what every model was fitted on."""
        return self.n_points - self.n_test

    @property
    def test_xs(self) -> np.ndarray:
        """Where the test predictions are plotted: the last n_test grid points, as in the original."""
        return holdout(self.xs, self.n_test)

    @property
    def test_targets(self) -> np.ndarray:
        return holdout(self.ys, self.n_test)

    @property
    def train_target_xs(self) -> np.ndarray:
        """The x of each training target: the lookback-th point onwards (later when differencing)."""
        return self.xs[self.first_target : self.first_target + self.n_train]

    @property
    def train_targets(self) -> np.ndarray:
        return self.ys[self.first_target : self.first_target + self.n_train]

    def test_forecast(self, model: str = "lstm", kind: str = "one_step") -> np.ndarray:
        """A model's forecast of the test targets, (n_test,): one-step (from true windows) or recursive."""
        if kind not in FORECAST_KINDS:
            raise ValueError(f"kind must be one of {', '.join(FORECAST_KINDS)}, got {kind!r}")
        return self.forecasts.get(model, kind)

    def fitted(self, model: str = "lstm") -> np.ndarray:
        """A model's one-step predictions of the training targets, (n_train,): NaN where it has none."""
        return self.forecasts.get(model, "fit")

    @functools.cached_property
    def mase_scale(self) -> float:
        """MASE's denominator for this fold: the in-sample (seasonal) naive MAE on its training part."""
        return metrics.mase_scale(self.ys[: self.n_points - self.n_test], self.config.season_length)

    @functools.cached_property
    def metrics(self) -> dict[str, dict[str, dict[str, float]]]:
        """metrics[model][kind][metric]: rmse, mae, r2 and mase of the one-step and recursive test forecasts
        (empty for the future, which has no test part: see `future_metrics`)."""
        if self.is_future:
            return {}
        actual, scale = self.test_targets, self.mase_scale
        return {
            model: {kind: metrics.evaluate(actual, self.test_forecast(model, kind), scale) for kind in FORECAST_KINDS}
            for model in self.models
        }

    @functools.cached_property
    def future_metrics(self) -> dict[str, dict[str, float]]:
        """metrics[model] of the future forecast against the true values, where they are known (else empty)."""
        if not self.is_future or self.truth is None or not np.all(np.isfinite(self.truth)):
            return {}
        return {model: metrics.evaluate(self.truth, self.future(model), self.mase_scale) for model in self.models}

    def future(self, model: str = "lstm") -> np.ndarray:
        """A model's forecast past the end of the series, (horizon,)."""
        return self.forecasts.get(model, "future")

    @functools.cached_property
    def step_errors(self) -> dict[str, np.ndarray]:
        """step_errors[model]: RMSE of the rolling-origin forecasts by steps ahead (entry h − 1: h steps ahead)."""
        return {model: self.forecasts.errors_by_step(model, self.ys) for model in self.models}

    def table(self, window: int = 0) -> pd.DataFrame:
        """Every forecast as one tidy frame: model, kind, window, origin, step, x, actual, forecast."""
        if self.future_xs is None:
            return self.forecasts.frame(self.xs, self.ys, window)
        truth = self.truth if self.truth is not None else np.full(len(self.future_xs), np.nan)
        xs = np.concatenate([self.xs, self.future_xs.astype(self.xs.dtype)])
        return self.forecasts.frame(xs, np.concatenate([self.ys, truth]), window)

    def summary(self) -> dict[str, Any]:
        """The command line's JSON object (DESIGN §3.4)."""
        return {
            "config": self.config.to_dict(),
            "n_points": self.n_points,
            "n_train": self.n_train,
            "n_test": self.n_test,
            "epochs_run": self.epochs_run,
            "fit_seconds": round(self.fit_seconds, 4),
            "cached": self.cached,
            "final_loss": _finite_or_none(self.loss[-1]) if len(self.loss) else None,
            "final_val_loss": _finite_or_none(self.val_loss[-1]) if len(self.val_loss) else None,
            **({"best_epoch": self.best_epoch} if self.config.patience > 0 else {}),
            **({"snapshots": snapshots_summary(self.snapshots)} if self.config.snapshot_every > 0 else {}),
            "metrics": {
                model: {
                    kind: {name: _finite_or_none(value) for name, value in values.items()}
                    for kind, values in kinds.items()
                }
                for model, kinds in self.metrics.items()
            },
            "versions": self.versions,
        }

    def to_bytes(self) -> bytes:
        """Serialise as an `.npz` archive of arrays plus JSON: no pickle, so reading a foreign file is safe."""
        meta = {
            "config": self.config.to_dict(),
            "n_train": self.n_train,
            "n_test": self.n_test,
            "fit_seconds": self.fit_seconds,
            "versions": self.versions,
            "models": list(self.models),
            "best_epoch": self.best_epoch,
            "fold": dataclasses.asdict(self.fold),
        }
        arrays = {
            "meta": np.frombuffer(json.dumps(meta).encode("utf-8"), dtype=np.uint8),
            "xs": self.xs,
            "ys": self.ys,
            "loss": self.loss,
            "val_loss": self.val_loss,
            "learning_rate": self.learning_rate,
            "model_bytes": np.frombuffer(self.model_bytes, dtype=np.uint8),
        }
        arrays |= {f"forecasts/{name}": values for name, values in self.forecasts.to_arrays().items()}
        arrays |= _snapshot_arrays(self.snapshots)
        if self.future_xs is not None:
            arrays["future_xs"] = self.future_xs
            arrays["truth"] = self.truth if self.truth is not None else np.full(len(self.future_xs), np.nan)
        buffer = io.BytesIO()
        np.savez(buffer, **arrays)
        return buffer.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes) -> Result:
        """Read what `to_bytes` wrote; raises ValueError for anything else."""
        try:
            with np.load(io.BytesIO(data), allow_pickle=False) as archive:
                return cls._from_archive(archive)
        except Exception as error:  # A damaged or foreign file can fail in many ways; all mean "not a result".
            raise ValueError(f"not a stored result ({type(error).__name__}: {error})") from None

    @classmethod
    def _from_archive(cls, archive: Any) -> Result:
        meta = json.loads(archive["meta"].tobytes().decode("utf-8"))
        prefix = "forecasts/"
        stored = {name[len(prefix) :]: archive[name] for name in archive.files if name.startswith(prefix)}
        return cls(
            config=Config(**meta["config"]),
            xs=_dates_or_numbers(archive["xs"]),
            ys=archive["ys"].astype(np.float64),
            n_train=int(meta["n_train"]),
            n_test=int(meta["n_test"]),
            forecasts=Forecasts.from_arrays(stored, tuple(meta["models"])),
            loss=archive["loss"].astype(np.float64),
            val_loss=archive["val_loss"].astype(np.float64),
            learning_rate=archive["learning_rate"].astype(np.float64),
            fit_seconds=float(meta["fit_seconds"]),
            model_bytes=archive["model_bytes"].tobytes(),
            versions=dict(meta["versions"]),
            best_epoch=int(meta.get("best_epoch", 0)),
            fold=Fold(**meta["fold"]),
            future_xs=_dates_or_numbers(archive["future_xs"]) if "future_xs" in archive.files else None,
            truth=archive["truth"].astype(np.float64) if "truth" in archive.files else None,
            snapshots=_snapshots_from(archive),
        )


def snapshots_summary(snapshots: tuple[Snapshot, ...]) -> list[dict[str, Any]]:
    """The JSON's `snapshots`: each as epoch, losses and forecasts (a future's as `future` instead)."""
    return [
        {
            "epoch": snapshot.epoch,
            "loss": _finite_or_none(snapshot.loss),
            "val_loss": _finite_or_none(snapshot.val_loss),
            **{
                kind: [_finite_or_none(value) for value in values]
                for kind in SNAPSHOT_KINDS
                if len(values := getattr(snapshot, kind)) or kind != "future"
            },
        }
        for snapshot in snapshots
    ]


def _snapshot_arrays(snapshots: tuple[Snapshot, ...]) -> dict[str, np.ndarray]:
    if not snapshots:
        return {}
    arrays = {
        "snapshots/epoch": np.array([snapshot.epoch for snapshot in snapshots], dtype=np.int64),
        "snapshots/loss": np.array([snapshot.loss for snapshot in snapshots]),
        "snapshots/val_loss": np.array([snapshot.val_loss for snapshot in snapshots]),
    }
    for kind in SNAPSHOT_KINDS:
        arrays[f"snapshots/{kind}"] = np.stack([getattr(snapshot, kind) for snapshot in snapshots]).astype(np.float64)
    return arrays


def _snapshots_from(archive: Any) -> tuple[Snapshot, ...]:
    if "snapshots/epoch" not in archive.files:
        return ()
    parts = {kind: archive[f"snapshots/{kind}"] for kind in SNAPSHOT_KINDS}
    return tuple(
        Snapshot(int(epoch), float(loss), float(val_loss), *(parts[kind][index] for kind in SNAPSHOT_KINDS))
        for index, (epoch, loss, val_loss) in enumerate(
            zip(archive["snapshots/epoch"], archive["snapshots/loss"], archive["snapshots/val_loss"], strict=True)
        )
    )


def _dates_or_numbers(xs: np.ndarray) -> np.ndarray:
    return xs if np.issubdtype(xs.dtype, np.datetime64) else xs.astype(np.float64)


def _finite_or_none(value: float) -> float | None:
    value = float(value)
    return value if np.isfinite(value) else None
