"""CUDA kernels of the recurrence ops (numba.cuda): one launch per timestep.

Steps depend on each other, so the GPU runs a sequence one step after the other; within a
step every (sample, unit) pair gets a thread. Each launch is *fused*: a thread computes
its unit's share of the recurrent product (a dot product with a column of U, per gate)
and then the gate arithmetic, so no separate matrix-product launch and no intermediate
array are needed. The states live in two buffers that swap roles at every step (threads
of step t read h_{t-1} while others write h_t).

The backward kernels fuse the other way round: the launch for step t first finishes the
gradient reaching h_t from step t+1 (a dot product of step t+1's gate gradients with a
row of U), then does step t's gate arithmetic. One more launch after the loop finishes
the gradient of the initial state. (GRU with ``reset_after=False`` needs two launches per
step either way: its candidate uses the reset gate of every unit of the row.)

Same inputs, outputs and meaning as ``reference_rnn.py``; the per-element rules come
from ``scalar_rnn.py``. On the simulator (``NUMBA_ENABLE_CUDASIM=1``) every thread is a
Python thread, so the tests use tiny sequences.
"""
from __future__ import annotations

import numpy as np

from minikeras.devices import reference_rnn as ref
from minikeras.devices import scalar_rnn
from minikeras.devices.cuda import THREADS, cuda, to_device, to_host  # noqa: F401

_act = cuda.jit(device=True)(scalar_rnn.activation)
_slope = cuda.jit(device=True)(scalar_rnn.slope)
CODES = scalar_rnn.CODES


@cuda.jit(device=True)
def _dot_column(h, b, U, col, rec, dropped, gate):
    """sum_i (h[b, i] * m[b, gate, i]) U[i, col]: one unit's share of (h * m) U."""
    acc = h[b, 0] * 0
    for i in range(U.shape[0]):
        v = h[b, i]
        if dropped:
            v = v * rec[b, gate, i]
        acc += v * U[i, col]
    return acc


@cuda.jit(device=True)
def _dot_row(dz, b, U, i, first, count, rec, dropped):
    """sum over gates k in [first, first + count) of m[b, k, i] sum_j dz[b, (k - first) u
    + j] U[i, k u + j]: the gradient reaching h[b, i] through (h * m) U."""
    u = U.shape[0]
    total = dz[b, 0] * 0
    for k in range(first, first + count):
        acc = dz[b, 0] * 0
        for j in range(u):
            acc += dz[b, (k - first) * u + j] * U[i, k * u + j]
        if dropped:
            acc = acc * rec[b, k, i]
        total += acc
    return total


def _real(mask, masked, b, t):
    return not masked or mask[b, t]


_real = cuda.jit(device=True)(_real)


# ---------------------------------------------------------------- forward steps
@cuda.jit
def _simple_step(xz, t, U, h_in, h_out, mask, masked, rec, dropped, act, record, zero,
                 half, one):
    n = cuda.grid(1)
    u = U.shape[0]
    if n >= h_in.shape[0] * u:
        return
    b, j = n // u, n % u
    h = h_in[b, j]
    if _real(mask, masked, b, t):
        h = _act(act, xz[b, t, j] + _dot_column(h_in, b, U, j, rec, dropped, 0), zero,
                 half, one)
    h_out[b, j] = h
    record[b, t, j] = h


@cuda.jit
def _lstm_step(xz, t, U, h_in, c_in, h_out, c_out, mask, masked, rec, dropped, act, ract,
               record, zero, half, one):
    n = cuda.grid(1)
    u = U.shape[0]
    if n >= h_in.shape[0] * u:
        return
    b, j = n // u, n % u
    h, c = h_in[b, j], c_in[b, j]
    i = f = g = o = act_c = zero
    if _real(mask, masked, b, t):
        z_i = xz[b, t, j] + _dot_column(h_in, b, U, j, rec, dropped, 0)
        z_f = xz[b, t, u + j] + _dot_column(h_in, b, U, u + j, rec, dropped, 1)
        z_c = xz[b, t, 2 * u + j] + _dot_column(h_in, b, U, 2 * u + j, rec, dropped, 2)
        z_o = xz[b, t, 3 * u + j] + _dot_column(h_in, b, U, 3 * u + j, rec, dropped, 3)
        i = _act(ract, z_i, zero, half, one)
        f = _act(ract, z_f, zero, half, one)
        g = _act(act, z_c, zero, half, one)
        o = _act(ract, z_o, zero, half, one)
        c = f * c + i * g
        act_c = _act(act, c, zero, half, one)
        h = o * act_c
    h_out[b, j] = h
    c_out[b, j] = c
    record[b, t, j] = h
    record[b, t, u + j] = c
    record[b, t, 2 * u + j] = i
    record[b, t, 3 * u + j] = f
    record[b, t, 4 * u + j] = g
    record[b, t, 5 * u + j] = o
    record[b, t, 6 * u + j] = act_c


