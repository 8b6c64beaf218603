"""What a run produces, as plain data: the Result (no TensorFlow, no pipeline)."""

from __future__ import annotations

import dataclasses
import io
import json
from typing import Any

import numpy as np

from forecast.config import Config
from forecast.data import holdout
from forecast.models.progress import EpochReport, ProgressCallback

__all__ = [
    "EXTRA_MODEL_NAMES",
    "FORECAST_KINDS",
    "MODEL_NAMES",
    "EpochReport",
    "ProgressCallback",
    "Result",
    "holdout",
]

MODEL_NAMES = ("lstm", "naive", "linear_ar")  # in every result
# Baselines for real series, in a result when they apply: seasonal naive with a season length of 2 or more;
# AutoARIMA and AutoETS for bundled datasets and uploaded files (forecast.pipeline says when).
EXTRA_MODEL_NAMES = ("seasonal_naive", "arima", "ets")
FORECAST_KINDS = ("one_step", "recursive")


@dataclasses.dataclass(frozen=True, eq=False)
class Result:
    """Everything a run produced, as plain data: it never holds a live model, so it pickles and caches."""

    config: Config
    xs: np.ndarray  # (n_points,)
    ys: np.ndarray  # (n_points,)
    n_train: int
    n_test: int
    # predictions[model][kind]: "one_step" over every window, train then test (n_train + n_test,), NaN on the
    # training part for the baselines fitted on the whole training part (seasonal naive, ARIMA, ETS);
    # "recursive" over the test horizon (n_test,). Every forecast is in the series' original units.
    predictions: dict[str, dict[str, np.ndarray]]
    metrics: dict[str, dict[str, dict[str, float]]]  # metrics[model][kind][metric], on the test targets
    horizon: dict[str, np.ndarray]  # horizon[model]: recursive RMSE by steps ahead, (ceil(n_test / 2),)
    loss: np.ndarray  # (epochs_run,) training MSE in the model's units
    val_loss: np.ndarray  # (epochs_run,) MSE on the test windows, watched only
    learning_rate: np.ndarray  # (epochs_run,) Adam's step size in each epoch (the config's schedule)
    fit_seconds: float
    model_bytes: bytes  # the trained model in `.keras` format
    versions: dict[str, str]
    cached: bool = False
    best_epoch: int = 0  # with early stopping (patience > 0): the epoch whose weights were kept; else 0

    @property
    def epochs_run(self) -> int:
        return len(self.loss)

    @property
    def models(self) -> tuple[str, ...]:
        """The models this result holds forecasts of: MODEL_NAMES, then any EXTRA_MODEL_NAMES that applied."""
        return tuple(self.predictions)

    @property
    def first_target(self) -> int:
        """Index of the first training target: lookback, plus the values differencing consumed."""
        return self.n_points - self.n_train - self.n_test

    @property
    def n_points(self) -> int:
        return len(self.xs)

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
        return holdout(self.predictions[model][kind], self.n_test)

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
            "metrics": self.metrics,
            "fit_seconds": self.fit_seconds,
            "versions": self.versions,
            "models": list(self.models),
            "best_epoch": self.best_epoch,
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
        for model, kinds in self.predictions.items():
            for kind, values in kinds.items():
                arrays[f"predictions/{model}/{kind}"] = values
        for model, values in self.horizon.items():
            arrays[f"horizon/{model}"] = values
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
        models = meta.get("models", MODEL_NAMES)
        predictions = {
            model: {kind: archive[f"predictions/{model}/{kind}"].astype(np.float64) for kind in FORECAST_KINDS}
            for model in models
        }
        xs = archive["xs"]
        if not np.issubdtype(xs.dtype, np.datetime64):
            xs = xs.astype(np.float64)
        return cls(
            config=Config(**meta["config"]),
            xs=xs,
            ys=archive["ys"].astype(np.float64),
            n_train=int(meta["n_train"]),
            n_test=int(meta["n_test"]),
            predictions=predictions,
            metrics=meta["metrics"],
            horizon={model: archive[f"horizon/{model}"].astype(np.float64) for model in models},
            loss=archive["loss"].astype(np.float64),
            val_loss=archive["val_loss"].astype(np.float64),
            learning_rate=archive["learning_rate"].astype(np.float64),
            fit_seconds=float(meta["fit_seconds"]),
            model_bytes=archive["model_bytes"].tobytes(),
            versions=dict(meta["versions"]),
            best_epoch=int(meta.get("best_epoch", 0)),
        )


def _finite_or_none(value: float) -> float | None:
    value = float(value)
    return value if np.isfinite(value) else None
