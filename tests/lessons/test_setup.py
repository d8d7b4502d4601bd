"""A learner's install is lean: dev.py lessons installs minikeras and JupyterLab only."""
import importlib.util
from pathlib import Path

import tomllib

ROOT = Path(__file__).resolve().parents[2]
TEST_ONLY = {"pytest", "nbval", "hypothesis", "ruff", "numba-cuda", "keras", "torch"}


def _dev():
    spec = importlib.util.spec_from_file_location("dev", ROOT / "dev.py")
    dev = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(dev)
    return dev


def _names(requirements):
    return {r.split(">")[0].split("=")[0].split("[")[0].split("<")[0].strip() for r in requirements}


def test_the_learner_extras_hold_no_test_or_cuda_packages():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    extras = project["optional-dependencies"]
    dev = _dev()
    learner = _names(project["dependencies"])
    for extra in dev.LEARNER_EXTRAS:
        learner |= _names(extras[extra])
    assert not learner & TEST_ONLY, learner & TEST_ONLY
    assert {"jupyterlab", "ipykernel", "nbclient"} <= learner
    assert set(dev.TEST_EXTRAS) >= {"dev", "cuda"} | set(dev.LEARNER_EXTRAS)
    assert isinstance(project["license"], str)   # an SPDX string: no deprecation warning


def test_dev_lessons_installs_the_learner_extras_and_makes_the_workspace(monkeypatch):
    dev = _dev()
    calls = []
    monkeypatch.setattr(dev, "ensure_installed", lambda extras=None: calls.append(extras))
    monkeypatch.setattr(dev, "_tool", lambda *args, env=None: calls.append(args) or 0)
    assert dev.main(["lessons", "--headless"]) == 0
    assert calls == [dev.LEARNER_EXTRAS, ("workspace",), ("run",)]
    calls.clear()
    assert dev.main(["lessons", "--reset", "01"]) == 0
    assert calls == [dev.LEARNER_EXTRAS, ("workspace", "--reset", "01")]
    calls.clear()
    dev.main(["grade", "a.ipynb"])
    assert calls == [dev.LEARNER_EXTRAS, ("grade", "a.ipynb")]
