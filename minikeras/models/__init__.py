"""Models: Sequential, the functional Model, saving and loading."""
from minikeras.models.model import Model  # noqa: F401
from minikeras.models.sequential import Sequential  # noqa: F401


def load_model(filepath, custom_objects=None, compile=True, safe_mode=True):
    """Load a model saved with ``model.save`` (a .keras zip; no code runs unless
    ``safe_mode=False`` and the model has Lambda layers)."""
    from minikeras.models.keras_files.read import load_model as _load
    return _load(filepath, custom_objects=custom_objects, compile=compile, safe_mode=safe_mode)


def save_model(model, filepath, overwrite=True):
    from minikeras.models.keras_files import save_model as _save
    _save(model, filepath, overwrite=overwrite)
