"""What an exercise's check is made of, and how it runs.

An ``Exercise`` says what the learner writes (``answer``, a function or class name), how
to call it (``call``), and what is right: a ``reference`` written in plain NumPy runs on
every ``Case``. When the learner's value differs, the check looks it up in a catalogue of
typical ``Mistake``\\ s (each the value that mistake gives, an error it raises, or a test
on the value) to say *which* mistake it is; only then does it fall back to a generic
description ("the shape is ..., expected ..."). ``Rule``\\ s check properties no single
case shows (shuffling, reproducibility, ``get_config``), and ``Uses`` asks that some ops
of minikeras were really used (``K.sum``, not ``np.sum``).

``needs`` lists earlier exercises the answer calls (e.g. ``sgd_step`` calls the
learner's ``mse_gradient``): during the check those names point at their references, so a
mistake in an earlier exercise never makes a correct later one fail.

>>> import numpy as np
>>> double = Exercise("0.1", "double", reference=lambda a: 2 * a,
...                   cases=[Case(np.array([1.0, 2.0]))],
...                   mistakes=[Mistake("you added 2 instead of doubling", lambda a: a + 2)])
>>> double.run(lambda a: a * 2).message
'Exercise 0.1 passed (1 case)'
>>> print(double.run(lambda a: a + 2).message)
Exercise 0.1 is not right yet: you added 2 instead of doubling
  for a = [1., 2.] (shape (2,))
"""
from __future__ import annotations

import copy
import inspect
import os
import re
import sys
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .compare import brief, describe_difference, describe_type_problem, same
from .watch import Watch

_MISSING = object()
_MINIKERAS_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class Case:
    """One input of the check: the arguments, and optionally the expected value.

    Without ``expected`` the reference computes it. ``note`` names the case in messages
    ("a square matrix"), where it matters which input failed.

    >>> Case(np.zeros((2, 3)), note="a wide matrix").args[0].shape
    (2, 3)
    """

    def __init__(self, *args, expected: Any = _MISSING, note: str = ""):
        self.args, self.expected, self.note = args, expected, note


class Mistake:
    """A typical mistake and the hint that names it.

    It is recognised by one of:
        wrong: ``wrong(*args)`` is the value the mistake gives on a case;
        raises: the answer raised this exception type (``match``: a regex on its message);
        when: ``when(got, *args)`` is True for what the answer returned.

    ``hint`` is a sentence, or a function of the case's arguments giving one.

    >>> m = Mistake("summed instead of averaged", lambda a: a.sum())
    >>> m.recognises(np.float64(3.0), None, (np.array([1.0, 2.0]),))
    True
    """

    def __init__(self, hint: str | Callable[..., str], wrong: Callable | None = None, *,
                 raises: type | tuple | None = None, match: str | None = None,
                 when: Callable | None = None):
        if (wrong is None) + (raises is None) + (when is None) != 2:
            raise ValueError("a Mistake is recognised by exactly one of wrong=, raises=, when=")
        self.hint, self.wrong, self.raises, self.match, self.when = hint, wrong, raises, match, when

    def text(self, args: tuple) -> str:
        return self.hint(*args) if callable(self.hint) else self.hint

    def recognises(self, got, error: BaseException | None, args: tuple, rtol: float = 1e-5,
                   atol: float = 1e-6) -> bool:
        if self.raises is not None:
            return isinstance(error, self.raises) and (
                self.match is None or re.search(self.match, str(error)) is not None)
        if error is not None:
            return False
        try:
            with np.errstate(all="ignore"):
                if self.when is not None:
                    return bool(self.when(got, *copy.deepcopy(args)))
                return same(got, self.wrong(*copy.deepcopy(args)), rtol, atol)
        except Exception:  # noqa: BLE001  (a mistake that does not apply to this case)
            return False


