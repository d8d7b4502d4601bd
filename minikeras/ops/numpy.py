"""``keras.ops.numpy``: NumPy's array functions under Keras 3's names and defaults.

Each function runs now on arrays (and returns a NumPy array) or adds nodes to a graph
when given graph tensors (``eager.keras_op``). All of them are built on the primitive
ops of this package, the same ones ``K`` (``minikeras.backend``) uses; where Keras 3's
signature or default differs from Keras 2's ``K`` function of the same name, these
follow Keras 3, and the docstring says so.

>>> import numpy as np
>>> from minikeras.ops import numpy as knp
>>> knp.concatenate([np.ones((1, 2)), np.zeros((1, 2))])      # axis=0, like NumPy
array([[1., 1.],
       [0., 0.]])
>>> knp.mean(np.array([True, False, True, True]))
array(0.75, dtype=float32)
"""
from __future__ import annotations

import builtins
import itertools
import math

import numpy as np

from minikeras import config
from minikeras.dtypes import float_of
from minikeras.ops import activations as act
from minikeras.ops import elementwise as ew
from minikeras.ops import linalg as la
from minikeras.ops import reductions as red
from minikeras.ops import shapes as sh
from minikeras.ops.broadcast import broadcast_like
from minikeras.ops.core import ShapeError, Tensor
from minikeras.ops.eager import keras_op, to_tensor

# ---------------------------------------------------------------- making arrays

__all__ = [
    "abs",
    "absolute",
    "add",
    "all",
    "allclose",
    "amax",
    "amin",
    "any",
    "arange",
    "argmax",
    "argmin",
    "argsort",
    "average",
    "broadcast_to",
    "ceil",
    "clip",
    "concatenate",
    "cos",
    "count_nonzero",
    "cumsum",
    "divide",
    "divide_no_nan",
    "dot",
    "empty",
    "equal",
    "exp",
    "exp2",
    "expand_dims",
    "expm1",
    "eye",
    "flip",
    "floor",
    "floor_divide",
    "full",
    "full_like",
    "greater",
    "greater_equal",
    "hstack",
    "identity",
    "inner",
    "isclose",
    "isfinite",
    "isinf",
    "isnan",
    "less",
    "less_equal",
    "linspace",
    "log",
    "log1p",
    "log2",
    "log10",
    "logical_and",
    "logical_not",
    "logical_or",
    "logical_xor",
    "matmul",
    "max",
    "maximum",
    "mean",
    "min",
    "minimum",
    "mod",
    "moveaxis",
    "multiply",
    "nan_to_num",
    "ndim",
    "negative",
    "norm",
    "not_equal",
    "ones",
    "ones_like",
    "outer",
    "pad",
    "power",
    "prod",
    "ravel",
    "reciprocal",
    "repeat",
    "reshape",
    "round",
    "sign",
    "sin",
    "size",
    "sort",
    "split",
    "sqrt",
    "square",
    "squeeze",
    "stack",
    "std",
    "subtract",
    "sum",
    "swapaxes",
    "take",
    "take_along_axis",
    "tan",
    "tanh",
    "tile",
    "transpose",
    "tri",
    "tril",
    "triu",
    "true_divide",
    "unstack",
    "var",
    "vdot",
    "vstack",
    "where",
    "zeros",
    "zeros_like",
]




def _dtype(dtype, default=None) -> str:
    return np.dtype(dtype or default or config.floatx()).name


@keras_op()
def zeros(shape, dtype=None) -> Tensor:
    """An array of zeros (floatx unless ``dtype``); sizes may be ``ops.shape`` sizes."""
    return full(shape, 0, dtype)


@keras_op()
def ones(shape, dtype=None) -> Tensor:
    """An array of ones."""
    return full(shape, 1, dtype)


@keras_op()
def empty(shape, dtype=None) -> Tensor:
    """An array of the shape (here: zeros; Keras leaves the values undefined)."""
    return full(shape, 0, dtype)


@keras_op()
def full(shape, fill_value, dtype=None) -> Tensor:
    """An array of ``shape`` filled with ``fill_value`` (floatx unless ``dtype``)."""
    shape = (shape,) if isinstance(shape, (int, Tensor)) else tuple(shape)
    dtype = _dtype(dtype)
    if builtins.any(isinstance(d, Tensor) for d in shape):
        return sh.fill(shape, fill_value, dtype)
    return to_tensor(np.full(shape, fill_value, dtype))


