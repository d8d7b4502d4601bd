"""``keras.ops.math``: top_k, in_top_k, logsumexp, erf, rsqrt (Keras 3's names).

>>> import numpy as np
>>> from minikeras import ops
>>> values, indices = ops.top_k(np.array([1.0, 9.0, 4.0, 7.0]), k=2)
>>> values, indices
(array([9., 7.]), array([1, 3]))
"""
from __future__ import annotations

from minikeras.dtypes import float_of
from minikeras.ops import activations as act
from minikeras.ops import elementwise as ew
from minikeras.ops import reductions as red
from minikeras.ops import shapes as sh
from minikeras.ops.core import ShapeError, Tensor
from minikeras.ops.eager import keras_op

__all__ = [
    "erf", "in_top_k", "logsumexp", "rsqrt", "top_k",
]




@keras_op("x")
def top_k(x, k, sorted=True):
    """(values, indices) of the ``k`` largest entries of the last axis, largest first
    (ties: the first one first); int64 indices, as Keras 3 on PyTorch gives. The gradient
    flows back to the chosen entries."""
    if x.shape[-1] is not None and k > x.shape[-1]:
        raise ShapeError(f"top_k: k={k} is more than the {x.shape[-1]} entries")
    order = sh.argsort(ew.negative(ew.cast(x, "float64")) if x.dtype != "bool" else
                       ew.logical_not(x), -1)
    indices = ew.cast(sh.getitem(order, (Ellipsis, slice(0, k))), "int64")
    return sh.take_along_axis(x, indices, -1), indices


@keras_op("targets", "predictions")
def in_top_k(targets, predictions, k) -> Tensor:
    """True where the target class's score is among the ``k`` largest of its row (ties
    at the boundary count as in)."""
    n_classes = predictions.shape[-1]
    is_target = sh.one_hot(ew.cast(targets, "int64"), n_classes, "bool")
    score = red.sum(ew.where(is_target, predictions, 0.0), axis=-1, keepdims=True)
    larger = red.sum(ew.greater(predictions, score), axis=-1)
    return ew.less(larger, k)


@keras_op("x")
def logsumexp(x, axis=None, keepdims=False) -> Tensor:
    """log(sum(exp(x))) along ``axis``, finite for large x (the max is taken out first)."""
    x = ew.cast(x, float_of(x.dtype))
    top = ew.stop_gradient(red.max(x, axis, keepdims=True))
    out = ew.log(red.sum(ew.exp(x - top), axis, keepdims=True)) + top
    return out if keepdims else sh.squeeze(out, tuple(range(x.ndim)) if axis is None else
                                           axis)


@keras_op("x")
def erf(x) -> Tensor:
    """The error function (a polynomial form with error below 1.5e-7)."""
    return act.erf(x)


@keras_op("x")
def rsqrt(x) -> Tensor:
    """1 / sqrt(x)."""
    return 1.0 / ew.sqrt(x)
