"""Convolution and pooling in plain NumPy: the definition of "correct".

The faster Numba (``cpu_conv.py``) and CUDA (``cuda_conv.py``) kernels are tested against
these. Every kernel works on *channels_last* arrays, (batch, spatial..., channels); a
channels_first array is turned round on the way in and back on the way out. Spatial
axes can number 1, 2 or 3 (or more).

The one idea behind all of them: a convolution visits the kernel's offsets one by one.
For offset ``k`` (a tuple, one index per spatial axis), output position ``o`` reads input
position ``o * stride + k * dilation`` of the zero-padded input. So for each offset, the
inputs that all outputs read form one strided slice of the padded input (``_window``),
and the layer's work at that offset is a matrix product over the channels:

    y[n, o, f] += sum over c of  x_padded[n, o * s + k * d, c] * w[k, c, f]

The gradients visit the same slices: the input gradient adds ``g @ w[k].T`` back into
them (a *transposed* convolution), the kernel gradient multiplies them with ``g`` (a
correlation of the input with the output gradient). Pooling takes the max or the mean
over the slices instead of a product.

>>> x = np.arange(5.0).reshape(1, 5, 1)          # one sequence 0, 1, 2, 3, 4
>>> w = np.array([1.0, -1.0]).reshape(2, 1, 1)   # y[o] = x[o] - x[o + 1]
>>> conv(x, w, strides=(1,), padding="valid", dilation=(1,), groups=1,
...      data_format="channels_last")[0, :, 0]
array([-1., -1., -1., -1.])
"""
from __future__ import annotations

import numpy as np

KERNELS: dict = {}


def kernel(fn):
    """Register ``fn`` as the reference kernel of the op with the same name."""
    KERNELS[fn.__name__] = fn
    return fn


# ---- padding and output sizes (shared by every device) ----
def effective_size(k: int, d: int) -> int:
    """How many input cells a kernel of ``k`` taps with dilation ``d`` spans."""
    return d * (k - 1) + 1


