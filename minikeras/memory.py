"""Reusing memory between the steps of a compiled function, and between its calls.

Training runs the same graph on batches of the same shape thousands of times. Instead of
asking the system for fresh arrays at every step (and paying for page faults as the
memory is touched for the first time), a compiled function keeps a ``BufferPool``:

* a value whose last reader has run goes back to the pool (so peak memory stays close to
  what is alive at any one moment);
* a kernel that can write into a given array (``out=``) gets one of the right shape and
  dtype from the pool, if there is one; after the first call, there always is.

The pool is bounded: after each call it keeps at most the bytes that call used (least
recently used buffers go first), so feeding many batch sizes cannot pile up memory.

Two rules keep this safe. A buffer is never returned while a *view* of it is still in use
(``liveness`` extends each buffer's life to the last use of its views; the kernels that
may return views say so, see the kernel contract in ``minikeras.kernels``), and arrays
handed back to the caller as outputs leave the pool for good.

The protocol, as the executor uses it for a kernel that accepts ``out=``, at slot s::

    buffer = pool.offer(s)          # a free array shaped like s's last result, or None
    result = kernel(*args, out=buffer) if buffer is not None else kernel(*args)
    if result is not buffer:        # the first call, or a new shape
        pool.received(s, result, buffer)

>>> pool = BufferPool()
>>> a = np.zeros(2048)
>>> pool.offer(0) is None           # nothing known about slot 0 yet
True
>>> pool.received(0, a, None)       # slot 0 made a big array: remember it, adopt it
>>> pool.give(a)                    # its last reader ran
>>> pool.offer(0) is a              # the next call writes into it
True
"""
from __future__ import annotations

from collections import defaultdict

import numpy as np

# Arrays smaller than this are cheap to allocate: not worth the pool's bookkeeping.
POOL_MIN_SIZE = 1024


class BufferPool:
    """Free arrays by (shape, dtype), and the arrays the pool handed out in this call.

    The pool is *bounded*: when a call ends (``end_call``), it keeps no more free bytes
    than that call used, dropping the least recently used buffers first. A function
    fed one batch size keeps exactly what it needs; one fed 200 batch sizes keeps about
    the last two calls' worth, not 200 calls' worth; a buffer a kernel keeps refusing
    ages out instead of piling up.

    >>> pool = BufferPool()
    >>> pool.give(np.zeros(2))          # not adopted: the pool never hands it out
    >>> pool.take((2,), np.dtype('float64')) is None
    True
    >>> for n in (1000, 2000):          # a call that needs a (1000,), then one a (2000,)
    ...     pool.give(pool.adopt(np.zeros(n)))
    ...     pool.end_call()
    >>> len(pool), pool.nbytes          # the (1000,) buffer was dropped
    (1, 16000)
    """

    def __init__(self):
        self._free: dict[int, np.ndarray] = {}        # by id, least recently freed first
        self._by_key: dict[tuple, dict[int, np.ndarray]] = {}   # (shape, dtype) -> free
        self._in_use: dict[int, np.ndarray] = {}      # handed out (adopted or taken)
        self._used: dict[int, int] = {}               # id -> bytes, of those used this call
        self._last: dict[int, tuple] = {}  # slot -> (shape, dtype) of its last result

    @property
    def nbytes(self) -> int:
        """Bytes held in free buffers."""
        return sum(a.nbytes for a in self._free.values())

    def offer(self, slot: int) -> np.ndarray | None:
        """A free buffer for ``slot``'s result: shaped like its last one, if one is free."""
        last = self._last.get(slot)
        return self.take(*last) if last is not None else None

    def received(self, slot: int, result, offered) -> None:
        """The kernel at ``slot`` returned a new array instead of filling ``offered``:
        ``offered`` is free again, and ``result`` is adopted if it is worth reusing."""
        if offered is not None:
            self.give(offered)
        if isinstance(result, np.ndarray) and result.size >= POOL_MIN_SIZE:
            self._last[slot] = (result.shape, result.dtype)
            self.adopt(result)
        else:
            self._last.pop(slot, None)

    def end_call(self, slots=(), survivors=(), handed_out=()) -> None:
        """After a call: buffers of values that had to survive it (update values,
        gradients) can be reused next call; outputs handed to the caller leave the pool.
        Then what the call never gave back is forgotten (only a call that failed half-way
        leaves any), and the least recently used free buffers are dropped until no more
        bytes are kept than this call used."""
        for r in survivors:
            if r in handed_out:
                self.disown(slots[r])
            elif slots[r] is not None:
                self.give(slots[r])
        self._in_use.clear()
        keep, held = sum(self._used.values()), self.nbytes
        while held > keep:
            key, array = next(iter(self._free.items()))
            del self._free[key]
            same = self._by_key[(array.shape, array.dtype)]
            del same[key]
            if not same:
                del self._by_key[(array.shape, array.dtype)]
            held -= array.nbytes
        self._used.clear()

    def adopt(self, array):
        """Let the pool reuse ``array`` once it is freed (only fresh, owning arrays)."""
        if isinstance(array, np.ndarray) and array.base is None and array.ndim:
            self._in_use[id(array)] = array
            self._used[id(array)] = array.nbytes
        return array

    def disown(self, array) -> None:
        """``array`` leaves the pool for good (it was handed to the caller)."""
        self._in_use.pop(id(array), None)

    def give(self, array) -> None:
        """``array`` is no longer needed in this call: keep it for reuse."""
        mine = self._in_use.pop(id(array), None)
        if mine is not None:
            self._free[id(mine)] = mine
            same = self._by_key.get((mine.shape, mine.dtype))
            if same is None:
                self._by_key[(mine.shape, mine.dtype)] = {id(mine): mine}
            else:
                same[id(mine)] = mine

    def take(self, shape, dtype) -> np.ndarray | None:
        """A free buffer of exactly this shape and dtype (the most recently freed), or None."""
        free = self._by_key.get((shape, dtype))
        if not free:
            return None
        key, array = free.popitem()
        if not free:
            del self._by_key[(shape, dtype)]
        del self._free[key]
        self._in_use[key] = array
        self._used[key] = array.nbytes
        return array

    def __len__(self) -> int:
        return len(self._free)


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
