"""Values in and out of Keras 3 functions: ``convert_to_tensor``, ``convert_to_numpy``,
``cast``, ``shape``, ``dtype`` (Keras 3's ``keras.ops`` core functions).

``shape(x)`` of a graph tensor gives its sizes as Python ints where they are known, and
where a size is only known when data flows (the batch, ``None`` in ``x.shape``), a scalar
tensor holding it, so ``keras.random.normal(shape=ops.shape(x))`` works inside a layer.

>>> import numpy as np
>>> from minikeras import ops
>>> ops.convert_to_tensor([1, 2]).dtype, ops.convert_to_tensor([1.0, 2]).dtype
(dtype('int32'), dtype('float32'))
>>> import minikeras.backend as K
>>> batch, width = ops.shape(K.placeholder((None, 3)))
>>> batch.op.name, width
('dim', 3)
"""
from __future__ import annotations

import numpy as np

from minikeras.ops import elementwise as ew
from minikeras.ops import shapes as sh
from minikeras.ops.core import Tensor
from minikeras.ops.eager import building, is_symbolic, keras_op, to_tensor, to_value

__all__ = [
    "cast", "cond", "convert_to_numpy", "convert_to_tensor", "dtype", "is_tensor", "shape",
    "slice", "stop_gradient",
]




def convert_to_tensor(x, dtype=None, sparse=None, ragged=None):
    """An array of ``x`` (a graph constant while a graph is being built; tensors pass
    through). Python ints become int32 and floats floatx, as in Keras 3."""
    if sparse or ragged:
        raise NotImplementedError("sparse and ragged tensors are not supported")
    if isinstance(x, Tensor):
        return ew.cast(x, dtype) if dtype is not None else x
    if building():
        return to_tensor(x, dtype)
    return to_value(to_tensor(x, dtype))


def convert_to_numpy(x) -> np.ndarray:
    """A NumPy array of ``x`` (a graph tensor is computed; it must need no inputs)."""
    if isinstance(x, (list, tuple)) and is_symbolic(x):
        return type(x)(convert_to_numpy(v) for v in x)
    return to_value(x) if isinstance(x, Tensor) else np.asarray(x)


@keras_op("x")
def cast(x, dtype) -> Tensor:
    return ew.cast(x, dtype)


def dtype(x) -> str:
    """The dtype's name, e.g. 'float32'."""
    return np.dtype(x.dtype if hasattr(x, "dtype") else np.asarray(x).dtype).name


def is_tensor(x) -> bool:
    """A graph tensor (Keras 3: a backend tensor; NumPy arrays are not)."""
    return isinstance(x, Tensor)


def shape(x) -> tuple:
    """The sizes of ``x``: ints, and scalar tensors for sizes known only from data."""
    if not isinstance(x, Tensor):
        return tuple(np.shape(x))
    return tuple(sh.dim(x, i) if d is None else d for i, d in enumerate(x.shape))


@keras_op("variable")
def stop_gradient(variable) -> Tensor:
    """The same values, through which no gradient flows."""
    return ew.stop_gradient(variable)


@keras_op("inputs")
def slice(inputs, start_indices, shape) -> Tensor:
    """The block of ``shape`` starting at ``start_indices`` (ints)."""
    key = tuple(np.s_[int(a):int(a) + int(n)] for a, n in zip(start_indices, shape))
    return sh.getitem(inputs, key)


def cond(pred, true_fn, false_fn):
    """``true_fn()`` if ``pred`` else ``false_fn()``; a graph ``pred`` computes both and
    picks elementwise (``where``)."""
    if isinstance(pred, Tensor):
        return ew.where(pred, true_fn(), false_fn())
    return true_fn() if pred else false_fn()
