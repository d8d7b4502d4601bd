"""Losses: how far the predictions are from the targets, the number training minimises.

Two forms, as in Keras 3:

* **functions** ``loss(y_true, y_pred)`` give one value per sample: they reduce over the
  last axis only, so a batch of shape (batch, classes) gives shape (batch,);
* **classes** ``MeanSquaredError()``, ``CategoricalCrossentropy(from_logits=True)``, ...
  hold options, and calling one averages over the samples (``reduction=
  'sum_over_batch_size'``), optionally weighting them with ``sample_weight``.

Everything builds graph tensors. The crossentropies go through the stable primitives of
``minikeras.ops.losses``, which work from the logits when the prediction is a softmax or
sigmoid output.

>>> import numpy as np, minikeras.backend as K
>>> y_true, y_pred = K.constant([[0., 1.], [1., 1.]]), K.constant([[1., 1.], [1., 0.]])
>>> K.eval(mean_squared_error(y_true, y_pred)), K.eval(MeanSquaredError()(y_true, y_pred))
(array([0.5, 0.5], dtype=float32), array(0.5, dtype=float32))
"""
from __future__ import annotations

import inspect
import math
import warnings
from collections.abc import Callable

from minikeras import backend as K
from minikeras import config, ops
from minikeras.tensor import Tensor

# ---------------------------------------------------------------- preparing inputs


def _tensor(value) -> Tensor:
    """Tensors pass through; arrays, lists and numbers become floatx constants."""
    return value if isinstance(value, Tensor) else K.constant(value)


def _prepare(y_true, y_pred, same_rank: bool = True) -> tuple[Tensor, Tensor]:
    """Make both tensors, give y_true the dtype of y_pred, and line their ranks up."""
    y_pred = _tensor(y_pred)
    y_true = ops.cast(_tensor(y_true), y_pred.dtype)
    if same_rank:
        y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    return y_true, y_pred


def squeeze_or_expand_to_same_rank(x1: Tensor, x2: Tensor,
                                   expand_rank_1: bool = True) -> tuple[Tensor, Tensor]:
    """Line up ranks that differ by a trailing axis of size 1, as Keras 3 does.

    Targets of shape (batch,) against predictions of shape (batch, 1) would otherwise
    broadcast to (batch, batch) and give a silently wrong loss.

    >>> import numpy as np, minikeras.backend as K
    >>> a, b = squeeze_or_expand_to_same_rank(K.placeholder((None,)), K.placeholder((None, 1)))
    >>> a.shape, b.shape
    ((None, 1), (None, 1))
    """
    if x1.ndim == x2.ndim + 1 and x1.shape[-1] == 1:
        if x2.ndim == 1 and expand_rank_1:
            x2 = ops.expand_dims(x2, -1)
        else:
            x1 = ops.squeeze(x1, -1)
    if x2.ndim == x1.ndim + 1 and x2.shape[-1] == 1:
        if x1.ndim == 1 and expand_rank_1:
            x1 = ops.expand_dims(x1, -1)
        else:
            x2 = ops.squeeze(x2, -1)
    return x1, x2


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
    """x / max(||x||, epsilon), written so a zero vector gets a zero (not NaN) gradient."""
    square_sum = ops.sum(ops.square(x), axis=axis, keepdims=True)
    return x / ops.sqrt(ops.maximum(square_sum, config.epsilon() ** 2))


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


# ---------------------------------------------------------------- reduction and classes

REDUCTIONS = ("sum_over_batch_size", "sum", "mean", "mean_with_sample_weight", "none", None)


