"""LSTM Forecast Playground: train a stacked LSTM on a function of x and compare it with honest baselines.

Importing the package is cheap: TensorFlow is imported only when a model is trained (`forecast.model`).
"""

from forecast.cache import ResultCache, default_cache_dir
from forecast.config import DEFAULT_CONFIG, ORIGINAL_RECIPE, Config, from_query_params
from forecast.data import Dataset, make_dataset
from forecast.expressions import PRESETS, ExpressionError
from forecast.pipeline import Result, compute, result_key, run

__all__ = [
    "DEFAULT_CONFIG",
    "ORIGINAL_RECIPE",
    "PRESETS",
    "Config",
    "Dataset",
    "ExpressionError",
    "Result",
    "ResultCache",
    "compute",
    "default_cache_dir",
    "from_query_params",
    "make_dataset",
    "result_key",
    "run",
]
