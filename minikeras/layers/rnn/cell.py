"""What a recurrent cell is: the Keras cell protocol, and the base of the built-in cells.

A *cell* computes one timestep. Any object works in ``RNN(cell)`` if it has

* ``call(inputs, states, training=None)`` returning ``(output, new_states)``: inputs of
  shape (batch, features) for one step, states a list of (batch, size) tensors;
* ``state_size``: an int, or a list of ints (one per state);
* optionally ``output_size`` (default: the first state size), ``build(input_shape)``
  (called with the shape of one step), ``get_initial_state(batch_size)``, and a
  ``constants`` argument of ``call`` for tensors that do not change over time.

The built-in cells (SimpleRNNCell, LSTMCell, GRUCell) follow the protocol for
``unroll=True`` and for your own loops; they can also run a whole sequence as ONE scan
op (``sequence``), which the RNN layer uses otherwise. Their weights have Keras 3's
names, shapes and gate order, so ``get_weights``/``set_weights`` exchange them with Keras.

>>> import numpy as np, minikeras.backend as K
>>> from minikeras.layers.rnn import SimpleRNNCell
>>> cell = SimpleRNNCell(2, kernel_initializer="ones", recurrent_initializer="zeros")
>>> cell.build((None, 3))
>>> out, states = cell.call(K.constant([[1.0, 0.0, 0.0]]), [K.constant([[0.0, 0.0]])])
>>> np.round(K.eval(out), 4)                   # tanh(x W): tanh(1) in both units
array([[0.7616, 0.7616]], dtype=float32)
"""
from __future__ import annotations

import warnings

import numpy as np

from minikeras import activations, initializers, ops, regularizers
from minikeras import backend as K
from minikeras.layers.base import Layer
from minikeras.layers.rnn.dropout_rnn_cell import DropoutRNNCell
from minikeras.ops.recurrent import ACTIVATIONS
from minikeras.tensor import Tensor

# Keras 1 argument names of the recurrent layers and cells -> Keras 2/3 names.
KERAS1_NAMES = {"output_dim": "units", "init": "kernel_initializer",
                "inner_init": "recurrent_initializer",
                "inner_activation": "recurrent_activation",
                "W_regularizer": "kernel_regularizer", "U_regularizer": "recurrent_regularizer",
                "b_regularizer": "bias_regularizer", "W_constraint": "kernel_constraint",
                "U_constraint": "recurrent_constraint", "b_constraint": "bias_constraint",
                "dropout_W": "dropout", "dropout_U": "recurrent_dropout"}


def keras1_arguments(kwargs: dict) -> dict:
    """Rename Keras 1 arguments (``output_dim``, ``inner_activation``, ...) in place.

    Keras 1's ``hard_sigmoid`` was ``0.2 x + 0.5``; the name means Keras 3's ``x/6 + 0.5``
    here, so asking for it through a Keras 1 argument warns and names the other one.

    >>> keras1_arguments({"output_dim": 4, "dropout_W": 0.1})
    {'units': 4, 'dropout': 0.1}
    """
    for old, new in KERAS1_NAMES.items():
        if old in kwargs:
            if new in kwargs:
                raise TypeError(f"got both {old!r} (Keras 1) and {new!r}; pass only {new!r}")
            kwargs[new] = kwargs.pop(old)
            if old == "inner_activation" and kwargs[new] == "hard_sigmoid":
                warnings.warn("Keras 1's hard_sigmoid was clip(0.2 x + 0.5, 0, 1); "
                              "'hard_sigmoid' is Keras 3's clip(x / 6 + 0.5, 0, 1). Pass "
                              "'hard_sigmoid_keras2' for the old numbers.", stacklevel=3)
    if "forget_bias_init" in kwargs:  # Keras 1: 'one' meant unit_forget_bias
        kwargs["unit_forget_bias"] = kwargs.pop("forget_bias_init") in ("one", "ones")
    if "consume_less" in kwargs:      # Keras 1's implementation choice; no numeric effect
        kwargs["implementation"] = {"cpu": 0, "mem": 1, "gpu": 2}[kwargs.pop("consume_less")]
    return kwargs


def scan_activation(fn) -> str | None:
    """The name a scan kernel knows ``fn`` by, or None (then the layer is unrolled)."""
    try:
        name = activations.serialize(fn)
    except ValueError:
        return None
    return name if name in ACTIVATIONS else None


# ---------------------------------------------------------------- the protocol's helpers
def state_sizes(cell) -> list[int]:
    """A cell's state sizes as a flat list of ints."""
    size = cell.state_size
    if isinstance(size, (list, tuple)):
        return [int(s) for part in size for s in (part if isinstance(part, (list, tuple))
                                                  else [part])]
    return [int(size)]


def output_size(cell) -> int:
    size = getattr(cell, "output_size", None)
    return int(size) if size is not None else state_sizes(cell)[0]


def zero_states(like: Tensor, sizes) -> list[Tensor]:
    """Zeros (batch, size) for each size, with the batch size of ``like`` (known when data
    flows)."""
    first = like[(slice(None),) + (0,) * (like.ndim - 2) + (slice(0, 1),)]
    return [ops.tile(ops.zeros_like(first), (1, int(s))) for s in sizes]


