"""The order and the paths Keras gives a model's parts (shared by writing and reading).

* ``keras_layer_order``: the order of a functional model's ``layers`` in Keras 3 (its
  ``Functional.layers``): by depth from the outputs, deepest first, ties broken by the
  order a depth-first walk from the outputs meets them. Keras numbers weight paths and
  lists ``config.json`` layers in this order, so a writer and a reader must both use it.
* ``saveables``: every object with a ``vars`` group in ``model.weights.h5``, with its
  path: a model's ``layers`` list first (``layers/dense``, ``layers/dense_1``: snake_case
  class names numbered within the list, never ``layer.name``), then sub-layers held in
  attributes (``<path>/<attribute>``, attributes in sorted order, private ones last),
  then the optimizer at ``optimizer``. Each object is saved once, at its first path.

>>> from minikeras.layers import Input, Dense, Concatenate
>>> from minikeras.models import Model
>>> a = Input(shape=(2,), name="a")
>>> shared = Dense(3, name="shared")
>>> out = Dense(1, name="out")(Concatenate(name="cat")([shared(a), shared(Dense(2, name="d")(a))]))
>>> [layer.name for layer in keras_layer_order(Model(a, out))]
['a', 'd', 'shared', 'cat', 'out']
>>> [path for path, _ in saveables(Model(a, out))]
['', 'layers/input_layer', 'layers/dense', 'layers/dense_1', 'layers/concatenate', 'layers/dense_2']
"""
from __future__ import annotations

from collections.abc import Iterator

from minikeras.saving.names import layer_entry, unique_name
from minikeras.utils.naming import to_snake_case


def _node_of(tensor):
    layer, node_index, _ = tensor._keras_history
    return layer._inbound_nodes[node_index]


def _is_input(node) -> bool:
    return not node.input_tensors


def graph_nodes(inputs, outputs) -> list:
    """The nodes between ``inputs`` and ``outputs``, inputs first (a depth-first walk
    from each output, without recursion), and each layer's first-visit rank."""
    finished, order, rank = set(), [], {}
    input_ids = {id(t) for t in inputs}
    for output in outputs:
        stack = [(output, False)]
        in_progress = set()
        while stack:
            tensor, expanded = stack.pop()
            node = _node_of(tensor)
            if expanded:
                in_progress.discard(id(node))
                if id(node) not in finished:
                    finished.add(id(node))
                    order.append(node)
                continue
            if id(node) in finished:
                continue
            if id(node) in in_progress:
                raise ValueError(f"the layer {node.layer.name!r} is part of a cycle")
            if not _is_input(node) and id(tensor) in input_ids:
                finished.add(id(node))
                continue
            rank.setdefault(id(node.layer), len(rank))
            in_progress.add(id(node))
            stack.append((tensor, True))
            if not _is_input(node):
                stack.extend((t, False) for t in reversed(node.input_tensors))
    return order, rank


def keras_layer_order(model) -> list:
    """A functional model's layers in the order Keras 3 lists them."""
    order, rank = graph_nodes(model.inputs, model.outputs)
    in_graph = {id(n) for n in order}
    node_depth, layer_depth, layers = {}, {}, {}
    for node in reversed(order):
        depth = max(node_depth.setdefault(id(node), 0), layer_depth.get(id(node.layer), 0))
        layer_depth[id(node.layer)] = depth
        layers[id(node.layer)] = node.layer
        node_depth[id(node)] = depth
        for parent in node.parent_nodes:
            if id(parent) in in_graph:
                node_depth[id(parent)] = max(depth + 1, node_depth.get(id(parent), 0))
    for t in model.inputs:  # inputs no output depends on are still layers of the model
        layer = t._keras_history[0]
        if id(layer) not in layer_depth:
            layer_depth[id(layer)], rank[id(layer)], layers[id(layer)] = 0, -1, layer
    return sorted(layers.values(), key=lambda l: (-layer_depth[id(l)], rank[id(l)]))


def model_nodes(model) -> list:
    """The nodes of a functional model (every layer call between its inputs and
    outputs), inputs first."""
    return graph_nodes(model.inputs, model.outputs)[0]


# What kind of model an object is, asked of the object (this module is imported by the
# models themselves, to save: it cannot import their classes).
def is_model(obj) -> bool:
    return hasattr(obj, "_is_graph_network")


def is_sequential(obj) -> bool:
    return is_model(obj) and hasattr(obj, "_stack")


def is_graph_model(obj) -> bool:
    """Sequential or functional: a graph of layers, not a subclass with its own call."""
    return is_model(obj) and bool(obj._is_graph_network)


def model_layers(model) -> list:
    """The ``layers`` list Keras walks: Sequential's stack (no InputLayer), a functional
    model's layers in Keras's order (InputLayers included)."""
    if is_sequential(model):
        return list(model.layers)
    if is_graph_model(model):
        return keras_layer_order(model)
    return []


def _children(obj) -> Iterator[tuple[str, object]]:
    """(attribute, layer or list of layers) held by ``obj``, in Keras's order.

    A built-in layer with an entry in the layer table holds exactly the sub-layers the
    entry names (its other attributes are minikeras's own business); any other object,
    every layer it holds in an attribute, as Keras walks them."""
    from minikeras.layers import Layer
    if is_graph_model(obj):
        yield "layers", model_layers(obj)
        return  # a Sequential's or functional model's other attributes are its own
    def key(name):
        return "~" + name if name.startswith("_") else name

    entry = layer_entry(type(obj).__name__)
    declared = entry is not None and type(obj).__module__.startswith("minikeras.")
    for attr in sorted(entry.sublayers if declared else vars(obj), key=key):
        if attr in ("_layers", "_inbound_nodes", "optimizer"):
            continue
        value = vars(obj).get(attr)
        if isinstance(value, Layer):
            yield attr, value
        elif isinstance(value, (list, tuple)) and value and \
                all(isinstance(v, Layer) for v in value):
            yield attr, list(value)


def saveables(model, include_optimizer: bool = True) -> list[tuple[str, object]]:
    """``(path, object)`` for every object with a ``vars`` group, in Keras's order."""
    out, visited = [], set()

    def walk(obj, path):
        if id(obj) in visited:
            return
        visited.add(id(obj))
        out.append((path, obj))
        for attr, child in _children(obj):
            child_path = f"{path}/{attr}" if path else attr
            if isinstance(child, list):
                used: dict[str, int] = {}
                for item in child:
                    name = unique_name(to_snake_case(type(item).__name__), used)
                    walk(item, f"{child_path}/{name}")
            else:
                walk(child, child_path)

    walk(model, "")
    optimizer = getattr(model, "optimizer", None)
    if include_optimizer and optimizer is not None and getattr(model, "compiled", False):
        out.append(("optimizer", optimizer))
    return out


def vars_path(path: str, obj) -> str:
    """The group holding ``obj``'s own variables: ``<path>/vars``, or deeper where the
    layer table says Keras keeps them elsewhere (``<path>/cell/vars``)."""
    entry = layer_entry(type(obj).__name__)
    below = entry.weights_at if entry is not None else ""
    parts = [p for p in (path, below, "vars") if p]
    return "/".join(parts)


def own_variables(obj) -> list:
    """A layer's own variables in Keras's order: trainable ones, then the others."""
    own = list(getattr(obj, "_own_weights", []))
    return [w for w in own if w.trainable] + [w for w in own if not w.trainable]
