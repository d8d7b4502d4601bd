"""A model to and from Keras 3's files: the model's side of the formats (the bytes and
plain data are ``minikeras.saving``'s).

* ``paths.py``: where each layer's weights go (Keras's layer order and numbering);
* ``to_config.py``: the model as Keras's ``config.json``; ``from_config.py``: a model
  from it (Keras 3.0 ... 3.15, or minikeras's first format);
* ``weights.py``: weights and optimizer state in and out, and which weights file is which
  (``*.weights.h5``, a ``.keras`` file's weights, Keras 2 ``.h5``, old ``*.weights.npz``);
* ``write.py``: ``save_model`` (``metadata.json``, ``config.json``, ``model.weights.h5``)
  and ``save_weights``.

``load_model`` is ``minikeras.models.loading``'s: the models import this package to save,
and only loading (which imports the model classes to rebuild them) uses ``from_config``.

>>> import tempfile, os, numpy as np
>>> from minikeras.models import Sequential, load_model
>>> from minikeras.layers import Dense
>>> model = Sequential([Dense(2, input_shape=(3,))])
>>> path = os.path.join(tempfile.mkdtemp(), "tiny.keras")
>>> save_model(model, path)
>>> np.array_equal(load_model(path).get_weights()[0], model.get_weights()[0])
True
"""
from minikeras.models.keras_files.weights import load_weights_file as load_weights  # noqa: F401
from minikeras.models.keras_files.write import save_model, save_weights  # noqa: F401
