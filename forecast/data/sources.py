"""Where a series comes from: one class per data source (a function of x, a bundled dataset, an uploaded file).

Every caller that depends on the source (validation, loading, labels, axis titles, the exported script) asks the
source object from `get(config.source)`; adding a source means adding one class here and its fields to Config.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from forecast.config import SOURCE_FIELDS, Config, expressions, point_count
from forecast.config.catalogue import CATALOGUE, MAX_POINTS, MIN_POINTS
from forecast.data import calendar, datasets

__all__ = [
    "MAX_POINTS",
    "MIN_POINTS",
    "SOURCES",
    "DatasetSource",
    "ExpressionSource",
    "MissingUpload",
    "Source",
    "UploadSource",
    "get",
    "grid",
]


class MissingUpload(ValueError):
    """The config names an uploaded file whose bytes are not available here."""


def grid(x_start: float, x_step: float, n_points: int) -> np.ndarray:
    """The sampled x values: `n_points` steps of `x_step` from `x_start` (the end of the range is exclusive)."""
    return x_start + x_step * np.arange(n_points, dtype=np.float64)


class Source:
    """A kind of series. Subclasses name their Config fields and implement the few things callers need."""

    name: ClassVar[str]
    title: ClassVar[str]  # how the app names the choice
    fields: ClassVar[tuple[str, ...]]  # Config fields that matter only for this source (SOURCE_FIELDS)
    # What to suggest when the series is too short for the lookback and split.
    lengthen_advice: ClassVar[str] = "a longer series"
    # Whether AutoARIMA and AutoETS are fitted beside the network: for real series, not for a function of x.
    classical_baselines: ClassVar[bool] = True
    # What the reading says obeys a linear recurrence when the linear AR is exact.
    series_name: ClassVar[str] = "this series"

    def load(self, config: Config, upload: bytes | None = None) -> datasets.Series:
        """The series before noise; ValueError if it cannot be used (MissingUpload if a file is needed)."""
        raise NotImplementedError

    def label(self, config: Config) -> str:
        """A short name for the series, for tables and summaries."""
        raise NotImplementedError

    def suggested_season(self, config: Config, series: datasets.Series) -> int:
        """The season the series suggests (0: none): the usual one for its dates."""
        return calendar.suggest_season(series.xs)

    def truth(self, config: Config, xs: np.ndarray) -> np.ndarray | None:
        """The true values at `xs` past the series, where the source knows them (a function of x); else None."""
        return None

    def future_xs(self, config: Config, xs: np.ndarray, horizon: int) -> np.ndarray:
        """The x of the `horizon` steps after the series: dates at the series' own frequency, numbers at its step."""
        return calendar.continue_xs(xs, horizon)

    def natural_holdout(self, config: Config) -> int:
        """How many final steps forecasters usually hold out for this series (0: none known)."""
        return 0

    def chart_title(self, config: Config) -> str:
        return self.label(config)

    def axis_titles(self, config: Config) -> tuple[str, str]:
        """Names of the x axis and the value axis."""
        raise NotImplementedError

    def export_snippet(self, config: Config, raw_values: np.ndarray | None) -> str:
        """Python source that defines `y` (the series before noise) in the exported script."""
        if raw_values is None:
            raise ValueError("a dataset or uploaded series needs its values to be exported")
        values = ", ".join(repr(float(value)) for value in np.asarray(raw_values, dtype=np.float64))
        return f"# The series of {self.origin(config)}, {len(raw_values)} values.\ny = np.array([{values}])\n"

    def origin(self, config: Config) -> str:
        return "the series"

    def export_truth(self, config: Config) -> str:
        """Python source, for the exported script, that scores its future against the true values where the
        source knows them (a function of x); empty otherwise."""
        return ""


