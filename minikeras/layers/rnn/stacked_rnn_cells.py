"""StackedRNNCells: several cells as one, each step going up through all of them.

At every timestep the input goes into the first cell, its output into the second, and so
on; the last cell's output is the stack's output. ``RNN([cell_1, cell_2])`` makes one.
The states are all the cells' states, in order, as one flat list (as in Keras 2).

Running a whole sequence through the stack gives the same numbers as running the
sequence through cell 1, then its outputs through cell 2 (no cell looks at a later
cell), so built-in cells keep their one-scan-per-sequence speed when stacked.

>>> import numpy as np
>>> from minikeras.layers.rnn import RNN, LSTMCell, GRUCell
>>> layer = RNN([LSTMCell(4), GRUCell(3)], return_state=True)
>>> [t.shape for t in layer(np.zeros((2, 5, 6)))]    # output, h1, c1, h2
[(2, 3), (2, 4), (2, 4), (2, 3)]
"""
from __future__ import annotations

from minikeras.layers.base import Layer
from minikeras.layers.rnn.cell import (
    cell_from_config,
    layer_entry,
    output_size,
    state_sizes,
    zero_states,
)


class StackedRNNCells(Layer):
    """A list of cells that act as one cell.

    Args:
        cells: the cells, first to last (each follows the cell protocol).

    Input shape: (batch, input_dim) for one step; states: every cell's, in order.
    Output shape: (batch, output size of the last cell).

    >>> from minikeras.layers.rnn import SimpleRNNCell
    >>> stack = StackedRNNCells([SimpleRNNCell(3), SimpleRNNCell(2)])
    >>> stack.state_size, stack.output_size
    ([3, 2], 2)
    """

    def __init__(self, cells, **kwargs):
        super().__init__(**kwargs)
        for cell in cells:
            if not callable(getattr(cell, "call", None)):
                raise ValueError(f"every cell of a stack needs a `call` method; got {cell!r}")
            if not hasattr(cell, "state_size"):
                raise ValueError(f"every cell of a stack needs a `state_size`; got {cell!r}")
        self.cells = list(cells)

    @property
    def state_size(self) -> list[int]:
        return [s for cell in self.cells for s in state_sizes(cell)]

    @property
    def output_size(self) -> int:
        return output_size(self.cells[-1])

    def _split(self, states) -> list[list]:
        """The flat list of states, cut into each cell's."""
        parts, start = [], 0
        for cell in self.cells:
            n = len(state_sizes(cell))
            parts.append(list(states[start:start + n]))
            start += n
        return parts

    def build(self, input_shape):
        batch = input_shape[0]
        for cell in self.cells:
            if isinstance(cell, Layer) and not cell.built:
                cell.build(tuple(input_shape))
                cell.built = True
            input_shape = (batch, output_size(cell))

    def call(self, inputs, states, training=None):
        new_states = []
        for cell, cell_states in zip(self.cells, self._split(states)):
            kwargs = {"training": training} if getattr(cell, "_call_takes_training", True) \
                else {}
            inputs, cell_new = cell.call(inputs, cell_states, **kwargs)
            new_states.extend(cell_new if isinstance(cell_new, (list, tuple)) else [cell_new])
        return inputs, new_states

    # ---- what the RNN layer asks of its cell
    def can_scan(self) -> bool:
        return all(getattr(cell, "can_scan", lambda: False)() for cell in self.cells)

    def sequence(self, inputs, states, mask=None):
        """The sequence through each cell's scan in turn: (outputs, all final states)."""
        finals = []
        for cell, cell_states in zip(self.cells, self._split(states)):
            inputs, cell_finals = cell.sequence(inputs, cell_states, mask)
            finals.extend(cell_finals)
        return inputs, finals

    def make_dropout_masks(self, step_input, states, training) -> None:
        """Each cell's masks, shaped by its own step input."""
        from minikeras import ops
        for cell, cell_states in zip(self.cells, self._split(states)):
            if hasattr(cell, "make_dropout_masks"):
                cell.make_dropout_masks(step_input, cell_states[0], training)
            first = step_input[:, 0:1]
            step_input = ops.tile(ops.zeros_like(first), (1, output_size(cell)))

    def reset_dropout_masks(self) -> None:
        for cell in self.cells:
            if hasattr(cell, "reset_dropout_masks"):
                cell.reset_dropout_masks()

    def get_initial_state(self, batch_size=None, like=None):
        states = []
        for cell in self.cells:
            if hasattr(cell, "get_initial_state"):
                states.extend(cell.get_initial_state(batch_size=batch_size, like=like)
                              if like is not None else cell.get_initial_state(batch_size))
            else:
                states.extend(zero_states(like, state_sizes(cell)))
        return states

    def get_config(self) -> dict:
        return {**super().get_config(), "cells": [layer_entry(c) for c in self.cells]}

    @classmethod
    def from_config(cls, config: dict):
        config = dict(config)
        cells = [cell_from_config(c) for c in config.pop("cells")]
        return cls(cells, **config)
