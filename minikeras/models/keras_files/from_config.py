"""Keras 3's ``config.json`` (from Keras 3.0 ... 3.15, or minikeras) -> a minikeras model.

Read tolerantly, since every Keras release adds keys: a key the minikeras class does not
take is dropped (with a warning when its value is set: the feature is then missing), both
``dtype`` forms are accepted (``"float32"`` and the ``DTypePolicy`` dict of Keras >= 3.4),
``shared_object_id`` is ignored, a functional model's ``inbound_nodes`` may be
Keras 3's ``{"args", "kwargs"}`` form or Keras 2's list form, and a layer held by
another (an RNN's ``cell``, a Bidirectional's ``layer``: the keys the layer table names)
is read with the same tolerance, before its holder is made. Nothing in the file is run:
classes are looked up by name among minikeras's layers (or ``custom_objects``), never
imported from the module the file names, and a ``Lambda``'s function is only re-created
with ``safe_mode=False``.

>>> from minikeras.models.keras_files.to_config import model_config
>>> from minikeras.models import Sequential
>>> from minikeras.layers import Dense
>>> config = model_config(Sequential([Dense(2, input_shape=(3,))], name="tiny"))
>>> config["config"]["layers"][1]["config"]["dtype"] = {
...     "module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"},
...     "registered_name": None, "shared_object_id": 1234}
>>> config["config"]["layers"][1]["config"]["quantization_config"] = None
>>> model = Reader("m.keras").model(config)
>>> model.name, model.output_shape
('tiny', (None, 2))
"""
from __future__ import annotations

import base64
import marshal
import types
import warnings

import numpy as np

from minikeras import constraints, initializers, regularizers
from minikeras.layers.lambda_layer import deserialize_function, lambda_namespace
from minikeras.saving.errors import FileFormatError
from minikeras.saving.names import (
    KERAS30_CLASS_NAMES,
    MODEL_CLASSES,
    OBJECT_KEY_SUFFIXES,
    accepted_keys,
    layer_entry,
)


def _is_set(value) -> bool:
    return value not in (None, False, [], {}, "auto")


def _plain_dtype(value, where: str, path):
    """Both dtype forms: ``"float32"`` and ``{"class_name": "DTypePolicy", ...}``."""
    if isinstance(value, dict):
        value = (value.get("config") or {}).get("name")
    if value is None:
        return None
    try:
        return np.dtype(value).name
    except TypeError:
        raise FileFormatError(path, f"{where}: dtype policy {value!r} is not one minikeras "
                                    f"supports (use a plain dtype such as 'float32')") from None


