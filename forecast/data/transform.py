"""The one place a series is transformed for a model and a forecast is brought back: log, first and seasonal
differencing, standard scaling, and their exact inverses, held together by `Transform`.

The chain is applied in this order: log (optional), then the differencing operator
(1 − B)^difference · (1 − B^season_length)^seasonal_difference, where B shifts the series back one step. The two
differencing operators commute, so one polynomial in B does both: the transformed value at t is
z[t] = Σₖ cₖ·w[t − k] with c₀ = 1, w = log(y) or y. The first `lost` = difference + seasonal_difference ·
season_length values have no transformed value.

Inverting needs the values before each target. One-step: each predicted change is added to the TRUE previous
values, w[t] = ẑ[t] − Σₖ≥₁ cₖ·w[t − k]. Recursive: from the forecast origin on, the previous values are the
forecast's own, so the errors accumulate as they would in a real forecast. The identity chain returns its input
unchanged, bit for bit.

`Transform` is the fitted whole: the chain, then a scaler fitted on the transformed training part only. Every
forecaster that works on transformed windows (the LSTM, the linear AR) fits one on its own training part and
inverts every forecast with it.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from forecast.config import Config
from forecast.config.catalogue import DIFFERENCES, MAX_SEASON_LENGTH, SEASONAL_DIFFERENCES, TRANSFORMS

__all__ = [
    "StandardScaler",
    "Transform",
    "TransformChain",
    "apply",
    "chain_of",
    "check_values",
    "invert_one_step",
    "invert_recursive",
]


@dataclasses.dataclass(frozen=True)
class TransformChain:
    """What is done to the values before the windows are cut: the names match the config fields."""

    transform: str = "none"  # "none" | "log"
    difference: int = 0  # order of first differencing: 0, 1 or 2
    seasonal_difference: int = 0  # 0 or 1: difference at lag season_length
    season_length: int = 0  # 0 = no season; otherwise 2–400

    def __post_init__(self) -> None:
        if self.transform not in TRANSFORMS:
            raise ValueError(f"transform must be one of {', '.join(TRANSFORMS)}, got {self.transform!r}")
        if self.difference not in DIFFERENCES:
            raise ValueError(f"difference must be 0, 1 or 2, got {self.difference!r}")
        if self.seasonal_difference not in SEASONAL_DIFFERENCES:
            raise ValueError(f"seasonal_difference must be 0 or 1, got {self.seasonal_difference!r}")
        if self.season_length != 0 and not 2 <= self.season_length <= MAX_SEASON_LENGTH:
            raise ValueError(
                f"season_length must be 0 (no season) or 2–{MAX_SEASON_LENGTH}, got {self.season_length!r}"
            )
        if self.seasonal_difference and self.season_length < 2:
            raise ValueError("seasonal differencing needs a season length of 2 or more: set season_length")

    @property
    def is_identity(self) -> bool:
        """True when the chain changes nothing."""
        return self.transform == "none" and self.difference == 0 and self.seasonal_difference == 0

    @property
    def lost(self) -> int:
        """How many leading values the differencing consumes: they have no transformed value."""
        return self.difference + self.seasonal_difference * self.season_length

    @property
    def coefficients(self) -> np.ndarray:
        """c₀ … c_lost of the differencing polynomial in B (c₀ = 1); integers, so exact in float64."""
        polynomial = np.array([1.0])
        for _ in range(self.difference):
            polynomial = np.convolve(polynomial, [1.0, -1.0])
        if self.seasonal_difference:
            seasonal = np.zeros(self.season_length + 1)
            seasonal[0], seasonal[-1] = 1.0, -1.0
            polynomial = np.convolve(polynomial, seasonal)
        return polynomial

    def describe(self) -> str:
        """The chain in words, for messages: "log, first difference, seasonal difference at 12"."""
        parts = []
        if self.transform == "log":
            parts.append("log")
        if self.difference:
            parts.append("first difference" if self.difference == 1 else "second difference")
        if self.seasonal_difference:
            parts.append(f"seasonal difference at {self.season_length}")
        return ", ".join(parts) if parts else "no transform"


@dataclasses.dataclass(frozen=True)
class StandardScaler:
    """Standardisation with a mean and std fitted on training values only."""

    mean: float
    std: float

    @classmethod
    def fit(cls, values: np.ndarray) -> StandardScaler:
        """Fit on `values`; a constant series keeps std 1 so that transforming it stays finite."""
        values = np.asarray(values, dtype=np.float64)
        std = float(values.std())
        return cls(mean=float(values.mean()), std=std if std > 0 else 1.0)

    @classmethod
    def identity(cls) -> StandardScaler:
        """A scaler that changes nothing (scaling "none", as in the original)."""
        return cls(mean=0.0, std=1.0)

    def transform(self, values: np.ndarray) -> np.ndarray:
        """Scale values into the model's units."""
        return (np.asarray(values, dtype=np.float64) - self.mean) / self.std

    def inverse(self, values: np.ndarray) -> np.ndarray:
        """Bring values from the model's units back to the series' units."""
        return np.asarray(values, dtype=np.float64) * self.std + self.mean


