"""Lesson 05 ends by handing its trained model over to real Keras 3. This runs the lesson's
own cells that load the data, build, train and save the model (the code cells tagged
``handover`` in ``lessons/05_mnist.ipynb``, in order), then opens the file in Keras and
compares: predictions, weights, the optimizer's state and its step count.
"""
import json
import warnings
from pathlib import Path

import keras
import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
LESSON = ROOT / "lessons" / "05_mnist.ipynb"


def handover_cells() -> list[str]:
    cells = json.loads(LESSON.read_text())["cells"]
    sources = ["".join(c["source"]) for c in cells
               if c["cell_type"] == "code" and "handover" in c["metadata"].get("tags", [])]
    # IPython's magics (%matplotlib inline) are not Python
    return ["\n".join(line for line in s.splitlines() if not line.lstrip().startswith("%"))
            for s in sources]


@pytest.fixture(scope="module")
def lesson(tmp_path_factory):
    """The namespace of the lesson after its handover cells ran (in a fresh folder)."""
    import matplotlib
    matplotlib.use("Agg")
    folder = tmp_path_factory.mktemp("lesson05")
    namespace = {"__name__": "__lesson05__"}
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(folder)
        for source in handover_cells():
            exec(compile(source, str(LESSON), "exec"), namespace)  # noqa: S102 (the lesson's own code)
    return namespace


def test_the_lesson_has_handover_cells_that_save_a_model():
    sources = handover_cells()
    assert len(sources) >= 5
    assert any(".save(path)" in s for s in sources)


def test_the_lessons_model_opens_in_keras_with_the_same_predictions(lesson):
    path = lesson["path"]
    assert path.exists() and path.suffix == ".keras"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        theirs = keras.saving.load_model(path)
    # Keras 3 reads the optimizer config and drops Keras 2's `decay`, saying so
    assert any("decay" in str(w.message) for w in caught)
    digits = np.load(path.with_suffix(".digits.npy"))
    ours = np.load(path.with_suffix(".predictions.npy"))
    np.testing.assert_allclose(theirs.predict(digits, verbose=0), ours, atol=1e-5)
    x = lesson["X_scaled_test"]
    np.testing.assert_allclose(theirs.predict(x, verbose=0),
                               lesson["fixed"].predict(x, verbose=0), atol=1e-5)
    assert [layer.name for layer in theirs.layers] == [layer.name for layer in lesson["fixed"].layers]
    for a, b in zip(theirs.get_weights(), lesson["fixed"].get_weights()):
        np.testing.assert_array_equal(a, b)


def test_keras_resumes_with_the_lessons_optimizer_state(lesson):
    theirs = keras.saving.load_model(lesson["path"])
    steps = int(keras.ops.convert_to_numpy(theirs.optimizer.iterations))
    assert steps == int(lesson["K"].get_value(lesson["fixed"].optimizer.iterations)) > 0
    assert type(theirs.optimizer).__name__ == "SGD"
    config = theirs.optimizer.get_config()
    assert config["momentum"] == pytest.approx(0.9) and config["nesterov"] is True
    velocities = [keras.ops.convert_to_numpy(v) for v in theirs.optimizer.variables
                  if "momentum" in v.path]
    assert velocities and all(np.any(v) for v in velocities)   # the state arrived, not zeros
