"""RNN: the base recurrent layer, which runs a cell over the time axis of its input.

``RNN(cell)`` takes sequences (batch, time, features) and applies the cell at every step,
carrying the states along. Two ways to do it, with the same numbers:

* a built-in cell (SimpleRNNCell, LSTMCell, GRUCell, or a stack of them) runs the whole
  sequence as ONE scan op (``ops/recurrent.py``): one product for the inputs of every
  step, then one fused kernel per step;
* with ``unroll=True``, or a cell of your own, the graph gets one copy of the cell's
  step per timestep (so the number of timesteps must be known).

What comes out (Keras 3):

* ``return_sequences``: every step's output (batch, time, units), else the last one;
* ``return_state``: also the final states, ``[output, *states]`` (LSTM: ``[out, h, c]``);
* ``go_backwards``: process the sequence from its end; the outputs come in processing
  order (``outputs[:, 0]`` belongs to the last input step);
* with a mask (Masking, Embedding(mask_zero=True)), masked steps leave the states
  unchanged and emit the previous output (zeros with ``zero_output_for_mask``, and zeros
  before the first real step);
* ``stateful``: each batch starts from the states the previous batch ended with (sample i
  continues sample i), until ``reset_states()``; the batch size must be fixed;
* ``initial_state=[...]`` at call time replaces the zero initial states, and
  ``constants=[...]`` are handed to every step of a cell whose ``call`` accepts them
  (Keras 2; Keras 3 dropped it).

>>> import numpy as np
>>> from minikeras.layers.rnn import LSTMCell
>>> x = np.zeros((2, 7, 3))
>>> RNN(LSTMCell(4))(x).shape, RNN(LSTMCell(4), return_sequences=True)(x).shape
((2, 4), (2, 7, 4))
"""
from __future__ import annotations

import inspect

import numpy as np

from minikeras import backend as K
from minikeras import ops
from minikeras.layers.base import InputSpec, Layer, nest_flatten
from minikeras.layers.rnn.cell import (
    cell_from_config,
    layer_entry,
    output_size,
    state_sizes,
    zero_states,
)
from minikeras.layers.rnn.stacked_rnn_cells import StackedRNNCells
from minikeras.ops.recurrent import masked_state, reverse_time, rnn_output
from minikeras.tensor import Variable, format_shape


def call_kwargs(cell, training=None, constants=None) -> dict:
    """The keyword arguments a cell's ``call`` accepts among training and constants."""
    params = inspect.signature(cell.call).parameters
    kwargs = {}
    if "training" in params:
        kwargs["training"] = training
    if constants:
        if "constants" not in params:
            raise ValueError(f"RNN cell {type(cell).__name__} does not support constants: its "
                             f"call(inputs, states) has no `constants` argument")
        kwargs["constants"] = list(constants)
    return kwargs


# What a layer like LSTM keeps for itself; every other argument goes to its cell.
LAYER_ARGUMENTS = ("return_sequences", "return_state", "go_backwards", "stateful", "unroll",
                   "zero_output_for_mask", "time_major", "activity_regularizer",
                   "num_constants", "name", "trainable", "dtype", "input_shape", "input_dim",
                   "batch_input_shape", "batch_size")


def split_arguments(kwargs: dict) -> tuple[dict, dict]:
    """(the layer's arguments, the cell's) of a SimpleRNN/LSTM/GRU constructor call.

    Keras 1 and 2's ``input_dim`` with ``input_length`` become an input shape.

    >>> split_arguments({"units": 4, "return_sequences": True, "input_dim": 3,
    ...                  "input_length": 7})
    ({'return_sequences': True, 'input_shape': (7, 3)}, {'units': 4})
    """
    kwargs = dict(kwargs)
    length = kwargs.pop("input_length", None)
    if "input_dim" in kwargs and "input_shape" not in kwargs:
        kwargs["input_shape"] = (length, kwargs.pop("input_dim"))
    layer = {k: kwargs.pop(k) for k in LAYER_ARGUMENTS if k in kwargs}
    if "dtype" in layer:
        kwargs["dtype"] = layer["dtype"]
    return layer, kwargs


