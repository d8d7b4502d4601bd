"""Bidirectional: one recurrent layer reads the sequence forwards, a copy backwards.

At step t the forward layer has seen x_0 .. x_t and the backward layer x_t .. x_{T-1};
their outputs are merged (concatenated, by default). The backward copy has
``go_backwards=True``; its output sequence is flipped back, so that position t of the
merged sequence holds both layers' outputs for step t.

>>> import numpy as np
>>> from minikeras.layers.rnn import LSTM
>>> Bidirectional(LSTM(4, return_sequences=True))(np.zeros((2, 5, 3))).shape
(2, 5, 8)
"""
from __future__ import annotations

from minikeras import ops
from minikeras.layers.base import Layer, nest_flatten
from minikeras.layers.rnn.cell import cell_from_config, layer_entry
from minikeras.ops.recurrent import reverse_time

MERGE_MODES = ("concat", "sum", "mul", "ave", None)


def _copy(layer: Layer, name: str, **changes) -> Layer:
    """A fresh, unbuilt copy of ``layer`` from its config (as Keras's Bidirectional does)."""
    config = {**layer.get_config(), **changes, "name": name}
    try:
        return type(layer).from_config(config)
    except Exception as e:  # e.g. an RNN around a cell class that cannot be re-created
        raise ValueError(f"Bidirectional could not copy layer {layer.name!r} ({e}); pass the "
                         f"backward layer yourself: Bidirectional(layer, backward_layer=...)"
                         ) from e


