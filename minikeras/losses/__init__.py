"""Losses: how far the predictions are from the targets, the number training minimises.

Two forms, as in Keras 3:

* **functions** ``loss(y_true, y_pred)`` give one value per sample: they reduce over the
  last axis only, so a batch of shape (batch, classes) gives shape (batch,);
* **classes** ``MeanSquaredError()``, ``CategoricalCrossentropy(from_logits=True)``, ...
  hold options, and calling one averages over the samples (``reduction=
  'sum_over_batch_size'``), optionally weighting them with ``sample_weight``.

Everything builds graph tensors. The crossentropies go through the stable primitives of
``minikeras.ops.crossentropy``, which work from the logits when the prediction is a
softmax or sigmoid output.

>>> import numpy as np, minikeras.backend as K
>>> y_true, y_pred = K.constant([[0., 1.], [1., 1.]]), K.constant([[1., 1.], [1., 0.]])
>>> K.eval(mean_squared_error(y_true, y_pred)), K.eval(MeanSquaredError()(y_true, y_pred))
(array([0.5, 0.5], dtype=float32), array(0.5, dtype=float32))
"""
from minikeras.losses.classes import (  # noqa: F401
    ALIASES,
    BinaryCrossentropy,
    CategoricalCrossentropy,
    CategoricalHinge,
    CosineSimilarity,
    Hinge,
    Huber,
    KLDivergence,
    LogCosh,
    LossFunctionWrapper,
    MeanAbsoluteError,
    MeanAbsolutePercentageError,
    MeanSquaredError,
    MeanSquaredLogarithmicError,
    Poisson,
    SparseCategoricalCrossentropy,
    SquaredHinge,
    deserialize,
    get,
    serialize,
)
from minikeras.losses.functions import (  # noqa: F401
    KLD,
    MAE,
    MAPE,
    MSE,
    MSLE,
    binary_crossentropy,
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
    sparse_categorical_crossentropy,
    squared_hinge,
)
from minikeras.losses.loss import (  # noqa: F401
    REDUCTIONS,
    Loss,
    reduce_weighted_values,
    squeeze_or_expand_to_same_rank,
)
