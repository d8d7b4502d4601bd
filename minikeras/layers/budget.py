"""A limit on how many numbers layers may allocate for their weights.

Building a model from a file runs every layer's ``build``, and a small ``config.json``
can ask for enormous layers (``Dense(10**9)``). The loader knows how many numbers the
file's weights hold; inside ``weight_budget(n, error)`` a layer that would create more
raises ``error(message)`` before allocating.

>>> from minikeras.layers import Dense
>>> import numpy as np
>>> with weight_budget(10, ValueError):
...     Dense(100)(np.ones((1, 3)))
Traceback (most recent call last):
...
ValueError: layer "dense..." asks for a weight of shape (3, 100) (300 numbers), but only 10 of the 10 numbers the file holds are left
"""
from __future__ import annotations

import contextvars
import math
from collections.abc import Callable, Iterator
from contextlib import contextmanager

_budget: contextvars.ContextVar = contextvars.ContextVar("weight_budget", default=None)


class _Budget:
    def __init__(self, total: int, error: Callable[[str], Exception]):
        self.total, self.left, self.error = total, total, error


@contextmanager
def weight_budget(elements: int, error: Callable[[str], Exception]) -> Iterator[None]:
    """Allow at most ``elements`` numbers of new weights inside the block."""
    token = _budget.set(_Budget(int(elements), error))
    try:
        yield
    finally:
        _budget.reset(token)


def spend(layer_name: str, shape: tuple) -> None:
    """Called by ``Layer.add_weight`` before it allocates a weight of ``shape``."""
    budget = _budget.get()
    if budget is None:
        return
    n = math.prod(shape)
    if n > budget.left:
        raise budget.error(f'layer "{layer_name}" asks for a weight of shape {tuple(shape)} '
                           f"({n} numbers), but only {budget.left} of the {budget.total} "
                           f"numbers the file holds are left")
    budget.left -= n
