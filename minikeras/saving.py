"""Saving and loading models, safely: a ``.keras`` zip of JSON and NumPy arrays.

The archive holds ``metadata.json``, ``config.json`` (the architecture and compile
settings, in Keras 3's layout) and ``model.weights.npz`` (every weight array). Loading
reads JSON and raw arrays (``allow_pickle=False``), so a model file can never run code,
with one exception you must ask for: a Lambda layer's function is stored as source text
and only re-created with ``load_model(..., safe_mode=False)``.

Files are written to a temporary name in the same folder and then renamed, so a crash
never leaves a half-written model behind.

>>> import tempfile, os, numpy as np
>>> from minikeras.models import Sequential, load_model
>>> from minikeras.layers import Dense
>>> model = Sequential([Dense(2, input_shape=(3,))])
>>> path = os.path.join(tempfile.mkdtemp(), "tiny.keras")
>>> model.save(path)
>>> np.array_equal(load_model(path).get_weights()[0], model.get_weights()[0])
True
"""
from __future__ import annotations

import ast
import datetime
import inspect
import io
import json
import os
import tempfile
import textwrap
import zipfile

import numpy as np

FORMAT_VERSION = "minikeras-1"


# ---------------------------------------------------------------- atomic writes
def atomic_write(path, data: bytes) -> None:
    """Write ``data`` to ``path`` via a temporary file and a rename (all or nothing)."""
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=os.path.basename(path))
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


def _check_overwrite(path, overwrite: bool) -> None:
    if os.path.exists(path) and not overwrite:
        raise FileExistsError(f"{path} exists; pass overwrite=True to replace it")


# ---------------------------------------------------------------- functions as text
def serialize_function(fn) -> dict:
    """A Lambda's function as source text (loaded back only with safe_mode=False)."""
    try:
        source = textwrap.dedent(inspect.getsource(fn))
    except (OSError, TypeError):
        raise ValueError(f"cannot save the function {fn!r}: its source code is not "
                         f"available (define it in a file or a notebook cell)") from None
    if fn.__name__ == "<lambda>":
        source = _lambda_text(source)
    return {"class_name": "__lambda__", "config": {"name": fn.__name__, "source": source}}


def _lambda_text(source: str) -> str:
    """Cut the lambda expression out of the line(s) that define it."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        tree = ast.parse(source.strip().rstrip(",").rstrip(")") + "\n")
    lambdas = [node for node in ast.walk(tree) if isinstance(node, ast.Lambda)]
    if len(lambdas) != 1:
        raise ValueError("cannot save a Lambda whose line holds several (or no) lambda "
                         "expressions; define the function with def instead")
    return ast.get_source_segment(source, lambdas[0])


def deserialize_function(spec: dict, safe_mode: bool):
    if not safe_mode:
        cfg = spec["config"]
        namespace = _lambda_namespace()
        if cfg["name"] == "<lambda>":
            return eval(cfg["source"], namespace)
        exec(cfg["source"], namespace)  # noqa: S102 (explicitly allowed)
        return namespace[cfg["name"]]
    raise ValueError(
        "this model has a Lambda layer, whose function is stored as Python source; loading "
        "it would run that code. If you trust the file, pass safe_mode=False to load_model.")


def _lambda_namespace() -> dict:
    import minikeras
    from minikeras import backend, ops
    return {"K": backend, "backend": backend, "ops": ops, "minikeras": minikeras,
            "keras": minikeras, "np": np}


# ---------------------------------------------------------------- configs
def layer_config(layer) -> dict:
    return {"module": "minikeras.layers", "class_name": type(layer).__name__,
            "config": layer.get_config(), "name": layer.name}


def sequential_config(model) -> dict:
    layers = []
    if model._input_layer is not None:
        layers.append(layer_config(model._input_layer))
    layers += [layer_config(layer) for layer in model.layers]
    return {"name": model.name, "trainable": model.trainable, "layers": layers}


def _node_numbers(model) -> dict:
    """Number each layer's calls that belong to this model 0, 1, ... (as saved)."""
    numbers, counts = {}, {}
    input_layers = [t._keras_history[0] for t in model.inputs]
    for layer in input_layers:
        numbers[(id(layer), 0)] = 0
        counts[id(layer)] = 1
    for node in model._nodes:
        layer = node.layer
        index = layer._inbound_nodes.index(node)
        numbers[(id(layer), index)] = counts.get(id(layer), 0)
        counts[id(layer)] = counts.get(id(layer), 0) + 1
    return numbers