class Bidirectional(Layer):
    """Bidirectional wrapper for recurrent layers.

    Args:
        layer: an RNN layer (SimpleRNN, LSTM, GRU, RNN); its copy becomes the forward
            layer ``forward_<name>``.
        merge_mode: how the two outputs are combined: ``"concat"`` (default), ``"sum"``,
            ``"mul"``, ``"ave"``, or None for a list of both.
        backward_layer: the layer to use backwards (default: a copy of ``layer`` with
            ``go_backwards=True``, named ``backward_<name>``).
        weights: initial weights, forward layer's first.

    Weights: the forward layer's, then the backward layer's (as Keras 3).

    Input shape: (batch, time, features). Output shape: the layer's, with the last
    axis doubled for ``"concat"``; with return_state, ``[output, *forward states,
    *backward states]``.

    >>> import numpy as np
    >>> from minikeras.layers.rnn import GRU
    >>> layer = Bidirectional(GRU(3, name="gru"), merge_mode="sum")
    >>> layer(np.zeros((2, 4, 5))).shape, [l.name for l in layer._layers]
    ((2, 3), ['forward_gru', 'backward_gru'])
    """

    def __init__(self, layer, merge_mode="concat", weights=None, backward_layer=None,
                 **kwargs):
        if not isinstance(layer, Layer):
            raise ValueError(f"Bidirectional wraps a layer instance; got {layer!r}")
        if merge_mode not in MERGE_MODES:
            raise ValueError(f"Invalid merge mode {merge_mode!r}; it should be one of "
                             f"{list(MERGE_MODES)}")
        super().__init__(**kwargs)
        base = layer.name.removeprefix("forward_")
        self.forward_layer = _copy(layer, f"forward_{base}")
        if backward_layer is None:
            self.backward_layer = _copy(layer, f"backward_{base}",
                                        go_backwards=not layer.go_backwards)
        else:
            self.backward_layer = backward_layer
        if self.forward_layer.go_backwards == self.backward_layer.go_backwards:
            raise ValueError("the forward and backward layers of a Bidirectional need "
                             "different go_backwards values")
        for attr in ("stateful", "return_sequences", "return_state"):
            if getattr(self.forward_layer, attr) != getattr(self.backward_layer, attr):
                raise ValueError(f"the forward and backward layers of a Bidirectional need "
                                 f"the same {attr}")
        for sub in (self.forward_layer, self.backward_layer):  # as Keras 3
            sub.zero_output_for_mask = sub.return_sequences
        self.merge_mode = merge_mode
        self.return_sequences = self.forward_layer.return_sequences
        self.return_state = self.forward_layer.return_state
        self.stateful = self.forward_layer.stateful
        self.supports_masking = True
        self._initial_weights = weights

    def build(self, input_shape):
        shape = input_shape[0] if isinstance(input_shape, list) and \
            isinstance(input_shape[0], (list, tuple)) else input_shape
        for sub in (self.forward_layer, self.backward_layer):
            if not sub.built:
                sub._maybe_build(_shape_probe(shape, sub))
        if self._initial_weights is not None:
            self.set_weights(self._initial_weights)
            self._initial_weights = None

    def __call__(self, inputs, *args, initial_state=None, **kwargs):
        if initial_state is not None:  # carried to call as extra inputs
            inputs = [inputs, *nest_flatten(initial_state)]
        return super().__call__(inputs, *args, **kwargs)

    def keras_call_arguments(self, inputs) -> tuple:
        """A call's inputs as Keras 3 passes them: the sequences, and the initial states
        (forward layer's first) as ``initial_state``."""
        if not isinstance(inputs, (list, tuple)):
            return inputs, {}
        return inputs[0], {"initial_state": list(inputs[1:])}

    def call(self, inputs, mask=None, training=None):
        x, states = (inputs[0], list(inputs[1:])) if isinstance(inputs, (list, tuple)) \
            else (inputs, [])
        if isinstance(mask, (list, tuple)):
            mask = mask[0]
        half = len(states) // 2
        kw = {"training": training}
        if mask is not None:
            kw["mask"] = mask
        y = self.forward_layer(x, initial_state=states[:half] or None, **kw)
        y_rev = self.backward_layer(x, initial_state=states[half:] or None, **kw)
        finals = []
        if self.return_state:
            finals = list(y[1:]) + list(y_rev[1:])
            y, y_rev = y[0], y_rev[0]
        if self.return_sequences:
            y_rev = reverse_time(y_rev)
        if self.merge_mode == "concat":
            output = ops.concatenate([y, y_rev], axis=-1)
        elif self.merge_mode == "sum":
            output = y + y_rev
        elif self.merge_mode == "ave":
            output = (y + y_rev) / 2.0
        elif self.merge_mode == "mul":
            output = y * y_rev
        else:
            output = [y, y_rev]
        if self.return_state:
            return (output if isinstance(output, list) else [output]) + finals
        return output

    def compute_mask(self, inputs, mask=None):
        if isinstance(mask, (list, tuple)):
            mask = mask[0]
        if self.return_sequences:
            output_mask = [mask, mask] if self.merge_mode is None else mask
        else:
            output_mask = [None, None] if self.merge_mode is None else None
        if self.return_state:
            n = 2 * len(self.forward_layer.state_size)
            head = output_mask if isinstance(output_mask, list) else [output_mask]
            return head + [None] * n
        return output_mask

    def reset_states(self, states=None) -> None:
        if not self.stateful:
            raise AttributeError(f'Layer "{self.name}" must be stateful to reset its states')
        if states is None:
            self.forward_layer.reset_states()
            self.backward_layer.reset_states()
            return
        half = len(states) // 2
        self.forward_layer.reset_states(list(states[:half]))
        self.backward_layer.reset_states(list(states[half:]))

    reset_state = reset_states

    def get_config(self) -> dict:
        return {**super().get_config(), "merge_mode": self.merge_mode,
                "layer": layer_entry(self.forward_layer),
                "backward_layer": layer_entry(self.backward_layer)}

    @classmethod
    def from_config(cls, config: dict):
        config = dict(config)
        layer = cell_from_config(config.pop("layer"))
        backward = config.pop("backward_layer", None)
        if backward is not None:
            backward = cell_from_config(backward)
        return cls(layer, backward_layer=backward, **config)


def _shape_probe(shape, layer):
    """A placeholder of ``shape``, to build a sub-layer (in the layer's dtype)."""
    from minikeras import backend as K
    return K.placeholder(shape=tuple(shape), dtype=layer.dtype)
