"""The loss functions: ``loss(y_true, y_pred)`` gives one value per sample (the mean over
the last axis). Regression, hinge and probabilistic losses, and their short names.

>>> import minikeras.backend as K
>>> K.eval(mean_absolute_error(K.constant([[0., 2.]]), K.constant([[1., 1.]])))
array([1.], dtype=float32)
"""
from __future__ import annotations

import math
import warnings

from minikeras import config, ops
from minikeras.losses.loss import _prepare, _tensor
from minikeras.tensor import Tensor

# ---------------------------------------------------------------- regression


def mean_squared_error(y_true, y_pred) -> Tensor:
    """``mean(square(y_true - y_pred), axis=-1)``.

    >>> import numpy as np, minikeras.backend as K
    >>> K.eval(mean_squared_error(K.constant([[0., 1.]]), K.constant([[1., 3.]])))
    array([2.5], dtype=float32)
    """
    y_true, y_pred = _prepare(y_true, y_pred)
    return ops.mean(ops.square(y_true - y_pred), axis=-1)


def mean_absolute_error(y_true, y_pred) -> Tensor:
    """``mean(abs(y_true - y_pred), axis=-1)``.

    >>> import numpy as np, minikeras.backend as K
    >>> K.eval(mean_absolute_error(K.constant([[0., 1.]]), K.constant([[1., 3.]])))
    array([1.5], dtype=float32)
    """
    y_true, y_pred = _prepare(y_true, y_pred)
    return ops.mean(ops.abs(y_true - y_pred), axis=-1)


def mean_absolute_percentage_error(y_true, y_pred) -> Tensor:
    """``100 * mean(abs((y_true - y_pred) / y_true), axis=-1)``; |y_true| is kept >= epsilon.

    >>> import numpy as np, minikeras.backend as K
    >>> K.eval(mean_absolute_percentage_error(K.constant([[2., 4.]]), K.constant([[1., 5.]])))
    array([37.5], dtype=float32)
    """
    y_true, y_pred = _prepare(y_true, y_pred)
    diff = ops.abs((y_true - y_pred) / ops.maximum(ops.abs(y_true), config.epsilon()))
    return 100.0 * ops.mean(diff, axis=-1)


def mean_squared_logarithmic_error(y_true, y_pred) -> Tensor:
    """``mean(square(log(y_true + 1) - log(y_pred + 1)), axis=-1)``; values < epsilon are
    raised to epsilon first.

    >>> import numpy as np, minikeras.backend as K
    >>> loss = mean_squared_logarithmic_error(K.constant([[np.e - 1]]), K.constant([[0.]]))
    >>> np.round(K.eval(loss), 4)
    array([1.], dtype=float32)
    """
    y_true, y_pred = _prepare(y_true, y_pred)
    eps = config.epsilon()
    first = ops.log(ops.maximum(y_pred, eps) + 1.0)
    second = ops.log(ops.maximum(y_true, eps) + 1.0)
    return ops.mean(ops.square(first - second), axis=-1)


def _l2_normalize(x: Tensor, axis: int) -> Tensor:
    """x / max(||x||, epsilon), as Keras 3 normalizes (the squared norm at least eps^2)."""
    return ops.l2_normalize(x, axis, config.epsilon() ** 2)


def cosine_similarity(y_true, y_pred, axis: int = -1) -> Tensor:
    """``-sum(l2_normalize(y_true) * l2_normalize(y_pred), axis)``: -1 when they point the
    same way, 0 when orthogonal, so minimising it aligns them (Keras 3's sign).

    >>> import numpy as np, minikeras.backend as K
    >>> y_true = K.constant([[0., 1.], [1., 1.], [1., 1.]])
    >>> y_pred = K.constant([[1., 0.], [1., 1.], [-1., -1.]])
    >>> np.round(K.eval(cosine_similarity(y_true, y_pred)), 4)
    array([-0., -1.,  1.], dtype=float32)
    """
    y_true, y_pred = _prepare(y_true, y_pred)
    return ops.negative(ops.sum(_l2_normalize(y_true, axis) * _l2_normalize(y_pred, axis),
                                axis=axis))


