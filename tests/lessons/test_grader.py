"""The grader, against a notebook that tries to grade itself.

A tiny two-exercise lesson (real exercise ids 1.2 and 1.3, so the real checks run) is
written to a temporary lessons folder; its student copy is then tampered with the way a
learner could, and graded the way ``dev.py grade`` grades.
"""
import json
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from lessonkit import grader
from lessonkit.notebooks import student_text

ROOT = Path(__file__).resolve().parents[2]

SETUP = "import numpy as np\nfrom minikeras import backend as K\nfrom minikeras.grading import check"
ROW_MEANS = ("def row_means(a):\n    ### BEGIN SOLUTION\n    # HINT: along the rows\n"
             "    return a.mean(axis=1)\n    ### END SOLUTION")
K_SUM = ("def k_sum(a, axis):\n    ### BEGIN SOLUTION\n    # HINT: a graph, then run it\n"
         "    return K.eval(K.sum(K.variable(a), axis=axis))\n    ### END SOLUTION")


def _cell(kind, cid, source, tags=None):
    cell = (nbformat.v4.new_code_cell if kind == "code" else nbformat.v4.new_markdown_cell)(source)
    cell.id = cid
    if tags:
        cell.metadata["tags"] = tags
    return cell


def _lesson(checks=True):
    cells = [_cell("markdown", "intro", "# A test lesson"), _cell("code", "setup", SETUP),
             _cell("code", "ex2", ROW_MEANS), _cell("code", "ex3", K_SUM)]
    if checks:
        cells.insert(3, _cell("code", "chk2", 'check("1.2", row_means)', ["check"]))
        cells.append(_cell("code", "chk3", 'check("1.3", k_sum)', ["check"]))
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    return nb


@pytest.fixture
def lessons(tmp_path):
    folder = tmp_path / "lessons"
    folder.mkdir()
    nbformat.write(_lesson(), folder / "01_test.ipynb")
    return folder


def _copy(lessons, tmp_path, change=None, solved=False, name="mine.ipynb"):
    """A learner's notebook: the student copy (or the solutions), changed by ``change``."""
    source = lessons / "01_test.ipynb"
    nb = nbformat.read(source, as_version=4) if solved else \
        nbformat.reads(student_text(source), as_version=4)
    nb.metadata["minikeras"] = {"lesson": "01_test", "student_copy": True}
    if change:
        change(nb)
    path = tmp_path / name
    nbformat.write(nb, path)
    return path


def _by_id(nb, cid):
    return next(c for c in nb.cells if c.get("id") == cid)


def _scores(report):
    return {r.exercise: r.passed for r in report.results}


def test_solved_copy_scores_everything(lessons, tmp_path):
    report = grader.grade(_copy(lessons, tmp_path, solved=True), lessons)
    assert report.valid and _scores(report) == {"1.2": True, "1.3": True}
    assert report.exit_code == 0 and not report.flags


def test_untouched_copy_scores_nothing(lessons, tmp_path):
    report = grader.grade(_copy(lessons, tmp_path), lessons)
    assert report.valid and _scores(report) == {"1.2": False, "1.3": False}
    assert report.exit_code == 1
    assert all("not written yet" in r.message for r in report.results)


def test_overriding_the_check_machinery_changes_nothing(lessons, tmp_path):
    """Untouched stubs, plus every way the notebook can reach the checks from inside."""
    def tamper(nb):
        _by_id(nb, "setup").source += (
            "\n\ndef check(*args, **kwargs):\n    print('Exercise passed')\n\n"
            "import sys, types\nimport minikeras.grading as g\n"
            "g.check = check\ng.run = lambda *a: g.Result('1.2', True, 'passed')\n"
            "fake = types.ModuleType('minikeras.grading')\nfake.check = check\n"
            "sys.modules['minikeras.grading'] = fake\n"
            "from IPython.display import display\n"
            "display({'application/vnd.minikeras.check+json': {'exercise': '1.2', "
            "'passed': True, 'token': 'guessed', 'message': 'passed'}}, raw=True)")
    report = grader.grade(_copy(lessons, tmp_path, tamper), lessons)
    assert report.valid, report.text()
    assert _scores(report) == {"1.2": False, "1.3": False}
    assert any("redefines check()" in f for f in report.flags)
    assert any("grading machinery" in f for f in report.flags)


def test_removed_check_cells_fail_loudly_and_are_put_back(lessons, tmp_path):
    def remove(nb):
        nb.cells = [c for c in nb.cells if c.get("id") not in ("chk2", "chk3")]
    untouched = grader.grade(_copy(lessons, tmp_path, remove), lessons)
    assert not untouched.valid and untouched.exit_code == 2
    assert sum("is missing" in p for p in untouched.problems) == 2
    assert _scores(untouched) == {"1.2": False, "1.3": False}
    solved = grader.grade(_copy(lessons, tmp_path, remove, solved=True, name="b.ipynb"), lessons)
    assert _scores(solved) == {"1.2": True, "1.3": True}     # still scored honestly...
    assert solved.exit_code == 2 and "NOT VALID" in solved.text()   # ...but not valid


