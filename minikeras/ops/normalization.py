"""Normalising with statistics: ``moments`` (mean and variance) and
``batch_normalization``, compositions of the primitive ops that ``K`` and ``keras.ops.nn``
both use.

>>> import minikeras.backend as K
>>> mean, var = moments(K.constant([[1.0, 3.0], [3.0, 5.0]]), axes=[0])
>>> K.eval(mean), K.eval(var)
(array([2., 4.], dtype=float32), array([1., 1.], dtype=float32))
"""
from __future__ import annotations

from minikeras.ops import elementwise as ew
from minikeras.ops import reductions as red
from minikeras.ops import shapes as sh
from minikeras.ops.core import Tensor, as_tensors


def moments(x, axes, keepdims: bool = False) -> tuple[Tensor, Tensor]:
    """(mean, variance) of ``x`` over ``axes``."""
    (x,) = as_tensors(x)
    mean = red.mean(x, axes, keepdims=True)
    variance = red.mean(ew.square(x - mean), axes, keepdims=keepdims)
    return (mean if keepdims else sh.squeeze(mean, axes)), variance


def batch_normalization(x, mean, variance, axis: int, offset=None, scale=None,
                        epsilon: float = 1e-3) -> Tensor:
    """``(x - mean) / sqrt(variance + epsilon) * scale + offset``; 1-D statistics lie
    along ``axis`` of ``x``."""
    (x,) = as_tensors(x)
    shape = [1] * x.ndim
    shape[axis] = -1

    def along(v):
        (v,) = as_tensors(v)
        return sh.reshape(v, shape) if v.ndim == 1 and x.ndim > 1 else v

    out = (x - along(mean)) / ew.sqrt(along(variance) + epsilon)
    if scale is not None:
        out = out * along(scale)
    if offset is not None:
        out = out + along(offset)
    return out
