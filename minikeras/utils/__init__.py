"""Helpers for preparing data, like ``keras.utils``.

>>> from minikeras.utils import to_categorical
>>> to_categorical([0, 2])
array([[1., 0., 0.],
       [0., 0., 1.]], dtype=float32)
"""
from minikeras.utils.np_utils import to_categorical  # noqa: F401
