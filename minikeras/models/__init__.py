"""Models: Sequential, the functional Model, and how they are saved and rebuilt.

Each model describes itself (``get_config``; ``serialize`` adds how it was built and
compiled), ``loading.py`` rebuilds one from that description or from a file,
``keras_files/`` turns a model into Keras 3's files and back (weight paths, Keras's
config), and ``minikeras.saving`` only reads and writes the bytes of those files.
"""
from minikeras.models.loading import load_model, model_from_config, save_model  # noqa: F401
from minikeras.models.model import Model, serialize  # noqa: F401
from minikeras.models.sequential import Sequential  # noqa: F401
