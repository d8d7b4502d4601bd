"""What every loss shares: turning inputs into tensors of one rank, reducing per-sample
values to one number (with sample weights), and the base class ``Loss``.

>>> import minikeras.backend as K
>>> K.eval(reduce_weighted_values(K.constant([1.0, 3.0]), reduction="sum"))
array(4., dtype=float32)
"""
from __future__ import annotations

from minikeras import backend as K
from minikeras import config, ops
from minikeras.tensor import Tensor
from minikeras.utils.naming import to_snake_case

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
        self.name = name or to_snake_case(type(self).__name__)
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
