"""Reading source lessons: their exercises, check cells, and the student copies made from them.

A source lesson (``lessons/NN_name.ipynb``) holds each reference solution between the lines
``### BEGIN SOLUTION`` and ``### END SOLUTION``; a ``# HINT: ...`` line inside becomes the
stub's message (a conceptual hint: the step-by-step one lives in the check and is shown
after a failed attempt). A check cell is one line, ``check("1.4", standardize_rows)``,
tagged ``check``.
"""
from __future__ import annotations

import ast
import copy
import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[2]
LESSONS = ROOT / "lessons"
BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"
HINT = re.compile(r"#\s*HINT:\s*(.*)")
CHECK_TAG = "check"


def lesson_paths(folder: Path = LESSONS) -> list[Path]:
    return sorted(folder.glob("[0-9][0-9]_*.ipynb"))


def read(path: Path) -> nbformat.NotebookNode:
    return nbformat.read(path, as_version=4)


def sha256(text: str | bytes) -> str:
    return hashlib.sha256(text.encode() if isinstance(text, str) else text).hexdigest()


# ---------------------------------------------------------------- check cells
@dataclass(frozen=True)
class CheckCell:
    """A graded check cell: its cell id, exercise id, the learner's answer name, its source."""

    cell_id: str
    exercise: str
    answer: str
    source: str


def parse_check(source: str) -> tuple[str, str] | None:
    """``check("1.4", standardize_rows)`` -> ("1.4", "standardize_rows"); else None."""
    try:
        tree = ast.parse(source.strip())
    except SyntaxError:
        return None
    if len(tree.body) != 1 or not isinstance(tree.body[0], ast.Expr):
        return None
    call = tree.body[0].value
    if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Name) and
            call.func.id == "check" and not call.keywords and len(call.args) == 2):
        return None
    exercise, answer = call.args
    if not (isinstance(exercise, ast.Constant) and isinstance(exercise.value, str) and
            isinstance(answer, ast.Name)):
        return None
    return exercise.value, answer.id


def is_tagged_check(cell) -> bool:
    return cell.cell_type == "code" and CHECK_TAG in cell.get("metadata", {}).get("tags", [])


def check_cells(nb) -> list[CheckCell]:
    """The check cells of a source lesson, in order. Every tagged cell must be a one-line
    check and every one-line check must be tagged (so a lesson cannot hide a check)."""
    found = []
    for n, cell in enumerate(nb.cells):
        parsed = parse_check(cell.source) if cell.cell_type == "code" else None
        if is_tagged_check(cell) and parsed is None:
            raise ValueError(f"cell {n} is tagged 'check' but is not one line "
                             f"check(\"<id>\", <answer>): {cell.source[:60]!r}")
        if parsed and not is_tagged_check(cell):
            raise ValueError(f"cell {n} calls check() but is not tagged 'check'")
        if parsed:
            if "id" not in cell:
                raise ValueError(f"check cell {n} has no cell id (nbformat 4.5 needed)")
            found.append(CheckCell(cell.id, parsed[0], parsed[1], cell.source.strip()))
    exercises = [c.exercise for c in found]
    if len(set(exercises)) != len(exercises):
        raise ValueError(f"an exercise is checked twice: {exercises}")
    return found


# ---------------------------------------------------------------- student copies
def solution_lines(source: str) -> list[str]:
    """The lines between BEGIN/END SOLUTION (for tests that grep student copies)."""
    lines, inside = [], False
    for line in source.splitlines():
        if line.strip() == BEGIN:
            inside = True
        elif line.strip() == END:
            inside = False
        elif inside:
            lines.append(line)
    return lines


def strip_solutions(source: str) -> str:
    """Replace every BEGIN/END SOLUTION block by a NotImplementedError stub."""
    out, lines, i = [], source.splitlines(), 0
    while i < len(lines):
        line = lines[i]
        if line.strip() != BEGIN:
            out.append(line)
            i += 1
            continue
        indent = line[: len(line) - len(line.lstrip())]
        hint = "write your solution here"
        i += 1
        while i < len(lines) and lines[i].strip() != END:
            match = HINT.search(lines[i])
            if match:
                hint = match.group(1).strip()
            i += 1
        if i == len(lines):
            raise ValueError(f"{BEGIN} without {END}")
        out.append(f"{indent}# YOUR CODE HERE")
        out.append(f"{indent}raise NotImplementedError({hint!r})")
        i += 1
    return "\n".join(out)


def student_copy(nb, lesson: str) -> nbformat.NotebookNode:
    """No solutions, no outputs; check cells locked; the source lesson named in metadata."""
    student = copy.deepcopy(nb)
    checks = {c.cell_id for c in check_cells(nb)}
    for cell in student.cells:
        cell.metadata.pop("execution", None)
        if cell.cell_type != "code":
            continue
        cell.source = strip_solutions(cell.source)
        cell.outputs = []
        cell.execution_count = None
        if cell.get("id") in checks:
            cell.metadata["editable"] = False
            cell.metadata["deletable"] = False
    student.metadata["minikeras"] = {"lesson": lesson, "student_copy": True}
    return student


def student_text(path: Path) -> str:
    """The student copy of a source lesson, as the file text that would be written."""
    return nbformat.writes(student_copy(read(path), path.stem)) + "\n"