def reduce_weighted_values(values: Tensor, sample_weight=None,
                           reduction: str | None = "sum_over_batch_size") -> Tensor:
    """Weight per-sample losses by ``sample_weight``, then reduce them to one number.

    'sum_over_batch_size' and 'mean' divide the (weighted) sum by the number of values,
    'sum' does not divide, 'mean_with_sample_weight' divides by the sum of the weights,
    None / 'none' return the weighted values unreduced.

    >>> import numpy as np, minikeras.backend as K
    >>> v = K.constant([1.0, 3.0])
    >>> K.eval(reduce_weighted_values(v)), K.eval(reduce_weighted_values(v, [1.0, 0.0]))
    (array(2., dtype=float32), array(0.5, dtype=float32))
    """
    weights = None
    if sample_weight is not None:
        weights = ops.cast(_tensor(sample_weight), values.dtype)
        values, weights = squeeze_or_expand_to_same_rank(values, weights)
        values = values * weights
    if reduction in (None, "none") or values.ndim == 0:
        return values
    total = ops.sum(values)
    if reduction == "sum":
        return total
    if reduction == "mean_with_sample_weight" and weights is not None:
        divisor = ops.sum(weights)
        is_zero = ops.equal(divisor, 0.0)  # no weight at all: a loss of 0, not NaN
        return ops.where(is_zero, 0.0, total / ops.where(is_zero, 1.0, divisor))
    return ops.mean(values)


def _snake_case(name: str) -> str:
    return "".join("_" + c.lower() if c.isupper() and i else c.lower()
                   for i, c in enumerate(name))


class Loss:
    """Base class of the loss classes: ``call`` gives per-sample losses, ``__call__``
    weights and reduces them.

    >>> import numpy as np, minikeras.backend as K
    >>> class AbsoluteError(Loss):
    ...     def call(self, y_true, y_pred):
    ...         return K.mean(K.abs(y_true - y_pred), axis=-1)
    >>> K.eval(AbsoluteError(reduction='sum')(K.constant([[1.], [2.]]), K.constant([[0.], [0.]])))
    array(3., dtype=float32)
    """

    def __init__(self, name: str | None = None, reduction="sum_over_batch_size",
                 dtype=None):
        if reduction == "auto":  # Keras 2 spelling
            reduction = "sum_over_batch_size"
        if reduction not in REDUCTIONS:
            raise ValueError(f"reduction must be one of {list(REDUCTIONS)}, got {reduction!r}")
        self.name = name or _snake_case(type(self).__name__)
        self.reduction = reduction
        self.dtype = dtype or config.floatx()

    def __call__(self, y_true, y_pred, sample_weight=None) -> Tensor:
        y_pred = y_pred if isinstance(y_pred, Tensor) else K.constant(y_pred, self.dtype)
        y_true = y_true if isinstance(y_true, Tensor) else K.constant(y_true, self.dtype)
        return reduce_weighted_values(self.call(y_true, y_pred), sample_weight,
                                      self.reduction)

    def call(self, y_true: Tensor, y_pred: Tensor) -> Tensor:
        raise NotImplementedError(f"{type(self).__name__} must define call(y_true, y_pred)")

    def get_config(self) -> dict:
        return {"name": self.name, "reduction": self.reduction}

    @classmethod
    def from_config(cls, config: dict) -> Loss:
        return cls(**config)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name!r}>"


class LossFunctionWrapper(Loss):
    """A Loss made from a per-sample loss function and its keyword arguments.

    >>> import numpy as np, minikeras.backend as K
    >>> loss = LossFunctionWrapper(huber, delta=0.5)
    >>> K.eval(loss(K.constant([[0.], [0.]]), K.constant([[1.], [0.]])))
    array(0.1875, dtype=float32)
    """

    def __init__(self, fn: Callable, reduction="sum_over_batch_size", name=None, dtype=None,
                 **kwargs):
        super().__init__(name or getattr(fn, "__name__", None), reduction, dtype)
        self.fn = fn
        self._fn_kwargs = kwargs

    def call(self, y_true, y_pred) -> Tensor:
        y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
        return self.fn(y_true, y_pred, **self._fn_kwargs)

    def get_config(self) -> dict:
        config = {**super().get_config(), **self._fn_kwargs}
        if type(self) is LossFunctionWrapper:
            config["fn"] = serialize(self.fn)
        return config

    @classmethod
    def from_config(cls, config: dict) -> Loss:
        config = dict(config)
        if "fn" in config:
            config["fn"] = deserialize(config["fn"])
        return cls(**config)


