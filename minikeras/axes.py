"""Axes: normalising ``axis=`` arguments, broadcasting shapes, and the th/tf orderings.

A tensor of order n has axes 0..n-1; negative axes count from the end, as in NumPy.
Shapes may contain ``None`` (a size known only when data arrives).

>>> normalize_axis(-1, ndim=3)
(2,)
>>> broadcast_shapes((None, 1, 5), (4, 5))
(None, 4, 5)
>>> to_channels_last((100, 3, 16, 32))    # 'th' -> 'tf' for a batch of RGB images
(100, 16, 32, 3)
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence

Shape = tuple  # of int | None


def normalize_axis(axis, ndim: int, what: str = "axis") -> tuple[int, ...]:
    """Return the sorted, non-negative axes that ``axis`` names (None means all)."""
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if isinstance(axis, int) else tuple(axis)
    out = []
    for a in axes:
        if not -ndim <= a < ndim:
            raise ValueError(f"{what}={axis} is out of range for a tensor of order {ndim} "
                             f"(valid axes are {-ndim}..{ndim - 1})")
        out.append(a % ndim)
    if len(set(out)) != len(out):
        raise ValueError(f"{what}={axis} names the same axis twice")
    return tuple(sorted(out))


def reduced_shape(shape: Shape, axes: Iterable[int], keepdims: bool) -> Shape:
    """The shape left after reducing ``axes`` (kept as size 1 when keepdims)."""
    axes = set(axes)
    if keepdims:
        return tuple(1 if i in axes else d for i, d in enumerate(shape))
    return tuple(d for i, d in enumerate(shape) if i not in axes)


def broadcast_shapes(*shapes: Shape) -> Shape:
    """NumPy broadcasting with ``None``: returns the result shape or raises ValueError."""
    ndim = max(len(s) for s in shapes)
    padded = [(1,) * (ndim - len(s)) + tuple(s) for s in shapes]
    result = []
    for dims in zip(*padded):
        known = {d for d in dims if d is not None and d != 1}
        if len(known) > 1:
            raise ValueError("shapes do not broadcast")
        if known:
            result.append(known.pop())
        elif any(d is None for d in dims):
            result.append(None)
        else:
            result.append(1)
    return tuple(result)


def same_shape(a: Shape, b: Shape) -> bool:
    """True when two shapes are certainly equal (no unknown sizes involved)."""
    return tuple(a) == tuple(b) and None not in a


def compatible(static: Shape, actual: Sequence[int]) -> bool:
    """Does an actual array shape fit a static shape with None wildcards?"""
    return len(static) == len(actual) and all(s is None or s == a
                                               for s, a in zip(static, actual))


# The image orderings. 'th' (Theano, Caffe): (batch, channels, rows, cols).
# 'tf' (TensorFlow): (batch, rows, cols, channels). Any number of spatial axes works.
def channels_last_perm(ndim: int) -> tuple[int, ...]:
    """Axes permutation taking channels_first data to channels_last."""
    return (0, *range(2, ndim), 1)


def channels_first_perm(ndim: int) -> tuple[int, ...]:
    """Axes permutation taking channels_last data to channels_first."""
    return (0, ndim - 1, *range(1, ndim - 1))


def to_channels_last(shape: Shape) -> Shape:
    return tuple(shape[i] for i in channels_last_perm(len(shape)))


def to_channels_first(shape: Shape) -> Shape:
    return tuple(shape[i] for i in channels_first_perm(len(shape)))
