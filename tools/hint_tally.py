"""How many typical wrong answers get a hint that names the mistake: now, and before.

    .venv/bin/python tools/hint_tally.py                 # the checks of this tree
    .venv/bin/python tools/hint_tally.py --before REV    # ...and those of git revision REV

The wrong answers are the tables in tests/lessons/answers_lessonNN.py. Now, an answer
counts as named when its message contains the hint its row expects (what the tests
assert). Before (the lessons of REV, whose check cells held their own catalogues and
called the old ``minikeras/grading.py``), an answer counts as named when it fails with a
message that is not one of the generic fallbacks ("expected ..., got ...", "it raised
...", "the shape is ...", "the right numbers, in the wrong places"...). The right answers
of the tables that follow a wrong earlier exercise show whether hints cascade.
"""
from __future__ import annotations

import argparse
import contextlib
import importlib.util
import io
import json
import re
import subprocess
import sys
import textwrap
import types
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "tools"), str(ROOT / "tests" / "lessons")]

GENERIC = re.compile(r"expected .*, got |it raised |the shape is \(|the result is transposed|"
                     r"the right numbers, in the wrong places|has the right sizes in the wrong "
                     r"order|it returned None|not numbers")
NEW_TO_OLD = {f"1.{k}": str(k) for k in range(1, 8)} | {"1.6a": "6a", "1.6b": "6b"}
EXTENSIONS = {"1.8", "2.7"}   # new exercises: no "before"


def _tables():
    import answers_lesson01
    import answers_lesson02
    return (answers_lesson01.WRONG + answers_lesson02.WRONG,
            answers_lesson01.RIGHT + answers_lesson02.RIGHT)


def tally_now() -> dict:
    from test_hints import answer_of

    from minikeras import grading
    wrong, right = _tables()
    out, rows = {}, []
    for exercise, what, code, hint in wrong:
        result = grading.run(exercise, answer_of(exercise, code))
        named = not result.passed and hint in result.message
        for key in (exercise.split(".")[0], exercise.split(".")[0] + " without extensions"):
            if key.endswith("extensions") and exercise in EXTENSIONS:
                continue
            total, good = out.get(key, (0, 0))
            out[key] = (total + 1, good + named)
        rows.append((exercise, what, result.message.splitlines()[0].split("yet: ", 1)[-1]))
    cascades = [what for e, what, code, in right if "no cascade" in what
                and not grading.run(e, answer_of(e, code)).passed]
    return {"by_lesson": out, "cascading": cascades, "rows": rows}


def _old_grading(rev: str) -> types.ModuleType:
    source = subprocess.run(["git", "show", f"{rev}:minikeras/grading.py"], cwd=ROOT,
                            capture_output=True, text=True, check=True).stdout
    module = types.ModuleType("old_grading")
    exec(compile(source, "old_grading.py", "exec"), module.__dict__)  # noqa: S102
    return module


def _old_lesson(rev: str, name: str) -> list:
    text = subprocess.run(["git", "show", f"{rev}:lessons/{name}"], cwd=ROOT,
                          capture_output=True, text=True, check=True).stdout
    return json.loads(text)["cells"]


def _old_namespace(cells, old) -> tuple[dict, dict]:
    """Run the old lesson's code (solutions included, checks left out); return the
    namespace and {old exercise id: check cell source}."""
    import matplotlib
    matplotlib.use("Agg")
    sys.modules["old_grading"] = old
    namespace, checks = {"__name__": "__old_lesson__"}, {}
    for cell in cells:
        if cell["cell_type"] != "code":
            continue
        source = "".join(cell["source"]).replace("%matplotlib inline", "")
        source = source.replace("from minikeras.grading import", "from old_grading import")
        if "check" in cell.get("metadata", {}).get("tags", []):
            for exercise in re.findall(r'check_(?:function|true)\("([^"]+)"', source):
                checks.setdefault(exercise, source)
            continue
        with contextlib.redirect_stdout(io.StringIO()):
            exec(compile(source, "<old lesson>", "exec"), namespace)  # noqa: S102
        import matplotlib.pyplot as plt
        plt.close("all")
    return namespace, checks


def _run_old(namespace, check_source, code) -> tuple[bool, str]:
    scope = dict(namespace)
    exec(compile(textwrap.dedent(code), "<answer>", "exec"), scope)  # noqa: S102
    printed = io.StringIO()
    try:
        with contextlib.redirect_stdout(printed):
            exec(compile(check_source, "<old check>", "exec"), scope)  # noqa: S102
    except Exception as e:  # noqa: BLE001  (the old check's verdict)
        return False, str(e)
    return True, printed.getvalue()


def tally_before(rev: str) -> dict:
    old = _old_grading(rev)
    wrong, right = _tables()
    lessons = {"1": "01_tensors.ipynb", "2": "02_batches.ipynb"}
    prepared = {k: _old_namespace(_old_lesson(rev, v), old) for k, v in lessons.items()}
    out, passed_wrong, verdicts = {}, [], {}
    for exercise, what, code, _ in wrong:
        lesson = exercise.split(".")[0]
        namespace, checks = prepared[lesson]
        old_id = NEW_TO_OLD.get(exercise, exercise)
        if old_id not in checks:
            continue                                   # a new exercise (the extensions)
        ok, message = _run_old(namespace, checks[old_id], code)
        problem = message.split(": ", 2)[-1] if "not right yet" in message else message
        named = not ok and (not GENERIC.search(problem) or "symbolic tensor" in problem)
        if ok:
            passed_wrong.append(f"{exercise} {what}")
        verdicts[(exercise, what)] = "passed!" if ok else ("named" if named else "generic")
        total, good = out.get(lesson, (0, 0))
        out[lesson] = (total + 1, good + named)
    cascades = []
    for exercise, what, code in right:
        if "no cascade" in what:
            namespace, checks = prepared[exercise.split(".")[0]]
            ok, _ = _run_old(namespace, checks[NEW_TO_OLD.get(exercise, exercise)], code)
            if not ok:
                cascades.append(what)
    return {"by_lesson": out, "wrong_answers_that_passed": passed_wrong, "cascading": cascades,
            "verdicts": verdicts}


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", metavar="REV")
    parser.add_argument("--table", action="store_true",
                        help="print every wrong answer with the hint it gets (markdown)")
    args = parser.parse_args(argv)
    if importlib.util.find_spec("minikeras") is None:
        print("run with the project's environment: .venv/bin/python tools/hint_tally.py")
        return 2
    now = tally_now()
    for lesson, (total, good) in sorted(now["by_lesson"].items()):
        print(f"now:    lesson {lesson}: {good} of {total} wrong answers get a hint naming the "
              "mistake")
    print(f"now:    right answers failing because an earlier exercise was wrong: "
          f"{len(now['cascading'])}")
    before = tally_before(args.before) if args.before else None
    if before:
        for lesson, (total, good) in sorted(before["by_lesson"].items()):
            print(f"before: lesson {lesson}: {good} of {total} (the same answers, minus the new "
                  "exercises) get a hint naming the mistake")
        print(f"before: wrong answers that passed: {len(before['wrong_answers_that_passed'])}: "
              + "; ".join(before["wrong_answers_that_passed"]))
        print(f"before: right answers failing because an earlier exercise was wrong: "
              f"{len(before['cascading'])}")
    if args.table:
        verdicts = before["verdicts"] if before else {}
        print("\n| exercise | wrong answer | hint now | before |\n|---|---|---|---|")
        for exercise, what, hint in now["rows"]:
            before = verdicts.get((exercise, what), "new exercise")
            print(f"| {exercise} | {what} | {hint.replace('|', '/')} | {before} |")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
