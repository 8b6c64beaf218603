"""What a run is: the Config, what it can name, how its fields are shown and carried in links.

The lowest room: it imports nothing else of the package.
"""

from forecast.config.catalogue import CATALOGUE, MAX_POINTS, MIN_POINTS, SOURCE_FIELDS, DatasetInfo
from forecast.config.config import (
    DEFAULT_CONFIG,
    FIELD_NAMES,
    FIELD_TYPES,
    MAX_ENSEMBLE,
    MAX_TEST_SIZE,
    MAX_UNROLLED_LOOKBACK,
    ORIGINAL_RECIPE,
    Bounds,
    Config,
    bounds,
    check_field,
    config_hash,
    point_count,
)

__all__ = [
    "CATALOGUE",
    "DEFAULT_CONFIG",
    "FIELD_NAMES",
    "FIELD_TYPES",
    "MAX_ENSEMBLE",
    "MAX_POINTS",
    "MAX_TEST_SIZE",
    "MAX_UNROLLED_LOOKBACK",
    "MIN_POINTS",
    "ORIGINAL_RECIPE",
    "SOURCE_FIELDS",
    "Bounds",
    "Config",
    "DatasetInfo",
    "bounds",
    "check_field",
    "config_hash",
    "point_count",
]
