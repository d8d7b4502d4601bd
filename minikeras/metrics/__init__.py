"""Metrics: numbers that tell a person how training goes. They are not minimised.

Two forms, as in Keras 3:

* **classes** (``metric.py``): a ``Metric`` keeps state over batches
  (``update_state``, ``result``, ``reset_state``), so an epoch's accuracy is the fraction
  of all its samples right. ``Mean`` and ``MeanMetricWrapper`` (``reduction.py``) make
  one from any per-sample function; the accuracies, errors and crossentropies are such
  wrappers (``classes.py``); ``Precision``, ``Recall`` and ``AUC`` count the confusion
  matrix (``confusion.py``);
* **functions** (``functions.py``): ``metric(y_true, y_pred)``, one value per sample.

``compile(metrics=[...])`` takes names (``'accuracy'``, ``'mae'``), functions and Metric
objects; ``'accuracy'`` becomes the accuracy that fits the output (binary, categorical
or sparse), chosen from the shapes as Keras 3 does.

>>> import numpy as np
>>> m = BinaryAccuracy()
>>> m.update_state([[1], [1], [0], [0]], [[0.98], [1], [0], [0.6]])
>>> m.result()
array(0.75, dtype=float32)
"""
import inspect

from minikeras.metrics.classes import (
    Accuracy,
    BinaryAccuracy,
    BinaryCrossentropy,
    CategoricalAccuracy,
    CategoricalCrossentropy,
    CategoricalHinge,
    CosineSimilarity,
    Hinge,
    KLDivergence,
    LogCoshError,
    MeanAbsoluteError,
    MeanAbsolutePercentageError,
    MeanSquaredError,
    MeanSquaredLogarithmicError,
    Poisson,
    RootMeanSquaredError,
    SparseCategoricalAccuracy,
    SparseCategoricalCrossentropy,
    SparseTopKCategoricalAccuracy,
    SquaredHinge,
    TopKCategoricalAccuracy,
)
from minikeras.metrics.confusion import (
    AUC,
    FalseNegatives,
    FalsePositives,
    Precision,
    Recall,
    TrueNegatives,
    TruePositives,
)
from minikeras.metrics.functions import (  # noqa: F401
    KLD,
    MAE,
    MAPE,
    MSE,
    MSLE,
    accuracy,
    binary_accuracy,
    binary_crossentropy,
    categorical_accuracy,
    categorical_crossentropy,
    categorical_hinge,
    cosine_similarity,
    hinge,
    huber,
    kl_divergence,
    kld,
    kullback_leibler_divergence,
    log_cosh,
    logcosh,
    mae,
    mape,
    mean_absolute_error,
    mean_absolute_percentage_error,
    mean_squared_error,
    mean_squared_logarithmic_error,
    mse,
    msle,
    poisson,
    sparse_categorical_accuracy,
    sparse_categorical_crossentropy,
    sparse_top_k_categorical_accuracy,
    squared_hinge,
    top_k_categorical_accuracy,
)
from minikeras.metrics.functions import get as _get_function
from minikeras.metrics.metric import Metric
from minikeras.metrics.reduction import Mean, MeanMetricWrapper, Sum

CLASSES = {cls.__name__: cls for cls in (
    Accuracy, BinaryAccuracy, CategoricalAccuracy, SparseCategoricalAccuracy,
    TopKCategoricalAccuracy, SparseTopKCategoricalAccuracy, MeanSquaredError,
    MeanAbsoluteError, MeanAbsolutePercentageError, MeanSquaredLogarithmicError,
    RootMeanSquaredError, CosineSimilarity, LogCoshError, BinaryCrossentropy,
    CategoricalCrossentropy, SparseCategoricalCrossentropy, KLDivergence, Poisson, Hinge,
    SquaredHinge, CategoricalHinge, TruePositives, FalsePositives, TrueNegatives,
    FalseNegatives, Precision, Recall, AUC, Sum, Mean, MeanMetricWrapper)}


def get(identifier):
    """A metric from a name ('mae': the function; 'MeanAbsoluteError': a new object), a
    saved config, a class (instantiated), a Metric or a function, as Keras 3's
    ``metrics.get``.

    >>> get('mae') is mean_absolute_error, get('AUC').name
    (True, 'auc')
    """
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, str) and identifier in CLASSES:
        return CLASSES[identifier]()
    if inspect.isclass(identifier) and issubclass(identifier, Metric):
        return identifier()
    if isinstance(identifier, Metric):
        return identifier
    return _get_function(identifier)


def serialize(metric) -> dict | str:
    """A Metric as Keras 3 writes it ({module, class_name, config}); a function by name."""
    if isinstance(metric, Metric):
        return {"module": "keras.metrics", "class_name": type(metric).__name__,
                "config": metric.get_config(), "registered_name": None}
    return getattr(metric, "__name__", str(metric))


def deserialize(config, custom_objects=None):
    """The metric ``serialize`` described (a dict, or a function's name)."""
    if isinstance(config, str):
        return get(config)
    name = config.get("class_name")
    classes = {**CLASSES, **(custom_objects or {})}
    if name not in classes:
        raise ValueError(f"unknown metric class {name!r}; pass it in custom_objects")
    return classes[name].from_config(dict(config.get("config") or {}))