@cuda.jit
def _gru_step(xz, t, U, b_h, h_in, h_out, mask, masked, rec, dropped, act, ract, record,
              zero, half, one):
    """reset_after=True: one launch per step."""
    n = cuda.grid(1)
    u = U.shape[0]
    if n >= h_in.shape[0] * u:
        return
    b, j = n // u, n % u
    h = h_in[b, j]
    z = r = hh = rh = zero
    if _real(mask, masked, b, t):
        rz = b_h[j] + _dot_column(h_in, b, U, j, rec, dropped, 0)
        rr = b_h[u + j] + _dot_column(h_in, b, U, u + j, rec, dropped, 1)
        rh = b_h[2 * u + j] + _dot_column(h_in, b, U, 2 * u + j, rec, dropped, 2)
        z = _act(ract, xz[b, t, j] + rz, zero, half, one)
        r = _act(ract, xz[b, t, u + j] + rr, zero, half, one)
        hh = _act(act, xz[b, t, 2 * u + j] + r * rh, zero, half, one)
        h = z * h + (one - z) * hh
    h_out[b, j] = h
    record[b, t, j] = h
    record[b, t, u + j] = z
    record[b, t, 2 * u + j] = r
    record[b, t, 3 * u + j] = hh
    record[b, t, 4 * u + j] = rh


@cuda.jit
def _gru_gates_before(xz, t, U, h_in, mask, masked, rec, dropped, ract, record, rh_m, zero,
                      half, one):
    """reset_after=False, first launch: z and r, and r * h * m_h for the candidate."""
    n = cuda.grid(1)
    u = U.shape[0]
    if n >= h_in.shape[0] * u:
        return
    b, j = n // u, n % u
    z = r = zero
    if _real(mask, masked, b, t):
        z = _act(ract, xz[b, t, j] + _dot_column(h_in, b, U, j, rec, dropped, 0), zero,
                 half, one)
        r = _act(ract, xz[b, t, u + j] + _dot_column(h_in, b, U, u + j, rec, dropped, 1),
                 zero, half, one)
    record[b, t, u + j] = z
    record[b, t, 2 * u + j] = r
    m_h = rec[b, 2, j] if dropped else one
    rh_m[b, j] = r * h_in[b, j] * m_h


@cuda.jit
def _gru_candidate_before(xz, t, U, h_in, h_out, mask, masked, act, record, rh_m, zero,
                          half, one):
    """reset_after=False, second launch: hh = act(xz_h + (r h m_h) U_h) and the new h."""
    n = cuda.grid(1)
    u = U.shape[0]
    if n >= h_in.shape[0] * u:
        return
    b, j = n // u, n % u
    h, hh = h_in[b, j], zero
    if _real(mask, masked, b, t):
        acc = zero
        for i in range(u):
            acc += rh_m[b, i] * U[i, 2 * u + j]
        hh = _act(act, xz[b, t, 2 * u + j] + acc, zero, half, one)
        z = record[b, t, u + j]
        h = z * h + (one - z) * hh
    h_out[b, j] = h
    record[b, t, j] = h
    record[b, t, 3 * u + j] = hh


