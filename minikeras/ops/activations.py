"""The activation functions as ops: tanh, sigmoid, relu, elu, softplus, softmax, ...

Primitive ones have a kernel and a backward rule; the rest are short compositions whose
gradients come for free from their parts.

>>> import minikeras.backend as K
>>> K.eval(K.softmax(K.constant([[1e4, 0.0]])))   # stable: subtracts the row max first
array([[1., 0.]], dtype=float32)
"""
from __future__ import annotations

import math

from minikeras.axes import normalize_axis
from minikeras.dtypes import float_of
from minikeras.ops.broadcast import unbroadcast
from minikeras.ops.core import Op, Tensor, as_tensors, broadcasting, floating, same_as_input
from minikeras.ops.elementwise import (
    _float_function,
    abs,
    cast,
    clip,
    exp,
    greater,
    greater_equal,
    negative,
    where,
)
from minikeras.ops.reductions import sum


def _tanh_grad(y, g):
    """d tanh(x) = 1 - tanh(x)^2, written with the output y."""
    return [tanh_grad(g, y)]


def _sigmoid_grad(y, g):
    """d sigmoid(x) = s (1 - s), written with the output s."""
    return [sigmoid_grad(g, y)]


# The two products above, g * (1 - y * y) and g * y * (1 - y), as single ops: one pass over
# memory instead of three. Their own backward rules keep second derivatives working.
def _tanh_grad_grad(z, h):
    """z = g (1 - y^2): dz/dg = 1 - y^2 and dz/dy = -2 g y."""
    g, y = z.inputs
    return [unbroadcast(tanh_grad(h, y), g), unbroadcast(h * g * y * -2.0, y)]


def _sigmoid_grad_grad(z, h):
    """z = g y (1 - y): dz/dg = y (1 - y) and dz/dy = g (1 - 2 y)."""
    g, y = z.inputs
    return [unbroadcast(sigmoid_grad(h, y), g), unbroadcast(h * g * (1.0 - 2.0 * y), y)]


tanh_grad = Op("tanh_grad", broadcasting, _tanh_grad_grad)
sigmoid_grad = Op("sigmoid_grad", broadcasting, _sigmoid_grad_grad)


def _relu_grad(y, g):
    """g where relu(x) > 0 (that is, x > 0), else 0. Written with the output y, not x:
    then nothing else reads x, and a bias add before relu can be fused with it."""
    return [where(greater(y, 0.0), g, 0.0)]


def _elu_grad(y, g):
    """For x <= 0, elu(x) = alpha (e^x - 1), whose slope alpha e^x = y + alpha."""
    x, alpha = y.inputs[0], y.attrs["alpha"]
    return [where(greater(x, 0.0), g, g * (y + alpha))]


def _softplus_grad(y, g):
    """d log(1 + e^x) = sigmoid(x)."""
    return [g * sigmoid(y.inputs[0])]


def _softmax_grad(y, g):
    """Jacobian-vector product of softmax: y * (g - sum(g * y))."""
    axis = y.attrs["axis"]
    return [y * (g - sum(g * y, axis=axis, keepdims=True))]


def _log_softmax_grad(y, g):
    """log_softmax(x) = x - logsumexp(x): g - softmax(x) * sum(g)."""
    axis = y.attrs["axis"]
    return [g - exp(y) * sum(g, axis=axis, keepdims=True)]


tanh = _float_function(Op("tanh", floating, _tanh_grad), "Hyperbolic tangent, elementwise.")
sigmoid = _float_function(Op("sigmoid", floating, _sigmoid_grad),
                          "1 / (1 + e^-x), elementwise (never overflowing).")
softplus = _float_function(Op("softplus", floating, _softplus_grad),
                           "log(1 + e^x), elementwise (never overflowing).")
_RELU = Op("relu", same_as_input, _relu_grad)
_ELU = Op("elu", floating, _elu_grad)
_SOFTMAX = Op("softmax", floating, _softmax_grad)
_LOG_SOFTMAX = Op("log_softmax", floating, _log_softmax_grad)


def _floats(x) -> Tensor:
    (x,) = as_tensors(x)
    return cast(x, float_of(x.dtype))


def relu(x) -> Tensor:
    """max(x, 0), elementwise (integers stay integers, as in Keras 3)."""
    (x,) = as_tensors(x)
    return _RELU(cast(x, "int32") if x.dtype == "bool" else x)


def elu(x, alpha: float = 1.0) -> Tensor:
    """x if x > 0 else alpha * (exp(x) - 1)."""
    return _ELU(_floats(x), alpha=float(alpha))


