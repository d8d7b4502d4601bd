"""Convolution and pooling on the GPU (numba.cuda): im2col + the tiled matmul of cuda.py.

The plan is the CPU's (``cpu_conv.py``): a convolution copies every window into a row of
a matrix (im2col) and multiplies it with the reshaped kernel, using ``cuda.matmul``'s
tiled kernel. What changes on a GPU is who writes where. Thousands of threads run at
once, and two threads adding into the same cell would race. So every kernel here is
written *one thread per output element*, each computing its element from what it reads:

* ``_im2col``: a thread per element of the column matrix copies one input cell (or 0);
* ``_col2im`` (the input gradient): a thread per *input* cell adds up the entries of the
  column matrix that came from it, by walking the kernel offsets whose windows cover it.
  No two threads write the same cell, so no atomic adds are needed, and the sum comes out
  in the same order every run;
* pooling: a thread per output finds its window's max or mean; the gradients are again
  one thread per input cell, which visits every window holding it (for max pooling, it
  checks whether it is that window's winner).

All kernels see arrays as (batch, depth, rows, cols, channels), channels last; 1-D and
2-D data get size-1 leading spatial axes, and channels_first data are transposed on the
device on the way in and out. Each kernel has the signature and meaning of the
reference kernel of the same name (``reference_conv.py``) and returns a new device array.
Empty arrays go to the reference on the host (nothing to launch).
"""
from __future__ import annotations

import math

import numpy as np

from minikeras.devices import cuda as gpu
from minikeras.devices import reference_conv as ref

cuda = gpu.cuda
REF = ref.KERNELS


# ---- index arithmetic shared by the kernels ----
@cuda.jit(device=True)
def _unflatten5(i, shape):
    """(n, z, y, w, c) of element i of a C-contiguous array of 5-D ``shape``."""
    c = i % shape[4]
    i //= shape[4]
    w = i % shape[3]
    i //= shape[3]
    y = i % shape[2]
    i //= shape[2]
    return i // shape[1], i % shape[1], y, w, c


@cuda.jit(device=True)
def _flat5(n, z, y, w, c, shape):
    return (((n * shape[1] + z) * shape[2] + y) * shape[3] + w) * shape[4] + c


@cuda.jit(device=True)
def _covering(p, pad, stride, dilation, n_out, tap):
    """Along one axis: the output whose window puts kernel tap ``tap`` on input position
    p (``o * stride + tap * dilation - pad == p``), or -1 if there is none."""
    q = p + pad - tap * dilation
    if q < 0 or q % stride != 0 or q // stride >= n_out:
        return -1
    return q // stride