# ---------------------------------------------------------------- backward steps
@cuda.jit
def _simple_back(g, record, t, U, mask, masked, rec, dropped, act, dz_next, dz_cur, dh_carry,
                 out, zero, one):
    n = cuda.grid(1)
    B, T, u = record.shape
    if n >= B * u:
        return
    b, i = n // u, n % u
    inc = zero
    if t + 1 < T:  # finish the gradient at h_t: step t+1's dh_prev
        if _real(mask, masked, b, t + 1):
            inc = _dot_row(dz_next, b, U, i, 0, 1, rec, dropped)
        else:
            inc = dh_carry[b, i]
        out[b, t + 1, i] = inc
    if t < 0:
        return
    dh = inc + g[b, t, i]
    dh_carry[b, i] = dh
    d = dh * _slope(act, record[b, t, i], zero, one) if _real(mask, masked, b, t) else zero
    dz_cur[b, i] = d
    out[b, t, u + i] = d


@cuda.jit
def _lstm_back(g, record, t, U, c0, mask, masked, rec, dropped, act, ract, dz_next, dz_cur,
               dh_carry, dc_carry, out, zero, one):
    n = cuda.grid(1)
    B, T, _ = record.shape
    u = U.shape[0]
    if n >= B * u:
        return
    b, j = n // u, n % u
    inc = zero
    if t + 1 < T:
        if _real(mask, masked, b, t + 1):
            inc = _dot_row(dz_next, b, U, j, 0, 4, rec, dropped)
        else:
            inc = dh_carry[b, j]
        out[b, t + 1, j] = inc
    if t < 0:
        return
    dh = inc + g[b, t, j]
    dc = dc_carry[b, j] + g[b, t, u + j]
    dh_carry[b, j] = dh
    dz_i = dz_f = dz_c = dz_o = zero
    if _real(mask, masked, b, t):
        i, f = record[b, t, 2 * u + j], record[b, t, 3 * u + j]
        gate, o, act_c = record[b, t, 4 * u + j], record[b, t, 5 * u + j], record[b, t, 6 * u + j]
        c_prev = record[b, t - 1, u + j] if t > 0 else c0[b, j]
        dct = dc + (dh * o + g[b, t, 6 * u + j]) * _slope(act, act_c, zero, one)
        dz_i = (dct * gate + g[b, t, 2 * u + j]) * _slope(ract, i, zero, one)
        dz_f = (dct * c_prev + g[b, t, 3 * u + j]) * _slope(ract, f, zero, one)
        dz_c = (dct * i + g[b, t, 4 * u + j]) * _slope(act, gate, zero, one)
        dz_o = (dh * act_c + g[b, t, 5 * u + j]) * _slope(ract, o, zero, one)
        dc = dct * f
    dc_carry[b, j] = dc
    out[b, t, u + j] = dc
    dz_cur[b, j] = dz_i
    dz_cur[b, u + j] = dz_f
    dz_cur[b, 2 * u + j] = dz_c
    dz_cur[b, 3 * u + j] = dz_o
    out[b, t, 2 * u + j] = dz_i
    out[b, t, 3 * u + j] = dz_f
    out[b, t, 4 * u + j] = dz_c
    out[b, t, 5 * u + j] = dz_o


@cuda.jit
def _gru_back(g, record, t, U, h0, mask, masked, rec, dropped, act, ract, drz_next, drz_cur,
              dh_carry, out, zero, one):
    """reset_after=True."""
    n = cuda.grid(1)
    B, T, _ = record.shape
    u = U.shape[0]
    if n >= B * u:
        return
    b, j = n // u, n % u
    inc = zero
    if t + 1 < T:
        if _real(mask, masked, b, t + 1):
            inc = dh_carry[b, j] * record[b, t + 1, u + j] + \
                _dot_row(drz_next, b, U, j, 0, 3, rec, dropped)
        else:
            inc = dh_carry[b, j]
        out[b, t + 1, j] = inc
    if t < 0:
        return
    dh = inc + g[b, t, j]
    dh_carry[b, j] = dh
    dz_pre = dr_pre = dhh_pre = drh = zero
    if _real(mask, masked, b, t):
        z, r = record[b, t, u + j], record[b, t, 2 * u + j]
        hh, rh = record[b, t, 3 * u + j], record[b, t, 4 * u + j]
        h_prev = record[b, t - 1, j] if t > 0 else h0[b, j]
        dz_pre = (dh * (h_prev - hh) + g[b, t, u + j]) * _slope(ract, z, zero, one)
        dhh_pre = (dh * (one - z) + g[b, t, 3 * u + j]) * _slope(act, hh, zero, one)
        drh = dhh_pre * r + g[b, t, 4 * u + j]
        dr_pre = (dhh_pre * rh + g[b, t, 2 * u + j]) * _slope(ract, r, zero, one)
    drz_cur[b, j] = dz_pre
    drz_cur[b, u + j] = dr_pre
    drz_cur[b, 2 * u + j] = drh
    out[b, t, u + j] = dz_pre
    out[b, t, 2 * u + j] = dr_pre
    out[b, t, 3 * u + j] = dhh_pre
    out[b, t, 4 * u + j] = drh


