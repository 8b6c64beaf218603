"""A run from config to result: the pipeline, the Result, the cache and its keys, ensembles and the recipe."""

from forecast.run.cache import ResultCache, default_cache_dir
from forecast.run.keys import ResultStore, result_key
from forecast.run.result import Result

__all__ = ["Result", "ResultCache", "ResultStore", "default_cache_dir", "result_key"]