@keras_op("x")
def zeros_like(x, dtype=None) -> Tensor:
    return ew.zeros_like(x, dtype=_dtype(dtype, x.dtype))


@keras_op("x")
def ones_like(x, dtype=None) -> Tensor:
    return ew.ones_like(x, dtype=_dtype(dtype, x.dtype))


@keras_op("x")
def full_like(x, fill_value, dtype=None) -> Tensor:
    return ew.ones_like(x, dtype=_dtype(dtype, x.dtype)) * fill_value


@keras_op()
def arange(start, stop=None, step=1, dtype=None) -> Tensor:
    """Evenly spaced values in [start, stop): int32 for ints, floatx for floats."""
    values = [v for v in (start, stop, step) if v is not None]
    kind = "float" if builtins.any(isinstance(v, float) for v in values) else "int"
    default = config.floatx() if kind == "float" else "int32"
    return to_tensor(np.arange(start, stop, step, dtype=_dtype(dtype, default)))


@keras_op()
def linspace(start, stop, num=50, endpoint=True, retstep=False, dtype=None, axis=0):
    """``num`` evenly spaced values from start to stop (floatx)."""
    values, step = np.linspace(start, stop, num, endpoint, retstep=True, axis=axis)
    values = to_tensor(values.astype(_dtype(dtype)))
    return (values, to_tensor(np.asarray(step, _dtype(dtype)))) if retstep else values


@keras_op()
def eye(N, M=None, k=0, dtype=None) -> Tensor:
    """Ones on the k-th diagonal of an N x M matrix."""
    return to_tensor(np.eye(N, M, k, dtype=_dtype(dtype)))


@keras_op()
def identity(n, dtype=None) -> Tensor:
    """The n x n identity matrix (NumPy's identity, not Keras 2's ``K.identity``)."""
    return eye(n, dtype=dtype)


@keras_op()
def tri(N, M=None, k=0, dtype=None) -> Tensor:
    return to_tensor(np.tri(N, M, k, dtype=_dtype(dtype)))


def _triangle(x: Tensor, keep: np.ndarray) -> Tensor:
    if None in x.shape[-2:]:
        raise ShapeError(f"tril/triu need known sizes of the last two axes, got {x.shape}")
    return ew.where(to_tensor(keep), x, ew.zeros_like(x))


@keras_op("x")
def tril(x, k=0) -> Tensor:
    """x with the elements above the k-th diagonal set to zero."""
    return _triangle(x, np.tri(*x.shape[-2:], k, dtype=bool))


@keras_op("x")
def triu(x, k=0) -> Tensor:
    """x with the elements below the k-th diagonal set to zero."""
    return _triangle(x, ~np.tri(*x.shape[-2:], k - 1, dtype=bool))


# ---------------------------------------------------------------- elementwise math


def _unary(primitive, doc: str):
    @keras_op("x")
    def fn(x) -> Tensor:
        return primitive(x)
    fn.__name__ = fn.__qualname__ = getattr(primitive, "__name__", None) or primitive.name
    fn.__doc__ = doc
    return fn


def _binary(primitive, doc: str):
    @keras_op("x1", "x2")
    def fn(x1, x2) -> Tensor:
        return primitive(x1, x2)
    fn.__name__ = fn.__qualname__ = getattr(primitive, "__name__", None) or primitive.name
    fn.__doc__ = doc
    return fn


abs = absolute = _unary(ew.abs, "|x|, elementwise.")
negative = _unary(ew.negative, "-x, elementwise.")
sign = _unary(ew.sign, "-1, 0 or 1 by the sign of x.")
square = _unary(ew.square, "x * x, elementwise.")
sqrt = _unary(ew.sqrt, "Square root (a float, also for integers).")
exp = _unary(ew.exp, "e^x, elementwise.")
expm1 = _unary(ew.expm1, "e^x - 1, accurate for small x.")
log = _unary(ew.log, "Natural logarithm.")
log1p = _unary(ew.log1p, "log(1 + x), accurate for small x.")
sin = _unary(ew.sin, "Sine (radians).")
cos = _unary(ew.cos, "Cosine (radians).")
tanh = _unary(act.tanh, "Hyperbolic tangent.")
floor = _unary(ew.floor, "The largest integer <= x (a float).")
ceil = _unary(ew.ceil, "The smallest integer >= x (a float).")
isnan = _unary(ew.isnan, "True where x is NaN.")
isinf = _unary(ew.isinf, "True where x is +-inf.")
isfinite = _unary(ew.isfinite, "True where x is neither NaN nor infinite.")
logical_not = _unary(ew.logical_not, "Elementwise not (of truth values).")