@cuda.jit
def _gru_back_before(g, record, t, U, h0, mask, masked, rec, dropped, act, ract, dzr_next,
                     d_rhm, dzr_cur, dhh_cur, dh_carry, out, zero, one):
    """reset_after=False, first launch of step t: dh_t, dz_z and the candidate's dhh."""
    n = cuda.grid(1)
    B, T, _ = record.shape
    u = U.shape[0]
    if n >= B * u:
        return
    b, j = n // u, n % u
    inc = zero
    if t + 1 < T:
        if _real(mask, masked, b, t + 1):
            m_h = rec[b, 2, j] if dropped else one
            inc = dh_carry[b, j] * record[b, t + 1, u + j] + \
                d_rhm[b, j] * record[b, t + 1, 2 * u + j] * m_h + \
                _dot_row(dzr_next, b, U, j, 0, 2, rec, dropped)
        else:
            inc = dh_carry[b, j]
        out[b, t + 1, j] = inc
    if t < 0:
        return
    dh = inc + g[b, t, j]
    dh_carry[b, j] = dh
    dz_pre = dhh_pre = zero
    if _real(mask, masked, b, t):
        z, hh = record[b, t, u + j], record[b, t, 3 * u + j]
        h_prev = record[b, t - 1, j] if t > 0 else h0[b, j]
        dz_pre = (dh * (h_prev - hh) + g[b, t, u + j]) * _slope(ract, z, zero, one)
        dhh_pre = (dh * (one - z) + g[b, t, 3 * u + j]) * _slope(act, hh, zero, one)
    dzr_cur[b, j] = dz_pre
    dhh_cur[b, j] = dhh_pre
    out[b, t, u + j] = dz_pre
    out[b, t, 3 * u + j] = dhh_pre


@cuda.jit
def _gru_back_reset(g, record, t, U, h0, mask, masked, rec, dropped, ract, dhh_cur, d_rhm,
                    dzr_cur, out, zero, one):
    """reset_after=False, second launch: d(r h m_h) = dhh U_h^T, then dz_r."""
    n = cuda.grid(1)
    B = record.shape[0]
    u = U.shape[0]
    if n >= B * u:
        return
    b, i = n // u, n % u
    acc = zero
    for j in range(u):
        acc += dhh_cur[b, j] * U[i, 2 * u + j]
    d_rhm[b, i] = acc
    dr_pre = zero
    if _real(mask, masked, b, t):
        m_h = rec[b, 2, i] if dropped else one
        h_prev = record[b, t - 1, i] if t > 0 else h0[b, i]
        dr_pre = (acc * h_prev * m_h + g[b, t, 2 * u + i]) * \
            _slope(ract, record[b, t, 2 * u + i], zero, one)
    dzr_cur[b, u + i] = dr_pre
    out[b, t, 2 * u + i] = dr_pre


@cuda.jit
def _rnn_output(h, mask, zero_output_for_mask, out):
    n = cuda.grid(1)
    B, T, u = h.shape
    if n >= B * T * u:
        return
    b, t, j = n // (T * u), (n // u) % T, n % u
    emit = mask[b, t]
    if not zero_output_for_mask:
        for s in range(t + 1):
            emit = emit or mask[b, s]
    out[b, t, j] = h[b, t, j] if emit else h[b, t, j] * 0


