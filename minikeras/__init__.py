"""minikeras: a deep-learning framework you can use like Keras and read like a textbook.

>>> import minikeras as mk
>>> K = mk.backend
>>> K.eval(K.sum(K.variable([[1, 2], [3, 4]]), axis=0))
array([4., 6.], dtype=float32)
"""
from minikeras import backend, config  # noqa: F401
from minikeras.config import set_device  # noqa: F401

__version__ = "0.1.0"
