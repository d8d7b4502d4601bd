"""A model as Keras 3's ``config.json``, in the key sets Keras 3.0 accepts.

Keras builds every object of a file by passing its ``config`` to the constructor, so an
unknown key is a ``TypeError`` and each release that adds keys makes its files unreadable
by the ones before. This writer keeps, for each class in ``names.LAYERS``, only the keys
Keras 3.0 knows, plus any other key whose value is set (not None, False or empty): such
a value is a minikeras-only feature, and Keras refuses it with its own error rather than
dropping it silently. ``dtype`` is written as a string, built-in classes under Keras's
public modules (``keras.layers``, ``keras.initializers``...), with ``registered_name``
null.

>>> from minikeras.models import Sequential
>>> from minikeras.layers import Dense
>>> config = model_config(Sequential([Dense(2, input_shape=(3,))], name="tiny"))
>>> config["module"], config["class_name"], config["config"]["build_input_shape"]
('keras', 'Sequential', [None, 3])
>>> [(e["module"], e["class_name"]) for e in config["config"]["layers"]]
[('keras.layers', 'InputLayer'), ('keras.layers', 'Dense')]
"""
from __future__ import annotations

import base64
import json
import marshal

from minikeras.models.keras_files.paths import (
    is_model,
    is_sequential,
    model_layers,
    model_nodes,
)
from minikeras.saving.names import (
    KERAS30_CLASS_NAMES,
    MODULES,
    OBJECT_KEY_SUFFIXES,
    layer_entry,
)
from minikeras.utils.naming import to_snake_case


def _is_builtin(obj) -> bool:
    return type(obj).__module__.startswith("minikeras.")


def _serialized(obj, module: str, config: dict) -> dict:
    builtin = _is_builtin(obj)
    return {"module": module if builtin else type(obj).__module__,
            "class_name": type(obj).__name__, "config": config,
            "registered_name": None if builtin else type(obj).__name__}


def _is_set(value) -> bool:
    return value is not None and value is not False and value != [] and value != {}


# ---------------------------------------------------------------- layers
def layer_config(layer) -> dict:
    """A layer's ``config``: Keras 3.0's keys, strings for dtypes, Keras module names
    on the objects inside."""
    config = dict(layer.get_config())
    config.pop("batch_input_shape", None)  # the InputLayer entry carries the shape
    entry = layer_entry(type(layer).__name__)
    if type(layer).__name__ == "InputLayer":
        config.setdefault("sparse", False)
    if type(layer).__name__ == "Lambda":
        config["function"] = keras_function(layer.function, config.get("function"))
    declared = entry is not None and _is_builtin(layer)
    keep = entry.portable_keys() if declared else None
    sublayers = dict(entry.config_layers) if declared else {}
    out = {}
    for key, value in config.items():
        if key in sublayers:  # a whole layer (an RNN's cell, a wrapper's layer)
            out[key] = _sublayer_entries(getattr(layer, sublayers[key]))
        elif keep is None or key in keep or _is_set(value):
            out[key] = _object_value(key, value)
    return out


def _sublayer_entries(held):
    """A layer held by another (or a list of them), serialized as Keras nests them."""
    if isinstance(held, (list, tuple)):
        return [layer_entry_config(layer) for layer in held]
    return layer_entry_config(held)


def _object_value(key: str, value):
    """Serialized objects inside a layer config get their Keras module (and the class
    name Keras 3.0 knows them by)."""
    for suffix, kind in OBJECT_KEY_SUFFIXES.items():
        if key.endswith(suffix) and isinstance(value, dict) and "class_name" in value:
            name = KERAS30_CLASS_NAMES.get(kind, {}).get(value["class_name"],
                                                          value["class_name"])
            return {"module": MODULES[kind], "class_name": name,
                    "config": value.get("config", {}), "registered_name": None}
    return value


def keras_function(fn, minikeras_spec: dict | None) -> dict:
    """A Lambda's function for both readers: minikeras's source text, and Keras's
    marshalled code (``code``, ``defaults``, ``closure``, which Keras runs only with
    ``safe_mode=False``). Closures and defaults that are not plain JSON values are
    left out of the Keras part."""
    spec = dict(minikeras_spec or {"class_name": "__lambda__", "config": {}})
    config = dict(spec.get("config") or {})
    closure = None if fn.__closure__ is None else \
        tuple(c.cell_contents for c in fn.__closure__)
    try:
        json.dumps([fn.__defaults__, closure])
    except (TypeError, ValueError):
        pass
    else:
        config.update(code=base64.encodebytes(marshal.dumps(fn.__code__)).decode("ascii"),
                      defaults=fn.__defaults__, closure=closure)
    return {"class_name": "__lambda__", "config": config}


def keras_call(node) -> tuple:
    """(inputs, keyword arguments) of a layer call as Keras 3 makes it. A recurrent
    layer's initial states (and constants) are extra inputs in minikeras, keyword
    arguments in Keras (``initial_state=[...]``): the layer says which are which."""
    split = getattr(node.layer, "keras_call_arguments", None)
    if split is None:
        return node.inputs, {}
    return split(node.inputs)


def _input_shapes(layer, nodes_in_model):
    """The input shape(s) of the layer's first call in the model, for build_config."""
    for node in layer._inbound_nodes:
        if id(node) in nodes_in_model:
            inputs, _ = keras_call(node)
            flat = inputs if isinstance(inputs, (list, tuple)) else [inputs]
            shapes = [list(t.shape) for t in flat]
            return shapes[0] if len(shapes) == 1 and not isinstance(inputs, list) \
                else shapes
    return None


