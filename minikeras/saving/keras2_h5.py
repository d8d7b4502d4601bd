"""Keras 2 (and Keras 1) HDF5 weight files, ``model.save_weights("w.h5")`` of that era.

The root (or, in a whole-model ``.h5``, the group ``model_weights``) lists its layers in
the attribute ``layer_names``; each layer's group lists its arrays in ``weight_names``
(``dense_1/kernel:0``; Keras 1: ``dense_1_W``). Long lists are split into ``name0``,
``name1``, ... Keras 2 loads them by position: the n-th layer of the file that has weights
goes to the n-th layer of the model that has weights, and within a layer the arrays are in
``layer.weights`` order. So does minikeras (``minikeras.models.keras_files.weights``),
checking every count and shape first.

>>> import io, h5py, numpy as np
>>> buffer = io.BytesIO()
>>> with h5py.File(buffer, "w") as f:
...     f.attrs["layer_names"] = [b"dense_1", b"dropout_1"]
...     f.attrs["keras_version"] = b"2.2.4"
...     g = f.create_group("dense_1")
...     g.attrs["weight_names"] = [b"dense_1/kernel:0", b"dense_1/bias:0"]
...     _ = g.create_dataset("dense_1/kernel:0", data=np.ones((3, 2), "float32"))
...     _ = g.create_dataset("dense_1/bias:0", data=np.zeros(2, "float32"))
...     f.create_group("dropout_1").attrs["weight_names"] = []
>>> with h5py.File(io.BytesIO(buffer.getvalue()), "r") as f:
...     [(name, [d.shape for d in ds]) for name, ds in layer_datasets(f, "w.h5")]
[('dense_1', [(3, 2), (2,)])]
"""
from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from minikeras.saving.errors import FileFormatError

if TYPE_CHECKING:  # imported where a file is read (not with minikeras: 20 ms)
    import h5py

MAX_ATTRIBUTE_BYTES = 16 << 20


def _names(group, attribute: str, path) -> list[str]:
    """A list of names stored in an attribute (or in ``attribute0``, ``attribute1``...)."""
    keys = [attribute] if attribute in group.attrs else []
    i = 0
    while f"{attribute}{i}" in group.attrs:
        keys.append(f"{attribute}{i}")
        i += 1
    names = []
    for key in keys:
        attr = group.attrs.get_id(key)
        if math.prod(attr.shape or ()) * attr.dtype.itemsize > MAX_ATTRIBUTE_BYTES:
            raise FileFormatError(path, f"attribute {key!r} is larger than "
                                        f"{MAX_ATTRIBUTE_BYTES} bytes")
        values = group.attrs[key]
        for v in np.atleast_1d(values).tolist() if np.size(values) else []:
            names.append(v.decode("utf8") if isinstance(v, bytes) else str(v))
    return names


def layer_datasets(f: h5py.File, path) -> list[tuple[str, list]]:
    """``(layer name, [datasets])`` for each layer of the file that has weights."""
    import h5py  # here, not with minikeras: it would add 20 ms to `import minikeras`
    root = f.get("model_weights", f)  # a whole-model .h5 keeps them in model_weights
    out = []
    for name in _names(root, "layer_names", path):
        if name not in root or not isinstance(root[name], h5py.Group):
            raise FileFormatError(path, f"layer_names lists {name!r}, which the file "
                                        f"does not hold")
        group = root[name]
        datasets = []
        for weight_name in _names(group, "weight_names", path):
            if not isinstance(group.get(weight_name, getlink=True), h5py.HardLink) or \
                    not isinstance(group.get(weight_name), h5py.Dataset):
                raise FileFormatError(path, f"layer {name!r}: weight {weight_name!r} is not "
                                            f"a dataset inside the file")
            datasets.append(group[weight_name])
        if datasets:
            out.append((name, datasets))
    return out

