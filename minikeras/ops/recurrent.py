"""Recurrence ops: a whole sequence through a SimpleRNN, LSTM or GRU cell in one op.

A recurrent layer applies the same *step* at every timestep, carrying a state from one
step to the next. Written as a graph of elementary ops, T steps make T copies of the
step (an *unrolled* graph: ``RNN(unroll=True)`` builds exactly that). Here the loop is
one op instead, for each cell of the family:

* ``simple_rnn_scan``  ``h_t = act(xz_t + h_{t-1} U)``
* ``lstm_scan``        the four gates i, f, c, o (Keras's order) and the carry c
* ``gru_scan``         the gates z, r and the candidate hh, reset after or before U

The input projection ``xz = x W + b`` of every step is *not* part of the loop: it is one
matrix product for the whole sequence, made with ordinary ops before the scan
(``project_sequence``). What the loop needs at each step is one product with the
recurrent kernel U and the gate arithmetic; the kernels (``devices/*_rnn.py``) do both in
one pass per step.

What a scan returns: its *record*
---------------------------------
A scan returns one tensor of shape (batch, time, K): for every step, everything the step
computed, side by side along the last axis (``RECORDS`` below gives the blocks). The
layer slices out what it needs (the states ``h`` and ``c``); the backward pass reads the
gates from it instead of computing them again. At a masked step (mask False) the states
are carried over unchanged and every other block is 0.

Backward: another scan, and matrix products
-------------------------------------------
The gradient of a scan is one more op, ``*_scan_grad``, which runs the loop backwards in
time and returns, for every step, the gradient reaching the step's inputs: the previous
states and the gate pre-activations. Everything else is ordinary ops: the gradient of U
is ONE product ``h_prev^T dz`` over all steps, the gradients of W, b and x come through
the ops of the input projection. Differentiating a ``*_scan_grad`` once more (second
derivatives) rebuilds both passes from the step written with elementary ops: slower, but
exact, for sequences whose length is known when the graph is built.

>>> import numpy as np, minikeras.backend as K
>>> xz = K.constant(np.zeros((2, 3, 4)))            # batch 2, 3 steps, 4 units
>>> U, h0 = K.constant(np.eye(4)), K.constant(np.ones((2, 4)))
>>> record = simple_rnn_scan(xz, U, h0, activation="linear")
>>> K.eval(record)[0, :, 0]                         # h_t = h_{t-1} U = h0 at every step
array([1., 1., 1.], dtype=float32)
"""
from __future__ import annotations

from minikeras.ops.core import Op, ShapeError, Tensor, as_tensors, format_shape
from minikeras.ops.elementwise import cast
from minikeras.ops.linalg import matmul
from minikeras.ops.recurrent_steps import (
    ACTIVATIONS,
    GATES,
    GRAD_RECORDS,
    N_STATES,
    RECORDS,
    hard_sigmoid_keras2,
    masked_state,
    scan_grad_unrolled,
    split_extras,
)
from minikeras.ops.reductions import sum
from minikeras.ops.shapes import concatenate, expand_dims, getitem, reshape, stack, transpose


def _record_name(kind: str, attrs: dict) -> str:
    return "gru_reset_before" if kind == "gru" and not attrs.get("reset_after", True) \
        else kind


