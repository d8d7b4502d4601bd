"""Convolution as ops: a convolution and its two gradients, each an op of its own.

``conv(x, w)`` slides the kernel ``w`` over the spatial axes of ``x`` (1, 2 or 3 of them)
and, at each position, multiplies the window it covers with the kernel and sums over the
window and the input channels (a cross-correlation: the kernel is not flipped, as in
Keras). It is *bilinear*: linear in ``x`` for a fixed ``w``, linear in ``w`` for a fixed
``x``. So its gradients are linear maps too, and each is a convolution-like op:

* the input gradient is the *adjoint* of ``x -> conv(x, w)``: every output gradient is
  sent back through the kernel to the cells that made it. That is a **transposed
  convolution**, ``conv_transpose(g, w)`` (the op of Conv2DTranspose layers);
* the kernel gradient, for each kernel offset, multiplies the input window with the
  output gradient: a **correlation** of ``x`` with ``g``, ``conv_kernel_grad(x, g)``.

All three are bilinear, and the backward rule of each is written with the other two, so
second derivatives (gradients of gradients) work like any other graph.

Kernel layout, as in Keras: ``(k..., in_channels // groups, filters)`` whatever the
``data_format`` of the images.

>>> import minikeras.backend as K
>>> images = K.placeholder(shape=(None, 28, 28, 1))
>>> kernel = K.zeros((3, 3, 1, 32))
>>> conv(images, kernel).shape
(None, 26, 26, 32)
>>> conv(images, kernel, strides=2, padding="same").shape
(None, 14, 14, 32)
"""
from __future__ import annotations

import numpy as np

from minikeras import config
from minikeras.ops.core import Op, ShapeError, Tensor, as_tensors, format_shape, is_float
from minikeras.ops.shapes import reshape
from minikeras.tensor import Origin

PADDINGS = ("valid", "same", "causal")


# ---- arguments ----
def as_tuple(value, rank: int, what: str) -> tuple[int, ...]:
    """An int or a sequence of ``rank`` ints, as a tuple of positive ints."""
    values = (value,) * rank if isinstance(value, (int, np.integer)) else tuple(value)
    if len(values) != rank or not all(isinstance(v, (int, np.integer)) for v in values):
        raise ValueError(f"{what} must be an int or {rank} ints, got {value!r}")
    if any(v <= 0 for v in values):
        raise ValueError(f"{what} must be positive, got {value!r}")
    return tuple(int(v) for v in values)


def as_padding(padding, rank: int):
    """'valid', 'same', 'causal' (any case), or one (before, after) pair per axis."""
    if isinstance(padding, str):
        if padding.lower() not in PADDINGS:
            raise ValueError(f"padding must be one of {list(PADDINGS)} or (before, after) "
                             f"pairs, got {padding!r}")
        return padding.lower()
    pairs = tuple(tuple(int(v) for v in pair) for pair in padding)
    if len(pairs) != rank or any(len(p) != 2 for p in pairs):
        raise ValueError(f"explicit padding needs {rank} (before, after) pairs, got {padding!r}")
    return pairs


def spatial_shape(shape, data_format: str) -> tuple:
    """The spatial sizes of a (batch, ..., channels) or (batch, channels, ...) shape."""
    return tuple(shape[2:] if data_format == "channels_first" else shape[1:-1])


def channels_of(shape, data_format: str):
    return shape[1] if data_format == "channels_first" else shape[-1]


def image_shape(batch, spatial, channels, data_format: str) -> tuple:
    """Put a batch size, spatial sizes and a channel count in ``data_format`` order."""
    if data_format == "channels_first":
        return (batch, channels, *spatial)
    return (batch, *spatial, channels)