# ---- convolution ----
@cuda.jit(cache=True)
def _im2col(x, shape, c0, cg, col, n_cols, kernel, strides, dilation, pads, out):
    """col[row, (i0, i1, i2, c)] = x[n, a s0 + i0 d0 - p0, ..., c0 + c], 0 outside x."""
    i = cuda.grid(1)
    if i >= col.size:
        return
    row, j = i // n_cols, i % n_cols
    c, cell = j % cg, j // cg
    i2, i1, i0 = cell % kernel[2], (cell // kernel[2]) % kernel[1], cell // (kernel[2] *
                                                                            kernel[1])
    e, b = row % out[2], (row // out[2]) % out[1]
    a, n = (row // (out[2] * out[1])) % out[0], row // (out[2] * out[1] * out[0])
    z = a * strides[0] + i0 * dilation[0] - pads[0]
    y = b * strides[1] + i1 * dilation[1] - pads[1]
    w = e * strides[2] + i2 * dilation[2] - pads[2]
    if 0 <= z < shape[1] and 0 <= y < shape[2] and 0 <= w < shape[3]:
        col[i] = x[_flat5(n, z, y, w, c0 + c, shape)]
    else:
        col[i] = 0


@cuda.jit(cache=True)
def _col2im(col, n_cols, dx, shape, c0, cg, kernel, strides, dilation, pads, out):
    """dx[n, z, y, w, c0 + c] = the sum of the column entries copied from that cell:
    for every kernel tap (i0, i1, i2), the output whose window puts that tap on the cell."""
    i = cuda.grid(1)
    n_cells = shape[0] * shape[1] * shape[2] * shape[3] * cg
    if i >= n_cells:
        return
    c = i % cg
    rest = i // cg
    w, y = rest % shape[3], (rest // shape[3]) % shape[2]
    z, n = (rest // (shape[3] * shape[2])) % shape[1], rest // (shape[3] * shape[2] * shape[1])
    total = 0.0
    for i0 in range(kernel[0]):
        a = _covering(z, pads[0], strides[0], dilation[0], out[0], i0)
        if a < 0:
            continue
        for i1 in range(kernel[1]):
            b = _covering(y, pads[1], strides[1], dilation[1], out[1], i1)
            if b < 0:
                continue
            for i2 in range(kernel[2]):
                e = _covering(w, pads[2], strides[2], dilation[2], out[2], i2)
                if e < 0:
                    continue
                row = ((n * out[0] + a) * out[1] + b) * out[2] + e
                total += col[row * n_cols + ((i0 * kernel[1] + i1) * kernel[2] + i2) * cg + c]
    dx[_flat5(n, z, y, w, c0 + c, shape)] = total


# ---- pooling ----
@cuda.jit(device=True)
def _window_winner(x, shape, n, a, b, e, c, pool, strides, pads):
    """Flat index in x of the first cell of the window beating all before it (strictly
    greater; NaN never wins), starting from the window's first cell as the reference
    does (-1 if that first cell is padding and nothing beats -inf)."""
    z0, y0, w0 = a * strides[0] - pads[0], b * strides[1] - pads[1], e * strides[2] - pads[2]
    best = -math.inf
    where = -1
    if z0 >= 0 and y0 >= 0 and w0 >= 0:
        where = _flat5(n, z0, y0, w0, c, shape)
    for i0 in range(max(z0, 0), min(z0 + pool[0], shape[1])):
        for i1 in range(max(y0, 0), min(y0 + pool[1], shape[2])):
            for i2 in range(max(w0, 0), min(w0 + pool[2], shape[3])):
                at = _flat5(n, i0, i1, i2, c, shape)
                if x[at] > best:
                    best = x[at]
                    where = at
    return where


@cuda.jit(cache=True)
def _pool(x, shape, y, y_shape, pool, strides, pads, is_max):
    """One thread per output: the max (NaN wins, as np.maximum) or the mean of the real
    cells of its window."""
    i = cuda.grid(1)
    if i >= y.size:
        return
    n, a, b, e, c = _unflatten5(i, y_shape)
    z0, y0, w0 = a * strides[0] - pads[0], b * strides[1] - pads[1], e * strides[2] - pads[2]
    best, total, count = -math.inf, 0.0, 0
    for i0 in range(max(z0, 0), min(z0 + pool[0], shape[1])):
        for i1 in range(max(y0, 0), min(y0 + pool[1], shape[2])):
            for i2 in range(max(w0, 0), min(w0 + pool[2], shape[3])):
                v = x[_flat5(n, i0, i1, i2, c, shape)]
                if best == best and (v > best or v != v):  # noqa: PLR0124 (NaN wins, stays)
                    best = v
                total += v
                count += 1
    y[i] = best if is_max else total / count


@cuda.jit(cache=True)
def _max_pool_gather(x, h, shape, y, y_shape, pool, strides, pads):
    """One thread per output: h at the winner of its window (0 if none)."""
    i = cuda.grid(1)
    if i >= y.size:
        return
    n, a, b, e, c = _unflatten5(i, y_shape)
    at = _window_winner(x, shape, n, a, b, e, c, pool, strides, pads)
    y[i] = h[at] if at >= 0 else 0


@cuda.jit(device=True)
def _windows(p, pad, pool, stride, n_out):
    """The range of windows (outputs) along one axis whose window holds position p."""
    low = max((p + pad - pool + stride) // stride, 0)  # ceil((p + pad - pool + 1) / s)
    return low, min((p + pad) // stride + 1, n_out)


@cuda.jit(cache=True)
def _pool_grad(x, g, shape, g_shape, dx, pool, strides, pads, is_max):
    """One thread per input cell: the sum, over the windows holding it, of the window's
    gradient (max: only where this cell won; mean: divided by the window's count)."""
    i = cuda.grid(1)
    if i >= dx.size:
        return
    n, z, y, w, c = _unflatten5(i, shape)
    total = 0.0
    a0, a1 = _windows(z, pads[0], pool[0], strides[0], g_shape[1])
    b0, b1 = _windows(y, pads[1], pool[1], strides[1], g_shape[2])
    e0, e1 = _windows(w, pads[2], pool[2], strides[2], g_shape[3])
    for a in range(a0, a1):
        for b in range(b0, b1):
            for e in range(e0, e1):
                grad = g[_flat5(n, a, b, e, c, g_shape)]
                if is_max:
                    if _window_winner(x, shape, n, a, b, e, c, pool, strides, pads) == i:
                        total += grad
                else:
                    z0, y0 = a * strides[0] - pads[0], b * strides[1] - pads[1]
                    w0 = e * strides[2] - pads[2]
                    count = ((min(z0 + pool[0], shape[1]) - max(z0, 0)) *
                             (min(y0 + pool[1], shape[2]) - max(y0, 0)) *
                             (min(w0 + pool[2], shape[3]) - max(w0, 0)))
                    total += grad / count
    dx[i] = total


# ---- host side: layouts, launches ----
def _dims(a) -> tuple:
    """A device array's shape as a plain tuple (the simulator's shape objects do not take
    negative indices)."""
    return tuple(int(d) for d in a.shape)


def _three(values, fill) -> tuple:
    return (fill,) * (3 - len(values)) + tuple(int(v) for v in values)


def _channels_last(x, data_format):
    """A C-contiguous channels_last device copy (or x itself)."""
    if data_format != "channels_first":
        return x
    return gpu.transpose(x, (0, *range(2, x.ndim), 1))


def _back(y, data_format):
    """A channels_last result in ``data_format``."""
    if data_format != "channels_first":
        return y
    return gpu.transpose(y, (0, y.ndim - 1, *range(1, y.ndim - 1)))


def _shape5(x_last) -> tuple:
    """(batch, depth, rows, cols, channels) of a channels_last shape."""
    shape = _dims(x_last)
    return (shape[0], *_three(shape[1:-1], 1), shape[-1])


def _empty_case(*arrays) -> bool:
    return any(a.size == 0 for a in arrays)


def _on_host(name, *arrays, **attrs):
    return gpu.to_device(np.asarray(REF[name](*(None if a is None else gpu.to_host(a)
                                                for a in arrays), **attrs)))


def _group_kernels(w, groups):
    """Each group's kernel as a (cells * channels per group, filters per group) matrix."""
    f, rows = _dims(w)[-1] // groups, math.prod(_dims(w)[:-1])
    flat = gpu.reshape(w, (rows, _dims(w)[-1]))
    return [gpu.getitem(flat, (slice(None), slice(g * f, (g + 1) * f))) for g in range(groups)]


def _columns(x_last, c0, cg, args, m):
    kernel, strides, dilation, pads, outs = args
    n_cols = math.prod(kernel) * cg
    col = gpu._empty((m, n_cols), x_last.dtype)
    gpu._launch(_im2col, m * n_cols, gpu._flat(x_last), _shape5(x_last), c0, cg,
                gpu._flat(col), n_cols, kernel, strides, dilation, pads, outs)
    return col


def _loop_args(kernel_size, strides, dilation, pads, outs):
    return (_three(kernel_size, 1), _three(strides, 1), _three(dilation, 1),
            _three([b for b, _ in pads], 0), _three(outs, 1))


def conv(x, w, *, strides, padding, dilation, groups, data_format):
    """im2col + the tiled matmul, per group."""
    x, w = gpu._dev(x), gpu._dev(w)
    if _empty_case(x, w) or x.dtype != w.dtype:
        return _on_host("conv", x, w, strides=strides, padding=padding, dilation=dilation,
                        groups=groups, data_format=data_format)
    x_last = _channels_last(x, data_format)
    sizes, k = _dims(x_last)[1:-1], _dims(w)[:-2]
    pads = ref.explicit_padding(padding, sizes, k, strides, dilation)
    outs = ref.output_sizes(sizes, pads, k, strides, dilation)
    cg, m = _dims(w)[-2], _dims(x)[0] * math.prod(outs)
    args = _loop_args(k, strides, dilation, pads, outs)
    parts = [gpu.matmul(_columns(x_last, g * cg, cg, args, m), wg)
             for g, wg in enumerate(_group_kernels(w, groups))]
    y = parts[0] if groups == 1 else gpu.concatenate(*parts, axis=1)
    return _back(gpu.reshape(y, (_dims(x)[0], *outs, _dims(w)[-1])), data_format)


def conv_bias_relu(x, w, b, *, strides, padding, dilation, groups, data_format):
    """relu(conv(x, w) + b) (the bias add and relu as one elementwise kernel when the
    channels are last)."""
    y = conv(x, w, strides=strides, padding=padding, dilation=dilation, groups=groups,
             data_format=data_format)
    b = gpu._dev(b)
    if data_format == "channels_last":
        return gpu.KERNELS["bias_relu"](y, b)
    shaped = gpu.reshape(b, (-1,) + (1,) * (len(_dims(y)) - 2))
    return gpu.KERNELS["relu"](gpu.KERNELS["add"](y, shaped))


def conv_transpose(g, w, like=None, *, output_size, strides, padding, dilation, groups,
                   data_format):
    """(g @ w.T) per group, gathered back into the image by one thread per input cell."""
    g, w = gpu._dev(g), gpu._dev(w)
    sizes = ref.spatial_sizes(like, data_format) if like is not None else tuple(output_size)
    k, cg, f = _dims(w)[:-2], _dims(w)[-2], _dims(w)[-1]
    if _empty_case(g, w) or g.dtype != w.dtype or 0 in sizes:
        return _on_host("conv_transpose", g, w, like, output_size=output_size,
                        strides=strides, padding=padding, dilation=dilation, groups=groups,
                        data_format=data_format)
    g_last = _channels_last(g, data_format)
    pads = ref.explicit_padding(padding, sizes, k, strides, dilation)
    outs = _dims(g_last)[1:-1]
    rows = gpu.reshape(g_last, (-1, f))
    fg, n = f // groups, _dims(g)[0]
    dx = gpu._empty((n, *sizes, cg * groups), g.dtype)
    shape5 = _shape5(dx)
    args = _loop_args(k, strides, dilation, pads, outs)
    for group, wg in enumerate(_group_kernels(w, groups)):
        g_group = rows if groups == 1 else gpu.getitem(rows, (slice(None),
                                                              slice(group * fg, (group + 1) * fg)))
        dcol = gpu.matmul(g_group, gpu.transpose(wg, (1, 0)))
        gpu._launch(_col2im, math.prod(shape5[:4]) * cg, gpu._flat(dcol), _dims(dcol)[1],
                    gpu._flat(dx), shape5, group * cg, cg, *args)
    return _back(dx, data_format)


def conv_kernel_grad(x, g, *, kernel_size, strides, padding, dilation, groups, data_format):
    """col.T @ g per group (col.T made by the transpose kernel)."""
    x, g = gpu._dev(x), gpu._dev(g)
    if _empty_case(x, g) or x.dtype != g.dtype:
        return _on_host("conv_kernel_grad", x, g, kernel_size=kernel_size, strides=strides,
                        padding=padding, dilation=dilation, groups=groups,
                        data_format=data_format)
    x_last, g_last = _channels_last(x, data_format), _channels_last(g, data_format)
    k, f = tuple(kernel_size), _dims(g_last)[-1]
    sizes, outs = _dims(x_last)[1:-1], _dims(g_last)[1:-1]
    pads = ref.explicit_padding(padding, sizes, k, strides, dilation)
    cg, fg, m = _dims(x_last)[-1] // groups, f // groups, _dims(g)[0] * math.prod(outs)
    rows = gpu.reshape(g_last, (m, f))
    args = _loop_args(k, strides, dilation, pads, outs)
    parts = []
    for group in range(groups):
        col = _columns(x_last, group * cg, cg, args, m)
        g_group = rows if groups == 1 else gpu.getitem(rows, (slice(None),
                                                              slice(group * fg, (group + 1) * fg)))
        parts.append(gpu.matmul(gpu.transpose(col, (1, 0)), g_group))
    dw = parts[0] if groups == 1 else gpu.concatenate(*parts, axis=1)
    return gpu.reshape(dw, (*k, cg, f))


def _pool_setup(x_last, pool_size, strides, padding, sizes=None):
    sizes = _dims(x_last)[1:-1] if sizes is None else sizes
    ones = (1,) * len(pool_size)
    pads = ref.explicit_padding(padding, sizes, pool_size, strides, ones)
    outs = ref.output_sizes(sizes, pads, pool_size, strides, ones)
    return outs, (_three(pool_size, 1), _three(strides, 1), _three([b for b, _ in pads], 0))


def _pool_forward(name, x, pool_size, strides, padding, data_format):
    x = gpu._dev(x)
    if _empty_case(x):
        return _on_host(name, x, pool_size=pool_size, strides=strides, padding=padding,
                        data_format=data_format)
    x_last = _channels_last(x, data_format)
    outs, args = _pool_setup(x_last, pool_size, strides, padding)
    y = gpu._empty((_dims(x)[0], *outs, _dims(x_last)[-1]), x.dtype)
    gpu._launch(_pool, y.size, gpu._flat(x_last), _shape5(x_last), gpu._flat(y), _shape5(y),
                *args, name == "max_pool")
    return _back(y, data_format)


def max_pool(x, *, pool_size, strides, padding, data_format):
    """One thread per output: its window's max."""
    return _pool_forward("max_pool", x, pool_size, strides, padding, data_format)


def avg_pool(x, *, pool_size, strides, padding, data_format):
    """One thread per output: the mean of its window's real cells."""
    return _pool_forward("avg_pool", x, pool_size, strides, padding, data_format)


def max_pool_gather(x, h, *, pool_size, strides, padding, data_format):
    """One thread per output: h at its window's winner."""
    x, h = gpu._dev(x), gpu._dev(h)
    if _empty_case(x, h):
        return _on_host("max_pool_gather", x, h, pool_size=pool_size, strides=strides,
                        padding=padding, data_format=data_format)
    x_last, h_last = _channels_last(x, data_format), _channels_last(h, data_format)
    outs, args = _pool_setup(x_last, pool_size, strides, padding)
    y = gpu._empty((_dims(x)[0], *outs, _dims(x_last)[-1]), h.dtype)
    gpu._launch(_max_pool_gather, y.size, gpu._flat(x_last), gpu._flat(h_last),
                _shape5(x_last), gpu._flat(y), _shape5(y), *args)
    return _back(y, data_format)


def _pool_backward(name, x, g, like, pool_size, strides, padding, data_format):
    """max_pool_grad (x given) or avg_pool_grad (only like's shape): one thread per cell."""
    if _empty_case(g, like):
        args = (x, g) if name == "max_pool_grad" else (g, like)
        return _on_host(name, *args, pool_size=pool_size, strides=strides, padding=padding,
                        data_format=data_format)
    g_last = _channels_last(g, data_format)
    sizes = ref.spatial_sizes(like, data_format)
    shape5 = (_dims(like)[0], *_three(sizes, 1), _dims(g_last)[-1])
    _, args = _pool_setup(None, pool_size, strides, padding, sizes)
    x_last = g_last if x is None else _channels_last(x, data_format)  # avg: x unused
    dx = gpu._empty((_dims(like)[0], *sizes, _dims(g_last)[-1]), g.dtype)
    gpu._launch(_pool_grad, dx.size, gpu._flat(x_last), gpu._flat(g_last), shape5,
                _shape5(g_last), gpu._flat(dx), *args, name == "max_pool_grad")
    return _back(dx, data_format)


def max_pool_grad(x, g, *, pool_size, strides, padding, data_format):
    """One thread per input cell: the gradients of the windows it won."""
    x, g = gpu._dev(x), gpu._dev(g)
    return _pool_backward("max_pool_grad", x, g, x, pool_size, strides, padding, data_format)


def avg_pool_grad(g, like, *, pool_size, strides, padding, data_format):
    """One thread per input cell: its share of each window holding it."""
    g = gpu._dev(g)
    return _pool_backward("avg_pool_grad", None, g, like, pool_size, strides, padding,
                          data_format)


KERNELS = {fn.__name__: fn for fn in (conv, conv_transpose, conv_kernel_grad, conv_bias_relu,
                                      max_pool,
                                      avg_pool, max_pool_grad, max_pool_gather,
                                      avg_pool_grad)}
