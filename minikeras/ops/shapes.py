"""Ops that move elements around without doing arithmetic on them.

reshape, transpose (permute_dimensions), expand_dims, squeeze, concatenate, stack, tile,
repeat, pad, indexing/slicing, gather and one_hot. Their gradients move the gradient back
to where each element came from.

>>> import minikeras.backend as K
>>> images = K.placeholder(shape=(None, 28, 28))
>>> K.batch_flatten(images).shape      # what Dense(..., input_shape=(784,)) wants
(None, 784)
"""
from __future__ import annotations

import math

import numpy as np

from minikeras import config
from minikeras.axes import normalize_axis
from minikeras.ops.core import Op, ShapeError, Tensor, as_tensors, format_shape


# ---- reshape ----
def _reshape_infer(x, shape):
    shape = list(shape)
    if shape.count(-1) + shape.count(None) > 1:
        raise ShapeError(f"at most one unknown (-1) size is allowed in {tuple(shape)}")
    known_in = None if None in x.shape else math.prod(x.shape)
    known_out = math.prod(d for d in shape if d not in (-1, None))
    if -1 in shape or None in shape:
        i = shape.index(-1) if -1 in shape else shape.index(None)
        if known_in is not None:
            if known_out == 0 or known_in % known_out:
                raise ShapeError(f"cannot reshape {format_shape(x.shape)} into {tuple(shape)}")
            shape[i] = known_in // known_out
        else:
            shape[i] = None
    elif known_in is not None and known_in != known_out:
        raise ShapeError(f"cannot reshape {format_shape(x.shape)} ({known_in} elements) "
                         f"into {tuple(shape)} ({known_out} elements)")
    return tuple(shape), x.dtype


_RESHAPE = Op("reshape", _reshape_infer, grad=lambda y, g: [reshape_like(g, y.inputs[0])])
reshape_like = Op("reshape_like", lambda a, b: (b.shape, a.dtype),
                  grad=lambda y, g: [reshape_like(g, y.inputs[0]), None])
reshape_like.__doc__ = "Reshape ``a`` to the shape ``b`` has when data flows."


def reshape(x, shape) -> Tensor:
    """Same elements, new shape; one size may be -1 (worked out from the others)."""
    (x,) = as_tensors(x)
    shape = tuple(-1 if d is None else int(d) for d in shape)
    return _RESHAPE(x, shape=shape)


def batch_flatten(x) -> Tensor:
    """(batch, d1, d2, ...) -> (batch, d1 * d2 * ...)."""
    (x,) = as_tensors(x)
    rest = x.shape[1:]
    if None in rest:
        raise ShapeError(f"batch_flatten needs known sizes after the batch axis, "
                         f"got {format_shape(x.shape)}")
    return reshape(x, (-1, math.prod(rest)))


def flatten(x) -> Tensor:
    """All elements in one vector."""
    return reshape(x, (-1,))


# ---- permuting axes ----
def _transpose_infer(x, perm):
    if sorted(perm) != list(range(x.ndim)):
        raise ShapeError(f"{perm} is not a permutation of the axes 0..{x.ndim - 1}")
    return tuple(x.shape[p] for p in perm), x.dtype


def _transpose_grad(y, g):
    """Undo the permutation: the inverse of perm sends each axis home."""
    return [transpose(g, tuple(int(i) for i in np.argsort(y.attrs["perm"])))]


_TRANSPOSE = Op("transpose", _transpose_infer, _transpose_grad)


def transpose(x, perm=None) -> Tensor:
    """Permute the axes (reverse them if perm is None), e.g. 'th' <-> 'tf' ordering."""
    (x,) = as_tensors(x)
    perm = tuple(reversed(range(x.ndim))) if perm is None else tuple(int(p) for p in perm)
    return _TRANSPOSE(x, perm=perm)


permute_dimensions = transpose


def swap_last_two(x: Tensor) -> Tensor:
    """Transpose the matrices in a stack of matrices."""
    return transpose(x, (*range(x.ndim - 2), x.ndim - 1, x.ndim - 2))


# ---- adding and removing size-1 axes ----
def _expand_infer(x, axis):
    shape = list(x.shape)
    for a in axis:  # sorted positions in the output
        shape.insert(a, 1)
    return tuple(shape), x.dtype


def _squeeze_infer(x, axis):
    for a in axis:
        if x.shape[a] not in (1, None):
            raise ShapeError(f"cannot squeeze axis {a} of size {x.shape[a]}")
    return tuple(d for i, d in enumerate(x.shape) if i not in axis), x.dtype


_EXPAND_DIMS = Op("expand_dims", _expand_infer,
                  grad=lambda y, g: [squeeze(g, y.attrs["axis"])])
