"""The ``.keras`` zip: written as Keras writes it, read with bounds.

Keras stores its members uncompressed (``ZIP_STORED``), in the order ``metadata.json``,
``config.json``, ``model.weights.h5``. Reading checks the table of contents before any
member is decompressed:

* every name appears once (a zip may hold two members of one name; which one a reader
  sees would then depend on the reader);
* a member may not declare more than ``MAX_EXPANSION`` times the bytes it occupies
  (above a small floor): that is a decompression bomb, not a model;
* JSON members have a size limit of their own;
* reading never returns more than the member declares, and a damaged member (bad CRC,
  bad deflate stream, truncated file) is a ``FileFormatError`` naming the file.

>>> import io
>>> data = write_archive([("config.json", b"{}"), ("metadata.json", b"{}")])
>>> archive = Archive(io.BytesIO(data), "m.keras")
>>> archive.names, archive.read("config.json")
(['config.json', 'metadata.json'], b'{}')
"""
from __future__ import annotations

import io
import os
import time
import zipfile
import zlib

from minikeras.saving.errors import FileFormatError, human_size

MAX_EXPANSION = 100            # deflate cannot exceed ~1032:1; genuine weights are ~1:1
EXPANSION_FLOOR = 1 << 20      # small members may compress well (a config full of nulls)
JSON_LIMIT = 16 << 20          # config.json of a model with a thousand layers is ~3 MB

# what can go wrong inside zipfile and zlib when a file is damaged
READ_ERRORS = (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, EOFError, OSError,
               NotImplementedError, RuntimeError, ValueError, KeyError, OverflowError)


class Archive:
    """The members of a zip file, read with the checks above.

    Args:
        source: a path or a binary file object.
        path: the name used in error messages (defaults to ``source``).

    >>> import io
    >>> Archive(io.BytesIO(b"not a zip"), "m.keras")
    Traceback (most recent call last):
    ...
    minikeras.saving.errors.FileFormatError: m.keras: not a readable zip archive (File is not a zip file)
    """

    def __init__(self, source, path=None):
        self.path = os.fspath(path if path is not None else source)
        if isinstance(source, (str, os.PathLike)) and not os.path.isfile(source):
            raise FileFormatError(self.path, "no such file")
        try:
            self._zip = zipfile.ZipFile(source)
            infos = self._zip.infolist()
        except READ_ERRORS as e:
            raise FileFormatError(self.path, f"not a readable zip archive ({e})") from None
        self._infos = {}
        for info in infos:
            if info.filename in self._infos:
                raise FileFormatError(self.path, f"the archive holds two members named "
                                                 f"{info.filename!r}")
            self._infos[info.filename] = info
        self.names = [info.filename for info in infos]

    def __contains__(self, name: str) -> bool:
        return name in self._infos

    def size(self, name: str) -> int:
        """The uncompressed size ``name`` declares (checked against what it occupies)."""
        info = self._infos[name]
        if info.file_size > EXPANSION_FLOOR and \
                info.file_size > MAX_EXPANSION * max(info.compress_size, 1):
            raise FileFormatError(self.path, f"member {name!r} declares "
                                             f"{human_size(info.file_size)} but occupies "
                                             f"{human_size(info.compress_size)}: refusing a "
                                             f"decompression bomb")
        return info.file_size

    def open(self, name: str):
        """A stream of member ``name``, to read a header before the rest."""
        self.size(name)
        return self._zip.open(self._infos[name])

    def read(self, name: str, limit: int | None = None) -> bytes:
        """The bytes of member ``name``, at most ``limit`` of them."""
        if name not in self._infos:
            raise FileFormatError(self.path, f"the archive has no {name!r} (it holds "
                                             f"{self.names})")
        size = self.size(name)
        if name.endswith(".json") and limit is None:
            limit = JSON_LIMIT
        if limit is not None and size > limit:
            raise FileFormatError(self.path, f"member {name!r} declares "
                                             f"{human_size(size)}, more than the "
                                             f"{human_size(limit)} allowed")
        try:
            with self._zip.open(self._infos[name]) as f:
                data = f.read(size + 1)
        except READ_ERRORS as e:
            raise FileFormatError(self.path, f"member {name!r} is damaged ({e})") from None
        if len(data) != size:
            raise FileFormatError(self.path, f"member {name!r} should hold {size} bytes, "
                                             f"it holds {len(data)}")
        return data

    def close(self) -> None:
        self._zip.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def write_archive(members: list[tuple[str, bytes]]) -> bytes:
    """A zip of ``(name, bytes)`` members, uncompressed and in order, as Keras writes."""
    buffer = io.BytesIO()
    stamp = time.localtime()[:6]
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as z:
        for name, data in members:
            z.writestr(zipfile.ZipInfo(name, date_time=stamp), data)
    return buffer.getvalue()
