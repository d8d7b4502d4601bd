"""Convolution and pooling written a second, independent way, for the tests to compare
with: one output cell at a time, reading the input through explicit index arithmetic
(slow, and as plain as it gets). Shared by the kernel and the layer tests."""
from __future__ import annotations

import itertools

import numpy as np


def _pads(padding, sizes, k, s, d):
    """Keras's padding rules, written out again (not the reference's helper)."""
    if not isinstance(padding, str):
        return list(padding)
    pads = []
    for n, kk, ss, dd in zip(sizes, k, s, d):
        span = dd * (kk - 1) + 1
        if padding == "valid":
            pads.append((0, 0))
        elif padding == "causal":
            pads.append((span - 1, 0))
        else:
            out = -(-n // ss)
            total = max((out - 1) * ss + span - n, 0)
            pads.append((total // 2, total - total // 2))
    return pads


def naive_conv(x, w, strides, padding, dilation, groups, data_format):
    if data_format == "channels_first":
        x = np.moveaxis(x, 1, -1)
    n, *sizes, _ = x.shape
    *k, cg, f = w.shape
    pads = _pads(padding, sizes, k, strides, dilation)
    out = [(m + b + a - (d * (kk - 1) + 1)) // s + 1
           for m, (b, a), kk, s, d in zip(sizes, pads, k, strides, dilation)]
    y = np.zeros((n, *out, f))
    fg = f // groups
    for b in range(n):
        for o in itertools.product(*map(range, out)):
            for j in range(f):
                group = j // fg
                total = 0.0
                for kk in itertools.product(*map(range, k)):
                    p = [oi * s + ki * d - pb for oi, ki, s, d, (pb, _) in
                         zip(o, kk, strides, dilation, pads)]
                    if all(0 <= pi < m for pi, m in zip(p, sizes)):
                        for ci in range(cg):
                            total += x[(b, *p, group * cg + ci)] * w[(*kk, ci, j)]
                y[(b, *o, j)] = total
    return np.moveaxis(y, -1, 1) if data_format == "channels_first" else y


def naive_pool(x, pool_size, strides, padding, data_format, mode):
    if data_format == "channels_first":
        x = np.moveaxis(x, 1, -1)
    n, *sizes, c = x.shape
    ones = (1,) * len(sizes)
    pads = _pads(padding, sizes, pool_size, strides, ones)
    out = [(m + b + a - p) // s + 1 for m, (b, a), p, s in zip(sizes, pads, pool_size, strides)]
    y = np.zeros((n, *out, c))
    for b in range(n):
        for o in itertools.product(*map(range, out)):
            cells = []
            for kk in itertools.product(*map(range, pool_size)):
                p = [oi * s + ki - pb for oi, ki, s, (pb, _) in zip(o, kk, strides, pads)]
                if all(0 <= pi < m for pi, m in zip(p, sizes)):
                    cells.append(x[(b, *p)])
            cells = np.array(cells)
            y[(b, *o)] = cells.max(axis=0) if mode == "max" else cells.mean(axis=0)
    return np.moveaxis(y, -1, 1) if data_format == "channels_first" else y
