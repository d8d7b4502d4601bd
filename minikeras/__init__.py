"""minikeras: a deep-learning framework you can use like Keras and read like a textbook.

``import minikeras as keras`` and Keras tutorials run: the names, arguments, defaults and
weight layouts follow Keras (Keras 3, with the Keras 2 spellings old tutorials use).

>>> import minikeras as mk
>>> K = mk.backend
>>> K.eval(K.sum(K.variable([[1, 2], [3, 4]]), axis=0))
array([4., 6.], dtype=float32)
"""
from minikeras import (  # noqa: F401
                       activations,
                       backend,
                       callbacks,
                       config,
                       constraints,
                       datasets,
                       initializers,
                       layers,
                       losses,
                       metrics,
                       models,
                       ops,
                       optimizers,
                       regularizers,
                       utils,
)
from minikeras.kernels import use_device as set_device  # noqa: F401
from minikeras.layers import Input  # noqa: F401
from minikeras.models import Model, Sequential, load_model  # noqa: F401
from minikeras.rng import set_seed  # noqa: F401

__version__ = "0.1.0"
