"""Rebuilding models: from the config a model gives of itself, or from a ``.keras`` file.

``load_model`` reads a file written by Keras 3 (3.0 ... 3.15) or by minikeras: the
archive is checked (``minikeras.saving``), the model is built from ``config.json`` with no
more weights than the file holds (``minikeras.layers.budget``), compiled from its
``compile_config``, then filled: model weights, then optimizer state.
``model_from_config`` makes a new model (without weights) from a config in memory:
``serialize(model)``'s, or Keras's. Both use one rebuild, ``keras_files.from_config``.

Nothing from the file is run as code, with one exception you must ask for: a Lambda
layer's function is re-created only with ``safe_mode=False``.

>>> import tempfile, os, numpy as np
>>> from minikeras.layers import Dense
>>> model = Sequential([Dense(2, input_shape=(3,))])
>>> path = os.path.join(tempfile.mkdtemp(), "tiny.keras")
>>> model.save(path)
>>> np.array_equal(load_model(path).get_weights()[0], model.get_weights()[0])
True
>>> model_from_config(serialize(model)).output_shape
(None, 2)
"""
from __future__ import annotations

import warnings

from minikeras.layers.budget import weight_budget
from minikeras.layers.mask_rule import keras3_mask_rule
from minikeras.models.keras_files.from_config import Reader
from minikeras.models.keras_files.weights import ArchiveWeights, check_metadata
from minikeras.models.model import serialize  # noqa: F401 (the docstring's example)
from minikeras.models.sequential import Sequential  # noqa: F401 (the docstring's example)
from minikeras.saving.archive import Archive
from minikeras.saving.errors import FileFormatError
from minikeras.saving.jsonio import parse_json


def save_model(model, filepath, overwrite: bool = True) -> None:
    """``model.save(filepath)`` (as Keras's ``save_model``)."""
    model.save(filepath, overwrite=overwrite)


def model_from_config(cfg: dict, custom_objects=None, safe_mode: bool = True):
    """Re-create a model (without weights) from ``serialize(model)``'s description or
    from Keras's (the ``config.json`` of a ``.keras`` file)."""
    minikeras_v1 = str(cfg.get("module", "")).startswith("minikeras")
    return Reader(None, custom_objects, safe_mode, minikeras_v1=minikeras_v1).model(cfg)


def load_model(filepath, custom_objects=None, compile: bool = True,
               safe_mode: bool = True):
    """A model from a ``.keras`` file written by Keras 3 (3.0 ... 3.15) or minikeras."""
    with Archive(filepath) as archive:
        check_metadata(archive)
        if "config.json" not in archive:
            raise FileFormatError(archive.path, f"not a Keras model file: it has no "
                                                f"config.json (it holds {archive.names})")
        config = parse_json(archive.read("config.json"), archive.path, "config.json")
        if not isinstance(config, dict):
            raise FileFormatError(archive.path, "config.json must hold a JSON object")
        weights = ArchiveWeights(archive)
        try:
            reader = Reader(archive.path, custom_objects, safe_mode,
                            minikeras_v1=str(config.get("module", "")).startswith("minikeras"))
            # the file's model was built under Keras 3's mask rule (see layers/mask_rule.py)
            with weight_budget(weights.total, reader.error), keras3_mask_rule():
                model = _guarded(archive.path, "rebuilt from config.json",
                                 lambda: reader.model(config))
            if compile and config.get("compile_config"):
                _compile(model, config["compile_config"], reader)
            _guarded(archive.path, "filled with the file's weights",
                     lambda: weights.load_into(model))
        finally:
            weights.close()
    return model


def _guarded(path, what: str, fn):
    try:
        return fn()
    except (FileFormatError, MemoryError):
        raise
    except Exception as e:
        raise FileFormatError(path, f"the model cannot be {what}: {type(e).__name__}: {e}") \
            from e


# ---------------------------------------------------------------- compile settings
def _compile(model, config: dict, reader: Reader) -> None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            model.compile_from_config(config)
    except Exception as e:
        raise reader.error(f"the model's compile settings cannot be used ({e}); pass "
                           f"compile=False to load it uncompiled") from e
