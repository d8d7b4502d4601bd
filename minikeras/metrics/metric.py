"""The ``Metric`` base class: a number that accumulates over batches (Keras 3's design).

A metric keeps *state* in variables (a running total, a count, confusion-matrix cells):
``update_state(y_true, y_pred, sample_weight=None)`` adds a batch to it, ``result()``
turns the state into the number, ``reset_state()`` starts again. ``fit`` resets every
metric at the start of each epoch, updates them after each batch, and logs their results.

The same class works two ways:

* **standalone**, on arrays: ``update_state`` changes the variables now, ``result()``
  returns a NumPy value;
* **in training**, inside the compiled step: ``fit`` calls ``update_state`` once, on the
  graph's tensors, while *recording* updates (``minikeras.tensor.recording_updates``), so
  each ``variable.assign(...)`` becomes an update pair of the training function.

>>> import numpy as np
>>> from minikeras import ops
>>> class BinaryTruePositives(Metric):
...     def __init__(self, name="binary_true_positives", **kwargs):
...         super().__init__(name=name, **kwargs)
...         self.true_positives = self.add_variable(shape=(), initializer="zeros",
...                                                 name="true_positives")
...     def update_state(self, y_true, y_pred, sample_weight=None):
...         values = ops.logical_and(ops.cast(y_true, "bool"), ops.cast(y_pred, "bool"))
...         self.true_positives.assign(self.true_positives +
...                                    ops.sum(ops.cast(values, self.dtype)))
...     def result(self):
...         return self.true_positives
>>> m = BinaryTruePositives()
>>> m.update_state([0, 1, 1, 1], [1, 0, 1, 1])
>>> m.result()
array(2., dtype=float32)
"""
from __future__ import annotations

import numpy as np

from minikeras import backend as K
from minikeras import config, initializers
from minikeras.backend_functions import on_clear_session
from minikeras.ops.eager import building, to_value
from minikeras.tensor import Tensor, Variable
from minikeras.utils.naming import to_snake_case


class Metric:
    """Base class of the metrics: state variables, ``update_state``, ``result``.

    Args:
        name: the metric's name (its key in the training logs).
        dtype: the dtype of its state and result (floatx by default).

    >>> from minikeras.metrics import Mean
    >>> m = Mean()
    >>> m.update_state([1, 3, 5, 7])
    >>> m.result()
    array(4., dtype=float32)
    >>> m.reset_state(); m.result()
    array(0., dtype=float32)
    """

    def __init__(self, dtype=None, name=None):
        self.name = name or auto_name(type(self).__name__)
        self._dtype = _dtype_name(dtype)
        self._variables: list[Variable] = []

    def __init_subclass__(cls, **kwargs):
        """A subclass's ``result`` gives NumPy values when called on its own, graph
        tensors while training builds its step (so one ``result`` serves both)."""
        super().__init_subclass__(**kwargs)
        if "result" in cls.__dict__:
            cls.result = _valued(cls.__dict__["result"])

    @property
    def dtype(self) -> str:
        return self._dtype

    # ---- state ----
    def add_variable(self, shape=(), initializer="zeros", dtype=None, aggregation="sum",
                     name=None) -> Variable:
        """A state variable (not trained), set to ``initializer`` now and on reset."""
        if not hasattr(self, "_variables"):
            raise RuntimeError(f"{type(self).__name__}.__init__ must call "
                               f"super().__init__() before add_variable")
        shape = (shape,) if isinstance(shape, int) else tuple(shape)
        dtype = _dtype_name(dtype or self.dtype)
        init = initializers.get(initializer)
        variable = K.variable(init(shape, dtype=dtype), dtype=dtype,
                              name=f"{self.name}/{name or 'variable'}")
        variable.trainable = False
        variable._initializer = init
        self._variables.append(variable)
        return variable

    def add_weight(self, shape=(), initializer=None, dtype=None, name=None) -> Variable:
        """Keras 2's name of ``add_variable``."""
        return self.add_variable(shape, initializer or "zeros", dtype, name=name)

    @property
    def variables(self) -> list[Variable]:
        return list(self._variables)

    def reset_state(self) -> None:
        """Every state variable back to zero (Keras 3 resets to zeros, whatever the
        initializer was)."""
        for v in self._variables:
            v.assign(np.zeros(v.shape, v.dtype))

    def reset_states(self) -> None:
        """Keras 2's name of ``reset_state``."""
        self.reset_state()

    # ---- what a subclass writes ----
    def update_state(self, *args, **kwargs) -> None:
        raise NotImplementedError(f"{type(self).__name__} must define update_state")

    def result(self):
        raise NotImplementedError(f"{type(self).__name__} must define result")

    def __call__(self, *args, **kwargs):
        """``update_state`` then ``result``: this batch added, the result so far."""
        self.update_state(*args, **kwargs)
        return self.result()

    # ---- configuration ----
    def get_config(self) -> dict:
        return {"name": self.name, "dtype": self.dtype}

    @classmethod
    def from_config(cls, config: dict):
        return cls(**config)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name}>"


_name_counts: dict[str, int] = {}


def auto_name(class_name: str) -> str:
    """'precision', then 'precision_1', 'precision_2', ... (Keras 3 numbers the metrics
    made without a name; ``K.clear_session()`` starts again)."""
    base = to_snake_case(class_name)
    n = _name_counts.get(base, 0)
    _name_counts[base] = n + 1
    return base if n == 0 else f"{base}_{n}"


on_clear_session(_name_counts.clear)


def _dtype_name(dtype) -> str:
    if isinstance(dtype, dict):  # a DTypePolicy as Keras 3 writes it
        dtype = dtype.get("config", {}).get("name")
    return np.dtype(dtype or config.floatx()).name


def _valued(result):
    def valued(self):
        out = result(self)
        if building():
            return out
        if isinstance(out, dict):
            return {k: _value(v) for k, v in out.items()}
        return _value(out)
    valued.__name__, valued.__doc__ = result.__name__, result.__doc__
    valued.__wrapped__ = result
    return valued


def _value(value):
    return to_value(value) if isinstance(value, Tensor) else np.asarray(value)