# ---------------------------------------------------------------- shape rules
def _check(kind, xz, U, states, b_h, extra, attrs):
    """The shapes a scan of ``kind`` accepts, with messages that name what is wrong."""
    if xz.ndim != 3:
        raise ShapeError(f"the projected inputs xz must be (batch, time, gates*units), "
                         f"got {format_shape(xz.shape)}")
    n_gates = len(GATES[kind])
    if U.ndim != 2 or (U.shape[1] is not None and U.shape[1] % n_gates):
        raise ShapeError(f"the recurrent kernel must be (units, {n_gates}*units), got "
                         f"{format_shape(U.shape)}")
    units = U.shape[0]
    if U.shape[1] is not None and units is not None and U.shape[1] != n_gates * units:
        raise ShapeError(f"the recurrent kernel must be (units, {n_gates}*units), got "
                         f"{format_shape(U.shape)}")
    if xz.shape[2] not in (None, U.shape[1]):
        raise ShapeError(f"xz has {xz.shape[2]} columns, the recurrent kernel "
                         f"{U.shape[1]}")
    for s in states:
        if s.ndim != 2 or s.shape[1] not in (None, units):
            raise ShapeError(f"each state must be (batch, {units}), got "
                             f"{format_shape(s.shape)}")
    if b_h is not None and b_h.shape != (U.shape[1],):
        raise ShapeError(f"the recurrent bias must be ({U.shape[1]},), got "
                         f"{format_shape(b_h.shape)}")
    mask, rec_mask = split_extras(extra, attrs)
    if mask is not None and (mask.ndim != 2 or mask.dtype != "bool"):
        raise ShapeError(f"the mask must be a bool (batch, time) tensor, got "
                         f"{format_shape(mask.shape)} {mask.dtype}")
    if rec_mask is not None and rec_mask.shape[1:] != (n_gates, units):
        raise ShapeError(f"the recurrent dropout mask must be (batch, {n_gates}, {units}), "
                         f"got {format_shape(rec_mask.shape)}")
    dtypes = {t.dtype for t in (xz, U, *states)}
    if len(dtypes) > 1 or not xz.dtype.startswith("float"):
        raise ShapeError(f"xz, U and the states must share one float dtype, got "
                         f"{sorted(dtypes)}")
    for name in ("activation", "recurrent_activation"):
        if name in attrs and attrs[name] not in ACTIVATIONS:
            raise ShapeError(f"{name} {attrs[name]!r} has no scan kernel; one of "
                             f"{sorted(ACTIVATIONS)}")
    return units


def _scan_infer(kind):
    n_states = N_STATES[kind]

    def infer(xz, U, *rest, **attrs):
        b_h = rest[0] if kind == "gru" else None
        states = rest[1:1 + n_states] if kind == "gru" else rest[:n_states]
        extra = rest[(1 if kind == "gru" else 0) + n_states:]
        units = _check(kind, xz, U, states, b_h, extra, attrs)
        width = None if units is None else len(RECORDS[_record_name(kind, attrs)]) * units
        batch = next((d for d in [xz.shape[0]] + [s.shape[0] for s in states]
                      if d is not None), None)
        return (batch, xz.shape[1], width), xz.dtype
    return infer


def _scan_grad_infer(kind):
    def infer(g, record, xz, U, *rest, **attrs):
        units = U.shape[0]
        width = None if units is None else len(GRAD_RECORDS[_record_name(kind, attrs)]) * units
        return (record.shape[0], record.shape[1], width), xz.dtype
    return infer


# ---------------------------------------------------------------- the backward rules
def _blocks(t: Tensor, first: int, count: int, units: int) -> Tensor:
    """Blocks first .. first+count-1 (each `units` wide) of t's last axis."""
    return getitem(t, (Ellipsis, slice(first * units, (first + count) * units)))


def _state_sequences(record, states0, units, n_states):
    """For each state: (the state entering every step) = [s0, s_0 .. s_{T-2}]."""
    prev = []
    for k, s0 in enumerate(states0[:n_states]):
        seq = _blocks(record, k, 1, units)
        prev.append(concatenate([expand_dims(s0, 1), getitem(seq, (slice(None),
                                                                  slice(None, -1)))], axis=1))
    return prev


def _flat(t: Tensor) -> Tensor:
    """(batch, time, n) -> (batch * time, n): one matrix for one product over all steps."""
    return reshape(t, (-1, t.shape[-1]))


