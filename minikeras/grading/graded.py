"""The check that ``dev.py grade`` re-inserts into a learner's notebook.

The grader replaces every check cell with a call to ``graded_check``, loaded from this
file by path (``runpy.run_path``). It loads a *fresh copy* of the grading package from its
files, under a private name, so nothing the notebook did to ``check``, to
``minikeras.grading`` or to ``sys.modules`` is used. The result is published as a
``application/vnd.minikeras.check+json`` output carrying the grader's token; the grader
counts only those.

It defends against a notebook redefining names, editing or removing check cells, and
replacing the check functions. It is not a sandbox: code written to attack the kernel
itself (patching NumPy or IPython) could still fake a result, so the grader also flags
notebooks that reach for such tools (see ``tools/lessonkit/grader.py``).

>>> fresh = load_fresh_grading()
>>> fresh.run("1.2", lambda a: a.mean(axis=1)).passed, fresh.__name__ != "minikeras.grading"
(True, True)
"""
from __future__ import annotations

import importlib.util
import os
import secrets
import sys

MIME = "application/vnd.minikeras.check+json"
HERE = os.path.dirname(os.path.abspath(__file__))


def load_fresh_grading():
    """A new copy of minikeras.grading, executed from its files."""
    name = f"_minikeras_grading_{secrets.token_hex(6)}"
    spec = importlib.util.spec_from_file_location(
        name, os.path.join(HERE, "__init__.py"), submodule_search_locations=[HERE])
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # the package's own relative imports need it registered
    spec.loader.exec_module(module)
    return module


def graded_check(exercise_id: str, token: str, get_answer) -> None:
    """Check the answer (``get_answer()`` looks it up in the notebook) and publish the result."""
    grading = load_fresh_grading()
    try:
        answer = get_answer()
    except NameError as e:
        result = grading.Result(exercise_id, False,
                                f"Exercise {exercise_id} is not right yet: {e} (did its cell "
                                "run, and does it still have its name?)")
    else:
        result = grading.run(exercise_id, answer)
    record = {"exercise": exercise_id, "passed": bool(result.passed), "token": token,
              "message": result.message}
    from IPython.display import display
    verdict = "passed" if result.passed else "not passed"
    display({MIME: record, "text/plain": f"(graded: exercise {exercise_id} {verdict})"}, raw=True)
    if not result.passed:
        raise grading.ExerciseFailed(result.message)
