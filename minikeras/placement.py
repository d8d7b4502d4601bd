"""Where a compiled function's arrays live: in host memory, or on a GPU.

The executor (``graph.Function``) does the same things on every device: put the fed
arrays, the constants and the variables' values into slots, run the kernels, bring the
outputs back, write the new values of variables. Only *where* the arrays are differs, and that is all a
placement knows:

* ``Host``: NumPy arrays in the computer's memory; a variable's value is written in place;
* ``Device``: arrays in GPU memory. Fed arrays go up on every call, constants once, and a
  variable lives there between calls (``Variable.device_value``): training changes its
  GPU copy, and the host copy is refreshed only when someone reads it.

>>> import numpy as np, minikeras.backend as K
>>> v = K.variable([1.0, 2.0])
>>> place = placement_for(None)          # no device module: the host
>>> place.write(v, np.array([3.0, 4.0], dtype="float32"))
>>> v.numpy()
array([3., 4.], dtype=float32)
"""
from __future__ import annotations

import numpy as np

from minikeras.tensor import Variable


class Host:
    """Arrays in host memory, as NumPy arrays."""

    def fill_constants(self, slots, constants) -> None:
        """Put the constants' values in their slots, once, when a function is compiled
        (``constants``: (slot, Constant); their values are read-only)."""
        for s, constant in constants:
            slots[s] = constant.value

    def fill(self, slots, fed, defaults, variables) -> None:
        """Put the fed arrays, the placeholders' defaults and the variables' values in
        their slots, for one call (``fed``, ``defaults``: (slot, array); ``variables``:
        (slot, Variable))."""
        for s, array in fed:
            slots[s] = array
        for s, array in defaults:
            slots[s] = array
        for s, var in variables:
            slots[s] = var.value

    def to_host(self, array) -> np.ndarray:
        return np.asarray(array)

    def memory(self, var: Variable):
        """The array an in-place kernel overwrites to change ``var``."""
        return var.value

    def changed(self, var: Variable) -> None:
        """``var``'s memory was overwritten (by an in-place kernel)."""
        var.host_changed()

    def write(self, var: Variable, new) -> None:
        """``var`` takes the value ``new`` (cast to its dtype if need be)."""
        np.copyto(var.value, new, casting="same_kind")
        var.host_changed()

    def private(self, news: list, variables: list[Variable]) -> list:
        """The new values, each copied if it shares memory with anything (a variable
        about to be written, or a buffer the pool will reuse)."""
        own = {id(v.value) for v in variables}
        out = []
        for new in news:
            new = np.asarray(new)
            if new.base is not None or id(new) in own:
                new = new.copy()
            out.append(new)
        return out


class Device:
    """Arrays in GPU memory; ``module`` moves them (``to_device``, ``to_host``)."""

    def __init__(self, module):
        self.module = module

    def fill_constants(self, slots, constants) -> None:
        """Constants go up to the GPU once, when a function is compiled."""
        for s, constant in constants:
            slots[s] = self.module.to_device(np.asarray(constant.value))

    def fill(self, slots, fed, defaults, variables) -> None:
        up = self.module.to_device
        for s, array in fed:
            slots[s] = up(np.asarray(array))
        for s, array in defaults:
            slots[s] = up(np.asarray(array))
        for s, var in variables:
            slots[s] = var.device_value(self.module)

    def to_host(self, array) -> np.ndarray:
        return self.module.to_host(array)

    def memory(self, var: Variable):
        return var.device_value(self.module)

    def changed(self, var: Variable) -> None:
        var.set_device_value(var.device_value(self.module))

    def write(self, var: Variable, new) -> None:
        if np.dtype(new.dtype) != np.dtype(var.dtype):
            new = self.module.to_device(self.to_host(new).astype(var.dtype))
        var.set_device_value(new)

    def private(self, news: list, variables: list[Variable]) -> list:
        own = {id(v.device_value(self.module)) for v in variables}
        return [self.module.to_device(self.to_host(new)) if id(new) in own else new
                for new in news]


def placement_for(module) -> Host | Device:
    """The placement for a device's module (``kernels.device_module()``; None: the host)."""
    return Host() if module is None else Device(module)
