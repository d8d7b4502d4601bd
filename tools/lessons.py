"""Lesson tools: run the lessons headless, make student copies, grade completed copies.

    python tools/lessons.py run [NOTEBOOK ...]     # execute in fresh kernels, report
    python tools/lessons.py student [--out DIR]   # write student copies (default student/)
    python tools/lessons.py grade NOTEBOOK ...    # run a completed copy, score its checks
    python tools/lessons.py store NOTEBOOK ...    # (authors) execute and save the outputs

In a source lesson, an exercise cell holds the reference solution between the lines
``### BEGIN SOLUTION`` and ``### END SOLUTION``; a ``# HINT: ...`` line inside it becomes
the message of the stub. The student copy replaces each solution with
``raise NotImplementedError("<hint>")`` (indented like the solution) and clears outputs.
Check cells are the cells tagged ``check`` (they call ``minikeras.grading``).
"""
from __future__ import annotations

import argparse
import copy
import re
import sys
import time
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
LESSONS = ROOT / "lessons"
BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"
HINT = re.compile(r"#\s*HINT:\s*(.*)")


def lesson_paths() -> list[Path]:
    return sorted(LESSONS.glob("[0-9][0-9]_*.ipynb"))


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


def student_copy(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    student = copy.deepcopy(nb)
    for cell in student.cells:
        if cell.cell_type == "code":
            cell.source = strip_solutions(cell.source)
            cell.outputs = []
            cell.execution_count = None
    return student


def write_student_copies(out_dir: Path) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for path in lesson_paths():
        nb = nbformat.read(path, as_version=4)
        target = out_dir / path.name
        nbformat.write(student_copy(nb), target)
        written.append(target)
    return written


def is_check(cell) -> bool:
    return cell.cell_type == "code" and "check" in cell.get("metadata", {}).get("tags", [])


def execute(nb: nbformat.NotebookNode, cwd: Path, allow_errors: bool, timeout: int = 600):
    from nbclient import NotebookClient
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3",
                            allow_errors=allow_errors, resources={"metadata": {"path": str(cwd)}})
    client.execute()
    return nb


def check_results(nb) -> list[tuple[int, bool, str]]:
    """(cell number, passed, message) for each check cell of an executed notebook."""
    results = []
    for n, cell in enumerate(nb.cells):
        if not is_check(cell):
            continue
        errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
        if errors:
            results.append((n, False, f"{errors[0]['ename']}: {errors[0]['evalue']}"))
        else:
            text = "".join(o.get("text", "") for o in cell.get("outputs", [])
                           if o.get("output_type") == "stream").strip()
            results.append((n, True, text.splitlines()[-1] if text else "passed"))
    return results


def grade(path: Path) -> tuple[int, int]:
    nb = execute(nbformat.read(path, as_version=4), path.parent, allow_errors=True)
    results = check_results(nb)
    passed = sum(ok for _, ok, _ in results)
    print(f"{path.name}: {passed}/{len(results)} checks passed")
    for n, ok, message in results:
        print(f"  cell {n:3d} {'PASS' if ok else 'FAIL'}  {message}")
    return passed, len(results)


def run(paths: list[Path]) -> int:
    failures = 0
    for path in paths:
        start = time.perf_counter()
        try:
            execute(nbformat.read(path, as_version=4), path.parent, allow_errors=False)
            status = "ok"
        except Exception as e:  # noqa: BLE001  (reported, then the next lesson runs)
            status = f"FAILED: {type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}"
            failures += 1
        print(f"{path.name}: {status} ({time.perf_counter() - start:.1f} s)", flush=True)
    print(f"{len(paths) - failures}/{len(paths)} lessons ran top to bottom without errors")
    return 1 if failures else 0


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p_run = sub.add_parser("run")
    p_run.add_argument("notebooks", nargs="*", type=Path)
    p_student = sub.add_parser("student")
    p_student.add_argument("--out", type=Path, default=ROOT / "student")
    p_grade = sub.add_parser("grade")
    p_grade.add_argument("notebooks", nargs="+", type=Path)
    p_store = sub.add_parser("store")
    p_store.add_argument("notebooks", nargs="+", type=Path)
    args = parser.parse_args(argv)
    if args.command == "store":
        for path in args.notebooks:
            nb = execute(nbformat.read(path, as_version=4), path.parent, allow_errors=False)
            nbformat.write(nb, path)
            print(f"stored outputs of {path}")
        return 0
    if args.command == "run":
        return run(args.notebooks or lesson_paths())
    if args.command == "student":
        for path in write_student_copies(args.out):
            print(f"wrote {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")
        return 0
    totals = [grade(p) for p in args.notebooks]
    return 0 if all(p == n for p, n in totals) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