# ---------------------------------------------------------------- host side
def _launch(kernel, n, *args):
    if n > 0:
        threads = min(THREADS, n)
        kernel[(n + threads - 1) // threads, threads](*args)


def _constants(dtype):
    t = np.dtype(dtype).type
    return t(0.0), t(0.5), t(1.0)


def _prepare(arrays, extra, masked, dropped, n_gates, units):
    """Inputs on the device; stand-ins for an absent mask or dropout mask."""
    arrays = [to_device(a) for a in arrays]
    mask, rec = ref._extras(extra, masked, dropped)
    dtype = arrays[0].dtype
    mask = to_device(mask) if masked else cuda.to_device(np.ones((1, 1), bool))
    rec = to_device(rec) if dropped else cuda.to_device(np.ones((1, n_gates, units), dtype))
    return arrays, mask, rec


def _zeros(shape, dtype):
    return cuda.to_device(np.zeros(shape, dtype))


def simple_rnn_scan(xz, U, h0, *extra, masked, dropped, activation):
    """As reference_rnn.simple_rnn_scan: one fused launch per step."""
    (xz, U, h0), mask, rec = _prepare([xz, U, h0], extra, masked, dropped, 1, U.shape[0])
    B, T, _ = xz.shape
    u = U.shape[0]
    record = cuda.device_array((B, T, u), xz.dtype)
    states = [cuda.device_array((B, u), xz.dtype) for _ in range(2)]
    h = h0
    for t in range(T):
        _launch(_simple_step, B * u, xz, t, U, h, states[t % 2], mask, masked, rec, dropped,
                CODES[activation], record, *_constants(xz.dtype))
        h = states[t % 2]
    return record


def simple_rnn_scan_grad(g, record, xz, U, h0, *extra, masked, dropped, activation):
    """As reference_rnn.simple_rnn_scan_grad: one fused launch per step, and one more."""
    (g, record, U, h0), mask, rec = _prepare([g, record, U, h0], extra, masked, dropped, 1,
                                             U.shape[0])
    B, T, u = record.shape
    out = cuda.device_array((B, T, 2 * u), g.dtype)
    dz = [_zeros((B, u), g.dtype) for _ in range(2)]
    dh_carry = _zeros((B, u), g.dtype)
    zero, _, one = _constants(g.dtype)
    for t in range(T - 1, -2, -1):
        _launch(_simple_back, B * u, g, record, t, U, mask, masked, rec, dropped,
                CODES[activation], dz[(t + 1) % 2], dz[t % 2], dh_carry, out, zero, one)
    return out


def lstm_scan(xz, U, h0, c0, *extra, masked, dropped, activation, recurrent_activation):
    """As reference_rnn.lstm_scan: one fused launch per step."""
    (xz, U, h0, c0), mask, rec = _prepare([xz, U, h0, c0], extra, masked, dropped, 4,
                                          U.shape[0])
    B, T, _ = xz.shape
    u = U.shape[0]
    record = cuda.device_array((B, T, 7 * u), xz.dtype)
    hs = [cuda.device_array((B, u), xz.dtype) for _ in range(2)]
    cs = [cuda.device_array((B, u), xz.dtype) for _ in range(2)]
    h, c = h0, c0
    for t in range(T):
        _launch(_lstm_step, B * u, xz, t, U, h, c, hs[t % 2], cs[t % 2], mask, masked, rec,
                dropped, CODES[activation], CODES[recurrent_activation], record,
                *_constants(xz.dtype))
        h, c = hs[t % 2], cs[t % 2]
    return record


def lstm_scan_grad(g, record, xz, U, h0, c0, *extra, masked, dropped, activation,
                   recurrent_activation):
    """As reference_rnn.lstm_scan_grad: one fused launch per step, and one more."""
    (g, record, U, c0), mask, rec = _prepare([g, record, U, c0], extra, masked, dropped, 4,
                                             U.shape[0])
    B, T, _ = record.shape
    u = U.shape[0]
    out = cuda.device_array((B, T, 6 * u), g.dtype)
    dz = [_zeros((B, 4 * u), g.dtype) for _ in range(2)]
    dh_carry, dc_carry = _zeros((B, u), g.dtype), _zeros((B, u), g.dtype)
    zero, _, one = _constants(g.dtype)
    for t in range(T - 1, -2, -1):
        _launch(_lstm_back, B * u, g, record, t, U, c0, mask, masked, rec, dropped,
                CODES[activation], CODES[recurrent_activation], dz[(t + 1) % 2], dz[t % 2],
                dh_carry, dc_carry, out, zero, one)
    return out


def gru_scan(xz, U, b_h, h0, *extra, masked, dropped, activation, recurrent_activation,
             reset_after):
    """As reference_rnn.gru_scan: one fused launch per step (two resetting before)."""
    (xz, U, b_h, h0), mask, rec = _prepare([xz, U, b_h, h0], extra, masked, dropped, 3,
                                           U.shape[0])
    B, T, _ = xz.shape
    u = U.shape[0]
    record = cuda.device_array((B, T, (5 if reset_after else 4) * u), xz.dtype)
    hs = [cuda.device_array((B, u), xz.dtype) for _ in range(2)]
    rh_m = cuda.device_array((B, u), xz.dtype)
    act, ract = CODES[activation], CODES[recurrent_activation]
    consts = _constants(xz.dtype)
    h = h0
    for t in range(T):
        if reset_after:
            _launch(_gru_step, B * u, xz, t, U, b_h, h, hs[t % 2], mask, masked, rec, dropped,
                    act, ract, record, *consts)
        else:
            _launch(_gru_gates_before, B * u, xz, t, U, h, mask, masked, rec, dropped, ract,
                    record, rh_m, *consts)
            _launch(_gru_candidate_before, B * u, xz, t, U, h, hs[t % 2], mask, masked, act,
                    record, rh_m, *consts)
        h = hs[t % 2]
    return record


def gru_scan_grad(g, record, xz, U, b_h, h0, *extra, masked, dropped, activation,
                  recurrent_activation, reset_after):
    """As reference_rnn.gru_scan_grad."""
    (g, record, U, h0), mask, rec = _prepare([g, record, U, h0], extra, masked, dropped, 3,
                                             U.shape[0])
    B, T, _ = record.shape
    u = U.shape[0]
    out = cuda.device_array((B, T, (5 if reset_after else 4) * u), g.dtype)
    act, ract = CODES[activation], CODES[recurrent_activation]
    zero, _, one = _constants(g.dtype)
    dh_carry = _zeros((B, u), g.dtype)
    if reset_after:
        drz = [_zeros((B, 3 * u), g.dtype) for _ in range(2)]
        for t in range(T - 1, -2, -1):
            _launch(_gru_back, B * u, g, record, t, U, h0, mask, masked, rec, dropped, act,
                    ract, drz[(t + 1) % 2], drz[t % 2], dh_carry, out, zero, one)
        return out
    dzr = [_zeros((B, 2 * u), g.dtype) for _ in range(2)]
    d_rhm, dhh = _zeros((B, u), g.dtype), _zeros((B, u), g.dtype)
    for t in range(T - 1, -2, -1):
        _launch(_gru_back_before, B * u, g, record, t, U, h0, mask, masked, rec, dropped, act,
                ract, dzr[(t + 1) % 2], d_rhm, dzr[t % 2], dhh, dh_carry, out, zero, one)
        if t >= 0:
            _launch(_gru_back_reset, B * u, g, record, t, U, h0, mask, masked, rec, dropped,
                    ract, dhh, d_rhm, dzr[t % 2], out, zero, one)
    return out


def rnn_output(h, mask, zero_output_for_mask):
    """As reference_rnn.rnn_output."""
    h, mask = to_device(h), to_device(mask)
    out = cuda.device_array(h.shape, h.dtype)
    _launch(_rnn_output, h.size, h, mask, bool(zero_output_for_mask), out)
    return out


KERNELS = {fn.__name__: fn for fn in (simple_rnn_scan, simple_rnn_scan_grad, lstm_scan,
                                      lstm_scan_grad, gru_scan, gru_scan_grad, rnn_output)}