class Rule:
    """A property the answer must have beyond the cases (``holds(answer)`` is True).

    ``holds`` may also return a string: the problem, in its own words.

    >>> Rule("returns an int", lambda f: isinstance(f(), int)).problem(lambda: 3) is None
    True
    """

    def __init__(self, hint: str, holds: Callable[[Any], bool | str]):
        self.hint, self.holds = hint, holds

    def problem(self, answer) -> str | None:
        verdict = self.holds(answer)
        if isinstance(verdict, str):
            return verdict
        return None if verdict else self.hint


class Uses:
    """Parts of minikeras the answer must use: op names, ``K.gradients``, a graph run.

    >>> Uses(ops=("sum",), hint="use K.sum").problem_with(Watch())
    'use K.sum'
    """

    def __init__(self, ops: Sequence[str] = (), gradients: bool = False, runs: bool = False,
                 hint: str = ""):
        self.ops, self.gradients, self.runs, self.hint = tuple(ops), gradients, runs, hint

    def problem_with(self, watch: Watch) -> str | None:
        missing = [op for op in self.ops if not watch.ops[op]]
        if missing or (self.gradients and not watch.gradients) or (self.runs and not watch.runs):
            return self.hint or f"use minikeras for this one ({', '.join(missing)})"
        return None


@dataclass
class Result:
    """What a check found: passed or not, and the one message the learner sees."""

    exercise: str
    passed: bool
    message: str
    named_mistake: bool = False


def _call_plain(answer, *args):
    return answer(*args)


class Exercise:
    """One graded exercise: see the module docstring, and ``lessons/README.md``.

    Arguments:
        id: "lesson.number", e.g. "1.4"; the check cell calls ``check("1.4", answer)``.
        answer: the name of what the learner writes (used in messages).
        reference: the right answer in plain NumPy, called with each case's arguments.
        cases: the inputs (include awkward ones: square, size 1, the other layout).
        mistakes: the catalogue, matched in order, first match wins.
        rules: properties checked after every case passed.
        uses: parts of minikeras the answer must use.
        needs: {name: reference} of earlier exercises the answer may call.
        call: ``call(answer, *args)`` gives the value compared with ``reference(*args)``
            (default: ``answer(*args)``); for classes, it makes and uses an instance.
        steps: the step-by-step hint, shown after a failure no mistake explains.
        rtol, atol: the tolerance of the comparison.
    """

    def __init__(self, id: str, answer: str, reference: Callable, cases: Sequence[Case],
                 mistakes: Sequence[Mistake] = (), rules: Sequence[Rule] = (),
                 uses: Uses | None = None, needs: dict[str, Callable] | None = None,
                 call: Callable = _call_plain, steps: str = "", rtol: float = 1e-5,
                 atol: float = 1e-6):
        self.id, self.answer, self.reference = id, answer, reference
        self.cases, self.mistakes, self.rules = list(cases), list(mistakes), list(rules)
        self.uses, self.needs, self.call = uses, dict(needs or {}), call
        self.steps, self.rtol, self.atol = steps, rtol, atol
        if not self.cases:
            raise ValueError(f"exercise {id} has no cases")

    # ---- running ----
    def run(self, answer) -> Result:
        """Check ``answer``; never raises for the learner's errors (they are the result)."""
        if answer is None or not callable(answer):
            return self._fail(f"`{self.answer}` should be a function or class, got "
                              f"{brief(answer)}", named=True)
        watch = Watch()
        with self._earlier_exercises_as_references(answer):
            for case in self.cases:
                got, error = self._call(answer, case, watch)
                if isinstance(error, NotImplementedError):
                    return self._fail(f"`{self.answer}` is not written yet: replace the line "
                                      "`raise NotImplementedError(...)` with your code")
                problem, named = self._diagnose(got, error, case)
                if problem:
                    return self._fail(problem, case, named)
            if self.uses is not None:
                problem = self.uses.problem_with(watch)
                if problem:
                    return self._fail(problem, named=True)
            for rule in self.rules:
                try:
                    problem = rule.problem(answer)
                except Exception as e:  # noqa: BLE001  (the learner's error is the result)
                    problem, named = self._diagnose(None, e, None)
                    if not named:
                        problem = f"{rule.hint} ({problem})"
                if problem:
                    return self._fail(problem, named=True)
        return Result(self.id, True, f"Exercise {self.id} passed ({self._counts()})")

    def expected(self, case: Case):
        if case.expected is not _MISSING:
            return case.expected
        return self.reference(*copy.deepcopy(case.args))

    def _call(self, answer, case: Case, watch: Watch):
        args = copy.deepcopy(case.args)
        with Watch() as seen:
            try:
                with np.errstate(all="ignore"):
                    return self.call(answer, *args), None
            except Exception as e:  # noqa: BLE001
                return None, e
            finally:
                watch.merge(seen)

    def _diagnose(self, got, error, case: Case | None) -> tuple[str | None, bool]:
        """(problem, whether a catalogued mistake named it); (None, False) when right."""
        args = case.args if case is not None else ()
        if error is None and case is not None:
            expected = self.expected(case)
            if same(got, expected, self.rtol, self.atol):
                problem = describe_type_problem(got, expected)
                return (problem, True) if problem else (None, False)
        for mistake in self.mistakes:
            if (case is not None or mistake.raises is not None) and \
                    mistake.recognises(got, error, args, self.rtol, self.atol):
                return mistake.text(args), True
        if error is not None:
            return f"it raised {type(error).__name__}: {_first_line(error)}{_where(error)}", False
        return describe_difference(got, self.expected(case)), False

    def _fail(self, problem: str, case: Case | None = None, named: bool = False) -> Result:
        lines = [f"Exercise {self.id} is not right yet: {problem}"]
        if case is not None:
            lines.append("  for " + self._describe_case(case))
        if self.steps and not named:
            lines.append("  Step by step: " + self.steps)
        return Result(self.id, False, "\n".join(lines), named)

    def _describe_case(self, case: Case) -> str:
        try:
            names = list(inspect.signature(self.reference).parameters)
        except (TypeError, ValueError):
            names = []
        parts = [f"{names[i]} = {brief(a)}" if i < len(names) else brief(a)
                 for i, a in enumerate(case.args)]
        return (f"{case.note}: " if case.note else "") + ", ".join(parts)

    def _counts(self) -> str:
        n = len(self.cases)
        text = f"{n} case{'s' if n != 1 else ''}"
        if self.rules:
            text += f" and {len(self.rules)} more check{'s' if len(self.rules) != 1 else ''}"
        return text

    def _earlier_exercises_as_references(self, answer):
        return _Swap(_namespace_of(answer), self.needs)


