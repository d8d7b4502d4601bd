"""Reusing memory between the steps of a compiled function, and between its calls.

Training runs the same graph on batches of the same shape thousands of times. Instead of
asking the system for fresh arrays at every step (and paying for page faults as the
memory is touched for the first time), a compiled function keeps a ``BufferPool``:

* a value whose last reader has run goes back to the pool (so peak memory stays close to
  what is alive at any one moment);
* a kernel that can write into a given array (``out=``) gets one of the right shape and
  dtype from the pool, if there is one; after the first call, there always is.

Two rules keep this safe. A buffer is never returned while a *view* of it is still in use
(``liveness`` extends each buffer's life to the last use of its views; the kernels that
may return views say so, see the kernel contract in ``minikeras.kernels``), and arrays
handed back to the caller as outputs leave the pool for good.

>>> pool = BufferPool()
>>> a = pool.adopt(np.zeros(3))
>>> pool.give(a)
>>> pool.take((3,), np.dtype('float64')) is a
True
"""
from __future__ import annotations

from collections import defaultdict

import numpy as np


class BufferPool:
    """Free arrays by (shape, dtype), and the set of arrays the pool may hand out.

    >>> pool = BufferPool()
    >>> pool.give(np.zeros(2))          # not adopted: the pool never hands it out
    >>> pool.take((2,), np.dtype('float64')) is None
    True
    """

    def __init__(self):
        self._free: dict[tuple, list[np.ndarray]] = defaultdict(list)
        self._owned: dict[int, np.ndarray] = {}

    def adopt(self, array):
        """Let the pool reuse ``array`` once it is freed (only fresh, owning arrays)."""
        if isinstance(array, np.ndarray) and array.base is None and array.ndim:
            self._owned[id(array)] = array
        return array

    def disown(self, array) -> None:
        """``array`` leaves the pool for good (it was handed to the caller)."""
        self._owned.pop(id(array), None)

    def give(self, array) -> None:
        """``array`` is no longer needed in this call: keep it for reuse."""
        if id(array) in self._owned:
            self._free[(array.shape, array.dtype)].append(array)

    def take(self, shape, dtype) -> np.ndarray | None:
        free = self._free.get((shape, dtype))
        return free.pop() if free else None

    def __len__(self) -> int:
        return sum(len(v) for v in self._free.values())


def liveness(steps, n_slots: int, targets_slots: set) -> tuple[dict, dict, set]:
    """Work out when each buffer may be freed.

    ``steps``: (slot, may it return a view of its first input?, input slots) of every
    kernel that runs, in order. Returns (root of each slot, {step position: slots whose
    buffers are free after it}, slots whose buffer must survive the call). A value made by
    a view kernel shares its input's buffer, its *root*; a root is freed after the last
    use of any of its views.
    """
    root = {s: s for s in range(n_slots)}
    for s, view, ins in steps:
        if view and ins:
            root[s] = root[ins[0]]
    last_use = {}
    for position, (s, _, ins) in enumerate(steps):
        for j in ins:
            last_use[root[j]] = position
        last_use.setdefault(root[s], position)
    survivors = {root[s] for s in targets_slots}
    frees_after = defaultdict(list)
    for r, position in last_use.items():
        if r not in survivors:
            frees_after[position].append(r)
    return root, dict(frees_after), survivors
