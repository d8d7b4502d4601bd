"""Every exercise's check, against tables of answers a learner might write.

* each wrong answer fails, and its message contains the hint that names the mistake;
* the lesson's reference solution and at least two other right answers pass;
* every hint in a check's catalogue is reached by some wrong answer (no dead hints);
* the exercises of the check modules are exactly the check cells of the lessons.
"""
import math
import textwrap

import pytest
from answers_lesson01 import RIGHT as RIGHT_01
from answers_lesson01 import WRONG as WRONG_01
from answers_lesson02 import RIGHT as RIGHT_02
from answers_lesson02 import WRONG as WRONG_02
from answers_lesson03 import RIGHT as RIGHT_03
from answers_lesson03 import WRONG as WRONG_03
from answers_lesson04 import RIGHT as RIGHT_04
from answers_lesson04 import WRONG as WRONG_04
from answers_lesson05 import RIGHT as RIGHT_05
from answers_lesson05 import WRONG as WRONG_05
from answers_lesson07 import RIGHT as RIGHT_07
from answers_lesson07 import WRONG as WRONG_07
from answers_lesson08 import RIGHT as RIGHT_08
from answers_lesson08 import WRONG as WRONG_08
from lessonkit.notebooks import check_cells, lesson_paths, read

from minikeras import grading

WRONG = WRONG_01 + WRONG_02 + WRONG_03 + WRONG_04 + WRONG_05 + WRONG_07 + WRONG_08
RIGHT = RIGHT_01 + RIGHT_02 + RIGHT_03 + RIGHT_04 + RIGHT_05 + RIGHT_07 + RIGHT_08
LESSONS = {int(p.name[:2]): p for p in lesson_paths()}


def learner_namespace() -> dict:
    """What the lessons' set-up cells import."""
    import numba
    import numpy as np
    from numba import cuda, njit, prange

    import minikeras as mk
    from minikeras import axes, config
    from minikeras import backend as K
    from minikeras.autograd import check_gradients
    from minikeras.ops import define_op, unbroadcast
    layers = {name: getattr(mk.layers, name) for name in (
        "Activation", "Add", "Concatenate", "Dense", "Dropout", "Flatten", "Input", "Lambda",
        "Reshape", "concatenate")}
    return {"__name__": "__learner__", "np": np, "math": math, "mk": mk, "K": K,
            "axes": axes, "config": config, "check_gradients": check_gradients,
            "define_op": define_op, "unbroadcast": unbroadcast, "numba": numba, "njit": njit,
            "prange": prange, "cuda": cuda, **layers}


def answer_of(exercise: str, code: str, namespace: dict | None = None):
    namespace = learner_namespace() if namespace is None else namespace
    exec(compile(textwrap.dedent(code), f"<answer to {exercise}>", "exec"), namespace)  # noqa: S102  (running answers is the point)
    return namespace[grading.find(exercise).answer.replace("class ", "")]


@pytest.mark.parametrize("exercise,what,code,hint", WRONG,
                         ids=[f"{e}-{w}" for e, w, _, _ in WRONG])
def test_wrong_answer_fails_with_its_hint(exercise, what, code, hint):
    result = grading.run(exercise, answer_of(exercise, code))
    assert not result.passed, f"{exercise} ({what}) passed"
    assert hint in result.message, f"{exercise} ({what}):\n{result.message}"
    assert len(result.message.splitlines()) <= 4, result.message   # one short message


@pytest.mark.parametrize("exercise,what,code", RIGHT, ids=[f"{e}-{w}" for e, w, _ in RIGHT])
def test_other_right_answers_pass(exercise, what, code):
    result = grading.run(exercise, answer_of(exercise, code))
    assert result.passed, f"{exercise} ({what}):\n{result.message}"


def _reference_answers(path):
    """The notebook's solution cells, run in order in one learner namespace."""
    namespace = learner_namespace()
    for cell in read(path).cells:
        if cell.cell_type == "code" and "### BEGIN SOLUTION" in cell.source:
            exec(compile(cell.source, f"<{path.name}>", "exec"), namespace)  # noqa: S102  (running answers is the point)
    return namespace


@pytest.mark.parametrize("lesson", sorted(LESSONS), ids=[p.stem for p in LESSONS.values()])
def test_the_lessons_own_solutions_pass(lesson):
    namespace = _reference_answers(LESSONS[lesson])
    for check in check_cells(read(LESSONS[lesson])):
        result = grading.run(check.exercise, namespace[check.answer])
        assert result.passed, result.message


def test_at_least_two_other_right_answers_per_exercise():
    for path in LESSONS.values():
        for check in check_cells(read(path)):
            rights = [r for r in RIGHT if r[0] == check.exercise]
            assert len(rights) >= 2, f"exercise {check.exercise} needs more right answers"
            assert any(w[0] == check.exercise for w in WRONG), check.exercise


def test_the_check_modules_match_the_lessons():
    for lesson, path in LESSONS.items():
        in_notebook = [c.exercise for c in check_cells(read(path))]
        module = __import__(f"minikeras.grading.lesson{lesson:02d}", fromlist=["EXERCISES"])
        assert in_notebook == [e.id for e in module.EXERCISES], path.name


def _hints(exercise):
    """Every text the catalogue can show, with callable hints expanded on each case."""
    texts = []
    for m in exercise.mistakes:
        if callable(m.hint):
            variants = set()
            for case in exercise.cases:
                try:
                    variants.add(m.hint(*case.args))
                except Exception:  # noqa: BLE001,S112  (a hint that does not apply to a case)
                    continue
            texts.append(sorted(variants))
        else:
            texts.append([m.hint])
    texts += [[r.hint] for r in exercise.rules]
    if exercise.uses is not None:
        texts.append([exercise.uses.hint])
    return texts


@pytest.fixture(scope="module")
def messages():
    out = {}
    for exercise, _, code, _ in WRONG:
        out.setdefault(exercise, []).append(grading.run(exercise, answer_of(exercise, code)).message)
    return out


def test_every_hint_is_reached_by_a_wrong_answer(messages):
    for path in LESSONS.values():
        for check in check_cells(read(path)):
            exercise = grading.find(check.exercise)
            for variants in _hints(exercise):
                assert any(v in m for v in variants for m in messages[check.exercise]), \
                    f"no wrong answer in the tables reaches this hint of {check.exercise}: " \
                    f"{variants[0]!r}"
