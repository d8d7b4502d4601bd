"""Broadcasting and its mirror image in gradients.

When ``b`` of shape (3,) is added to ``x`` of shape (batch, 3), NumPy copies ``b`` along
the batch axis. In the backward pass those copies' gradients must be *summed* back into
one (3,) gradient: ``sum_like(g, b)``. The two ops below are each other's gradient.

>>> import minikeras.backend as K
>>> g = K.constant([[1., 2., 3.], [10., 20., 30.]])
>>> K.eval(sum_like(g, K.constant([0., 0., 0.])))
array([11., 22., 33.], dtype=float32)
"""
from __future__ import annotations

from minikeras.axes import same_shape
from minikeras.ops.core import Op, Tensor


def _like_second(g: Tensor, x: Tensor):
    return x.shape, g.dtype


sum_like = Op(
    "sum_like", _like_second,
    grad=lambda y, g: [broadcast_like(g, y.inputs[0]), None])
sum_like.__doc__ = "Sum ``g`` over the axes that broadcasting added, to get ``x``'s shape."

broadcast_like = Op(
    "broadcast_like", _like_second,
    grad=lambda y, g: [sum_like(g, y.inputs[0]), None])
broadcast_like.__doc__ = "Copy ``g`` along axes (size 1 or missing) to get ``x``'s shape."


def unbroadcast(g: Tensor, x: Tensor) -> Tensor:
    """The part of gradient ``g`` that belongs to input ``x`` of a broadcasting op."""
    if same_shape(g.shape, x.shape):
        return g
    return sum_like(g, x)
