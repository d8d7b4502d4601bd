"""A small convnet on MNIST: past 99 % test accuracy in a few epochs.

Conv2D 32 (3x3, relu) -> MaxPooling 2x2 -> Conv2D 64 (3x3, relu) -> MaxPooling 2x2 ->
Flatten -> Dense 128 (relu) -> Dense 10 (softmax), Adam, batch 128, pixels / 255.

The images are (28, 28, 1) with ``--data-format channels_last`` (TensorFlow's 'tf'
ordering, the default) or (1, 28, 28) with ``channels_first`` (Theano's 'th'): the same
network either way; only where the channels axis sits changes.

    .venv/bin/python examples/mnist_cnn.py [--data-format channels_first] [--epochs 6]
"""
import argparse
import time

import numpy as np

import minikeras as keras
from minikeras.layers import Conv2D, Dense, Flatten, MaxPooling2D

parser = argparse.ArgumentParser()
parser.add_argument("--data-format", default="channels_last",
                    choices=["channels_last", "channels_first", "tf", "th"])
parser.add_argument("--epochs", type=int, default=6)
args = parser.parse_args()
keras.backend.set_image_data_format(args.data_format)  # the layers below follow it
data_format = keras.backend.image_data_format()

keras.set_seed(0)
(x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
x_train = x_train.astype("float32") / 255
x_test = x_test.astype("float32") / 255
channel_axis = 1 if data_format == "channels_first" else -1
x_train = np.expand_dims(x_train, channel_axis)   # (60000, 28, 28, 1) or (60000, 1, 28, 28)
x_test = np.expand_dims(x_test, channel_axis)

model = keras.Sequential([
    Conv2D(32, (3, 3), activation="relu", input_shape=x_train.shape[1:]),
    MaxPooling2D((2, 2)),
    Conv2D(64, (3, 3), activation="relu"),
    MaxPooling2D((2, 2)),
    Flatten(),
    Dense(128, activation="relu"),
    Dense(10, activation="softmax"),
])
model.summary()
model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy",
              metrics=["accuracy"])
start = time.perf_counter()
history = model.fit(x_train, y_train, batch_size=128, epochs=args.epochs, verbose=2,
                    validation_data=(x_test, y_test))
seconds = time.perf_counter() - start
loss, accuracy = model.evaluate(x_test, y_test, verbose=0)
print(f"data format: {data_format}")
print(f"Test loss: {loss:.4f}")
print(f"Test accuracy: {accuracy:.4f}")
print(f"Training time: {seconds:.1f} s for {args.epochs} epochs "
      f"({seconds / args.epochs:.1f} s per epoch, validation included)")