def layer_entry_config(layer, nodes_in_model=None) -> dict:
    """The serialized layer: ``module``, ``class_name``, ``config``, ``registered_name``
    and, for layers with weights, ``build_config``."""
    if is_model(layer):
        return model_entry(layer)
    entry = _serialized(layer, MODULES["layer"], layer_config(layer))
    if nodes_in_model is not None and layer.weights:
        shapes = _input_shapes(layer, nodes_in_model)
        if shapes is not None:
            entry["build_config"] = {"input_shape": shapes}
    return entry


# ---------------------------------------------------------------- models
def model_entry(model) -> dict:
    """A model as a serialized object (top level, or nested as a layer)."""
    if is_sequential(model):
        return _sequential(model)
    if getattr(model, "_is_graph_network", False) and type(model).__module__.startswith(
            "minikeras."):
        return _functional(model)
    return _subclassed(model)


def _sequential(model) -> dict:
    layers = []
    shape = None
    if model._input_layer is not None:
        layers.append(layer_entry_config(model._input_layer))
        shape = list(model._input_layer._batch_input_shape)
    nodes = {id(n) for n in model_nodes(model)} if model.built else None
    layers += [layer_entry_config(layer, nodes) for layer in model.layers]
    config = {"name": model.name, "trainable": model.trainable, "dtype": model.dtype,
              "layers": layers}
    entry = {"module": "keras", "class_name": "Sequential", "config": config,
             "registered_name": None}
    if shape is not None:
        config["build_input_shape"] = shape
        entry["build_config"] = {"input_shape": shape}
    return entry


def _functional(model) -> dict:
    nodes = model_nodes(model)
    in_model = {id(n) for n in nodes}
    layers = model_layers(model)
    number = {}
    for layer in layers:
        kept = 0
        for node in layer._inbound_nodes:
            if id(node) in in_model:
                number[id(node)] = kept
                kept += 1

    def history(t):
        layer, node_index, tensor_index = t._keras_history
        return [layer.name, number[id(layer._inbound_nodes[node_index])], tensor_index]

    def tensor(t):
        return {"class_name": "__keras_tensor__",
                "config": {"shape": list(t.shape), "dtype": str(t.dtype),
                           "keras_history": history(t)}}

    def structure(s):
        if isinstance(s, (list, tuple)):
            return [structure(x) for x in s]
        if isinstance(s, dict):
            return {k: structure(v) for k, v in s.items()}
        return tensor(s) if hasattr(s, "_keras_history") else s

    def triples(s):  # always a list: Keras 3.0 reads no other form (3.15 reads both)
        return [history(t) for t in (s if isinstance(s, (list, tuple)) else [s])]

    entries = []
    for layer in layers:
        entry = layer_entry_config(layer, in_model)
        entry["name"] = layer.name
        entry["inbound_nodes"] = [] if type(layer).__name__ == "InputLayer" else [
            _node_entry(node, structure) for node in layer._inbound_nodes
            if id(node) in in_model]
        entries.append(entry)
    config = {"name": model.name, "trainable": model.trainable, "layers": entries,
              "input_layers": triples(model._input_structure),
              "output_layers": triples(model._output_structure)}
    return {"module": "keras.src.models.functional", "class_name": "Functional",
            "config": config, "registered_name": "Functional",
            "build_config": {"input_shape": None}}


def _node_entry(node, structure) -> dict:
    """One call: ``{"args": [inputs], "kwargs": {...}}``. The keyword arguments are an
    explicit ``training`` flag and every other argument (tensors as references); masks
    travel with tensors and are not written."""
    inputs, kwargs = keras_call(node)
    out = {}
    for key, value in {**node.kwargs, **kwargs}.items():
        if key == "mask" or (key == "training" and value is None):
            continue
        out[key] = structure(value)
    return {"args": [structure(inputs)], "kwargs": out}


def _subclassed(model) -> dict:
    # a subclass's own get_config, or else (minikeras's default) just its name
    overridden = not type(model).get_config.__module__.startswith("minikeras.")
    config = model.get_config() if overridden else {"name": model.name,
                                                    "trainable": model.trainable}
    entry = _serialized(model, "keras", config)
    if model.built and getattr(model, "inputs", None):
        shapes = [list(t.shape) for t in model.inputs]
        entry["build_config"] = {"input_shape": shapes[0] if len(shapes) == 1 else shapes}
    return entry


# ---------------------------------------------------------------- compile settings
def optimizer_config(optimizer) -> dict:
    config = dict(optimizer.get_config())
    if not config.get("decay"):
        config.pop("decay", None)  # Keras 3 has no time decay; it warns on any value
    return _serialized(optimizer, MODULES["optimizer"], config)


def compile_config(model) -> dict:
    """``compile_config``: what ``compile`` was given, in the keys Keras 3.0 accepts."""
    from minikeras import losses

    def plain(spec):
        if spec is None or isinstance(spec, (str, int, float, bool)):
            return spec
        if isinstance(spec, (list, tuple)):
            return [plain(s) for s in spec]
        if isinstance(spec, dict):
            return {k: plain(v) for k, v in spec.items()}
        try:
            return losses.serialize(spec)
        except ValueError:
            name = getattr(spec, "name", None) or getattr(spec, "__name__", None)
            return to_snake_case(name) if name and name[0].isupper() else name

    return {"optimizer": optimizer_config(model.optimizer), "loss": plain(model.loss),
            "loss_weights": plain(model._loss_weights),
            "metrics": plain(model._metrics_spec) or None, "weighted_metrics": None,
            "run_eagerly": False, "steps_per_execution": 1, "jit_compile": False}


def model_config(model) -> dict:
    """The whole ``config.json``: the model, and its compile settings if compiled."""
    config = model_entry(model)
    if getattr(model, "compiled", False):
        config["compile_config"] = compile_config(model)
    return config
