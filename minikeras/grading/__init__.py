"""Checks for the lessons' graded exercises, keyed by exercise id.

A check cell in a lesson is one line, ``check("1.4", standardize_rows)``. The cases, the
expected values (from reference code) and the catalogue of typical mistakes live here, in
one module per lesson (``lesson01.py``, ``lesson02.py``, ...), never in the notebook, so a
learner's earlier answers cannot change them. A pass prints one line; a failure raises
``ExerciseFailed``, which the notebook shows as one short message (no traceback).

How to write an exercise's check: ``exercise.py`` and ``lessons/README.md``.

>>> import numpy as np
>>> check("1.2", lambda a: a.mean(axis=1))
Exercise 1.2 passed (5 cases)
>>> check("1.2", lambda a: a.mean(axis=0))
Traceback (most recent call last):
...
minikeras.grading.ExerciseFailed: Exercise 1.2 is not right yet: those are the column means...
"""
from __future__ import annotations

import importlib

from .exercise import Case, Exercise, Mistake, Result, Rule, Uses

__all__ = ["Case", "Exercise", "ExerciseFailed", "Mistake", "Result", "Rule", "Uses", "check",
           "find", "run"]


class ExerciseFailed(AssertionError):
    """A graded check did not pass. Jupyter shows only its message.

    (IPython calls ``_render_traceback_`` instead of printing a traceback through the
    grader; the message already names the learner's line where that helps.)

    >>> ExerciseFailed("Exercise 0.1 is not right yet: ...")._render_traceback_()
    ['Exercise 0.1 is not right yet: ...']
    """

    def _render_traceback_(self) -> list[str]:
        return str(self).splitlines()


def find(exercise_id: str) -> Exercise:
    """The exercise with this id, from the module of its lesson ("2.3" -> lesson02)."""
    lesson = str(exercise_id).split(".")[0]
    if not lesson.isdigit():
        raise KeyError(f"exercise ids look like '1.4' (lesson 1, exercise 4); got "
                       f"{exercise_id!r}")
    try:
        module = importlib.import_module(f".lesson{int(lesson):02d}", __name__)
    except ModuleNotFoundError:
        raise KeyError(f"there is no check module for lesson {lesson} "
                       f"(minikeras/grading/lesson{int(lesson):02d}.py)") from None
    exercises = {e.id: e for e in module.EXERCISES}
    if exercise_id not in exercises:
        raise KeyError(f"lesson {lesson} has no exercise {exercise_id!r}; it has "
                       f"{', '.join(exercises)}")
    return exercises[exercise_id]


def run(exercise_id: str, answer) -> Result:
    """Check ``answer`` and return the result (for tests and the grader; never raises)."""
    return find(exercise_id).run(answer)


def check(exercise_id: str, answer) -> None:
    """The check cell's one line: prints a pass, or raises ``ExerciseFailed``."""
    result = run(exercise_id, answer)
    if not result.passed:
        raise ExerciseFailed(result.message)
    print(result.message)
