"""SimpleRNN: a fully connected recurrent layer, ``h_t = tanh(x_t W + h_{t-1} U + b)``.

>>> import numpy as np
>>> model_input = np.random.default_rng(0).random((32, 10, 8))
>>> SimpleRNN(4)(model_input).shape
(32, 4)
>>> out, state = SimpleRNN(4, return_sequences=True, return_state=True)(model_input)
>>> out.shape, state.shape
((32, 10, 4), (32, 4))
"""
from __future__ import annotations

import re

from minikeras.layers.rnn.rnn import RNN, split_arguments
from minikeras.layers.rnn.simple_rnn_cell import SimpleRNNCell


def snake_case(name: str) -> str:
    """'LSTMCell' -> 'lstm_cell', 'SimpleRNNCell' -> 'simple_rnn_cell'."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", name).lower()


class SimpleRNN(RNN):
    """Fully connected RNN whose output is fed back as the next step's state.

    Args:
        units: size of the output and state.
        activation, use_bias, initializers, regularizers, constraints, dropout,
            recurrent_dropout, seed: see SimpleRNNCell.
        return_sequences, return_state, go_backwards, stateful, unroll: see RNN.
        Keras 1 names (``output_dim``, ``init``, ``inner_init``, ``dropout_W``, ...) work.

    Weights (``get_weights``, as Keras 3): kernel (input_dim, units), recurrent_kernel
    (units, units), bias (units,).

    Input shape: (batch, time, input_dim).
    Output shape: (batch, units), or (batch, time, units) with return_sequences.

    >>> import numpy as np
    >>> layer = SimpleRNN(2, activation="linear", kernel_initializer="ones",
    ...                   recurrent_initializer="identity")
    >>> layer(np.ones((1, 3, 1)))            # h_t = 1 + h_{t-1}: the sum of the inputs
    Array([[3., 3.]], dtype=float32)
    """

    cell_class = SimpleRNNCell

    def __init__(self, units=None, **kwargs):
        if units is not None:
            kwargs["units"] = units
        layer_kwargs, cell_kwargs = split_arguments(kwargs)
        # Keras 3 names the cell after its class, unnumbered: lstm/lstm_cell/kernel
        cell = self.cell_class(name=snake_case(self.cell_class.__name__), **cell_kwargs)
        super().__init__(cell, **layer_kwargs)

    def __getattr__(self, name):
        # units, activation, dropout, ...: the cell's (as Keras's layer properties)
        if name != "cell" and "cell" in self.__dict__ and hasattr(self.__dict__["cell"], name):
            return getattr(self.__dict__["cell"], name)
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def get_config(self) -> dict:
        cell = self.cell.get_config()
        for key in ("name", "trainable", "dtype"):
            cell.pop(key, None)
        return {**super().get_config(), **cell}

    @classmethod
    def from_config(cls, config: dict):
        return cls(**config)
