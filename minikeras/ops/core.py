"""What an op is, and the registry of all primitive ops.

An op has three parts:

* a **shape rule** (``infer``): from the input tensors and attributes, the output's shape
  and dtype. It runs when the graph is *built*, so mistakes show up at the learner's line;
* a **forward**: the kernel of the same name in ``minikeras.kernels`` (the only code that
  touches arrays);
* a **backward** (``grad``): given the output node and the gradient flowing into it,
  the gradients of its inputs, written with other ops, so gradients are graphs too.

>>> from minikeras.ops.core import REGISTRY
>>> REGISTRY['tanh'].grad.__doc__
'd tanh(x) = 1 - tanh(x)^2, written with the output y.'
"""
from __future__ import annotations

from collections.abc import Callable

import numpy as np

from minikeras import config
from minikeras.axes import broadcast_shapes
from minikeras.tensor import Constant, Origin, Tensor, format_shape

REGISTRY: dict[str, Op] = {}


class ShapeError(ValueError):
    """An op was given inputs whose shapes (or dtypes) it cannot combine.

    >>> import minikeras.backend as K
    >>> K.placeholder(shape=(None, 3)) + K.placeholder(shape=(None, 4))
    Traceback (most recent call last):
    ...
    minikeras.ops.core.ShapeError: add: shapes (None, 3) and (None, 4) do not broadcast...
    """


class Op:
    """A primitive operation: shape rule + kernel (by name) + backward rule.

    ``grad(y, g)`` receives the output node ``y`` (its ``inputs`` and ``attrs`` are there)
    and the incoming gradient ``g``; it returns one gradient per input (None where an
    input gets no gradient, e.g. integer indices). ``grad=None`` marks an op whose output
    does not change smoothly with its inputs (comparisons, argmax, random draws).

    >>> tanh = REGISTRY["tanh"]
    >>> import minikeras.backend as K
    >>> y = tanh(K.placeholder(shape=(2,)))
    >>> y.op is tanh, y.shape, tanh.differentiable
    (True, (2,), True)
    """

    # the NumPy forward of an op defined at run time (``ops.custom``); minikeras's own
    # ops have None here, their forward is the kernel of their name
    forward: Callable | None = None

    def __init__(self, name: str, infer: Callable, grad: Callable | None = None,
                 registry: dict | None = None):
        # minikeras's primitives go in REGISTRY, once each; ops a learner defines at run
        # time (``ops.custom.define_op``) bring their own registry, where a new definition
        # replaces the old one (a notebook cell runs again)
        if registry is None:
            registry = REGISTRY
            if name in REGISTRY:
                raise ValueError(f"op {name!r} is defined twice")
        self.name, self.infer, self.grad = name, infer, grad
        registry[name] = self

    @property
    def differentiable(self) -> bool:
        return self.grad is not None

    def __call__(self, *inputs: Tensor, **attrs) -> Tensor:
        try:
            shape, dtype = self.infer(*inputs, **attrs)
        except ShapeError as e:
            shapes = ", ".join(format_shape(t.shape) for t in inputs)
            where = Origin.capture()
            raise ShapeError(f"{self.name}: {e}\n  input shapes: {shapes}\n  "
                             f"at {where or '(inside minikeras)'}") from None
        return Tensor(shape, dtype, op=self, inputs=inputs, attrs=attrs)

    def __repr__(self) -> str:
        return f"<op {self.name}>"


# ---- turning Python values into graph tensors ----
def as_tensor(value, dtype=None) -> Tensor:
    """Tensors pass through; numbers, lists and arrays become constants.

    Python numbers and lists take ``dtype`` (default floatx); NumPy arrays keep theirs.
    """
    if isinstance(value, Tensor):
        return value
    if isinstance(value, np.ndarray) and dtype is None:
        return Constant(value)
    if dtype is None:
        dtype = config.floatx() if not isinstance(value, (bool, np.bool_)) else "bool"
    return Constant(value, dtype=dtype)


def as_tensors(*values) -> list[Tensor]:
    """Convert several values, giving bare numbers the dtype of the tensors among them."""
    like = next((v.dtype for v in values if isinstance(v, Tensor)), None)
    if like is not None and not np.issubdtype(np.dtype(like), np.number):
        like = None
    return [as_tensor(v, dtype=like if not isinstance(v, np.ndarray) else None)
            for v in values]


# ---- shape rules shared by many ops ----
def same_as_input(x: Tensor, **attrs):
    """Elementwise on one input: the output looks like the input."""
    return x.shape, x.dtype


def floating(x: Tensor, **attrs):
    """Like same_as_input, but only for float tensors (exp, log, tanh...)."""
    if not np.issubdtype(np.dtype(x.dtype), np.floating):
        raise ShapeError(f"needs a float tensor, got dtype {x.dtype} (use K.cast first)")
    return x.shape, x.dtype


def broadcasting(*xs: Tensor, **attrs):
    """Elementwise on several inputs: NumPy broadcasting, NumPy type promotion."""
    try:
        shape = broadcast_shapes(*(x.shape for x in xs))
    except ValueError:
        raise ShapeError("shapes " + " and ".join(format_shape(x.shape) for x in xs) +
                         " do not broadcast") from None
    return shape, np.result_type(*(np.dtype(x.dtype) for x in xs)).name


def boolean_result(*xs: Tensor, **attrs):
    shape, _ = broadcasting(*xs)
    return shape, "bool"


def is_float(t: Tensor) -> bool:
    return np.issubdtype(np.dtype(t.dtype), np.floating)