_SQUEEZE = Op("squeeze", _squeeze_infer,
              grad=lambda y, g: [expand_dims(g, y.attrs["axis"])])


def expand_dims(x, axis=-1) -> Tensor:
    """Insert size-1 axes at ``axis`` (positions in the result; an int or a tuple)."""
    (x,) = as_tensors(x)
    n_new = 1 if isinstance(axis, int) else len(axis)
    return _EXPAND_DIMS(x, axis=normalize_axis(axis, x.ndim + n_new))


def squeeze(x, axis) -> Tensor:
    """Remove size-1 axes."""
    (x,) = as_tensors(x)
    return _SQUEEZE(x, axis=normalize_axis(axis, x.ndim))


# ---- joining ----
def _concat_infer(*xs, axis):
    first = xs[0].shape
    for x in xs[1:]:
        if x.ndim != len(first) or any(a != b and None not in (a, b) for i, (a, b)
                                        in enumerate(zip(first, x.shape)) if i != axis):
            raise ShapeError(f"all sizes except along axis {axis} must match")
    sizes = [x.shape[axis] for x in xs]
    total = None if None in sizes else sum(sizes)
    shape = tuple(total if i == axis else d for i, d in enumerate(first))
    return shape, np.result_type(*(np.dtype(x.dtype) for x in xs)).name


def _concat_grad(y, g):
    """Each input gets back its own slice of the gradient."""
    axis, start, grads = y.attrs["axis"], 0, []
    for x in y.inputs:
        size = x.shape[axis]
        if size is None:
            raise ShapeError(f"gradient of concatenate along axis {axis} needs the sizes "
                             f"along it to be known; got {format_shape(x.shape)}")
        key = (slice(None),) * axis + (slice(start, start + size),)
        grads.append(getitem(g, key))
        start += size
    return grads


_CONCATENATE = Op("concatenate", _concat_infer, _concat_grad)


def concatenate(tensors, axis: int = -1) -> Tensor:
    """Join tensors along an existing axis."""
    tensors = as_tensors(*tensors)
    return _CONCATENATE(*tensors, axis=normalize_axis(axis, tensors[0].ndim)[0])


def stack(tensors, axis: int = 0) -> Tensor:
    """Join tensors along a new axis."""
    tensors = as_tensors(*tensors)
    axis = normalize_axis(axis, tensors[0].ndim + 1)[0]
    return concatenate([expand_dims(t, axis) for t in tensors], axis=axis)


# ---- repeating ----
def _tile_infer(x, reps):
    if len(reps) != x.ndim:
        raise ShapeError(f"tile needs one repeat count per axis ({x.ndim}), got {reps}")
    return tuple(None if d is None else d * r for d, r in zip(x.shape, reps)), x.dtype


_TILE = Op("tile", _tile_infer, grad=lambda y, g: [untile(g, y.attrs["reps"])])
_UNTILE = Op("untile",
             lambda g, reps: (tuple(None if d is None else d // r
                                    for d, r in zip(g.shape, reps)), g.dtype),
             grad=lambda y, g: [tile(g, y.attrs["reps"])])


def tile(x, n) -> Tensor:
    """Repeat the whole tensor ``n[i]`` times along axis i."""
    (x,) = as_tensors(x)
    reps = (int(n),) * x.ndim if isinstance(n, int) else tuple(int(r) for r in n)
    return _TILE(x, reps=reps)


def untile(g, reps) -> Tensor:
    """Sum the tiles of a tiled tensor back into one (the gradient of tile)."""
    return _UNTILE(g, reps=tuple(reps))


def repeat(x, n: int) -> Tensor:
    """Keras's K.repeat: (batch, dim) -> (batch, n, dim)."""
    (x,) = as_tensors(x)
    return tile(expand_dims(x, 1), (1, int(n), 1))


# ---- padding ----
def _pad_infer(x, pad_width, value):
    if len(pad_width) != x.ndim:
        raise ShapeError(f"pad needs (before, after) for each of {x.ndim} axes")
    return tuple(None if d is None else d + a + b
                 for d, (a, b) in zip(x.shape, pad_width)), x.dtype


def _pad_grad(y, g):
    """Cut the padding off the gradient."""
    key = tuple(slice(a, -b if b else None) for a, b in y.attrs["pad_width"])
    return [getitem(g, key)]


_PAD = Op("pad", _pad_infer, _pad_grad)


def pad(x, pad_width, value: float = 0.0) -> Tensor:
    """Add ``value`` around the tensor: pad_width is ((before, after), ...) per axis."""
    (x,) = as_tensors(x)
    pad_width = tuple((int(a), int(b)) for a, b in pad_width)
    return _PAD(x, pad_width=pad_width, value=float(value))


