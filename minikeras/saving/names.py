"""How minikeras classes are named in a Keras 3 file: one table entry per class.

A layer's entry says which ``config`` keys Keras 3.0 accepts (every later 3.x accepts
them too, but each release adds keys that older ones reject with a ``TypeError``), and
where its own weights live in ``model.weights.h5`` when that is not simply
``<path>/vars`` (Keras keeps a recurrent layer's weights in its cell: ``.../cell/vars``).
A new layer family is one entry here; a class without an entry is written with every
key of its ``get_config()``.

Layers get their place in a weights file by Keras's snake_case rule
(``minikeras.utils.naming.to_snake_case``), numbered within their list (``unique_name``).

>>> LAYERS["Dense"].keys[:3]
('units', 'activation', 'use_bias')
"""
from __future__ import annotations

import inspect
from dataclasses import dataclass

BASE_KEYS = ("name", "trainable", "dtype")


@dataclass(frozen=True)
class KerasLayer:
    """One layer class as Keras 3 names it.

    Args:
        keys: the ``config`` keys Keras 3.0 accepts besides ``name``, ``trainable`` and
            ``dtype``.
        weights_at: where the layer's own variables go below its path, e.g. ``"cell"``
            for recurrent layers (Keras keeps them in ``<path>/cell/vars``).
        base_keys: False for the few classes (InputLayer) whose config has no
            ``trainable``.

    >>> KerasLayer(("rate", "noise_shape", "seed")).portable_keys()
    ('name', 'trainable', 'dtype', 'rate', 'noise_shape', 'seed')
    """

    keys: tuple[str, ...]
    weights_at: str = ""
    base_keys: bool = True

    def portable_keys(self) -> tuple[str, ...]:
        return (BASE_KEYS if self.base_keys else ()) + self.keys


_MERGE = KerasLayer(())

LAYERS: dict[str, KerasLayer] = {
    "InputLayer": KerasLayer(("batch_shape", "dtype", "sparse", "name"), base_keys=False),
    "Dense": KerasLayer(("units", "activation", "use_bias", "kernel_initializer",
                         "bias_initializer", "kernel_regularizer", "bias_regularizer",
                         "kernel_constraint", "bias_constraint")),
    "Activation": KerasLayer(("activation",)),
    "Dropout": KerasLayer(("rate", "noise_shape", "seed")),
    "Flatten": KerasLayer(("data_format",)),
    "Reshape": KerasLayer(("target_shape",)),
    "Permute": KerasLayer(("dims",)),
    "RepeatVector": KerasLayer(("n",)),
    "Lambda": KerasLayer(("function", "output_shape", "mask", "arguments")),
    "Masking": KerasLayer(("mask_value",)),
    "Embedding": KerasLayer(("input_dim", "output_dim", "embeddings_initializer",
                             "embeddings_regularizer", "activity_regularizer",
                             "embeddings_constraint", "mask_zero")),
    "Add": _MERGE, "Subtract": _MERGE, "Multiply": _MERGE, "Average": _MERGE,
    "Maximum": _MERGE, "Minimum": _MERGE,
    "Concatenate": KerasLayer(("axis",)),
}

# the public Keras module of each kind of object a config refers to
MODULES = {"layer": "keras.layers", "initializer": "keras.initializers",
           "regularizer": "keras.regularizers", "constraint": "keras.constraints",
           "optimizer": "keras.optimizers", "loss": "keras.losses"}

# config keys of a layer whose values are serialized objects of one kind
OBJECT_KEY_SUFFIXES = {"_initializer": "initializer", "_regularizer": "regularizer",
                       "_constraint": "constraint"}

# Keras class names of models; all are minikeras's Model or Sequential
MODEL_CLASSES = {"Sequential": "Sequential", "Functional": "Model", "Model": "Model"}

def unique_name(name: str, used: dict[str, int]) -> str:
    """``dense``, ``dense_1``, ``dense_2``... within one list (Keras's numbering)."""
    if name in used:
        used[name] += 1
        return f"{name}_{used[name]}"
    used[name] = 0
    return name


def layer_entry(class_name: str) -> KerasLayer | None:
    """The table entry of a layer class, or None for classes without one."""
    return LAYERS.get(class_name)


def accepted_keys(cls) -> set[str] | None:
    """The keyword arguments ``cls(...)`` takes (None: any), following ``**kwargs`` up
    the base classes."""
    keys: set[str] = set()
    for klass in cls.__mro__:
        if klass is object:  # the root's **kwargs take nothing
            return keys - {"self"}
        init = klass.__dict__.get("__init__")
        if init is None:
            continue
        params = inspect.signature(init).parameters.values()
        keys |= {p.name for p in params if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)}
        if not any(p.kind is p.VAR_KEYWORD for p in params):
            return keys - {"self"}
    return None
