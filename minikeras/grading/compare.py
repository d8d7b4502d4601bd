"""Comparing a learner's value with the expected one, and saying how they differ.

``describe_difference`` answers in a sentence a learner can act on: a transpose, the right
numbers in the wrong places, the wrong shape, a Python list instead of an array, a
symbolic tensor that holds no numbers yet. Exercise-specific mistakes are matched before
this generic fallback (see ``exercise.py``).

>>> import numpy as np
>>> same(np.array([1.0, 2.0]), [1.0, 2.0])
True
>>> describe_difference(np.array([[1, 3], [2, 4]]), np.array([[1, 2], [3, 4]]))
'the right numbers, in the wrong places (an axis mix-up?)'
>>> describe_difference(np.zeros((2, 3)), np.zeros((3, 2)))
'the result is transposed: shape (2, 3) instead of (3, 2)'
"""
from __future__ import annotations

import numpy as np


def is_symbolic(value) -> bool:
    """A minikeras graph tensor (holds no numbers until a function runs)."""
    return type(value).__name__ in ("Tensor", "Placeholder", "Variable", "Constant") and \
        hasattr(value, "op")


def as_numbers(value) -> np.ndarray | None:
    """``value`` as a float array, or None when it is not made of numbers."""
    if value is None or is_symbolic(value) or isinstance(value, (str, bytes, dict)):
        return None
    if isinstance(value, (list, tuple)) and any(is_symbolic(v) for v in value):
        return None
    try:
        return np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        return None


def same(got, expected, rtol: float = 1e-5, atol: float = 1e-6) -> bool:
    """Equal shapes and values (to the tolerances); NaNs in the same places count as equal."""
    got_a, exp_a = as_numbers(got), as_numbers(expected)
    if got_a is None or exp_a is None or got_a.shape != exp_a.shape:
        return False
    return bool(np.allclose(got_a, exp_a, rtol=rtol, atol=atol, equal_nan=True))


def brief(value, limit: int = 12) -> str:
    """A short description: small arrays in full, bigger ones by their shape."""
    if isinstance(value, np.ndarray):
        if value.size > limit:
            return f"an array of shape {value.shape}"
        text = np.array2string(value, threshold=limit, edgeitems=2, precision=4,
                               separator=", ").replace("\n", "")
        return f"{' '.join(text.split())} (shape {value.shape})" if value.ndim else text
    if isinstance(value, (list, tuple)) and value and all(isinstance(v, np.ndarray)
                                                          for v in value):
        shapes = {v.shape for v in value}
        of = f"shape {shapes.pop()}" if len(shapes) == 1 else "several shapes"
        return f"a {type(value).__name__} of {len(value)} arrays of {of}"
    if isinstance(value, (list, tuple)) and len(value) > limit:
        return f"a {type(value).__name__} of {len(value)} items"
    if isinstance(value, np.random.Generator):
        return "a random generator"
    if isinstance(value, type):
        return value.__name__
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def describe_type_problem(got, expected) -> str | None:
    """The answer is not numbers at all, or not the kind of container asked for."""
    if got is None:
        return "it returned None (a missing `return`, or a function that works in place?)"
    if is_symbolic(got) or (isinstance(got, (list, tuple)) and any(is_symbolic(v) for v in got)):
        return ("it returned a symbolic tensor, which holds no numbers yet: run the graph with "
                "K.eval(...) (or a K.function) and return the numbers")
    if isinstance(expected, np.ndarray) and isinstance(got, (list, tuple)):
        return (f"it returned a Python {type(got).__name__}; return one NumPy array "
                "(np.array(...) turns a list into one)")
    if as_numbers(got) is None:
        return f"it returned {type(got).__name__}, not numbers"
    return None


def describe_difference(got, expected) -> str:
    """How ``got`` differs from ``expected`` (call only when they differ)."""
    problem = describe_type_problem(got, expected)
    if problem:
        return problem
    got_a, exp_a = as_numbers(got), np.asarray(expected, dtype=float)
    if got_a.shape != exp_a.shape:
        if got_a.ndim == 2 and got_a.T.shape == exp_a.shape and np.allclose(got_a.T, exp_a):
            return f"the result is transposed: shape {got_a.shape} instead of {exp_a.shape}"
        if sorted(got_a.shape) == sorted(exp_a.shape):
            return (f"the shape {got_a.shape} has the right sizes in the wrong order; "
                    f"expected {exp_a.shape} (check the order of the axes)")
        if got_a.size == exp_a.size:
            return f"the shape is {got_a.shape}, expected {exp_a.shape} (same numbers, reshaped?)"
        return f"the shape is {got_a.shape}, expected {exp_a.shape}"
    if got_a.ndim and np.allclose(np.sort(got_a, axis=None), np.sort(exp_a, axis=None)):
        return "the right numbers, in the wrong places (an axis mix-up?)"
    return f"expected {brief(np.asarray(expected))}, got {brief(np.asarray(got))}"
