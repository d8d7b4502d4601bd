"""NumPy reference kernels of the recurrence ops: the definition of correct.

One plain Python loop over time per kernel, one NumPy statement per equation. The fast
kernels (``cpu_rnn.py``, ``cuda_rnn.py``) are tested against these.

Shapes (batch B, time T, units u; G gates: 1 SimpleRNN, 4 LSTM, 3 GRU):

* ``xz`` (B, T, G u): the projected inputs ``x W + b`` of every step;
* ``U`` (u, G u): the recurrent kernel; ``h0``, ``c0`` (B, u): the initial states;
* optional, after the states: ``mask`` (B, T) bool (False steps carry the states and
  record zeros elsewhere), then ``rec_mask`` (B, G, u), a recurrent dropout mask per gate
  (``masked`` and ``dropped`` say which are there);
* the forward kernels return the record (B, T, K), the backward kernels the gradient
  rows (B, T, K'); ``ops/recurrent.py`` lists the blocks of both.

Activations are given by name; each comes with its slope written with its *output*
(tanh' = 1 - y^2), which is all the backward pass keeps.

>>> import numpy as np
>>> record = KERNELS["simple_rnn_scan"](np.ones((1, 2, 1)), np.ones((1, 1)), np.zeros((1, 1)),
...                                     activation="linear", masked=False, dropped=False)
>>> record[0, :, 0]                      # h_1 = 1 + 0, h_2 = 1 + h_1
array([1., 2.])
"""
from __future__ import annotations

import numpy as np

KERNELS: dict = {}


def kernel(fn):
    KERNELS[fn.__name__] = fn
    return fn


def _sigmoid(x):
    return 0.5 * np.tanh(0.5 * x) + 0.5  # as the reference sigmoid: never overflows


def _hard(slope):
    def act(x):
        return np.clip(x * slope + 0.5, 0.0, 1.0)
    return act


def _hard_slope(slope):
    def d(y):
        return np.where((y > 0) & (y < 1), slope, 0.0).astype(y.dtype)
    return d


# name: (activation, its slope written with its output y)
ACTIVATIONS = {
    "linear": (lambda x: x, np.ones_like),
    "tanh": (np.tanh, lambda y: 1 - y * y),
    "sigmoid": (_sigmoid, lambda y: y * (1 - y)),
    "relu": (lambda x: np.maximum(x, 0), lambda y: (y > 0).astype(y.dtype)),
    "hard_sigmoid": (_hard(1.0 / 6.0), _hard_slope(1.0 / 6.0)),       # Keras 3
    "hard_sigmoid_keras2": (_hard(0.2), _hard_slope(0.2)),            # Keras 1 and 2
}


def _extras(extra, masked, dropped):
    extra = list(extra)
    mask = extra.pop(0) if masked else None
    rec_mask = extra.pop(0) if dropped else None
    return mask, rec_mask


def recurrent_product(h, U, rec_mask):
    """(h * m) U, one product per gate block when there are dropout masks."""
    if rec_mask is None:
        return h @ U
    u = U.shape[0]
    return np.concatenate([(h * rec_mask[:, k]) @ U[:, k * u:(k + 1) * u]
                           for k in range(rec_mask.shape[1])], axis=-1)


def recurrent_product_grad(dz, U, rec_mask):
    """The gradient reaching h through (h * m) U, for dz of shape (B, G u)."""
    if rec_mask is None:
        return dz @ U.T
    u = U.shape[0]
    return sum((dz[:, k * u:(k + 1) * u] @ U[:, k * u:(k + 1) * u].T) * rec_mask[:, k]
               for k in range(rec_mask.shape[1]))


def _keep(mask, t):
    """(B, 1) bool: which rows take step t (all of them without a mask)."""
    return None if mask is None else mask[:, t, None]


def _split(a, n):
    return np.split(a, n, axis=-1)


# ---------------------------------------------------------------- SimpleRNN
@kernel
def simple_rnn_scan(xz, U, h0, *extra, masked, dropped, activation):
    """record[:, t] = h_t = act(xz_t + (h_{t-1} * m) U)."""
    mask, rec_mask = _extras(extra, masked, dropped)
    act, _ = ACTIVATIONS[activation]
    B, T, _ = xz.shape
    record = np.zeros((B, T, U.shape[0]), xz.dtype)
    h = h0
    for t in range(T):
        h_new = act(xz[:, t] + recurrent_product(h, U, rec_mask))
        keep = _keep(mask, t)
        h = h_new if keep is None else np.where(keep, h_new, h)
        record[:, t] = h
    return record


