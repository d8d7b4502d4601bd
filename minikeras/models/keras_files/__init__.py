"""Saving and loading models in Keras 3's files: which format each file is, and in which
order the parts are written and read. (The formats themselves, bytes to plain data and
back, are in ``minikeras.keras_format``; this package is the model's side: where each
layer's weights go, ``paths.py``; the model as Keras's config, ``to_config.py``; a model
from Keras's config, ``from_config.py``; weights in and out, ``weights.py``.)

* ``save_model(model, "m.keras")``: ``metadata.json``, ``config.json`` (``to_config``)
  and ``model.weights.h5`` (``weights``, with the optimizer's state), as Keras 3.
* ``load_model("m.keras")``: the same from Keras 3.0 ... 3.15 or minikeras, and the
  first minikeras format (``model.weights.npz``). The model is built from the config
  with no more weights than the file holds (``layers.budget``), compiled from its
  ``compile_config``, then filled: model weights, then optimizer state.
* ``save_weights``/``load_weights``: ``*.weights.h5`` (Keras 3), a ``.keras`` file's
  weights, Keras 2 ``.h5`` files (read only) and the old ``*.weights.npz``.

Every failure to read a file is a ``FileFormatError`` (a ``ValueError``) naming it.

>>> import tempfile, os, numpy as np
>>> from minikeras.models import Sequential
>>> from minikeras.layers import Dense
>>> model = Sequential([Dense(2, input_shape=(3,))])
>>> path = os.path.join(tempfile.mkdtemp(), "tiny.keras")
>>> save_model(model, path)
>>> np.array_equal(load_model(path).get_weights()[0], model.get_weights()[0])
True
"""
from __future__ import annotations

import datetime
import importlib.metadata
import json
import os
import re
import warnings

from minikeras.keras_format.archive import Archive, write_archive
from minikeras.keras_format.errors import FileFormatError
from minikeras.keras_format.jsonio import parse_json
from minikeras.keras_format.legacy_npz import NpzFile, write_npz
from minikeras.keras_format.names import keras_snake_case
from minikeras.keras_format.weights_h5 import WeightsFile
from minikeras.layers.budget import weight_budget
from minikeras.models.keras_files import weights as model_weights
from minikeras.models.keras_files.from_config import Reader, accepted_keys
from minikeras.models.keras_files.to_config import model_config

# the oldest Keras that reads the files written here (config keys of Keras 3.0)
WRITES_KERAS_VERSION = "3.0.0"
READS_KERAS_MAJOR = 3


def _version() -> str:
    try:
        return importlib.metadata.version("minikeras")
    except importlib.metadata.PackageNotFoundError:
        return "(not installed)"


def _atomic_write(path, data: bytes) -> None:
    from minikeras.saving import atomic_write
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


# ---------------------------------------------------------------- loading
def _metadata(archive: Archive) -> dict:
    if "metadata.json" not in archive:
        return {}  # Keras never reads it; a file without it loads
    metadata = parse_json(archive.read("metadata.json"), archive.path, "metadata.json")
    if not isinstance(metadata, dict):
        raise FileFormatError(archive.path, "metadata.json must hold a JSON object")
    version = str(metadata.get("keras_version", ""))
    major = re.match(r"\d+", version)
    if major and int(major.group()) > READS_KERAS_MAJOR:
        raise FileFormatError(archive.path, f"the file was written by Keras {version}, a "
                                            f"newer format than minikeras reads (Keras "
                                            f"{READS_KERAS_MAJOR}.x files)")
    fmt = metadata.get("format")
    if fmt is not None and fmt != "minikeras-1":
        raise FileFormatError(archive.path, f"the file is in format {fmt!r}, newer than "
                                            f"this minikeras reads (minikeras-1 and Keras 3)")
    return metadata


