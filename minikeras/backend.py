"""``K``: the backend, under the names Keras 2 used (``from keras import backend as K``).

Everything here builds or runs graphs. Nothing holds data except variables and
constants: a model is "an empty shell" until ``K.function`` compiles it and arrays flow.

>>> import minikeras.backend as K
>>> a = K.variable([[1, 2], [3, 4]])
>>> K.eval(K.sum(a, axis=0)), K.eval(K.sum(a, axis=1))
(array([4., 6.], dtype=float32), array([3., 7.], dtype=float32))
>>> x = K.placeholder(shape=(None, 2))      # an empty slot: no value yet
>>> f = K.function([x], [K.sum(x, axis=1)])
>>> f([np.array([[1., 2.], [3., 4.]])])
[array([3., 7.], dtype=float32)]
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from minikeras import ops
from minikeras.autograd import gradients  # noqa: F401
from minikeras.config import (  # noqa: F401
    epsilon,
    floatx,
    image_data_format,
    normalize_data_format,
    set_epsilon,
    set_floatx,
    set_image_data_format,
)
from minikeras.graph import Function, evaluate, format_graph
from minikeras.ops import (  # noqa: F401  (the math, re-exported under Keras names)
    abs,
    argmax,
    argmin,
    batch_dot,
    batch_flatten,
    bernoulli_like,
    binary_crossentropy,
    cast,
    categorical_crossentropy,
    clip,
    concatenate,
    count,
    dot,
    elu,
    equal,
    exp,
    expand_dims,
    flatten,
    gather,
    greater,
    greater_equal,
    hard_sigmoid,
    less,
    less_equal,
    log,
    log_softmax,
    logical_and,
    logical_not,
    logical_or,
    matmul,
    max,
    maximum,
    mean,
    min,
    minimum,
    not_equal,
    one_hot,
    ones_like,
    pad,
    permute_dimensions,
    prod,
    repeat,
    reshape,
    selu,
    sigmoid,
    sign,
    softmax,
    softplus,
    softsign,
    sparse_categorical_crossentropy,
    sqrt,
    square,
    squeeze,
    stack,
    std,
    stop_gradient,
    sum,
    tanh,
    tile,
    transpose,
    var,
    zeros_like,
)
from minikeras.tensor import Constant, Placeholder, Tensor, Variable

# ---------------------------------------------------------------- leaves of the graph


def placeholder(shape=None, ndim=None, dtype=None, name=None) -> Placeholder:
    """An input slot. ``shape`` may use None for sizes known only when data is fed."""
    if shape is None:
        if ndim is None:
            raise ValueError("placeholder needs a shape or an ndim")
        shape = (None,) * ndim
    return Placeholder(tuple(shape), dtype or floatx(), name)


def variable(value, dtype=None, name=None, constraint=None) -> Variable:
    """A mutable tensor holding ``value`` (a copy); weights are variables."""
    v = Variable(value, dtype or floatx(), name)
    v.constraint = constraint
    return v


def constant(value, dtype=None, shape=None, name=None) -> Constant:
    """A fixed tensor; with ``shape``, a scalar value is repeated to fill it."""
    value = np.asarray(value, dtype=dtype or floatx())
    if shape is not None:
        value = np.broadcast_to(value, shape)
    return Constant(value, name=name)


def zeros(shape, dtype=None, name=None) -> Variable:
    return variable(np.zeros(shape), dtype, name)


def ones(shape, dtype=None, name=None) -> Variable:
    return variable(np.ones(shape), dtype, name)


def eye(size, dtype=None, name=None) -> Variable:
    return variable(np.eye(size), dtype, name)


def is_placeholder(x) -> bool:
    return isinstance(x, Placeholder)


def is_tensor(x) -> bool:
    return isinstance(x, Tensor)


# ---------------------------------------------------------------- running graphs


def function(inputs: Sequence[Tensor], outputs, updates=(), name=None, **kwargs) -> Function:
    """Compile a callable: ``f(list of arrays) -> list of arrays``, applying ``updates``."""
    return Function(inputs, outputs, updates or (), name)


def eval(x: Tensor) -> np.ndarray:
    """The value of a tensor that needs no placeholders."""
    return evaluate(x)


def get_value(x: Variable) -> np.ndarray:
    return x.numpy() if isinstance(x, Variable) else evaluate(x)


def set_value(x: Variable, value) -> None:
    x.assign(value)


def batch_get_value(xs) -> list[np.ndarray]:
    return [get_value(x) for x in xs]


def batch_set_value(pairs) -> None:
    for x, value in pairs:
        set_value(x, value)


def print_graph(x) -> None:
    """Print the graph behind ``x``, one node per line."""
    print(format_graph(x))


# ---------------------------------------------------------------- updates (Keras 2)


def update(x: Variable, new_x):
    """An update pair for K.function's ``updates``: set x to new_x."""
    return (x, new_x)


