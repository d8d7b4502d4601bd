"""MNIST digits, read row by row by an LSTM: each image is a sequence of 28 rows.

An LSTM(128) reads the 28 rows of 28 pixels one after the other; its last output goes to
a Dense softmax over the 10 classes. Adam(1e-3), batch 64.

    .venv/bin/python examples/mnist_lstm.py            # EPOCHS=8 by default
"""
import os
import time

import minikeras as keras
from minikeras import layers
from minikeras.datasets import mnist

EPOCHS = int(os.environ.get("EPOCHS", "8"))


def main():
    keras.set_seed(0)
    (x_train, y_train), (x_test, y_test) = mnist.load_data()
    x_train, x_test = (x_train / 255.0).astype("float32"), (x_test / 255.0).astype("float32")
    model = keras.Sequential([
        layers.Input(shape=(28, 28)),
        layers.LSTM(128),
        layers.Dense(10, activation="softmax"),
    ])
    model.compile(loss="sparse_categorical_crossentropy",
                  optimizer=keras.optimizers.Adam(1e-3), metrics=["accuracy"])
    start = time.perf_counter()
    model.fit(x_train, y_train, batch_size=64, epochs=EPOCHS, verbose=2,
              validation_data=(x_test, y_test))
    seconds = time.perf_counter() - start
    loss, accuracy = model.evaluate(x_test, y_test, batch_size=256, verbose=0)
    print(f"test accuracy {accuracy:.4f} (loss {loss:.4f}) after {EPOCHS} epochs in "
          f"{seconds:.0f} s")


if __name__ == "__main__":
    main()
