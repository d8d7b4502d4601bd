"""Convolution and pooling on the CPU: Numba loops around BLAS matrix products.

im2col: a convolution as one matrix product
-------------------------------------------
A convolution does the same small dot product at every output position: the window of
the input under the kernel, times the kernel. Copy each window out as one row of a
matrix ("image to columns", im2col) and the whole layer becomes a single matrix product
that BLAS runs at full speed:

    col:  (batch * out positions, kernel cells * in channels)   one row per window
    w:    (kernel cells * in channels, filters)                  the kernel, reshaped
    y  =  col @ w:  (batch * out positions, filters)             channels last already

The two gradients are products too: the kernel gradient is ``col.T @ g`` (every window
times the gradient of the output it made), and the input gradient is ``g @ w.T`` sent
back through the windows ("columns to image", col2im), adding where windows overlap.
``col`` holds each input cell once per kernel cell that reads it (9 times for 3x3), so it
lives in a scratch buffer that is kept and reused from one call to the next.

The Numba loops treat every input as (batch, depth, rows, cols, channels): 1-D and 2-D
data get size-1 leading spatial axes, and channels_first data are read through a
transposed view (no copy). Pooling needs no product: each output takes the max or the
mean of its window directly, and the gradients write back into the window.

Every kernel has the signature and meaning of the reference kernel of the same name
(``reference_conv.py``) and hands the work to it for what the loops do not cover: dtypes
other than float32/float64, mixed dtypes, empty arrays.
"""
from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

from minikeras.devices import reference_conv as ref

REF = ref.KERNELS
_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))


# ---- the loops ----
@njit(parallel=True, cache=True)
def _im2col(x, col, kernel, strides, dilation, pads, out):
    """col[row, (i, j, l, c)] = x[n, a s0 + i d0 - p0, b s1 + j d1 - p1, e s2 + l d2 - p2, c]
    for the row of output (n, a, b, e); 0 outside the input."""
    n_batch, depth, rows, cols, channels = x.shape
    k0, k1, k2 = kernel
    o0, o1, o2 = out
    for t in prange(n_batch * o0 * o1):
        n, a, b = t // (o0 * o1), (t // o1) % o0, t % o1
        for e in range(o2):
            row = t * o2 + e
            j = 0
            for i0 in range(k0):
                z = a * strides[0] + i0 * dilation[0] - pads[0]
                for i1 in range(k1):
                    y = b * strides[1] + i1 * dilation[1] - pads[1]
                    for i2 in range(k2):
                        w = e * strides[2] + i2 * dilation[2] - pads[2]
                        if 0 <= z < depth and 0 <= y < rows and 0 <= w < cols:
                            for c in range(channels):
                                col[row, j + c] = x[n, z, y, w, c]
                        else:
                            for c in range(channels):
                                col[row, j + c] = 0
                        j += channels


@njit(parallel=True, cache=True)
def _col2im(col, dx, kernel, strides, dilation, pads, out):
    """The adjoint of _im2col: dx[n, cell] += col[row, (kernel cell, c)] (dx starts at 0).
    Each sample is one parallel task, so no two threads add into the same cell."""
    n_batch, depth, rows, cols, channels = dx.shape
    k0, k1, k2 = kernel
    o0, o1, o2 = out
    for n in prange(n_batch):
        for a in range(o0):
            for b in range(o1):
                for e in range(o2):
                    row = ((n * o0 + a) * o1 + b) * o2 + e
                    j = 0
                    for i0 in range(k0):
                        z = a * strides[0] + i0 * dilation[0] - pads[0]
                        for i1 in range(k1):
                            y = b * strides[1] + i1 * dilation[1] - pads[1]
                            for i2 in range(k2):
                                w = e * strides[2] + i2 * dilation[2] - pads[2]
                                if 0 <= z < depth and 0 <= y < rows and 0 <= w < cols:
                                    for c in range(channels):
                                        dx[n, z, y, w, c] += col[row, j + c]
                                j += channels


