"""Activation functions: the nonlinearity a layer applies after its affine map.

Each one takes a symbolic tensor and returns a new one, built from ops, so gradients come
for free. The names and defaults are Keras 3's (``keras.activations``); layers accept
them by name, ``Dense(10, activation='softmax')``, through :func:`get`.

>>> import minikeras.backend as K
>>> x = K.constant([-2.0, 0.0, 3.0])
>>> K.eval(relu(x)), K.eval(get('relu6')(K.constant([7.0])))
(array([0., 0., 3.], dtype=float32), array([6.], dtype=float32))
"""
from __future__ import annotations

import math
from collections.abc import Callable

from minikeras import ops
from minikeras.tensor import Tensor


def linear(x) -> Tensor:
    """The identity, ``activation=None``: returns ``x`` unchanged.

    >>> import minikeras.backend as K
    >>> K.eval(linear(K.constant([-1.0, 2.0])))
    array([-1.,  2.], dtype=float32)
    """
    return ops.as_tensor(x)


def relu(x, negative_slope: float = 0.0, max_value: float | None = None,
         threshold: float = 0.0) -> Tensor:
    """Rectified linear unit: ``max(x, 0)``, with Keras 3's three options.

    Values above ``threshold`` pass through (capped at ``max_value``); values below it
    become ``negative_slope * (x - threshold)``.

    >>> import minikeras.backend as K
    >>> x = K.constant([-10.0, -5.0, 0.0, 5.0, 10.0])
    >>> K.eval(relu(x))
    array([ 0.,  0.,  0.,  5., 10.], dtype=float32)
    >>> K.eval(relu(x, negative_slope=0.5))
    array([-5. , -2.5,  0. ,  5. , 10. ], dtype=float32)
    >>> K.eval(relu(x, max_value=5.0))
    array([0., 0., 0., 5., 5.], dtype=float32)
    >>> K.eval(relu(x, threshold=5.0))
    array([ 0.,  0.,  0.,  0., 10.], dtype=float32)
    """
    return ops.relu_options(x, negative_slope, max_value, threshold)


def leaky_relu(x, negative_slope: float = 0.2) -> Tensor:
    """``x`` where ``x >= 0``, else ``negative_slope * x``: a little gradient for negatives.

    >>> import minikeras.backend as K
    >>> K.eval(leaky_relu(K.constant([-10.0, 0.0, 10.0])))
    array([-2.,  0., 10.], dtype=float32)
    """
    x = ops.as_tensor(x)
    return ops.where(ops.greater_equal(x, 0.0), x, negative_slope * x)


def relu6(x) -> Tensor:
    """ReLU capped at 6: ``min(max(x, 0), 6)``.

    >>> import minikeras.backend as K
    >>> K.eval(relu6(K.constant([-1.0, 3.0, 9.0])))
    array([0., 3., 6.], dtype=float32)
    """
    return ops.clip(x, 0.0, 6.0)


def tanh(x) -> Tensor:
    """Hyperbolic tangent, ``(e^x - e^-x) / (e^x + e^-x)``, squashing into (-1, 1).

    >>> import minikeras.backend as K
    >>> K.eval(tanh(K.constant([0.0])))
    array([0.], dtype=float32)
    """
    return ops.tanh(ops.as_tensor(x))


def sigmoid(x) -> Tensor:
    """Logistic function ``1 / (1 + e^-x)``, squashing into (0, 1).

    Crossentropy losses recognise a sigmoid output and work from its logits.

    >>> import minikeras.backend as K
    >>> K.eval(sigmoid(K.constant([0.0])))
    array([0.5], dtype=float32)
    """
    return ops.sigmoid(ops.as_tensor(x))


def softmax(x, axis: int = -1) -> Tensor:
    """``exp(x) / sum(exp(x))`` along ``axis``: each slice becomes a distribution.

    >>> import minikeras.backend as K
    >>> K.eval(softmax(K.constant([[1.0, 1.0], [0.0, 1e4]])))
    array([[0.5, 0.5],
           [0. , 1. ]], dtype=float32)
    """
    return ops.softmax(x, axis=axis)


