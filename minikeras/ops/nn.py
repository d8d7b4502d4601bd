"""``keras.ops.nn``: activations, one-hot encodings, crossentropies and normalisation,
under Keras 3's names and defaults (each runs now on arrays, or builds graph nodes).

>>> import numpy as np
>>> from minikeras.ops import nn
>>> nn.one_hot(np.array([0, 2]), 3)
array([[1., 0., 0.],
       [0., 0., 1.]], dtype=float32)
>>> np.round(nn.gelu(np.array([1.0])), 4)      # approximate=True by default, as in Keras 3
array([0.8412])
"""
from __future__ import annotations

from minikeras import config
from minikeras.ops import activations as act
from minikeras.ops import convolution as cv
from minikeras.ops import crossentropy as xent
from minikeras.ops import elementwise as ew
from minikeras.ops import linalg as la
from minikeras.ops import normalization as norm
from minikeras.ops import pooling as pool
from minikeras.ops import reductions as red
from minikeras.ops import shapes as sh
from minikeras.ops.core import ShapeError, Tensor
from minikeras.ops.eager import keras_op

__all__ = [
    "average_pool",
    "batch_normalization",
    "binary_crossentropy",
    "categorical_crossentropy",
    "conv",
    "depthwise_conv",
    "elu",
    "gelu",
    "hard_sigmoid",
    "hard_silu",
    "hard_swish",
    "leaky_relu",
    "log_sigmoid",
    "log_softmax",
    "max_pool",
    "moments",
    "multi_hot",
    "normalize",
    "one_hot",
    "relu",
    "relu6",
    "selu",
    "separable_conv",
    "sigmoid",
    "silu",
    "softmax",
    "softplus",
    "softsign",
    "sparse_categorical_crossentropy",
    "swish",
]




def _activation(primitive, doc: str):
    @keras_op("x")
    def fn(x) -> Tensor:
        return primitive(x)
    fn.__name__ = fn.__qualname__ = getattr(primitive, "__name__", None) or primitive.name
    fn.__doc__ = doc
    return fn


relu = _activation(act.relu, "max(x, 0).")
relu6 = _activation(act.relu6, "min(max(x, 0), 6).")
sigmoid = _activation(act.sigmoid, "1 / (1 + e^-x).")
softplus = _activation(act.softplus, "log(1 + e^x).")
softsign = _activation(act.softsign, "x / (1 + |x|).")
silu = swish = _activation(act.silu, "x * sigmoid(x).")
hard_sigmoid = _activation(act.hard_sigmoid, "clip(x / 6 + 0.5, 0, 1) (Keras 3's).")
hard_silu = hard_swish = _activation(act.hard_silu, "x * hard_sigmoid(x).")
log_sigmoid = _activation(act.log_sigmoid, "log(sigmoid(x)), finite for any x.")
selu = _activation(act.selu, "1.0507 * elu(x, 1.6733).")


@keras_op("x")
def elu(x, alpha=1.0) -> Tensor:
    return act.elu(x, alpha)


@keras_op("x")
def leaky_relu(x, negative_slope=0.2) -> Tensor:
    return act.leaky_relu(x, negative_slope)


@keras_op("x")
def gelu(x, approximate=True) -> Tensor:
    """GELU; ``approximate=True`` (the tanh formula) is the default here, as in Keras 3's
    ``ops.gelu`` (``keras.activations.gelu`` defaults to the exact erf form)."""
    return act.gelu(x, approximate)


@keras_op("x")
def softmax(x, axis=-1) -> Tensor:
    return act.softmax(x, axis)


@keras_op("x")
def log_softmax(x, axis=-1) -> Tensor:
    return act.log_softmax(x, axis)


@keras_op("x")
def one_hot(x, num_classes, axis=-1, dtype=None, sparse=False) -> Tensor:
    """Class ids -> vectors with one 1 (floatx), the new axis at ``axis`` (Keras 3's
    third argument is ``axis``, where Keras 2's ``K.one_hot`` took none)."""
    if sparse:
        raise NotImplementedError("sparse one_hot")
    out = sh.one_hot(ew.cast(x, "int64"), num_classes, dtype or config.floatx())
    axis = axis % out.ndim
    if axis != out.ndim - 1:
        perm = list(range(out.ndim - 1))
        perm.insert(axis, out.ndim - 1)
        out = sh.transpose(out, perm)
    return out


