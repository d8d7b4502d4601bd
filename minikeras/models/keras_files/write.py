"""Writing a model as Keras 3's files: ``save_model`` (``.keras``) and ``save_weights``
(``.weights.h5``; ``.weights.npz`` for minikeras's first format).

>>> import os, tempfile, zipfile
>>> from minikeras.models import Sequential
>>> from minikeras.layers import Dense
>>> path = os.path.join(tempfile.mkdtemp(), "tiny.keras")
>>> save_model(Sequential([Dense(2, input_shape=(3,))]), path)
>>> zipfile.ZipFile(path).namelist()
['metadata.json', 'config.json', 'model.weights.h5']
"""
from __future__ import annotations

import datetime
import importlib.metadata
import json
import os

from minikeras.models.keras_files import weights as model_weights
from minikeras.models.keras_files.to_config import model_config
from minikeras.saving.archive import write_archive
from minikeras.saving.legacy_npz import write_npz
from minikeras.utils.io import atomic_write

# the oldest Keras that reads the files written here (config keys of Keras 3.0)
WRITES_KERAS_VERSION = "3.0.0"
READS_KERAS_MAJOR = 3


def _version() -> str:
    try:
        return importlib.metadata.version("minikeras")
    except importlib.metadata.PackageNotFoundError:
        return "(not installed)"


def _atomic_write(path, data: bytes) -> None:
    atomic_write(path, data)


def _check_target(filepath, overwrite: bool, suffixes: tuple[str, ...], what: str) -> str:
    filepath = os.fspath(filepath)
    if not filepath.endswith(suffixes):
        raise ValueError(f"{what} must end in {' or '.join(suffixes)}, got {filepath!r}")
    if os.path.exists(filepath) and not overwrite:
        raise FileExistsError(f"{filepath} exists; pass overwrite=True to replace it")
    return filepath


def _require_built(model) -> None:
    if not model.built:
        raise ValueError(f'model "{model.name}" has no weights yet: build it (give an '
                         f"input shape or call it on data) before saving")


# ---------------------------------------------------------------- saving
def save_model(model, filepath, overwrite: bool = True) -> None:
    """Write ``model`` (config, weights, compile settings, optimizer state) as a
    Keras 3 ``.keras`` file."""
    filepath = _check_target(filepath, overwrite, (".keras",), "a model file "
                             "(use save_weights for weights alone)")
    _require_built(model)
    metadata = {"keras_version": WRITES_KERAS_VERSION,
                "date_saved": datetime.datetime.now().strftime("%Y-%m-%d@%H:%M:%S"),
                "written_by": f"minikeras {_version()}"}
    _atomic_write(filepath, write_archive([
        ("metadata.json", json.dumps(metadata).encode()),
        ("config.json", json.dumps(model_config(model)).encode()),
        ("model.weights.h5", model_weights.write_weights(model))]))


def save_weights(model, filepath, overwrite: bool = True) -> None:
    """Weights alone: ``*.weights.h5`` (Keras 3's layout, with the optimizer's state) or
    ``*.weights.npz`` (minikeras's first format: the arrays of ``model.weights``)."""
    filepath = _check_target(filepath, overwrite, (".weights.h5", ".weights.npz"),
                             "a weights file")
    _require_built(model)
    if filepath.endswith(".weights.npz"):
        _atomic_write(filepath, write_npz(model.get_weights()))
    else:
        _atomic_write(filepath, model_weights.write_weights(model))