class Reader:
    """Builds models from config dicts; ``path`` names the file in every error.

    Args:
        path: the file being read.
        custom_objects: ``{class name: class}`` for your own layers and models.
        safe_mode: False allows re-creating Lambda functions (that runs their code).
        minikeras_v1: the config is minikeras's first format (``"module":
            "minikeras.models"``), whose calls list their inputs without Keras's list of
            positional arguments around them.

    >>> Reader("m.keras").layer({"class_name": "Conv9D", "config": {}})
    Traceback (most recent call last):
    ...
    minikeras.saving.errors.FileFormatError: m.keras: unknown layer class 'Conv9D' (module None): minikeras has no such layer; if it is your own, pass it in custom_objects={'Conv9D': Conv9D}
    """

    def __init__(self, path, custom_objects: dict | None = None, safe_mode: bool = True,
                 minikeras_v1: bool = False):
        self.path = path
        self.custom_objects = dict(custom_objects or {})
        self.safe_mode = safe_mode
        self.minikeras_v1 = minikeras_v1

    def error(self, problem: str) -> FileFormatError:
        return FileFormatError(self.path, problem)

    # ---------------------------------------------------------------- classes
    def _custom(self, entry: dict):
        for name in (entry.get("class_name"), entry.get("registered_name")):
            if isinstance(name, str):
                for key in (name, name.split(">")[-1]):
                    if key in self.custom_objects:
                        return self.custom_objects[key]
        return None

    def layer_class(self, entry: dict):
        from minikeras import layers
        name = entry.get("class_name")
        cls = self._custom(entry)
        if cls is not None:
            return cls
        try:
            return layers.get(name)
        except ValueError:
            raise self.error(f"unknown layer class {name!r} (module {entry.get('module')!r})"
                             f": minikeras has no such layer; if it is your own, pass it in "
                             f"custom_objects={{'{name}': {name}}}") from None

    # ---------------------------------------------------------------- objects
    def _object(self, key: str, value, where: str):
        """A serialized initializer/regularizer/constraint inside a layer config."""
        kind = next((k for s, k in OBJECT_KEY_SUFFIXES.items() if key.endswith(s)), None)
        if kind is None or not isinstance(value, dict) or "class_name" not in value:
            return value
        module = {"initializer": initializers, "regularizer": regularizers,
                  "constraint": constraints}[kind]
        keras30 = {old: new for new, old in KERAS30_CLASS_NAMES.get(kind, {}).items()}
        name = keras30.get(value["class_name"], value["class_name"])
        cls = getattr(module, name, None)
        config = dict(value.get("config") or {})
        if isinstance(cls, type):
            config = self._tolerant(cls, config, f"{where}, {key}")
        return {"class_name": name, "config": config}

    def _tolerant(self, cls, config: dict, where: str) -> dict:
        accepted = accepted_keys(cls)
        if accepted is None:
            return config
        dropped = {k: v for k, v in config.items() if k not in accepted}
        set_ = {k: v for k, v in dropped.items() if _is_set(v)}
        if set_:
            warnings.warn(f"{self.path}: {where}: minikeras's {cls.__name__} does not take "
                          f"{sorted(set_)}; ignored: {set_}", stacklevel=4)
        return {k: v for k, v in config.items() if k in accepted}

    # ---------------------------------------------------------------- layers
    def layer(self, entry: dict):
        """One layer (or a nested model) from its serialized entry."""
        if not isinstance(entry, dict) or "class_name" not in entry:
            raise self.error(f"a layer entry must be a dict with 'class_name', got "
                             f"{str(entry)[:80]}")
        if entry["class_name"] in MODEL_CLASSES or self._is_model_class(entry):
            return self.model(entry)
        cls = self.layer_class(entry)
        raw = entry.get("config")
        if not isinstance(raw, dict):
            raise self.error(f"layer {entry['class_name']!r}: its config must be a dict")
        where = f'layer "{raw.get("name")}" ({entry["class_name"]})'
        sublayer_keys = self._sublayer_keys(cls)
        config = {}
        for key, value in raw.items():
            if key == "dtype":
                value = _plain_dtype(value, where, self.path)
            elif key == "function" and entry["class_name"] == "Lambda":
                value = self.function(value, where)
            elif key in sublayer_keys and value is not None:  # an RNN's cell, a wrapper's
                value = [self.layer(v) for v in value] if isinstance(value, list) \
                    else self.layer(value)
            else:
                value = self._object(key, value, where)
            config[key] = value
        config = self._tolerant(cls, config, where)
        if "batch_input_shape" in raw and entry["class_name"] != "InputLayer":
            config["batch_input_shape"] = raw["batch_input_shape"]  # Keras 2 configs
        try:
            return cls.from_config(config)
        except FileFormatError:
            raise
        except Exception as e:  # the layer's own check of its arguments
            raise self.error(f"{where} cannot be made from its config: {e}") from e

    @staticmethod
    def _sublayer_keys(layer_class) -> set[str]:
        """The config keys of a built-in layer class that hold whole layers (read with
        the same tolerance as the model's own layers)."""
        entry = layer_entry(layer_class.__name__)
        if entry is None or not layer_class.__module__.startswith("minikeras."):
            return set()
        return {key for key, _ in entry.config_layers}

    def _is_model_class(self, entry: dict) -> bool:
        from minikeras.models.model import Model
        cls = self._custom(entry)
        return isinstance(cls, type) and issubclass(cls, Model)

    def function(self, spec, where: str):
        """A Lambda's function: only with safe_mode=False, since that runs its code."""
        if not isinstance(spec, dict) or spec.get("class_name") != "__lambda__":
            raise self.error(f"{where}: its function {str(spec)[:80]} is not a lambda "
                             f"minikeras can rebuild")
        if self.safe_mode:
            raise self.error(f"{where} holds a Python function; re-creating it would run "
                             f"code from the file. If you trust the file, pass "
                             f"safe_mode=False to load_model")
        config = spec.get("config") or {}
        if "source" in config:
            return deserialize_function(spec, safe_mode=False)
        if "code" in config:  # written by Keras: marshalled bytecode
            code = marshal.loads(base64.decodebytes(config["code"].encode("ascii")))
            closure = config.get("closure")
            cells = tuple(types.CellType(v) for v in closure) if closure else None
            defaults = tuple(config["defaults"]) if config.get("defaults") else None
            return types.FunctionType(code, lambda_namespace(), code.co_name, defaults, cells)
        raise self.error(f"{where}: its function has neither source nor code")

    # ---------------------------------------------------------------- models
    def model(self, entry: dict):
        """A Sequential, functional or subclassed model from its serialized entry."""
        config = entry.get("config")
        if not isinstance(config, dict):
            raise self.error(f"model {entry.get('class_name')!r}: its config must be a dict")
        kind = MODEL_CLASSES.get(entry["class_name"])
        custom = self._custom(entry)
        if custom is None and kind == "Sequential":
            return self._sequential(config)
        if custom is None and "layers" in config and "input_layers" in config:
            return self._functional(config)
        if custom is None:
            name = entry["class_name"]
            raise self.error(f"the model is a subclassed {name!r}: pass its class in "
                             f"custom_objects={{'{name}': {name}}} to load it")
        return self._subclassed(custom, entry)

    def _sequential(self, config: dict):
        from minikeras.models.sequential import Sequential
        model = Sequential(name=config.get("name"))
        for entry in _list(config, "layers", self):
            model.add(self.layer(entry))
        shape = config.get("build_input_shape")
        if not model.built and shape:
            model.build(tuple(shape))
        return model

    def _subclassed(self, cls, entry: dict):
        config = entry.get("config") or {}
        try:
            model = cls.from_config(config) if hasattr(cls, "from_config") else cls(**config)
        except Exception as e:
            raise self.error(f"model {cls.__name__} cannot be made from its config: {e}") \
                from e
        build = entry.get("build_config") or {}
        shape = build.get("input_shape") or build.get("input_shapes")
        if shape:
            shapes = [shape] if all(d is None or isinstance(d, int) for d in shape) else shape
            model._ensure_built_from_data([np.zeros([1 if d is None else d for d in s],
                                                    dtype="float32") for s in shapes])
        return model

    def _functional(self, config: dict):
        """Rebuild the graph: call each layer on its inputs once they exist (a layer
        shared by two branches may be listed before the layers that feed its second
        call, so calls wait until their inputs are made)."""
        from minikeras.layers.core import InputLayer
        from minikeras.models.model import Model
        entries = _mask_ops_removed(_list(config, "layers", self))
        made, pending, tensors = {}, [], {}
        for entry in entries:
            layer = self.layer(entry)
            name = entry.get("name") or layer.name
            made[name] = layer
            if isinstance(layer, InputLayer):
                tensors[(name, 0, 0)] = layer.output
                continue
            nodes = entry.get("inbound_nodes") or []
            if not isinstance(nodes, list):
                raise self.error(f"layer {name!r}: inbound_nodes must be a list")
            pending.append([name, layer, list(nodes), 0])
        while pending:
            progress = False
            for item in pending:
                name, layer, nodes, done = item
                while nodes:
                    call = self._node_call(nodes[0], tensors, name)
                    if call is None:
                        break
                    args, kwargs = call
                    try:
                        outputs = layer(args, **kwargs)
                    except Exception as e:
                        raise self.error(f'calling layer "{name}" ({type(layer).__name__}) '
                                         f"as the file says failed: {e}") from e
                    flat = outputs if isinstance(outputs, (list, tuple)) else [outputs]
                    for i, t in enumerate(flat):
                        tensors[(name, done, i)] = t
                    nodes.pop(0)
                    done = item[3] = done + 1
                    progress = True
            pending = [item for item in pending if item[2]]
            if pending and not progress:
                names = [item[0] for item in pending]
                raise self.error(f"the layers {names} take inputs that no layer of the "
                                 f"model makes")
        return Model(self._outputs(config.get("input_layers"), tensors),
                     self._outputs(config.get("output_layers"), tensors),
                     name=config.get("name"))

    def _node_call(self, node, tensors, name):
        """(inputs, kwargs) of one call, or None while some input is not made yet."""
        missing = object()

        def ref(history):
            if not (isinstance(history, (list, tuple)) and len(history) >= 3):
                raise self.error(f"layer {name!r}: bad tensor reference {history!r}")
            key = (history[0], int(history[1]), int(history[2]))
            return tensors.get(key, missing)

        def resolve(s):
            if isinstance(s, dict) and s.get("class_name") == "__keras_tensor__":
                return ref((s.get("config") or {}).get("keras_history"))
            if isinstance(s, dict) and "__tensor__" in s:
                return ref(s["__tensor__"])
            if isinstance(s, list):
                return [resolve(x) for x in s]
            if isinstance(s, dict):
                return {k: resolve(v) for k, v in s.items()}
            return s

        def call_kwargs(raw):  # masks travel with minikeras tensors: not an argument
            raw = raw if isinstance(raw, dict) else {}
            return resolve({k: v for k, v in raw.items() if k != "mask"})

        if isinstance(node, dict) and self.minikeras_v1:  # {"args": inputs, "kwargs"}
            inputs = resolve(node.get("args"))
            kwargs = call_kwargs(node.get("kwargs"))
        elif isinstance(node, dict):  # Keras 3: {"args": [inputs], "kwargs": {...}}
            args = resolve(node.get("args", []))
            kwargs = call_kwargs(node.get("kwargs"))
            if not isinstance(args, list) or len(args) != 1:
                raise self.error(f"layer {name!r}: a call with positional arguments "
                                 f"{str(node.get('args'))[:80]}; minikeras layers take one")
            inputs = args[0]
        elif isinstance(node, list):  # Keras 2: [[name, node, tensor, {kwargs}], ...]
            inputs = [ref(r) for r in node]
            kwargs = call_kwargs(node[0][3]) if node and len(node[0]) > 3 else {}
            inputs = inputs[0] if len(inputs) == 1 else inputs
        else:
            raise self.error(f"layer {name!r}: unreadable inbound node {str(node)[:80]}")
        if _contains(inputs, missing) or _contains(kwargs, missing):
            return None
        kwargs = {k: v for k, v in kwargs.items() if not (k == "training" and v is None)}
        return inputs, kwargs

    def _outputs(self, spec, tensors):
        """``input_layers``/``output_layers``: one ``[name, node, tensor]`` triple, or a
        list (or dict) of them."""
        def get(triple):
            key = (triple[0], int(triple[1]), int(triple[2]))
            if key not in tensors:
                raise self.error(f"the model's inputs or outputs name {list(triple)}, which "
                                 f"no layer makes")
            return tensors[key]

        if _is_triple(spec):
            return get(spec)
        if isinstance(spec, dict) and "__tensor__" in spec:  # minikeras's first format
            return get(spec["__tensor__"])
        if isinstance(spec, list) and spec and all(isinstance(s, dict) and "__tensor__" in s
                                                   for s in spec):
            return [get(s["__tensor__"]) for s in spec]
        if isinstance(spec, dict):
            return [get(v) for v in spec.values()]
        if isinstance(spec, list) and spec and all(_is_triple(s) for s in spec):
            tensors_ = [get(s) for s in spec]
            return tensors_[0] if len(tensors_) == 1 else tensors_  # as Keras reads it
        raise self.error(f"unreadable model inputs/outputs {str(spec)[:80]}")