add = _binary(ew.add, "x1 + x2 with broadcasting (Keras 3 dtypes).")
subtract = _binary(ew.subtract, "x1 - x2.")
multiply = _binary(ew.multiply, "x1 * x2.")
divide = true_divide = _binary(ew.divide, "x1 / x2, a float also for integers.")
power = _binary(ew.power, "x1 ** x2.")
floor_divide = _binary(ew.floor_divide, "x1 // x2.")
mod = _binary(ew.mod, "x1 mod x2, with the sign of x2 (as NumPy).")
maximum = _binary(ew.maximum, "The larger of x1 and x2, elementwise.")
minimum = _binary(ew.minimum, "The smaller of x1 and x2, elementwise.")
equal = _binary(ew.equal, "x1 == x2.")
not_equal = _binary(ew.not_equal, "x1 != x2.")
greater = _binary(ew.greater, "x1 > x2.")
greater_equal = _binary(ew.greater_equal, "x1 >= x2.")
less = _binary(ew.less, "x1 < x2.")
less_equal = _binary(ew.less_equal, "x1 <= x2.")
logical_and = _binary(ew.logical_and, "Elementwise and (of truth values).")
logical_or = _binary(ew.logical_or, "Elementwise or (of truth values).")
matmul = _binary(la.matmul, "Matrix product of the last two axes (NumPy's @).")


@keras_op("x1", "x2")
def logical_xor(x1, x2) -> Tensor:
    return ew.not_equal(ew.cast(x1, "bool"), ew.cast(x2, "bool"))


@keras_op("x")
def reciprocal(x) -> Tensor:
    return ew.divide(1.0, x)


@keras_op("x")
def log2(x) -> Tensor:
    return ew.log(x) * (1.0 / math.log(2.0))


@keras_op("x")
def log10(x) -> Tensor:
    return ew.log(x) * (1.0 / math.log(10.0))


@keras_op("x")
def exp2(x) -> Tensor:
    return ew.exp(x * math.log(2.0))


@keras_op("x")
def tan(x) -> Tensor:
    return ew.sin(x) / ew.cos(x)


@keras_op("x")
def round(x, decimals=0) -> Tensor:
    """Round halves to even (as NumPy); no gradient."""
    return ew.round(x, decimals)


@keras_op("x1", "x2")
def divide_no_nan(x1, x2) -> Tensor:
    """x1 / x2, and 0 where x2 is 0."""
    x1, x2 = ew.promote(x1, x2, floating=True)
    zero = ew.equal(x2, 0.0)
    return ew.where(zero, 0.0, x1 / ew.where(zero, 1.0, x2))


@keras_op("x")
def clip(x, x_min, x_max) -> Tensor:
    return ew.clip(x, x_min, x_max)


@keras_op("condition", "x1", "x2")
def where(condition, x1=None, x2=None) -> Tensor:
    """x1 where condition holds, else x2 (the one-argument form is not supported)."""
    if x1 is None or x2 is None:
        raise NotImplementedError("where(condition) without x1 and x2 (the indices of "
                                  "nonzero entries) needs shapes known only from data")
    return ew.where(condition, x1, x2)


@keras_op("x")
def nan_to_num(x, nan=0.0, posinf=None, neginf=None) -> Tensor:
    info = np.finfo(np.dtype(float_of(x.dtype)))
    x = ew.where(ew.isnan(x), nan, x)
    x = ew.where(ew.logical_and(ew.isinf(x), ew.greater(x, 0.0)),
                 info.max if posinf is None else posinf, x)
    return ew.where(ew.isinf(x), info.min if neginf is None else neginf, x)


@keras_op("x1", "x2")
def isclose(x1, x2, rtol=1e-5, atol=1e-8, equal_nan=False) -> Tensor:
    x1, x2 = ew.promote(x1, x2, floating=True)
    close = ew.less_equal(ew.abs(x1 - x2), atol + rtol * ew.abs(x2))
    if equal_nan:
        close = ew.logical_or(close, ew.logical_and(ew.isnan(x1), ew.isnan(x2)))
    return close


