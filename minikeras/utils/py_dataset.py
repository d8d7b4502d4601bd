"""``PyDataset``: data that makes its own batches (Keras 3's ``keras.utils.PyDataset``).

Subclass it, say how many batches there are (``__len__``, or ``num_batches``, which may
be None for an endless stream) and how to make batch ``i`` (``__getitem__``): a tuple
``(x, y)`` or ``(x, y, sample_weight)`` (``(x,)`` or ``x`` for ``predict``).
``fit(dataset)`` asks for the batches one by one (in a random order with
``shuffle=True``) and calls ``on_epoch_end`` after each epoch, where a dataset may
reshuffle or augment.

``workers``, ``use_multiprocessing`` and ``max_queue_size`` are accepted as in Keras;
here the batches are always made one after the other, in this process.

>>> import numpy as np
>>> class Squares(PyDataset):
...     def __len__(self):
...         return 2
...     def __getitem__(self, i):
...         x = np.arange(3.0) + 3 * i
...         return x[:, None], (x ** 2)[:, None]
>>> data = Squares()
>>> data.num_batches, data[1][1].ravel().tolist()
(2, [9.0, 16.0, 25.0])
"""
from __future__ import annotations

import itertools


class PyDataset:
    """The base class of batch-making datasets (see the module docstring).

    Args:
        workers: accepted for Keras compatibility (batches are made in order here).
        use_multiprocessing: likewise.
        max_queue_size: likewise.

    >>> class Empty(PyDataset):
    ...     def __len__(self):
    ...         return 0
    >>> Empty().num_batches
    0
    """

    def __init__(self, workers: int = 1, use_multiprocessing: bool = False,
                 max_queue_size: int = 10):
        self.workers = workers
        self.use_multiprocessing = use_multiprocessing
        self.max_queue_size = max_queue_size

    def __getitem__(self, index):
        raise NotImplementedError(f"{type(self).__name__} must define __getitem__(index), "
                                  f"returning batch number `index`")

    @property
    def num_batches(self) -> int | None:
        """How many batches there are (``len(self)``), or None for an endless dataset."""
        if hasattr(self, "__len__"):
            return len(self)
        raise NotImplementedError(f"{type(self).__name__} must define __len__ (or the "
                                  f"num_batches property: None for an endless dataset)")

    def __iter__(self):
        n = self.num_batches
        for index in (range(n) if n is not None else itertools.count()):
            yield self[index]

    def on_epoch_begin(self) -> None:
        """Called before each epoch."""

    def on_epoch_end(self) -> None:
        """Called after each epoch (reshuffle or augment here)."""
