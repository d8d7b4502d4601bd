"""Ops of your own: a forward written in NumPy, a shape rule, and a backward rule.

minikeras's own ops take their forward from the kernels in ``minikeras/devices/``. An op
defined here brings its forward along as a plain NumPy function (it runs on the CPU),
and its backward rule is written like the library's: ``grad(y, g)`` receives the output
node ``y`` (its ``inputs`` and ``attrs``) and the incoming gradient ``g``, and returns one
gradient per input, built with ops, so that it is a graph too (it can be drawn, checked
with ``autograd.check_gradients``, and differentiated again).

>>> import numpy as np
>>> import minikeras.backend as K
>>> from minikeras.autograd import check_gradients
>>> cube = define_op("cube", forward=lambda x: x ** 3,
...                  grad=lambda y, g: [g * 3.0 * K.square(y.inputs[0])])
>>> K.eval(cube(K.constant([2.0])))
array([8.], dtype=float32)
>>> check_gradients(cube, [np.array([0.5, -1.0])])[0].ok
True

Defining an op again under the same name replaces it (a notebook cell may run twice);
the names of minikeras's own ops are taken.
"""
from __future__ import annotations

from collections.abc import Callable

import numpy as np

from minikeras.ops.core import REGISTRY, Op, Tensor, as_tensors, same_as_input

USER_OPS: dict[str, Op] = {}


def define_op(name: str, forward: Callable, grad: Callable | None = None,
              infer: Callable = same_as_input) -> Callable[..., Tensor]:
    """Define a new primitive op, and return the function that puts it into graphs.

    Args:
        name: the op's name (shown in graphs and errors), not one of minikeras's own.
        forward: ``forward(*arrays, **attrs) -> array``, in NumPy.
        grad: the backward rule ``grad(y, g) -> [one gradient per input]`` (None: no
            gradient flows through the op).
        infer: the shape rule ``infer(*tensors, **attrs) -> (shape, dtype)``; the default
            says the output looks like the first input (elementwise ops).

    Returns:
        ``op(*inputs, **attrs)``: numbers and arrays are turned into constants, and the
        result is a graph tensor. The ``Op`` itself is its ``.op``.
    """
    if name in REGISTRY:
        raise ValueError(f"{name!r} is the name of one of minikeras's own ops; give yours "
                         f"another name")
    if not callable(forward):
        raise TypeError(f"define_op({name!r}): forward must be a function of NumPy arrays, "
                        f"got {forward!r}")
    op = Op(name, infer, grad, registry=USER_OPS)

    def kernel(*arrays, **attrs):
        return np.asarray(forward(*arrays, **attrs))

    kernel.__name__ = name
    op.forward = kernel  # the compiler runs it instead of looking up a kernel (CPU only)

    def build(*inputs, **attrs) -> Tensor:
        return op(*as_tensors(*inputs), **attrs)

    build.__name__ = name
    build.__doc__ = f"The op {name!r} (defined with define_op)."
    build.op = op
    return build
