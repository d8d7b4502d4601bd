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

from minikeras import config, saving
from minikeras.layers import serialize as serialize_layer
from minikeras.layers.base import Layer, Node, nest_flatten, nest_map
from minikeras.layers.core import Input, InputLayer
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
        """A functional model: its layers, each with the calls that wire it (inbound
        nodes), and which tensors are the model's inputs and outputs. A subclassed model:
        its name (override ``get_config`` to add the arguments of your ``__init__``)."""
        if not self._is_graph_network:
            return {"name": self.name}
        numbers = _node_numbers(self)

        def ref(t):
            layer, node_index, tensor_index = t._keras_history
            return [layer.name, numbers[(id(layer), node_index)], tensor_index]

        def structure(s):
            if isinstance(s, (list, tuple)):
                return [structure(x) for x in s]
            return {"__tensor__": ref(s)}

        layers = []
        for layer in self.layers:
            entry = serialize_layer(layer)
            entry["inbound_nodes"] = [{"args": structure(n.inputs),
                                       "kwargs": _plain_kwargs(n.kwargs)}
                                      for n in self._nodes if n.layer is layer]
            layers.append(entry)
        return {"name": self.name, "trainable": self.trainable, "layers": layers,
                "input_layers": structure(self._input_structure),
                "output_layers": structure(self._output_structure)}

    def get_build_config(self) -> dict | None:
        """The input shapes a subclassed model was built for (to build it again)."""
        return {"input_shapes": [list(t.shape) for t in self.inputs]} if self.built else None

    def save(self, filepath, overwrite=True, **kwargs) -> None:
        """Save architecture, weights and compile settings to a ``.keras`` zip file."""
        filepath = saving.check_model_path(filepath, overwrite)
        if not self.built:
            raise ValueError(f'model "{self.name}" has no weights yet: build it (give an '
                             f"input shape or call it on data) before saving")
        saving.write_model_file(filepath, serialize(self), self.get_weights(), overwrite)

    def save_weights(self, filepath, overwrite=True) -> None:
        """Save only the weights, to a ``.weights.npz`` file (in ``model.weights`` order)."""
        saving.write_weights_file(filepath, self.get_weights(), overwrite)

    def load_weights(self, filepath) -> None:
        self.set_weights(saving.read_weights_file(filepath))


def serialize(model: Model) -> dict:
    """The model as a JSON-ready dict, in Keras 3's shape: its class, ``get_config()``,
    and (when there is one) how it was built and compiled. ``loading.model_from_config``
    reverses it.

    >>> from minikeras.layers import Dense
    >>> from minikeras.models import Sequential
    >>> entry = serialize(Sequential([Dense(2, input_shape=(3,))], name="tiny"))
    >>> entry["class_name"], [layer["class_name"] for layer in entry["config"]["layers"]]
    ('Sequential', ['InputLayer', 'Dense'])
    """
    entry = {"module": "minikeras.models", "class_name": type(model).__name__,
             "config": model.get_config()}
    if model._is_subclassed():
        entry["build_config"] = model.get_build_config()
    if model.compiled:
        entry["compile_config"] = model.get_compile_config()
    return entry


def _node_numbers(model) -> dict:
    """Number each layer's calls that belong to this model 0, 1, ... (as saved)."""
    numbers, counts = {}, {}
    for layer in (t._keras_history[0] for t in model.inputs):
        numbers[(id(layer), 0)] = 0
        counts[id(layer)] = 1
    for node in model._nodes:
        layer = node.layer
        index = layer._inbound_nodes.index(node)
        numbers[(id(layer), index)] = counts.get(id(layer), 0)
        counts[id(layer)] = counts.get(id(layer), 0) + 1
    return numbers


def _plain_kwargs(kwargs: dict) -> dict:
    return {k: v for k, v in kwargs.items()
            if k not in ("training", "mask") and isinstance(v, (int, float, str, bool))}


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
