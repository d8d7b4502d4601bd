"""The file formats: a model is a ``.keras`` zip of JSON and NumPy arrays; weights alone
are a ``.weights.npz``.

The archive holds ``metadata.json``, ``config.json`` (the architecture and compile
settings, as the model describes itself: ``minikeras.models.serialize``) and
``model.weights.npz`` (every weight array, in ``model.weights`` order). Reading takes JSON
and raw arrays only (``allow_pickle=False``), so a model file can never run code; what
the config describes is rebuilt by ``minikeras.models.loading``.

Files are written with the one atomic write (``utils.io.atomic_write``), so a crash
never leaves a half-written model behind.

This module knows files, not models: it takes and returns plain dicts and arrays.

>>> import os, tempfile, numpy as np
>>> path = os.path.join(tempfile.mkdtemp(), "tiny.keras")
>>> write_model_file(path, {"class_name": "Sequential"}, [np.ones(3)])
>>> config, weights = read_model_file(path)
>>> config["class_name"], weights[0]
('Sequential', array([1., 1., 1.]))
"""
from __future__ import annotations

import datetime
import io
import json
import os
import zipfile

import numpy as np

from minikeras.utils.io import atomic_write

FORMAT_VERSION = "minikeras-1"
_MODEL_FILES = ("metadata.json", "config.json", "model.weights.npz")


def check_model_path(filepath, overwrite: bool = True) -> str:
    """``filepath`` as a string, if a model may be written there (it ends in ``.keras``
    and, unless ``overwrite``, no file is there yet)."""
    filepath = os.fspath(filepath)
    if not filepath.endswith(".keras"):
        raise ValueError(f"a model file must end in .keras, got {filepath!r} (use "
                         f"save_weights for weights alone)")
    _check_overwrite(filepath, overwrite)
    return filepath


def write_model_file(filepath, config: dict, weights, overwrite: bool = True) -> None:
    """Write a ``.keras`` file: the model's config (a JSON-ready dict) and its weights."""
    filepath = check_model_path(filepath, overwrite)
    meta = {"format": FORMAT_VERSION, "date_saved": datetime.datetime.now().isoformat()}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("metadata.json", json.dumps(meta, indent=2))
        z.writestr("config.json", json.dumps(config, indent=2))
        z.writestr("model.weights.npz", _weights_npz(weights))
    atomic_write(filepath, buffer.getvalue())


def read_model_file(filepath) -> tuple[dict, list[np.ndarray]]:
    """(config, weights) from a ``.keras`` file written by ``write_model_file``."""
    with zipfile.ZipFile(filepath) as z:
        names = set(z.namelist())
        if not set(_MODEL_FILES) <= names:
            raise ValueError(f"{filepath} is not a minikeras model file (it lacks "
                             f"{sorted(set(_MODEL_FILES) - names)})")
        config = json.loads(z.read("config.json"))
        weights = _read_weights(z.read("model.weights.npz"))
    return config, weights


def write_weights_file(filepath, weights, overwrite: bool = True) -> None:
    """Write only weights, to ``*.weights.npz`` (plain arrays, in the order given)."""
    filepath = os.fspath(filepath)
    if not filepath.endswith(".weights.npz"):
        raise ValueError(f"a weights file must end in .weights.npz, got {filepath!r}")
    _check_overwrite(filepath, overwrite)
    atomic_write(filepath, _weights_npz(weights))


def read_weights_file(filepath) -> list[np.ndarray]:
    with open(filepath, "rb") as f:
        return _read_weights(f.read())


def _check_overwrite(path: str, overwrite: bool) -> None:
    if os.path.exists(path) and not overwrite:
        raise FileExistsError(f"{path} exists; pass overwrite=True to replace it")


def _weights_npz(weights) -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, **{f"{i:04d}": np.asarray(w) for i, w in enumerate(weights)})
    return buffer.getvalue()


def _read_weights(data: bytes) -> list[np.ndarray]:
    with np.load(io.BytesIO(data), allow_pickle=False) as npz:
        return [npz[k] for k in sorted(npz.files)]