def allclose(x1, x2, rtol=1e-5, atol=1e-8, equal_nan=False):
    return all(isclose(x1, x2, rtol, atol, equal_nan))


# ---------------------------------------------------------------- reductions


def _reduction(primitive, doc: str):
    @keras_op("x")
    def fn(x, axis=None, keepdims=False) -> Tensor:
        return primitive(x, axis, keepdims)
    fn.__name__ = fn.__qualname__ = getattr(primitive, "__name__", None) or primitive.name
    fn.__doc__ = doc
    return fn


sum = _reduction(red.sum, "Sum along ``axis`` (booleans and small ints add up in int32).")
prod = _reduction(red.prod, "Product along ``axis``.")
mean = _reduction(red.mean, "Mean along ``axis`` (a float, also for ints and booleans).")
var = _reduction(red.var, "Variance along ``axis`` (divided by N).")
std = _reduction(red.std, "Standard deviation along ``axis`` (divided by N).")


@keras_op("x")
def max(x, axis=None, keepdims=False, initial=None) -> Tensor:
    out = red.max(x, axis, keepdims)
    return out if initial is None else ew.maximum(out, initial)


@keras_op("x")
def min(x, axis=None, keepdims=False, initial=None) -> Tensor:
    out = red.min(x, axis, keepdims)
    return out if initial is None else ew.minimum(out, initial)


amax, amin = max, min


@keras_op("x")
def any(x, axis=None, keepdims=False) -> Tensor:
    return ew.cast(red.max(ew.cast(x, "bool"), axis, keepdims), "bool")


@keras_op("x")
def all(x, axis=None, keepdims=False) -> Tensor:
    return ew.cast(red.min(ew.cast(x, "bool"), axis, keepdims), "bool")


@keras_op("x")
def count_nonzero(x, axis=None) -> Tensor:
    return red.sum(ew.not_equal(x, 0), axis)


@keras_op("x", "weights")
def average(x, axis=None, weights=None) -> Tensor:
    """The mean, or with ``weights`` the weighted mean, along ``axis``."""
    if weights is None:
        return red.mean(x, axis)
    x, weights = ew.promote(x, weights, floating=True)
    if weights.ndim == 1 and x.ndim > 1 and axis is not None:
        shape = [1] * x.ndim
        shape[axis] = -1
        weights = sh.reshape(weights, shape)
    return red.sum(x * weights, axis) / red.sum(broadcast_like(weights, x), axis)


def _flat_or(x: Tensor, axis):
    return (sh.flatten(x), 0) if axis is None else (x, axis)


@keras_op("x")
def argmax(x, axis=None, keepdims=False) -> Tensor:
    """Index of the largest element; of the flattened array when ``axis`` is None (Keras 3
    and NumPy; Keras 2's ``K.argmax`` defaults to the last axis). int32, as in Keras."""
    flat, ax = _flat_or(x, axis)
    out = ew.cast(red.argmax(flat, ax), "int32")
    return sh.expand_dims(out, ax) if keepdims and axis is not None else out


@keras_op("x")
def argmin(x, axis=None, keepdims=False) -> Tensor:
    """Index of the smallest element (see ``argmax`` for ``axis=None``)."""
    flat, ax = _flat_or(x, axis)
    out = ew.cast(red.argmin(flat, ax), "int32")
    return sh.expand_dims(out, ax) if keepdims and axis is not None else out


@keras_op("x")
def cumsum(x, axis=None, dtype=None) -> Tensor:
    out = red.cumsum(x, axis)
    return out if dtype is None else ew.cast(out, dtype)


@keras_op("x")
def sort(x, axis=-1) -> Tensor:
    """Sorted along ``axis`` (ascending); the gradient flows back to each element."""
    return sh.take_along_axis(x, sh.argsort(x, axis), axis)


@keras_op("x")
def argsort(x, axis=-1) -> Tensor:
    return sh.argsort(x, axis)


# ---------------------------------------------------------------- shapes