def _references(s, out: set) -> set:
    """The names of the layers whose tensors a call's arguments use."""
    if isinstance(s, dict) and s.get("class_name") == "__keras_tensor__":
        history = (s.get("config") or {}).get("keras_history")
        if isinstance(history, list) and history:
            out.add(history[0])
    elif isinstance(s, dict):
        for value in s.values():
            _references(value, out)
    elif isinstance(s, list):
        if len(s) >= 3 and isinstance(s[0], str) and isinstance(s[1], int):
            out.add(s[0])  # Keras 2: [name, node, tensor, kwargs]
        for value in s:
            _references(value, out)
    return out


def _mask_ops_removed(entries: list) -> list:
    """Keras 3 writes the mask of an ``Embedding(mask_zero=True)`` as a ``NotEqual``
    operation (module ``keras.src.ops...``) passed to later calls as ``mask=``; minikeras
    passes masks along with tensors, so an operation used only as a mask is left out."""
    used: set = set()
    for entry in entries:
        for node in entry.get("inbound_nodes") or [] if isinstance(entry, dict) else []:
            if isinstance(node, dict):
                _references(node.get("args"), used)
                _references({k: v for k, v in (node.get("kwargs") or {}).items()
                             if k != "mask"}, used)
            else:
                _references(node, used)
    return [e for e in entries if not (
        isinstance(e, dict) and str(e.get("module", "")).startswith("keras.src.ops")
        and e.get("name") not in used)]


def _is_triple(s) -> bool:
    return isinstance(s, list) and len(s) == 3 and isinstance(s[0], str) and \
        all(isinstance(i, int) for i in s[1:])


def _contains(s, marker) -> bool:
    if s is marker:
        return True
    if isinstance(s, (list, tuple)):
        return any(_contains(x, marker) for x in s)
    if isinstance(s, dict):
        return any(_contains(v, marker) for v in s.values())
    return False


def _list(config: dict, key: str, reader: Reader) -> list:
    value = config.get(key)
    if not isinstance(value, list):
        raise reader.error(f"the model config's {key!r} must be a list")
    return value
