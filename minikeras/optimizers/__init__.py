"""Optimizers: how a gradient becomes a change of the weights.

Training works as it did in Keras 2: an optimizer changes nothing *now*. Given a loss and
the parameters, ``get_updates`` builds a list of symbolic **update pairs**
``(variable, new_value)``. ``K.function(inputs, outputs, updates)`` computes every new
value from the *old* values, then assigns them all; one call of that function is one
training step. So every rule below reads the state as it was before the step.

>>> import minikeras.backend as K
>>> w = K.variable([1.0, -2.0], name='w')
>>> loss = K.sum(K.square(w))                    # gradient: 2 w
>>> opt = SGD(learning_rate=0.1)
>>> step = K.function([], [loss], updates=opt.get_updates(loss, [w]))
>>> step([])                                     # the loss *before* the step
[array(5., dtype=float32)]
>>> K.get_value(w)                               # w - 0.1 * 2 w = 0.8 w
array([ 0.8, -1.6], dtype=float32)
>>> int(K.get_value(opt.iterations))
1

Each rule is the one in Keras 3 (``keras/src/optimizers/*.py``), with Keras 3's defaults.
The Keras 2 arguments ``lr=`` (the learning rate) and ``decay=`` (time decay,
``lr / (1 + decay * iterations)``) are accepted too. In the formulas, ``g`` is the
gradient (after clipping), ``t = iterations + 1`` counts steps from 1, and a variable
with a ``_t`` is its new value.

Each rule has a file of its own (``sgd.py``, ``adam.py``, ...; ``base.py`` holds what
they share). Where a device has a kernel that does a whole step in one pass (SGD with
momentum, Adam, RMSprop), the rule also *declares* it: it returns one
``updates.FusedUpdate`` that carries its plain pairs, and the compiler decides which of
the two runs (``MINIKERAS_FUSE=0``: always the pairs; the numbers are the same).
"""
from __future__ import annotations

from minikeras.optimizers.adadelta import Adadelta
from minikeras.optimizers.adagrad import Adagrad
from minikeras.optimizers.adam import Adam
from minikeras.optimizers.adamax import Adamax
from minikeras.optimizers.base import Optimizer
from minikeras.optimizers.nadam import Nadam
from minikeras.optimizers.rmsprop import RMSprop
from minikeras.optimizers.sgd import SGD

# ---------------------------------------------------------------- by name

ALL_OPTIMIZERS = {cls.__name__.lower(): cls
                  for cls in (SGD, RMSprop, Adagrad, Adadelta, Adam, Adamax, Nadam)}


def serialize(optimizer: Optimizer) -> dict:
    """The optimizer as a plain dict, in the shape Keras 3 writes into ``.keras`` files.

    >>> serialize(SGD(momentum=0.9))['config']['momentum']
    0.9
    """
    return {"module": "keras.optimizers", "class_name": type(optimizer).__name__,
            "config": optimizer.get_config(), "registered_name": None}


def deserialize(config: dict, custom_objects: dict | None = None) -> Optimizer:
    """A new optimizer from ``serialize``'s dict (or Keras 2's ``{class_name, config}``).

    >>> deserialize({'class_name': 'Adam', 'config': {'learning_rate': 0.01}})
    <Adam 'adam' learning_rate=0.01>
    """
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(f"an optimizer config is a dict with 'class_name' and 'config'; "
                         f"got {config!r}")
    name = config["class_name"]
    classes = {**ALL_OPTIMIZERS, **{k.lower(): v for k, v in (custom_objects or {}).items()}}
    cls = classes.get(str(name).lower())
    if cls is None:
        raise ValueError(f"unknown optimizer {name!r}; valid names: "
                         f"{', '.join(sorted(classes))}")
    return cls.from_config(config.get("config") or {})


def get(identifier) -> Optimizer:
    """An optimizer from a name ('adam', 'SGD', ...), a config dict, or an optimizer.

    >>> get('rmsprop')
    <RMSprop 'rmsprop' learning_rate=0.001>
    """
    if isinstance(identifier, Optimizer):
        return identifier
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, str):
        cls = ALL_OPTIMIZERS.get(identifier.lower())
        if cls is not None:
            return cls()
    raise ValueError(f"could not interpret optimizer identifier {identifier!r}: use one of "
                     f"{', '.join(repr(n) for n in ALL_OPTIMIZERS)}, a config dict, or an "
                     f"Optimizer instance")


__all__ = ["SGD", "Adadelta", "Adagrad", "Adam", "Adamax", "Nadam", "Optimizer", "RMSprop",
           "deserialize", "get", "serialize"]
