"""Graduation: train in minikeras, save, and open the same model in real Keras 3.

minikeras writes the ``.keras`` format Keras 3 writes (config.json with Keras's class
names, model.weights.h5 with Keras's weight paths, the optimizer's state), so Keras 3.0
or newer, on TensorFlow, JAX or PyTorch, opens it unchanged: same predictions, and
training continues where minikeras stopped.

    .venv/bin/python examples/open_in_keras.py [OUTPUT.keras]

It trains a small MNIST MLP for one epoch on 6,000 digits, saves it, and then, if the
Keras environment of the tests (``.venv-keras/``, made by ``python3 dev.py test``) is
there, opens the file in Keras and compares; otherwise it prints the lines to run in
any Python with Keras 3 installed (``pip install keras torch``).
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
path = Path(sys.argv[1] if len(sys.argv) > 1 else "mnist_mlp.keras").resolve()

keras.set_seed(0)
(x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
x_train = x_train[:6000].reshape(-1, 784).astype("float32") / 255
x_test = x_test[:1000].reshape(-1, 784).astype("float32") / 255
y_train = keras.utils.to_categorical(y_train[:6000], 10)
y_test = keras.utils.to_categorical(y_test[:1000], 10)

model = keras.Sequential([Dense(128, activation="relu", input_shape=(784,)), Dropout(0.2),
                          Dense(10, activation="softmax")])
model.compile(loss="categorical_crossentropy", optimizer=keras.optimizers.Adam(),
              metrics=["accuracy"])
model.fit(x_train, y_train, batch_size=128, epochs=1, verbose=2)
loss, accuracy = model.evaluate(x_test, y_test, verbose=0)
print(f"minikeras: test accuracy {accuracy:.4f}")
model.save(path)
np.save(path.with_suffix(".digits.npy"), x_test[:5])
np.save(path.with_suffix(".predictions.npy"), model.predict(x_test[:5], verbose=0))
print(f"saved {path}")

IN_KERAS = f"""
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

if KERAS_PY.exists():
    print(f"\nopening it in Keras ({KERAS_PY.relative_to(ROOT)}):")
    subprocess.run([str(KERAS_PY), "-c", IN_KERAS], check=True,
                   env=dict(os.environ, KERAS_BACKEND=os.environ.get("KERAS_BACKEND",
                                                                     "torch")))
else:
    print("\nTo open it in Keras 3 (pip install keras torch), run in Python:")
    print(IN_KERAS)
