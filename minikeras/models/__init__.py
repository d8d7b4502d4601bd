"""Models: Sequential, the functional Model, and how they are saved and rebuilt.

Each model describes itself (``get_config``; ``serialize`` adds how it was built and
compiled), ``loading.py`` rebuilds one from that description, and ``minikeras.saving``
only reads and writes the files.
"""
from minikeras.models.loading import load_model, model_from_config, save_model  # noqa: F401
from minikeras.models.model import Model, serialize  # noqa: F401
from minikeras.models.sequential import Sequential  # noqa: F401
