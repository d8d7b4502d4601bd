"""Keras 1 argument names for the image layers, translated to today's.

Keras 2.0 renamed most arguments of the convolution and pooling layers, and translated
the old names itself (``keras/legacy/interfaces.py``); Keras 3 dropped the translation.
Tutorials written for Keras 1 still say ``Convolution2D(32, 3, 3, border_mode='same',
dim_ordering='th')``, so minikeras accepts the old names and maps them with this table:

=====================  =======================
Keras 1                Keras 2 and 3
=====================  =======================
nb_filter              filters
filter_length          kernel_size (1-D)
nb_row, nb_col         kernel_size (2-D)
kernel_dim1, 2, 3      kernel_size (3-D)
subsample(_length)     strides
atrous_rate            dilation_rate
border_mode            padding
dim_ordering           data_format ('tf', 'th')
init                   kernel_initializer
W_regularizer          kernel_regularizer
b_regularizer          bias_regularizer
W_constraint           kernel_constraint
b_constraint           bias_constraint
bias                   use_bias
pool_length            pool_size (1-D)
stride                 strides (1-D pooling)
=====================  =======================

>>> renamed, rest = conv_arguments({"nb_filter": 8, "nb_row": 3, "nb_col": 5,
...                                 "border_mode": "same", "name": "c"}, rank=2)
>>> renamed, rest
({'filters': 8, 'padding': 'same', 'kernel_size': (3, 5)}, {'name': 'c'})
"""
from __future__ import annotations

RENAMED = {
    "nb_filter": "filters", "filter_length": "kernel_size", "subsample": "strides",
    "subsample_length": "strides", "atrous_rate": "dilation_rate", "border_mode": "padding",
    "dim_ordering": "data_format", "init": "kernel_initializer",
    "W_regularizer": "kernel_regularizer", "b_regularizer": "bias_regularizer",
    "W_constraint": "kernel_constraint", "b_constraint": "bias_constraint", "bias": "use_bias",
}
POOLING_RENAMED = {"pool_length": "pool_size", "stride": "strides", "border_mode": "padding",
                   "dim_ordering": "data_format"}
KERNEL_DIMS = {2: ("nb_row", "nb_col"), 3: ("kernel_dim1", "kernel_dim2", "kernel_dim3")}


def _check_border_mode(renamed: dict) -> None:
    if renamed.get("padding") == "full":
        raise ValueError("border_mode='full' (Keras 1, Theano only) has no equivalent in "
                         "Keras 2 or 3; pad the input with ZeroPadding first, or pass "
                         "explicit padding to minikeras.ops.conv")


def conv_arguments(kwargs: dict, rank: int) -> tuple[dict, dict]:
    """Split ``kwargs`` into (Keras 1 arguments under their new names, everything else).

    Keras 1's Conv1D took ``input_dim`` and ``input_length``; they become ``input_shape``."""
    rest = dict(kwargs)
    renamed = {RENAMED[k]: rest.pop(k) for k in list(rest) if k in RENAMED}
    dims = KERNEL_DIMS.get(rank, ())
    if any(d in rest for d in dims):
        missing = [d for d in dims if d not in rest]
        if missing:
            raise TypeError(f"Keras 1 kernel sizes need all of {', '.join(dims)}; "
                            f"missing {', '.join(missing)}")
        renamed["kernel_size"] = tuple(int(rest.pop(d)) for d in dims)
    if rank == 1 and "input_length" in rest:
        length, dim = rest.pop("input_length"), rest.pop("input_dim", None)
        rest["input_shape"] = (length, dim)
    elif rank == 1 and "input_dim" in rest and "input_shape" not in rest:
        rest["input_shape"] = (None, rest.pop("input_dim"))
    _check_border_mode(renamed)
    return renamed, rest


def pooling_arguments(kwargs: dict) -> tuple[dict, dict]:
    """Like ``conv_arguments``, for the pooling layers."""
    rest = dict(kwargs)
    renamed = {POOLING_RENAMED[k]: rest.pop(k) for k in list(rest) if k in POOLING_RENAMED}
    _check_border_mode(renamed)
    return renamed, rest


def positional_kernel(args: tuple, rank: int) -> tuple:
    """Keras 1's ``Convolution2D(32, 3, 3)`` (nb_filter, nb_row, nb_col) as
    ``(32, (3, 3))``; other argument lists are left as they are (Keras 3's)."""
    if len(args) > rank and rank > 1 and all(isinstance(a, int) for a in args[1:rank + 1]):
        return (args[0], tuple(args[1:rank + 1]), *args[rank + 1:])
    return args
