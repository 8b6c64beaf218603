"""A run from config to result: data, training, forecasts, baselines and metrics, as one plain-data Result."""

from __future__ import annotations

import dataclasses
import functools
import importlib.metadata
import io
import json
from typing import Any

import numpy as np

from forecast import forecasting, metrics
from forecast.config import Config, config_hash
from forecast.data import Dataset, make_dataset

__all__ = ["MODEL_NAMES", "TRAINING_CODE_VERSION", "Result", "compute", "result_key", "run", "run_ensemble"]

# Bump whenever a change to data, training or forecasting would change the numbers for the same config: it is
# part of every cache key, so results from older code are never served as current ones.
TRAINING_CODE_VERSION = "4"
MODEL_NAMES = ("lstm", "naive", "linear_ar")
FORECAST_KINDS = ("one_step", "recursive")


@functools.cache
def _library_versions() -> dict[str, str]:
    # Read from package metadata rather than by importing TensorFlow, which would cost seconds.
    versions: dict[str, str] = {}
    for package in ("keras", "tensorflow-cpu", "tensorflow", "numpy"):
        try:
            versions[package] = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            continue
    return versions


def result_key(config: Config) -> str:
    """The cache key of a config: its canonical hash with the training code's and libraries' versions."""
    version = TRAINING_CODE_VERSION + ";" + ";".join(f"{k}={v}" for k, v in sorted(_library_versions().items()))
    return config_hash(config, version)


@dataclasses.dataclass(frozen=True, eq=False)
class Result:
    """Everything a run produced, as plain data: it never holds a live model, so it pickles and caches."""

    config: Config
    xs: np.ndarray  # (n_points,)
    ys: np.ndarray  # (n_points,)
    n_train: int
    n_test: int
    # predictions[model][kind]: "one_step" over every window, train then test (n_train + n_test,);
    # "recursive" over the test horizon (n_test,).
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

    @property
    def epochs_run(self) -> int:
        return len(self.loss)

    @property
    def n_points(self) -> int:
        return len(self.xs)

    @property
    def test_xs(self) -> np.ndarray:
        """Where the test predictions are plotted: the last n_test grid points, as in the original."""
        return self.xs[-self.n_test :]

    @property
    def test_targets(self) -> np.ndarray:
        return self.ys[-self.n_test :]

    @property
    def train_target_xs(self) -> np.ndarray:
        """The x of each training target: the lookback-th point onwards."""
        lookback = self.config.lookback
        return self.xs[lookback : lookback + self.n_train]

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
                meta = json.loads(archive["meta"].tobytes().decode("utf-8"))
                predictions = {
                    model: {kind: archive[f"predictions/{model}/{kind}"].astype(np.float64) for kind in FORECAST_KINDS}
                    for model in MODEL_NAMES
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
                    horizon={model: archive[f"horizon/{model}"].astype(np.float64) for model in MODEL_NAMES},
                    loss=archive["loss"].astype(np.float64),
                    val_loss=archive["val_loss"].astype(np.float64),
                    learning_rate=archive["learning_rate"].astype(np.float64),
                    fit_seconds=float(meta["fit_seconds"]),
                    model_bytes=archive["model_bytes"].tobytes(),
                    versions=dict(meta["versions"]),
                )
        except Exception as error:  # A damaged or foreign file can fail in many ways; all mean "not a result".
            raise ValueError(f"not a stored result ({type(error).__name__}: {error})") from None


def _finite_or_none(value: float) -> float | None:
    value = float(value)
    return value if np.isfinite(value) else None


def compute(config: Config, dataset: Dataset | None = None, progress: Any = None) -> Result:
    """Train the config's LSTM and evaluate it beside the baselines; no caching.

    `progress` is the per-epoch callback of `forecast.model.train`.
    """
    # Imported here because it imports TensorFlow: everything before training stays fast to start.
    from forecast import model as lstm_model

    dataset = dataset if dataset is not None else make_dataset(config)
    training = lstm_model.train(config, dataset, progress=progress)
    predictors: dict[str, forecasting.Predictor] = {
        "lstm": lstm_model.predictor(training.model, dataset.scaler),
        "naive": forecasting.naive_predictor,
        "linear_ar": forecasting.LinearAutoregression(dataset.train_windows, dataset.train_targets),
    }
    windows = dataset.windows
    predictions: dict[str, dict[str, np.ndarray]] = {}
    scores: dict[str, dict[str, dict[str, float]]] = {}
    horizon: dict[str, np.ndarray] = {}
    for name, predict in predictors.items():
        one_step = forecasting.one_step(predict, windows)
        recursive = forecasting.recursive(predict, dataset.test_windows[0], dataset.n_test)
        predictions[name] = {"one_step": one_step, "recursive": recursive}
        horizon[name] = forecasting.horizon_rmse(predict, dataset.test_windows, dataset.test_targets)
        scores[name] = {
            "one_step": metrics.evaluate(dataset.test_targets, one_step[-dataset.n_test :]),
            "recursive": metrics.evaluate(dataset.test_targets, recursive),
        }
    return Result(
        config=config,
        xs=dataset.xs,
        ys=dataset.ys,
        n_train=dataset.n_train,
        n_test=dataset.n_test,
        predictions=predictions,
        metrics=scores,
        horizon=horizon,
        loss=training.loss,
        val_loss=training.val_loss,
        learning_rate=training.learning_rate,
        fit_seconds=training.fit_seconds,
        model_bytes=lstm_model.model_to_bytes(training.model),
        versions=_library_versions(),
    )


def run_ensemble(
    config: Config, *, cache: Any = None, progress: Any = None, upload: bytes | None = None
) -> list[Result]:
    """The results of every member of the config's ensemble (one for ensemble size 1), each cached on its own."""
    return [
        run(config.member(index), cache=cache, progress=progress, upload=upload) for index in range(config.ensemble)
    ]


def run(config: Config, *, cache: Any = None, progress: Any = None, upload: bytes | None = None) -> Result:
    """The result for a config: from `cache` (a `forecast.cache.ResultCache`) if it holds one, else computed.

    `upload` is the file's bytes when the config's source is an upload. Raises ValueError before any training
    if the series is unusable. An ensemble config is trained as its members; this returns the first member.
    """
    config = config.member(0) if config.ensemble > 1 else config
    key = result_key(config)
    if cache is not None:
        hit = cache.get(key)
        if hit is not None:
            return hit
    dataset = make_dataset(config, upload)  # Validates the series before paying for TensorFlow.
    result = compute(config, dataset, progress=progress)
    if cache is not None:
        cache.put(key, result)
    return result