def update_add(x: Variable, increment):
    return (x, x + increment)


def update_sub(x: Variable, decrement):
    return (x, x - decrement)


# ---------------------------------------------------------------- shapes and types


def int_shape(x) -> tuple:
    """The static shape as a tuple of ints and None."""
    return tuple(x.shape) if isinstance(x, Tensor) else np.shape(x)


def ndim(x) -> int:
    return len(int_shape(x))


def dtype(x) -> str:
    return x.dtype if isinstance(x, Tensor) else np.asarray(x).dtype.name


def image_dim_ordering() -> str:
    """Keras 1 spelling of the data format: 'tf' (channels_last) or 'th'."""
    return "tf" if image_data_format() == "channels_last" else "th"


def set_image_dim_ordering(ordering: str) -> None:
    if ordering not in ("tf", "th"):
        raise ValueError(f"image_dim_ordering must be one of ['tf', 'th'], got {ordering!r}")
    set_image_data_format(ordering)


# ---------------------------------------------------------------- training vs testing

_LEARNING_PHASE = Placeholder((), "bool", name="keras_learning_phase",
                              default=np.asarray(False))


def learning_phase() -> Placeholder:
    """A scalar placeholder: True while training, False (its default) otherwise."""
    return _LEARNING_PHASE


def set_learning_phase(value) -> None:
    """Change the default of the learning phase (0 = test, 1 = train)."""
    if value not in (0, 1, True, False):
        raise ValueError(f"learning phase must be 0 or 1, got {value!r}")
    _LEARNING_PHASE.default = np.asarray(bool(value))


def switch(condition, then_expression, else_expression) -> Tensor:
    """Elementwise ``then if condition else else`` (callables are called first)."""
    then_expression = then_expression() if callable(then_expression) else then_expression
    else_expression = else_expression() if callable(else_expression) else else_expression
    return ops.where(condition, then_expression, else_expression)


def in_train_phase(x, alt, training=None):
    """``x`` while training, ``alt`` otherwise; a Python bool picks one at build time."""
    if training is None:
        training = learning_phase()
    if isinstance(training, (bool, int, np.bool_)):
        chosen = x if training else alt
        return chosen() if callable(chosen) else chosen
    return switch(training, x, alt)


def in_test_phase(x, alt, training=None):
    return in_train_phase(alt, x, training)


# ---------------------------------------------------------------- Keras 2 argument names


def pow(x, a) -> Tensor:
    return ops.power(x, a)


def relu(x, alpha: float = 0.0, max_value=None, threshold: float = 0.0) -> Tensor:
    """max(x, threshold), with slope ``alpha`` below it, capped at ``max_value``."""
    return ops.relu_options(x, alpha, max_value, threshold)


def dropout(x, level: float, noise_shape=None, seed=None) -> Tensor:
    """Keras 2's K.dropout (always on; layers decide when to use it)."""
    if noise_shape is not None:
        raise NotImplementedError("dropout with noise_shape is not supported yet")
    return ops.dropout(x, level, seed)


def random_uniform(shape, minval=0.0, maxval=1.0, dtype=None, seed=None) -> Tensor:
    return ops.random_uniform(shape, minval, maxval, dtype, seed)


