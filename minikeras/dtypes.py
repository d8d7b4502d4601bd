"""Which dtype an operation on several values gives: Keras 3's type promotion.

Two tensors of different dtypes meet in ``x + y``; a tensor meets a bare Python number
in ``x * 0.5``. Keras 3 decides the result's dtype with a *lattice* (the same one JAX
uses): each dtype points to the next wider ones, and the result is the narrowest dtype
both inputs can reach. Python numbers are *weak*: they take the tensor's dtype when it
can hold them, so a float32 tensor times 0.5 stays float32, but an int32 tensor times
0.5 becomes floatx (the 0.5 would be lost in an integer).

>>> result_type("int32", "float32"), result_type("int64", "float32")
('float32', 'float32')
>>> result_type("int32", float), result_type("float32", float), result_type("bool", int)
('float32', 'float32', 'int32')
>>> result_type("uint8", "int8"), result_type("bool", "bool")
('int16', 'bool')

Unlike NumPy, a 64-bit integer with float32 gives float32, not float64 (NumPy would
widen to keep every integer exact). Keras on JAX also narrows 64-bit results to 32
bits; on PyTorch (and here) ``int32 + int64`` stays ``int64``.
"""
from __future__ import annotations

import functools

import numpy as np

from minikeras import config

# the lattice: each dtype and the next wider ones ("int"/"float": Python's weak types)
_WIDER = {
    "bool": ["int"],
    "uint8": ["int16", "uint16"], "uint16": ["int32", "uint32"],
    "uint32": ["int64", "uint64"], "uint64": ["float"],
    "int": ["uint8", "int8"],
    "int8": ["int16"], "int16": ["int32"], "int32": ["int64"], "int64": ["float"],
    "float": ["float16"],
    "float16": ["float32"], "float32": ["float64"], "float64": [],
}


def _reachable() -> dict[str, set[str]]:
    """Every dtype reachable from each dtype (itself included)."""
    up = {d: {d} for d in _WIDER}
    changed = True
    while changed:
        changed = False
        for d in _WIDER:
            more = set().union(*(_WIDER[w] for w in up[d])) - up[d]
            if more:
                up[d] |= more
                changed = True
    return up


_UP = _reachable()


@functools.lru_cache(maxsize=512)
def _least_upper_bound(*dtypes: str) -> str:
    common = set.intersection(*(_UP[d] for d in dtypes))
    lowest = [c for c in common if common <= _UP[c]]
    if len(lowest) != 1:
        raise TypeError(f"dtypes {', '.join(dtypes)} have no common dtype to promote to")
    return lowest[0]


def _name(value) -> str:
    """The lattice node of a dtype, a dtype name, or a Python type (int/float: weak)."""
    if value is int or value is float:
        return value.__name__
    return np.dtype(value).name


def result_type(*dtypes) -> str:
    """The dtype Keras 3 gives an operation on values of these dtypes (Python's ``int``
    and ``float`` stand for bare numbers, which are weak). No argument gives floatx."""
    if not dtypes:
        return config.floatx()
    out = _least_upper_bound(*sorted({_name(d) for d in dtypes}))
    if out == "int":  # only weak numbers (and bools): Python ints become int32
        return "int32"
    if out == "float":
        return config.floatx()
    return out


def python_dtype(value) -> type | None:
    """``int``/``float``/``bool`` for a bare Python (or NumPy scalar) number, else None."""
    if isinstance(value, (bool, np.bool_)):
        return bool
    if isinstance(value, (int, np.integer)) and not isinstance(value, np.ndarray):
        return int
    if isinstance(value, (float, np.floating)) and not isinstance(value, np.ndarray):
        return float
    return None


def is_float(dtype) -> bool:
    return np.issubdtype(np.dtype(dtype), np.floating)


def is_int(dtype) -> bool:
    return np.issubdtype(np.dtype(dtype), np.integer)


def float_of(dtype) -> str:
    """The dtype a float-valued function of values of ``dtype`` gives (``sqrt`` of an
    int, the ``mean`` of bools): floats keep theirs, the rest become floatx."""
    return np.dtype(dtype).name if is_float(dtype) else config.floatx()


def sum_of(dtype) -> str:
    """The dtype Keras gives a sum or product: bools and small ints add up in int32, so
    that counting cannot overflow at 127 (or 255: Keras on PyTorch, which we compare
    with, sums uint8 in int32 too)."""
    name = np.dtype(dtype).name
    return "int32" if name in ("bool", "int8", "int16", "uint8", "uint16") else name