def functional_config(model) -> dict:
    numbers = _node_numbers(model)

    def ref(t):
        layer, node_index, tensor_index = t._keras_history
        return [layer.name, numbers[(id(layer), node_index)], tensor_index]

    def structure(s):
        if isinstance(s, (list, tuple)):
            return [structure(x) for x in s]
        return {"__tensor__": ref(s)}

    layers = []
    for layer in model.layers:
        nodes = [n for n in model._nodes if n.layer is layer]
        entry = layer_config(layer)
        entry["inbound_nodes"] = [{"args": structure(n.inputs),
                                   "kwargs": _plain_kwargs(n.kwargs)} for n in nodes]
        layers.append(entry)
    return {"name": model.name, "trainable": model.trainable, "layers": layers,
            "input_layers": structure(model._input_structure),
            "output_layers": structure(model._output_structure)}


def _plain_kwargs(kwargs: dict) -> dict:
    return {k: v for k, v in kwargs.items()
            if k not in ("training", "mask") and isinstance(v, (int, float, str, bool))}


def model_config(model) -> dict:
    from minikeras.models import Sequential
    cfg = {"module": "minikeras.models", "class_name": type(model).__name__,
           "config": model.get_config() if (isinstance(model, Sequential) or
                                            model._is_graph_network) else {}}
    if not isinstance(model, Sequential) and not model._is_graph_network:
        cfg["config"] = {"name": model.name}
        if hasattr(model, "get_config") and type(model).get_config is not \
                _model_class().get_config:
            cfg["config"] = model.get_config()
        cfg["build_config"] = {"input_shapes": [list(t.shape) for t in model.inputs]} \
            if model.built else None
    if model.compiled:
        cfg["compile_config"] = _compile_config(model)
    return cfg


def _model_class():
    from minikeras.models import Model
    return Model


def _compile_config(model) -> dict:
    from minikeras import optimizers

    def plain(spec):
        if spec is None or isinstance(spec, (str, int, float)):
            return spec
        if isinstance(spec, (list, tuple)):
            return [plain(s) for s in spec]
        if isinstance(spec, dict):
            return {k: plain(v) for k, v in spec.items()}
        name = getattr(spec, "name", None) or getattr(spec, "__name__", None)
        return name

    return {"optimizer": optimizers.serialize(model.optimizer), "loss": plain(model.loss),
            "metrics": plain(model._metrics_spec), "loss_weights": plain(model._loss_weights)}


# ---------------------------------------------------------------- save
def _weights_npz(model) -> bytes:
    arrays = {}
    for i, w in enumerate(model.weights):
        arrays[f"{i:04d}"] = w.numpy()
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


def save_model(model, filepath, overwrite: bool = True) -> None:
    """Write the model (architecture, weights, compile settings) to a ``.keras`` file."""
    filepath = os.fspath(filepath)
    if not filepath.endswith(".keras"):
        raise ValueError(f"a model file must end in .keras, got {filepath!r} (use "
                         f"save_weights for weights alone)")
    _check_overwrite(filepath, overwrite)
    if not model.built:
        raise ValueError(f'model "{model.name}" has no weights yet: build it (give an '
                         f"input shape or call it on data) before saving")
    meta = {"format": FORMAT_VERSION, "date_saved": datetime.datetime.now().isoformat()}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("metadata.json", json.dumps(meta, indent=2))
        z.writestr("config.json", json.dumps(model_config(model), indent=2))
        z.writestr("model.weights.npz", _weights_npz(model))
    atomic_write(filepath, buffer.getvalue())


def save_weights(model, filepath, overwrite: bool = True) -> None:
    """Write only the weights, to ``*.weights.npz`` (plain arrays, in ``model.weights``
    order)."""
    filepath = os.fspath(filepath)
    if not filepath.endswith(".weights.npz"):
        raise ValueError(f"a weights file must end in .weights.npz, got {filepath!r}")
    _check_overwrite(filepath, overwrite)
    atomic_write(filepath, _weights_npz(model))