def layer_entry(layer) -> dict:
    """A wrapped layer or cell as saved inside its wrapper's config: its class and its
    ``get_config()`` (the shape of ``minikeras.layers.serialize``, which this package
    cannot import: the layers package imports it)."""
    return {"module": "minikeras.layers", "class_name": type(layer).__name__,
            "config": layer.get_config(), "name": layer.name}


def cell_from_config(entry: dict):
    """A cell (or wrapped layer) rebuilt from its saved ``{"class_name", "config"}``
    (or the layer itself, when the reader of a file has made it).

    The class is found among the Layer classes Python knows by that name (minikeras's
    first), so a cell of your own comes back too once its class is defined.
    """
    if not isinstance(entry, dict):  # made already (a file's reader makes sub-layers)
        return entry
    name = entry["class_name"]
    found, stack = [], [Layer]
    while stack:
        for sub in stack.pop().__subclasses__():
            stack.append(sub)
            if sub.__name__ == name:
                found.append(sub)
    if not found:
        raise ValueError(f"unknown layer class {name!r}: define (or import) it before "
                         f"loading")
    found.sort(key=lambda cls: not cls.__module__.startswith("minikeras."))
    return found[0].from_config(dict(entry["config"]))


class RecurrentCell(DropoutRNNCell, Layer):
    """The arguments and weights every built-in cell shares (see the subclasses).

    Subclasses set ``n_gates`` and implement ``call`` (one step) and ``sequence``.
    """

    n_gates = 1

    def __init__(self, units, activation="tanh", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", kernel_regularizer=None, recurrent_regularizer=None,
                 bias_regularizer=None, kernel_constraint=None, recurrent_constraint=None,
                 bias_constraint=None, dropout=0.0, recurrent_dropout=0.0, seed=None,
                 implementation=2, **kwargs):
        super().__init__(**kwargs)
        if int(units) <= 0:
            raise ValueError(f"{type(self).__name__} needs a positive number of units, got "
                             f"{units}")
        self.units = int(units)
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.recurrent_initializer = initializers.get(recurrent_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.recurrent_regularizer = regularizers.get(recurrent_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = kernel_constraint
        self.recurrent_constraint = recurrent_constraint
        self.bias_constraint = bias_constraint
        self.dropout = min(1.0, max(0.0, float(dropout)))
        self.recurrent_dropout = min(1.0, max(0.0, float(recurrent_dropout)))
        self.seed = seed
        self.implementation = 1 if self.recurrent_dropout else int(implementation)
        self.input_masks, self.recurrent_mask = None, None

    @property
    def state_size(self):
        return self.units

    @property
    def output_size(self) -> int:
        return self.units

    @property
    def per_gate_masks(self) -> bool:
        return self.n_gates > 1 and self.implementation == 1

    def build(self, input_shape):
        input_dim = input_shape[-1]
        if input_dim is None:
            raise ValueError(f'layer "{self.name}": the last axis of its input must have a '
                             f"known size, got {tuple(input_shape)}")
        width = self.n_gates * self.units
        self.kernel = self.add_weight("kernel", (input_dim, width), self.kernel_initializer,
                                      self.kernel_regularizer,
                                      constraint=self.kernel_constraint)
        self.recurrent_kernel = self.add_weight(
            "recurrent_kernel", (self.units, width), self.recurrent_initializer,
            self.recurrent_regularizer, constraint=self.recurrent_constraint)
        self.bias = self.add_weight("bias", self.bias_shape(), self.bias_initializer_for_build(),
                                    self.bias_regularizer, constraint=self.bias_constraint) \
            if self.use_bias else None

    def bias_shape(self) -> tuple:
        return (self.n_gates * self.units,)

    def bias_initializer_for_build(self):
        return self.bias_initializer

    def activation_names(self) -> dict | None:
        """The scan kernel's names of this cell's activations, or None if one has none."""
        names = {"activation": scan_activation(self.activation)}
        if hasattr(self, "recurrent_activation"):
            names["recurrent_activation"] = scan_activation(self.recurrent_activation)
        return None if None in names.values() else names

    def can_scan(self) -> bool:
        """Can this cell run a whole sequence as one scan op?"""
        return self.built and self.activation_names() is not None

    def get_initial_state(self, batch_size=None, like=None):
        """Zeros (batch, units) for each state (``like``: a (batch, ...) tensor to copy the
        batch size from when it is only known when data flows)."""
        sizes = state_sizes(self)
        if like is not None:
            return zero_states(like, sizes)
        return [K.constant(np.zeros((batch_size, s)), dtype=self.dtype) for s in sizes]

    def get_config(self) -> dict:
        return {**super().get_config(), "units": self.units,
                "activation": activations.serialize(self.activation),
                "use_bias": self.use_bias,
                "kernel_initializer": initializers.serialize(self.kernel_initializer),
                "recurrent_initializer": initializers.serialize(self.recurrent_initializer),
                "bias_initializer": initializers.serialize(self.bias_initializer),
                "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
                "recurrent_regularizer": regularizers.serialize(self.recurrent_regularizer),
                "bias_regularizer": regularizers.serialize(self.bias_regularizer),
                "kernel_constraint": None, "recurrent_constraint": None,
                "bias_constraint": None, "dropout": self.dropout,
                "recurrent_dropout": self.recurrent_dropout, "seed": self.seed}
