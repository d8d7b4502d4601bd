"""Getting data into a model: arrays per input, shape checks, validation split, batches.

>>> list(batches(5, 2, None))
[(slice(0, 2, None), 2), (slice(2, 4, None), 2), (slice(4, 5, None), 1)]
"""
from __future__ import annotations

import math

import numpy as np

from minikeras import config
from minikeras.tensor import format_shape


def to_arrays(x, model, what: str = "x") -> list[np.ndarray]:
    """One array per model input: x may be an array, a list of arrays, or a dict by name."""
    if x is None:
        raise ValueError(f"{what} is missing")
    names = model.input_names if model.built else None
    if isinstance(x, dict):
        if names is None:
            raise ValueError(f"{what} given as a dict, but the model's inputs are not known yet")
        missing = [n for n in names if n not in x]
        if missing:
            raise ValueError(f"{what} has no entry for input(s) {missing}")
        x = [x[n] for n in names]
    elif not isinstance(x, (list, tuple)) or (names is not None and len(names) == 1 and
                                              not _is_list_of_arrays(x)):
        x = [x]
    arrays = [np.asarray(a) for a in x]
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


def to_target_arrays(y, model) -> list[np.ndarray]:
    """One float array per output; a (n,) target for a (None, 1) output becomes (n, 1)."""
    names = model.output_names
    if isinstance(y, dict):
        y = [y[n] for n in names]
    elif not isinstance(y, (list, tuple)) or len(names) == 1:
        y = [y]
    arrays = []
    for a, out in zip(y, model.outputs):
        a = np.asarray(a)
        if a.dtype.kind not in "biuf":
            raise ValueError(f"targets must be numbers, got dtype {a.dtype}")
        if a.ndim == out.ndim - 1 and out.shape[-1] == 1:
            a = a[..., None]
        arrays.append(a.astype(config.floatx(), copy=False))
    if len(arrays) != len(names):
        raise ValueError(f"the model has {len(names)} outputs but {len(arrays)} target arrays "
                         f"were given")
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
