"""LSTMCell: one step of a Long Short-Term Memory (Hochreiter and Schmidhuber, 1997).

Besides its output ``h`` an LSTM carries a *cell state* ``c``, changed only by gated
additions, so information (and gradient) can travel many steps. Three gates in (0, 1),
computed from the step's input and the previous output, decide what happens (Keras 3,
gate order i, f, c, o in the columns of the kernels):

    z = x_t W + h_{t-1} U + b                     (batch, 4 units)
    i = recurrent_activation(z_i)                 input gate: how much new to write
    f = recurrent_activation(z_f)                 forget gate: how much old to keep
    g = activation(z_c)                           the candidate values
    o = recurrent_activation(z_o)                 output gate: how much to show
    c_t = f * c_{t-1} + i * g
    h_t = o * activation(c_t)

>>> import numpy as np
>>> from minikeras.layers.rnn import RNN, LSTMCell
>>> RNN(LSTMCell(4), return_state=True)(np.zeros((2, 5, 3)))[2].shape   # c_T
(2, 4)
"""
from __future__ import annotations

import numpy as np

from minikeras import activations
from minikeras.layers.rnn.cell import RecurrentCell, keras1_arguments
from minikeras.ops.recurrent import lstm_scan
from minikeras.ops.recurrent_steps import lstm_step


class UnitForgetBias:
    """The LSTM bias initializer with ``unit_forget_bias``: ones for the forget gate,
    the given initializer elsewhere (Jozefowicz et al., 2015)."""

    def __init__(self, initializer, units: int):
        self.initializer, self.units = initializer, units

    def __call__(self, shape, dtype=None):
        u = self.units
        return np.concatenate([np.asarray(self.initializer((u,), dtype=dtype)),
                               np.ones(u), np.asarray(self.initializer((2 * u,), dtype=dtype))])


class LSTMCell(RecurrentCell):
    """One step of an LSTM layer.

    Args:
        units: size of the output h and of the cell state c.
        activation: for the candidate and the cell state (default ``"tanh"``).
        recurrent_activation: for the gates (default ``"sigmoid"``; Keras 1 and
            Keras <= 2.2 used ``hard_sigmoid``, whose Keras 1/2 form is called
            ``"hard_sigmoid_keras2"`` here; ``"hard_sigmoid"`` is Keras 3's).
        unit_forget_bias: start the forget gate's bias at 1 (default True).
        use_bias, initializers, regularizers, constraints, dropout,
            recurrent_dropout, seed: as in SimpleRNNCell. With recurrent_dropout > 0
            each gate gets its own masks (Keras's implementation 1).

    Weights: ``kernel`` (input_dim, 4 units), ``recurrent_kernel`` (units, 4 units),
    ``bias`` (4 units,), gate order i, f, c, o.

    Input shape: (batch, input_dim) for one step; states ``[h, c]``, each (batch, units).
    Output shape: (batch, units), and the new states ``[h, c]``.

    >>> cell = LSTMCell(3)
    >>> cell.build((None, 2))
    >>> [w.shape for w in cell.weights], cell.get_weights()[2][3:6]
    ([(2, 12), (3, 12), (12,)], array([1., 1., 1.], dtype=float32))
    """

    n_gates = 4

    def __init__(self, units=None, activation="tanh", recurrent_activation="sigmoid",
                 unit_forget_bias=True, **kwargs):
        kwargs = keras1_arguments(dict(kwargs, units=units) if units is not None else kwargs)
        recurrent_activation = kwargs.pop("recurrent_activation", recurrent_activation)
        unit_forget_bias = kwargs.pop("unit_forget_bias", unit_forget_bias)
        super().__init__(activation=activation, **kwargs)
        self.recurrent_activation = activations.get(recurrent_activation)
        self.unit_forget_bias = bool(unit_forget_bias)

    @property
    def state_size(self):
        return [self.units, self.units]

    def bias_initializer_for_build(self):
        if self.unit_forget_bias:
            return UnitForgetBias(self.bias_initializer, self.units)
        return self.bias_initializer

    def call(self, inputs, states, training=None):
        h, c = states
        xz = self.project(inputs, self.kernel, self.bias, sequence=False)
        _, rec_mask = self.dropout_masks()
        out = lstm_step(xz, [h, c], self.recurrent_kernel, self.activation,
                        self.recurrent_activation, rec_mask)
        return out["h"], [out["h"], out["c"]]

    def sequence(self, inputs, states, mask=None):
        """The whole sequence as one scan: (h of every step, [h_T, c_T])."""
        xz = self.project(inputs, self.kernel, self.bias, sequence=True)
        _, rec_mask = self.dropout_masks()
        record = lstm_scan(xz, self.recurrent_kernel, states[0], states[1], mask, rec_mask,
                           **self.activation_names())
        u = self.units
        h_seq, c_last = record[..., :u], record[:, -1, u:2 * u]
        return h_seq, [h_seq[:, -1], c_last]

    def get_config(self) -> dict:
        return {**super().get_config(),
                "recurrent_activation": activations.serialize(self.recurrent_activation),
                "unit_forget_bias": self.unit_forget_bias}
