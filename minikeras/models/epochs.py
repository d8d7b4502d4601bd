"""Batches for ``fit``/``evaluate``/``predict``, epoch after epoch, from arrays, a
``PyDataset`` or a Python generator (Keras 3's data adapters and ``EpochIterator``).

Every source yields ``(x, y, sample_weight)`` batches; an epoch is one pass over the
data, or ``steps_per_epoch`` batches when that is given, in which case the next epoch
goes on where the last one stopped (a generator is never restarted: when it runs out,
training stops with a warning, as in Keras).

>>> import numpy as np
>>> source = Arrays([np.arange(5.0)], None, None, batch_size=2, shuffle=False)
>>> [batch[0][0].tolist() for _, batch in EpochIterator(source).epoch()]
[[0.0, 1.0], [2.0, 3.0], [4.0]]
"""
from __future__ import annotations

import inspect
import itertools
import math
import types
import warnings

from minikeras.models.data import batches
from minikeras.rng import new_generator
from minikeras.utils.py_dataset import PyDataset


class Arrays:
    """In-memory arrays (one list per inputs, targets, sample weights), in mini-batches
    of ``batch_size``, shuffled each epoch if asked."""

    def __init__(self, xs, ys, sws, batch_size: int, shuffle: bool):
        self.xs, self.ys, self.sws = xs, ys, sws
        self.batch_size, self.shuffle = batch_size, shuffle
        self.n = len(xs[0])
        self._rng = new_generator() if shuffle else None

    @property
    def num_batches(self) -> int:
        return math.ceil(self.n / self.batch_size)

    def __iter__(self):
        order = self._rng.permutation(self.n) if self.shuffle else None
        for index, _ in batches(self.n, self.batch_size, order):
            yield ([a[index] for a in self.xs],
                   None if self.ys is None else [a[index] for a in self.ys],
                   None if self.sws is None else [None if w is None else w[index]
                                                  for w in self.sws])

    def on_epoch_begin(self) -> None:
        pass

    def on_epoch_end(self) -> None:
        pass


class Batches:
    """A PyDataset or a generator: its batches as they come, unpacked into
    ``(x, y, sample_weight)`` (``unpack`` makes them arrays the model accepts)."""

    def __init__(self, source, unpack, shuffle: bool = False):
        self.source, self.unpack = source, unpack
        self.is_dataset = isinstance(source, PyDataset)
        self.shuffle = shuffle and self.is_dataset and source.num_batches is not None
        self._rng = new_generator() if self.shuffle else None
        if not self.is_dataset:
            self.source = iter(source)

    @property
    def num_batches(self) -> int | None:
        return self.source.num_batches if self.is_dataset else None

    def __iter__(self):
        if not self.is_dataset:
            for batch in self.source:
                yield self.unpack(batch)
            return
        n = self.source.num_batches
        indices = range(n) if n is not None else itertools.count()
        if self.shuffle:
            indices = self._rng.permutation(n).tolist()
        for i in indices:
            yield self.unpack(self.source[i])

    def on_epoch_begin(self) -> None:
        if self.is_dataset:
            self.source.on_epoch_begin()

    def on_epoch_end(self) -> None:
        if self.is_dataset:
            self.source.on_epoch_end()


def is_batch_source(x) -> bool:
    """A PyDataset, a generator or another iterator (not arrays or lists of them)."""
    return isinstance(x, (PyDataset, types.GeneratorType)) or inspect.isgenerator(x) or (
        hasattr(x, "__next__") and hasattr(x, "__iter__"))


def _ran_out() -> None:
    warnings.warn("Your input ran out of data; interrupting training. Make sure that your "
                  "dataset or generator can generate at least `steps_per_epoch * epochs` "
                  "batches.", stacklevel=4)


class EpochIterator:
    """Epochs of ``(step, batch)`` from a source (Keras 3's ``EpochIterator``)."""

    def __init__(self, source, steps_per_epoch: int | None = None):
        self.source, self.steps_per_epoch = source, steps_per_epoch
        self.num_batches = source.num_batches
        self.exhausted = False
        self._current = None
        self._seen = 0

    @property
    def steps(self) -> int | None:
        """Batches per epoch, when known (None: a generator's first epoch)."""
        return self.steps_per_epoch or self.num_batches

    def epoch(self):
        self.source.on_epoch_begin()
        steps = self.steps
        if self._current is None or self.steps_per_epoch is None:
            self._current, self._seen = iter(self.source), 0
        step = 0
        while steps is None or step < steps:
            if self.num_batches and self._seen >= self.num_batches:
                if self.steps_per_epoch:
                    _ran_out()
                break
            try:
                batch = next(self._current)
            except StopIteration:
                if self.num_batches is None:
                    self.num_batches = self._seen
                if steps is not None or not self.is_generator:
                    _ran_out()
                self.exhausted = self.is_generator
                self._current = None
                break
            self._seen += 1
            yield step, batch
            step += 1
        if self.num_batches and self._seen >= self.num_batches and self.steps_per_epoch:
            self._current, self._seen = iter(self.source), 0
        self.source.on_epoch_end()

    @property
    def is_generator(self) -> bool:
        return isinstance(self.source, Batches) and not self.source.is_dataset
