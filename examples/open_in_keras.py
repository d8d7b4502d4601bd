"""Graduation: train in minikeras, save, and open the same model in real Keras 3.

minikeras writes the ``.keras`` format Keras 3 writes (config.json with Keras's class
names, model.weights.h5 with Keras's weight paths, the optimizer's state), so Keras 3.0
or newer, on TensorFlow, JAX or PyTorch, opens it unchanged: same predictions, and
training continues where minikeras stopped.

    .venv/bin/python examples/open_in_keras.py [OUTPUT.keras]
    .venv/bin/python examples/open_in_keras.py --open MODEL.keras

The first form trains a small MNIST MLP for one epoch on 6,000 digits, saves it, and
opens it in Keras. The second opens a model you saved yourself (lesson 05 does), next to
which you saved a few inputs and minikeras's predictions for them as
``MODEL.digits.npy`` and ``MODEL.predictions.npy``. Keras runs from the Keras
environment of the tests (``.venv-keras/``, made by ``python3 dev.py test``) when it is
there; otherwise the script prints the lines to run in any Python with Keras 3
(``pip install keras torch``).
"""
import os
import subprocess
import sys
from pathlib import Path

import numpy as np

import minikeras as keras
from minikeras.layers import Dense, Dropout

ROOT = Path(__file__).resolve().parents[1]
KERAS_PY = ROOT / ".venv-keras" / ("Scripts" if os.name == "nt" else "bin") / "python"


def train_and_save(path: Path) -> None:
    keras.set_seed(0)
    (x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
    x_train = x_train[:6000].reshape(-1, 784).astype("float32") / 255
    x_test = x_test[:1000].reshape(-1, 784).astype("float32") / 255
    y_train = keras.utils.to_categorical(y_train[:6000], 10)
    y_test = keras.utils.to_categorical(y_test[:1000], 10)
    model = keras.Sequential([Dense(128, activation="relu", input_shape=(784,)),
                              Dropout(0.2), Dense(10, activation="softmax")])
    model.compile(loss="categorical_crossentropy", optimizer=keras.optimizers.Adam(),
                  metrics=["accuracy"])
    model.fit(x_train, y_train, batch_size=128, epochs=1, verbose=2)
    _, accuracy = model.evaluate(x_test, y_test, verbose=0)
    print(f"minikeras: test accuracy {accuracy:.4f}")
    model.save(path)
    np.save(path.with_suffix(".digits.npy"), x_test[:5])
    np.save(path.with_suffix(".predictions.npy"), model.predict(x_test[:5], verbose=0))
    print(f"saved {path}")


def in_keras(path: Path) -> str:
    """The Python that opens ``path`` in Keras and compares with minikeras's predictions."""
    return f"""
import numpy as np, keras
model = keras.saving.load_model({str(path)!r})
model.summary()
digits = np.load({str(path.with_suffix('.digits.npy'))!r})
ours = np.load({str(path.with_suffix('.predictions.npy'))!r})
theirs = model.predict(digits, verbose=0)
print("Keras", keras.__version__, "on", keras.backend.backend(), "opened it;",
      "optimizer steps so far:", int(keras.ops.convert_to_numpy(model.optimizer.iterations)))
print("largest difference from minikeras's predictions:", float(np.abs(theirs - ours).max()))
print("predicted digits:", theirs.argmax(axis=1).tolist())
"""


def open_in_keras(path: Path) -> None:
    code = in_keras(path)
    if KERAS_PY.exists():
        print(f"\nopening it in Keras ({KERAS_PY.relative_to(ROOT)}):", flush=True)
        subprocess.run([str(KERAS_PY), "-c", code], check=True,
                       env=dict(os.environ, KERAS_BACKEND=os.environ.get("KERAS_BACKEND",
                                                                         "torch")))
    else:
        print("\nTo open it in Keras 3 (pip install keras torch), run in Python:")
        print(code)


if __name__ == "__main__":
    args = sys.argv[1:]
    if args[:1] == ["--open"]:
        if len(args) != 2:
            sys.exit("usage: open_in_keras.py --open MODEL.keras")
        target = Path(args[1]).resolve()
        for needed in (target, target.with_suffix(".digits.npy"),
                       target.with_suffix(".predictions.npy")):
            if not needed.exists():
                sys.exit(f"{needed} is missing (save the model, a few inputs and minikeras's "
                         f"predictions for them first)")
    else:
        target = Path(args[0] if args else "mnist_mlp.keras").resolve()
        train_and_save(target)
    open_in_keras(target)
