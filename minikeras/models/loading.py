"""Rebuilding models: from the config a model gives of itself, or from a ``.keras`` file.

``serialize(model)`` (``model.py``) describes a model as plain data; ``model_from_config``
makes a new model from that description, layer by layer (without weights), and
``load_model`` reads a file (``minikeras.saving``), rebuilds the model, puts its weights
back and compiles it as it was.

Nothing from the file is run as code, with one exception you must ask for: a Lambda
layer's function is source text, re-created only with ``safe_mode=False``.

>>> import tempfile, os, numpy as np
>>> from minikeras.layers import Dense
>>> model = Sequential([Dense(2, input_shape=(3,))])
>>> path = os.path.join(tempfile.mkdtemp(), "tiny.keras")
>>> model.save(path)
>>> np.array_equal(load_model(path).get_weights()[0], model.get_weights()[0])
True
"""
from __future__ import annotations

import numpy as np

from minikeras import layers as layers_module
from minikeras import saving
from minikeras.layers.core import InputLayer
from minikeras.layers.lambda_layer import deserialize_function
from minikeras.models.model import Model
from minikeras.models.sequential import Sequential


def load_model(filepath, custom_objects=None, compile: bool = True, safe_mode: bool = True):
    """Read a ``.keras`` file written by ``model.save``: the same model, weights and (with
    ``compile=True``) compile settings."""
    config, weights = saving.read_model_file(filepath)
    model = model_from_config(config, custom_objects, safe_mode)
    model.set_weights(weights)
    if compile and config.get("compile_config"):
        model.compile_from_config(config["compile_config"])
    return model


def save_model(model, filepath, overwrite: bool = True) -> None:
    """``model.save(filepath)`` (as Keras's ``save_model``)."""
    model.save(filepath, overwrite=overwrite)


def model_from_config(cfg: dict, custom_objects=None, safe_mode: bool = True):
    """Re-create a model (without weights) from ``serialize(model)``'s description."""
    custom_objects = dict(custom_objects or {})
    kind, config = cfg["class_name"], cfg["config"]
    if kind == "Sequential":
        model = Sequential(name=config["name"])
        for entry in config["layers"]:
            model.add(_layer_from_config(entry, custom_objects, safe_mode))
        return model
    if kind in ("Model", "Functional") and "layers" in config:
        tensors = {}
        for entry in config["layers"]:
            layer = _layer_from_config(entry, custom_objects, safe_mode)
            if isinstance(layer, InputLayer):
                tensors[(layer.name, 0, 0)] = layer.output
            for n, node in enumerate(entry.get("inbound_nodes", [])):
                outputs = layer(_rebuild(node["args"], tensors), **node.get("kwargs", {}))
                for i, t in enumerate(outputs if isinstance(outputs, (list, tuple))
                                      else [outputs]):
                    tensors[(layer.name, n, i)] = t
        return Model(_rebuild(config["input_layers"], tensors),
                     _rebuild(config["output_layers"], tensors), name=config["name"])
    cls = custom_objects.get(kind)
    if cls is None:
        raise ValueError(f"the saved model is a subclassed {kind!r}: pass its class in "
                         f"custom_objects={{'{kind}': {kind}}} to load it")
    model = cls.from_config(config) if hasattr(cls, "from_config") else cls()
    build = cfg.get("build_config") or {}
    if build.get("input_shapes"):
        model._ensure_built_from_data([np.zeros([1 if d is None else d for d in s],
                                                dtype="float32")
                                       for s in build["input_shapes"]])
    return model


def _layer_from_config(entry: dict, custom_objects: dict, safe_mode: bool):
    name = entry["class_name"]
    if name in ("Sequential", "Model", "Functional") and name not in custom_objects:
        return model_from_config(entry, custom_objects, safe_mode)  # a nested model
    cls = custom_objects.get(name)
    if cls is not None and isinstance(cls, type) and issubclass(cls, Model):
        return model_from_config(entry, custom_objects, safe_mode)  # nested, subclassed
    cls = cls or _find_layer_class(name)
    cfg = dict(entry["config"])
    if name == "Lambda":
        cfg["function"] = deserialize_function(cfg["function"], safe_mode)
    return cls.from_config(cfg)


def _find_layer_class(name):
    try:
        return layers_module.get(name)
    except ValueError:
        raise ValueError(f"unknown layer class {name!r} in the saved model; pass it in "
                         f"custom_objects={{'{name}': {name}}}") from None


def _rebuild(structure, tensors):
    if isinstance(structure, dict) and "__tensor__" in structure:
        return tensors[tuple(structure["__tensor__"])]
    if isinstance(structure, list):
        return [_rebuild(s, tensors) for s in structure]
    raise ValueError(f"malformed model config near {structure!r}")
