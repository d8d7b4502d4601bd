"""One step of each recurrent cell, written with elementary ops (Keras 3's equations).

These functions are the cells' ``call`` (what ``RNN(unroll=True)`` copies once per
timestep), and the scans' definition with elementary ops: differentiating a scan's
backward op again (second derivatives) rebuilds both passes from them
(``scan_grad_unrolled``), so the equations are written once, here.

Each step takes the projected input of the step ``xz_t`` (batch, gates*units), the
states and the recurrent kernel U, and returns a dict of the blocks named in ``RECORDS``
(the new states first). The names a scan knows (activations, gates, the blocks of its
record and of its gradient) are defined here too, below the scan ops that use them.

>>> import numpy as np, minikeras.backend as K
>>> xz = K.constant(np.zeros((1, 4)))
>>> out = lstm_step(xz, [K.constant([[1.0]]), K.constant([[2.0]])], K.constant(np.zeros((1, 4))))
>>> float(K.eval(out["c"])[0, 0])       # f c + i g with f = i = sigmoid(0), g = tanh(0)
1.0
"""
from __future__ import annotations

from collections.abc import Callable

from minikeras.ops.activations import hard_sigmoid, relu, sigmoid, tanh
from minikeras.ops.core import ShapeError, Tensor
from minikeras.ops.elementwise import clip, identity, where, zeros_like
from minikeras.ops.linalg import matmul
from minikeras.ops.reductions import sum
from minikeras.ops.shapes import concatenate, expand_dims, getitem, stack


def hard_sigmoid_keras2(x) -> Tensor:
    """Keras 1 and 2's hard sigmoid, ``clip(0.2 x + 0.5, 0, 1)`` (Keras 3's is x/6 + 0.5)."""
    return clip(x * 0.2 + 0.5, 0.0, 1.0)


# The activations a scan kernel knows by name (a layer with another one is unrolled).
ACTIVATIONS: dict[str, Callable] = {
    "linear": lambda x: x, "tanh": tanh, "sigmoid": sigmoid, "relu": relu,
    "hard_sigmoid": hard_sigmoid, "hard_sigmoid_keras2": hard_sigmoid_keras2,
}

# Number of gates (blocks of `units` columns in W and U), in Keras's order.
GATES = {"simple_rnn": ("h",), "lstm": ("i", "f", "c", "o"), "gru": ("z", "r", "h")}

# The blocks of a record, `units` wide each, in order along the last axis. The first
# ones are the states (carried through masked steps); "act_c" is activation(c).
RECORDS = {
    "simple_rnn": ("h",),
    "lstm": ("h", "c", "i", "f", "g", "o", "act_c"),
    "gru": ("h", "z", "r", "hh", "rh"),         # reset_after=True: rh = h U_h + b_h
    "gru_reset_before": ("h", "z", "r", "hh"),
}
# The blocks of a scan's gradient (what *_scan_grad returns for every step).
GRAD_RECORDS = {
    "simple_rnn": ("dh_prev", "dz"),
    "lstm": ("dh_prev", "dc_prev", "dz_i", "dz_f", "dz_c", "dz_o"),
    "gru": ("dh_prev", "dz_z", "dz_r", "dz_h", "drh"),
    "gru_reset_before": ("dh_prev", "dz_z", "dz_r", "dz_h"),
}
N_STATES = {"simple_rnn": 1, "lstm": 2, "gru": 1}


def split_extras(extra, attrs):
    """(mask, recurrent dropout mask) from the optional trailing inputs of a scan."""
    extra = list(extra)
    mask = extra.pop(0) if attrs.get("masked") else None
    rec_mask = extra.pop(0) if attrs.get("dropped") else None
    return mask, rec_mask


def masked_state(mask_t: Tensor, new: Tensor, old: Tensor) -> Tensor:
    """``new`` where the step is real (mask_t True, shape (batch,)), else ``old``."""
    return where(expand_dims(mask_t, -1), new, old)




