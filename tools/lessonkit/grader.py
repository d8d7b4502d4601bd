"""Grading a learner's notebook so that the notebook cannot grade itself.

1. The source lesson is found (the copy's metadata names it, else its file name).
2. Every check cell of the source is put back by cell id, with its code replaced by a call
   to ``minikeras/grading/graded.py``, which loads the check code fresh from the library's
   files. A check cell that is missing or was changed makes the notebook NOT VALID (it is
   still scored, with the source's checks, so the teacher sees what happened).
3. The notebook runs top to bottom in a fresh kernel; errors do not stop it.
4. Only the results those re-inserted cells publish, with this run's secret token, count.
   The number scored must equal the number of check cells in the source.

Each exercise scores on its own. Learner code that reaches for the grading machinery
(``sys.modules``, profilers, IPython internals...) is flagged for review.
"""
from __future__ import annotations

import copy
import re
import secrets
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from .execute import execute
from .notebooks import LESSONS, check_cells, is_tagged_check, parse_check, read, strip_solutions

MIME = "application/vnd.minikeras.check+json"
SUSPICIOUS = re.compile(r"sys\.modules|setprofile|settrace|_render_traceback_|"
                        r"minikeras\.grading|graded_check|vnd\.minikeras|get_ipython|"
                        r"__builtins__|\bbuiltins\b|runpy|importlib")


class NotALesson(ValueError):
    """The notebook does not belong to any source lesson."""


@dataclass
class ExerciseResult:
    exercise: str
    passed: bool
    message: str


@dataclass
class Report:
    notebook: Path
    lesson: str
    results: list[ExerciseResult] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)   # the notebook is not valid
    flags: list[str] = field(default_factory=list)      # worth a look by the teacher
    expected: int = 0

    @property
    def valid(self) -> bool:
        return not self.problems and self.expected > 0 and len(self.results) == self.expected

    @property
    def passed(self) -> int:
        return sum(r.passed for r in self.results)

    @property
    def exit_code(self) -> int:
        if not self.valid:
            return 2
        return 0 if self.passed == self.expected else 1

    def text(self) -> str:
        lines = [f"{self.notebook.name} (lesson {self.lesson}): {self.passed}/{self.expected} "
                 f"exercises passed" + ("" if self.valid else "   ** NOT VALID **")]
        for r in self.results:
            first = r.message.splitlines()[0] if r.message else ""
            lines.append(f"  {r.exercise:5s} {'PASS' if r.passed else 'FAIL'}  {first}")
        lines += [f"  !! {p}" for p in self.problems]
        lines += [f"  ?? {f}" for f in self.flags]
        return "\n".join(lines)


def source_of(nb, path: Path, lessons: Path = LESSONS) -> Path:
    """The source lesson of a learner's notebook."""
    name = nb.metadata.get("minikeras", {}).get("lesson") or path.stem
    source = lessons / f"{name}.ipynb"
    if not source.exists():
        raise NotALesson(f"{path.name} is not a copy of a lesson in {lessons} (looked for "
                         f"{source.name}; its metadata 'minikeras.lesson' names the lesson)")
    return source


def graded_source(exercise: str, answer: str, token: str, origin: str) -> str:
    from minikeras.grading import graded
    return (f"# This check cell was re-inserted by the grader from {origin}.\n"
            f"__import__('runpy').run_path({graded.__file__!r})['graded_check']"
            f"({exercise!r}, {token!r}, lambda: {answer})")


def prepare(nb, source_nb, token: str, origin: str) -> tuple[nbformat.NotebookNode, list[str],
                                                              list[str]]:
    """The notebook to run: source check cells re-inserted by id. Returns (nb, problems,
    flags)."""
    nb = copy.deepcopy(nb)
    problems, flags = [], []
    checks = check_cells(source_nb)
    if not checks:
        problems.append("the source lesson has no check cells: there is nothing to grade")
    source_ids = [c.get("id") for c in source_nb.cells]
    for check in checks:
        cells = {c.get("id"): i for i, c in enumerate(nb.cells)}
        new = nbformat.v4.new_code_cell(graded_source(check.exercise, check.answer, token,
                                                      origin))
        new.id = check.cell_id
        if check.cell_id not in cells:
            problems.append(f"the check cell of exercise {check.exercise} is missing "
                            f"(re-inserted for scoring)")
            before = source_ids[source_ids.index(check.cell_id) - 1]
            at = cells[before] + 1 if before in cells else len(nb.cells)
            nb.cells.insert(at, new)
            continue
        cell = nb.cells[cells[check.cell_id]]
        if cell.cell_type != "code" or cell.source.strip() != check.source:
            problems.append(f"the check cell of exercise {check.exercise} was changed "
                            f"(the source's check was used)")
        nb.cells[cells[check.cell_id]] = new
    ids = {c.cell_id for c in checks}
    given = {c.get("id"): {c.source, strip_solutions(c.source)} for c in source_nb.cells
             if c.cell_type == "code"}
    for n, cell in enumerate(nb.cells):
        if cell.cell_type != "code" or cell.get("id") in ids or \
                cell.source in given.get(cell.get("id"), ()):
            continue  # a check cell, or a cell exactly as the lesson gave it
        if parse_check(cell.source) or is_tagged_check(cell):
            flags.append(f"cell {n} is an extra check cell (not scored)")
        if SUSPICIOUS.search(cell.source):
            flags.append(f"cell {n} reaches for the grading machinery or the kernel "
                         f"({SUSPICIOUS.search(cell.source).group(0)}): please review it")
        if re.search(r"^\s*(def\s+check\b|check\s*=)", cell.source, re.MULTILINE):
            flags.append(f"cell {n} redefines check() (the grader does not use it)")
    return nb, problems, flags


def collect(ran, source_nb, token: str) -> list[ExerciseResult]:
    """One result per source check cell, read from the published records only."""
    by_id = {c.get("id"): c for c in ran.cells}
    results = []
    for check in check_cells(source_nb):
        outputs = by_id[check.cell_id].get("outputs", [])
        records = [o["data"][MIME] for o in outputs
                   if o.get("output_type") == "display_data" and MIME in o.get("data", {})]
        records = [r for r in records if r.get("token") == token and
                   r.get("exercise") == check.exercise]
        if records:
            results.append(ExerciseResult(check.exercise, bool(records[-1]["passed"]),
                                          str(records[-1]["message"])))
            continue
        errors = [o for o in outputs if o.get("output_type") == "error"]
        why = f"{errors[0]['ename']}: {errors[0]['evalue']}" if errors else "no result"
        results.append(ExerciseResult(check.exercise, False,
                                      f"Exercise {check.exercise}: the check did not run ({why})"))
    return results


def grade(path: Path, lessons: Path = LESSONS, timeout: int = 300) -> Report:
    """Run a learner's notebook with the source's checks and score each exercise."""
    nb = read(path)
    source = source_of(nb, path, lessons)
    source_nb = read(source)
    token = secrets.token_hex(16)
    origin = source.relative_to(lessons.parent) if source.is_relative_to(lessons.parent) \
        else source
    prepared, problems, flags = prepare(nb, source_nb, token, str(origin))
    report = Report(path, source.stem, problems=problems, flags=flags,
                    expected=len(check_cells(source_nb)))
    if not report.expected:
        return report
    ran = execute(prepared, path.parent, allow_errors=True, timeout=timeout)
    report.results = collect(ran, source_nb, token)
    if len(report.results) != report.expected:
        report.problems.append(f"{len(report.results)} checks scored, the source has "
                               f"{report.expected}")
    return report