@keras_op("x")
def reshape(x, newshape) -> Tensor:
    """Same elements, new shape; one size may be -1 (or an ``ops.shape`` size)."""
    newshape = (newshape,) if isinstance(newshape, (int, Tensor)) else tuple(newshape)
    if builtins.sum(isinstance(d, Tensor) for d in newshape) > 1:
        raise ShapeError("reshape with several sizes known only from data is not supported")
    return sh.reshape(x, [-1 if isinstance(d, Tensor) else d for d in newshape])


@keras_op("x")
def transpose(x, axes=None) -> Tensor:
    return sh.transpose(x, axes)


@keras_op("x")
def expand_dims(x, axis) -> Tensor:
    return sh.expand_dims(x, axis)


@keras_op("x")
def squeeze(x, axis=None) -> Tensor:
    """Remove size-1 axes (all of them when ``axis`` is None, as in Keras 3)."""
    if axis is None:
        axis = tuple(i for i, d in enumerate(x.shape) if d == 1)
        if not axis:
            return x
    return sh.squeeze(x, axis)


@keras_op("x")
def ravel(x) -> Tensor:
    return sh.flatten(x)


@keras_op("x")
def moveaxis(x, source, destination) -> Tensor:
    source = [source] if isinstance(source, int) else list(source)
    destination = [destination] if isinstance(destination, int) else list(destination)
    source = [s % x.ndim for s in source]
    destination = [d % x.ndim for d in destination]
    order = [a for a in range(x.ndim) if a not in source]
    for d, s in sorted(zip(destination, source)):
        order.insert(d, s)
    return sh.transpose(x, order)


@keras_op("x")
def swapaxes(x, axis1, axis2) -> Tensor:
    perm = list(range(x.ndim))
    perm[axis1], perm[axis2] = perm[axis2], perm[axis1]
    return sh.transpose(x, perm)


@keras_op("*xs")
def concatenate(xs, axis=0) -> Tensor:
    """Join along an existing axis; ``axis=0`` by default (Keras 3 and NumPy), where
    Keras 2's ``K.concatenate`` joins along the last axis."""
    return sh.concatenate(xs, axis)


@keras_op("*x")
def stack(x, axis=0) -> Tensor:
    return sh.stack(x, axis)


@keras_op("*xs")
def hstack(xs) -> Tensor:
    return sh.concatenate(xs, 0 if xs[0].ndim == 1 else 1)


@keras_op("*xs")
def vstack(xs) -> Tensor:
    return sh.concatenate([sh.expand_dims(x, 0) if x.ndim == 1 else x for x in xs], 0)


@keras_op("x")
def split(x, indices_or_sections, axis=0):
    """Cut ``x`` along ``axis`` into equal sections or at the given indices (a list)."""
    size = x.shape[axis]
    if size is None:
        raise ShapeError("split needs the size along the axis to be known")
    if isinstance(indices_or_sections, int):
        if size % indices_or_sections:
            raise ShapeError(f"{size} does not split into {indices_or_sections} equal parts")
        step = size // indices_or_sections
        cuts = list(range(step, size, step))
    else:
        cuts = list(indices_or_sections)
    bounds = [0, *cuts, size]
    prefix = (slice(None),) * (axis % x.ndim)
    return [sh.getitem(x, prefix + (slice(a, b),)) for a, b in itertools.pairwise(bounds)]


@keras_op("x")
def unstack(x, num=None, axis=0):
    size = x.shape[axis]
    if size is None:
        raise ShapeError("unstack needs the size along the axis to be known")
    prefix = (slice(None),) * (axis % x.ndim)
    return [sh.getitem(x, prefix + (i,)) for i in range(size)]


@keras_op("x")
def tile(x, repeats) -> Tensor:
    repeats = (repeats,) if isinstance(repeats, int) else tuple(repeats)
    while len(repeats) > x.ndim:
        x = sh.expand_dims(x, 0)
    repeats = (1,) * (x.ndim - len(repeats)) + repeats
    return sh.tile(x, repeats)


@keras_op("x")
def repeat(x, repeats, axis=None) -> Tensor:
    """Repeat each element ``repeats`` times along ``axis`` (NumPy's repeat; Keras 2's
    ``K.repeat`` is a different function: a new time axis)."""
    if axis is None:
        x, axis = sh.flatten(x), 0
    if not isinstance(repeats, int):
        raise NotImplementedError("repeat with a different count per element")
    return sh.repeat_elements(x, repeats, axis)


