"""Reusing memory between the steps of a compiled function, and between its calls.

Training runs the same graph on batches of the same shape thousands of times. Instead of
asking the system for fresh arrays at every step (and paying for page faults as the
memory is touched for the first time), a compiled function keeps a ``BufferPool``:

* a value whose last reader has run goes back to the pool (so peak memory stays close to
  what is alive at any one moment);
* a kernel that can write into a given array (``out=``) gets one of the right shape and
  dtype from the pool, if there is one; after the first call, there always is.

The pool is bounded: after each call it drops the free buffers that call did not touch,
so feeding many batch sizes cannot pile up memory.

Two rules keep this safe. A buffer is never returned while a *view* of it is still in use
(``liveness`` extends each buffer's life to the last use of its views; the kernels that
may return views say so, see the kernel contract in ``minikeras.kernels``), and arrays
handed back to the caller as outputs leave the pool for good.

What the executor knows when it compiles, it works out then (``liveness``: which step
frees which buffer); what it learns only when it runs (the shapes), the pool records per
slot. The protocol, for a step whose kernel accepts ``out=`` and computes the slots
``outputs`` (one slot, or several for a fused kernel with several results)::

    out = pool.offer(outputs)       # free arrays shaped like those slots' last results
    result = kernel(*args, out=out)
    pool.received(outputs, result, out)   # remember new shapes, adopt new arrays

>>> pool = BufferPool()
>>> a = np.zeros(2048)
>>> pool.offer((0,)) is None        # nothing known about slot 0 yet
True
>>> pool.received((0,), a, None)    # slot 0 made a big array: remember it, adopt it
>>> pool.give(a)                    # its last reader ran
>>> pool.offer((0,)) is a           # the next call writes into it
True
"""
from __future__ import annotations

from collections import defaultdict

import numpy as np

# Arrays smaller than this are cheap to allocate: not worth the pool's bookkeeping.
POOL_MIN_SIZE = 1024


class BufferPool:
    """Free arrays by (shape, dtype), and the arrays the pool handed out in this call.

    The pool is *bounded*: when a call ends (``end_call``), it drops the free buffers
    that call did not touch, so it never keeps more than one call used. A function fed
    one batch size keeps exactly what it needs; one fed 200 batch sizes keeps the last
    call's worth, not 200 calls' worth; a buffer a kernel keeps refusing goes at once
    instead of piling up.

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
        self._free: dict[tuple, list[np.ndarray]] = {}  # (shape, dtype) -> free arrays
        self._in_use: dict[int, tuple] = {}   # id -> (array, key), handed out this call
        self._touched: set[int] = set()       # ids handed out (adopted, taken) this call
        self._last: dict[int, tuple] = {}     # slot -> (shape, dtype) of its last result

    @property
    def nbytes(self) -> int:
        """Bytes held in free buffers."""
        return sum(a.nbytes for same in self._free.values() for a in same)

    def __len__(self) -> int:
        return sum(len(same) for same in self._free.values())

    # ---- what the executor calls, for each step that can write into a buffer ----
    def offer(self, outputs: tuple[int, ...]):
        """Free buffers for a step's results, each shaped like its slot's last result
        (or None where there is none): a buffer for one output, a tuple for several."""
        if len(outputs) == 1:
            key = self._last.get(outputs[0])
            return None if key is None else self._take(key)
        return tuple(None if (key := self._last.get(s)) is None else self._take(key)
                     for s in outputs)

    def received(self, outputs: tuple[int, ...], result, offered) -> None:
        """After the kernel ran: offered buffers it did not fill are free again, and
        results it made itself are adopted if they are worth reusing."""
        if len(outputs) == 1:
            if result is not offered:
                self._received(outputs[0], result, offered)
        else:
            for slot, value, buffer in zip(outputs, result, offered):
                if value is not buffer:
                    self._received(slot, value, buffer)

    def _received(self, slot: int, result, offered) -> None:
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
        leaves any), and so are the free buffers the call did not touch."""
        for r in survivors:
            if r in handed_out:
                self.disown(slots[r])
            elif slots[r] is not None:
                self.give(slots[r])
        self._in_use.clear()
        touched = self._touched
        for key, same in list(self._free.items()):
            kept = [a for a in same if id(a) in touched]
            if kept:
                self._free[key] = kept
            else:
                del self._free[key]
        touched.clear()

    # ---- the pool's own moves ----
    def adopt(self, array):
        """Let the pool reuse ``array`` once it is freed (only fresh, owning arrays)."""
        if isinstance(array, np.ndarray) and array.base is None and array.ndim:
            self._in_use[id(array)] = (array, (array.shape, array.dtype))
            self._touched.add(id(array))
        return array

    def disown(self, array) -> None:
        """``array`` leaves the pool for good (it was handed to the caller)."""
        self._in_use.pop(id(array), None)

    def give(self, array) -> None:
        """``array`` is no longer needed in this call: keep it for reuse."""
        entry = self._in_use.pop(id(array), None)
        if entry is not None:
            mine, key = entry
            same = self._free.get(key)
            if same is None:
                self._free[key] = [mine]
            else:
                same.append(mine)

    def take(self, shape, dtype) -> np.ndarray | None:
        """A free buffer of exactly this shape and dtype (the most recently freed), or None."""
        return self._take((tuple(shape), np.dtype(dtype)))

    def _take(self, key) -> np.ndarray | None:
        same = self._free.get(key)
        if not same:
            return None
        array = same.pop()
        self._in_use[id(array)] = (array, key)
        self._touched.add(id(array))
        return array


def liveness(steps, n_slots: int, targets_slots: set) -> tuple[dict, dict, set]:
    """Work out when each buffer may be freed.

    ``steps``: (slot, may it return a view of its first input?, input slots) of every
    kernel that runs, in order; a fused kernel with several results gives a tuple of
    slots. Returns (root of each slot, {step position: slots whose buffers are free after
    it}, slots whose buffer must survive the call). A value made by a view kernel shares
    its input's buffer, its *root*; a root is freed after the last use of any of its views.
    """
    root = {s: s for s in range(n_slots)}
    for s, view, ins in steps:
        if view and ins:
            root[s] = root[ins[0]]
    last_use = {}
    for position, (s, _, ins) in enumerate(steps):
        for j in ins:
            last_use[root[j]] = position
        for out in (s if isinstance(s, tuple) else (s,)):
            last_use.setdefault(root[out], position)
    survivors = {root[s] for s in targets_slots}
    frees_after = defaultdict(list)
    for r, position in last_use.items():
        if r not in survivors:
            frees_after[position].append(r)
    return root, dict(frees_after), survivors
