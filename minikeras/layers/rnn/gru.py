"""GRU: the Gated Recurrent Unit layer (Cho et al., 2014), Keras 3.

>>> import numpy as np
>>> x = np.random.default_rng(0).random((32, 10, 8))
>>> GRU(4)(x).shape
(32, 4)
"""
from __future__ import annotations

from minikeras.layers.rnn.gru_cell import GRUCell
from minikeras.layers.rnn.simple_rnn import SimpleRNN


class GRU(SimpleRNN):
    """Gated Recurrent Unit: an update gate and a reset gate, no separate cell state.

    Args:
        units: size of the output and state.
        activation, recurrent_activation, reset_after, use_bias, initializers,
            regularizers, constraints, dropout, recurrent_dropout, seed: see GRUCell.
        return_sequences, return_state, go_backwards, stateful, unroll: see RNN.

    Weights (as Keras 3): kernel (input_dim, 3 units), recurrent_kernel (units,
    3 units), bias (2, 3 units) with reset_after=True (the default) else (3 units,);
    gates in the order z, r, h.

    Input shape: (batch, time, input_dim). Output shape: (batch, units), or (batch,
    time, units) with return_sequences.

    >>> layer = GRU(3, reset_after=False)
    >>> layer.build((None, 5, 2))
    >>> [w.shape for w in layer.weights]
    [(2, 9), (3, 9), (9,)]
    """

    cell_class = GRUCell
