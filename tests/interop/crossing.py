"""What the file tests share: training a few steps, reading optimizer state in Keras's
order, and running a script under Keras 3.0 (``.venv-keras30/``, built by ``dev.py``)."""
import os
import subprocess
from pathlib import Path

import keras
import pytest

ROOT = Path(__file__).resolve().parents[2]
KERAS30_PY = ROOT / ".venv-keras30" / ("Scripts" if os.name == "nt" else "bin") / "python"


def train(model, x, y, steps):
    for _ in range(steps):
        model.train_on_batch(x, y)


def keras_optimizer_state(model):
    return [keras.ops.convert_to_numpy(v) for v in model.optimizer.variables]


def minikeras_optimizer_state(model):
    return [v.numpy() for v in model.optimizer.variables]  # Keras 3's order


def run_keras30(code: str, *args, cwd) -> str:
    """Run ``code`` with Keras 3.0 (on torch) and return what it printed; a failure
    fails the test with Keras's own message."""
    if not KERAS30_PY.exists():
        pytest.fail("Keras 3.0 is not installed: `python3 dev.py test` creates "
                    ".venv-keras30/ for this test")
    run = subprocess.run([str(KERAS30_PY), "-c", code, *map(str, args)],
                         capture_output=True, text=True, cwd=cwd,
                         env=dict(os.environ, KERAS_BACKEND="torch"))
    assert run.returncode == 0, run.stderr[-3000:]
    return run.stdout