def random_normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None) -> Tensor:  # noqa: F811
    return ops.random_normal(shape, mean, stddev, dtype, seed)


def random_binomial(shape, p=0.0, dtype=None, seed=None) -> Tensor:
    return ops.cast(ops.less(ops.random_uniform(shape, 0.0, 1.0, dtype, seed), p),
                    dtype or floatx())


def l2_normalize(x, axis=None) -> Tensor:
    """x / sqrt(max(sum(x^2), epsilon)) along ``axis`` (Keras 2's K.l2_normalize)."""
    return ops.l2_normalize(x, axis, epsilon())


# ---------------------------------------------------------------- convolution (Keras 2)
def conv1d(x, kernel, strides=1, padding="valid", data_format=None, dilation_rate=1) -> Tensor:
    """1-D convolution; kernel (k, in, out). ``padding`` 'valid', 'same' or 'causal'."""
    return ops.conv(x, kernel, strides, padding, dilation_rate, 1, data_format)


def conv2d(x, kernel, strides=(1, 1), padding="valid", data_format=None,
           dilation_rate=(1, 1)) -> Tensor:
    """2-D convolution; kernel (kh, kw, in, out) whatever the data format."""
    return ops.conv(x, kernel, strides, padding, dilation_rate, 1, data_format)


def conv3d(x, kernel, strides=(1, 1, 1), padding="valid", data_format=None,
           dilation_rate=(1, 1, 1)) -> Tensor:
    """3-D convolution; kernel (kd, kh, kw, in, out)."""
    return ops.conv(x, kernel, strides, padding, dilation_rate, 1, data_format)


def conv2d_transpose(x, kernel, output_shape, strides=(1, 1), padding="valid",
                     data_format=None, dilation_rate=(1, 1)) -> Tensor:
    """The transposed 2-D convolution to ``output_shape`` (the whole shape, batch first);
    kernel (kh, kw, out, in), as Keras 2."""
    data_format = normalize_data_format(data_format)
    size = ops.convolution.spatial_shape(tuple(output_shape), data_format)
    return ops.conv_transpose(x, kernel, size, strides, padding, dilation_rate, 1, data_format)


def depthwise_conv2d(x, depthwise_kernel, strides=(1, 1), padding="valid", data_format=None,
                     dilation_rate=(1, 1)) -> Tensor:
    """Each channel convolved with its own kernels; kernel (kh, kw, in, multiplier)."""
    return ops.depthwise_conv(x, depthwise_kernel, strides, padding, dilation_rate, data_format)


def separable_conv2d(x, depthwise_kernel, pointwise_kernel, strides=(1, 1), padding="valid",
                     data_format=None, dilation_rate=(1, 1)) -> Tensor:
    """A depthwise convolution, then a 1x1 one with pointwise_kernel (1, 1, in * dm, out)."""
    inside = ops.depthwise_conv(x, depthwise_kernel, strides, padding, dilation_rate,
                                data_format)
    return ops.conv(inside, pointwise_kernel, data_format=data_format)


def pool2d(x, pool_size, strides=(1, 1), padding="valid", data_format=None,
           pool_mode="max") -> Tensor:
    """Max or average ('avg') pooling; note Keras 2's default strides of 1 here."""
    return _pool(x, pool_size, strides, padding, data_format, pool_mode)


def pool3d(x, pool_size, strides=(1, 1, 1), padding="valid", data_format=None,
           pool_mode="max") -> Tensor:
    return _pool(x, pool_size, strides, padding, data_format, pool_mode)


def _pool(x, pool_size, strides, padding, data_format, pool_mode):
    if pool_mode not in ("max", "avg"):
        raise ValueError(f"pool_mode must be 'max' or 'avg', got {pool_mode!r}")
    pool = ops.max_pool if pool_mode == "max" else ops.avg_pool
    return pool(x, pool_size, strides, padding, data_format)


__all__ = [n for n in dir() if not n.startswith("_") and n not in ("annotations", "Sequence")]
