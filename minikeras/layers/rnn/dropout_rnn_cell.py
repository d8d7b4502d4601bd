"""Dropout in a recurrent cell: masks drawn once per layer call, the same at every step.

Dropping different units at every timestep would inject noise into the state at every
step and wash the memory out. Gal and Ghahramani (2016) drop the *same* units at every
step of a sequence instead ("variational" dropout), and so do Keras's cells:

* the RNN layer asks its cell for its masks once, before the loop over time
  (``make_dropout_masks``), and forgets them after (``reset_dropout_masks``);
* the input mask multiplies the step's input x_t, the recurrent mask multiplies the
  previous state h_{t-1} before the recurrent kernel; both are inverted-dropout masks,
  holding 0 or 1 / (1 - rate);
* with ``recurrent_dropout`` > 0, LSTM and GRU draw one mask per gate (Keras's
  "implementation 1"), for the input too; otherwise one input mask serves every gate.

Masks are used when ``training`` is True (``fit``); with ``training=None`` (a graph
built outside ``fit``) the learning phase decides, as in Keras 2.

>>> import minikeras.backend as K
>>> from minikeras.layers.rnn import LSTMCell
>>> cell = LSTMCell(3, dropout=0.5, recurrent_dropout=0.5)
>>> cell.make_dropout_masks(K.ones((2, 4)), K.ones((2, 3)), training=True)
>>> len(cell.input_masks), cell.recurrent_mask.shape     # one per gate: i, f, c, o
(4, (2, 4, 3))
"""
from __future__ import annotations

from minikeras import backend as K
from minikeras import ops
from minikeras.ops.recurrent import project_sequence


class DropoutRNNCell:
    """Mixin for cells with ``dropout`` and ``recurrent_dropout`` (and ``seed``).

    A cell sets ``n_gates`` and says whether it draws a mask per gate
    (``per_gate_masks``)."""

    n_gates = 1

    @property
    def per_gate_masks(self) -> bool:
        return self.n_gates > 1 and self.recurrent_dropout > 0

    def _active(self, rate: float) -> bool:
        return 0.0 < rate < 1.0

    def _draw(self, like, rate, count, training, offset):
        """``count`` masks shaped like ``like``: 0 or 1 / (1 - rate), fixed for the call."""
        keep = 1.0 - rate
        masks = []
        for k in range(count):
            seed = None if self.seed is None else int(self.seed) + offset + k
            mask = ops.bernoulli_like(like, keep, seed, value=1.0 / keep)
            if training is None:  # decided when the graph runs: ones at test time
                mask = K.in_train_phase(mask, ops.ones_like(like))
            masks.append(mask)
        return masks

    def make_dropout_masks(self, step_input, state, training) -> None:
        """Draw this call's masks: for the step input (batch, in) and the state (batch, u)."""
        self.input_masks, self.recurrent_mask = None, None
        if training is False:
            return
        count = self.n_gates if self.per_gate_masks else 1
        if self._active(self.dropout):
            self.input_masks = self._draw(step_input, self.dropout, count, training, 0)
        if self._active(self.recurrent_dropout):
            masks = self._draw(state, self.recurrent_dropout, self.n_gates, training, 100)
            self.recurrent_mask = ops.stack(masks, axis=1)  # (batch, n_gates, units)

    def reset_dropout_masks(self) -> None:
        self.input_masks, self.recurrent_mask = None, None

    def dropout_masks(self):
        """(input masks or None, recurrent mask or None) of the current call."""
        return getattr(self, "input_masks", None), getattr(self, "recurrent_mask", None)

    # ---- using the input masks: the projection x W + b, per gate when masks differ
    def project(self, x, kernel, bias, sequence: bool):
        """``(x * m) W + b``: x is one step (batch, in) or a whole sequence (batch, time,
        in), projected by ONE product (or one per gate when each gate has its own mask)."""
        masks, _ = self.dropout_masks()

        def product(x_part, w, b):
            if sequence:
                return project_sequence(x_part, w, b)
            out = ops.matmul(x_part, w)
            return out if b is None else out + b

        def expand(m):
            return ops.expand_dims(m, 1) if sequence else m

        if masks is None:
            return product(x, kernel, bias)
        if len(masks) == 1:
            return product(x * expand(masks[0]), kernel, bias)
        units = kernel.shape[1] // len(masks)
        parts = []
        for k, m in enumerate(masks):
            cols = (slice(None), slice(k * units, (k + 1) * units))
            parts.append(product(x * expand(m), kernel[cols],
                                 None if bias is None else bias[cols[1]]))
        return ops.concatenate(parts, axis=-1)