def kernel_gradient(h_prev: Tensor, dz: Tensor, rec_mask, n_gates: int, units: int) -> Tensor:
    """dU = sum over steps of (h_{t-1} * m)^T dz_t, as one product (one per gate if each
    gate has its own recurrent dropout mask m)."""
    if rec_mask is None:
        return matmul(transpose(_flat(h_prev)), _flat(dz))
    parts = []
    for k in range(n_gates):
        masked = h_prev * expand_dims(getitem(rec_mask, (slice(None), k)), 1)
        parts.append(matmul(transpose(_flat(masked)), _flat(_blocks(dz, k, 1, units))))
    return concatenate(parts, axis=1)


def _simple_rnn_scan_grad(record, g):
    xz, U, h0, *extra = record.inputs
    attrs = record.attrs
    units = U.shape[0]
    d = simple_rnn_scan_grad(g, record, xz, U, h0, *extra, **attrs)
    _, rec_mask = split_extras(extra, attrs)
    dz = _blocks(d, 1, 1, units)
    (h_prev,) = _state_sequences(record, [h0], units, 1)
    dh0 = getitem(d, (slice(None), 0, slice(0, units)))
    return [dz, kernel_gradient(h_prev, dz, rec_mask, 1, units), dh0] + [None] * len(extra)


def _lstm_scan_grad(record, g):
    xz, U, h0, c0, *extra = record.inputs
    attrs = record.attrs
    units = U.shape[0]
    d = lstm_scan_grad(g, record, xz, U, h0, c0, *extra, **attrs)
    _, rec_mask = split_extras(extra, attrs)
    dz = _blocks(d, 2, 4, units)
    h_prev, _ = _state_sequences(record, [h0, c0], units, 2)
    first = (slice(None), 0)
    return [dz, kernel_gradient(h_prev, dz, rec_mask, 4, units),
            getitem(d, (*first, slice(0, units))),
            getitem(d, (*first, slice(units, 2 * units)))] + [None] * len(extra)


def _gru_scan_grad(record, g):
    xz, U, b_h, h0, *extra = record.inputs
    attrs = record.attrs
    units = U.shape[0]
    d = gru_scan_grad(g, record, xz, U, b_h, h0, *extra, **attrs)
    _, rec_mask = split_extras(extra, attrs)
    dxz = _blocks(d, 1, 3, units)
    (h_prev,) = _state_sequences(record, [h0], units, 1)
    dh0 = getitem(d, (slice(None), 0, slice(0, units)))
    if attrs["reset_after"]:  # rh = (h * m) U + b_h: its gradient is [dz_z, dz_r, drh]
        drz = concatenate([_blocks(d, 1, 2, units), _blocks(d, 4, 1, units)], axis=-1)
        dU = kernel_gradient(h_prev, drz, rec_mask, 3, units)
        db_h = sum(drz, axis=(0, 1))
    else:  # z, r from (h * m) U_zr; hh from (r * h * m_h) U_h
        r = _blocks(record, 2, 1, units)
        d_zr = _blocks(d, 1, 2, units)
        d_h = _blocks(d, 3, 1, units)
        zr_mask = None if rec_mask is None else getitem(rec_mask, (slice(None),
                                                                   slice(0, 2)))
        h_mask = None if rec_mask is None else getitem(rec_mask, (slice(None),
                                                                  slice(2, 3)))
        dU = concatenate([kernel_gradient(h_prev, d_zr, zr_mask, 2, units),
                          kernel_gradient(r * h_prev, d_h, h_mask, 1, units)], axis=1)
        db_h = None  # b_h is not used when the reset gate acts before U
    return [dxz, dU, db_h, dh0] + [None] * len(extra)


# ---------------------------------------------------------------- the ops
simple_rnn_scan_op = Op("simple_rnn_scan", _scan_infer("simple_rnn"), _simple_rnn_scan_grad)
lstm_scan_op = Op("lstm_scan", _scan_infer("lstm"), _lstm_scan_grad)
gru_scan_op = Op("gru_scan", _scan_infer("gru"), _gru_scan_grad)