# ---- indexing ----
def _index_shape(shape, key) -> tuple:
    """Apply a basic-indexing key to a shape with None sizes (by trying two sizes)."""
    results = []
    for unknown in (1_000_003, 1_000_033):
        probe = np.broadcast_to(np.empty(()), [unknown if d is None else d for d in shape])
        results.append(probe[key].shape)
    return tuple(a if a == b else None for a, b in zip(*results))


def _getitem_infer(x, key):
    try:
        return _index_shape(x.shape, key), x.dtype
    except IndexError as e:
        raise ShapeError(f"index {key} does not fit: {e}") from None


_GETITEM = Op("getitem", _getitem_infer,
              grad=lambda y, g: [getitem_grad(g, y.inputs[0], y.attrs["key"])])
_GETITEM_GRAD = Op("getitem_grad", lambda g, x, key: (x.shape, g.dtype),
                   grad=lambda y, g: [getitem(g, y.attrs["key"]), None])


def _freeze_key(key):
    if not isinstance(key, tuple):
        key = (key,)
    for k in key:
        if not (isinstance(k, (int, np.integer, slice)) or k is None or k is Ellipsis):
            raise ShapeError(f"index {k!r}: only ints, slices, None and ... can index a "
                             f"tensor (use K.gather for a tensor of indices)")
    return tuple(int(k) if isinstance(k, np.integer) else k for k in key)


def getitem(x, key) -> Tensor:
    """``x[key]`` with ints, slices, None and ``...``; a tensor key gathers rows."""
    (x,) = as_tensors(x)
    if isinstance(key, (Tensor, list, np.ndarray)):
        return gather(x, key)
    return _GETITEM(x, key=_freeze_key(key))


def getitem_grad(g, x, key) -> Tensor:
    """Zeros shaped like ``x`` with ``g`` written at ``x[key]`` (the gradient of indexing)."""
    return _GETITEM_GRAD(g, x, key=key)


def _gather_infer(reference, indices):
    if np.dtype(indices.dtype).kind not in "iu":
        raise ShapeError(f"gather indices must be integers, got dtype {indices.dtype}")
    return indices.shape + reference.shape[1:], reference.dtype


_GATHER = Op("gather", _gather_infer,
             grad=lambda y, g: [gather_grad(g, *y.inputs), None])
_GATHER_GRAD = Op("gather_grad", lambda g, reference, indices: (reference.shape, g.dtype),
                  grad=lambda y, g: [gather(g, y.inputs[2]), None, None])


def gather(reference, indices) -> Tensor:
    """Rows ``reference[indices]`` (what an Embedding layer does)."""
    (reference,) = as_tensors(reference)
    if not isinstance(indices, Tensor):
        indices = as_tensors(np.asarray(indices, dtype="int64"))[0]
    return _GATHER(reference, indices)


def gather_grad(g, reference, indices) -> Tensor:
    """Zeros shaped like ``reference`` with rows of ``g`` added at ``indices``."""
    return _GATHER_GRAD(g, reference, indices)


_CHECK_IDS = Op("check_ids", lambda ids, num_ids, what: (ids.shape, ids.dtype))


def check_ids(ids, num_ids: int, what: str) -> Tensor:
    """``ids`` unchanged, once each is checked to be a valid id: 0 <= id < ``num_ids``.

    Embedding (rows of its table) and the sparse crossentropy (classes) put it before
    gather and one_hot, which would otherwise read a negative id from the end, as NumPy
    does. ``what`` says who is checking, for the error: ``'layer "embedding"'``.

    >>> import minikeras.backend as K
    >>> K.eval(check_ids(K.constant([3, 0], dtype="int64"), 4, "a test"))
    array([3, 0])
    """
    (ids,) = as_tensors(ids)
    if np.dtype(ids.dtype).kind not in "iu":
        raise ShapeError(f"{what}: ids must be integers, got dtype {ids.dtype}")
    return _CHECK_IDS(ids, num_ids=int(num_ids), what=what)


_ONE_HOT = Op("one_hot", lambda indices, num_classes, dtype:
              (indices.shape + (num_classes,), dtype))


def one_hot(indices, num_classes: int, dtype=None) -> Tensor:
    """Integer class ids -> rows with a single 1 (no gradient)."""
    if not isinstance(indices, Tensor):
        indices = as_tensors(np.asarray(indices, dtype="int64"))[0]
    return _ONE_HOT(indices, num_classes=int(num_classes), dtype=dtype or config.floatx())
