"""The learner's workspace: student copies of the lessons, made once, never overwritten.

``sync`` writes the student copy of every lesson that is not there yet. A copy the learner
has not touched (its bytes are still what ``sync`` wrote) follows updates of the source
lesson; a copy the learner has edited is never overwritten. ``reset`` starts one lesson
again, keeping the old copy in ``.backups/``. The state (what was written, when) is kept in
``.minikeras-workspace.json`` inside the workspace.
"""
from __future__ import annotations

import json
import os
import time
from pathlib import Path

from .notebooks import LESSONS, ROOT, lesson_paths, sha256, student_text

DEFAULT = ROOT / "my-lessons"
STATE = ".minikeras-workspace.json"


def folder(path: str | Path | None = None) -> Path:
    """The workspace: ``path``, else $MINIKERAS_WORKSPACE, else my-lessons/ in the repo."""
    return Path(path or os.environ.get("MINIKERAS_WORKSPACE") or DEFAULT).expanduser()


def _load(workspace: Path) -> dict:
    state = workspace / STATE
    return json.loads(state.read_text()) if state.exists() else {"written": {}}


def _save(workspace: Path, state: dict) -> None:
    _write_atomic(workspace / STATE, json.dumps(state, indent=1, sort_keys=True) + "\n")


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


def _write_copy(workspace: Path, state: dict, source: Path) -> None:
    text = student_text(source)
    _write_atomic(workspace / source.name, text)
    state["written"][source.name] = sha256(text)


def sync(workspace: Path, lessons: Path = LESSONS) -> list[str]:
    """Bring the workspace up to date without touching the learner's work. Returns notes."""
    workspace.mkdir(parents=True, exist_ok=True)
    state, notes = _load(workspace), []
    for source in lesson_paths(lessons):
        target = workspace / source.name
        fresh = sha256(student_text(source))
        written = state["written"].get(source.name)
        if not target.exists():
            _write_copy(workspace, state, source)
            notes.append(f"new: {target.name}")
        elif written == sha256(target.read_bytes()):
            if written != fresh:  # untouched by the learner, and the lesson changed
                _write_copy(workspace, state, source)
                notes.append(f"updated (you had not edited it): {target.name}")
        elif written is not None and written != fresh:
            notes.append(f"kept your {target.name}; the lesson has changed since. To start it "
                         f"again: python3 dev.py lessons --reset {source.name[:2]}")
    _save(workspace, state)
    return notes


def reset(workspace: Path, lesson: str, lessons: Path = LESSONS) -> Path:
    """A fresh student copy of one lesson ("01" or "01_tensors"); the old one is backed up."""
    matches = [p for p in lesson_paths(lessons) if p.stem == lesson or p.name[:2] == lesson]
    if len(matches) != 1:
        names = ", ".join(p.stem for p in lesson_paths(lessons))
        raise ValueError(f"no single lesson matches {lesson!r}; the lessons are {names}")
    source = matches[0]
    workspace.mkdir(parents=True, exist_ok=True)
    target = workspace / source.name
    if target.exists():
        backups = workspace / ".backups"
        backups.mkdir(exist_ok=True)
        stamp, n = time.strftime("%Y%m%d-%H%M%S"), 0
        while (backup := backups / f"{source.stem}.{stamp}{f'-{n}' if n else ''}.ipynb").exists():
            n += 1
        os.replace(target, backup)
    state = _load(workspace)
    _write_copy(workspace, state, source)
    _save(workspace, state)
    return target
