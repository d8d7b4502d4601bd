"""A model's weights to and from the weight formats: Keras 3's ``model.weights.h5``
(by path), Keras 2's ``.h5`` (by position) and minikeras's first npz (by order), and
``load_weights_file``, which tells them apart (and reads the weights of a ``.keras``).

Every array is checked against the variable it fills (count, shape) and read before any
variable changes, so a file that does not fit leaves the model as it was.

>>> from minikeras.models import Sequential
>>> from minikeras.layers import Dense
>>> from minikeras.saving.weights_h5 import WeightsFile
>>> model = Sequential([Dense(2, input_shape=(3,))])
>>> other = Sequential([Dense(2, input_shape=(3,))])
>>> with WeightsFile(write_weights(model), "m.weights.h5") as f:
...     load_weights(other, f)
>>> bool((other.get_weights()[0] == model.get_weights()[0]).all())
True
"""
from __future__ import annotations

import math
import os
import re

from minikeras.models.keras_files.paths import own_variables, saveables, vars_path
from minikeras.saving import keras2_h5, optimizer_state
from minikeras.saving.archive import Archive
from minikeras.saving.errors import FileFormatError
from minikeras.saving.jsonio import parse_json
from minikeras.saving.legacy_npz import NpzFile
from minikeras.saving.weights_h5 import LazyDataset, WeightsFile, write_groups


def write_weights(model, include_optimizer: bool = True) -> bytes:
    """The bytes of ``model.weights.h5`` for ``model`` (and its optimizer)."""
    groups = []
    for path, obj in saveables(model, include_optimizer):
        if path == "optimizer":
            groups.append(("optimizer/vars", obj.name, optimizer_state.state_arrays(obj)))
        else:
            groups.append((vars_path(path, obj), obj.name,
                           [v.numpy() for v in own_variables(obj)]))
    return write_groups(groups)


def load_weights(model, weights: WeightsFile, include_optimizer: bool = True) -> None:
    """Fill the model's variables (and its optimizer's, if it is compiled) by path."""
    pending = []
    for path, obj in saveables(model, include_optimizer=False):
        variables = own_variables(obj)
        group = vars_path(path, obj)
        if not weights.has_group(group):
            if variables:
                raise FileFormatError(weights.path, f'no weights for layer "{obj.name}" '
                                                    f"({type(obj).__name__}): the file has "
                                                    f"no group {group!r}")
            continue
        datasets = weights.datasets(group)
        if len(datasets) != len(variables):
            raise FileFormatError(weights.path, f'layer "{obj.name}" ({type(obj).__name__}) '
                                                f"has {len(variables)} weights "
                                                f"{[v.shape for v in variables]}, the file's "
                                                f"{group} holds {len(datasets)} "
                                                f"{[tuple(d.shape) for d in datasets]}")
        for variable, dataset in zip(variables, datasets):
            where = f'layer "{obj.name}" ({type(obj).__name__}), weight {variable.name}'
            pending.append((variable, weights.read(dataset, variable.shape, variable.dtype,
                                                   where)))
    for variable, value in pending:
        variable.assign(value)
    optimizer = getattr(model, "optimizer", None)
    if include_optimizer and getattr(model, "compiled", False) and optimizer is not None \
            and weights.has_group("optimizer/vars"):
        datasets = weights.datasets("optimizer/vars")
        budget = sum(math.prod(v.shape) for v in model.trainable_weights) * 3 + 64
        if sum(int(d.size) for d in datasets) > budget:
            raise FileFormatError(weights.path, "the optimizer state is larger than three "
                                                "slots per trained weight")
        optimizer_state.restore(optimizer, model.trainable_weights,
                                [LazyDataset(weights, d) for d in datasets], weights.path)


def load_keras2_weights(model, weights: WeightsFile) -> None:
    """Fill ``model`` from a Keras 2 (or 1) file, layer by layer in order, as Keras 2 did."""
    entries = weights.guard(lambda: keras2_h5.layer_datasets(weights.h5, weights.path))
    layers = [layer for layer in model.layers if layer.weights]
    if len(entries) != len(layers):
        raise FileFormatError(weights.path, f"the file has weights for {len(entries)} "
                                            f"layers ({[n for n, _ in entries]}), the model "
                                            f"has {len(layers)} layers with weights "
                                            f"({[layer.name for layer in layers]})")
    pending = []
    for (name, datasets), layer in zip(entries, layers):
        variables = layer.weights
        if len(datasets) != len(variables):
            raise FileFormatError(weights.path, f'layer "{layer.name}" has '
                                                f"{len(variables)} weights "
                                                f"{[v.shape for v in variables]}, the file's "
                                                f"layer {name!r} has {len(datasets)} "
                                                f"{[tuple(d.shape) for d in datasets]}")
        for variable, dataset in zip(variables, datasets):
            weights.guard(lambda d=dataset: weights.check_dataset(d, d.name))
            where = f'layer "{layer.name}" (file layer {name!r}), weight {variable.name}'
            pending.append((variable, weights.read(dataset, variable.shape, variable.dtype,
                                                   where)))
    for variable, value in pending:
        variable.assign(value)


def load_npz_weights(model, npz: NpzFile, path) -> None:
    """minikeras's first format: the arrays of ``model.weights``, in order."""
    variables = model.weights
    shapes = npz.shapes()
    if len(shapes) != len(variables):
        raise FileFormatError(path, f'model "{model.name}" has {len(variables)} weights, '
                                    f"the file holds {len(shapes)} arrays")
    for variable, shape in zip(variables, shapes):
        if tuple(shape) != variable.shape:
            raise FileFormatError(path, f"weight {variable.name} has shape {variable.shape}, "
                                        f"the file's array has shape {tuple(shape)}")
    for variable, array in zip(variables, npz.arrays()):
        variable.assign(array.astype(variable.dtype))


# ---------------------------------------------------------------- files
READS_KERAS_MAJOR = 3


def check_metadata(archive: Archive) -> dict:
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


class ArchiveWeights:
    """The weights of a ``.keras`` archive, in whichever format it holds (``total``: how
    many numbers they declare, the most a model built from the file may create)."""

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
            load_weights(model, self.h5, include_optimizer)
        else:
            load_npz_weights(model, self.npz, self.path)

    def close(self) -> None:
        if self.h5 is not None:
            self.h5.close()


def load_weights_file(model, filepath) -> None:
    """Fill ``model`` (built) from a weights file or the weights of a ``.keras`` file."""
    path = os.fspath(filepath)
    if path.endswith(".keras"):
        with Archive(path) as archive:
            check_metadata(archive)
            weights = ArchiveWeights(archive)
            try:
                weights.load_into(model)
            finally:
                weights.close()
        return
    if path.endswith(".npz"):
        if not os.path.isfile(path):
            raise FileFormatError(path, "no such file")
        with open(path, "rb") as f:
            load_npz_weights(model, NpzFile(f.read(), path), path)
        return
    if not path.endswith((".h5", ".hdf5")):
        raise ValueError(f"load_weights reads .weights.h5, .h5 (Keras 2), .keras and "
                         f".weights.npz files, got {path!r}")
    if not os.path.isfile(path):
        raise FileFormatError(path, "no such file")
    with WeightsFile(path, path) as weights:
        if weights.is_keras3_layout():
            load_weights(model, weights)
        else:
            load_keras2_weights(model, weights)
