"""Lesson tools: the learner's workspace, headless runs, student copies, grading.

    python tools/lessons.py workspace [--dir DIR] [--reset NN]  # make/refresh the learner's copies
    python tools/lessons.py run [NOTEBOOK ...]      # execute in fresh kernels, report
    python tools/lessons.py student [--out DIR]    # write student copies (default student/)
    python tools/lessons.py grade NOTEBOOK ...     # score a learner's copy with the source checks
    python tools/lessons.py store NOTEBOOK ...     # (authors) execute and save the outputs

``dev.py lessons``, ``dev.py student`` and ``dev.py grade`` call these. The grader's exit
code is 0 when every exercise passed, 1 when some failed, 2 when the notebook is not valid
(missing or changed check cells, no checks) or is not a copy of a lesson.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import nbformat

sys.path.insert(0, str(Path(__file__).resolve().parent))
from lessonkit import grader, workspace
from lessonkit.execute import execute
from lessonkit.notebooks import ROOT, lesson_paths, read, student_text


def run(paths: list[Path]) -> int:
    failures = 0
    for path in paths:
        start = time.perf_counter()
        try:
            execute(read(path), path.parent, allow_errors=False)
            status = "ok"
        except Exception as e:  # noqa: BLE001  (reported, then the next lesson runs)
            status = f"FAILED: {type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}"
            failures += 1
        print(f"{path.name}: {status} ({time.perf_counter() - start:.1f} s)", flush=True)
    print(f"{len(paths) - failures}/{len(paths)} lessons ran top to bottom without errors")
    return 1 if failures else 0


def _shown(path: Path) -> str:
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def cmd_workspace(args) -> int:
    folder = workspace.folder(args.dir)
    if args.reset:
        try:
            target = workspace.reset(folder, args.reset)
        except ValueError as e:
            print(e)
            return 2
        print(f"started {_shown(target)} again (the old copy is in {_shown(folder)}/.backups/)")
        return 0
    for note in workspace.sync(folder):
        print(note)
    print(f"your lessons are in {_shown(folder)}/ (the solutions stay in lessons/)")
    return 0


def cmd_student(args) -> int:
    args.out.mkdir(parents=True, exist_ok=True)
    for path in lesson_paths():
        target = args.out / path.name
        target.write_text(student_text(path))
        print(f"wrote {_shown(target)}")
    return 0


def cmd_grade(args) -> int:
    worst = 0
    for path in args.notebooks:
        try:
            report = grader.grade(path)
        except (grader.NotALesson, FileNotFoundError, nbformat.ValidationError) as e:
            print(f"{path}: cannot grade: {e}")
            worst = 2
            continue
        print(report.text(), flush=True)
        worst = max(worst, report.exit_code)
    return worst


def _coalesce_streams(outputs: list) -> list:
    """One stream output where the kernel happened to send several in a row (as nbval,
    which compares them, sees them): the stored notebook stays the same from run to run."""
    merged = []
    for out in outputs:
        if merged and out.get("output_type") == "stream" == merged[-1].get("output_type") \
                and out.get("name") == merged[-1].get("name"):
            merged[-1]["text"] += out["text"]
        else:
            merged.append(out)
    return merged


def cmd_store(args) -> int:
    for path in args.notebooks:
        nb = read(path)
        for cell in nb.cells:
            cell.metadata.pop("execution", None)   # timings: they change on every run
        execute(nb, path.parent, allow_errors=False)
        for cell in nb.cells:
            if cell.cell_type == "code":
                cell.outputs = _coalesce_streams(cell.outputs)
        nbformat.write(nb, path)
        print(f"stored outputs of {path}")
    return 0


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("workspace")
    p.add_argument("--dir", type=Path)
    p.add_argument("--reset", metavar="LESSON")
    sub.add_parser("run").add_argument("notebooks", nargs="*", type=Path)
    sub.add_parser("student").add_argument("--out", type=Path, default=ROOT / "student")
    sub.add_parser("grade").add_argument("notebooks", nargs="+", type=Path)
    sub.add_parser("store").add_argument("notebooks", nargs="+", type=Path)
    args = parser.parse_args(argv)
    if args.command == "run":
        return run(args.notebooks or lesson_paths())
    return {"workspace": cmd_workspace, "student": cmd_student, "grade": cmd_grade,
            "store": cmd_store}[args.command](args)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
