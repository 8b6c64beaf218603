"""LSTM Forecast Playground: train a stacked LSTM on a series and compare it with honest baselines.

Importing the package is cheap: TensorFlow is imported only when a model is trained (`forecast.model`), and
Streamlit only by the app's own package, `forecast.ui`.
"""

from forecast.cache import ResultCache, default_cache_dir
from forecast.config import DEFAULT_CONFIG, ORIGINAL_RECIPE, Config
from forecast.data import Dataset, make_dataset
from forecast.expressions import PRESETS, ExpressionError
from forecast.fields import from_query_params, to_query_params
from forecast.pipeline import compute, resolve_members, result_key, run
from forecast.result import EpochReport, Result

__all__ = [
    "DEFAULT_CONFIG",
    "ORIGINAL_RECIPE",
    "PRESETS",
    "Config",
    "Dataset",
    "EpochReport",
    "ExpressionError",
    "Result",
    "ResultCache",
    "compute",
    "default_cache_dir",
    "from_query_params",
    "make_dataset",
    "resolve_members",
    "result_key",
    "run",
    "to_query_params",
]