def _cols(t: Tensor, first: int, count: int, units: int) -> Tensor:
    return getitem(t, (slice(None), slice(first * units, (first + count) * units)))


def recurrent_product(h: Tensor, U: Tensor, rec_mask=None, n_gates: int = 1) -> Tensor:
    """``(h * m) U``: one product, or one per gate block when each gate has its own
    recurrent dropout mask (rec_mask of shape (batch, n_gates, units))."""
    if rec_mask is None:
        return matmul(h, U)
    units = U.shape[0]
    return concatenate([matmul(h * getitem(rec_mask, (slice(None), k)),
                               _cols(U, k, 1, units)) for k in range(n_gates)], axis=-1)


def simple_rnn_step(xz_t, states, U, activation: Callable = ACTIVATIONS["tanh"],
                    rec_mask=None) -> dict:
    """``h = activation(xz_t + (h_prev * m) U)``."""
    (h,) = states
    return {"h": activation(xz_t + recurrent_product(h, U, rec_mask))}


def lstm_step(xz_t, states, U, activation: Callable = ACTIVATIONS["tanh"],
              recurrent_activation: Callable = ACTIVATIONS["sigmoid"], rec_mask=None) -> dict:
    """Gates i, f, c, o from ``z = xz_t + (h * m) U``; ``c = f c + i g``; ``h = o act(c)``."""
    h, c = states
    u = U.shape[0]
    z = xz_t + recurrent_product(h, U, rec_mask, 4)
    i = recurrent_activation(_cols(z, 0, 1, u))
    f = recurrent_activation(_cols(z, 1, 1, u))
    g = activation(_cols(z, 2, 1, u))
    o = recurrent_activation(_cols(z, 3, 1, u))
    c_new = f * c + i * g
    act_c = activation(c_new)
    return {"h": o * act_c, "c": c_new, "i": i, "f": f, "g": g, "o": o, "act_c": act_c}


def gru_step(xz_t, states, U, b_h=None, activation: Callable = ACTIVATIONS["tanh"],
             recurrent_activation: Callable = ACTIVATIONS["sigmoid"], reset_after=True,
             rec_mask=None) -> dict:
    """Gates z, r and the candidate hh; ``h = z h_prev + (1 - z) hh``.

    reset_after: ``rh = (h * m) U + b_h``, ``hh = act(xz_h + r * rh_h)`` (Keras 3's
    default); otherwise ``hh = act(xz_h + (r * h * m_h) U_h)``.
    """
    (h,) = states
    u = U.shape[0]
    if reset_after:
        rh = recurrent_product(h, U, rec_mask, 3)
        if b_h is not None:
            rh = rh + b_h
        z = recurrent_activation(_cols(xz_t, 0, 1, u) + _cols(rh, 0, 1, u))
        r = recurrent_activation(_cols(xz_t, 1, 1, u) + _cols(rh, 1, 1, u))
        rh_h = _cols(rh, 2, 1, u)
        hh = activation(_cols(xz_t, 2, 1, u) + r * rh_h)
        extra = {"rh": rh_h}
    else:
        zr_mask = None if rec_mask is None else getitem(rec_mask, (slice(None), slice(0, 2)))
        zr = recurrent_product(h, _cols(U, 0, 2, u), zr_mask, 2)
        z = recurrent_activation(_cols(xz_t, 0, 1, u) + _cols(zr, 0, 1, u))
        r = recurrent_activation(_cols(xz_t, 1, 1, u) + _cols(zr, 1, 1, u))
        h_m = h if rec_mask is None else h * getitem(rec_mask, (slice(None), 2))
        hh = activation(_cols(xz_t, 2, 1, u) + matmul(r * h_m, _cols(U, 2, 1, u)))
        extra = {}
    return {"h": z * h + (1.0 - z) * hh, "z": z, "r": r, "hh": hh, **extra}


