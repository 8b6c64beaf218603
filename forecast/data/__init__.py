"""The series: where it comes from, what is done to it before the windows are cut, and how it is split.

Above `forecast.config`, below the models: nothing here trains or forecasts.
"""

from forecast.data.dataset import (
    Dataset,
    WindowData,
    load_series,
    make_dataset,
    make_grid,
    make_series,
    make_windows,
    raw_series,
    series_fields,
)
from forecast.data.datasets import Series
from forecast.data.sources import MissingUpload
from forecast.data.split import (
    MAX_OPTIMIZER_STEPS,
    MAX_TRAINING_COST,
    Fold,
    check_chain,
    check_fits,
    fold_counts,
    folds,
    holdout,
    split_counts,
    training_cost,
    validation_split,
    window_counts,
)
from forecast.data.transform import StandardScaler, Transform, TransformChain, chain_of

__all__ = [
    "MAX_OPTIMIZER_STEPS",
    "MAX_TRAINING_COST",
    "Dataset",
    "Fold",
    "MissingUpload",
    "Series",
    "StandardScaler",
    "Transform",
    "TransformChain",
    "WindowData",
    "chain_of",
    "check_chain",
    "check_fits",
    "fold_counts",
    "folds",
    "holdout",
    "load_series",
    "make_dataset",
    "make_grid",
    "make_series",
    "make_windows",
    "raw_series",
    "series_fields",
    "split_counts",
    "training_cost",
    "validation_split",
    "window_counts",
]
