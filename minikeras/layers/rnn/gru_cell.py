"""GRUCell: one step of a Gated Recurrent Unit (Cho et al., 2014).

Two gates instead of the LSTM's three, and no separate cell state (Keras 3, gate order
z, r, h in the columns of the kernels):

    z = recurrent_activation(x W_z + h U_z + b)   update gate: keep how much old state
    r = recurrent_activation(x W_r + h U_r + b)   reset gate: use how much of it
    hh = activation(x W_h + r * (h U_h + b_h))    candidate (reset_after=True, default)
    hh = activation(x W_h + (r * h) U_h + b)      candidate (reset_after=False, Keras 2.x)
    h_t = z * h_{t-1} + (1 - z) * hh

(Some texts write ``(1 - z) h + z hh``: the same thing with z's meaning flipped; Keras and
PyTorch use the form above.)

>>> import numpy as np
>>> from minikeras.layers.rnn import RNN, GRUCell
>>> RNN(GRUCell(4))(np.zeros((2, 5, 3))).shape
(2, 4)
"""
from __future__ import annotations

import numpy as np

from minikeras import activations
from minikeras import backend as K
from minikeras.layers.rnn.cell import RecurrentCell, keras1_arguments
from minikeras.ops.recurrent import gru_scan
from minikeras.ops.recurrent_steps import gru_step


class GRUCell(RecurrentCell):
    """One step of a GRU layer.

    Args:
        units: size of the state (and output).
        activation: for the candidate (default ``"tanh"``).
        recurrent_activation: for the gates (default ``"sigmoid"``).
        reset_after: apply the reset gate after the recurrent product (default True,
            Keras 3 and cuDNN; False is the original formulation, Keras 2.x's default).
        use_bias, initializers, regularizers, constraints, dropout,
            recurrent_dropout, seed: as in SimpleRNNCell.

    Weights: ``kernel`` (input_dim, 3 units), ``recurrent_kernel`` (units, 3 units) in
    gate order z, r, h, and ``bias``: (2, 3 units) with reset_after (row 0 for the
    inputs, row 1 for the recurrent product), else (3 units,).

    Input shape: (batch, input_dim) for one step; states ``[(batch, units)]``.
    Output shape: (batch, units), and the new states ``[output]``.

    >>> cell = GRUCell(2)
    >>> cell.build((None, 5))
    >>> [w.shape for w in cell.weights]
    [(5, 6), (2, 6), (2, 6)]
    """

    n_gates = 3

    def __init__(self, units=None, activation="tanh", recurrent_activation="sigmoid",
                 reset_after=True, **kwargs):
        kwargs = keras1_arguments(dict(kwargs, units=units) if units is not None else kwargs)
        recurrent_activation = kwargs.pop("recurrent_activation", recurrent_activation)
        super().__init__(activation=activation, **kwargs)
        self.recurrent_activation = activations.get(recurrent_activation)
        self.reset_after = bool(reset_after)

    def bias_shape(self) -> tuple:
        return (2, 3 * self.units) if self.reset_after else (3 * self.units,)

    def _biases(self):
        """(input bias or None, recurrent bias or None)."""
        if self.bias is None:
            return None, None
        if self.reset_after:
            return self.bias[0], self.bias[1]
        return self.bias, None

    def call(self, inputs, states, training=None):
        h = states[0] if isinstance(states, (list, tuple)) else states
        b_x, b_h = self._biases()
        xz = self.project(inputs, self.kernel, b_x, sequence=False)
        _, rec_mask = self.dropout_masks()
        out = gru_step(xz, [h], self.recurrent_kernel, b_h, self.activation,
                       self.recurrent_activation, self.reset_after, rec_mask)
        return out["h"], [out["h"]]

    def sequence(self, inputs, states, mask=None):
        """The whole sequence as one scan: (h of every step, [h_T])."""
        b_x, b_h = self._biases()
        xz = self.project(inputs, self.kernel, b_x, sequence=True)
        if b_h is None:  # the scan always takes one; no bias means zeros
            b_h = K.constant(np.zeros(3 * self.units), dtype=self.dtype)
        _, rec_mask = self.dropout_masks()
        record = gru_scan(xz, self.recurrent_kernel, b_h, states[0], mask, rec_mask,
                          reset_after=self.reset_after, **self.activation_names())
        h_seq = record[..., :self.units]
        return h_seq, [h_seq[:, -1]]

    def get_config(self) -> dict:
        return {**super().get_config(),
                "recurrent_activation": activations.serialize(self.recurrent_activation),
                "reset_after": self.reset_after}
