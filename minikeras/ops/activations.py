"""The activation functions as ops: tanh, sigmoid, relu, elu, softplus, softmax, ...

Primitive ones have a kernel and a backward rule; the rest are short compositions whose
gradients come for free from their parts.

>>> import minikeras.backend as K
>>> K.eval(K.softmax(K.constant([[1e4, 0.0]])))   # stable: subtracts the row max first
array([[1., 0.]], dtype=float32)
"""
from __future__ import annotations

from minikeras.axes import normalize_axis
from minikeras.ops.broadcast import unbroadcast
from minikeras.ops.core import Op, Tensor, as_tensors, broadcasting, floating
from minikeras.ops.elementwise import abs, clip, exp, greater, where
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


tanh = Op("tanh", floating, _tanh_grad)
sigmoid = Op("sigmoid", floating, _sigmoid_grad)
relu = Op("relu", floating, _relu_grad)
softplus = Op("softplus", floating, _softplus_grad)
_ELU = Op("elu", floating, _elu_grad)
_SOFTMAX = Op("softmax", floating, _softmax_grad)
_LOG_SOFTMAX = Op("log_softmax", floating, _log_softmax_grad)


def elu(x, alpha: float = 1.0) -> Tensor:
    """x if x > 0 else alpha * (exp(x) - 1)."""
    (x,) = as_tensors(x)
    return _ELU(x, alpha=float(alpha))


def softmax(x, axis: int = -1) -> Tensor:
    """exp(x) / sum(exp(x)) along ``axis``; computed without overflow for large x."""
    (x,) = as_tensors(x)
    return _SOFTMAX(x, axis=normalize_axis(axis, x.ndim)[0])


def log_softmax(x, axis: int = -1) -> Tensor:
    """log(softmax(x)), computed as x - logsumexp(x) so it stays finite."""
    (x,) = as_tensors(x)
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
