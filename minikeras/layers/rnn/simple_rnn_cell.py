"""SimpleRNNCell: ``h_t = activation(x_t W + b + h_{t-1} U)``, one step (Keras 3).

The simplest memory: the new state mixes the step's input with the previous state and
squashes the sum. Its output is its state.

>>> import numpy as np
>>> from minikeras.layers.rnn import RNN, SimpleRNNCell
>>> layer = RNN(SimpleRNNCell(4))
>>> layer(np.zeros((2, 5, 3))).shape
(2, 4)
"""
from __future__ import annotations

from minikeras.layers.rnn.cell import RecurrentCell, keras1_arguments
from minikeras.ops.recurrent import simple_rnn_scan
from minikeras.ops.recurrent_steps import simple_rnn_step


class SimpleRNNCell(RecurrentCell):
    """One step of a fully connected recurrent layer.

    Args:
        units: size of the state (and output).
        activation: default ``"tanh"``.
        use_bias: add a bias vector (default True).
        kernel_initializer, recurrent_initializer, bias_initializer: defaults
            ``"glorot_uniform"``, ``"orthogonal"``, ``"zeros"``.
        kernel_regularizer, recurrent_regularizer, bias_regularizer: optional penalties.
        kernel_constraint, recurrent_constraint, bias_constraint: optional constraints.
        dropout: fraction of the input units to drop (one mask for every step).
        recurrent_dropout: fraction of the state units to drop before ``U``.
        seed: seed of the dropout masks.

    Weights: ``kernel`` (input_dim, units), ``recurrent_kernel`` (units, units),
    ``bias`` (units,).

    Input shape: (batch, input_dim) for one step; states ``[(batch, units)]``.
    Output shape: (batch, units), and the new states ``[output]``.

    >>> import numpy as np, minikeras.backend as K
    >>> cell = SimpleRNNCell(1, kernel_initializer="ones", recurrent_initializer="ones",
    ...                      activation="linear")
    >>> cell.build((None, 1))
    >>> out, _ = cell.call(K.constant([[2.0]]), [K.constant([[3.0]])])
    >>> K.eval(out)                           # 2 * 1 + 3 * 1
    array([[5.]], dtype=float32)
    """

    n_gates = 1

    def __init__(self, units=None, activation="tanh", **kwargs):
        kwargs = keras1_arguments(dict(kwargs, units=units) if units is not None else kwargs)
        super().__init__(activation=activation, **kwargs)

    def call(self, inputs, states, training=None):
        h = states[0] if isinstance(states, (list, tuple)) else states
        xz = self.project(inputs, self.kernel, self.bias, sequence=False)
        _, rec_mask = self.dropout_masks()
        h_new = simple_rnn_step(xz, [h], self.recurrent_kernel, self.activation, rec_mask)["h"]
        return h_new, [h_new]

    def sequence(self, inputs, states, mask=None):
        """The whole sequence (batch, time, in) as one scan: (h of every step, [h_T])."""
        xz = self.project(inputs, self.kernel, self.bias, sequence=True)
        _, rec_mask = self.dropout_masks()
        record = simple_rnn_scan(xz, self.recurrent_kernel, states[0], mask, rec_mask,
                                 **self.activation_names())
        return record, [record[:, -1]]
