"""``model.weights.h5``: Keras 3's HDF5 layout of a model's (and optimizer's) variables.

Each saved object has a group ``<path>/vars`` holding datasets ``0, 1, ...`` (its own
variables, trainable ones first) and an attribute ``name``; the model itself is the root
``/vars`` (empty for Sequential and functional models, but Keras 3.0 requires it), layers
without weights get an empty group, and a compiled model adds ``optimizer/vars``.
Datasets are plain contiguous little-endian arrays. (Which object gets which path is the
model's business: ``minikeras.models.keras_files.paths``.)

Reading checks each dataset before it reads a byte of it: a hard link to a real
dataset (no soft, external or virtual ones), a numeric dtype, no more declared bytes than
``MAX_EXPANSION`` times what it stores, and, when read, the exact shape of the variable
it fills. So loading allocates no more than the model needs.

>>> import numpy as np
>>> data = write_groups([("vars", "model", []),
...                      ("layers/dense/vars", "dense", [np.ones((3, 2)), np.zeros(2)])])
>>> with WeightsFile(data, "m.weights.h5") as f:
...     [tuple(d.shape) for d in f.datasets("layers/dense/vars")], f.total_elements()
([(3, 2), (2,)], 8)
"""
from __future__ import annotations

import io
import math
from typing import TYPE_CHECKING

import numpy as np

from minikeras.saving.errors import FileFormatError, human_size

# h5py is imported where a file is read or written, not with minikeras (it would add
# 20 ms to every `import minikeras`); after the first time an import is a dict lookup.
if TYPE_CHECKING:
    import h5py

MAX_EXPANSION = 100      # declared bytes per stored byte (a chunked, compressed dataset)
EXPANSION_FLOOR = 1 << 20
H5_ERRORS = (OSError, KeyError, ValueError, TypeError, RuntimeError, IndexError,
             AttributeError)


# ---------------------------------------------------------------- writing
def write_groups(groups: list[tuple[str, str, list[np.ndarray]]]) -> bytes:
    """The bytes of an HDF5 file with a group per ``(path, name, arrays)``: datasets
    ``0, 1, ...`` and the attribute ``name``, as Keras writes them."""
    import h5py
    buffer = io.BytesIO()
    with h5py.File(buffer, "w") as f:
        for path, name, arrays in groups:
            group = f.require_group(path)
            group.attrs["name"] = str(name)
            for i, array in enumerate(arrays):
                group.create_dataset(str(i), data=_little_endian(array))
    return buffer.getvalue()


def _little_endian(array: np.ndarray) -> np.ndarray:
    return np.asarray(array).astype(array.dtype.newbyteorder("<"), order="C", copy=False)