def huber(y_true, y_pred, delta: float = 1.0) -> Tensor:
    """Squared error for small errors, linear for large ones, averaged over the last axis:
    ``0.5 e^2`` if ``|e| <= delta`` else ``delta |e| - 0.5 delta^2``.

    >>> import numpy as np, minikeras.backend as K
    >>> K.eval(huber(K.constant([[0., 0.]]), K.constant([[0.5, 3.]])))
    array([1.3125], dtype=float32)
    """
    y_true, y_pred = _prepare(y_true, y_pred)
    error = y_pred - y_true
    abs_error = ops.abs(error)
    return ops.mean(ops.where(ops.less_equal(abs_error, delta), 0.5 * ops.square(error),
                              delta * abs_error - 0.5 * delta * delta), axis=-1)


def log_cosh(y_true, y_pred) -> Tensor:
    """``mean(log(cosh(y_pred - y_true)), axis=-1)``, as ``x + softplus(-2x) - log 2``
    so that large errors do not overflow.

    >>> import numpy as np, minikeras.backend as K
    >>> y_true, y_pred = K.constant([[0., 1.], [0., 0.]]), K.constant([[1., 1.], [0., 0.]])
    >>> np.round(K.eval(log_cosh(y_true, y_pred)), 4)
    array([0.2169, 0.    ], dtype=float32)
    """
    y_true, y_pred = _prepare(y_true, y_pred)
    x = y_pred - y_true
    return ops.mean(x + ops.softplus(x * -2.0) - math.log(2.0), axis=-1)


# ---------------------------------------------------------------- hinge


def _to_plus_minus_one(y_true: Tensor) -> Tensor:
    """Keras 3 turns labels into -1/+1 when every one of them is 0 or 1."""
    is_01 = ops.logical_or(ops.equal(y_true, 0.0), ops.equal(y_true, 1.0))
    all_01 = ops.min(ops.cast(is_01, y_true.dtype))  # 1.0 when all labels are 0 or 1
    return ops.where(ops.greater(all_01, 0.5), 2.0 * y_true - 1.0, y_true)


def hinge(y_true, y_pred) -> Tensor:
    """``mean(maximum(1 - y_true * y_pred, 0), axis=-1)`` with labels -1/1 (0/1 converted).

    >>> import numpy as np, minikeras.backend as K
    >>> K.eval(hinge(K.constant([[1., 0.]]), K.constant([[0.5, -2.]])))
    array([0.25], dtype=float32)
    """
    y_true, y_pred = _prepare(y_true, y_pred)
    y_true = _to_plus_minus_one(y_true)
    return ops.mean(ops.maximum(1.0 - y_true * y_pred, 0.0), axis=-1)


def squared_hinge(y_true, y_pred) -> Tensor:
    """``mean(square(maximum(1 - y_true * y_pred, 0)), axis=-1)``, labels as in hinge.

    >>> import numpy as np, minikeras.backend as K
    >>> K.eval(squared_hinge(K.constant([[1., 0.]]), K.constant([[0.5, -2.]])))
    array([0.125], dtype=float32)
    """
    y_true, y_pred = _prepare(y_true, y_pred)
    y_true = _to_plus_minus_one(y_true)
    return ops.mean(ops.square(ops.maximum(1.0 - y_true * y_pred, 0.0)), axis=-1)


def categorical_hinge(y_true, y_pred) -> Tensor:
    """``maximum(neg - pos + 1, 0)`` with ``pos = sum(y_true * y_pred)`` (the true class's
    score) and ``neg = max((1 - y_true) * y_pred)`` (the best wrong class's).

    >>> import numpy as np, minikeras.backend as K
    >>> K.eval(categorical_hinge(K.constant([[0., 1., 0.]]), K.constant([[0.3, 0.5, 0.2]])))
    array([0.8], dtype=float32)
    """
    y_true, y_pred = _prepare(y_true, y_pred)
    pos = ops.sum(y_true * y_pred, axis=-1)
    neg = ops.max((1.0 - y_true) * y_pred, axis=-1)
    return ops.maximum(neg - pos + 1.0, 0.0)


# ---------------------------------------------------------------- probabilistic


def kl_divergence(y_true, y_pred) -> Tensor:
    """``sum(y_true * log(y_true / y_pred), axis=-1)``, both clipped to [epsilon, 1].

    >>> import numpy as np, minikeras.backend as K
    >>> np.round(K.eval(kl_divergence(K.constant([[0.5, 0.5]]), K.constant([[0.25, 0.75]]))), 4)
    array([0.1438], dtype=float32)
    """
    y_true, y_pred = _prepare(y_true, y_pred)
    y_true = ops.clip(y_true, config.epsilon(), 1.0)
    y_pred = ops.clip(y_pred, config.epsilon(), 1.0)
    return ops.sum(y_true * ops.log(y_true / y_pred), axis=-1)