class RNN(Layer):
    """Base class of the recurrent layers: any cell, run over time.

    Args:
        cell: an object following the cell protocol (see ``cell.py``), or a list of them
            (stacked, see StackedRNNCells).
        return_sequences: return every step's output, not only the last (default False).
        return_state: also return the final states (default False).
        go_backwards: process the input sequence from its last step (default False).
        stateful: carry the final states of a batch over to the next (default False).
        unroll: build one copy of the step per timestep instead of a scan op.
        zero_output_for_mask: masked steps output zeros instead of the previous output.
        num_constants: how many of the layer's extra inputs (after the initial states)
            are constants; set by a call with ``constants=``, kept in configs (Keras 2).

    Call arguments: ``inputs`` (batch, time, ...); ``initial_state`` (a tensor or list,
    one per state); ``constants`` (tensors given to every step); ``mask`` (batch, time)
    bool; ``training``.

    Input shape: (batch, time, features). Output shape: (batch, units) or (batch, time,
    units) with return_sequences; with return_state, a list ``[output, *states]``.

    >>> import numpy as np
    >>> from minikeras.layers.rnn import SimpleRNNCell
    >>> out, h = RNN(SimpleRNNCell(2), return_state=True)(np.ones((1, 4, 3)))
    >>> np.allclose(out, h)                  # the last output is the final state
    True
    """

    def __init__(self, cell, return_sequences=False, return_state=False, go_backwards=False,
                 stateful=False, unroll=False, zero_output_for_mask=False, time_major=None,
                 activity_regularizer=None, num_constants=0, **kwargs):
        if time_major:
            raise ValueError("time_major=True is not supported (Keras 3 removed it): give "
                             "batch-major (batch, time, features) inputs")
        if isinstance(cell, (list, tuple)):
            cell = StackedRNNCells(cell)
        if not callable(getattr(cell, "call", None)):
            raise ValueError(f"the `cell` of an RNN needs a `call` method; got {cell!r}")
        if not hasattr(cell, "state_size"):
            raise ValueError(f"the RNN cell {cell!r} needs a `state_size` attribute (an int, "
                             f"or a list of ints: one per state)")
        super().__init__(**kwargs)
        self.cell = cell
        self.return_sequences = bool(return_sequences)
        self.return_state = bool(return_state)
        self.go_backwards = bool(go_backwards)
        self.stateful = bool(stateful)
        self.unroll = bool(unroll)
        self.zero_output_for_mask = bool(zero_output_for_mask)
        from minikeras import regularizers
        self.activity_regularizer = regularizers.get(activity_regularizer)
        self.supports_masking = True
        self.input_spec = None
        self.states: list[Variable] | None = None   # the stateful layer's states
        self._state_updates: list = []
        self._num_constants = int(num_constants or 0)

    @property
    def state_size(self) -> list[int]:
        return state_sizes(self.cell)

    # ---- initial states and constants arrive as extra inputs (as in Keras 2)
    def __call__(self, inputs, *args, initial_state=None, constants=None, **kwargs):
        extra = []
        if initial_state is not None:
            extra += nest_flatten(initial_state)
        if constants is not None:
            self._num_constants = len(nest_flatten(constants))
            extra += nest_flatten(constants)
        if extra:
            if isinstance(inputs, (list, tuple)):
                raise ValueError(f'layer "{self.name}": pass initial states either as extra '
                                 f"inputs or as initial_state=, not both")
            inputs = [inputs, *extra]
        return super().__call__(inputs, *args, **kwargs)

    def keras_call_arguments(self, inputs) -> tuple:
        """A call's inputs as Keras 3 passes them (how a file records the call): the
        sequences, with the initial states (and minikeras's constants) as keyword
        arguments."""
        x, initial, constants = self._split_inputs(inputs)
        kwargs = {}
        if initial:
            kwargs["initial_state"] = list(initial)
        if constants:
            kwargs["constants"] = list(constants)
        return x, kwargs

    def _split_inputs(self, inputs):
        """(sequences, initial states or None, constants)."""
        if not isinstance(inputs, (list, tuple)):
            return inputs, None, []
        inputs = list(inputs)
        n_const = self._num_constants
        constants = inputs[len(inputs) - n_const:] if n_const else []
        states = inputs[1:len(inputs) - n_const]
        return inputs[0], (states or None), constants

    # ---- building
    def build(self, input_shape):
        shapes = input_shape if isinstance(input_shape, list) and \
            isinstance(input_shape[0], (list, tuple)) else [input_shape]
        seq_shape = tuple(shapes[0])
        if len(seq_shape) < 3:
            raise ValueError(f'Input 0 of layer "{self.name}" is incompatible with the layer: '
                             f"expected ndim=3 (batch, time, features), found shape="
                             f"{format_shape(seq_shape)}")
        step_shape = (seq_shape[0],) + seq_shape[2:]
        if isinstance(self.cell, Layer) and not self.cell.built:
            self.cell.build(step_shape)
            self.cell.built = True
        if self.stateful:
            if seq_shape[0] is None:
                raise ValueError(
                    f'layer "{self.name}": when using stateful=True in a RNN, the batch size '
                    f"must be static. Found dynamic batch size: sequence.shape="
                    f"{format_shape(seq_shape)}. Give the input a batch size, e.g. "
                    f"Input(shape=..., batch_size=32)")
            self.states = [K.variable(np.zeros((seq_shape[0], s)), dtype=self.dtype,
                                      name=f"{self.name}/rnn_state_{i}")
                           for i, s in enumerate(self.state_size)]
            for v in self.states:
                v.trainable = False
        self.input_spec = InputSpec(min_ndim=3)
        self.built = True

    # ---- the computation
    def call(self, inputs, mask=None, training=None):
        x, initial, constants = self._split_inputs(inputs)
        if isinstance(mask, (list, tuple)):
            mask = mask[0]
        steps = x.shape[1]
        if self.unroll and steps is None:
            raise ValueError(f'layer "{self.name}": cannot unroll a RNN if the time dimension '
                             f"is undefined (input shape {format_shape(x.shape)}); give the "
                             f"Input a fixed number of timesteps")
        if np.dtype(x.dtype).kind == "f" and x.dtype != self.dtype:
            x = ops.cast(x, self.dtype)
        states = self._initial_states(x, initial)
        if mask is not None and mask.dtype != "bool":
            mask = ops.cast(mask, "bool")
        seq, seq_mask = (reverse_time(x), None if mask is None else reverse_time(mask)) \
            if self.go_backwards else (x, mask)
        if hasattr(self.cell, "make_dropout_masks"):
            self.cell.make_dropout_masks(x[:, 0], states if isinstance(
                self.cell, StackedRNNCells) else states[0], training)
        try:
            if not self.unroll and not constants and getattr(self.cell, "can_scan",
                                                             lambda: False)():
                outputs, finals = self.cell.sequence(seq, states, seq_mask)
                if seq_mask is not None:
                    outputs = rnn_output(outputs, seq_mask, self.zero_output_for_mask)
            else:
                if steps is None:
                    raise ValueError(
                        f'layer "{self.name}": the cell {type(self.cell).__name__} is run '
                        f"one step at a time, which needs a known number of timesteps; got "
                        f"input shape {format_shape(x.shape)}")
                outputs, finals = self._unrolled(seq, states, seq_mask, constants, training)
        finally:
            if hasattr(self.cell, "reset_dropout_masks"):
                self.cell.reset_dropout_masks()
        if self.stateful:
            self._state_updates = list(zip(self.states, finals))
        output = outputs if self.return_sequences else outputs[:, -1]
        if self.activity_regularizer is not None:
            self.add_loss(self.activity_regularizer(output))
        return [output, *finals] if self.return_state else output

    def _initial_states(self, x, initial):
        sizes = self.state_size
        if initial is None:
            if self.stateful:
                return list(self.states)
            get = getattr(self.cell, "get_initial_state", None)
            if get is not None and "like" in inspect.signature(get).parameters:
                return list(get(like=x))
            if get is not None and x.shape[0] is not None:
                return list(nest_flatten(get(batch_size=x.shape[0])))
            return zero_states(x, sizes)
        initial = [ops.as_tensor(s) for s in nest_flatten(initial)]
        if len(initial) != len(sizes):
            raise ValueError(f'layer "{self.name}" has {len(sizes)} state(s) of sizes {sizes}, '
                             f"but initial_state has {len(initial)} tensor(s)")
        for s, size in zip(initial, sizes):
            if s.ndim != 2 or s.shape[1] not in (None, size):
                raise ValueError(f'layer "{self.name}": an initial state must be (batch, '
                                 f"{size}), got {format_shape(s.shape)}")
        return [ops.cast(s, self.dtype) if s.dtype != self.dtype else s for s in initial]

    def _unrolled(self, seq, states, mask, constants, training):
        """One copy of the cell's step per timestep, masking as Keras's backends do."""
        kwargs = call_kwargs(self.cell, training, constants)
        outputs, previous = [], None
        for t in range(seq.shape[1]):
            out, new = self.cell.call(seq[:, t], list(states), **kwargs)
            new = list(new) if isinstance(new, (list, tuple)) else [new]
            if mask is not None:
                m_t = mask[:, t]
                before = ops.zeros_like(out) if previous is None or \
                    self.zero_output_for_mask else previous
                out = masked_state(m_t, out, before)
                new = [masked_state(m_t, a, b) for a, b in zip(new, states)]
            outputs.append(out)
            previous, states = out, new
        return ops.stack(outputs, axis=1), list(states)

    def compute_mask(self, inputs, mask=None):
        if isinstance(mask, (list, tuple)):
            mask = mask[0]
        output_mask = mask if self.return_sequences else None
        if self.return_state:
            return [output_mask] + [None] * len(self.state_size)
        return output_mask

    def compute_output_shape(self, input_shape):
        shapes = input_shape if isinstance(input_shape, list) and \
            isinstance(input_shape[0], (list, tuple)) else [input_shape]
        batch, time = shapes[0][0], shapes[0][1]
        units = output_size(self.cell)
        out = (batch, time, units) if self.return_sequences else (batch, units)
        if self.return_state:
            return [out] + [(batch, s) for s in self.state_size]
        return out

    # ---- stateful layers
    def reset_states(self, states=None) -> None:
        """Zero the states of a stateful layer, or set them to ``states`` (a NumPy array, or
        a list of them: one (batch, size) array per state; Keras 2's ``states=``)."""
        if not self.stateful:
            raise AttributeError(f'Layer "{self.name}" must be stateful to reset its states '
                                 f"(create it with stateful=True)")
        if self.states is None:
            raise ValueError(f'layer "{self.name}" is not built yet: its batch size (and so '
                             f"its states' shape) is known once it is called")
        if states is None:
            for v in self.states:
                v.assign(np.zeros(v.shape))
            return
        values = [states] if isinstance(states, np.ndarray) else list(states)
        if len(values) != len(self.states):
            raise ValueError(f'layer "{self.name}" expects {len(self.states)} state array(s), '
                             f"got {len(values)}")
        for i, (v, value) in enumerate(zip(self.states, values)):
            value = np.asarray(value)
            if value.shape != v.shape:
                raise ValueError(f'layer "{self.name}": state {i} has shape {v.shape}, the '
                                 f"value given has shape {value.shape}")
            v.assign(value)

    reset_state = reset_states

    # ---- configuration
    def get_config(self) -> dict:
        cfg = {**super().get_config(), "return_sequences": self.return_sequences,
               "return_state": self.return_state, "go_backwards": self.go_backwards,
               "stateful": self.stateful, "unroll": self.unroll,
               "zero_output_for_mask": self.zero_output_for_mask}
        if self.activity_regularizer is not None:
            from minikeras import regularizers
            cfg["activity_regularizer"] = regularizers.serialize(self.activity_regularizer)
        if self._num_constants:
            cfg["num_constants"] = self._num_constants
        if type(self) is RNN:
            cfg["cell"] = layer_entry(self.cell)
        return cfg

    @classmethod
    def from_config(cls, config: dict):
        config = dict(config)
        return cls(cell_from_config(config.pop("cell")), **config)
