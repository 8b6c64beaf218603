"""LSTM Forecast Playground: train a stacked LSTM on a series and compare it with honest baselines.

Importing the package is cheap: TensorFlow is imported only when a model is trained (`forecast.models.lstm`), and
Streamlit only by the app's own package, `forecast.ui`.
"""

from forecast.config import DEFAULT_CONFIG, ORIGINAL_RECIPE, Config
from forecast.config.expressions import PRESETS, ExpressionError
from forecast.config.fields import from_query_params, to_query_params
from forecast.data import Dataset, make_dataset
from forecast.models.progress import EpochReport
from forecast.run.cache import ResultCache, default_cache_dir
from forecast.run.keys import result_key
from forecast.run.pipeline import compute, resolve, run, run_all
from forecast.run.result import Result

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
    "resolve",
    "result_key",
    "run",
    "run_all",
    "to_query_params",
]