def log_softmax(x, axis: int = -1) -> Tensor:
    """``log(softmax(x))``, computed as ``x - logsumexp(x)`` so it stays finite.

    >>> import minikeras.backend as K
    >>> K.eval(log_softmax(K.constant([0.0, 0.0])))
    array([-0.6931472, -0.6931472], dtype=float32)
    """
    return ops.log_softmax(x, axis=axis)


def elu(x, alpha: float = 1.0) -> Tensor:
    """Exponential linear unit: ``x`` if ``x > 0`` else ``alpha * (exp(x) - 1)``.

    >>> import minikeras.backend as K
    >>> K.eval(elu(K.constant([-100.0, 2.0])))
    array([-1.,  2.], dtype=float32)
    """
    return ops.elu(x, alpha)


def selu(x) -> Tensor:
    """Scaled ELU: ``1.0507 * elu(x, alpha=1.6733)``; pair it with LecunNormal weights.

    >>> import minikeras.backend as K
    >>> K.eval(selu(K.constant([1.0])))
    array([1.050701], dtype=float32)
    """
    return ops.selu(x)


def softplus(x) -> Tensor:
    """``log(exp(x) + 1)``, a smooth ReLU.

    >>> import minikeras.backend as K
    >>> K.eval(softplus(K.constant([0.0])))
    array([0.6931472], dtype=float32)
    """
    return ops.softplus(ops.as_tensor(x))


def softsign(x) -> Tensor:
    """``x / (abs(x) + 1)``.

    >>> import minikeras.backend as K
    >>> K.eval(softsign(K.constant([-3.0, 1.0])))
    array([-0.75,  0.5 ], dtype=float32)
    """
    return ops.softsign(ops.as_tensor(x))


def hard_sigmoid(x) -> Tensor:
    """Piecewise-linear sigmoid (Keras 3): 0 below -3, 1 above 3, ``x / 6 + 0.5`` between.

    >>> import minikeras.backend as K
    >>> K.eval(hard_sigmoid(K.constant([-4.0, 0.0, 1.5, 4.0])))
    array([0.  , 0.5 , 0.75, 1.  ], dtype=float32)
    """
    return ops.hard_sigmoid(ops.as_tensor(x))


def hard_sigmoid_keras2(x) -> Tensor:
    """Keras 1 and 2's hard sigmoid: 0 below -2.5, 1 above 2.5, ``0.2 x + 0.5`` between.

    Keras 3 changed ``hard_sigmoid`` to ``x / 6 + 0.5`` under the same name; this is the
    old one, for the numbers of Keras 1/2 models (e.g. their LSTMs' default gates).

    >>> import minikeras.backend as K
    >>> K.eval(hard_sigmoid_keras2(K.constant([-3.0, 0.0, 1.0]))), K.eval(hard_sigmoid(K.constant([1.0])))
    (array([0. , 0.5, 0.7], dtype=float32), array([0.6666667], dtype=float32))
    """
    from minikeras.ops.recurrent_steps import hard_sigmoid_keras2 as rule
    return rule(ops.as_tensor(x))


def exponential(x) -> Tensor:
    """``exp(x)``.

    >>> import minikeras.backend as K
    >>> K.eval(exponential(K.constant([0.0])))
    array([1.], dtype=float32)
    """
    return ops.exp(ops.as_tensor(x))


def silu(x) -> Tensor:
    """Swish / SiLU: ``x * sigmoid(x)``.

    >>> import minikeras.backend as K
    >>> K.eval(silu(K.constant([0.0, 100.0])))
    array([  0., 100.], dtype=float32)
    """
    x = ops.as_tensor(x)
    return x * ops.sigmoid(x)


swish = silu


# Abramowitz & Stegun 7.1.26: erf(x) = 1 - t (a1 + a2 t + ... + a5 t^4) e^(-x^2),
# t = 1 / (1 + p x), for x >= 0, with absolute error below 1.5e-7.
_ERF_P = 0.3275911
_ERF_A = (0.254829592, -0.284496736, 1.421413741, -1.453152027, 1.061405429)