class MeanSquaredError(LossFunctionWrapper):
    """Mean of ``mean_squared_error`` over the samples.

    >>> import numpy as np, minikeras.backend as K
    >>> y_true, y_pred = K.constant([[0., 1.], [0., 0.]]), K.constant([[1., 1.], [1., 0.]])
    >>> K.eval(MeanSquaredError()(y_true, y_pred))
    array(0.5, dtype=float32)
    """

    def __init__(self, reduction="sum_over_batch_size", name="mean_squared_error", dtype=None):
        super().__init__(mean_squared_error, reduction, name, dtype)


class MeanAbsoluteError(LossFunctionWrapper):
    """Mean of ``mean_absolute_error`` over the samples.

    >>> import numpy as np, minikeras.backend as K
    >>> K.eval(MeanAbsoluteError()(K.constant([[0., 1.]]), K.constant([[1., 3.]])))
    array(1.5, dtype=float32)
    """

    def __init__(self, reduction="sum_over_batch_size", name="mean_absolute_error",
                 dtype=None):
        super().__init__(mean_absolute_error, reduction, name, dtype)


class MeanAbsolutePercentageError(LossFunctionWrapper):
    """Mean of ``mean_absolute_percentage_error`` over the samples.

    >>> import numpy as np, minikeras.backend as K
    >>> K.eval(MeanAbsolutePercentageError()(K.constant([[2.]]), K.constant([[1.]])))
    array(50., dtype=float32)
    """

    def __init__(self, reduction="sum_over_batch_size",
                 name="mean_absolute_percentage_error", dtype=None):
        super().__init__(mean_absolute_percentage_error, reduction, name, dtype)


class MeanSquaredLogarithmicError(LossFunctionWrapper):
    """Mean of ``mean_squared_logarithmic_error`` over the samples.

    >>> import numpy as np, minikeras.backend as K
    >>> K.eval(MeanSquaredLogarithmicError()(K.constant([[0.]]), K.constant([[0.]])))
    array(0., dtype=float32)
    """

    def __init__(self, reduction="sum_over_batch_size",
                 name="mean_squared_logarithmic_error", dtype=None):
        super().__init__(mean_squared_logarithmic_error, reduction, name, dtype)


class CosineSimilarity(LossFunctionWrapper):
    """Mean of ``cosine_similarity`` (Keras 3 sign: -1 is best) over the samples.

    >>> import numpy as np, minikeras.backend as K
    >>> K.eval(CosineSimilarity()(K.constant([[0., 2.]]), K.constant([[0., 1.]])))
    array(-1., dtype=float32)
    """

    def __init__(self, axis: int = -1, reduction="sum_over_batch_size",
                 name="cosine_similarity", dtype=None):
        super().__init__(cosine_similarity, reduction, name, dtype, axis=axis)


class Huber(LossFunctionWrapper):
    """Mean of ``huber`` over the samples.

    >>> import numpy as np, minikeras.backend as K
    >>> K.eval(Huber(delta=1.0)(K.constant([[0.]]), K.constant([[3.]])))
    array(2.5, dtype=float32)
    """

    def __init__(self, delta: float = 1.0, reduction="sum_over_batch_size",
                 name="huber_loss", dtype=None):
        super().__init__(huber, reduction, name, dtype, delta=delta)


class LogCosh(LossFunctionWrapper):
    """Mean of ``log_cosh`` over the samples.

    >>> import numpy as np, minikeras.backend as K
    >>> K.eval(LogCosh()(K.constant([[1.]]), K.constant([[1.]])))
    array(0., dtype=float32)
    """

    def __init__(self, reduction="sum_over_batch_size", name="log_cosh", dtype=None):
        super().__init__(log_cosh, reduction, name, dtype)


class Hinge(LossFunctionWrapper):
    """Mean of ``hinge`` over the samples.

    >>> import numpy as np, minikeras.backend as K
    >>> K.eval(Hinge()(K.constant([[1.], [-1.]]), K.constant([[0.5], [0.5]])))
    array(1., dtype=float32)
    """

    def __init__(self, reduction="sum_over_batch_size", name="hinge", dtype=None):
        super().__init__(hinge, reduction, name, dtype)


