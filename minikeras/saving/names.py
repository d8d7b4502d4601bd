"""How minikeras classes are named in a Keras 3 file: one table entry per class.

A layer's entry says which ``config`` keys Keras 3.0 accepts (every later 3.x accepts
them too, but each release adds keys that older ones reject with a ``TypeError``), which
of them hold whole layers (an RNN's ``cell``, a wrapper's ``layer``), and which of its
attributes hold the layers whose weights Keras saves below it: ``<path>/<attribute>``.
So a recurrent layer's weights are at ``layers/lstm/cell/vars`` (the cell owns them), a
Bidirectional's at ``.../forward_layer/cell/vars`` and ``.../backward_layer/cell/vars``,
stacked cells' at ``layers/rnn/cell/cells/lstm_cell/vars``, TimeDistributed's at
``.../layer/vars``. A new layer family is one entry here; a class without an entry is
written with every key of its ``get_config()``, its sub-layers found among its attributes.

The key sets are Keras 3.0.0's ``get_config()`` (and, for SimpleRNN, its ``seed``
argument, which 3.0 takes but forgot to write); ``tests/interop`` checks them against the
installed Keras 3.0.

Layers get their place in a weights file by Keras's snake_case rule
(``minikeras.utils.naming.to_snake_case``), numbered within their list (``unique_name``).

>>> LAYERS["Dense"].keys[:3]
('units', 'activation', 'use_bias')
>>> LAYERS["Bidirectional"].sublayers, LAYERS["Bidirectional"].config_layers
(('backward_layer', 'forward_layer'), (('layer', 'forward_layer'), ('backward_layer', 'backward_layer')))
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
        sublayers: the attributes holding the layers (or lists of layers) whose weights
            Keras keeps below this layer's path, at ``<path>/<attribute>``.
        config_layers: ``(config key, attribute)`` for each key whose value is a whole
            serialized layer (or a list of them): the layer held in that attribute.

    >>> KerasLayer(("rate", "noise_shape", "seed")).portable_keys()
    ('name', 'trainable', 'dtype', 'rate', 'noise_shape', 'seed')
    """

    keys: tuple[str, ...]
    weights_at: str = ""
    base_keys: bool = True
    sublayers: tuple[str, ...] = ()
    config_layers: tuple[tuple[str, str], ...] = ()

    def portable_keys(self) -> tuple[str, ...]:
        return (BASE_KEYS if self.base_keys else ()) + self.keys


_MERGE = KerasLayer(())
# convolution and pooling (issue 11): Keras 3.0's keys. Its transposed convolutions had no
# output_padding yet, and Conv1D-3D no lora_rank: those are written only when set.
_WINDOW = ("kernel_size", "strides", "padding", "data_format", "dilation_rate")
_CONV = KerasLayer(("filters", *_WINDOW, "groups", "activation", "use_bias",
                    "kernel_initializer", "bias_initializer", "kernel_regularizer",
                    "bias_regularizer", "activity_regularizer", "kernel_constraint",
                    "bias_constraint"))
_CONV_TRANSPOSE = KerasLayer(("filters", *_WINDOW, "activation", "use_bias",
                              "kernel_initializer", "bias_initializer", "kernel_regularizer",
                              "bias_regularizer", "activity_regularizer", "kernel_constraint",
                              "bias_constraint"))
_DEPTHWISE = KerasLayer(("depth_multiplier", *_WINDOW, "activation", "use_bias",
                         "depthwise_initializer", "bias_initializer", "depthwise_regularizer",
                         "bias_regularizer", "activity_regularizer", "depthwise_constraint",
                         "bias_constraint"))
_SEPARABLE = KerasLayer(("depth_multiplier", "filters", *_WINDOW, "activation", "use_bias",
                         "depthwise_initializer", "pointwise_initializer", "bias_initializer",
                         "depthwise_regularizer", "pointwise_regularizer", "bias_regularizer",
                         "activity_regularizer", "depthwise_constraint",
                         "pointwise_constraint", "bias_constraint"))
_POOLING = KerasLayer(("pool_size", "padding", "strides", "data_format"))
_GLOBAL_POOLING = KerasLayer(("data_format", "keepdims"))

# the recurrent family (Keras 3.0's keys): a layer's own keys, and its cell's
_RNN_LAYER = ("return_sequences", "return_state", "go_backwards", "stateful", "unroll",
              "zero_output_for_mask")
