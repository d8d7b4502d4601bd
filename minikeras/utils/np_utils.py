"""NumPy helpers for labels (Keras 2 kept them in ``keras.utils.np_utils``)."""
from __future__ import annotations

import numpy as np


def to_categorical(y, num_classes=None, dtype="float32") -> np.ndarray:
    """One-hot encode integer class labels: label ``k`` becomes a row with a 1 in column ``k``.

    ``y`` is any array-like of integers in ``[0, num_classes)``. A trailing axis of
    length 1, as in labels shaped ``(n, 1)``, is dropped first, so ``(n,)`` and
    ``(n, 1)`` both give ``(n, num_classes)``. ``num_classes=None`` means ``max(y) + 1``.
    The class axis is always last.

    Keras 2 had the same signature; Keras 3 dropped ``dtype`` and always returns float64.

    >>> to_categorical([0, 2, 1])
    array([[1., 0., 0.],
           [0., 0., 1.],
           [0., 1., 0.]], dtype=float32)
    >>> to_categorical([[1], [0]], num_classes=3, dtype="int32")
    array([[0, 1, 0],
           [1, 0, 0]], dtype=int32)
    """
    y = np.array(y, dtype="int64")
    shape = y.shape
    if len(shape) > 1 and shape[-1] == 1:
        shape = shape[:-1]
    y = y.reshape(-1)
    if not num_classes:
        num_classes = int(np.max(y)) + 1
    if y.size and (y.min() < 0 or y.max() >= num_classes):
        raise ValueError(f"labels must lie in [0, {num_classes}), got {y.min()}..{y.max()}")
    categorical = np.zeros((y.size, num_classes), dtype=dtype)
    categorical[np.arange(y.size), y] = 1
    return categorical.reshape(shape + (num_classes,))
