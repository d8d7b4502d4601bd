"""More of Keras 2's backend (``K``) functions, as the tutorials of its era call them:
shapes (``K.shape``), boolean reductions, running sums, padding, normalisation, ids.

``minikeras.backend`` re-exports all of them; each is built on the primitive ops.

>>> import numpy as np
>>> import minikeras.backend as K
>>> x = K.placeholder(shape=(None, 3))
>>> f = K.function([x], [K.shape(x), K.any(x > 1.0, axis=1)])
>>> f([np.array([[0.0, 2.0, 0.0], [0.0, 0.0, 0.0]])])
[array([2, 3], dtype=int32), array([ True, False])]
"""
from __future__ import annotations

import contextlib
import itertools
from collections import defaultdict

import numpy as np

from minikeras import config
from minikeras.dtypes import float_of
from minikeras.ops import elementwise as ew
from minikeras.ops import reductions as red
from minikeras.ops import shapes as sh
from minikeras.ops.core import Tensor, as_tensors
from minikeras.ops.normalization import batch_normalization as _batch_normalization
from minikeras.ops.normalization import moments
from minikeras.rng import new_generator
from minikeras.tensor import Constant, Variable, _name_counters

# ---------------------------------------------------------------- shapes


def shape(x) -> Tensor:
    """The shape as a 1-D int32 tensor, known when data flows (``K.int_shape`` gives the
    static one, with None for unknown sizes)."""
    (x,) = as_tensors(x)
    if None not in x.shape:
        return Constant(np.asarray(x.shape, dtype="int32"))
    return sh.stack([sh.dim(x, i) if d is None else Constant(np.int32(d))
                     for i, d in enumerate(x.shape)])


def count_params(x) -> int:
    """How many numbers a (fully known) tensor holds."""
    if None in x.shape:
        raise ValueError(f"count_params: {x.name} has unknown sizes {x.shape}")
    return int(np.prod(x.shape, dtype=np.int64))


def is_keras_tensor(x) -> bool:
    """A tensor made by a layer (``Input`` or a layer call)."""
    return isinstance(x, Tensor) and getattr(x, "_keras_history", None) is not None


# ---------------------------------------------------------------- math


def all(x, axis=None, keepdims: bool = False) -> Tensor:
    """Logical and along ``axis``."""
    (x,) = as_tensors(x)
    return red.min(ew.cast(x, "bool"), axis, keepdims)


def any(x, axis=None, keepdims: bool = False) -> Tensor:
    """Logical or along ``axis``."""
    (x,) = as_tensors(x)
    return red.max(ew.cast(x, "bool"), axis, keepdims)


def arange(start, stop=None, step=1, dtype="int32") -> Constant:
    """Evenly spaced values (int32 by default, as Keras 2)."""
    return Constant(np.arange(start, stop, step, dtype=dtype))


def cumsum(x, axis: int = 0) -> Tensor:
    """Running sums along ``axis``."""
    return red.cumsum(x, axis)


def logsumexp(x, axis=None, keepdims: bool = False) -> Tensor:
    """log(sum(exp(x))), finite for large x (the max is taken out first)."""
    (x,) = as_tensors(x)
    x = ew.cast(x, float_of(x.dtype))
    top = ew.stop_gradient(red.max(x, axis, keepdims=True))
    out = ew.log(red.sum(ew.exp(x - top), axis, keepdims=True)) + top
    return out if keepdims else sh.squeeze(out, tuple(range(x.ndim)) if axis is None
                                           else axis)


sin, cos, round, floor, ceil = ew.sin, ew.cos, ew.round, ew.floor, ew.ceil


def reverse(x, axes) -> Tensor:
    """``x`` with the order of elements reversed along ``axes``."""
    return sh.flip(x, axes)


def repeat_elements(x, rep: int, axis: int) -> Tensor:
    """Each element repeated ``rep`` times along ``axis`` (NumPy's repeat)."""
    return sh.repeat_elements(x, rep, axis)


def identity(x, name=None) -> Tensor:
    """A new tensor with the same value (Keras 2's ``K.identity``)."""
    return ew.identity(as_tensors(x)[0])


def in_top_k(predictions, targets, k: int) -> Tensor:
    """True where the target class's score is among the ``k`` largest of its row."""
    predictions, targets = as_tensors(predictions, targets)
    is_target = sh.one_hot(ew.cast(targets, "int64"), predictions.shape[-1], "bool")
    score = red.sum(ew.where(is_target, predictions, 0.0), axis=-1, keepdims=True)
    return ew.less(red.sum(ew.greater(predictions, score), axis=-1), k)


