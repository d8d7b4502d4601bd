"""Helpers, like ``keras.utils``: ``to_categorical`` (``np_utils.py``), the progress bar
(``progbar.py``), the one atomic file write (``io.py``) and Keras's snake_case names
(``naming.py``).

>>> from minikeras.utils import to_categorical
>>> to_categorical([0, 2])
array([[1., 0., 0.],
       [0., 0., 1.]], dtype=float32)
"""
from minikeras.utils.np_utils import to_categorical  # noqa: F401