def chain_of(config: Config) -> TransformChain:
    """What the config does to the values before the windows are cut: log, differencing, seasonal differencing."""
    return TransformChain(config.transform, config.difference, config.seasonal_difference, config.season_length)


def _as_series(values: np.ndarray, name: str) -> np.ndarray:
    values = np.asarray(values, dtype=np.float64)
    if values.ndim != 1:
        raise ValueError(f"{name} must be one series of shape (n,), got {values.shape}")
    return values


def _position(index: int, xs: np.ndarray | None) -> str:
    where = f"row {index + 1}"
    if xs is not None:
        x = xs[index]
        where += f" (x = {np.datetime_as_string(x, unit='D') if isinstance(x, np.datetime64) else f'{x:g}'})"
    return where


def check_values(values: np.ndarray, chain: TransformChain, xs: np.ndarray | None = None) -> None:
    """Raise ValueError if the chain cannot be applied to these values: log needs every value above 0."""
    values = _as_series(values, "values")
    if chain.transform == "log":
        bad = np.flatnonzero(~(values > 0))
        if len(bad):
            first = int(bad[0])
            raise ValueError(
                f"the log transform needs values above 0, but {_position(first, xs)} is {values[first]:g}"
                + (f" ({len(bad)} such values)" if len(bad) > 1 else "")
                + ": choose transform none, or shift the series above 0"
            )


def _working(values: np.ndarray, chain: TransformChain) -> np.ndarray:
    # The series the differencing acts on: log(y) or y itself.
    return np.log(values) if chain.transform == "log" else values


def _original(working: np.ndarray, chain: TransformChain) -> np.ndarray:
    return np.exp(working) if chain.transform == "log" else working


def apply(values: np.ndarray, chain: TransformChain, xs: np.ndarray | None = None) -> np.ndarray:
    """The transformed series the windows are built on: shape (n − chain.lost,); entry i belongs to values[i + lost].

    `xs` (optional, same length) only makes error messages name the x of a bad value.
    """
    values = _as_series(values, "values")
    check_values(values, chain, xs)
    if len(values) <= chain.lost:
        raise ValueError(f"{chain.describe()} needs more than {chain.lost} values, got {len(values)}")
    if chain.is_identity:
        return values.copy()
    working = _working(values, chain)
    # 'valid' convolution: entry i is Σₖ cₖ·working[i + lost − k], the operator at t = i + lost.
    return np.convolve(working, chain.coefficients, mode="valid")


def invert_one_step(values: np.ndarray, predicted: np.ndarray, start: int, chain: TransformChain) -> np.ndarray:
    """Original-unit predictions of values[start:start + len(predicted)], each from the TRUE previous values.

    `predicted[j]` is the model's transformed-scale prediction for position start + j; only values before each
    position are read (values[start + j] itself may be anything, e.g. the test part being predicted).
    """
    values = _as_series(values, "values")
    predicted = _as_series(predicted, "predicted")
    end = start + len(predicted)
    if start < chain.lost or end > len(values):
        raise ValueError(
            f"one-step inversion needs positions {chain.lost}–{len(values) - 1} (the first {chain.lost} have no "
            f"history), got {start}–{end - 1}"
        )
    if chain.is_identity:
        return predicted.copy()
    working = _working(values[:end], chain)
    coefficients = chain.coefficients
    history = np.zeros(len(predicted))
    for lag in np.flatnonzero(coefficients)[1:]:
        history += coefficients[lag] * working[start - lag : end - lag]
    return _original(predicted - history, chain)