def _namespace_of(answer) -> dict | None:
    """The global names the answer's code reads: a function's, or a class's methods'."""
    if hasattr(answer, "__globals__"):
        return answer.__globals__
    if isinstance(answer, type):
        for value in vars(answer).values():
            if hasattr(value, "__globals__"):
                return value.__globals__
    return None


class _Swap:
    """Point some global names of the learner's namespace at references, then restore."""

    def __init__(self, namespace: dict | None, names: dict):
        self.namespace, self.names, self.saved = namespace, names, {}

    def __enter__(self):
        if self.namespace is not None:
            for name, reference in self.names.items():
                self.saved[name] = self.namespace.get(name, _MISSING)
                self.namespace[name] = reference
        return self

    def __exit__(self, *exc):
        for name, old in self.saved.items():
            if old is _MISSING:
                self.namespace.pop(name, None)
            else:
                self.namespace[name] = old


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else "(no message)"


def _where(error: BaseException) -> str:
    """' (at line N: `code`)' for the learner's line that raised, when it can be found."""
    library = (sys.prefix, sys.base_prefix, _MINIKERAS_DIR)
    frames = [f for f in traceback.extract_tb(error.__traceback__)
              if not os.path.abspath(f.filename).startswith(library)]
    if not frames:
        return ""
    frame = frames[-1]
    code = f": `{frame.line.strip()}`" if frame.line else ""
    return f" (at line {frame.lineno} of your code{code})"
