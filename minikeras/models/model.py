"""The Model: layers wired into a graph, with training methods (see ``training.py``).

Three ways to make one, as in Keras:

* **functional**: ``Model(inputs, outputs)`` over any graph of layer calls: several
  inputs and outputs, shared layers, branches that join again;
* **Sequential**: a stack, one layer after another (``sequential.py``), a special case;
* **subclassed**: write ``call(inputs)`` yourself in a subclass of Model.

A functional model finds its layers by walking back from the outputs: every tensor a
layer returns remembers which layer call (``Node``) made it.

>>> from minikeras.layers import Input, Dense, concatenate
>>> a, b = Input(shape=(4,), name="a"), Input(shape=(3,), name="b")
>>> shared = Dense(8, activation='relu')
>>> out = Dense(1)(concatenate([shared(a), Dense(8)(b)]))
>>> model = Model(inputs=[a, b], outputs=out)
>>> [layer.name for layer in model.layers][:2], model.output_shape
(['a', 'b'], (None, 1))
"""
from __future__ import annotations

import numpy as np

from minikeras import config
from minikeras.layers.base import Layer, Node, nest_flatten, nest_map
from minikeras.layers.core import Input, InputLayer
from minikeras.models import keras_files
from minikeras.models.keras_files import to_config
from minikeras.models.summary import format_summary
from minikeras.models.training import Trainer
from minikeras.tensor import Tensor


class Model(Trainer, Layer):
    """A graph of layers that can be trained, evaluated, saved and called like a layer.

    >>> import numpy as np
    >>> from minikeras.layers import Input, Dense
    >>> x = Input(shape=(3,))
    >>> model = Model(x, Dense(2, kernel_initializer="ones")(x))
    >>> model.predict(np.ones((1, 3)), verbose=0)
    array([[3., 3.]], dtype=float32)
    """

    _is_sequential = False  # Sequential says True

    def __init__(self, inputs=None, outputs=None, name=None, **kwargs):
        Layer.__init__(self, name=name, **kwargs)
        self._init_training()
        self._is_graph_network = False
        if inputs is not None or outputs is not None:
            if inputs is None or outputs is None:
                raise ValueError("a functional Model needs both inputs= and outputs=")
            self._init_graph(inputs, outputs)

    # ---- the functional graph ----
    def _init_graph(self, inputs, outputs) -> None:
        self._input_structure = inputs
        self._output_structure = outputs
        self.inputs = list(nest_flatten(inputs))
        self.outputs = list(nest_flatten(outputs))
        for t in self.inputs + self.outputs:
            if not isinstance(t, Tensor) or t._keras_history is None:
                raise ValueError(f"Model inputs and outputs must be tensors made by layers "
                                 f"(e.g. Input(...) and layer calls); got {t!r}")
        for t in self.inputs:
            if not isinstance(t._keras_history[0], InputLayer):
                raise ValueError(f"Model inputs must come from Input(...); {t.name!r} was "
                                 f"made by layer {t._keras_history[0].name!r}")
        self._nodes, layers = _walk_back(self.inputs, self.outputs)
        self._layers = []
        for layer in layers:
            self._layers.append(layer)
        self._is_graph_network = True
        self.built = True

    @property
    def layers(self) -> list[Layer]:
        return list(self._layers)

    def get_layer(self, name: str | None = None, index: int | None = None) -> Layer:
        """A layer by its name or its position in ``layers``."""
        if index is not None:
            if not -len(self.layers) <= index < len(self.layers):
                raise ValueError(f"index {index} is out of range: the model has "
                                 f"{len(self.layers)} layers")
            return self.layers[index]
        for layer in self.layers:
            if layer.name == name:
                return layer
        raise ValueError(f"no layer named {name!r}; the layers are "
                         f"{[l.name for l in self.layers]}")

    def call(self, inputs, training=None, mask=None):
        """Run the graph of layers on new input tensors (rebuilding it for ``training``)."""
        if not self._is_graph_network:
            raise NotImplementedError(f"{type(self).__name__} is a subclassed Model: "
                                      f"define call(self, inputs)")
        flat = nest_flatten(inputs)
        if len(flat) != len(self.inputs):
            raise ValueError(f'model "{self.name}" takes {len(self.inputs)} input(s), got '
                             f"{len(flat)}")
        new = {id(old): t for old, t in zip(self.inputs, flat)}
        for node in self._nodes:
            args = nest_map(lambda t: new[id(t)], node.inputs)
            kwargs = {k: v for k, v in node.kwargs.items() if k not in ("training", "mask")}
            outs = node.layer._symbolic_call(args, kwargs, training)
            for old, t in zip(node.output_tensors, nest_flatten(outs)):
                new[id(old)] = t
        return nest_map(lambda t: new[id(t)], self._output_structure)

    def symbolic_outputs(self, training: bool) -> list[Tensor]:
        """The model's outputs built on its own input placeholders, for training or not."""
        if not self.built:
            raise ValueError(f'model "{self.name}" is not built yet: give its first layer an '
                             f"input_shape, or call it on data first")
        return nest_flatten(self._symbolic_call(self._input_structure, {}, training))

    def _ensure_built_from_data(self, arrays) -> None:
        """Subclassed models learn their input shape from the first data they see."""
        if self.built and self._is_graph_network:
            return
        inputs = [Input(shape=a.shape[1:], dtype=_input_dtype(a)) for a in arrays]
        structure = inputs[0] if len(inputs) == 1 else inputs
        outputs = self.call(structure)
        self._input_structure, self._output_structure = structure, outputs
        self.inputs, self.outputs = inputs, list(nest_flatten(outputs))
        self.built = True

    def build(self, input_shape) -> None:
        if self._is_graph_network:
            return
        shapes = input_shape if isinstance(input_shape, list) else [input_shape]
        self._ensure_built_from_data([np.empty([1 if d is None else d for d in s])
                                      for s in shapes])

    def _require_built(self, what: str) -> None:
        if not self.built:
            raise AttributeError(f'model "{self.name}" is not built yet, so it has no {what}: '
                                 f"give its first layer an input_shape, or call or fit it "
                                 f"on data first")

    @property
    def input_shape(self):
        self._require_built("input_shape")
        shapes = [t.shape for t in self.inputs]
        return shapes[0] if len(shapes) == 1 else shapes

    @property
    def output_shape(self):
        self._require_built("output_shape")
        shapes = [t.shape for t in self.outputs]
        return shapes[0] if len(shapes) == 1 else shapes

    @property
    def input(self):
        return self.inputs[0] if len(self.inputs) == 1 else self.inputs

    @property
    def output(self):
        return self.outputs[0] if len(self.outputs) == 1 else self.outputs

    @property
    def input_names(self) -> list[str]:
        return [t._keras_history[0].name for t in self.inputs]

    @property
    def output_names(self) -> list[str]:
        return [t._keras_history[0].name for t in self.outputs]

    def summary(self, line_length=None, positions=None, print_fn=None) -> None:
        """Print the table of layers, output shapes and parameter counts (as Keras 3)."""
        (print_fn or print)(format_summary(self, line_length))

    def _is_subclassed(self) -> bool:
        """Written as a subclass with its own ``call``, rather than wired from layers."""
        return not self._is_sequential and not self._is_graph_network

    # ---- configuration and files ----
    def get_config(self) -> dict:
        """A functional model as Keras 3 describes it: its layers (in Keras's order), each
        with the calls that wire it (``inbound_nodes``), and which tensors are the
        model's inputs and outputs. A subclassed model: its name (override
        ``get_config`` to add the arguments of your ``__init__``).

        >>> from minikeras.layers import Input, Dense
        >>> x = Input(shape=(3,), name="x")
        >>> config = Model(x, Dense(2, name="d")(x)).get_config()
        >>> [e["name"] for e in config["layers"]], config["output_layers"]
        (['x', 'd'], [['d', 0, 0]])
        """
        if not self._is_graph_network:
            return {"name": self.name}
        return to_config.model_entry(self)["config"]

    def save(self, filepath, overwrite=True, **kwargs) -> None:
        """Save architecture, weights, compile settings and optimizer state to a ``.keras``
        file that Keras 3 opens (``keras_files.write``)."""
        keras_files.save_model(self, filepath, overwrite=overwrite)

    def save_weights(self, filepath, overwrite=True) -> None:
        """Save the weights (and optimizer state) to ``*.weights.h5`` as Keras 3 does, or
        to ``*.weights.npz`` (minikeras's first format)."""
        keras_files.save_weights(self, filepath, overwrite=overwrite)

    def load_weights(self, filepath) -> None:
        """Weights from ``*.weights.h5``, a ``.keras`` file, a Keras 2 ``.h5`` or an old
        ``*.weights.npz``."""
        keras_files.load_weights(self, filepath)