def test_edited_check_cell_fails_loudly_and_the_source_check_is_used(lessons, tmp_path):
    def edit(nb):
        _by_id(nb, "chk2").source = 'print("Exercise 1.2 passed (5 cases)")'
        _by_id(nb, "chk3").cell_type = "markdown"
    report = grader.grade(_copy(lessons, tmp_path, edit), lessons)
    assert sum("was changed" in p for p in report.problems) == 2
    assert _scores(report) == {"1.2": False, "1.3": False} and report.exit_code == 2


def test_check_tags_removed_change_nothing(lessons, tmp_path):
    def untag(nb):
        for cell in nb.cells:
            cell.metadata.pop("tags", None)
    report = grader.grade(_copy(lessons, tmp_path, untag, solved=True), lessons)
    assert report.valid and _scores(report) == {"1.2": True, "1.3": True}


def test_each_exercise_scores_on_its_own(lessons, tmp_path):
    """One right, one wrong, an error in between and an extra check cell."""
    def mix(nb):
        nb.cells.insert(4, _cell("code", "oops", "1 / 0"))
        nb.cells.append(_cell("code", "extra", 'check("1.2", row_means)'))
        _by_id(nb, "ex3").source = ("def k_sum(a, axis):\n"
                                    "    return np.sum(a, axis=axis)")
    report = grader.grade(_copy(lessons, tmp_path, mix, solved=True), lessons)
    assert report.valid
    assert _scores(report) == {"1.2": True, "1.3": False}
    assert "about minikeras" in report.results[1].message
    assert any("extra check cell" in f for f in report.flags)


def test_a_renamed_answer_and_an_endless_loop(lessons, tmp_path):
    def break_it(nb):
        _by_id(nb, "ex2").source = "def my_row_means(a):\n    return a.mean(axis=1)"
        _by_id(nb, "ex3").source = "while True:\n    pass"
    report = grader.grade(_copy(lessons, tmp_path, break_it, solved=True), lessons, timeout=8)
    assert _scores(report) == {"1.2": False, "1.3": False}
    assert "row_means" in report.results[0].message and "not defined" in report.results[0].message


def test_zero_checks_is_never_a_pass(tmp_path):
    folder = tmp_path / "lessons"
    folder.mkdir()
    nbformat.write(_lesson(checks=False), folder / "01_test.ipynb")
    report = grader.grade(_copy(folder, tmp_path, solved=True), folder)
    assert report.expected == 0 and not report.valid and report.exit_code == 2
    assert "no check cells" in report.problems[0]


def test_not_a_lesson(lessons, tmp_path):
    def other(nb):
        nb.metadata["minikeras"] = {"lesson": "99_nothing"}
    with pytest.raises(grader.NotALesson, match="not a copy of a lesson"):
        grader.grade(_copy(lessons, tmp_path, other), lessons)


def test_command_line_exit_codes(tmp_path):
    """dev.py grade's tool: 2 for a notebook that is no lesson's copy."""
    stray = tmp_path / "stray.ipynb"
    nbformat.write(nbformat.v4.new_notebook(), stray)
    run = subprocess.run([sys.executable, str(ROOT / "tools" / "lessons.py"), "grade",
                          str(stray)], capture_output=True, text=True, cwd=ROOT)
    assert run.returncode == 2 and "cannot grade" in run.stdout


def test_report_text_lists_every_exercise():
    report = grader.Report(Path("x.ipynb"), "01_test", expected=2, results=[
        grader.ExerciseResult("1.2", True, "Exercise 1.2 passed (5 cases)"),
        grader.ExerciseResult("1.3", False, "Exercise 1.3 is not right yet: ...\n  for ...")])
    assert report.text().splitlines() == [
        "x.ipynb (lesson 01_test): 1/2 exercises passed",
        "  1.2   PASS  Exercise 1.2 passed (5 cases)",
        "  1.3   FAIL  Exercise 1.3 is not right yet: ..."]
    assert report.exit_code == 1
    assert json.dumps(report.problems) == "[]"


def test_a_failing_check_shows_one_short_message(lessons, tmp_path):
    """In the learner's own notebook: no traceback through the grader, nothing twice."""
    from lessonkit.execute import execute
    ran = execute(nbformat.reads(student_text(lessons / "01_test.ipynb"), as_version=4),
                  tmp_path, allow_errors=True)
    cell = _by_id(ran, "chk2")
    errors = [o for o in cell.outputs if o.output_type == "error"]
    assert len(errors) == 1 and len(cell.outputs) == 1, cell.outputs
    lines = errors[0].traceback
    assert lines[0].startswith("Exercise 1.2 is not right yet: `row_means` is not written yet")
    assert len(lines) <= 4 and not any("File " in line or "grading" in line for line in lines)
