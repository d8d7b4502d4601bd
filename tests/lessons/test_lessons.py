"""The lessons: their checks pass on the solutions, FAIL on the student stubs (so grading
is never vacuous), and each lesson runs top to bottom in a fresh kernel in under 2 min."""
import sys
import time
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools"))
import lessons as tools

LESSONS = tools.lesson_paths()
MIN_CHECKS = 4
TIME_LIMIT_S = 120


def test_there_are_lessons():
    assert LESSONS, "no lessons found in lessons/"


def test_strip_solutions_keeps_indentation_and_hint():
    source = "def f(a):\n    ### BEGIN SOLUTION\n    # HINT: use a.sum\n    return a.sum()\n" \
             "    ### END SOLUTION\n"
    assert tools.strip_solutions(source) == (
        "def f(a):\n    # YOUR CODE HERE\n    raise NotImplementedError('use a.sum')")


@pytest.fixture(scope="module", params=LESSONS, ids=[p.stem for p in LESSONS])
def executed(request, tmp_path_factory):
    """(source path, executed solution notebook, executed student notebook, seconds)."""
    path = request.param
    nb = nbformat.read(path, as_version=4)
    start = time.perf_counter()
    solved = tools.execute(nb, path.parent, allow_errors=False)
    seconds = time.perf_counter() - start
    student = tools.student_copy(nbformat.read(path, as_version=4))
    nbformat.validate(student)
    work = tmp_path_factory.mktemp(path.stem)
    nbformat.write(student, work / path.name)
    ran = tools.execute(nbformat.read(work / path.name, as_version=4), path.parent,
                        allow_errors=True)
    return path, solved, ran, seconds


def test_solutions_pass_every_check(executed):
    path, solved, _, _ = executed
    results = tools.check_results(solved)
    assert len(results) >= MIN_CHECKS, f"{path.name} has {len(results)} graded checks"
    assert all(ok for _, ok, _ in results), results


def test_student_copy_fails_every_check(executed):
    path, _, ran, _ = executed
    results = tools.check_results(ran)
    passed = [(n, msg) for n, ok, msg in results if ok]
    assert not passed, f"{path.name}: checks that pass on the stubs: {passed}"
    source = path.read_text()
    assert tools.BEGIN in source
    student = "\n".join(c.source for c in tools.student_copy(
        nbformat.read(path, as_version=4)).cells)
    assert tools.BEGIN not in student and "NotImplementedError" in student


def test_lesson_runs_quickly(executed):
    path, _, _, seconds = executed
    assert seconds < TIME_LIMIT_S, f"{path.name} took {seconds:.0f} s"


def test_stored_outputs_have_no_errors():
    for path in LESSONS:
        nb = nbformat.read(path, as_version=4)
        for cell in nb.cells:
            if cell.cell_type == "code":
                assert all(o.get("output_type") != "error" for o in cell.outputs), path.name