def explicit_padding(padding, sizes, kernel_size, strides, dilation) -> list[tuple[int, int]]:
    """(cells before, cells after) of padding for each spatial axis.

    * 'valid': none;
    * 'same': enough for ``ceil(n / stride)`` outputs; an odd total puts the extra cell
      at the end (as TensorFlow and Keras 3 do);
    * 'causal': ``dilation * (k - 1)`` cells before, none after (outputs never see the
      future of a sequence);
    * a tuple of (before, after) pairs is used as it is (``after`` may be negative: then
      the last cells of the input are never read).

    >>> explicit_padding("same", (5,), (4,), (2,), (1,))
    [(1, 2)]
    """
    if not isinstance(padding, str):
        return [(int(b), int(a)) for b, a in padding]
    pads = []
    for n, k, s, d in zip(sizes, kernel_size, strides, dilation):
        span = effective_size(k, d)
        if padding == "valid":
            pads.append((0, 0))
        elif padding == "causal":
            pads.append((span - 1, 0))
        elif padding == "same":
            total = max((-(-n // s) - 1) * s + span - n, 0)
            pads.append((total // 2, total - total // 2))
        else:
            raise ValueError(f"unknown padding {padding!r}: use 'valid', 'same' or 'causal'")
    return pads


def output_sizes(sizes, pads, kernel_size, strides, dilation) -> tuple[int, ...]:
    """Outputs along each spatial axis: ``floor((n + before + after - span) / s) + 1``."""
    return tuple((n + b + a - effective_size(k, d)) // s + 1
                 for n, (b, a), k, s, d in zip(sizes, pads, kernel_size, strides, dilation))


def to_channels_last(x: np.ndarray, data_format: str) -> np.ndarray:
    """(batch, channels, spatial...) -> (batch, spatial..., channels), a view."""
    return np.moveaxis(x, 1, -1) if data_format == "channels_first" else x


def from_channels_last(y: np.ndarray, data_format: str) -> np.ndarray:
    """Undo ``to_channels_last`` (the result is made C-contiguous)."""
    return np.ascontiguousarray(np.moveaxis(y, -1, 1) if data_format == "channels_first"
                                else y)


def spatial_sizes(x: np.ndarray, data_format: str) -> tuple[int, ...]:
    shape = tuple(x.shape)
    return shape[2:] if data_format == "channels_first" else shape[1:-1]


def channels(x: np.ndarray, data_format: str) -> int:
    return x.shape[1] if data_format == "channels_first" else x.shape[-1]


def _pad(x: np.ndarray, pads, value=0) -> np.ndarray:
    """Pad the spatial axes of a channels_last ``x`` (a negative ``after`` pads nothing:
    the windows never reach those cells)."""
    widths = [(0, 0)] + [(b, max(a, 0)) for b, a in pads] + [(0, 0)]
    return np.pad(x, widths, constant_values=value)


def _window(offset, out_sizes, strides, dilation) -> tuple:
    """The slice of the padded input that kernel ``offset`` meets, for every output."""
    return (slice(None),) + tuple(
        slice(k * d, k * d + (m - 1) * s + 1, s)
        for k, m, s, d in zip(offset, out_sizes, strides, dilation)) + (Ellipsis,)


# ---- convolution and its two gradients ----
@kernel
def conv(x, w, *, strides, padding, dilation, groups, data_format):
    """N-D cross-correlation (no kernel flip, as in Keras), with ``groups``.

    x: (batch, spatial..., channels) (or channels first); w: (k..., channels // groups,
    filters). Group ``g`` reads channels [g C/G, (g+1) C/G) and writes filters
    [g F/G, (g+1) F/G)."""
    x = to_channels_last(x, data_format)
    k, (cg, f) = w.shape[:-2], w.shape[-2:]
    pads = explicit_padding(padding, x.shape[1:-1], k, strides, dilation)
    out = output_sizes(x.shape[1:-1], pads, k, strides, dilation)
    xp = _pad(x, pads)
    xg = xp.reshape(*xp.shape[:-1], groups, cg)
    wg = w.reshape(*k, cg, groups, f // groups)
    y = np.zeros((x.shape[0], *out, groups, f // groups), np.result_type(x, w))
    for offset in np.ndindex(*k):
        y += np.einsum("...gc,cgf->...gf", xg[_window(offset, out, strides, dilation)],
                       wg[offset])
    return from_channels_last(y.reshape(x.shape[0], *out, f), data_format)


@kernel
def conv_transpose(g, w, like=None, *, output_size, strides, padding, dilation, groups,
                   data_format):
    """The adjoint of ``conv`` with respect to its input: every output gradient is sent
    back, through the kernel, to the input cells that made it (and added up there).

    The result has the spatial size of ``like`` (when given) or ``output_size``."""
    g = to_channels_last(g, data_format)
    sizes = spatial_sizes(like, data_format) if like is not None else tuple(output_size)
    k, (cg, f) = w.shape[:-2], w.shape[-2:]
    pads = explicit_padding(padding, sizes, k, strides, dilation)
    out = g.shape[1:-1]
    padded = [max(b + n + max(a, 0), (m - 1) * s + effective_size(kk, d)) for
              n, (b, a), m, kk, s, d in zip(sizes, pads, out, k, strides, dilation)]
    dx = np.zeros((g.shape[0], *padded, groups, cg), np.result_type(g, w))
    gg = g.reshape(*g.shape[:-1], groups, f // groups)
    wg = w.reshape(*k, cg, groups, f // groups)
    for offset in np.ndindex(*k):
        dx[_window(offset, out, strides, dilation)] += np.einsum(
            "...gf,cgf->...gc", gg, wg[offset])
    inside = (slice(None),) + tuple(slice(b, b + n) for (b, _), n in zip(pads, sizes))
    return from_channels_last(dx[inside].reshape(g.shape[0], *sizes, groups * cg),
                              data_format)


@kernel
def conv_kernel_grad(x, g, *, kernel_size, strides, padding, dilation, groups, data_format):
    """The gradient of ``conv`` with respect to its kernel: for each offset, the window
    of the input it meets times the output gradient, summed over batch and positions."""
    x, g = to_channels_last(x, data_format), to_channels_last(g, data_format)
    k, cg, f = tuple(kernel_size), x.shape[-1] // groups, g.shape[-1]
    pads = explicit_padding(padding, x.shape[1:-1], k, strides, dilation)
    out = g.shape[1:-1]
    xp = _pad(x, pads)
    xg = xp.reshape(*xp.shape[:-1], groups, cg)
    gg = g.reshape(-1, groups, f // groups)  # every (batch, position) is a row
    dw = np.zeros((*k, cg, groups, f // groups), np.result_type(x, g))
    for offset in np.ndindex(*k):
        rows = xg[_window(offset, out, strides, dilation)].reshape(-1, groups, cg)
        dw[offset] = np.einsum("ngc,ngf->cgf", rows, gg)
    return dw.reshape(*k, cg, f)


@kernel
def conv_bias_relu(x, w, b, *, strides, padding, dilation, groups, data_format):
    """relu(conv(x, w) + b), the bias along the channels axis: a convolution layer with
    relu, as one kernel (``fusion.py`` plans it in place of the three nodes)."""
    y = conv(x, w, strides=strides, padding=padding, dilation=dilation, groups=groups,
             data_format=data_format)
    if data_format == "channels_first":
        b = b.reshape((-1,) + (1,) * (y.ndim - 2))
    return np.maximum(y + b, 0)


conv_bias_relu.fuses = ("relu", "conv_bias_add")


# ---- pooling ----
def _pool_setup(x, pool_size, strides, padding, data_format):
    """x as channels_last, its padding and the output sizes (pooling has no dilation)."""
    x = to_channels_last(x, data_format)
    ones = (1,) * len(pool_size)
    pads = explicit_padding(padding, x.shape[1:-1], pool_size, strides, ones)
    return x, pads, output_sizes(x.shape[1:-1], pads, pool_size, strides, ones), ones


def _lowest(dtype):
    """A value below every element: padded cells never win a max."""
    return -np.inf if np.dtype(dtype).kind == "f" else np.iinfo(dtype).min


@kernel
def max_pool(x, *, pool_size, strides, padding, data_format):
    """The largest value of each window (padded cells never win)."""
    x, pads, out, ones = _pool_setup(x, pool_size, strides, padding, data_format)
    xp = _pad(x, pads, _lowest(x.dtype))
    y = np.full((x.shape[0], *out, x.shape[-1]), _lowest(x.dtype), x.dtype)
    for offset in np.ndindex(*pool_size):
        y = np.maximum(y, xp[_window(offset, out, strides, ones)])
    return from_channels_last(y, data_format)


def _argmax_offsets(xp, pool_size, out, strides, ones):
    """For each output, the number of the kernel offset where its window is largest
    (the first one, in row-major order, when several cells tie)."""
    best = np.full((xp.shape[0], *out, xp.shape[-1]), _lowest(xp.dtype), xp.dtype)
    where = np.zeros(best.shape, np.intp)
    for i, offset in enumerate(np.ndindex(*pool_size)):
        v = xp[_window(offset, out, strides, ones)]
        better = v > best
        best = np.where(better, v, best)
        where = np.where(better, i, where)
    return where


@kernel
def max_pool_grad(x, g, *, pool_size, strides, padding, data_format):
    """The gradient of max_pool: each window's gradient goes to the cell that won it."""
    x, pads, out, ones = _pool_setup(x, pool_size, strides, padding, data_format)
    g = to_channels_last(g, data_format)
    xp = _pad(x, pads, _lowest(x.dtype))
    where = _argmax_offsets(xp, pool_size, out, strides, ones)
    dx = np.zeros(xp.shape, g.dtype)
    for i, offset in enumerate(np.ndindex(*pool_size)):
        dx[_window(offset, out, strides, ones)] += np.where(where == i, g, 0)
    inside = (slice(None),) + tuple(slice(b, b + n) for (b, _), n in zip(pads, x.shape[1:-1]))
    return from_channels_last(dx[inside], data_format)


@kernel
def max_pool_gather(x, h, *, pool_size, strides, padding, data_format):
    """The adjoint of max_pool_grad: for each window, ``h`` at the cell that won it."""
    x, pads, out, ones = _pool_setup(x, pool_size, strides, padding, data_format)
    hp = _pad(to_channels_last(h, data_format), pads)
    where = _argmax_offsets(_pad(x, pads, _lowest(x.dtype)), pool_size, out, strides, ones)
    y = np.zeros(where.shape, h.dtype)
    for i, offset in enumerate(np.ndindex(*pool_size)):
        y += np.where(where == i, hp[_window(offset, out, strides, ones)], 0)
    return from_channels_last(y, data_format)


def _window_counts(sizes, pads, pool_size, out, strides, ones):
    """How many real (not padded) cells each window holds, shaped (1, out..., 1)."""
    inside = _pad(np.ones((1, *sizes, 1)), pads)
    count = np.zeros((1, *out, 1))
    for offset in np.ndindex(*pool_size):
        count += inside[_window(offset, out, strides, ones)]
    return count


@kernel
def avg_pool(x, *, pool_size, strides, padding, data_format):
    """The mean of each window over its real cells: padded cells are not counted."""
    x, pads, out, ones = _pool_setup(x, pool_size, strides, padding, data_format)
    xp = _pad(x, pads)
    total = np.zeros((x.shape[0], *out, x.shape[-1]), x.dtype)
    for offset in np.ndindex(*pool_size):
        total += xp[_window(offset, out, strides, ones)]
    count = _window_counts(x.shape[1:-1], pads, pool_size, out, strides, ones)
    return from_channels_last((total / count).astype(x.dtype, copy=False), data_format)


@kernel
def avg_pool_grad(g, like, *, pool_size, strides, padding, data_format):
    """The gradient (and adjoint) of avg_pool: each window's gradient, divided by its
    count, is shared by its real cells. ``like`` gives the input's shape."""
    g = to_channels_last(g, data_format)
    sizes = spatial_sizes(like, data_format)
    ones = (1,) * len(pool_size)
    pads = explicit_padding(padding, sizes, pool_size, strides, ones)
    out = g.shape[1:-1]
    share = g / _window_counts(sizes, pads, pool_size, out, strides, ones)
    padded = [max(b + n + max(a, 0), (m - 1) * s + p) for
              n, (b, a), m, p, s in zip(sizes, pads, out, pool_size, strides)]
    dx = np.zeros((g.shape[0], *padded, g.shape[-1]), g.dtype)
    for offset in np.ndindex(*pool_size):
        dx[_window(offset, out, strides, ones)] += share
    inside = (slice(None),) + tuple(slice(b, b + n) for (b, _), n in zip(pads, sizes))
    return from_channels_last(dx[inside], data_format)

