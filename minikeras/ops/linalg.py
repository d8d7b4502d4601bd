"""Matrix products: matmul, Keras's dot and batch_dot.

>>> import minikeras.backend as K
>>> x = K.placeholder(shape=(None, 784))
>>> W = K.zeros((784, 500))
>>> K.dot(x, W).shape                      # a Dense layer's main work
(None, 500)
"""
from __future__ import annotations

import numpy as np

from minikeras.axes import broadcast_shapes, normalize_axis
from minikeras.ops.broadcast import unbroadcast
from minikeras.ops.core import Op, ShapeError, Tensor, as_tensors, format_shape
from minikeras.ops.elementwise import maximum, sqrt, square
from minikeras.ops.reductions import sum
from minikeras.ops.shapes import expand_dims, reshape, squeeze, swap_last_two, transpose


def _matmul_infer(a, b):
    if a.ndim < 2 or b.ndim < 2:
        raise ShapeError("matmul needs tensors of order 2 or more (use K.dot for vectors)")
    n, k1 = a.shape[-2:]
    k2, m = b.shape[-2:]
    if None not in (k1, k2) and k1 != k2:
        raise ShapeError(f"inner sizes differ: {format_shape(a.shape)} @ "
                         f"{format_shape(b.shape)} needs {k1} == {k2}")
    try:
        batch = broadcast_shapes(a.shape[:-2], b.shape[:-2])
    except ValueError:
        raise ShapeError("the leading (batch) axes do not broadcast") from None
    return batch + (n, m), np.result_type(np.dtype(a.dtype), np.dtype(b.dtype)).name


def _matmul_grad(y, g):
    """For y = a @ b: da = g @ b^T and db = a^T @ g (summed over broadcast batch axes)."""
    a, b = y.inputs
    return [unbroadcast(matmul(g, swap_last_two(b)), a),
            unbroadcast(matmul(swap_last_two(a), g), b)]


_MATMUL = Op("matmul", _matmul_infer, _matmul_grad)


def matmul(a, b) -> Tensor:
    """Matrix product of the last two axes, broadcasting any leading axes (NumPy's @)."""
    return _MATMUL(*as_tensors(a, b))


def dot(x, y) -> Tensor:
    """Keras's K.dot: contracts the last axis of x with the first (or only) axis of y.

    Vectors are treated as one-row (x) or one-column (y) matrices.
    """
    x, y = as_tensors(x, y)
    if x.ndim == 1 and y.ndim == 1:
        return sum(x * y)
    if y.ndim == 1:
        return squeeze(matmul(x, expand_dims(y, 1)), -1)
    if x.ndim == 1:
        return squeeze(dot(expand_dims(x, 0), y), 0)
    if y.ndim > 2:  # Keras: (..., k) . (d..., k, m) -> (..., d..., m)
        return _dot_nd(x, y)
    return matmul(x, y)


def _dot_nd(x: Tensor, y: Tensor) -> Tensor:
    """Contract x's last axis with y's second-to-last, as Theano and Keras's K.dot do."""
    if None in y.shape or None in x.shape[1:]:
        raise ShapeError(f"K.dot with a tensor of order {y.ndim} needs known sizes, got "
                         f"{format_shape(x.shape)} and {format_shape(y.shape)}")
    k = y.shape[-2]
    y2 = reshape(transpose(y, (y.ndim - 2, *range(y.ndim - 2), y.ndim - 1)), (k, -1))
    out = matmul(reshape(x, (-1, k)), y2)
    return reshape(out, (-1, *x.shape[1:-1], *y.shape[:-2], y.shape[-1]))


def batch_dot(x, y, axes=None) -> Tensor:
    """Keras's K.batch_dot: a dot product for each sample of a batch.

    x: (batch, n) or (batch, n, k); y likewise. ``axes`` names the axis of x and of y
    to contract (default: the last of x with the second-to-last of y, or the last of
    both for matrices). (batch, n)·(batch, n) gives (batch, 1), as in Keras.
    """
    x, y = as_tensors(x, y)
    if x.ndim > 3 or y.ndim > 3 or x.ndim < 2 or y.ndim < 2:
        raise ShapeError(f"batch_dot supports inputs of order 2 or 3, got "
                         f"{format_shape(x.shape)} and {format_shape(y.shape)}")
    if axes is None:
        axes = (x.ndim - 1, y.ndim - 2 if y.ndim > 2 else y.ndim - 1)
    elif isinstance(axes, int):
        axes = (axes, axes)
    ax, ay = normalize_axis(axes[0], x.ndim)[0], normalize_axis(axes[1], y.ndim)[0]
    if 0 in (ax, ay):
        raise ShapeError("batch_dot cannot contract the batch axis 0")
    if x.ndim == 2 and y.ndim == 2:
        return sum(x * y, axis=1, keepdims=True)
    # bring x's contracted axis last and y's to position 1, then batched matmul
    if ax != x.ndim - 1:
        x = transpose(x, (0, 2, 1))
    if ay != 1:
        y = transpose(y, (0, 2, 1))
    x3 = expand_dims(x, 1) if x.ndim == 2 else x
    y3 = expand_dims(y, 2) if y.ndim == 2 else y
    out = matmul(x3, y3)
    if x.ndim == 2:
        out = squeeze(out, 1)
    if y.ndim == 2:
        out = squeeze(out, -1)
    return out


def l2_normalize(x, axis, epsilon: float) -> Tensor:
    """``x / sqrt(max(sum(x^2), epsilon))`` along ``axis``: unit vectors, and a zero vector
    stays zero (with a zero, not NaN, gradient).

    ``epsilon`` bounds the squared norm from below. Keras 2's ``K.l2_normalize`` uses
    ``K.epsilon()``; Keras 3's losses and metrics (cosine similarity) use its square.

    >>> import minikeras.backend as K
    >>> K.eval(l2_normalize(K.constant([3.0, 4.0]), -1, 1e-7))
    array([0.6, 0.8], dtype=float32)
    """
    (x,) = as_tensors(x)
    return x / sqrt(maximum(sum(square(x), axis=axis, keepdims=True), epsilon))