@kernel
def simple_rnn_scan_grad(g, record, xz, U, h0, *extra, masked, dropped, activation):
    """Rows [dh_{t-1}, dz_t], from the last step back to the first."""
    mask, rec_mask = _extras(extra, masked, dropped)
    _, slope = ACTIVATIONS[activation]
    B, T, u = record.shape
    out = np.zeros((B, T, 2 * u), xz.dtype)
    dh = np.zeros((B, u), xz.dtype)
    for t in reversed(range(T)):
        dh = dh + g[:, t]
        dz = dh * slope(record[:, t])
        dh_prev = recurrent_product_grad(dz, U, rec_mask)
        keep = _keep(mask, t)
        if keep is not None:  # a masked step passed h through untouched
            dz = np.where(keep, dz, 0)
            dh_prev = np.where(keep, dh_prev, dh)
        out[:, t] = np.concatenate([dh_prev, dz], axis=-1)
        dh = dh_prev
    return out


# ---------------------------------------------------------------- LSTM
@kernel
def lstm_scan(xz, U, h0, c0, *extra, masked, dropped, activation, recurrent_activation):
    """record[:, t] = [h, c, i, f, g, o, act(c)] after step t (gate order i, f, c, o)."""
    mask, rec_mask = _extras(extra, masked, dropped)
    act, _ = ACTIVATIONS[activation]
    ract, _ = ACTIVATIONS[recurrent_activation]
    B, T, _ = xz.shape
    u = U.shape[0]
    record = np.zeros((B, T, 7 * u), xz.dtype)
    h, c = h0, c0
    for t in range(T):
        zi, zf, zc, zo = _split(xz[:, t] + recurrent_product(h, U, rec_mask), 4)
        i, f, g, o = ract(zi), ract(zf), act(zc), ract(zo)
        c_new = f * c + i * g
        act_c = act(c_new)
        h_new = o * act_c
        rest = np.concatenate([i, f, g, o, act_c], axis=-1)
        keep = _keep(mask, t)
        if keep is not None:
            h_new, c_new = np.where(keep, h_new, h), np.where(keep, c_new, c)
            rest = np.where(keep, rest, 0)
        record[:, t] = np.concatenate([h_new, c_new, rest], axis=-1)
        h, c = h_new, c_new
    return record


@kernel
def lstm_scan_grad(g, record, xz, U, h0, c0, *extra, masked, dropped, activation,
                   recurrent_activation):
    """Rows [dh_{t-1}, dc_{t-1}, dz_i, dz_f, dz_c, dz_o], from the last step back."""
    mask, rec_mask = _extras(extra, masked, dropped)
    _, slope = ACTIVATIONS[activation]
    _, rslope = ACTIVATIONS[recurrent_activation]
    B, T, _ = record.shape
    u = U.shape[0]
    out = np.zeros((B, T, 6 * u), xz.dtype)
    dh = np.zeros((B, u), xz.dtype)
    dc = np.zeros((B, u), xz.dtype)
    for t in reversed(range(T)):
        gh, gc, gi, gf, gg, go, gact = _split(g[:, t], 7)
        _, _, i, f, gate_c, o, act_c = _split(record[:, t], 7)
        c_prev = record[:, t - 1, u:2 * u] if t > 0 else c0
        dh = dh + gh
        d_act_c = dh * o + gact
        dc_total = dc + gc + d_act_c * slope(act_c)
        dz = np.concatenate([(dc_total * gate_c + gi) * rslope(i),
                             (dc_total * c_prev + gf) * rslope(f),
                             (dc_total * i + gg) * slope(gate_c),
                             (dh * act_c + go) * rslope(o)], axis=-1)
        dh_prev = recurrent_product_grad(dz, U, rec_mask)
        dc_prev = dc_total * f
        keep = _keep(mask, t)
        if keep is not None:
            dz = np.where(keep, dz, 0)
            dh_prev = np.where(keep, dh_prev, dh)
            dc_prev = np.where(keep, dc_prev, dc + gc)
        out[:, t] = np.concatenate([dh_prev, dc_prev, dz], axis=-1)
        dh, dc = dh_prev, dc_prev
    return out


# ---------------------------------------------------------------- GRU
def _gru_rest(h_new, z, r, hh, rh, reset_after):
    return [z, r, hh, rh] if reset_after else [z, r, hh]