# ---------------------------------------------------------------- second derivatives
def _parse(kind, d):
    """The inputs of a *_scan_grad node: (g, record, xz, U, b_h, states, mask, rec_mask)."""
    g, record, xz, U, *rest = d.inputs
    b_h = rest.pop(0) if kind == "gru" else None
    states = rest[:N_STATES[kind]]
    mask, rec_mask = split_extras(rest[N_STATES[kind]:], d.attrs)
    return g, record, xz, U, b_h, list(states), mask, rec_mask


def _step_fn(kind, attrs, U, b_h, rec_mask):
    act = ACTIVATIONS[attrs["activation"]]
    if kind == "simple_rnn":
        return lambda xz_t, s: simple_rnn_step(xz_t, s, U, act, rec_mask)
    ract = ACTIVATIONS[attrs["recurrent_activation"]]
    if kind == "lstm":
        return lambda xz_t, s: lstm_step(xz_t, s, U, act, ract, rec_mask)
    return lambda xz_t, s: gru_step(xz_t, s, U, b_h, act, ract, attrs["reset_after"],
                                    rec_mask)


def scan_grad_unrolled(kind: str, d: Tensor, q: Tensor, gradients) -> list:
    """The gradients of the inputs of ``d = {kind}_scan_grad(g, record, xz, U, ...)``.

    The forward scan is rebuilt step by step from elementary ops, its backward pass is
    taken with ``autograd.gradients`` (the adjoints of the states entering each step and
    of each step's ``xz_t``: exactly the rows ``d`` holds), and that graph is
    differentiated once more. The record input gets no gradient of its own: it is the
    forward scan of the same inputs, so its influence arrives through them.
    ``gradients`` is autograd's (which calls this rule; ops never import autograd).
    """
    g, _record, xz, U, b_h, states, mask, rec_mask = _parse(kind, d)
    steps = xz.shape[1]
    if steps is None:
        raise ShapeError(f"second derivatives through {kind}_scan need a known number of "
                         f"timesteps (give the Input a fixed time axis)")
    name = "gru_reset_before" if kind == "gru" and not d.attrs["reset_after"] else kind
    blocks, n_states = RECORDS[name], N_STATES[kind]
    step = _step_fn(kind, d.attrs, U, b_h, rec_mask)
    states0 = list(states)
    rows, entering, inputs_t, rh_nodes = [], [], [], []
    for t in range(steps):
        xz_t = getitem(xz, (slice(None), t))
        inputs_t.append(xz_t)
        # a node of its own for the states entering step t: its adjoint is the gradient
        # that comes through step t (the rows of the kernel), not also the record's own
        states = [identity(s) for s in states]
        entering.append(states)
        out = step(xz_t, states)
        new = [out[b] for b in blocks[:n_states]]
        rest = [out[b] for b in blocks[n_states:]]
        if "rh" in out:
            rh_nodes.append(out["rh"])
        if mask is not None:
            m_t = getitem(mask, (slice(None), t))
            new = [masked_state(m_t, a, b) for a, b in zip(new, states)]
            rest = [where(expand_dims(m_t, -1), r, zeros_like(r)) for r in rest]
        rows.append(concatenate(new + rest, axis=-1))
        states = new
    record = stack(rows, axis=1)
    wrt = [s for ss in entering for s in ss] + inputs_t + rh_nodes
    adj = gradients(sum(record * g), wrt)
    n = len(entering) * n_states
    d_states, d_inputs, d_rh = adj[:n], adj[n:n + steps], adj[n + steps:]
    grad_rows = []
    for t in range(steps):
        row = d_states[t * n_states:(t + 1) * n_states] + [d_inputs[t]]
        if d_rh:
            row.append(d_rh[t])
        grad_rows.append(concatenate(row, axis=-1))
    rebuilt = stack(grad_rows, axis=1)
    assert rebuilt.shape[-1] in (None, len(GRAD_RECORDS[name]) * U.shape[0])
    wanted = [g, xz, U] + ([b_h] if b_h is not None else []) + states0
    grads = gradients(sum(rebuilt * q), wanted)
    grads = dict(zip(map(id, wanted), grads))
    return [grads.get(id(t)) if t is not _record and t is not mask and t is not rec_mask
            else None for t in d.inputs]
