"""Make Numba's CUDA simulator safe for kernels that use shared memory.

The simulator runs a block's threads as Python threads. Its ``cuda.shared.array`` creates
the block's array lazily: it looks the calling line up in a dict and, if it is missing,
makes the array and stores it. Between the look-up and the store another thread may run,
miss the entry too and make an array of its own, so the two threads no longer share
memory and a kernel (our tiled matmul, a block reduction) gives wrong numbers now and
then. On a real GPU this cannot happen. Here the look-up-and-store is done under a lock
(same key as the simulator's: the file and line of the ``cuda.shared.array`` call).
"""
import os
import sys
import threading

os.environ.setdefault("NUMBA_ENABLE_CUDASIM", "1")

import numpy as np
from numba.cuda.simulator import kernelapi

_lock = threading.Lock()
_simulators_array = kernelapi.FakeCUDAShared.array


def _shared_array(self, shape, dtype, alignment=None):
    if alignment is not None or shape == 0:  # dynamic shared memory: nothing to race
        return _simulators_array(self, shape, dtype, alignment)
    if not isinstance(dtype, np.dtype):
        dtype = kernelapi.numpy_support.as_dtype(dtype) \
            if isinstance(dtype, kernelapi.types.Type) else np.dtype(dtype)
    caller = sys._getframe(1)
    key = (caller.f_code.co_filename, caller.f_lineno)
    with _lock:
        array = self._allocations.get(key)
        if array is None:
            array = self._allocations[key] = np.empty(shape, dtype)
    return array


kernelapi.FakeCUDAShared.array = _shared_array