# ---------------------------------------------------------------- reading
class WeightsFile:
    """An open ``model.weights.h5``, read with the checks above.

    Args:
        source: the file's bytes (a member of a ``.keras``), or the path of a
            ``.weights.h5`` file.
        path: the file named in errors.

    >>> import numpy as np
    >>> with WeightsFile(write_groups([("vars", "m", [np.zeros(2)])]), "m") as w:
    ...     w.has_group("vars"), w.has_group("layers")
    (True, False)
    """

    def __init__(self, source, path):
        import h5py
        self.path = path
        try:
            self._file = h5py.File(io.BytesIO(source) if isinstance(source, bytes)
                                   else source, "r")
        except H5_ERRORS as e:
            raise FileFormatError(path, f"the weights are not a readable HDF5 file ({e})") \
                from None

    def close(self) -> None:
        self._file.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def total_elements(self) -> int:
        """How many numbers the file's datasets declare (each checked)."""
        import h5py
        total = 0

        def visit(name, obj):
            nonlocal total
            if isinstance(obj, h5py.Dataset):
                self.check_dataset(obj, name)
                total += int(obj.size)

        self.guard(lambda: self._file.visititems(visit))
        return total

    def is_keras3_layout(self) -> bool:
        """Keras 3 writes ``vars``/``layers`` groups; Keras 2 a ``layer_names`` list."""
        return self.guard(lambda: "model_weights" not in self._file and not any(
            key.startswith("layer_names") for key in self._file.attrs))

    @property
    def h5(self) -> h5py.File:
        return self._file

    def has_group(self, name: str) -> bool:
        import h5py
        return self.guard(lambda: isinstance(self._file.get(name, getlink=True),
                                              h5py.HardLink) and
                           isinstance(self._file.get(name), h5py.Group))

    def datasets(self, group_name: str) -> list[h5py.Dataset]:
        """The datasets ``0, 1, ...`` of a ``vars`` group, checked, not yet read."""
        import h5py

        def read():
            group = self._file[group_name]
            names = list(group.keys())
            if sorted(names, key=lambda n: (len(n), n)) != [str(i) for i in range(len(names))]:
                raise FileFormatError(self.path, f"group {group_name!r} should hold datasets "
                                                 f"0..{len(names) - 1}, it holds {names[:10]}")
            out = []
            for i in range(len(names)):
                if not isinstance(group.get(str(i), getlink=True), h5py.HardLink):
                    raise FileFormatError(self.path, f"{group_name}/{i} is a link; only "
                                                     f"plain datasets are read")
                dataset = group[str(i)]
                self.check_dataset(dataset, f"{group_name}/{i}")
                out.append(dataset)
            return out
        return self.guard(read)

    def read(self, dataset: h5py.Dataset, shape, dtype, where: str) -> np.ndarray:
        """The values of ``dataset``, which must have ``shape``; cast to ``dtype``."""
        if tuple(dataset.shape) != tuple(shape):
            raise FileFormatError(self.path, f"{where}: the model's weight has shape "
                                             f"{tuple(shape)}, the file's "
                                             f"{dataset.name.lstrip('/')} has shape "
                                             f"{tuple(dataset.shape)}")
        if _is_bfloat16(dataset):  # Keras stores bfloat16 as 2 opaque bytes, marked
            bits = self.guard(lambda: np.asarray(dataset[()]).view("<u2"))
            return (bits.astype("<u4") << 16).view("<f4").astype(dtype, copy=False)
        return self.guard(lambda: np.asarray(dataset[()]).astype(dtype, copy=False))

    def check_dataset(self, dataset, name: str) -> None:
        if dataset.is_virtual or dataset.external:
            raise FileFormatError(self.path, f"{name} is a virtual or external dataset; "
                                             f"only data inside the file is read")
        if dataset.dtype.kind not in "biuf" and not _is_bfloat16(dataset):
            raise FileFormatError(self.path, f"{name} holds {dataset.dtype} values; weights "
                                             f"are numbers")
        declared = int(dataset.size) * dataset.dtype.itemsize
        stored = dataset.id.get_storage_size()
        if declared > EXPANSION_FLOOR and declared > MAX_EXPANSION * stored:
            raise FileFormatError(self.path, f"{name} declares {human_size(declared)} but "
                                             f"stores {human_size(stored)}: refusing a "
                                             f"decompression bomb")
        if dataset.chunks is not None and \
                math.prod(dataset.chunks) * dataset.dtype.itemsize > max(declared,
                                                                         EXPANSION_FLOOR):
            raise FileFormatError(self.path, f"{name} has chunks larger than its data")

    def guard(self, fn):
        try:
            return fn()
        except FileFormatError:
            raise
        except H5_ERRORS as e:
            raise FileFormatError(self.path, f"the weights file is damaged ({e})") from None


def _is_bfloat16(dataset) -> bool:
    return dataset.dtype.itemsize == 2 and dataset.dtype.kind == "V" and \
        dataset.attrs.get("dtype") in ("bfloat16", b"bfloat16")


class LazyDataset:
    """A checked dataset read only when it is converted to an array (after the caller
    compared its ``shape``).

    >>> import numpy as np
    >>> with WeightsFile(write_groups([("vars", "m", [np.arange(3.0)])]), "m") as f:
    ...     lazy = LazyDataset(f, f.datasets("vars")[0])
    ...     lazy.shape, np.asarray(lazy).tolist()
    ((3,), [0.0, 1.0, 2.0])
    """

    def __init__(self, weights: WeightsFile, dataset):
        self._weights, self._dataset = weights, dataset
        self.shape = tuple(dataset.shape)

    def __array__(self, dtype=None, copy=None):
        values = self._weights.read(self._dataset, self.shape, self._dataset.dtype,
                                    "optimizer")
        return values if dtype is None else values.astype(dtype)
