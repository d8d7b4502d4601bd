"""Small data sets, loaded like ``keras.datasets``.

>>> from minikeras.datasets import mnist
>>> (x_train, y_train), (x_test, y_test) = mnist.load_data()   # doctest: +SKIP
"""
from minikeras.datasets import mnist  # noqa: F401
