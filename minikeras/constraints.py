"""Constraints: what a weight must satisfy after every update (as in Keras).

A constraint is applied to a weight's new value right after each training step changes
it, on every device: ``new = constraint(new)``. It works on the value itself (a NumPy
array), not on the graph: the step is computed as usual, then the value is projected
back where it belongs (non-negative, or with columns no longer than some norm).

>>> import numpy as np
>>> MaxNorm(2.0)(np.array([[3.0], [4.0]], dtype="float32"))   # the column had norm 5
array([[1.2],
       [1.6]], dtype=float32)
>>> NonNeg()(np.array([-1.0, 2.0]))
array([0., 2.])
"""
from __future__ import annotations

import numpy as np

from minikeras import config


class Constraint:
    """Base class: a callable from a weight's value to the value to keep.

    >>> class Clip(Constraint):
    ...     def __call__(self, w):
    ...         return np.clip(w, -1.0, 1.0)
    >>> Clip()(np.array([-3.0, 0.5]))
    array([-1. ,  0.5])
    """

    def __call__(self, w: np.ndarray) -> np.ndarray:
        return w

    def get_config(self) -> dict:
        return {}

    @classmethod
    def from_config(cls, config: dict) -> Constraint:
        return cls(**config)


def _norms(w: np.ndarray, axis) -> np.ndarray:
    return np.sqrt(np.sum(np.square(w), axis=axis, keepdims=True))


class MaxNorm(Constraint):
    """Rescale the slices along ``axis`` whose L2 norm is above ``max_value`` down to it.

    Args:
        max_value: the largest norm allowed, defaults to 2.
        axis: the axis (or axes) the norm is taken along, defaults to 0: for a Dense
            kernel (input_dim, units), each unit's incoming weights.
    """

    def __init__(self, max_value: float = 2, axis=0):
        self.max_value, self.axis = max_value, axis

    def __call__(self, w):
        norms = _norms(w, self.axis)
        desired = np.clip(norms, 0, self.max_value)
        return w * (desired / (config.epsilon() + norms))

    def get_config(self) -> dict:
        return {"max_value": self.max_value, "axis": self.axis}


class NonNeg(Constraint):
    """Negative entries become 0."""

    def __call__(self, w):
        return np.maximum(w, 0).astype(w.dtype, copy=False)


class UnitNorm(Constraint):
    """Divide the slices along ``axis`` by their L2 norm.

    Args:
        axis: the axis (or axes) the norm is taken along, defaults to 0.
    """

    def __init__(self, axis=0):
        self.axis = axis

    def __call__(self, w):
        return w / (config.epsilon() + _norms(w, self.axis))

    def get_config(self) -> dict:
        return {"axis": self.axis}


class MinMaxNorm(Constraint):
    """Move the L2 norm of each slice along ``axis`` into [min_value, max_value].

    Args:
        min_value: the smallest norm, defaults to 0.
        max_value: the largest norm, defaults to 1.
        rate: how far to move: 1 goes all the way, 0 changes nothing.
        axis: the axis (or axes) the norm is taken along, defaults to 0.
    """

    def __init__(self, min_value: float = 0.0, max_value: float = 1.0, rate: float = 1.0,
                 axis=0):
        self.min_value, self.max_value, self.rate, self.axis = min_value, max_value, rate, axis

    def __call__(self, w):
        norms = _norms(w, self.axis)
        desired = (self.rate * np.clip(norms, self.min_value, self.max_value)
                   + (1 - self.rate) * norms)
        return w * (desired / (config.epsilon() + norms))

    def get_config(self) -> dict:
        return {"min_value": self.min_value, "max_value": self.max_value, "rate": self.rate,
                "axis": self.axis}


max_norm, non_neg, unit_norm, min_max_norm = MaxNorm, NonNeg, UnitNorm, MinMaxNorm
_BY_NAME = {"max_norm": MaxNorm, "non_neg": NonNeg, "unit_norm": UnitNorm,
            "min_max_norm": MinMaxNorm, "maxnorm": MaxNorm, "nonneg": NonNeg,
            "unitnorm": UnitNorm, "MaxNorm": MaxNorm, "NonNeg": NonNeg, "UnitNorm": UnitNorm,
            "MinMaxNorm": MinMaxNorm}


def get(identifier):
    """None, a name ('max_norm'), a {'class_name', 'config'} dict, or a callable.

    >>> get("non_neg")
    <minikeras.constraints.NonNeg object at ...>
    """
    if identifier is None or callable(identifier):
        return identifier
    if isinstance(identifier, str) and identifier in _BY_NAME:
        return _BY_NAME[identifier]()
    if isinstance(identifier, dict) and identifier.get("class_name") in _BY_NAME:
        return _BY_NAME[identifier["class_name"]].from_config(identifier.get("config") or {})
    raise ValueError(f"unknown constraint {identifier!r}; valid names: max_norm, non_neg, "
                     f"unit_norm, min_max_norm")


def serialize(constraint) -> dict | None:
    """A constraint as a JSON-ready dict (None stays None).

    >>> serialize(MaxNorm(3.0))
    {'class_name': 'MaxNorm', 'config': {'max_value': 3.0, 'axis': 0}}
    """
    if constraint is None:
        return None
    if not isinstance(constraint, Constraint):
        raise ValueError(f"cannot save the constraint {constraint!r}: use MaxNorm, NonNeg, "
                         f"UnitNorm, MinMaxNorm, or a Constraint subclass with get_config")
    return {"class_name": type(constraint).__name__, "config": constraint.get_config()}
