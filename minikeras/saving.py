"""Saving, the parts every file format shares: the atomic write, a Lambda's function as
source text, and minikeras's own model configs (which issue 9 moves to the models).

The files themselves are Keras 3's (``minikeras.keras_format`` for the bytes,
``minikeras.models.keras_files`` for the model's side); ``model.save`` and
``minikeras.models.load_model`` are the entry points. Files are written to a temporary
name in the same folder and then renamed, so a crash never leaves a half-written model
behind, and the next save of the same file removes what a killed one left.

>>> import os, tempfile
>>> path = os.path.join(tempfile.mkdtemp(), "notes.txt")
>>> atomic_write(path, b"all or nothing")
>>> open(path, "rb").read()
b'all or nothing'
"""
from __future__ import annotations

import ast
import inspect
import os
import re
import tempfile
import textwrap

import numpy as np

FORMAT_VERSION = "minikeras-1"


# ---------------------------------------------------------------- atomic writes
def atomic_write(path, data: bytes) -> None:
    """Write ``data`` to ``path`` via a temporary file and a rename (all or nothing).

    A save killed half-way leaves its temporary file ``.tmp-XXXXXXXX<name>`` behind; the
    next save of the same file removes it."""
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    remove_stale_temp_files(path)
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


def remove_stale_temp_files(path) -> list[str]:
    """Delete the temporary files earlier (killed) saves of ``path`` left; return them."""
    folder = os.path.dirname(os.path.abspath(path))
    pattern = re.compile(r"\.tmp-[a-z0-9_]{8}" + re.escape(os.path.basename(path)) + "$")
    removed = []
    for name in os.listdir(folder):
        if pattern.match(name):
            try:
                os.remove(os.path.join(folder, name))
                removed.append(name)
            except FileNotFoundError:  # another save of the same file got there first
                pass
    return removed


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