class _Weights:
    """The weights of a ``.keras`` archive, in whichever format it holds."""

    def __init__(self, archive: Archive):
        self.path = archive.path
        if "model.weights.h5" in archive:
            self.h5 = WeightsFile(archive.read("model.weights.h5"), archive.path)
            self.npz = None
            self.total = self.h5.total_elements()
        elif "model.weights.npz" in archive:
            self.h5 = None
            self.npz = NpzFile(archive.read("model.weights.npz"), archive.path)
            self.total = self.npz.total_elements()
        else:
            raise FileFormatError(archive.path, f"the archive holds no weights "
                                                f"(model.weights.h5); it holds {archive.names}")

    def load_into(self, model, include_optimizer: bool = True) -> None:
        if self.h5 is not None:
            model_weights.load_weights(model, self.h5, include_optimizer)
        else:
            model_weights.load_npz_weights(model, self.npz, self.path)

    def close(self) -> None:
        if self.h5 is not None:
            self.h5.close()


def load_model(filepath, custom_objects=None, compile: bool = True,
               safe_mode: bool = True):
    """A model from a ``.keras`` file written by Keras 3 (3.0 ... 3.15) or minikeras."""
    with Archive(filepath) as archive:
        _metadata(archive)
        if "config.json" not in archive:
            raise FileFormatError(archive.path, f"not a Keras model file: it has no "
                                                f"config.json (it holds {archive.names})")
        config = parse_json(archive.read("config.json"), archive.path, "config.json")
        if not isinstance(config, dict):
            raise FileFormatError(archive.path, "config.json must hold a JSON object")
        weights = _Weights(archive)
        try:
            reader = Reader(archive.path, custom_objects, safe_mode,
                            minikeras_v1=str(config.get("module", "")).startswith("minikeras"))
            with weight_budget(weights.total, reader.error):
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


def load_weights(model, filepath) -> None:
    """Fill ``model`` (built) from a weights file or the weights of a ``.keras`` file."""
    path = os.fspath(filepath)
    if path.endswith(".keras"):
        with Archive(path) as archive:
            _metadata(archive)
            weights = _Weights(archive)
            try:
                weights.load_into(model)
            finally:
                weights.close()
        return
    if path.endswith(".npz"):
        if not os.path.isfile(path):
            raise FileFormatError(path, "no such file")
        with open(path, "rb") as f:
            model_weights.load_npz_weights(model, NpzFile(f.read(), path), path)
        return
    if not path.endswith((".h5", ".hdf5")):
        raise ValueError(f"load_weights reads .weights.h5, .h5 (Keras 2), .keras and "
                         f".weights.npz files, got {path!r}")
    if not os.path.isfile(path):
        raise FileFormatError(path, "no such file")
    with WeightsFile(path, path) as weights:
        if weights.is_keras3_layout():
            model_weights.load_weights(model, weights)
        else:
            model_weights.load_keras2_weights(model, weights)


# ---------------------------------------------------------------- compile settings
def _compile(model, config: dict, reader: Reader) -> None:
    from minikeras import losses, optimizers

    def loss(spec):
        if isinstance(spec, list):
            return [loss(s) for s in spec]
        if isinstance(spec, dict) and "class_name" in spec and "config" in spec:
            cls = getattr(losses, spec["class_name"], None)
            config = spec["config"]
            if isinstance(cls, type) and isinstance(config, dict):
                keys = accepted_keys(cls)
                config = {k: v for k, v in config.items() if keys is None or k in keys}
            return losses.get({"class_name": spec["class_name"], "config": config})
        if isinstance(spec, dict):  # one loss per output name
            return {k: loss(v) for k, v in spec.items()}
        return spec

    def metric(spec):
        if isinstance(spec, list):
            return [metric(s) for s in spec]
        if isinstance(spec, dict) and "class_name" in spec:
            name = (spec.get("config") or {}).get("name") if isinstance(spec.get("config"),
                                                                        dict) else None
            return name or keras_snake_case(spec["class_name"])
        if isinstance(spec, dict):
            return {k: metric(v) for k, v in spec.items()}
        return spec

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            model.compile(optimizer=optimizers.deserialize(config.get("optimizer")),
                          loss=loss(config.get("loss")),
                          metrics=metric(config.get("metrics")) or None,
                          loss_weights=config.get("loss_weights"))
    except Exception as e:
        raise reader.error(f"the model's compile settings cannot be used ({e}); pass "
                           f"compile=False to load it uncompiled") from e
