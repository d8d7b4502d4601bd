"""minikeras.grading: the parts a lesson author builds a check from."""
import sys

import numpy as np
import pytest

from minikeras import grading
from minikeras.grading import Case, Exercise, Mistake, Rule, Uses
from minikeras.grading.graded import load_fresh_grading
from minikeras.grading.watch import Watch


def _double(**kw):
    return Exercise("0.1", "double", reference=lambda a: 2 * a,
                    cases=[Case(np.array([1.0, 2.0])), Case(np.array([[3.0]]))], **kw)


def test_check_prints_a_pass_and_raises_one_short_message(capsys):
    grading.check("1.2", lambda a: a.mean(axis=1))
    assert capsys.readouterr().out == "Exercise 1.2 passed (5 cases)\n"
    with pytest.raises(grading.ExerciseFailed) as failure:
        grading.check("1.2", lambda a: a.mean(axis=0))
    lines = failure.value._render_traceback_()
    assert lines[0].startswith("Exercise 1.2 is not right yet: those are the column means")
    assert len(lines) == 2 and lines[1].startswith("  for ")
    assert capsys.readouterr().out == ""          # the message is shown once, not printed too


def test_mistakes_are_matched_by_value_error_or_test():
    exercise = _double(mistakes=[
        Mistake("you added", lambda a: a + 2),
        Mistake("a list", when=lambda got, a: isinstance(got, str)),
        Mistake("no strings here", raises=TypeError, match="str"),
    ])
    assert exercise.run(lambda a: a + 2).message.splitlines()[0].endswith("you added")
    assert exercise.run(lambda a: "twice").message.splitlines()[0].endswith("a list")
    assert "no strings here" in exercise.run(lambda a: a + "x").message
    other = exercise.run(lambda a: a * 3)
    assert "expected" in other.message and not other.named_mistake
    with pytest.raises(ValueError, match="exactly one"):
        Mistake("two ways", lambda a: a, when=lambda got, a: True)


def test_steps_come_only_after_a_failure_no_mistake_explains():
    exercise = _double(mistakes=[Mistake("you added", lambda a: a + 2)], steps="multiply by 2")
    assert "Step by step" not in exercise.run(lambda a: a + 2).message
    assert "Step by step: multiply by 2" in exercise.run(lambda a: a * 3).message
    assert exercise.run(lambda a: a * 2).passed


def test_rules_and_uses():
    exercise = _double(rules=[Rule("return a copy", lambda f: f(np.ones(1)) is not None)],
                       uses=Uses(ops=("multiply",), runs=True, hint="use K"))
    assert exercise.run(lambda a: 2 * a).message.endswith("use K")
    import minikeras.backend as K
    result = exercise.run(lambda a: K.eval(K.constant(a) * 2.0))
    assert result.passed, result.message
    assert result.message == "Exercise 0.1 passed (2 cases and 1 more check)"


def test_errors_name_the_learners_line():
    namespace = {}
    exec(compile("def double(a):\n    return a.nope()\n", "<learner>", "exec"), namespace)  # noqa: S102  (running answers is the point)
    message = _double().run(namespace["double"]).message
    assert "AttributeError" in message and "at line 2 of your code" in message


def test_earlier_exercises_are_references_during_the_check_only():
    namespace = {"helper": lambda a: a * 100}           # the learner's wrong helper
    exec("def double(a):\n    return helper(a)\n", namespace)  # noqa: S102  (running answers is the point)
    exercise = _double(needs={"helper": lambda a: 2 * a})
    assert exercise.run(namespace["double"]).passed
    assert namespace["helper"](1) == 100                # put back afterwards
    exec("def double(a):\n    return other(a)\n", namespace)  # noqa: S102  (running answers is the point)
    assert not _double(needs={"other": lambda a: 2 * a, "gone": None}).run(
        lambda a: a).passed
    assert "other" not in namespace and "gone" not in namespace


def test_earlier_exercises_are_references_for_a_class_answer_too():
    """A class's methods read the notebook's globals: a wrong earlier exercise must not
    make a right class fail (lesson 05's callback calls decayed_learning_rate)."""
    namespace = {"helper": lambda a: a * 100}
    exec("class Doubler:\n    def __call__(self, a):\n        return helper(a)\n", namespace)  # noqa: S102  (running answers is the point)
    exercise = Exercise("0.2", "class Doubler", reference=lambda a: 2 * a,
                        cases=[Case(np.array([1.0, 2.0]))], needs={"helper": lambda a: 2 * a},
                        call=lambda cls, a: cls()(a))
    assert exercise.run(namespace["Doubler"]).passed
    assert namespace["helper"](1) == 100


def test_not_a_function_and_unknown_ids():
    assert "should be a function" in _double().run(3).message
    with pytest.raises(KeyError, match="no check module for lesson 42"):
        grading.find("42.1")
    with pytest.raises(KeyError, match="has no exercise"):
        grading.find("1.99")
    with pytest.raises(KeyError, match="look like"):
        grading.find("x")


def test_watch_sees_ops_gradients_and_runs_and_restores_the_profiler():
    import minikeras.backend as K
    before = sys.getprofile()
    with Watch() as watch:
        v = K.variable(2.0)
        (g,) = K.gradients(K.square(v), v)
        K.eval(g)
    assert watch.ops["square"] == 1 and watch.gradients == 1 and watch.runs >= 1
    assert "multiply" not in watch.ops    # ops made inside K.gradients are not the learner's
    assert sys.getprofile() is before


def test_a_fresh_copy_ignores_a_tampered_package(monkeypatch):
    monkeypatch.setattr(grading, "run", lambda *a: grading.Result("1.2", True, "faked"))
    monkeypatch.setitem(sys.modules, "minikeras.grading.exercise", None)
    fresh = load_fresh_grading()
    assert fresh is not grading and not fresh.run("1.2", lambda a: a).passed
    assert fresh.run("1.2", lambda a: a.mean(axis=1)).passed