@keras_op("x")
def flip(x, axis=None) -> Tensor:
    return sh.flip(x, axis)


@keras_op("x")
def broadcast_to(x, shape) -> Tensor:
    """``x`` copied along axes to get ``shape``."""
    static, dims = sh.split_dims(tuple(shape))
    like = sh.fill(shape, 0, x.dtype) if dims else to_tensor(
        np.broadcast_to(np.zeros((), x.dtype), static))
    return broadcast_like(x, like)


@keras_op("x")
def pad(x, pad_width, mode="constant", constant_values=None) -> Tensor:
    """Pad with a constant (Keras 3's signature; the other modes are not supported)."""
    if mode != "constant":
        raise NotImplementedError(f"pad mode {mode!r} (only 'constant' is supported)")
    pad_width = np.broadcast_to(np.asarray(pad_width), (x.ndim, 2))
    return sh.pad(x, [tuple(p) for p in pad_width.tolist()], constant_values or 0.0)


@keras_op("x", "indices")
def take(x, indices, axis=None) -> Tensor:
    """Elements (axis None: of the flattened x) or slices along ``axis`` at ``indices``."""
    if axis is None:
        return sh.gather(sh.flatten(x), ew.cast(indices, "int64"))
    axis %= x.ndim
    moved = sh.transpose(x, (axis, *[a for a in range(x.ndim) if a != axis]))
    out = sh.gather(moved, ew.cast(indices, "int64"))
    k = indices.ndim
    back = list(range(k, k + axis)) + list(range(k)) + list(range(k + axis, out.ndim))
    return sh.transpose(out, back)


@keras_op("x", "indices")
def take_along_axis(x, indices, axis=None) -> Tensor:
    if axis is None:
        x, axis = sh.flatten(x), 0
    return sh.take_along_axis(x, indices, axis)


# ---------------------------------------------------------------- products and norms


@keras_op("x1", "x2")
def dot(x1, x2) -> Tensor:
    """NumPy's dot: the last axis of x1 with the second-to-last of x2 (as ``K.dot``)."""
    return la.dot(x1, x2)


@keras_op("x1", "x2")
def outer(x1, x2) -> Tensor:
    return sh.expand_dims(sh.flatten(x1), 1) * sh.expand_dims(sh.flatten(x2), 0)


@keras_op("x1", "x2")
def vdot(x1, x2) -> Tensor:
    return red.sum(sh.flatten(x1) * sh.flatten(x2))


@keras_op("x1", "x2")
def inner(x1, x2) -> Tensor:
    return red.sum(x1 * x2, -1) if x1.ndim <= 1 or x2.ndim <= 1 else \
        la.matmul(x1, sh.swap_last_two(x2))


@keras_op("x")
def norm(x, ord=None, axis=None, keepdims=False) -> Tensor:
    """Vector norms (ord None/2, 1, inf, -inf, 0 or p) and the Frobenius matrix norm."""
    x = ew.cast(x, float_of(x.dtype))
    if ord in (None, 2, "fro") and (axis is None or isinstance(axis, int) or
                                    ord != 2):
        return ew.sqrt(red.sum(ew.square(x), axis, keepdims))
    if ord == 1:
        return red.sum(ew.abs(x), axis, keepdims)
    if ord in (np.inf, float("inf")):
        return red.max(ew.abs(x), axis, keepdims)
    if ord in (-np.inf, float("-inf")):
        return red.min(ew.abs(x), axis, keepdims)
    if ord == 0:
        return ew.cast(red.sum(ew.not_equal(x, 0.0), axis, keepdims), x.dtype)
    if isinstance(ord, (int, float)) and (axis is None or isinstance(axis, int)):
        return ew.power(red.sum(ew.power(ew.abs(x), float(ord)), axis, keepdims), 1.0 / ord)
    raise NotImplementedError(f"norm with ord={ord!r} over axes {axis!r}")


# ---------------------------------------------------------------- sizes


def ndim(x) -> int:
    return len(np.shape(x)) if not isinstance(x, Tensor) else x.ndim


def size(x) -> int:
    shape = x.shape if isinstance(x, Tensor) else np.shape(x)
    if None in shape:
        raise ShapeError(f"the size of a tensor of shape {shape} is known only from data")
    return int(np.prod(shape, dtype=np.int64))