class ExpressionSource(Source):
    """A function of x sampled on a uniform grid, as in the original post."""

    name = "expression"
    title = "Function of x"
    fields = SOURCE_FIELDS["expression"]
    lengthen_advice = "a wider x range or a smaller step"
    classical_baselines = False
    series_name = "this function, sampled on a uniform grid,"

    def n_points(self, config: Config) -> int:
        return point_count(config.x_start, config.x_end, config.x_step)

    def load(self, config: Config, upload: bytes | None = None) -> datasets.Series:
        xs = grid(config.x_start, config.x_step, self.n_points(config))
        # Raises ExpressionError (a ValueError) naming the first x where the values are NaN or infinite.
        return datasets.Series(xs, expressions.evaluate(config.expression, xs), "x", "f(x)")

    def label(self, config: Config) -> str:
        return config.expression

    def export_truth(self, config: Config) -> str:
        return (
            "    # Past x_end the function itself is known: the future's errors against it.\n"
            f"    x = {config.x_start!r} + {config.x_step!r} * np.arange(len(y), len(y) + HORIZON)\n"
            f"    truth = {expressions.to_numpy_source(config.expression)}\n"
            '    report["future"] |= {"truth": truth.tolist(), "metrics": metrics(truth, future, mase_scale(y))}\n'
        )

    def future_xs(self, config: Config, xs: np.ndarray, horizon: int) -> np.ndarray:
        # The grid itself, continued: x = x_start + k·x_step for k = n, n + 1, … (the end of the range is exclusive).
        return grid(config.x_start, config.x_step, len(xs) + horizon)[len(xs) :]

    def truth(self, config: Config, xs: np.ndarray) -> np.ndarray | None:
        # Without noise: the future is scored against the function itself. NaN where it is not defined there.
        values = expressions.evaluate(config.expression, xs, finite=False)
        return np.where(np.isfinite(values), values, np.nan)

    def chart_title(self, config: Config) -> str:
        return f"f(x) = {config.expression}"

    def axis_titles(self, config: Config) -> tuple[str, str]:
        return "x", "f(x)"

    def export_snippet(self, config: Config, raw_values: np.ndarray | None) -> str:
        return (
            f"# f(x) = {config.expression}, sampled from {config.x_start!r} (inclusive) to {config.x_end!r} "
            f"(exclusive) in steps of {config.x_step!r}.\n"
            f"x = {config.x_start!r} + {config.x_step!r} * np.arange({self.n_points(config)})\n"
            f"y = {expressions.to_numpy_source(config.expression)}\n"
        )


class DatasetSource(Source):
    """A real series bundled with the package (see forecast/datasets/README.md)."""

    name = "dataset"
    title = "Bundled dataset"
    fields = SOURCE_FIELDS["dataset"]

    def load(self, config: Config, upload: bytes | None = None) -> datasets.Series:
        return datasets.load(config.dataset)

    def label(self, config: Config) -> str:
        return CATALOGUE[config.dataset].title

    def suggested_season(self, config: Config, series: datasets.Series) -> int:
        return CATALOGUE[config.dataset].season_length

    def natural_holdout(self, config: Config) -> int:
        return CATALOGUE[config.dataset].holdout

    def axis_titles(self, config: Config) -> tuple[str, str]:
        info = CATALOGUE[config.dataset]
        return info.x_column, info.value_column

    def origin(self, config: Config) -> str:
        return f"the bundled dataset {config.dataset!r}"


class UploadSource(Source):
    """A CSV file the visitor uploads; the config names it by its sha256."""

    name = "upload"
    title = "Upload a CSV"
    fields = SOURCE_FIELDS["upload"]

    def load(self, config: Config, upload: bytes | None = None) -> datasets.Series:
        if upload is None:
            raise MissingUpload(
                f"this config uses an uploaded file (sha256 {config.upload[:12]}…) that is not available here: "
                "upload the same file to reproduce it"
            )
        if datasets.content_hash(upload) != config.upload:
            raise ValueError("the uploaded file does not match the config's sha256: upload the file it names")
        return datasets.read_csv(upload, value_column=config.value_column, x_column=config.x_column, fill=config.fill)

    def label(self, config: Config) -> str:
        return f"upload {config.upload[:8]}"

    def chart_title(self, config: Config) -> str:
        return f"Uploaded series: {config.value_column or 'first numeric column'}"

    def axis_titles(self, config: Config) -> tuple[str, str]:
        return config.x_column or "row", config.value_column or "value"

    def origin(self, config: Config) -> str:
        if config.fill == "none":
            return "the uploaded file"
        # The values embedded are those after filling, so the script needs no rule of its own for the gaps.
        done = "rows with an empty value dropped" if config.fill == "drop" else f"empty cells filled ({config.fill})"
        return f"the uploaded file, {done}"


SOURCES: dict[str, Source] = {source.name: source for source in (ExpressionSource(), DatasetSource(), UploadSource())}
if tuple(SOURCES) != tuple(SOURCE_FIELDS):  # the config's vocabulary and this registry name the same sources
    raise RuntimeError(f"sources {tuple(SOURCES)} do not match the config's {tuple(SOURCE_FIELDS)}")


def get(name: str) -> Source:
    """The source called `name`."""
    if name not in SOURCES:
        raise ValueError(f"no data source {name!r}: choose one of {', '.join(SOURCES)}")
    return SOURCES[name]
