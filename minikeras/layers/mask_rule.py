"""What a layer that cannot take a mask does when it is given one.

minikeras refuses, with an error naming the layer and the learner's line, as Keras 2 did:
a mask lost on the way (padding counted as data after a ``Flatten``) is a bug that shows
only as a worse model. Keras 3 warns and drops the mask instead. A model read from a
Keras 3 file was built under Keras 3's rule, so the loader rebuilds it inside
``keras3_mask_rule()``: a layer made there keeps Keras 3's rule for good (in every later
call too), dropping the mask with a warning, as Keras does.

>>> import warnings, numpy as np
>>> from minikeras.layers import Embedding, Flatten, Input
>>> ids = Input(shape=(3,), dtype="int32")
>>> masked = Embedding(5, 2, mask_zero=True)(ids)
>>> with keras3_mask_rule():
...     flatten = Flatten()
>>> with warnings.catch_warnings(record=True) as caught:
...     warnings.simplefilter("always")
...     flat = flatten(masked)
>>> flat.shape, "destroy the mask" in str(caught[0].message)
((None, 6), True)
"""
from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager

_drop_masks: contextvars.ContextVar = contextvars.ContextVar("drop_masks", default=False)


@contextmanager
def keras3_mask_rule() -> Iterator[None]:
    """Layers made inside the block drop a mask they cannot take, with a warning."""
    token = _drop_masks.set(True)
    try:
        yield
    finally:
        _drop_masks.reset(token)


def drops_masks() -> bool:
    """Are layers made now under Keras 3's rule (drop and warn) or minikeras's (refuse)?"""
    return _drop_masks.get()
