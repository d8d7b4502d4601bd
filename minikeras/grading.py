"""Checks for the lessons' graded exercises.

Every exercise asks the learner to write a small function. The check cell after it calls
that function on a few cases and compares with the right answers. A passing check prints
one line; a failing one prints what went wrong, with a specific hint where the mistake is
a common one (the wrong axis, a transpose, a missing normalisation...), and raises
``ExerciseFailed`` so the cell shows an error and nbval and the grader see a failure.

>>> import numpy as np
>>> def column_sums(a):
...     return a.sum(axis=0)
>>> check_function("1.1", column_sums, [((np.array([[1, 2], [3, 4]]),), np.array([4, 6]))])
Exercise 1.1 passed (1 case)
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np


class ExerciseFailed(AssertionError):
    """A graded check did not pass. The message says why and how to fix it.

    >>> check_value("0.1", 3, 4)
    Traceback (most recent call last):
    ...
    minikeras.grading.ExerciseFailed: Exercise 0.1 is not right yet: expected 4..., got 3...
    """


def _fail(exercise: str, message: str) -> None:
    text = f"Exercise {exercise} is not right yet: {message}"
    print(text)
    raise ExerciseFailed(text)


def _describe(value) -> str:
    a = np.asarray(value)
    text = np.array2string(a, threshold=12, edgeitems=2, precision=4)
    return f"{text} (shape {a.shape})" if a.ndim else text


def diagnose(got, expected, mistakes: dict | None = None, rtol: float = 1e-5,
             atol: float = 1e-6) -> str | None:
    """None if ``got`` matches ``expected``, else a sentence saying how it differs.

    ``mistakes`` maps a hint to the value that mistake would produce; a match names it.
    """
    if isinstance(got, Exception):
        return f"it raised {type(got).__name__}: {got}"
    if got is None:
        return "it returned None (did you forget `return`?)"
    if type(got).__name__ in ("Tensor", "Placeholder", "Variable", "Constant"):
        return ("it returned a symbolic tensor, which holds no numbers yet: return "
                "K.eval(...) of it (or K.get_value for a variable)")
    try:
        got_a = np.asarray(got, dtype=float)
    except (TypeError, ValueError):
        return f"it returned {type(got).__name__}, not numbers"
    exp_a = np.asarray(expected, dtype=float)
    if got_a.shape == exp_a.shape and np.allclose(got_a, exp_a, rtol=rtol, atol=atol,
                                                  equal_nan=True):
        return None
    for hint, wrong in (mistakes or {}).items():
        wrong_a = np.asarray(wrong, dtype=float)
        if wrong_a.shape == got_a.shape and np.allclose(got_a, wrong_a, rtol=rtol, atol=atol):
            return hint
    if got_a.shape != exp_a.shape:
        if got_a.ndim == 2 and got_a.T.shape == exp_a.shape and np.allclose(got_a.T, exp_a):
            return f"the result is transposed: shape {got_a.shape} instead of {exp_a.shape}"
        if sorted(got_a.shape) == sorted(exp_a.shape):
            return (f"the shape {got_a.shape} has the right sizes in the wrong order; expected "
                    f"{exp_a.shape} (check the order of the axes)")
        if got_a.size == exp_a.size:
            return f"the shape is {got_a.shape}, expected {exp_a.shape} (same numbers, reshaped?)"
        return f"the shape is {got_a.shape}, expected {exp_a.shape}"
    if got_a.ndim and np.allclose(np.sort(got_a, axis=None), np.sort(exp_a, axis=None)):
        return "the right numbers, in the wrong places (an axis mix-up?)"
    return f"expected {_describe(exp_a)}, got {_describe(got_a)}"


def check_value(exercise: str, got, expected, mistakes: dict | None = None,
                rtol: float = 1e-5, atol: float = 1e-6) -> None:
    """Check one value (an array or a number) against the expected one."""
    problem = diagnose(got, expected, mistakes, rtol, atol)
    if problem:
        _fail(exercise, problem)
    print(f"Exercise {exercise} passed")


def check_function(exercise: str, fn: Callable, cases: Sequence[tuple],
                   mistakes: Callable[..., dict] | None = None, rtol: float = 1e-5,
                   atol: float = 1e-6) -> None:
    """Call ``fn(*args)`` for each ``(args, expected)`` case and compare.

    ``mistakes(*args)`` may return {hint: wrong value} for the common errors on that case.
    """
    if not callable(fn):
        _fail(exercise, f"expected a function, got {type(fn).__name__}")
    for i, (args, expected) in enumerate(cases, 1):
        try:
            got = fn(*[_copy(a) for a in args])
        except NotImplementedError:
            _fail(exercise, "the function still raises NotImplementedError: replace the stub "
                            "with your code")
        except Exception as e:  # noqa: BLE001  (a learner's error is reported, not raised)
            got = e
        problem = diagnose(got, expected, mistakes(*args) if mistakes else None, rtol, atol)
        if problem:
            shown = ", ".join(_brief(a) for a in args)
            _fail(exercise, f"for input {shown}: {problem}")
    print(f"Exercise {exercise} passed ({len(cases)} case{'s' if len(cases) != 1 else ''})")


def check_true(exercise: str, condition: bool, hint: str) -> None:
    """Pass when ``condition`` holds, else fail with ``hint``."""
    if not condition:
        _fail(exercise, hint)
    print(f"Exercise {exercise} passed")


def _brief(a) -> str:
    """Small arrays in full; big ones (more than 12 numbers) by their shape."""
    if isinstance(a, np.ndarray):
        return _describe(a) if a.size <= 12 else f"an array of shape {a.shape}"
    return repr(a)


def _copy(a: Any):
    return a.copy() if isinstance(a, np.ndarray) else a
