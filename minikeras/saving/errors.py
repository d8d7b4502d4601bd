"""One error for every file that cannot be read: it names the file and what is wrong.

>>> raise FileFormatError("model.keras", "config.json is not valid JSON")
Traceback (most recent call last):
...
minikeras.saving.errors.FileFormatError: model.keras: config.json is not valid JSON
"""
from __future__ import annotations

import os


class FileFormatError(ValueError):
    """A model or weights file that cannot be read (a ``ValueError``, as in Keras).

    ``path`` is the file; ``str(error)`` starts with it.

    >>> error = FileFormatError("w.weights.h5", "no group 'vars'")
    >>> isinstance(error, ValueError), error.path
    (True, 'w.weights.h5')
    """

    def __init__(self, path, problem: str):
        self.path = os.fspath(path) if path is not None else None
        self.problem = problem
        # a config in memory (path None) has no file to name
        super().__init__(problem if path is None else f"{self.path}: {problem}")


def human_size(n: int) -> str:
    """Bytes in 1024-based units, as Keras prints them.

    >>> human_size(512), human_size(3 * 1024 ** 2)
    ('512 B', '3.00 MB')
    """
    if n < 1024:
        return f"{n} B"
    for unit in ("KB", "MB", "GB", "TB"):
        n /= 1024
        if n < 1024 or unit == "TB":
            return f"{n:.2f} {unit}"
    raise AssertionError  # unreachable
