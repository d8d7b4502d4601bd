"""minikeras's first format: ``model.weights.npz`` (inside a ``.keras``) and
``*.weights.npz``, the arrays of ``model.weights`` under the keys ``0000, 0001, ...``.

Files learners already have keep loading. The npz is itself a zip, read with the same
bounds as the archive; each ``.npy`` header is read first and checked (a numeric dtype,
a shape that fits what the member holds and, when known, the model's weight) before the
array is built. Keys are ordered as numbers: past 9999 weights ``"10000"`` sorts before
``"1001"`` as text.

>>> import io, numpy as np
>>> buffer = io.BytesIO()
>>> np.savez(buffer, **{f"{i:04d}": np.full(2, i) for i in range(3)})
>>> npz = NpzFile(buffer.getvalue(), "old.weights.npz")
>>> npz.shapes(), [a.tolist() for a in npz.arrays()]
([(2,), (2,), (2,)], [[0, 0], [1, 1], [2, 2]])
"""
from __future__ import annotations

import io
import math

import numpy as np

from minikeras.saving.archive import READ_ERRORS, Archive
from minikeras.saving.errors import FileFormatError


def write_npz(arrays: list[np.ndarray]) -> bytes:
    """The old format, for ``save_weights("*.weights.npz")``."""
    buffer = io.BytesIO()
    np.savez(buffer, **{f"{i:04d}": a for i, a in enumerate(arrays)})
    return buffer.getvalue()


class NpzFile:
    """The arrays of an npz (given as bytes), in key order as numbers.

    >>> NpzFile(write_npz([np.zeros((2, 2))]), "w.weights.npz").total_elements()
    4
    """

    def __init__(self, data: bytes, path):
        self.path = path
        self._archive = Archive(io.BytesIO(data), path)
        keys = []
        for name in self._archive.names:
            stem = name[:-4] if name.endswith(".npy") else None
            if stem is None or not stem.isdigit():
                raise FileFormatError(path, f"the weights npz holds {name!r}; minikeras "
                                            f"weight files hold 0000.npy, 0001.npy, ...")
            keys.append((int(stem), name))
        self._names = [name for _, name in sorted(keys)]
        if [i for i, _ in sorted(keys)] != list(range(len(keys))):
            raise FileFormatError(path, "the weights npz skips some array numbers")
        self._headers = [self._header(name) for name in self._names]

    def _header(self, name: str):
        size = self._archive.size(name)
        try:
            with self._archive.open(name) as f:
                version = np.lib.format.read_magic(f)
                if version == (1, 0):
                    shape, fortran, dtype = np.lib.format.read_array_header_1_0(f)
                else:
                    shape, fortran, dtype = np.lib.format.read_array_header_2_0(f)
                offset = f.tell()
        except READ_ERRORS as e:
            raise FileFormatError(self.path, f"{name} is not a readable .npy array ({e})") \
                from None
        if dtype.kind not in "biuf" or dtype.hasobject:
            raise FileFormatError(self.path, f"{name} holds {dtype} values; weights are "
                                             f"numbers")
        if math.prod(shape) * dtype.itemsize != size - offset:
            raise FileFormatError(self.path, f"{name} declares shape {shape} of {dtype} "
                                             f"({math.prod(shape) * dtype.itemsize} bytes) "
                                             f"but holds {size - offset}")
        return tuple(shape), fortran, dtype, offset

    def shapes(self) -> list[tuple]:
        return [h[0] for h in self._headers]

    def total_elements(self) -> int:
        return sum(math.prod(s) for s in self.shapes())

    def arrays(self) -> list[np.ndarray]:
        out = []
        for name, (shape, fortran, dtype, offset) in zip(self._names, self._headers):
            data = self._archive.read(name)
            array = np.frombuffer(data, dtype=dtype, offset=offset)
            out.append(array.reshape(shape, order="F" if fortran else "C").copy())
        return out
