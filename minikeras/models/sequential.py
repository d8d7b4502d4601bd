"""Sequential: a plain stack of layers, each feeding the next (one input, one output).

It is a functional Model whose graph is a straight line, rebuilt as layers are added.
If the first layer knows its input shape, the model is built at once; otherwise it is
built when it first sees data.

>>> from minikeras.layers import Dense, Activation
>>> model = Sequential([Dense(500, input_shape=(784,)), Activation('tanh')])
>>> model.add(Dense(10))
>>> model.output_shape
(None, 10)
>>> model.pop(); model.output_shape
(None, 500)
"""
from __future__ import annotations

from minikeras.layers.base import Layer
from minikeras.layers.core import Input, InputLayer
from minikeras.models.keras_files import to_config
from minikeras.models.model import Model, _input_dtype
from minikeras.tensor import Tensor


class Sequential(Model):
    """A linear stack of layers: ``Sequential([layer, layer, ...])`` or ``add`` them.

    >>> from minikeras.layers import Dense
    >>> model = Sequential([Dense(4, input_shape=(3,)), Dense(1)])
    >>> model.count_params(), model.output_shape
    (21, (None, 1))
    """

    _is_sequential = True

    def __init__(self, layers=None, name=None, **kwargs):
        super().__init__(name=name, **kwargs)
        self._stack: list[Layer] = []
        self._input_layer: InputLayer | None = None
        for layer in layers or []:
            self.add(layer)

    def add(self, layer) -> None:
        """Put a layer on top of the stack (an Input sets the input shape)."""
        if isinstance(layer, Tensor) and isinstance(getattr(layer, "_keras_history", [None])[0],
                                                    InputLayer):
            layer = layer._keras_history[0]
        if isinstance(layer, InputLayer):
            if self._stack or self._input_layer is not None:
                raise ValueError("an Input can only be the first thing added to a Sequential")
            self._input_layer = layer
            self._rebuild()
            return
        if not isinstance(layer, Layer):
            raise TypeError(f"Sequential.add takes a layer, got {layer!r}")
        if layer in self._stack:
            raise ValueError(f'layer "{layer.name}" is already in this model')
        self._stack.append(layer)
        if self._input_layer is None and len(self._stack) == 1 and \
                layer._batch_input_shape is not None:
            self._input_layer = InputLayer(batch_shape=layer._batch_input_shape,
                                           dtype=layer.dtype)
        self._rebuild()

    def pop(self) -> None:
        """Remove the top layer."""
        if not self._stack:
            raise ValueError("there are no layers to pop")
        self._stack.pop()
        self._rebuild()

    def _rebuild(self) -> None:
        """Wire the stack again, from the input through every layer."""
        self._functions = {}  # compiled train/test/predict functions belong to the old graph
        self._layers = list(self._stack)
        if self._input_layer is None:
            self.built = False
            return
        x = self._input_layer.output
        for layer in self._stack:
            x = layer(x)
        self._init_graph(self._input_layer.output, x)
        self._layers = list(self._stack)  # Keras's Sequential.layers leaves out the Input

    def _ensure_built_from_data(self, arrays) -> None:
        if self.built:
            return
        if len(arrays) != 1:
            raise ValueError("a Sequential model takes exactly one input array")
        self._input_layer = Input(shape=arrays[0].shape[1:],
                                  dtype=_input_dtype(arrays[0]))._keras_history[0]
        self._rebuild()

    def build(self, input_shape=None) -> None:
        if input_shape is not None and not self.built:
            self._input_layer = Input(batch_shape=tuple(input_shape))._keras_history[0]
            self._rebuild()

    @property
    def layers(self) -> list[Layer]:
        return list(self._stack)

    def get_config(self) -> dict:
        """Its name and its layers, the Input first (when it has one), as Keras 3."""
        return to_config.model_entry(self)["config"]