def invert_recursive(history: np.ndarray, predicted: np.ndarray, chain: TransformChain) -> np.ndarray:
    """Original-unit forecast of the len(predicted) values after `history`, accumulating its own predictions.

    `history` holds the true values up to the forecast origin (only its last `chain.lost` are used);
    `predicted[h]` is the model's transformed-scale forecast h + 1 steps ahead.
    """
    history = _as_series(history, "history")
    predicted = _as_series(predicted, "predicted")
    if len(history) < chain.lost:
        raise ValueError(
            f"recursive inversion needs at least {chain.lost} values before the origin, got {len(history)}"
        )
    if chain.is_identity:
        return predicted.copy()
    lost = chain.lost
    coefficients = chain.coefficients
    lags = np.flatnonzero(coefficients)[1:]
    # The working-scale path: the true values up to the origin, then the forecast's own values.
    path = np.concatenate([_working(history[len(history) - lost :], chain), np.empty(len(predicted))])
    for step, change in enumerate(predicted):
        position = lost + step
        path[position] = change - float(np.dot(coefficients[lags], path[position - lags]))
    return _original(path[lost:], chain)


@dataclasses.dataclass(frozen=True)
class Transform:
    """A fitted, invertible transform: the chain (log, differencing), then a scaler fitted on the training part.

    `apply` transforms a series (the windows are cut from it); `scale` and `unscale` take transformed values to
    the network's units and back; `invert_one_step` and `invert_recursive` take forecasts of transformed values
    back to the series' own units. The scaler is applied around the network only: the linear AR works on the
    transformed values themselves.
    """

    chain: TransformChain = dataclasses.field(default_factory=TransformChain)
    scaler: StandardScaler = dataclasses.field(default_factory=StandardScaler.identity)

    @classmethod
    def fit(
        cls, train: np.ndarray, chain: TransformChain, scaling: str = "none", xs: np.ndarray | None = None
    ) -> Transform:
        """Fit on the training part of a series: `scaling` "standard" standardises with its transformed values'
        mean and std (the test part never leaks into the scaling), "none" leaves them as they are."""
        if scaling not in ("standard", "none"):
            raise ValueError(f"scaling must be standard or none, got {scaling!r}")
        transformed = apply(train, chain, xs)
        scaler = StandardScaler.fit(transformed) if scaling == "standard" else StandardScaler.identity()
        return cls(chain, scaler)

    @property
    def lost(self) -> int:
        """How many leading values have no transformed value (the differencing consumes them)."""
        return self.chain.lost

    def apply(self, values: np.ndarray, xs: np.ndarray | None = None) -> np.ndarray:
        """The transformed series, (n − lost,): entry i belongs to values[i + lost]."""
        return apply(values, self.chain, xs)

    def scale(self, transformed: np.ndarray) -> np.ndarray:
        """Transformed values in the network's units."""
        return self.scaler.transform(transformed)

    def unscale(self, scaled: np.ndarray) -> np.ndarray:
        """The network's outputs as transformed values."""
        return self.scaler.inverse(scaled)

    def invert_one_step(self, values: np.ndarray, predicted: np.ndarray, start: int) -> np.ndarray:
        """Transformed predictions of values[start:start + len(predicted)] in the series' units, each from the
        TRUE previous values (see `invert_one_step`)."""
        return invert_one_step(values, predicted, start, self.chain)

    def invert_recursive(self, history: np.ndarray, predicted: np.ndarray) -> np.ndarray:
        """A transformed forecast of the values after `history` in the series' units, accumulating its own
        predictions (see `invert_recursive`)."""
        return invert_recursive(history, predicted, self.chain)