def _read_weights(data: bytes) -> list[np.ndarray]:
    with np.load(io.BytesIO(data), allow_pickle=False) as npz:
        return [npz[k] for k in sorted(npz.files)]


def load_weights(model, filepath) -> None:
    with open(filepath, "rb") as f:
        model.set_weights(_read_weights(f.read()))


# ---------------------------------------------------------------- load
def _layer_from_config(entry: dict, custom_objects: dict, safe_mode: bool):
    from minikeras import layers as layers_module
    name = entry["class_name"]
    if name in ("Sequential", "Model", "Functional") and name not in custom_objects:
        return model_from_config(entry, custom_objects, safe_mode)  # a nested model
    cls = custom_objects.get(name)
    if cls is not None and _is_model_class(cls):
        return model_from_config(entry, custom_objects, safe_mode)  # nested, subclassed
    cls = cls or _find_layer_class(name, layers_module)
    cfg = dict(entry["config"])
    if name == "Lambda":
        cfg["function"] = deserialize_function(cfg["function"], safe_mode)
    return cls.from_config(cfg)


def _is_model_class(cls) -> bool:
    return isinstance(cls, type) and issubclass(cls, _model_class())


def _find_layer_class(name, layers_module):
    try:
        return layers_module.get(name)
    except ValueError:
        raise ValueError(f"unknown layer class {name!r} in the saved model; pass it in "
                         f"custom_objects={{'{name}': {name}}}") from None


def model_from_config(cfg: dict, custom_objects=None, safe_mode: bool = True):
    """Re-create a model (without weights) from its saved configuration."""
    from minikeras.layers.core import InputLayer
    from minikeras.models import Model, Sequential
    custom_objects = dict(custom_objects or {})
    kind, config = cfg["class_name"], cfg["config"]
    if kind == "Sequential":
        model = Sequential(name=config["name"])
        for entry in config["layers"]:
            model.add(_layer_from_config(entry, custom_objects, safe_mode))
        return model
    if kind in ("Model", "Functional") and "layers" in config:
        made, tensors = {}, {}
        for entry in config["layers"]:
            layer = _layer_from_config(entry, custom_objects, safe_mode)
            made[layer.name] = layer
            if isinstance(layer, InputLayer):
                tensors[(layer.name, 0, 0)] = layer.output
            for n, node in enumerate(entry.get("inbound_nodes", [])):
                args = _rebuild(node["args"], tensors)
                outputs = layer(args, **node.get("kwargs", {}))
                flat = outputs if isinstance(outputs, (list, tuple)) else [outputs]
                for i, t in enumerate(flat):
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


def _rebuild(structure, tensors):
    if isinstance(structure, dict) and "__tensor__" in structure:
        return tensors[tuple(structure["__tensor__"])]
    if isinstance(structure, list):
        return [_rebuild(s, tensors) for s in structure]
    raise ValueError(f"malformed model config near {structure!r}")


def load_model(filepath, custom_objects=None, compile: bool = True,
               safe_mode: bool = True):
    """Read a ``.keras`` file written by ``save_model``."""
    with zipfile.ZipFile(filepath) as z:
        names = set(z.namelist())
        expected = {"metadata.json", "config.json", "model.weights.npz"}
        if not expected <= names:
            raise ValueError(f"{filepath} is not a minikeras model file (it lacks "
                             f"{sorted(expected - names)})")
        cfg = json.loads(z.read("config.json"))
        weights = _read_weights(z.read("model.weights.npz"))
    model = model_from_config(cfg, custom_objects, safe_mode)
    model.set_weights(weights)
    compile_cfg = cfg.get("compile_config")
    if compile and compile_cfg:
        from minikeras import optimizers
        model.compile(optimizer=optimizers.deserialize(compile_cfg["optimizer"]),
                      loss=compile_cfg["loss"], metrics=compile_cfg["metrics"],
                      loss_weights=compile_cfg["loss_weights"])
    return model