def _erf(x: Tensor) -> Tensor:
    """The error function, built from exp (minikeras has no erf op); error < 1.5e-7.

    erf is odd, so the formula for x >= 0 is applied to |x| and the sign put back.
    ``where`` (not ``abs``) folds the sign so the slope at 0 is right, too.
    """
    nonneg = ops.greater_equal(x, 0.0)
    ax = ops.where(nonneg, x, -x)
    t = 1.0 / (1.0 + _ERF_P * ax)
    poly = _ERF_A[4]
    for a in reversed(_ERF_A[:4]):
        poly = a + t * poly
    tail = t * poly * ops.exp(-ax * ax)  # = 1 - erf(|x|)
    return ops.where(nonneg, 1.0 - tail, tail - 1.0)


def gelu(x, approximate: bool = False) -> Tensor:
    """Gaussian error linear unit: ``x * P(X <= x)`` for a standard normal X.

    ``approximate=False`` (Keras 3's default) is ``0.5 x (1 + erf(x / sqrt(2)))``;
    here erf is a polynomial-times-exp approximation accurate to 1.5e-7, as close as
    float32 can tell. ``approximate=True`` is the tanh formula
    ``0.5 x (1 + tanh(sqrt(2 / pi) (x + 0.044715 x^3)))``.

    >>> import numpy as np, minikeras.backend as K
    >>> x = K.constant([-1.0, 0.0, 1.0])
    >>> np.round(K.eval(gelu(x)), 4)
    array([-0.1587,  0.    ,  0.8413], dtype=float32)
    >>> np.round(K.eval(gelu(x, approximate=True)), 4)
    array([-0.1588,  0.    ,  0.8412], dtype=float32)
    """
    x = ops.as_tensor(x)
    if approximate:
        inner = math.sqrt(2.0 / math.pi) * (x + 0.044715 * x * x * x)
        return 0.5 * x * (1.0 + ops.tanh(inner))
    return 0.5 * x * (1.0 + _erf(x * (1.0 / math.sqrt(2.0))))


# ---------------------------------------------------------------- lookup by name

_BY_NAME: dict[str, Callable] = {fn.__name__: fn for fn in (
    linear, relu, leaky_relu, relu6, tanh, sigmoid, softmax, log_softmax, elu, selu,
    softplus, softsign, hard_sigmoid, hard_sigmoid_keras2, exponential, silu, gelu)}
_BY_NAME["swish"] = silu  # Keras 3 alias


def serialize(activation: Callable) -> str:
    """The name an activation is saved under (Keras 3 stores built-ins as plain names).

    >>> serialize(relu), serialize(swish)
    ('relu', 'silu')
    """
    name = getattr(activation, "__name__", None)
    if _BY_NAME.get(name) is not activation:
        raise ValueError(f"cannot serialize {activation!r}: it is not one of minikeras's "
                         f"activations {sorted(_BY_NAME)}")
    return name


def deserialize(config) -> Callable:
    """The activation saved as ``config``: a name, or Keras 3's dict form.

    >>> deserialize('tanh') is tanh
    True
    >>> deserialize({'class_name': 'function', 'config': 'relu'}) is relu
    True
    """
    if isinstance(config, dict):
        config = config.get("config")
    if isinstance(config, str) and config in _BY_NAME:
        return _BY_NAME[config]
    raise ValueError(f"unknown activation {config!r}; valid names are {sorted(_BY_NAME)}")


def get(identifier) -> Callable:
    """An activation from a name, a function, a saved config, or None (= linear).

    >>> get(None) is linear, get('relu') is relu, get(tanh) is tanh
    (True, True, True)
    """
    if identifier is None:
        return linear
    if isinstance(identifier, (str, dict)):
        return deserialize(identifier)
    if callable(identifier):
        return identifier
    raise ValueError(f"could not interpret activation {identifier!r}: pass a name "
                     f"(one of {sorted(_BY_NAME)}), a function or None")