def poisson(y_true, y_pred) -> Tensor:
    """``mean(y_pred - y_true * log(y_pred + epsilon), axis=-1)``.

    >>> import numpy as np, minikeras.backend as K
    >>> np.round(K.eval(poisson(K.constant([[1., 2.]]), K.constant([[1., 1.]]))), 4)
    array([1.], dtype=float32)
    """
    y_true, y_pred = _prepare(y_true, y_pred)
    return ops.mean(y_pred - y_true * ops.log(y_pred + config.epsilon()), axis=-1)


def categorical_crossentropy(y_true, y_pred, from_logits: bool = False,
                             label_smoothing: float = 0.0, axis: int = -1) -> Tensor:
    """``-sum(y_true * log(p), axis)`` for one-hot targets, p the predicted distribution.

    ``from_logits=True`` says y_pred holds logits (softmax is applied inside, stably).
    ``label_smoothing=s`` replaces targets by ``y_true * (1 - s) + s / classes``.

    >>> import numpy as np, minikeras.backend as K
    >>> y_true = K.constant([[0, 1, 0], [0, 0, 1]])
    >>> y_pred = K.constant([[0.05, 0.95, 0], [0.1, 0.8, 0.1]])
    >>> np.round(K.eval(categorical_crossentropy(y_true, y_pred)), 4)
    array([0.0513, 2.3026], dtype=float32)
    """
    y_true, y_pred = _prepare(y_true, y_pred, same_rank=False)
    if y_pred.shape[-1] == 1:
        warnings.warn("categorical_crossentropy expects y_pred of shape (batch, classes) "
                      f"with classes > 1, got {y_pred.shape}; for two classes use "
                      "binary_crossentropy", stacklevel=2)
    if label_smoothing:
        n = y_true.shape[axis]
        n = ops.count(y_true, axis) if n is None else float(n)
        y_true = y_true * (1.0 - label_smoothing) + label_smoothing / n
    return ops.categorical_crossentropy(y_true, y_pred, from_logits=from_logits, axis=axis)


def sparse_categorical_crossentropy(y_true, y_pred, from_logits: bool = False,
                                    ignore_class=None, axis: int = -1) -> Tensor:
    """Categorical crossentropy with integer class ids as targets, shape (batch,) or
    (batch, 1).

    >>> import numpy as np, minikeras.backend as K
    >>> y_pred = K.constant([[0.05, 0.95, 0], [0.1, 0.8, 0.1]])
    >>> np.round(K.eval(sparse_categorical_crossentropy(K.constant([1, 2]), y_pred)), 4)
    array([0.0513, 2.3026], dtype=float32)
    """
    if ignore_class is not None:
        raise NotImplementedError("sparse_categorical_crossentropy: ignore_class needs "
                                  "loss masks, which minikeras does not have yet")
    return ops.sparse_categorical_crossentropy(_tensor(y_true), _tensor(y_pred),
                                               from_logits=from_logits, axis=axis)


def binary_crossentropy(y_true, y_pred, from_logits: bool = False,
                        label_smoothing: float = 0.0, axis: int = -1) -> Tensor:
    """``mean(-(y log p + (1 - y) log(1 - p)), axis)`` for 0/1 targets.

    ``from_logits=True`` says y_pred holds logits (sigmoid is applied inside, stably).
    ``label_smoothing=s`` squeezes targets towards 0.5: ``y * (1 - s) + 0.5 s``.

    >>> import numpy as np, minikeras.backend as K
    >>> y_true, y_pred = K.constant([[0, 1], [0, 0]]), K.constant([[0.6, 0.4], [0.4, 0.6]])
    >>> np.round(K.eval(binary_crossentropy(y_true, y_pred)), 4)
    array([0.9163, 0.7136], dtype=float32)
    """
    y_true, y_pred = _prepare(y_true, y_pred)
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + 0.5 * label_smoothing
    return ops.mean(ops.binary_crossentropy(y_true, y_pred, from_logits=from_logits),
                    axis=axis)


# short names (Keras 2 and 3 accept them)
mse = MSE = mean_squared_error
mae = MAE = mean_absolute_error
mape = MAPE = mean_absolute_percentage_error
msle = MSLE = mean_squared_logarithmic_error
kld = KLD = kullback_leibler_divergence = kl_divergence
logcosh = log_cosh