def serialize(model: Model) -> dict:
    """The model as a JSON-ready dict, as a Keras 3 ``config.json`` holds it: its class,
    ``get_config()``, and how it was built and compiled. ``loading.model_from_config``
    reverses it.

    >>> from minikeras.layers import Dense
    >>> from minikeras.models import Sequential
    >>> entry = serialize(Sequential([Dense(2, input_shape=(3,))], name="tiny"))
    >>> entry["class_name"], [layer["class_name"] for layer in entry["config"]["layers"]]
    ('Sequential', ['InputLayer', 'Dense'])
    """
    return to_config.model_config(model)


def _input_dtype(array) -> str:
    """The dtype of an Input made from data: floatx whatever the data's dtype, as Keras
    builds it (integer pixels are cast when fed; an Embedding casts ids back to ints)."""
    return config.floatx()


def _walk_back(inputs, outputs) -> tuple[list[Node], list[Layer]]:
    """The nodes between inputs and outputs in the order they run, and their layers."""
    order, seen = [], set()
    input_ids = {id(t) for t in inputs}

    def visit(tensor: Tensor, path: tuple):
        layer, node_index, _ = tensor._keras_history
        node = layer._inbound_nodes[node_index]
        if id(node) in seen:
            return
        if id(node) in path:
            raise ValueError("the layers form a cycle")
        if isinstance(layer, InputLayer) and id(tensor) not in input_ids:
            raise ValueError(f"the outputs depend on Input {tensor.name!r}, which is not in "
                             f"the model's inputs")
        for t in node.input_tensors:
            visit(t, path + (id(node),))
        seen.add(id(node))
        order.append(node)

    for t in outputs:
        visit(t, ())
    for t in inputs:  # an input no output uses is still part of the model
        visit(t, ())
    layers = []
    for node in order:
        if node.layer not in layers:
            layers.append(node.layer)
    # InputLayers first, in the order of `inputs`, as Keras lists them
    input_layers = [t._keras_history[0] for t in inputs]
    layers = input_layers + [l for l in layers if l not in input_layers]
    nodes = [n for n in order if not isinstance(n.layer, InputLayer)]
    return nodes, layers