class SquaredHinge(LossFunctionWrapper):
    """Mean of ``squared_hinge`` over the samples.

    >>> import numpy as np, minikeras.backend as K
    >>> K.eval(SquaredHinge()(K.constant([[1.], [-1.]]), K.constant([[0.5], [0.5]])))
    array(1.25, dtype=float32)
    """

    def __init__(self, reduction="sum_over_batch_size", name="squared_hinge", dtype=None):
        super().__init__(squared_hinge, reduction, name, dtype)


class CategoricalHinge(LossFunctionWrapper):
    """Mean of ``categorical_hinge`` over the samples.

    >>> import numpy as np, minikeras.backend as K
    >>> K.eval(CategoricalHinge()(K.constant([[0., 1.]]), K.constant([[0., 2.]])))
    array(0., dtype=float32)
    """

    def __init__(self, reduction="sum_over_batch_size", name="categorical_hinge",
                 dtype=None):
        super().__init__(categorical_hinge, reduction, name, dtype)


class KLDivergence(LossFunctionWrapper):
    """Mean of ``kl_divergence`` over the samples.

    >>> import numpy as np, minikeras.backend as K
    >>> K.eval(KLDivergence()(K.constant([[0.5, 0.5]]), K.constant([[0.5, 0.5]])))
    array(0., dtype=float32)
    """

    def __init__(self, reduction="sum_over_batch_size", name="kl_divergence", dtype=None):
        super().__init__(kl_divergence, reduction, name, dtype)


class Poisson(LossFunctionWrapper):
    """Mean of ``poisson`` over the samples.

    >>> import numpy as np, minikeras.backend as K
    >>> K.eval(Poisson()(K.constant([[0.]]), K.constant([[2.]])))
    array(2., dtype=float32)
    """

    def __init__(self, reduction="sum_over_batch_size", name="poisson", dtype=None):
        super().__init__(poisson, reduction, name, dtype)


class BinaryCrossentropy(LossFunctionWrapper):
    """Mean of ``binary_crossentropy`` over the samples.

    >>> import numpy as np, minikeras.backend as K
    >>> bce = BinaryCrossentropy(from_logits=True)
    >>> y_true, logits = K.constant([0, 1, 0, 0]), K.constant([-18.6, 0.51, 2.94, -12.8])
    >>> round(float(K.eval(bce(y_true, logits))), 4)
    0.8655
    """

    def __init__(self, from_logits: bool = False, label_smoothing: float = 0.0,
                 axis: int = -1, reduction="sum_over_batch_size",
                 name="binary_crossentropy", dtype=None):
        super().__init__(binary_crossentropy, reduction, name, dtype,
                         from_logits=from_logits, label_smoothing=label_smoothing, axis=axis)
        self.from_logits, self.label_smoothing, self.axis = from_logits, label_smoothing, axis


class CategoricalCrossentropy(LossFunctionWrapper):
    """Mean of ``categorical_crossentropy`` over the samples (one-hot targets).

    >>> import numpy as np, minikeras.backend as K
    >>> cce = CategoricalCrossentropy()
    >>> y_true, y_pred = [[0, 1, 0], [0, 0, 1]], [[0.05, 0.95, 0], [0.1, 0.8, 0.1]]
    >>> round(float(K.eval(cce(y_true, y_pred))), 4)
    1.1769
    >>> round(float(K.eval(cce(y_true, y_pred, sample_weight=[0.3, 0.7]))), 4)
    0.8136
    """

    def __init__(self, from_logits: bool = False, label_smoothing: float = 0.0,
                 axis: int = -1, reduction="sum_over_batch_size",
                 name="categorical_crossentropy", dtype=None):
        super().__init__(categorical_crossentropy, reduction, name, dtype,
                         from_logits=from_logits, label_smoothing=label_smoothing, axis=axis)
        self.from_logits, self.label_smoothing, self.axis = from_logits, label_smoothing, axis


class SparseCategoricalCrossentropy(LossFunctionWrapper):
    """Mean of ``sparse_categorical_crossentropy`` over the samples (integer targets).

    >>> import numpy as np, minikeras.backend as K
    >>> scce = SparseCategoricalCrossentropy()
    >>> round(float(K.eval(scce([1, 2], [[0.05, 0.95, 0], [0.1, 0.8, 0.1]]))), 4)
    1.1769
    """

    def __init__(self, from_logits: bool = False, ignore_class=None,
                 reduction="sum_over_batch_size", name="sparse_categorical_crossentropy",
                 dtype=None):
        super().__init__(sparse_categorical_crossentropy, reduction, name, dtype,
                         from_logits=from_logits, ignore_class=ignore_class)
        self.from_logits, self.ignore_class = from_logits, ignore_class