def cast_to_floatx(x) -> np.ndarray:
    """A NumPy array of ``x`` in floatx."""
    return np.asarray(x, dtype=config.floatx())


def print_tensor(x, message: str = ""):
    """Keras 2 printed ``message`` and the value when the graph ran; minikeras prints the
    message and the static shape now and returns ``x`` unchanged (use ``K.eval`` or a
    callback to see values)."""
    print(f"{message}{getattr(x, 'shape', '')}")
    return x


# ---------------------------------------------------------------- layers' helpers


def bias_add(x, bias, data_format=None) -> Tensor:
    """``x + bias``, the bias along the channels axis (the last one, or axis 1 for
    'channels_first')."""
    x, bias = as_tensors(x, bias)
    data_format = data_format or config.image_data_format()
    if data_format == "channels_first" and x.ndim > 2 and bias.ndim == 1:
        bias = sh.reshape(bias, (1, -1) + (1,) * (x.ndim - 2))
    return x + bias


def temporal_padding(x, padding=(1, 1)) -> Tensor:
    """Zeros before and after the time axis of (batch, time, features)."""
    return sh.pad(x, ((0, 0), tuple(padding), (0, 0)))


def spatial_2d_padding(x, padding=((1, 1), (1, 1)), data_format=None) -> Tensor:
    """Zeros around the rows and columns of an image batch."""
    data_format = data_format or config.image_data_format()
    rows, cols = (tuple(padding[0]), tuple(padding[1]))
    if data_format == "channels_first":
        return sh.pad(x, ((0, 0), (0, 0), rows, cols))
    return sh.pad(x, ((0, 0), rows, cols, (0, 0)))


def batch_normalization(x, mean, var, beta, gamma, axis=-1, epsilon=1e-3) -> Tensor:
    """``(x - mean) / sqrt(var + epsilon) * gamma + beta``."""
    x, mean, var = as_tensors(x, mean, var)
    return _batch_normalization(x, mean, var, axis, beta, gamma, epsilon)


def normalize_batch_in_training(x, gamma, beta, reduction_axes, epsilon=1e-3):
    """(normalised x, batch mean, batch variance) over ``reduction_axes``."""
    (x,) = as_tensors(x)
    mean, variance = moments(x, reduction_axes, keepdims=True)
    normed = (x - mean) / ew.sqrt(variance + epsilon)
    if gamma is not None:
        normed = normed * gamma
    if beta is not None:
        normed = normed + beta
    return normed, sh.squeeze(mean, tuple(reduction_axes)), \
        sh.squeeze(variance, tuple(reduction_axes))


def moving_average_update(x: Variable, value, momentum: float):
    """The update pair ``x <- momentum * x + (1 - momentum) * value``."""
    return (x, x * momentum + value * (1.0 - momentum))


# ---------------------------------------------------------------- variables drawn at random


def random_uniform_variable(shape, low, high, dtype=None, name=None, seed=None) -> Variable:
    """A variable holding draws from U[low, high)."""
    values = new_generator(seed).uniform(low, high, size=shape)
    return Variable(values, dtype or config.floatx(), name)


def random_normal_variable(shape, mean, scale, dtype=None, name=None, seed=None) -> Variable:
    """A variable holding draws from N(mean, scale^2)."""
    values = new_generator(seed).normal(mean, scale, size=shape)
    return Variable(values, dtype or config.floatx(), name)


# ---------------------------------------------------------------- sessions and names

_uids: dict[str, itertools.count] = defaultdict(lambda: itertools.count(1))
_on_clear: list = []  # what else clear_session resets (layers/base.py: layer names)


def on_clear_session(reset) -> None:
    """Register ``reset()`` to be called by ``clear_session`` (for modules built on this
    one, such as the layers' name counters)."""
    _on_clear.append(reset)


def get_uid(prefix: str = "") -> int:
    """1, 2, 3, ... for each prefix (Keras 2's layer numbering helper)."""
    return next(_uids[prefix])


def reset_uids() -> None:
    _uids.clear()


def clear_session() -> None:
    """Start layer names again from 'dense', 'dense_1', ... (there is no session to
    free: graphs here live as long as the Python objects that hold them)."""
    _name_counters.clear()
    reset_uids()
    for reset in _on_clear:
        reset()


@contextlib.contextmanager
def name_scope(name: str):
    """Accepted for Keras 2 code; names are not prefixed here."""
    yield


def manual_variable_initialization(value: bool) -> None:
    """A no-op: variables here always hold their initial values from the start."""
