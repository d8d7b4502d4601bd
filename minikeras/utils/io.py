"""Writing a file all at once or not at all.

A crash (or a full disk) halfway through writing must never leave a half-written model,
settings file or dataset behind, nor damage the file that was there before. So the bytes
go to a temporary file in the same folder first, are flushed to the disk, and only then
is the temporary file renamed over the real name: on every system Python supports,
``os.replace`` within one folder is atomic, so a reader sees the old file or the new one.

A save killed half-way (power cut, ``kill -9``) leaves its temporary file
``.tmp-XXXXXXXX-<name>`` behind; the next save of the same file removes it.

>>> import os, tempfile
>>> path = os.path.join(tempfile.mkdtemp(), "notes", "hello.txt")
>>> atomic_write(path, b"hello")
>>> open(path, "rb").read(), os.listdir(os.path.dirname(path))
(b'hello', ['hello.txt'])
"""
from __future__ import annotations

import os
import re
import tempfile


def atomic_write(path, data: bytes) -> None:
    """Write ``data`` to ``path`` (making its folder if needed) via a temporary file and a
    rename: all or nothing. The file gets the permissions a plain ``open`` would give."""
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    remove_stale_temp_files(path)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix="-" + os.path.basename(path))
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes the file private to its owner
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


def remove_stale_temp_files(path) -> list[str]:
    """Delete the temporary files that earlier, killed saves of ``path`` left (named as
    ``atomic_write`` names them); return their names."""
    folder = os.path.dirname(os.path.abspath(path))
    pattern = re.compile(r"\.tmp-[a-z0-9_]{8}-" + re.escape(os.path.basename(path)) + "$")
    removed = []
    for name in os.listdir(folder):
        if pattern.match(name):
            try:
                os.remove(os.path.join(folder, name))
                removed.append(name)
            except FileNotFoundError:  # another save of the same file got there first
                pass
    return removed


def _umask() -> int:
    mask = os.umask(0)  # the only way to read it is to set it: put it straight back
    os.umask(mask)
    return mask
