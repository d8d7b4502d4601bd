"""Weight penalties added to the loss: L1, L2 and both.

>>> import minikeras.backend as K
>>> K.eval(L2(0.01)(K.constant([1.0, 2.0])))        # 0.01 * (1 + 4)
array(0.05, dtype=float32)
"""
from __future__ import annotations

from minikeras.ops import elementwise as ew
from minikeras.ops import reductions as red


class Regularizer:
    """Base class: a callable from a weight tensor to a scalar penalty.

    >>> import minikeras.backend as K
    >>> class Count(Regularizer):
    ...     def __call__(self, x):
    ...         return K.count(x)
    >>> K.eval(Count()(K.zeros((2, 3))))
    array(6., dtype=float32)
    """

    def __call__(self, x):
        return 0.0

    def get_config(self) -> dict:
        return {}


class L1L2(Regularizer):
    """l1 * sum(|x|) + l2 * sum(x^2).

    >>> L1L2(l1=0.1, l2=0.0).get_config()
    {'l1': 0.1, 'l2': 0.0}
    """

    def __init__(self, l1: float = 0.0, l2: float = 0.0):
        self.l1, self.l2 = float(l1), float(l2)

    def __call__(self, x):
        penalty = 0.0
        if self.l1:
            penalty = penalty + self.l1 * red.sum(ew.abs(x))
        if self.l2:
            penalty = penalty + self.l2 * red.sum(ew.square(x))
        return penalty

    def get_config(self) -> dict:
        return {"l1": self.l1, "l2": self.l2}


class L1(L1L2):
    """l1 * sum(|x|).

    >>> L1(0.01).get_config()
    {'l1': 0.01}
    """

    def __init__(self, l1: float = 0.01):
        super().__init__(l1=l1)

    def get_config(self) -> dict:
        return {"l1": self.l1}


class L2(L1L2):
    """l2 * sum(x^2).

    >>> L2(0.01).get_config()
    {'l2': 0.01}
    """

    def __init__(self, l2: float = 0.01):
        super().__init__(l2=l2)

    def get_config(self) -> dict:
        return {"l2": self.l2}


l1, l2, l1_l2 = L1, L2, L1L2
_BY_NAME = {"l1": L1, "l2": L2, "l1_l2": L1L2, "L1": L1, "L2": L2, "L1L2": L1L2}


def get(identifier):
    """None, a name ('l2'), a {'class_name', 'config'} dict, or a callable."""
    if identifier is None or callable(identifier):
        return identifier
    if isinstance(identifier, str) and identifier in _BY_NAME:
        return _BY_NAME[identifier]()
    if isinstance(identifier, dict) and identifier.get("class_name") in _BY_NAME:
        return _BY_NAME[identifier["class_name"]](**identifier.get("config", {}))
    raise ValueError(f"unknown regularizer {identifier!r}; valid names: l1, l2, l1_l2")


def serialize(regularizer) -> dict | None:
    if regularizer is None:
        return None
    if not isinstance(regularizer, Regularizer):
        raise ValueError(f"cannot serialize the regularizer {regularizer!r}: use L1/L2/L1L2")
    return {"class_name": type(regularizer).__name__, "config": regularizer.get_config()}
