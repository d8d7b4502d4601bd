"""LSTM: the Long Short-Term Memory layer (Hochreiter and Schmidhuber, 1997), Keras 3.

>>> import numpy as np
>>> x = np.random.default_rng(0).random((32, 10, 8))
>>> LSTM(4)(x).shape
(32, 4)
>>> out, h, c = LSTM(4, return_sequences=True, return_state=True)(x)
>>> out.shape, h.shape, c.shape
((32, 10, 4), (32, 4), (32, 4))
"""
from __future__ import annotations

from minikeras.layers.rnn.lstm_cell import LSTMCell
from minikeras.layers.rnn.simple_rnn import SimpleRNN


class LSTM(SimpleRNN):
    """Long Short-Term Memory layer: gates decide what the cell state keeps and shows.

    Args:
        units: size of the output h and of the cell state c.
        activation, recurrent_activation, unit_forget_bias, use_bias, initializers,
            regularizers, constraints, dropout, recurrent_dropout, seed: see LSTMCell
            (``recurrent_activation="hard_sigmoid_keras2"`` gives Keras 1/2's numbers).
        return_sequences, return_state, go_backwards, stateful, unroll: see RNN.
        implementation: accepted for Keras 2 code (1 = a mask per gate with dropout).

    Weights (as Keras 3): kernel (input_dim, 4 units), recurrent_kernel (units,
    4 units), bias (4 units,), gates in the order i, f, c, o.

    Input shape: (batch, time, input_dim). Output shape: (batch, units), or (batch,
    time, units) with return_sequences; with return_state ``[output, h, c]``.

    >>> layer = LSTM(3)
    >>> layer.build((None, 5, 2))
    >>> [w.name for w in layer.weights]
    ['lstm_cell/kernel', 'lstm_cell/recurrent_kernel', 'lstm_cell/bias']
    """

    cell_class = LSTMCell
