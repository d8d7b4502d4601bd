"""CSVLogger: one CSV line per epoch."""
from __future__ import annotations

import collections.abc
import csv
import os

import numpy as np

from minikeras.callbacks.callback import Callback


class CSVLogger(Callback):
    """Write one line per epoch to a CSV file: the epoch, then the logs in sorted key order.

    The file is flushed after every epoch, so it can be watched while training runs.
    With ``append=True`` an existing file is continued (without a second header).
    Rows end in ``\\r\\n``, as Python's ``csv`` module (and Keras) write them.

    >>> import os, tempfile
    >>> from pathlib import Path
    >>> from types import SimpleNamespace
    >>> path = os.path.join(tempfile.mkdtemp(), "log.csv")
    >>> logger = CSVLogger(path)
    >>> logger.set_model(SimpleNamespace())
    >>> logger.on_train_begin()
    >>> logger.on_epoch_end(0, {"loss": 0.5, "accuracy": 0.75})
    >>> logger.on_epoch_end(1, {"loss": 0.25, "accuracy": 0.875})
    >>> logger.on_train_end()
    >>> print(Path(path).read_text())
    epoch,accuracy,loss
    0,0.75,0.5
    1,0.875,0.25
    <BLANKLINE>
    """

    def __init__(self, filename, separator=",", append=False):
        super().__init__()
        self.filename = os.fspath(filename)
        self.sep = separator
        self.append = append
        self.csv_file = None
        self.writer = None
        self.keys = None

    def on_train_begin(self, logs=None):
        self.append_header = True
        if self.append and os.path.exists(self.filename):
            with open(self.filename) as f:
                self.append_header = not f.readline()   # an empty file still needs one
        if self.csv_file is not None and not self.csv_file.closed:
            self.csv_file.close()
        # Kept open for the whole run (closed in on_train_end), so no `with` block.
        self.csv_file = open(self.filename, "a" if self.append else "w")  # noqa: SIM115
        self.writer = None
        self.keys = None

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        if self.keys is None:
            self.keys = sorted(logs)
            # Validation runs may not have happened yet: keep a column for them anyway.
            for name in getattr(self.model, "metrics_names", None) or []:
                if name.startswith("val_") and name not in self.keys:
                    self.keys.append(name)
        if self.writer is None:
            dialect = type("Dialect", (csv.excel,), {"delimiter": self.sep})
            self.writer = csv.DictWriter(self.csv_file, ["epoch"] + self.keys,
                                         dialect=dialect)
            if self.append_header:
                self.writer.writeheader()
        row = {"epoch": epoch}
        row.update((key, _csv_value(logs.get(key, "NA"))) for key in self.keys)
        self.writer.writerow(row)
        self.csv_file.flush()

    def on_train_end(self, logs=None):
        if self.csv_file is not None and not self.csv_file.closed:
            self.csv_file.close()
        self.writer = None


def _csv_value(value):
    """Lists and arrays are written as ``"[1, 2, 3]"``; everything else as is."""
    if isinstance(value, str) or (isinstance(value, np.ndarray) and value.ndim == 0):
        return value
    if isinstance(value, collections.abc.Iterable):
        return f'"[{", ".join(map(str, value))}]"'
    return value