_CELL = ("units", "activation", "use_bias", "kernel_initializer", "recurrent_initializer",
         "bias_initializer", "kernel_regularizer", "recurrent_regularizer",
         "bias_regularizer", "kernel_constraint", "recurrent_constraint", "bias_constraint",
         "dropout", "recurrent_dropout", "seed")
_LSTM_CELL = _CELL + ("recurrent_activation", "unit_forget_bias")
_GRU_CELL = _CELL + ("recurrent_activation", "reset_after")


def _recurrent(cell_keys: tuple[str, ...]) -> KerasLayer:
    """SimpleRNN, LSTM, GRU: the cell's arguments flattened into the layer's config, the
    weights in the cell (``<path>/cell/vars``)."""
    return KerasLayer(_RNN_LAYER + cell_keys + ("activity_regularizer",),
                      sublayers=("cell",))

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
    **{name: _CONV for name in ("Conv1D", "Conv2D", "Conv3D")},
    **{name: _CONV_TRANSPOSE for name in ("Conv1DTranspose", "Conv2DTranspose",
                                          "Conv3DTranspose")},
    **{name: _SEPARABLE for name in ("SeparableConv1D", "SeparableConv2D")},
    **{name: _DEPTHWISE for name in ("DepthwiseConv1D", "DepthwiseConv2D")},
    **{f"{kind}Pooling{rank}D": _POOLING for kind in ("Max", "Average") for rank in (1, 2, 3)},
    **{f"Global{kind}Pooling{rank}D": _GLOBAL_POOLING for kind in ("Max", "Average")
       for rank in (1, 2, 3)},
    "ZeroPadding1D": KerasLayer(("padding",)),
    "ZeroPadding2D": KerasLayer(("padding", "data_format")),
    "ZeroPadding3D": KerasLayer(("padding", "data_format")),
    "Cropping1D": KerasLayer(("cropping",)),
    "Cropping2D": KerasLayer(("cropping", "data_format")),
    "Cropping3D": KerasLayer(("cropping", "data_format")),
    "UpSampling1D": KerasLayer(("size",)),
    "UpSampling2D": KerasLayer(("size", "data_format", "interpolation")),
    "UpSampling3D": KerasLayer(("size", "data_format")),
    "SimpleRNNCell": KerasLayer(_CELL),
    "LSTMCell": KerasLayer(_LSTM_CELL),
    "GRUCell": KerasLayer(_GRU_CELL),
    "SimpleRNN": _recurrent(_CELL),
    "LSTM": _recurrent(_LSTM_CELL),
    "GRU": _recurrent(_GRU_CELL),
    "RNN": KerasLayer(_RNN_LAYER + ("cell",), sublayers=("cell",),
                      config_layers=(("cell", "cell"),)),
    "StackedRNNCells": KerasLayer(("cells",), sublayers=("cells",),
                                  config_layers=(("cells", "cells"),)),
    "Bidirectional": KerasLayer(("merge_mode", "layer", "backward_layer"),
                                sublayers=("backward_layer", "forward_layer"),
                                config_layers=(("layer", "forward_layer"),
                                               ("backward_layer", "backward_layer"))),
    "TimeDistributed": KerasLayer(("layer",), sublayers=("layer",),
                                  config_layers=(("layer", "layer"),)),
}

# the public Keras module of each kind of object a config refers to
MODULES = {"layer": "keras.layers", "initializer": "keras.initializers",
           "regularizer": "keras.regularizers", "constraint": "keras.constraints",
           "optimizer": "keras.optimizers", "loss": "keras.losses"}

# config keys of a layer whose values are serialized objects of one kind
OBJECT_KEY_SUFFIXES = {"_initializer": "initializer", "_regularizer": "regularizer",
                       "_constraint": "constraint"}

# Keras 3.0 knows a few classes by another name (and no Identity initializer at all);
# every later 3.x reads the 3.0 name too, so files carry it
KERAS30_CLASS_NAMES = {"initializer": {"Orthogonal": "OrthogonalInitializer"}}

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
    the base classes.

    A layer that builds a cell from its own arguments (``LSTM(4, reset_after=...)``) names
    the cell's class in ``cell_class``: the cell's arguments are accepted too.
    """
    keys: set[str] = set()
    cell_class = getattr(cls, "cell_class", None)
    if isinstance(cell_class, type):
        cell_keys = accepted_keys(cell_class)
        if cell_keys is None:
            return None
        keys |= cell_keys
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