# ---- output sizes (Keras's rule) ----
def output_length(n, k: int, stride: int, dilation: int, padding, axis: int):
    """Outputs along one spatial axis of length ``n`` (None stays None).

    'valid': ``floor((n - span) / s) + 1`` with ``span = d (k - 1) + 1``; 'same' and
    'causal': ``ceil(n / s)``; explicit (before, after): 'valid' on the padded length."""
    if n is None:
        return None
    span = dilation * (k - 1) + 1
    if padding in ("same", "causal"):
        return -(-n // stride)
    before, after = (0, 0) if padding == "valid" else padding[axis]
    m = (n + before + after - span) // stride + 1
    if m <= 0:
        padded = f"padded length {n + before + after}" if before or after else f"length {n}"
        raise ShapeError(f"the window ({k} taps spanning {span} cells) is larger than the "
                         f"input's {padded} along spatial axis {axis}: no output")
    return m


def output_spatial(sizes, kernel_size, strides, dilation, padding) -> tuple:
    return tuple(output_length(n, k, s, d, padding, i) for i, (n, k, s, d) in
                 enumerate(zip(sizes, kernel_size, strides, dilation)))


# ---- shape rules ----
def _check_images(x: Tensor, w_ndim: int | None = None):
    if x.ndim < 3:
        raise ShapeError(f"needs images of order 3 or more (batch, spatial..., channels), "
                         f"got {format_shape(x.shape)}")
    if w_ndim is not None and w_ndim != x.ndim:
        raise ShapeError(f"a kernel of order {w_ndim} does not fit inputs of order {x.ndim} "
                         f"(the kernel needs one axis per spatial axis, then in and out "
                         f"channels)")
    if not is_float(x):
        raise ShapeError(f"needs float images, got dtype {x.dtype} (use K.cast first)")


def _check_channels(channels, w: Tensor, groups: int) -> None:
    filters = w.shape[-1]
    if filters is not None and filters % groups:
        raise ShapeError(f"{filters} filters cannot be split into {groups} groups")
    if channels is None:
        return
    if channels % groups:
        raise ShapeError(f"{channels} input channels cannot be split into {groups} groups")
    if w.shape[-2] is not None and w.shape[-2] != channels // groups:
        per = f" ({groups} groups of {channels // groups})" if groups > 1 else ""
        raise ShapeError(f"the kernel {format_shape(w.shape)} expects {w.shape[-2] * groups} "
                         f"input channels, but the input has {channels}{per}")


def _dtype(*ts: Tensor) -> str:
    return np.result_type(*(np.dtype(t.dtype) for t in ts)).name


def _conv_infer(x, w, *, strides, padding, dilation, groups, data_format):
    _check_images(x, w.ndim)
    _check_channels(channels_of(x.shape, data_format), w, groups)
    out = output_spatial(spatial_shape(x.shape, data_format), w.shape[:-2], strides, dilation,
                         padding)
    return image_shape(x.shape[0], out, w.shape[-1], data_format), _dtype(x, w)


def _conv_transpose_infer(g, w, like=None, *, output_size, strides, padding, dilation, groups,
                          data_format):
    _check_images(g, w.ndim)
    sizes = spatial_shape(like.shape, data_format) if like is not None else tuple(output_size)
    if len(sizes) != g.ndim - 2:
        raise ShapeError(f"output_size {sizes} needs one size per spatial axis of "
                         f"{format_shape(g.shape)}")
    channels = channels_of(g.shape, data_format)
    if None not in (channels, w.shape[-1]) and channels != w.shape[-1]:
        raise ShapeError(f"the kernel {format_shape(w.shape)} maps to {w.shape[-1]} channels, "
                         f"but the gradient has {channels}")
    reach = output_spatial(sizes, w.shape[:-2], strides, dilation, padding)
    for i, (m, n) in enumerate(zip(reach, spatial_shape(g.shape, data_format))):
        if None not in (m, n) and m != n:
            raise ShapeError(f"an output of spatial size {sizes} is convolved to {m} cells "
                             f"along axis {i}, not the {n} of the input")
    batch = g.shape[0] if like is None or g.shape[0] is not None else like.shape[0]
    return image_shape(batch, sizes, w.shape[-2] * groups, data_format), _dtype(g, w)


def _kernel_grad_infer(x, g, *, kernel_size, strides, padding, dilation, groups, data_format):
    _check_images(x)
    channels, filters = channels_of(x.shape, data_format), channels_of(g.shape, data_format)
    per_group = None if channels is None else channels // groups
    return (*kernel_size, per_group, filters), _dtype(x, g)


# ---- backward rules: each one written with the other two ops ----
def _base(attrs: dict) -> dict:
    """The attributes all three ops share."""
    return {k: attrs[k] for k in ("strides", "padding", "dilation", "groups", "data_format")}


def _conv_grad(y, g):
    """y = conv(x, w): dx = conv_transpose(g, w) (shaped like x), dw = correlation of x
    with g."""
    x, w = y.inputs
    a = _base(y.attrs)
    return [_CONV_TRANSPOSE(g, w, x, output_size=spatial_shape(x.shape, a["data_format"]), **a),
            _CONV_KERNEL_GRAD(x, g, kernel_size=w.shape[:-2], **a)]


def _conv_transpose_grad(y, h):
    """y = conv_transpose(g, w) is the adjoint of x -> conv(x, w), so
    <y, h> = <g, conv(h, w)>: dg = conv(h, w), dw = correlation of h with g."""
    g, w = y.inputs[:2]
    a = _base(y.attrs)
    return [_CONV(h, w, **a), _CONV_KERNEL_GRAD(h, g, kernel_size=w.shape[:-2], **a)] + \
        [None] * (len(y.inputs) - 2)


def _kernel_grad_grad(y, h):
    """y = conv_kernel_grad(x, g) satisfies <y, h> = <conv(x, h), g>: so
    dx = conv_transpose(g, h) (shaped like x) and dg = conv(x, h)."""
    x, g = y.inputs
    a = _base(y.attrs)
    return [_CONV_TRANSPOSE(g, h, x, output_size=spatial_shape(x.shape, a["data_format"]), **a),
            _CONV(x, h, **a)]


_CONV = Op("conv", _conv_infer, _conv_grad)
_CONV_TRANSPOSE = Op("conv_transpose", _conv_transpose_infer, _conv_transpose_grad)
_CONV_KERNEL_GRAD = Op("conv_kernel_grad", _kernel_grad_infer, _kernel_grad_grad)


# ---- the public functions ----
def _attrs(op: str, rank, strides, padding, dilation_rate, groups, data_format) -> dict:
    """The op's attributes in one form, or a ValueError naming the op and your line."""
    try:
        groups = int(groups)
        if groups <= 0:
            raise ValueError(f"groups must be a positive int, got {groups}")
        return {"strides": as_tuple(strides, rank, "strides"),
                "padding": as_padding(padding, rank),
                "dilation": as_tuple(dilation_rate, rank, "dilation_rate"),
                "groups": groups, "data_format": config.normalize_data_format(data_format)}
    except ValueError as error:
        raise argument_error(op, error) from None


def argument_error(op: str, error: ValueError) -> ValueError:
    """``error`` said by ``op``, at the learner's line."""
    return ValueError(f"{op}: {error}\n  at {Origin.capture()}")


def conv(x, kernel, strides=1, padding="valid", dilation_rate=1, groups=1,
         data_format=None) -> Tensor:
    """N-D convolution (cross-correlation) of images ``x`` with ``kernel``.

    x: (batch, spatial..., channels), or (batch, channels, spatial...) when
    ``data_format='channels_first'``; kernel: (k..., channels // groups, filters).
    ``padding``: 'valid' (none), 'same' (``ceil(n / stride)`` outputs, an odd extra cell
    of padding at the end), 'causal' (all padding before: 1-D sequences), or explicit
    (before, after) pairs, one per spatial axis.

    >>> import minikeras.backend as K
    >>> x = K.placeholder(shape=(None, 28, 28, 1))
    >>> conv(x, K.zeros((3, 3, 1, 32))).shape, conv(x, K.zeros((3, 3, 1, 32)), 2, "same").shape
    ((None, 26, 26, 32), (None, 14, 14, 32))
    """
    x, kernel = as_tensors(x, kernel)
    return _CONV(x, kernel, **_attrs("conv", x.ndim - 2, strides, padding, dilation_rate,
                                     groups, data_format))


def conv_transpose(x, kernel, output_size, strides=1, padding="valid", dilation_rate=1,
                   groups=1, data_format=None) -> Tensor:
    """The transposed convolution: the adjoint of ``conv`` with the same kernel.

    kernel: (k..., out_channels // groups, in_channels), so that ``conv(., kernel)`` maps
    an ``output_size`` image with ``out_channels`` back to ``x``'s size and channels.
    It spreads every input cell over a window of the (larger) output.

    >>> import minikeras.backend as K
    >>> x = K.placeholder(shape=(None, 5, 5, 8))
    >>> conv_transpose(x, K.zeros((3, 3, 4, 8)), (11, 11), strides=2).shape
    (None, 11, 11, 4)
    """
    x, kernel = as_tensors(x, kernel)
    attrs = _attrs("conv_transpose", x.ndim - 2, strides, padding, dilation_rate, groups, data_format)
    size = tuple(None if n is None else int(n) for n in output_size)
    return _CONV_TRANSPOSE(x, kernel, output_size=size, **attrs)


def conv_kernel_grad(x, g, kernel_size, strides=1, padding="valid", dilation_rate=1, groups=1,
                     data_format=None) -> Tensor:
    """The gradient of ``sum(conv(x, w) * g)`` with respect to ``w`` (whose spatial size is
    ``kernel_size``): for each kernel offset, the input window times ``g``, summed."""
    x, g = as_tensors(x, g)
    attrs = _attrs("conv_kernel_grad", x.ndim - 2, strides, padding, dilation_rate, groups, data_format)
    return _CONV_KERNEL_GRAD(x, g, kernel_size=as_tuple(kernel_size, x.ndim - 2,
                                                        "kernel_size"), **attrs)


def depthwise_conv(x, kernel, strides=1, padding="valid", dilation_rate=1,
                   data_format=None) -> Tensor:
    """Each input channel convolved with its own ``depth_multiplier`` filters.

    kernel: (k..., channels, depth_multiplier); output channel ``c * dm + m`` holds input
    channel ``c`` convolved with ``kernel[..., c, m]``. It is a grouped convolution with
    one group per channel, whose (k..., 1, channels * dm) kernel is this one reshaped.

    >>> import minikeras.backend as K
    >>> depthwise_conv(K.placeholder(shape=(None, 8, 8, 3)), K.zeros((3, 3, 3, 2))).shape
    (None, 6, 6, 6)
    """
    x, kernel = as_tensors(x, kernel)
    if kernel.ndim != x.ndim or None in kernel.shape:
        raise ShapeError(f"depthwise_conv: a kernel {format_shape(kernel.shape)} does not "
                         f"fit images {format_shape(x.shape)}")
    *k, channels, multiplier = kernel.shape
    grouped = reshape(kernel, (*k, 1, channels * multiplier))
    return conv(x, grouped, strides, padding, dilation_rate, channels, data_format)