@kernel
def gru_scan(xz, U, b_h, h0, *extra, masked, dropped, activation, recurrent_activation,
             reset_after):
    """record[:, t] = [h, z, r, hh, rh] (reset_after) or [h, z, r, hh] (gate order z, r, h)."""
    mask, rec_mask = _extras(extra, masked, dropped)
    act, _ = ACTIVATIONS[activation]
    ract, _ = ACTIVATIONS[recurrent_activation]
    B, T, _ = xz.shape
    u = U.shape[0]
    record = np.zeros((B, T, (5 if reset_after else 4) * u), xz.dtype)
    h = h0
    for t in range(T):
        xz_z, xz_r, xz_h = _split(xz[:, t], 3)
        if reset_after:
            rz, rr, rh = _split(recurrent_product(h, U, rec_mask) + b_h, 3)
            z, r = ract(xz_z + rz), ract(xz_r + rr)
            hh = act(xz_h + r * rh)
        else:
            zr_mask = None if rec_mask is None else rec_mask[:, :2]
            rz, rr = _split(recurrent_product(h, U[:, :2 * u], zr_mask), 2)
            z, r = ract(xz_z + rz), ract(xz_r + rr)
            h_m = h if rec_mask is None else h * rec_mask[:, 2]
            hh = act(xz_h + (r * h_m) @ U[:, 2 * u:])
            rh = None
        h_new = z * h + (1 - z) * hh
        rest = np.concatenate(_gru_rest(h_new, z, r, hh, rh, reset_after), axis=-1)
        keep = _keep(mask, t)
        if keep is not None:
            h_new = np.where(keep, h_new, h)
            rest = np.where(keep, rest, 0)
        record[:, t] = np.concatenate([h_new, rest], axis=-1)
        h = h_new
    return record


@kernel
def gru_scan_grad(g, record, xz, U, b_h, h0, *extra, masked, dropped, activation,
                  recurrent_activation, reset_after):
    """Rows [dh_{t-1}, dz_z, dz_r, dz_h, drh] (reset_after) or without drh."""
    mask, rec_mask = _extras(extra, masked, dropped)
    _, slope = ACTIVATIONS[activation]
    _, rslope = ACTIVATIONS[recurrent_activation]
    B, T, _ = record.shape
    u = U.shape[0]
    n_blocks = 5 if reset_after else 4
    out = np.zeros((B, T, n_blocks * u), xz.dtype)
    dh = np.zeros((B, u), xz.dtype)
    for t in reversed(range(T)):
        blocks = _split(g[:, t], n_blocks)
        gh, gz, gr, ghh = blocks[:4]
        rec = _split(record[:, t], n_blocks)
        z, r, hh = rec[1:4]
        h_prev = record[:, t - 1, :u] if t > 0 else h0
        dh = dh + gh
        dz_pre = (dh * (h_prev - hh) + gz) * rslope(z)
        dhh_pre = (dh * (1 - z) + ghh) * slope(hh)
        if reset_after:
            rh = rec[4]
            drh = dhh_pre * r + blocks[4]
            dr_pre = (dhh_pre * rh + gr) * rslope(r)
            dh_prev = dh * z + recurrent_product_grad(
                np.concatenate([dz_pre, dr_pre, drh], axis=-1), U, rec_mask)
            row = [dz_pre, dr_pre, dhh_pre, drh]
        else:
            m_h = 1 if rec_mask is None else rec_mask[:, 2]
            d_rhm = dhh_pre @ U[:, 2 * u:].T           # gradient at r * h * m_h
            dr_pre = (d_rhm * h_prev * m_h + gr) * rslope(r)
            zr_mask = None if rec_mask is None else rec_mask[:, :2]
            dh_prev = dh * z + d_rhm * r * m_h + recurrent_product_grad(
                np.concatenate([dz_pre, dr_pre], axis=-1), U[:, :2 * u], zr_mask)
            row = [dz_pre, dr_pre, dhh_pre]
        row = np.concatenate(row, axis=-1)
        keep = _keep(mask, t)
        if keep is not None:
            row = np.where(keep, row, 0)
            dh_prev = np.where(keep, dh_prev, dh)
        out[:, t] = np.concatenate([dh_prev, row], axis=-1)
        dh = dh_prev
    return out


# ---------------------------------------------------------------- outputs
def emitting(mask, zero_output_for_mask):
    """Which steps emit their h: the real ones, or (by default) every step from the first
    real one on (a masked step repeats the previous output, which is h carried over)."""
    return mask if zero_output_for_mask else np.logical_or.accumulate(mask, axis=1)


@kernel
def rnn_output(h, mask, zero_output_for_mask):
    """h where the step emits it, 0 elsewhere."""
    return np.where(emitting(mask, zero_output_for_mask)[..., None], h, 0).astype(h.dtype)
