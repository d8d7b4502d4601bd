"""Reductions along axes: sum, max, min, prod, argmax, argmin, and mean/var/std built on them.

"Along axis 0" means: walk down axis 0 and combine what you meet. For [[1, 2], [3, 4]],
along axis 0 you meet the rows [1, 2] and [3, 4], so the sum is [4, 6]; along axis 1 you
meet [1, 3] and [2, 4], so the sum is [3, 7]. ``keepdims=True`` leaves the reduced axes in
place with size 1, which keeps the result broadcastable against the input.

Dtypes follow Keras 3: the mean, variance and standard deviation of integers or booleans
are floats (floatx), so the mean of ``[True, False, True, True]`` is 0.75; a sum or
product of booleans or small integers is int32 (it counts).

>>> import minikeras.backend as K
>>> a = K.variable([[1, 2], [3, 4]])
>>> K.eval(K.sum(a, axis=0)), K.eval(K.sum(a, axis=1))
(array([4., 6.], dtype=float32), array([3., 7.], dtype=float32))
"""
from __future__ import annotations

from minikeras.axes import normalize_axis, reduced_shape
from minikeras.dtypes import float_of, sum_of
from minikeras.ops.broadcast import broadcast_like
from minikeras.ops.core import Op, Tensor, as_tensors
from minikeras.ops.elementwise import cast, equal, sqrt, square
from minikeras.ops.shapes import expand_dims, flip


def _reduce_infer(x, axis, keepdims):
    return reduced_shape(x.shape, axis, keepdims), x.dtype


def _with_kept_dims(y: Tensor, t: Tensor) -> Tensor:
    """Put the reduced axes back (as size 1) into a tensor shaped like y."""
    return t if y.attrs["keepdims"] else expand_dims(t, y.attrs["axis"])


def _sum_grad(y, g):
    """Every input element contributed once: copy g back over the reduced axes."""
    return [broadcast_like(_with_kept_dims(y, g), y.inputs[0])]


def _extreme_grad(y, g):
    """Only the elements equal to the max (or min) get gradient; ties share it."""
    x = y.inputs[0]
    winners = cast(equal(x, _with_kept_dims(y, y)), x.dtype)
    share = winners / sum(winners, axis=y.attrs["axis"], keepdims=True)
    return [share * _with_kept_dims(y, g)]


def _prod_grad(y, g):
    """d prod(x) / dx_i = prod(x) / x_i (inputs must be nonzero)."""
    x = y.inputs[0]
    return [_with_kept_dims(y, g) * _with_kept_dims(y, y) / x]


_SUM = Op("sum", _reduce_infer, _sum_grad)
_MAX = Op("max", _reduce_infer, _extreme_grad)
_MIN = Op("min", _reduce_infer, _extreme_grad)
_PROD = Op("prod", _reduce_infer, _prod_grad)
_ARGMAX = Op("argmax", lambda x, axis: (reduced_shape(x.shape, (axis,), False), "int64"))
_ARGMIN = Op("argmin", lambda x, axis: (reduced_shape(x.shape, (axis,), False), "int64"))
_COUNT = Op("count", lambda x, axis, dtype: ((), dtype))  # how many elements a reduction meets


def _reducer(op: Op, doc: str, dtype_of=None):
    def reduce(x, axis=None, keepdims: bool = False) -> Tensor:
        (x,) = as_tensors(x)
        if dtype_of is not None:
            x = cast(x, dtype_of(x.dtype))
        return op(x, axis=normalize_axis(axis, x.ndim), keepdims=bool(keepdims))
    reduce.__name__, reduce.__doc__ = op.name, doc
    return reduce


sum = _reducer(_SUM, "Sum of elements along ``axis`` (all axes if None); booleans and "
                     "small ints add up in int32.", sum_of)
max = _reducer(_MAX, "Largest element along ``axis``.")
min = _reducer(_MIN, "Smallest element along ``axis``.")
prod = _reducer(_PROD, "Product of elements along ``axis`` (in int32 for booleans and "
                       "small ints).", sum_of)


def count(x, axis=None) -> Tensor:
    """The number of elements a reduction over ``axis`` combines (known once data flows),
    as a float (x's dtype if x holds floats, else floatx), ready to divide by."""
    (x,) = as_tensors(x)
    return _COUNT(x, axis=normalize_axis(axis, x.ndim), dtype=float_of(x.dtype))


def _as_floats(x) -> Tensor:
    """Integers and booleans become floatx before an average (Keras does the same)."""
    (x,) = as_tensors(x)
    return cast(x, float_of(x.dtype))


def mean(x, axis=None, keepdims: bool = False) -> Tensor:
    """Average along ``axis``: the sum divided by how many elements were summed (a float,
    also for integers and booleans)."""
    x = _as_floats(x)
    return sum(x, axis, keepdims) / count(x, axis)


def var(x, axis=None, keepdims: bool = False) -> Tensor:
    """Variance: the mean squared distance from the mean."""
    x = _as_floats(x)
    return mean(square(x - mean(x, axis, keepdims=True)), axis, keepdims)


def std(x, axis=None, keepdims: bool = False) -> Tensor:
    """Standard deviation: the square root of the variance."""
    return sqrt(var(x, axis, keepdims))


def argmax(x, axis: int = -1) -> Tensor:
    """Index of the largest element along ``axis`` (int64, no gradient)."""
    (x,) = as_tensors(x)
    return _ARGMAX(x, axis=normalize_axis(axis, x.ndim)[0])


def argmin(x, axis: int = -1) -> Tensor:
    """Index of the smallest element along ``axis`` (int64, no gradient)."""
    (x,) = as_tensors(x)
    return _ARGMIN(x, axis=normalize_axis(axis, x.ndim)[0])


def _cumsum_grad(y, g):
    """Each input adds to every later output: the gradient is a reversed cumulative sum."""
    axis = y.attrs["axis"]
    return [flip(cumsum(flip(g, axis), axis), axis)]


_CUMSUM = Op("cumsum", lambda x, axis: (x.shape, x.dtype), _cumsum_grad)


def cumsum(x, axis: int | None = None) -> Tensor:
    """Running sums along ``axis`` (of the flattened tensor if None)."""
    (x,) = as_tensors(x)
    x = cast(x, sum_of(x.dtype))
    if axis is None:
        from minikeras.ops.shapes import flatten
        x, axis = flatten(x), 0
    return _CUMSUM(x, axis=normalize_axis(axis, x.ndim)[0])
