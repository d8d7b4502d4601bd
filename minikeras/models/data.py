"""Getting data into a model: arrays per input, shape checks, validation split, batches.

>>> list(batches(5, 2, None))
[(slice(0, 2, None), 2), (slice(2, 4, None), 2), (slice(4, 5, None), 1)]
"""
from __future__ import annotations

import math

import numpy as np

from minikeras import config
from minikeras.tensor import format_shape


def whole_number(value, name: str, where, minimum: int = 1) -> int:
    """An argument such as ``batch_size`` or ``epochs``: a whole number >= ``minimum``.

    >>> whole_number(32, "batch_size", None)
    32
    >>> whole_number(2.5, "batch_size", None)
    Traceback (most recent call last):
    ...
    ValueError: batch_size must be a whole number >= 1, got 2.5 (float)...
    """
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)) \
            or value < minimum:
        raise ValueError(f"{name} must be a whole number >= {minimum}, got {value!r} "
                         f"({type(value).__name__})\n  at {where}")
    return int(value)


def verbosity(value, where) -> int:
    """``verbose``: 'auto' (= 1), 0 (silent), 1 (a progress bar) or 2 (a line per epoch)."""
    if isinstance(value, str) and value == "auto":
        return 1
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)) \
            or value not in (0, 1, 2):
        raise ValueError(f"verbose must be 'auto', 0 (silent), 1 (a progress bar) or 2 (one "
                         f"line per epoch), got {value!r}\n  at {where}")
    return int(value)


def _as_batch_array(value, what: str, where) -> np.ndarray:
    """One array with a batch axis; ragged lists and bare numbers are clear errors."""
    try:
        array = np.asarray(value)
    except ValueError as e:  # NumPy 2: "inhomogeneous shape"
        raise ValueError(f"{what} is a ragged list (its rows differ in length), so it is not "
                         f"an array: every sample must have the same shape ({e})\n"
                         f"  at {where}") from None
    if array.ndim == 0:
        raise ValueError(f"{what} must be an array with one row per sample (a batch axis "
                         f"first), got the single value {value!r}\n  at {where}")
    if array.dtype == object:
        raise ValueError(f"{what} holds Python objects (such as None), not numbers\n"
                         f"  at {where}")
    return array


def to_arrays(x, model, what: str = "x", where=None) -> list[np.ndarray]:
    """One array per model input: x may be an array, a list of arrays, or a dict by name."""
    if x is None:
        raise ValueError(f"{what} is missing")
    names = model.input_names if model.built else None
    if isinstance(x, dict):
        if names is None:
            raise ValueError(f"{what} given as a dict, but the model's inputs are not known yet")
        missing = [n for n in names if n not in x]
        if missing:
            raise ValueError(f"{what} has no entry for input(s) {missing}; the model's "
                             f"inputs are {names}\n  at {where}")
        x = [x[n] for n in names]
    elif not isinstance(x, (list, tuple)) or (names is not None and len(names) == 1 and
                                              not _is_list_of_arrays(x)):
        x = [x]
    arrays = [_as_batch_array(a, what if len(x) == 1 else f"{what}[{i}]", where)
              for i, a in enumerate(x)]
    if len({len(a) for a in arrays}) > 1:
        raise ValueError(f"the arrays in {what} have different numbers of samples: "
                         f"{[len(a) for a in arrays]}")
    return arrays


def _is_list_of_arrays(x) -> bool:
    return all(isinstance(a, np.ndarray) for a in x) and len({a.shape for a in x}) > 1


def check_inputs(model, arrays, where) -> None:
    """Compare each array with its input's shape; name the layer that reads it on error."""
    if len(arrays) != len(model.inputs):
        raise ValueError(f'model "{model.name}" expects {len(model.inputs)} input array(s), '
                         f"got {len(arrays)}\n  at {where}")
    for i, (t, a) in enumerate(zip(model.inputs, arrays)):
        if a.ndim != t.ndim or any(s is not None and s != d for s, d in zip(t.shape, a.shape)):
            layer = _first_reader(model, t)
            raise ValueError(f'Input {i} of layer "{layer}" is incompatible with the layer: '
                             f"expected shape={format_shape(t.shape)}, found shape="
                             f"{format_shape(a.shape)}\n  at {where}")
        if a.dtype.kind not in "biuf":
            raise ValueError(f"input {i} has dtype {a.dtype}; numbers are needed\n  at {where}")
    for i, t in enumerate(model.inputs):
        if np.dtype(t.dtype).kind == "f" and arrays[i].dtype != t.dtype:
            arrays[i] = arrays[i].astype(t.dtype)  # e.g. uint8 pixels -> float32


def _first_reader(model, tensor) -> str:
    for node in getattr(model, "_nodes", []):
        if any(t is tensor for t in node.input_tensors):
            return node.layer.name
    return tensor._keras_history[0].name


def to_target_arrays(y, model, where=None) -> list[np.ndarray]:
    """One float array per output; a (n,) target for a (None, 1) output becomes (n, 1)."""
    names = model.output_names
    if isinstance(y, dict):
        missing = [n for n in names if n not in y]
        unknown = [k for k in y if k not in names]
        if missing or unknown:
            problems = ([f"no entry for {missing}"] if missing else []) + \
                ([f"entries for unknown outputs {unknown}"] if unknown else [])
            raise ValueError(f"y must have one entry per output, by name (the outputs are "
                             f"{names}); it has {' and '.join(problems)}\n  at {where}")
        y = [y[n] for n in names]
    elif not isinstance(y, (list, tuple)) or len(names) == 1:
        y = [y]
    if len(y) != len(names):
        raise ValueError(f"the model has {len(names)} output(s) {names} but {len(y)} target "
                         f"arrays were given\n  at {where}")
    arrays = []
    for i, (a, out) in enumerate(zip(y, model.outputs)):
        a = _as_batch_array(a, "y" if len(names) == 1 else f"y[{i}] (output {names[i]!r})",
                            where)
        if a.dtype.kind not in "biuf":
            raise ValueError(f"targets must be numbers, got dtype {a.dtype}\n  at {where}")
        if a.ndim == out.ndim - 1 and out.shape[-1] == 1:
            a = a[..., None]
        arrays.append(a.astype(config.floatx(), copy=False))
    return arrays


def split_validation(xs, ys, fraction: float):
    """Hold out the LAST ``fraction`` of the samples (before any shuffling), as Keras does."""
    if not 0.0 < fraction < 1.0:
        raise ValueError(f"validation_split must be between 0 and 1, got {fraction}")
    n = len(xs[0])
    split_at = math.ceil(n * (1.0 - fraction))
    if split_at == 0 or split_at == n:
        raise ValueError(f"validation_split={fraction} leaves no samples for training or for "
                         f"validation out of {n}")
    train = ([a[:split_at] for a in xs], [a[:split_at] for a in ys])
    val = ([a[split_at:] for a in xs], [a[split_at:] for a in ys])
    return train[0], train[1], val


def batches(n: int, batch_size: int, order):
    """(index, size) for each mini-batch: slices in order, or chunks of a permutation."""
    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1, got {batch_size}")
    for start in range(0, n, batch_size):
        stop = min(start + batch_size, n)
        yield (slice(start, stop) if order is None else order[start:stop]), stop - start