# ---- one input channel per group (depthwise): direct loops, no matrix product ----
# The kernel gradient sums the samples in DEPTHWISE_GRAD_PARTS parts, one thread each, then
# adds the parts: a fixed number (not the machine's thread count), so that the order of
# the sums, and so the bits, are the same on every machine.
DEPTHWISE_GRAD_PARTS = 16
# With a single input channel per group there is nothing for a matrix product to do:
# im2col would copy each cell k times to multiply it by one number. These loops walk the
# kernel taps instead and run along the filters (the contiguous axis) on SIMD lanes.
# Filter f reads input channel f // multiplier; w is the kernel as (k0, k1, k2, filters).
@njit(parallel=True, cache=True)
def _depthwise(x, w, y, strides, dilation, pads, multiplier):
    n_batch, depth, rows, cols, _ = x.shape
    _, o0, o1, o2, filters = y.shape
    k0, k1, k2, _ = w.shape
    for t in prange(n_batch * o0):
        n, a = t // o0, t % o0
        for b in range(o1):
            for e in range(o2):
                out = y[n, a, b, e]
                out[:] = 0
                for i0 in range(k0):
                    z = a * strides[0] + i0 * dilation[0] - pads[0]
                    for i1 in range(k1):
                        r = b * strides[1] + i1 * dilation[1] - pads[1]
                        for i2 in range(k2):
                            c = e * strides[2] + i2 * dilation[2] - pads[2]
                            if not (0 <= z < depth and 0 <= r < rows and 0 <= c < cols):
                                continue
                            cell, tap = x[n, z, r, c], w[i0, i1, i2]
                            if multiplier == 1:
                                for f in range(filters):
                                    out[f] += cell[f] * tap[f]
                            else:
                                for f in range(filters):
                                    out[f] += cell[f // multiplier] * tap[f]


@njit(parallel=True, cache=True)
def _depthwise_transpose(g, w, dx, strides, dilation, pads, multiplier):
    """dx (zeros to start) += each output gradient times its tap, at the cell it read."""
    n_batch, depth, rows, cols, _ = dx.shape
    _, o0, o1, o2, filters = g.shape
    k0, k1, k2, _ = w.shape
    for n in prange(n_batch):
        for a in range(o0):
            for b in range(o1):
                for e in range(o2):
                    grad = g[n, a, b, e]
                    for i0 in range(k0):
                        z = a * strides[0] + i0 * dilation[0] - pads[0]
                        for i1 in range(k1):
                            r = b * strides[1] + i1 * dilation[1] - pads[1]
                            for i2 in range(k2):
                                c = e * strides[2] + i2 * dilation[2] - pads[2]
                                if not (0 <= z < depth and 0 <= r < rows and 0 <= c < cols):
                                    continue
                                into, tap = dx[n, z, r, c], w[i0, i1, i2]
                                if multiplier == 1:
                                    for f in range(filters):
                                        into[f] += grad[f] * tap[f]
                                else:
                                    for f in range(filters):
                                        into[f // multiplier] += grad[f] * tap[f]


@njit(parallel=True, cache=True)
def _depthwise_kernel_grad(x, g, partial, strides, dilation, pads, multiplier):
    """partial[p] = the kernel gradient from samples p, p + P, p + 2P, ... (P parallel
    parts, added up by the caller)."""
    n_batch, depth, rows, cols, _ = x.shape
    _, o0, o1, o2, filters = g.shape
    parts, k0, k1, k2, _ = partial.shape
    for p in prange(parts):
        acc = partial[p]
        acc[:] = 0
        for n in range(p, n_batch, parts):
            for a in range(o0):
                for b in range(o1):
                    for e in range(o2):
                        grad = g[n, a, b, e]
                        for i0 in range(k0):
                            z = a * strides[0] + i0 * dilation[0] - pads[0]
                            for i1 in range(k1):
                                r = b * strides[1] + i1 * dilation[1] - pads[1]
                                for i2 in range(k2):
                                    c = e * strides[2] + i2 * dilation[2] - pads[2]
                                    if not (0 <= z < depth and 0 <= r < rows and
                                            0 <= c < cols):
                                        continue
                                    cell, into = x[n, z, r, c], acc[i0, i1, i2]
                                    if multiplier == 1:
                                        for f in range(filters):
                                            into[f] += cell[f] * grad[f]
                                    else:
                                        for f in range(filters):
                                            into[f] += cell[f // multiplier] * grad[f]


@njit(cache=True)
def _window_start(a, b, e, strides, pads):
    return a * strides[0] - pads[0], b * strides[1] - pads[1], e * strides[2] - pads[2]


@njit(parallel=True, cache=True)
def _max_pool(x, y, pool, strides, pads):
    """y[n, a, b, e, :] = max over the window's real cells (padding never wins); the
    channels are the inner loop, so every read is contiguous."""
    n_batch, depth, rows, cols, channels = x.shape
    _, o0, o1, o2, _ = y.shape
    for t in prange(n_batch * o0):
        n, a = t // o0, t % o0
        for b in range(o1):
            for e in range(o2):
                z0, y0, w0 = _window_start(a, b, e, strides, pads)
                best = y[n, a, b, e]
                best[:] = -np.inf
                for i0 in range(max(z0, 0), min(z0 + pool[0], depth)):
                    for i1 in range(max(y0, 0), min(y0 + pool[1], rows)):
                        for i2 in range(max(w0, 0), min(w0 + pool[2], cols)):
                            cell = x[n, i0, i1, i2]
                            for c in range(channels):
                                v = cell[c]
                                if v > best[c] or np.isnan(v):  # NaN wins, as in np.max
                                    best[c] = v


@njit(cache=True)
def _window_max(x, n, z0, y0, w0, pool, best):
    """best[c] = the largest real cell of the window in channel c (NaN cells ignored, as
    the reference's winner test ``v > best`` ignores them)."""
    _, depth, rows, cols, channels = x.shape
    best[:] = -np.inf
    for i0 in range(max(z0, 0), min(z0 + pool[0], depth)):
        for i1 in range(max(y0, 0), min(y0 + pool[1], rows)):
            for i2 in range(max(w0, 0), min(w0 + pool[2], cols)):
                cell = x[n, i0, i1, i2]
                for c in range(channels):
                    best[c] = cell[c] if cell[c] > best[c] else best[c]  # noqa: FURB136 (NaN)


@njit(cache=True)
def _wins(value, best, first):
    """Can this cell win its window? It holds the max, or nothing beat -inf and it is the
    window's first cell."""
    return (value == best and best > -np.inf) or (first and best == -np.inf)


@njit(parallel=True, cache=True)
def _max_pool_grad(x, g, dx, pool, strides, pads):
    """dx[winner of each window] += g[window] (each sample's dx zeroed first, in its own
    task, so that an offered buffer is used as it is); one task per sample.

    Two passes over each window, both branch-free so that they run on SIMD lanes: its
    max, then the first cell equal to it takes the gradient (``free`` drops to 0 once a
    channel's winner has been found, so later ties get nothing). A window with nothing
    above -inf is won by its first cell, as in the reference (nobody, if that is padding)."""
    n_batch, depth, rows, cols, channels = x.shape
    _, o0, o1, o2, _ = g.shape
    for n in prange(n_batch):
        dx[n, :, :, :, :] = 0
        best = np.empty(channels, x.dtype)
        free = np.empty(channels, x.dtype)
        for a in range(o0):
            for b in range(o1):
                for e in range(o2):
                    z0, y0, w0 = _window_start(a, b, e, strides, pads)
                    _window_max(x, n, z0, y0, w0, pool, best)
                    free[:] = 1
                    grad = g[n, a, b, e]
                    for i0 in range(max(z0, 0), min(z0 + pool[0], depth)):
                        for i1 in range(max(y0, 0), min(y0 + pool[1], rows)):
                            for i2 in range(max(w0, 0), min(w0 + pool[2], cols)):
                                cell, into = x[n, i0, i1, i2], dx[n, i0, i1, i2]
                                first = i0 == z0 and i1 == y0 and i2 == w0
                                for c in range(channels):
                                    hit = free[c] if _wins(cell[c], best[c], first) else 0
                                    into[c] += grad[c] if hit > 0 else 0  # not hit * g:
                                    free[c] -= hit  # 0 * inf would be NaN


@njit(parallel=True, cache=True)
def _max_pool_gather(x, h, y, pool, strides, pads):
    """y[window] = h[winner of the window of x] (the same two passes and rules)."""
    n_batch, depth, rows, cols, channels = x.shape
    _, o0, o1, o2, _ = y.shape
    for n in prange(n_batch):
        best = np.empty(channels, x.dtype)
        free = np.empty(channels, x.dtype)
        for a in range(o0):
            for b in range(o1):
                for e in range(o2):
                    z0, y0, w0 = _window_start(a, b, e, strides, pads)
                    _window_max(x, n, z0, y0, w0, pool, best)
                    free[:] = 1
                    picked = y[n, a, b, e]
                    picked[:] = 0
                    for i0 in range(max(z0, 0), min(z0 + pool[0], depth)):
                        for i1 in range(max(y0, 0), min(y0 + pool[1], rows)):
                            for i2 in range(max(w0, 0), min(w0 + pool[2], cols)):
                                cell, value = x[n, i0, i1, i2], h[n, i0, i1, i2]
                                first = i0 == z0 and i1 == y0 and i2 == w0
                                for c in range(channels):
                                    hit = free[c] if _wins(cell[c], best[c], first) else 0
                                    picked[c] = value[c] if hit > 0 else picked[c]
                                    free[c] -= hit


@njit(cache=True)
def _real_cells(z0, y0, w0, pool, depth, rows, cols):
    """How many cells of a window lie inside the input (padding is not counted)."""
    return ((min(z0 + pool[0], depth) - max(z0, 0)) * (min(y0 + pool[1], rows) - max(y0, 0))
            * (min(w0 + pool[2], cols) - max(w0, 0)))


@njit(parallel=True, cache=True)
def _avg_pool(x, y, pool, strides, pads):
    """y[n, a, b, e, :] = the sum of the window's real cells / their count."""
    n_batch, depth, rows, cols, channels = x.shape
    _, o0, o1, o2, _ = y.shape
    for t in prange(n_batch * o0):
        n, a = t // o0, t % o0
        for b in range(o1):
            for e in range(o2):
                z0, y0, w0 = _window_start(a, b, e, strides, pads)
                total = y[n, a, b, e]
                total[:] = 0
                for i0 in range(max(z0, 0), min(z0 + pool[0], depth)):
                    for i1 in range(max(y0, 0), min(y0 + pool[1], rows)):
                        for i2 in range(max(w0, 0), min(w0 + pool[2], cols)):
                            cell = x[n, i0, i1, i2]
                            for c in range(channels):
                                total[c] += cell[c]
                count = _real_cells(z0, y0, w0, pool, depth, rows, cols)
                for c in range(channels):
                    total[c] /= count


@njit(parallel=True, cache=True)
def _avg_pool_grad(g, dx, pool, strides, pads):
    """Each window's gradient, divided by its count, added to its real cells (each
    sample's dx zeroed first)."""
    n_batch, depth, rows, cols, channels = dx.shape
    _, o0, o1, o2, _ = g.shape
    for n in prange(n_batch):
        dx[n, :, :, :, :] = 0
        for a in range(o0):
            for b in range(o1):
                for e in range(o2):
                    z0, y0, w0 = _window_start(a, b, e, strides, pads)
                    count = _real_cells(z0, y0, w0, pool, depth, rows, cols)
                    for i0 in range(max(z0, 0), min(z0 + pool[0], depth)):
                        for i1 in range(max(y0, 0), min(y0 + pool[1], rows)):
                            for i2 in range(max(w0, 0), min(w0 + pool[2], cols)):
                                for c in range(channels):
                                    dx[n, i0, i1, i2, c] += g[n, a, b, e, c] / count


# ---- shapes, views and buffers ----
def _three(values, fill) -> tuple:
    """Sizes for 1 or 2 spatial axes, padded in front to 3 (the loops' layout)."""
    return (fill,) * (3 - len(values)) + tuple(values)


def _as_5d(x: np.ndarray, data_format: str) -> np.ndarray:
    """(batch, spatial..., channels) with exactly 3 spatial axes: a view, never a copy."""
    x = ref.to_channels_last(x, data_format)
    while x.ndim < 5:
        x = x[:, None]
    return x


_scratch: dict = {}


def scratch(name: str, shape, dtype) -> np.ndarray:
    """A work array kept between calls (it only ever grows), so that training does not
    allocate and touch fresh memory for its im2col matrices at every step."""
    size = math.prod(shape)
    buffer = _scratch.get((name, np.dtype(dtype)))
    if buffer is None or buffer.size < size:
        buffer = _scratch[(name, np.dtype(dtype))] = np.empty(size, dtype)
    return buffer[:size].reshape(shape)


def _fast(*arrays) -> bool:
    """Float32 or float64 arrays, all of one dtype, none empty: the loops' domain."""
    dtype = arrays[0].dtype
    return dtype in _FLOATS and all(a.dtype == dtype and a.size > 0 for a in arrays)


def _result(y_last: np.ndarray, shape, data_format: str, out):
    """Return a channels_last result in ``data_format``, in ``out`` when it fits."""
    if data_format == "channels_first":
        y_last = np.moveaxis(y_last, -1, 1)
    if ref_fits(out, shape, y_last.dtype):
        np.copyto(out, y_last)
        return out
    return np.ascontiguousarray(y_last)


def ref_fits(out, shape, dtype) -> bool:
    return out is not None and out.shape == tuple(shape) and out.dtype == dtype and \
        out.flags.c_contiguous


def _geometry(sizes, kernel_size, strides, padding, dilation):
    pads = ref.explicit_padding(padding, sizes, kernel_size, strides, dilation)
    outs = ref.output_sizes(sizes, pads, kernel_size, strides, dilation)
    return pads, outs


def _loop_args(kernel_size, strides, dilation, pads, outs):
    return (_three(kernel_size, 1), _three(strides, 1), _three(dilation, 1),
            _three([b for b, _ in pads], 0), _three(outs, 1))


# ---- convolution ----
def _group_kernels(w: np.ndarray, groups: int) -> list[np.ndarray]:
    """The kernel of each group as a (kernel cells * channels per group, filters per
    group) matrix."""
    f = w.shape[-1] // groups
    rows = math.prod(w.shape[:-1])
    return [np.ascontiguousarray(w[..., g * f:(g + 1) * f]).reshape(rows, f)
            for g in range(groups)]


def _columns(x5, cg, g, args, m):
    """im2col of the channels of group g of x5 into the scratch buffer: (m, cells * cg)."""
    col = scratch("col", (m, math.prod(args[0]) * cg), x5.dtype)
    _im2col(x5[..., g * cg:(g + 1) * cg], col, *args)
    return col


def conv(x, w, *, strides, padding, dilation, groups, data_format, out=None):
    """im2col + one BLAS product per group."""
    if not _fast(x, w):
        return REF["conv"](x, w, strides=strides, padding=padding, dilation=dilation,
                           groups=groups, data_format=data_format)
    sizes, k = ref.spatial_sizes(x, data_format), w.shape[:-2]
    pads, outs = _geometry(sizes, k, strides, padding, dilation)
    x5, cg, f = _as_5d(x, data_format), w.shape[-2], w.shape[-1]
    m, fg = x.shape[0] * math.prod(outs), f // groups
    shape = ref_shape(x.shape[0], outs, f, data_format)
    args = _loop_args(k, strides, dilation, pads, outs)
    if cg == 1 and groups > 1:  # depthwise: one input channel per group
        direct = data_format == "channels_last" and ref_fits(out, shape, x.dtype)
        y = out if direct else np.empty((x.shape[0], *outs, f), x.dtype)
        _depthwise(x5, _taps(w), y.reshape(x.shape[0], *_three(outs, 1), f), *args[1:4], fg)
        return out if direct else _result(y, shape, data_format, out)
    direct = data_format == "channels_last" and ref_fits(out, shape, x.dtype) and groups == 1
    y = out.reshape(m, f) if direct else np.empty((m, f), x.dtype)
    for g, wg in enumerate(_group_kernels(w, groups)):
        col = _columns(x5, cg, g, args, m)
        if groups == 1:
            np.matmul(col, wg, out=y)
        else:
            y[:, g * fg:(g + 1) * fg] = col @ wg
    if direct:
        return out
    return _result(y.reshape(x.shape[0], *outs, f), shape, data_format, out)


def _taps(w: np.ndarray) -> np.ndarray:
    """A (k..., 1, filters) kernel as (k0, k1, k2, filters), contiguous."""
    return np.ascontiguousarray(w.reshape(*_three(w.shape[:-2], 1), w.shape[-1]))


def ref_shape(batch, outs, channels, data_format) -> tuple:
    if data_format == "channels_first":
        return (batch, channels, *outs)
    return (batch, *outs, channels)


def conv_transpose(g, w, like=None, *, output_size, strides, padding, dilation, groups,
                   data_format, out=None):
    """(g @ w.T) per group, sent back to the image by col2im."""
    if not _fast(g, w):
        return REF["conv_transpose"](g, w, like, output_size=output_size, strides=strides,
                                     padding=padding, dilation=dilation, groups=groups,
                                     data_format=data_format)
    sizes = ref.spatial_sizes(like, data_format) if like is not None else tuple(output_size)
    k, cg, f = w.shape[:-2], w.shape[-2], w.shape[-1]
    pads = ref.explicit_padding(padding, sizes, k, strides, dilation)
    outs = ref.spatial_sizes(g, data_format)
    n, fg = g.shape[0], f // groups
    rows = np.ascontiguousarray(ref.to_channels_last(g, data_format)).reshape(-1, f)
    dx = np.zeros((n, *_three(sizes, 1), cg * groups), g.dtype)
    args = _loop_args(k, strides, dilation, pads, outs)
    if cg == 1 and groups > 1:  # depthwise
        _depthwise_transpose(_as_5d(g, data_format), _taps(w), dx, *args[1:4], fg)
        shape = ref_shape(n, sizes, groups, data_format)
        return _result(dx.reshape(n, *sizes, groups), shape, data_format, out)
    for group, wg in enumerate(_group_kernels(w, groups)):
        dcol = scratch("dcol", (rows.shape[0], wg.shape[0]), g.dtype)
        np.matmul(rows[:, group * fg:(group + 1) * fg], wg.T, out=dcol)
        _col2im(dcol, dx[..., group * cg:(group + 1) * cg], *args)
    shape = ref_shape(n, sizes, cg * groups, data_format)
    return _result(dx.reshape(n, *sizes, cg * groups), shape, data_format, out)


def conv_kernel_grad(x, g, *, kernel_size, strides, padding, dilation, groups, data_format):
    """col.T @ g per group."""
    if not _fast(x, g):
        return REF["conv_kernel_grad"](x, g, kernel_size=kernel_size, strides=strides,
                                       padding=padding, dilation=dilation, groups=groups,
                                       data_format=data_format)
    sizes, k = ref.spatial_sizes(x, data_format), tuple(kernel_size)
    pads = ref.explicit_padding(padding, sizes, k, strides, dilation)
    outs = ref.spatial_sizes(g, data_format)
    x5, f = _as_5d(x, data_format), ref.channels(g, data_format)
    cg, fg, m = x5.shape[-1] // groups, f // groups, g.shape[0] * math.prod(outs)
    args = _loop_args(k, strides, dilation, pads, outs)
    if cg == 1 and groups > 1:  # depthwise
        parts = max(1, min(x.shape[0], DEPTHWISE_GRAD_PARTS))
        partial = np.empty((parts, *args[0], f), x.dtype)
        _depthwise_kernel_grad(x5, _as_5d(g, data_format), partial, *args[1:4], fg)
        return partial.sum(axis=0).reshape(*k, 1, f)
    rows = np.ascontiguousarray(ref.to_channels_last(g, data_format)).reshape(m, f)
    dw = np.empty((*k, cg, f), x.dtype)
    for group in range(groups):
        col = _columns(x5, cg, group, args, m)
        dw[..., group * fg:(group + 1) * fg] = (col.T @ rows[:, group * fg:(group + 1) * fg]
                                                ).reshape(*k, cg, fg)
    return dw


@njit(parallel=True, cache=True)
def _add_bias_relu(y, b):
    """y[a, f, s] = max(y[a, f, s] + b[f], 0) in place (NaN stays NaN), for y seen as
    (rows, filters, positions): (batch * positions, filters, 1) when channels are last,
    (batch, filters, positions) when they are first."""
    rows, filters, positions = y.shape
    for a in prange(rows):
        for f in range(filters):
            for s in range(positions):
                v = y[a, f, s] + b[f]
                y[a, f, s] = v if (v > 0 or np.isnan(v)) else 0


def conv_bias_relu(x, w, b, *, strides, padding, dilation, groups, data_format, out=None):
    """relu(conv(x, w) + b): the convolution's result gets its bias and relu in place,
    one pass over it instead of the three a plain plan makes (write, read, write)."""
    if not _fast(x, w, b):
        return REF["conv_bias_relu"](x, w, b, strides=strides, padding=padding,
                                     dilation=dilation, groups=groups, data_format=data_format)
    y = conv(x, w, strides=strides, padding=padding, dilation=dilation, groups=groups,
             data_format=data_format, out=out)
    filters = w.shape[-1]
    view = y.reshape(-1, filters, 1) if data_format == "channels_last" else \
        y.reshape(y.shape[0], filters, -1)
    _add_bias_relu(view, b)
    return y


conv.accepts_out = conv_transpose.accepts_out = conv_bias_relu.accepts_out = True


# ---- pooling ----
def _pool_geometry(x, pool_size, strides, padding, data_format, sizes=None):
    sizes = ref.spatial_sizes(x, data_format) if sizes is None else sizes
    ones = (1,) * len(pool_size)
    pads = ref.explicit_padding(padding, sizes, pool_size, strides, ones)
    outs = ref.output_sizes(sizes, pads, pool_size, strides, ones)
    return sizes, outs, (_three(pool_size, 1), _three(strides, 1),
                         _three([b for b, _ in pads], 0))


def _pooled(loop, x, pool_size, strides, padding, data_format, out, *extra):
    """Run a forward pooling loop (max, mean, gather) into a channels_last buffer."""
    _, outs, args = _pool_geometry(x, pool_size, strides, padding, data_format)
    channels = ref.channels(x, data_format)
    shape = ref_shape(x.shape[0], outs, channels, data_format)
    direct = data_format == "channels_last" and ref_fits(out, shape, x.dtype)
    y = out if direct else np.empty((x.shape[0], *outs, channels), x.dtype)
    loop(_as_5d(x, data_format), *(_as_5d(e, data_format) for e in extra),
         y.reshape(x.shape[0], *_three(outs, 1), channels), *args)
    return out if direct else _result(y, shape, data_format, out)


def max_pool(x, *, pool_size, strides, padding, data_format, out=None):
    """The largest real cell of each window."""
    if not _fast(x):
        return REF["max_pool"](x, pool_size=pool_size, strides=strides, padding=padding,
                               data_format=data_format)
    return _pooled(_max_pool, x, pool_size, strides, padding, data_format, out)


def avg_pool(x, *, pool_size, strides, padding, data_format, out=None):
    """The mean of each window's real cells."""
    if not _fast(x):
        return REF["avg_pool"](x, pool_size=pool_size, strides=strides, padding=padding,
                               data_format=data_format)
    return _pooled(_avg_pool, x, pool_size, strides, padding, data_format, out)


def max_pool_gather(x, h, *, pool_size, strides, padding, data_format, out=None):
    """h at each window's winning cell of x."""
    if not _fast(x, h):
        return REF["max_pool_gather"](x, h, pool_size=pool_size, strides=strides,
                                      padding=padding, data_format=data_format)
    return _pooled(_max_pool_gather, x, pool_size, strides, padding,
                   data_format, out, h)


def _scattered(loop, like, pool_size, strides, padding, data_format, out, *inputs):
    """Run a backward pooling loop (it zeroes each sample, then adds into it) into a
    channels_last image: ``out`` itself when it fits (no fresh memory, no copy)."""
    sizes, _, args = _pool_geometry(like, pool_size, strides, padding, data_format)
    channels, dtype = ref.channels(like, data_format), inputs[-1].dtype
    shape = (like.shape[0], *_three(sizes, 1), channels)
    direct = data_format == "channels_last" and ref_fits(out, like.shape, dtype)
    dx = out.reshape(shape) if direct else np.empty(shape, dtype)
    loop(*(_as_5d(a, data_format) for a in inputs), dx, *args)
    if direct:
        return out
    return _result(dx.reshape(like.shape[0], *sizes, channels), like.shape, data_format, out)


def max_pool_grad(x, g, *, pool_size, strides, padding, data_format, out=None):
    """Each window's gradient added at its winning cell."""
    if not _fast(x, g):
        return REF["max_pool_grad"](x, g, pool_size=pool_size, strides=strides,
                                    padding=padding, data_format=data_format)
    return _scattered(_max_pool_grad, x, pool_size, strides, padding, data_format, out, x, g)


def avg_pool_grad(g, like, *, pool_size, strides, padding, data_format, out=None):
    """Each window's gradient shared by its real cells."""
    if not _fast(g) or like.size == 0:
        return REF["avg_pool_grad"](g, like, pool_size=pool_size, strides=strides,
                                    padding=padding, data_format=data_format)
    return _scattered(_avg_pool_grad, like, pool_size, strides, padding, data_format, out, g)


for _kernel in (max_pool, avg_pool, max_pool_gather, max_pool_grad, avg_pool_grad):
    _kernel.accepts_out = True

KERNELS = {fn.__name__: fn for fn in (conv, conv_transpose, conv_kernel_grad, conv_bias_relu,
                                      max_pool,
                                      avg_pool, max_pool_grad, max_pool_gather,
                                      avg_pool_grad)}
