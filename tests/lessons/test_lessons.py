"""The lessons as a learner and a teacher meet them.

* every check passes on the solutions and FAILS on the untouched student copy (so
  grading is never vacuous), graded the way ``dev.py grade`` grades;
* student copies hold no solution, no outputs and no reference code;
* each lesson runs top to bottom in a fresh kernel in under 2 minutes.
"""
import time

import nbformat
import pytest
from lessonkit import grader
from lessonkit.execute import execute
from lessonkit.notebooks import (
    BEGIN,
    check_cells,
    lesson_paths,
    read,
    solution_lines,
    strip_solutions,
    student_copy,
    student_text,
)

LESSONS = lesson_paths()
MIN_CHECKS = 4
TIME_LIMIT_S = 120


def test_there_are_lessons():
    assert LESSONS, "no lessons found in lessons/"


def test_strip_solutions_keeps_indentation_and_hint():
    source = "def f(a):\n    ### BEGIN SOLUTION\n    # HINT: use a.sum\n    return a.sum()\n" \
             "    ### END SOLUTION\n"
    assert strip_solutions(source) == (
        "def f(a):\n    # YOUR CODE HERE\n    raise NotImplementedError('use a.sum')")
    with pytest.raises(ValueError, match="without"):
        strip_solutions("### BEGIN SOLUTION\nx = 1\n")


@pytest.mark.parametrize("path", LESSONS, ids=[p.stem for p in LESSONS])
def test_check_cells_are_one_visible_line(path):
    nb = read(path)
    checks = check_cells(nb)          # raises if a tagged cell is not a one-line check
    assert len(checks) >= MIN_CHECKS, f"{path.name} has {len(checks)} graded checks"
    for check in checks:
        assert check.source == f'check("{check.exercise}", {check.answer})'
        assert check.exercise.startswith(f"{int(path.name[:2])}.")
    setup = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    assert "from minikeras.grading import check" in setup


@pytest.mark.parametrize("path", LESSONS, ids=[p.stem for p in LESSONS])
def test_student_copy_has_no_solution_outputs_or_reference_code(path):
    source = read(path)
    text = student_text(path)
    student = nbformat.reads(text, as_version=4)
    nbformat.validate(student)
    solutions = [line.strip() for c in source.cells if c.cell_type == "code"
                 for line in solution_lines(c.source)
                 if line.strip() and not line.strip().startswith("#")]
    assert solutions, "the lesson has no solutions to hide"
    leaked = [line for line in solutions if line in text]
    assert not leaked, f"solution lines in the student copy of {path.name}: {leaked}"
    assert BEGIN not in text and "NotImplementedError" in text
    for cell in student.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None
        assert "execution" not in cell.metadata
    for word in ("mistakes", "expected_", "check_function", "check_true", "def _m"):
        assert word not in text, f"reference code ({word}) in the student copy of {path.name}"
    checks = {c.cell_id for c in check_cells(source)}
    locked = [c for c in student.cells if c.get("id") in checks]
    assert len(locked) == len(checks)
    assert all(c.metadata["editable"] is False and c.metadata["deletable"] is False
               for c in locked)
    assert student.metadata["minikeras"] == {"lesson": path.stem, "student_copy": True}


def test_student_copy_is_deterministic():
    for path in LESSONS:
        assert student_text(path) == student_text(path)
        assert nbformat.writes(student_copy(read(path), path.stem)) + "\n" == student_text(path)


@pytest.fixture(scope="module", params=LESSONS, ids=[p.stem for p in LESSONS])
def graded(request, tmp_path_factory):
    """(source path, report on the solutions, report on the untouched student copy, s)."""
    path = request.param
    start = time.perf_counter()
    execute(read(path), path.parent, allow_errors=False)
    seconds = time.perf_counter() - start
    solved = grader.grade(path)
    work = tmp_path_factory.mktemp(path.stem)
    (work / path.name).write_text(student_text(path))
    untouched = grader.grade(work / path.name)
    return path, solved, untouched, seconds


def test_solutions_pass_every_check(graded):
    path, solved, _, _ = graded
    assert solved.valid, solved.text()
    assert solved.expected == len(check_cells(read(path)))
    assert solved.passed == solved.expected, solved.text()
    assert solved.exit_code == 0


def test_student_copy_fails_every_check(graded):
    path, _, untouched, _ = graded
    assert untouched.valid, untouched.text()
    passed = [r.exercise for r in untouched.results if r.passed]
    assert not passed, f"{path.name}: checks that pass on the stubs: {passed}"
    assert untouched.exit_code == 1
    for r in untouched.results:
        assert "not right yet" in r.message and "not written yet" in r.message, r.message


def test_lesson_runs_quickly(graded):
    path, _, _, seconds = graded
    assert seconds < TIME_LIMIT_S, f"{path.name} took {seconds:.0f} s"


def test_stored_outputs_have_no_errors():
    for path in LESSONS:
        for cell in read(path).cells:
            if cell.cell_type == "code":
                assert all(o.get("output_type") != "error" for o in cell.outputs), path.name
                assert "execution" not in cell.metadata, f"{path.name}: timings stored"