def _second_order(kind):
    def grad(d, q, gradients):
        return scan_grad_unrolled(kind, d, q, gradients)
    grad.__doc__ = (f"Differentiate {kind}_scan_grad: rebuild both passes from the step "
                    f"written with elementary ops (see ops/recurrent_steps.py).")
    grad.takes_gradients = True  # autograd hands it its gradients()
    return grad


_SIMPLE_RNN_SCAN_GRAD = Op("simple_rnn_scan_grad", _scan_grad_infer("simple_rnn"),
                           _second_order("simple_rnn"))
_LSTM_SCAN_GRAD = Op("lstm_scan_grad", _scan_grad_infer("lstm"), _second_order("lstm"))
_GRU_SCAN_GRAD = Op("gru_scan_grad", _scan_grad_infer("gru"), _second_order("gru"))


def _extras(mask, rec_mask) -> tuple[list, dict]:
    extra, attrs = [], {"masked": mask is not None, "dropped": rec_mask is not None}
    if mask is not None:
        (mask,) = as_tensors(mask)
        extra.append(mask if mask.dtype == "bool" else cast(mask, "bool"))
    if rec_mask is not None:
        extra.extend(as_tensors(rec_mask))
    return extra, attrs


def simple_rnn_scan(xz, U, h0, mask=None, rec_mask=None, activation="tanh") -> Tensor:
    """Run ``h_t = activation(xz_t + (h_{t-1} * m) U)`` over the time axis of xz.

    Args:
        xz: (batch, time, units) projected inputs ``x W + b`` (in processing order).
        U: (units, units) recurrent kernel. h0: (batch, units) initial state.
        mask: optional bool (batch, time); False steps carry h unchanged.
        rec_mask: optional (batch, 1, units) recurrent dropout mask m.
        activation: one of ``ACTIVATIONS``.

    Returns the record (batch, time, units): h after every step.
    """
    xz, U, h0 = as_tensors(xz, U, h0)
    extra, attrs = _extras(mask, rec_mask)
    return simple_rnn_scan_op(xz, U, h0, *extra, activation=activation, **attrs)


def lstm_scan(xz, U, h0, c0, mask=None, rec_mask=None, activation="tanh",
              recurrent_activation="sigmoid") -> Tensor:
    """Run the LSTM step over the time axis of xz (gate order i, f, c, o):

    ``z = xz_t + (h * m) U``; ``i, f, o = recurrent_activation(z_i, z_f, z_o)``,
    ``g = activation(z_c)``; ``c_t = f c + i g``; ``h_t = o activation(c_t)``.

    Args:
        xz: (batch, time, 4 units); U: (units, 4 units); h0, c0: (batch, units).
        mask, rec_mask: as in ``simple_rnn_scan`` (rec_mask (batch, 4, units): one per gate).

    Returns the record (batch, time, 7 units): h, c, i, f, g, o, activation(c).
    """
    xz, U, h0, c0 = as_tensors(xz, U, h0, c0)
    extra, attrs = _extras(mask, rec_mask)
    return lstm_scan_op(xz, U, h0, c0, *extra, activation=activation,
                        recurrent_activation=recurrent_activation, **attrs)


def gru_scan(xz, U, b_h, h0, mask=None, rec_mask=None, activation="tanh",
             recurrent_activation="sigmoid", reset_after: bool = True) -> Tensor:
    """Run the GRU step over the time axis of xz (gate order z, r, h):

    ``reset_after=True``: ``rh = (h * m) U + b_h``, ``z = ra(xz_z + rh_z)``,
    ``r = ra(xz_r + rh_r)``, ``hh = a(xz_h + r rh_h)``;
    ``reset_after=False``: ``z, r`` from ``xz + (h * m) U_zr``, ``hh = a(xz_h + (r h m) U_h)``
    (b_h unused). Then ``h_t = z h + (1 - z) hh``.

    Args:
        xz: (batch, time, 3 units); U: (units, 3 units); b_h: (3 units,) recurrent bias
        (zeros when the layer has none); h0: (batch, units); mask, rec_mask as above.

    Returns the record: h, z, r, hh, rh (5 units), or h, z, r, hh when resetting before.
    """
    xz, U, b_h, h0 = as_tensors(xz, U, b_h, h0)
    extra, attrs = _extras(mask, rec_mask)
    return gru_scan_op(xz, U, b_h, h0, *extra, activation=activation,
                       recurrent_activation=recurrent_activation,
                       reset_after=bool(reset_after), **attrs)


