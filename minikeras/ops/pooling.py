"""Pooling as ops: the max or the mean of each window, and their gradients.

Windows are laid out as a convolution's (``pool_size`` taps, ``strides``, 'valid' or
'same' padding), without dilation. With 'same' padding, padded cells never win a max and
are not counted in a mean (as in Keras).

* ``avg_pool`` is linear; its gradient ``avg_pool_grad`` shares each window's gradient
  among the window's cells. The two are adjoints, so each is the other's gradient.
* ``max_pool`` picks one cell per window; its gradient ``max_pool_grad(x, g)`` sends each
  window's gradient to that cell. For a fixed ``x`` it is linear in ``g``, and its
  adjoint ``max_pool_gather(x, h)`` reads ``h`` at the winning cells. Each is the other's
  gradient with respect to ``g`` (and ``h``); which cell wins does not change when ``x``
  moves a little, so no gradient flows to ``x`` through them.

>>> import minikeras.backend as K
>>> images = K.placeholder(shape=(None, 26, 26, 32))
>>> max_pool(images, (2, 2)).shape
(None, 13, 13, 32)
>>> avg_pool(images, 3, strides=2, padding="same").shape
(None, 13, 13, 32)
"""
from __future__ import annotations

from minikeras import config
from minikeras.ops.convolution import (
    _check_images,
    _dtype,
    argument_error,
    as_padding,
    as_tuple,
    image_shape,
    output_spatial,
    spatial_shape,
)
from minikeras.ops.core import Op, ShapeError, Tensor, as_tensors, format_shape


def _pool_infer(x, *, pool_size, strides, padding, data_format):
    _check_images(x)
    if len(pool_size) != x.ndim - 2:
        raise ShapeError(f"pool_size {pool_size} needs one size per spatial axis of "
                         f"{format_shape(x.shape)}")
    out = output_spatial(spatial_shape(x.shape, data_format), pool_size, strides,
                         (1,) * len(pool_size), padding)
    channels = x.shape[1] if data_format == "channels_first" else x.shape[-1]
    return image_shape(x.shape[0], out, channels, data_format), x.dtype


def _like_first(x, g, **attrs):
    """The gradient of a pooling has its input's shape."""
    return x.shape, _dtype(g)


def _like_second(g, like, **attrs):
    return like.shape, _dtype(g)


def _gather_infer(x, h, **attrs):
    return _pool_infer(x, **attrs)[0], _dtype(h)


_MAX_POOL = Op("max_pool", _pool_infer, lambda y, g: [_MAX_POOL_GRAD(y.inputs[0], g, **y.attrs)])
_MAX_POOL_GRAD = Op("max_pool_grad", _like_first,
                    lambda y, h: [None, _MAX_POOL_GATHER(y.inputs[0], h, **y.attrs)])
_MAX_POOL_GATHER = Op("max_pool_gather", _gather_infer,
                      lambda y, g: [None, _MAX_POOL_GRAD(y.inputs[0], g, **y.attrs)])
_AVG_POOL = Op("avg_pool", _pool_infer, lambda y, g: [_AVG_POOL_GRAD(g, y.inputs[0], **y.attrs)])
_AVG_POOL_GRAD = Op("avg_pool_grad", _like_second,
                    lambda y, h: [_AVG_POOL(h, **y.attrs), None])


def _attrs(op: str, x: Tensor, pool_size, strides, padding, data_format) -> dict:
    """The op's attributes in one form, or a ValueError naming the op and your line."""
    rank = x.ndim - 2
    try:
        pool_size = as_tuple(pool_size, rank, "pool_size")
        strides = pool_size if strides is None else as_tuple(strides, rank, "strides")
        padding = as_padding(padding, rank)
        if padding == "causal":
            raise ValueError("pooling takes padding 'valid' or 'same', not 'causal'")
        return {"pool_size": pool_size, "strides": strides, "padding": padding,
                "data_format": config.normalize_data_format(data_format)}
    except ValueError as error:
        raise argument_error(op, error) from None


def max_pool(x, pool_size, strides=None, padding="valid", data_format=None) -> Tensor:
    """The largest value of each window; ``strides=None`` means ``strides = pool_size``.

    >>> import numpy as np, minikeras.backend as K
    >>> x = np.arange(16.0).reshape(1, 4, 4, 1)
    >>> K.eval(max_pool(x, (2, 2)))[0, :, :, 0]
    array([[ 5.,  7.],
           [13., 15.]])
    """
    (x,) = as_tensors(x)
    return _MAX_POOL(x, **_attrs("max_pool", x, pool_size, strides, padding, data_format))


def avg_pool(x, pool_size, strides=None, padding="valid", data_format=None) -> Tensor:
    """The mean of each window over its real cells (padding is not counted)."""
    (x,) = as_tensors(x)
    return _AVG_POOL(x, **_attrs("avg_pool", x, pool_size, strides, padding, data_format))


def max_pool_grad(x, g, pool_size, strides=None, padding="valid", data_format=None) -> Tensor:
    """Each window's gradient ``g`` sent to the cell of ``x`` that won the window."""
    x, g = as_tensors(x, g)
    return _MAX_POOL_GRAD(x, g, **_attrs("max_pool_grad", x, pool_size, strides, padding, data_format))


def max_pool_gather(x, h, pool_size, strides=None, padding="valid", data_format=None) -> Tensor:
    """For each window of ``x``, the value of ``h`` at the cell that won it."""
    x, h = as_tensors(x, h)
    return _MAX_POOL_GATHER(x, h, **_attrs("max_pool_gather", x, pool_size, strides, padding, data_format))


def avg_pool_grad(g, like, pool_size, strides=None, padding="valid", data_format=None) -> Tensor:
    """Each window's gradient ``g`` shared equally by its real cells; shaped like ``like``."""
    g, like = as_tensors(g, like)
    return _AVG_POOL_GRAD(g, like, **_attrs("avg_pool_grad", like, pool_size, strides, padding, data_format))