# ---------------------------------------------------------------- lookup by name

_FUNCTIONS = (mean_squared_error, mean_absolute_error, mean_absolute_percentage_error,
              mean_squared_logarithmic_error, cosine_similarity, huber, log_cosh, hinge,
              squared_hinge, categorical_hinge, kl_divergence, poisson,
              categorical_crossentropy, sparse_categorical_crossentropy, binary_crossentropy)
_CLASSES = (MeanSquaredError, MeanAbsoluteError, MeanAbsolutePercentageError,
            MeanSquaredLogarithmicError, CosineSimilarity, Huber, LogCosh, Hinge,
            SquaredHinge, CategoricalHinge, KLDivergence, Poisson, BinaryCrossentropy,
            CategoricalCrossentropy, SparseCategoricalCrossentropy, LossFunctionWrapper)
_BY_NAME: dict = {obj.__name__: obj for obj in _FUNCTIONS + _CLASSES}
_BY_NAME.update({"mse": mse, "MSE": mse, "mae": mae, "MAE": mae, "mape": mape, "MAPE": mape,
                 "msle": msle, "MSLE": msle, "kld": kld, "KLD": kld, "bce": binary_crossentropy,
                 "BCE": binary_crossentropy, "kullback_leibler_divergence": kl_divergence,
                 "logcosh": log_cosh, "cosine_proximity": cosine_similarity})


def _unknown(name) -> ValueError:
    return ValueError(f"unknown loss {name!r}; valid names are {sorted(_BY_NAME)}")


def serialize(loss) -> dict:
    """A JSON-ready description of a loss function or Loss object, in Keras 3's format.

    >>> serialize(mse)['config']
    'mean_squared_error'
    >>> saved = serialize(Huber(delta=2.0))
    >>> saved['class_name'], saved['config']
    ('Huber', {'name': 'huber_loss', 'reduction': 'sum_over_batch_size', 'delta': 2.0})
    """
    if isinstance(loss, Loss):
        return {"module": "keras.losses", "class_name": type(loss).__name__,
                "config": loss.get_config(), "registered_name": None}
    name = getattr(loss, "__name__", None)
    if name in _BY_NAME and _BY_NAME[name] is loss:
        return {"module": "keras.losses", "class_name": "function", "config": name,
                "registered_name": name}
    raise ValueError(f"cannot serialize {loss!r}: it is not one of minikeras's losses")


def deserialize(config):
    """The loss described by ``config``: a name or :func:`serialize`'s dict.

    >>> deserialize('mse') is mean_squared_error
    True
    >>> deserialize(serialize(Huber(delta=2.0))).get_config()['delta']
    2.0
    """
    if isinstance(config, str):
        if config not in _BY_NAME:
            raise _unknown(config)
        obj = _BY_NAME[config]
        return obj() if inspect.isclass(obj) else obj
    name = config.get("class_name")
    if name == "function":
        return deserialize(config["config"])
    if name not in _BY_NAME or not inspect.isclass(_BY_NAME[name]):
        raise _unknown(name)
    return _BY_NAME[name].from_config(dict(config.get("config") or {}))


def get(identifier):
    """A loss from a name, a saved config, a Loss class or object, or a function.

    >>> get('categorical_crossentropy') is categorical_crossentropy, get('MSE') is mse
    (True, True)
    >>> get('BinaryCrossentropy')
    <BinaryCrossentropy name='binary_crossentropy'>
    """
    if identifier is None:
        return None
    if isinstance(identifier, (str, dict)):
        return deserialize(identifier)
    if inspect.isclass(identifier) and issubclass(identifier, Loss):
        return identifier()
    if callable(identifier):
        return identifier
    raise ValueError(f"could not interpret loss {identifier!r}: pass a name (one of "
                     f"{sorted(_BY_NAME)}), a Loss or a function(y_true, y_pred)")