def simple_rnn_scan_grad(g, record, xz, U, h0, *extra, **attrs) -> Tensor:
    """Backward of simple_rnn_scan: (batch, time, 2 units) = [dh_{t-1}, dz_t] per step."""
    return _SIMPLE_RNN_SCAN_GRAD(g, record, xz, U, h0, *extra, **attrs)


def lstm_scan_grad(g, record, xz, U, h0, c0, *extra, **attrs) -> Tensor:
    """Backward of lstm_scan: [dh_{t-1}, dc_{t-1}, dz_i, dz_f, dz_c, dz_o] per step."""
    return _LSTM_SCAN_GRAD(g, record, xz, U, h0, c0, *extra, **attrs)


def gru_scan_grad(g, record, xz, U, b_h, h0, *extra, **attrs) -> Tensor:
    """Backward of gru_scan: [dh_{t-1}, dz_z, dz_r, dz_h(, drh)] per step."""
    return _GRU_SCAN_GRAD(g, record, xz, U, b_h, h0, *extra, **attrs)


# ---------------------------------------------------------------- around the scan
def project_sequence(x, W, b=None) -> Tensor:
    """``x W + b`` for every step of x (batch, time, in) as ONE (batch*time, in) product."""
    (x, W) = as_tensors(x, W)
    if x.ndim == 3 and x.shape[1] is not None:
        out = reshape(matmul(reshape(x, (-1, x.shape[2])), W), (-1, x.shape[1], W.shape[1]))
    else:
        out = matmul(x, W)
    return out if b is None else out + b


def reverse_time(x) -> Tensor:
    """x with its time axis (axis 1) reversed: how go_backwards feeds a scan."""
    return getitem(x, (slice(None), slice(None, None, -1)))


def _rnn_output_infer(h, mask, zero_output_for_mask):
    fits = mask.ndim == 2 and all(a is None or b is None or a == b
                                  for a, b in zip(mask.shape, h.shape[:2]))
    if not fits or mask.dtype != "bool":
        raise ShapeError(f"the mask must be a bool {format_shape(h.shape[:2])}, got "
                         f"{format_shape(mask.shape)} {mask.dtype}")
    return h.shape, h.dtype


_RNN_OUTPUT = Op("rnn_output", _rnn_output_infer,
                 grad=lambda y, g: [rnn_output(g, y.inputs[1], y.attrs["zero_output_for_mask"]),
                                    None])


def rnn_output(h_seq, mask, zero_output_for_mask: bool = False) -> Tensor:
    """What a masked recurrent layer emits at each step, from its states h (Keras 3).

    A real step emits its h. A masked step emits the previous output (h was carried, so
    that is h again), or zeros when ``zero_output_for_mask``. Steps before the first real
    one emit zeros either way (there is no previous output yet).
    """
    h_seq, mask = as_tensors(h_seq, mask)
    if mask.dtype != "bool":
        mask = cast(mask, "bool")
    return _RNN_OUTPUT(h_seq, mask, zero_output_for_mask=bool(zero_output_for_mask))


__all__ = [
    "ACTIVATIONS",
    "GATES",
    "GRAD_RECORDS",
    "RECORDS",
    "gru_scan",
    "hard_sigmoid_keras2",
    "kernel_gradient",
    "lstm_scan",
    "masked_state",
    "project_sequence",
    "reverse_time",
    "rnn_output",
    "simple_rnn_scan",
    "stack",
]