@keras_op("inputs")
def multi_hot(inputs, num_classes=None, axis=-1, dtype=None, sparse=False) -> Tensor:
    """Several ids per row -> one vector with a 1 at each of them."""
    if num_classes is None:
        raise ShapeError("multi_hot needs num_classes")
    hot = one_hot(inputs, num_classes, -1, dtype)
    return red.max(hot, axis=-2) if inputs.ndim > 1 else hot


@keras_op("target", "output")
def binary_crossentropy(target, output, from_logits=False) -> Tensor:
    return xent.binary_crossentropy(target, output, from_logits)


@keras_op("target", "output")
def categorical_crossentropy(target, output, from_logits=False, axis=-1) -> Tensor:
    return xent.categorical_crossentropy(target, output, from_logits, axis)


@keras_op("target", "output")
def sparse_categorical_crossentropy(target, output, from_logits=False, axis=-1) -> Tensor:
    return xent.sparse_categorical_crossentropy(target, output, from_logits, axis)


@keras_op("x")
def moments(x, axes, keepdims=False, synchronized=False):
    """(mean, variance) over ``axes``."""
    return norm.moments(x, axes, keepdims)


@keras_op("x", "mean", "variance", "offset", "scale")
def batch_normalization(x, mean, variance, axis, offset=None, scale=None, epsilon=1e-3):
    """(x - mean) / sqrt(variance + epsilon) * scale + offset; the 1-D statistics lie
    along ``axis``."""
    return norm.batch_normalization(x, mean, variance, axis, offset, scale, epsilon)


@keras_op("x")
def normalize(x, axis=-1, order=2, epsilon=None) -> Tensor:
    """x divided by its norm along ``axis`` (order 1 or 2)."""
    if order == 2:
        return la.l2_normalize(x, axis, (epsilon or config.epsilon()) ** 2)
    if order == 1:
        return x / ew.maximum(red.sum(ew.abs(x), axis, keepdims=True),
                              epsilon or config.epsilon())
    raise NotImplementedError(f"normalize with order={order}")



# ---------------------------------------------------------------- convolution and pooling
# Keras 3's argument order (data_format before dilation_rate) around the primitives of
# ops/convolution.py and ops/pooling.py.

@keras_op("inputs", "kernel")
def conv(inputs, kernel, strides=1, padding="valid", data_format=None,
         dilation_rate=1) -> Tensor:
    """N-D convolution; ``kernel`` is (k..., in_channels, filters), as Keras stores it."""
    return cv.conv(inputs, kernel, strides, padding, dilation_rate, 1, data_format)


@keras_op("inputs", "kernel")
def depthwise_conv(inputs, kernel, strides=1, padding="valid", data_format=None,
                   dilation_rate=1) -> Tensor:
    """Each channel with its own filters; ``kernel`` is (k..., in_channels, multiplier)."""
    return cv.depthwise_conv(inputs, kernel, strides, padding, dilation_rate, data_format)


@keras_op("inputs", "depthwise_kernel", "pointwise_kernel")
def separable_conv(inputs, depthwise_kernel, pointwise_kernel, strides=1, padding="valid",
                   data_format=None, dilation_rate=1) -> Tensor:
    """A depthwise convolution followed by a 1x1 convolution that mixes the channels."""
    spread = cv.depthwise_conv(inputs, depthwise_kernel, strides, padding, dilation_rate,
                               data_format)
    return cv.conv(spread, pointwise_kernel, 1, "valid", 1, 1, data_format)


@keras_op("inputs")
def max_pool(inputs, pool_size, strides=None, padding="valid", data_format=None) -> Tensor:
    """The largest value of each window (``strides=None``: the windows do not overlap)."""
    return pool.max_pool(inputs, pool_size, strides, padding, data_format)


@keras_op("inputs")
def average_pool(inputs, pool_size, strides=None, padding="valid",
                 data_format=None) -> Tensor:
    """The mean of each window; padded cells are left out of the mean, as in Keras."""
    return pool.avg_pool(inputs, pool_size, strides, padding, data_format)
