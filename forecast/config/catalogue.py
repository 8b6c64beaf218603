"""What a config can name: the bundled datasets (their files, seasons and holdouts), the data sources and
their fields, and the vocabulary of the choice fields. The modules that implement each choice read it from here."""

from __future__ import annotations

import dataclasses

__all__ = [
    "CATALOGUE",
    "DIFFERENCES",
    "FILL_MODES",
    "MAX_POINTS",
    "MAX_SEASON_LENGTH",
    "MIN_POINTS",
    "SCHEDULES",
    "SEASONAL_DIFFERENCES",
    "SOURCE_FIELDS",
    "STRATEGIES",
    "TRANSFORMS",
    "DatasetInfo",
]

# A series holds this many points, whatever its source: a function's sampled range or a file's rows.
MIN_POINTS = 20
MAX_POINTS = 5000
# The data sources and the Config fields that matter only for each (forecast.data.sources implements them).
SOURCE_FIELDS: dict[str, tuple[str, ...]] = {
    "expression": ("expression", "x_start", "x_end", "x_step"),
    "dataset": ("dataset",),
    "upload": ("upload", "value_column", "x_column", "fill"),
}
# What to do with empty cells in an uploaded file's value column: refuse the file, interpolate linearly between
# the neighbouring rows, carry the last value forward, or drop those rows (forecast.data.datasets).
FILL_MODES = ("none", "interpolate", "ffill", "drop")
# The transform chain (forecast.data.transform): log, then first and seasonal differencing.
TRANSFORMS = ("none", "log")
DIFFERENCES = (0, 1, 2)
SEASONAL_DIFFERENCES = (0, 1)
MAX_SEASON_LENGTH = 400
# Learning-rate schedules (forecast.models.schedule).
SCHEDULES = ("constant", "cosine")
# How the LSTM forecasts several steps: feeding its predictions back one step at a time, or all of them at once
# from one multi-step output head (forecast.models.lstm).
STRATEGIES = ("recursive", "direct")


@dataclasses.dataclass(frozen=True)
class DatasetInfo:
    """A bundled dataset: where it comes from and which columns hold time and values."""

    name: str
    title: str
    description: str
    source: str
    file: str
    x_column: str
    value_column: str
    season_length: int = 0  # 0: no season (e.g. yearly data)
    holdout: int = 0  # the final steps forecasters usually hold out for this series


CATALOGUE: dict[str, DatasetInfo] = {
    info.name: info
    for info in (
        DatasetInfo(
            "airline_passengers",
            "Airline passengers (1949–1960)",
            "Monthly international airline passengers in thousands: trend plus a growing yearly season.",
            "Box, Jenkins & Reinsel (1976), Series G; R datasets::AirPassengers",
            "airline_passengers.csv",
            "month",
            "passengers",
            season_length=12,
            holdout=12,
        ),
        DatasetInfo(
            "lake_huron",
            "Lake Huron level (1875–1972)",
            "Annual lake level in feet: slow, strongly autocorrelated swings.",
            "Brockwell & Davis (1991), Series A; R datasets::LakeHuron",
            "lake_huron.csv",
            "year",
            "level_ft",
            season_length=0,
            holdout=10,
        ),
        DatasetInfo(
            "us_accidental_deaths",
            "US accidental deaths (1973–1978)",
            "Monthly accidental deaths in the USA: a strong yearly season on 72 points.",
            "Brockwell & Davis (1991); R datasets::USAccDeaths",
            "us_accidental_deaths.csv",
            "month",
            "deaths",
            season_length=12,
            holdout=12,
        ),
    )
}
