"""The learner's workspace: made once, never overwritten once edited, one lesson reset."""
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from lessonkit import workspace
from lessonkit.notebooks import lesson_paths, student_text

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def lessons(tmp_path):
    """A copy of the real lessons, so that a test can 'update' one."""
    folder = tmp_path / "lessons"
    folder.mkdir()
    for path in lesson_paths():
        shutil.copy(path, folder / path.name)
    return folder


def _update(lesson: Path):
    """The teacher changes a lesson (a sentence in its first cell)."""
    nb = nbformat.read(lesson, as_version=4)
    nb.cells[0].source += "\n\n(updated)"
    nbformat.write(nb, lesson)


def _edit(copy: Path):
    """The learner writes something in their copy."""
    nb = nbformat.read(copy, as_version=4)
    nb.cells.append(nbformat.v4.new_markdown_cell("my notes"))
    nbformat.write(nb, copy)


def test_sync_writes_student_copies_once(lessons, tmp_path):
    ws = tmp_path / "ws"
    notes = workspace.sync(ws, lessons)
    names = sorted(p.name for p in lesson_paths(lessons))
    assert sorted(p.name for p in ws.glob("*.ipynb")) == names
    assert len(notes) == len(names) and all(n.startswith("new:") for n in notes)
    for path in lesson_paths(lessons):
        assert (ws / path.name).read_text() == student_text(path)
    stamps = {p.name: p.stat().st_mtime_ns for p in ws.glob("*.ipynb")}
    assert workspace.sync(ws, lessons) == []                       # nothing to do
    assert stamps == {p.name: p.stat().st_mtime_ns for p in ws.glob("*.ipynb")}


def test_an_edited_copy_is_never_overwritten(lessons, tmp_path):
    ws = tmp_path / "ws"
    workspace.sync(ws, lessons)
    first = lesson_paths(lessons)[0]
    _edit(ws / first.name)
    mine = (ws / first.name).read_text()
    _update(first)
    notes = workspace.sync(ws, lessons)
    assert (ws / first.name).read_text() == mine
    assert any("kept your" in n and "--reset" in n for n in notes)
    assert workspace.sync(ws, lessons) == notes                   # still kept, still said


def test_an_untouched_copy_follows_the_lesson(lessons, tmp_path):
    ws = tmp_path / "ws"
    workspace.sync(ws, lessons)
    first = lesson_paths(lessons)[0]
    _update(first)
    notes = workspace.sync(ws, lessons)
    assert any(n.startswith("updated") for n in notes)
    assert (ws / first.name).read_text() == student_text(first)


def test_a_deleted_copy_comes_back(lessons, tmp_path):
    ws = tmp_path / "ws"
    workspace.sync(ws, lessons)
    first = lesson_paths(lessons)[0]
    (ws / first.name).unlink()
    assert workspace.sync(ws, lessons) == [f"new: {first.name}"]


def test_reset_starts_one_lesson_again_and_keeps_a_backup(lessons, tmp_path):
    ws = tmp_path / "ws"
    workspace.sync(ws, lessons)
    first, second = lesson_paths(lessons)[:2]
    _edit(ws / first.name)
    _edit(ws / second.name)
    mine_first, mine_second = (ws / first.name).read_text(), (ws / second.name).read_text()
    target = workspace.reset(ws, first.name[:2], lessons)
    assert target == ws / first.name and target.read_text() == student_text(first)
    backups = list((ws / ".backups").glob(f"{first.stem}.*.ipynb"))
    assert len(backups) == 1 and backups[0].read_text() == mine_first
    assert (ws / second.name).read_text() == mine_second            # the other one untouched
    workspace.reset(ws, first.stem, lessons)                         # by full name, twice
    assert len(list((ws / ".backups").glob(f"{first.stem}.*.ipynb"))) == 2
    assert workspace.sync(ws, lessons) == []                         # the fresh copy is known
    with pytest.raises(ValueError, match="no single lesson"):
        workspace.reset(ws, "99", lessons)


def test_workspace_folder_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("MINIKERAS_WORKSPACE", str(tmp_path / "elsewhere"))
    assert workspace.folder() == tmp_path / "elsewhere"
    assert workspace.folder(tmp_path / "given") == tmp_path / "given"
    monkeypatch.delenv("MINIKERAS_WORKSPACE")
    assert workspace.folder() == workspace.DEFAULT


def test_command_line(tmp_path):
    tool = [sys.executable, str(ROOT / "tools" / "lessons.py"), "workspace", "--dir",
            str(tmp_path / "ws")]
    first = subprocess.run(tool, capture_output=True, text=True, cwd=ROOT)
    assert first.returncode == 0 and "new:" in first.stdout
    reset = subprocess.run([*tool, "--reset", "01"], capture_output=True, text=True, cwd=ROOT)
    assert reset.returncode == 0 and "started" in reset.stdout
    bad = subprocess.run([*tool, "--reset", "99"], capture_output=True, text=True, cwd=ROOT)
    assert bad.returncode == 2
