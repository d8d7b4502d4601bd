"""How a Keras 3 function runs now on arrays, or adds to a graph on tensors.

Keras 3 programs call ``keras.ops.matmul(a, b)`` two ways: on arrays, to compute a value
now (preparing data, trying things out), and inside a layer's ``call`` or a loss, on the
symbolic tensors of a model. ``keras_op`` makes one function do both, with one
implementation: the function builds graph nodes with the primitive ops (as ``K`` does);
when none of its tensor arguments is a graph tensor, the little graph it built is run at
once and the value comes back as a NumPy array, which ``fit``, ``predict`` and NumPy take
as they are.

Inside a layer's ``call`` (and while training builds its graph) everything stays
symbolic, even a call with no tensor arguments, so that ``keras.random.normal((2, 3))``
in a layer draws new numbers on every batch instead of once: ``symbolic_scope``.

>>> import numpy as np
>>> from minikeras import ops
>>> ops.matmul(np.ones((2, 3)), np.ones((3, 1)))     # arrays in: an array out, now
array([[3.],
       [3.]])
>>> import minikeras.backend as K
>>> ops.matmul(K.placeholder((None, 3)), np.ones((3, 1))).shape   # a tensor in: a node
(None, 1)
"""
from __future__ import annotations

import contextlib
import functools
import inspect
from collections.abc import Callable

import numpy as np

from minikeras import config
from minikeras.dtypes import python_dtype
from minikeras.ops.core import ShapeError
from minikeras.ops.elementwise import cast as _cast
from minikeras.tensor import Constant, Tensor, evaluate_now

_symbolic_depth = 0


@contextlib.contextmanager
def symbolic_scope():
    """While inside, Keras functions build graph nodes even on plain arrays (layers run
    their ``call`` inside one)."""
    global _symbolic_depth
    _symbolic_depth += 1
    try:
        yield
    finally:
        _symbolic_depth -= 1


def building() -> bool:
    """Are we inside a ``symbolic_scope`` (building a graph)?"""
    return _symbolic_depth > 0


def is_symbolic(value) -> bool:
    """A graph tensor, or a (nested) list/tuple/dict holding one."""
    if isinstance(value, Tensor):
        return True
    if isinstance(value, (list, tuple)):
        return any(is_symbolic(v) for v in value)
    if isinstance(value, dict):
        return any(is_symbolic(v) for v in value.values())
    return False


def keras_dtype(value) -> str:
    """The dtype Keras 3's ``convert_to_tensor`` gives a value: tensors and arrays keep
    theirs; Python ints are int32, floats floatx, bools bool (nested lists alike)."""
    if isinstance(value, (Tensor, np.ndarray, np.generic)):
        return np.dtype(value.dtype).name
    array = np.asarray(value)
    if array.dtype.kind == "b":
        return "bool"
    if array.dtype.kind in "iu":
        return "int32"
    if array.dtype.kind == "f":
        return config.floatx()
    raise ShapeError(f"cannot make a tensor of {value!r} (dtype {array.dtype})")


def to_tensor(value, dtype=None) -> Tensor:
    """A graph tensor for ``value`` (Keras 3's conversion rules for Python values)."""
    if isinstance(value, Tensor):
        return value if dtype is None else _cast(value, dtype)
    return Constant(np.asarray(value, dtype=dtype or keras_dtype(value)))


def _convert(value):
    """A tensor argument as a graph tensor, except bare numbers (they stay weak, so that a
    float16 tensor times 0.5 stays float16: ``minikeras.dtypes``)."""
    if isinstance(value, Tensor) or python_dtype(value) is not None:
        return value
    return to_tensor(value)


def to_value(result):
    """The arrays behind a result of graph tensors (tuples and lists kept)."""
    if isinstance(result, Tensor):
        if isinstance(result, Constant):
            return np.array(result.value)
        return np.asarray(evaluate_now(result))
    if isinstance(result, (list, tuple)):
        return type(result)(to_value(r) for r in result)
    return result


def keras_op(*tensor_args: str) -> Callable:
    """Make ``fn`` a Keras 3 function: run now on arrays, build nodes on tensors.

    ``tensor_args`` names the parameters that take tensors (``*name`` for one that takes
    a list of them, like ``concatenate``'s). When no argument holds a graph tensor and no
    graph is being built, those are converted with Keras's rules (``to_tensor``), ``fn``
    builds its nodes on the constants, and the result is computed at once.
    """
    names = [n.lstrip("*") for n in tensor_args]
    many = {n.lstrip("*") for n in tensor_args if n.startswith("*")}

    def decorate(fn: Callable) -> Callable:
        signature = inspect.signature(fn)

        @functools.wraps(fn)
        def run(*args, **kwargs):
            bound = signature.bind(*args, **kwargs)
            now = not (building() or is_symbolic(list(bound.arguments.values())))
            for n in names:  # arrays and lists become tensors; bare numbers stay weak
                value = bound.arguments.get(n)
                if value is not None:
                    bound.arguments[n] = [_convert(v) for v in value] if n in many else \
                        _convert(value)
            if not now:  # a graph tensor somewhere (a size in a shape, too)
                return fn(*bound.args, **bound.kwargs)
            with symbolic_scope():
                result = fn(*bound.args, **bound.kwargs)
            return to_value(result)

        run.eager = True
        return run
    return decorate
