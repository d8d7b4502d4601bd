"""``keras.utils``: helpers for preparing data (``to_categorical``, ``PyDataset``,
``pad_sequences``),
``plot_model``, and house helpers: the progress bar (``progbar.py``), the one atomic file
write (``io.py``) and Keras's snake_case names (``naming.py``).

>>> from minikeras.utils import to_categorical
>>> to_categorical([0, 2])
array([[1., 0., 0.],
       [0., 0., 1.]], dtype=float32)
"""
from minikeras.model_plot import plot_model  # noqa: F401
from minikeras.utils.np_utils import to_categorical  # noqa: F401
from minikeras.utils.py_dataset import PyDataset  # noqa: F401
from minikeras.utils.sequences import pad_sequences  # noqa: F401
