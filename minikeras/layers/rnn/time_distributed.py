"""TimeDistributed: apply one layer to every timestep of a sequence, with shared weights.

``TimeDistributed(Dense(10))`` on (batch, time, features) gives (batch, time, 10): the
same Dense at every step. It folds the time axis into the batch, (batch * time, ...),
calls the layer once, and unfolds the result: one big product instead of one per step.

>>> import numpy as np
>>> from minikeras.layers import Dense
>>> TimeDistributed(Dense(2))(np.zeros((4, 7, 3))).shape
(4, 7, 2)
"""
from __future__ import annotations

from minikeras import ops
from minikeras.layers.base import Layer, nest_map
from minikeras.layers.rnn.cell import cell_from_config, layer_entry
from minikeras.tensor import format_shape


class TimeDistributed(Layer):
    """Applies ``layer`` to every temporal slice of its input.

    Args:
        layer: the layer to apply at each step (built with the shape of one step).

    Input shape: (batch, time, ...) (at least 3 axes). Output shape: (batch, time,
    ...the layer's output for one step). A mask passes through unchanged.

    >>> import numpy as np
    >>> from minikeras.layers import Dense
    >>> layer = TimeDistributed(Dense(1, kernel_initializer="ones"))
    >>> layer(np.array([[[1.0, 2.0], [3.0, 4.0]]]))[..., 0]
    Array([[3., 7.]], dtype=float32)
    """

    def __init__(self, layer, **kwargs):
        if not isinstance(layer, Layer):
            raise ValueError(f"TimeDistributed wraps a layer instance; got {layer!r}")
        super().__init__(**kwargs)
        self.layer = layer
        self.supports_masking = True

    def _child_shape(self, input_shape):
        if not isinstance(input_shape, (list, tuple)) or len(input_shape) < 3:
            raise ValueError(f'layer "{self.name}": TimeDistributed needs an input of at least '
                             f"3 axes (batch, time, ...), got {format_shape(input_shape)}")
        return (input_shape[0], *input_shape[2:])

    def build(self, input_shape):
        if not self.layer.built:
            from minikeras import backend as K
            self.layer._maybe_build(K.placeholder(shape=self._child_shape(input_shape),
                                                  dtype=self.layer.dtype))

    def call(self, inputs, training=None, mask=None):
        self._child_shape(inputs.shape)
        flat = ops.reshape(inputs, (-1, *inputs.shape[2:]))
        kwargs = {}
        if self.layer._call_takes_training:
            kwargs["training"] = training
        if self.layer._call_takes_mask and mask is not None:
            kwargs["mask"] = ops.reshape(mask, (-1,))
        out = self.layer.call(flat, **kwargs)
        return nest_map(lambda y: self._unfold(y, inputs), out)

    @staticmethod
    def _unfold(y, inputs):
        """(batch * time, ...) back to (batch, time, ...)."""
        if inputs.shape[1] is not None:
            return ops.reshape(y, (-1, inputs.shape[1], *y.shape[1:]))
        if inputs.shape[0] is not None:
            return ops.reshape(y, (inputs.shape[0], -1, *y.shape[1:]))
        # both unknown: a zeros tensor shaped (batch, time, ...) lends its shape when data
        # flows (reshape_like reads it then)
        rest = y.shape[1:]
        if None in rest:
            raise ValueError(f"TimeDistributed needs a known batch size or number of "
                             f"timesteps here (input shape {format_shape(inputs.shape)})")
        steps = ops.zeros_like(inputs[(slice(None), slice(None)) + (0,) * (inputs.ndim - 2)])
        target = ops.tile(ops.expand_dims(steps, tuple(range(2, 2 + len(rest)))),
                          (1, 1, *rest))
        return ops.reshape_like(y, target)

    def compute_output_shape(self, input_shape):
        child = self.layer.compute_output_shape(self._child_shape(input_shape))
        return (input_shape[0], input_shape[1], *child[1:])

    def get_config(self) -> dict:
        return {**super().get_config(), "layer": layer_entry(self.layer)}

    @classmethod
    def from_config(cls, config: dict):
        config = dict(config)
        return cls(cell_from_config(config.pop("layer")), **config)