def softmax(x, axis: int = -1) -> Tensor:
    """exp(x) / sum(exp(x)) along ``axis``; computed without overflow for large x."""
    x = _floats(x)
    return _SOFTMAX(x, axis=normalize_axis(axis, x.ndim)[0])


def log_softmax(x, axis: int = -1) -> Tensor:
    """log(softmax(x)), computed as x - logsumexp(x) so it stays finite."""
    x = _floats(x)
    return _LOG_SOFTMAX(x, axis=normalize_axis(axis, x.ndim)[0])


# ---- compositions ----
SELU_ALPHA = 1.6732632423543772
SELU_SCALE = 1.0507009873554805


def selu(x) -> Tensor:
    """Scaled ELU (Klambauer et al., 2017): scale * elu(x, alpha)."""
    return SELU_SCALE * elu(x, SELU_ALPHA)


def softsign(x) -> Tensor:
    """x / (1 + |x|)."""
    return x / (1.0 + abs(x))


def hard_sigmoid(x) -> Tensor:
    """A piecewise-linear sigmoid, as Keras 3 defines it: relu6(x + 3) / 6."""
    return clip(x / 6.0 + 0.5, 0.0, 1.0)


def relu_options(x, negative_slope: float = 0.0, max_value: float | None = None,
                 threshold: float = 0.0) -> Tensor:
    """ReLU with Keras's three options: values above ``threshold`` pass through (capped at
    ``max_value``); values below it become ``negative_slope * (x - threshold)``. (Keras 3
    names this ``activations.relu``; Keras 2's ``K.relu`` calls the slope ``alpha``.)"""
    (x,) = as_tensors(x)
    y = where(greater(x, threshold), x, 0.0) if threshold != 0.0 else relu(x)
    if max_value is not None:
        y = clip(y, 0.0, float(max_value))
    if negative_slope != 0.0:
        y = y - negative_slope * relu(threshold - x)
    return y


def relu6(x) -> Tensor:
    """ReLU capped at 6: min(max(x, 0), 6)."""
    return clip(x, 0.0, 6.0)


def leaky_relu(x, negative_slope: float = 0.2) -> Tensor:
    """x where x >= 0, else negative_slope * x."""
    x = _floats(x)
    return where(greater_equal(x, 0.0), x, negative_slope * x)


def silu(x) -> Tensor:
    """Swish / SiLU: x * sigmoid(x)."""
    x = _floats(x)
    return x * sigmoid(x)


def hard_silu(x) -> Tensor:
    """x * hard_sigmoid(x) (hard swish)."""
    x = _floats(x)
    return x * hard_sigmoid(x)


def log_sigmoid(x) -> Tensor:
    """log(sigmoid(x)) = -softplus(-x), finite for any x."""
    return negative(softplus(negative(_floats(x))))


# Abramowitz & Stegun 7.1.26: erf(x) = 1 - t (a1 + a2 t + ... + a5 t^4) e^(-x^2),
# t = 1 / (1 + p x), for x >= 0, with absolute error below 1.5e-7.
_ERF_P = 0.3275911
_ERF_A = (0.254829592, -0.284496736, 1.421413741, -1.453152027, 1.061405429)


def erf(x) -> Tensor:
    """The error function, built from exp (there is no erf kernel); error < 1.5e-7.

    erf is odd, so the formula for x >= 0 is applied to |x| and the sign put back.
    ``where`` (not ``abs``) folds the sign so the slope at 0 is right, too.
    """
    x = _floats(x)
    nonneg = greater_equal(x, 0.0)
    ax = where(nonneg, x, negative(x))
    t = 1.0 / (1.0 + _ERF_P * ax)
    poly = _ERF_A[4]
    for a in reversed(_ERF_A[:4]):
        poly = a + t * poly
    tail = t * poly * exp(negative(ax * ax))  # = 1 - erf(|x|)
    return where(nonneg, 1.0 - tail, tail - 1.0)


def gelu(x, approximate: bool = False) -> Tensor:
    """Gaussian error linear unit, x * P(X <= x) for a standard normal X: exactly
    0.5 x (1 + erf(x / sqrt 2)), or with ``approximate=True`` the tanh formula
    0.5 x (1 + tanh(sqrt(2 / pi) (x + 0.044715 x^3)))."""
    x = _floats(x)
    if approximate:
        inner = math.sqrt(2.0 / math.pi) * (x + 0.044715 * x * x * x)
        return 0.5 * x * (1.0 + tanh(inner))
    return 0.5 * x * (1.0 + erf(x * (1.0 / math.sqrt(2.0))))
