"""Memory stays flat: the buffer pool and the process's RSS over many calls.

Two runs that used to grow without bound (issue 10):

1. three epochs of a relu MNIST MLP (784-500-500-10, batch 200): every relu backward
   compared ``greater(x, 0)`` into a fresh bool buffer and kept the old one;
2. one compiled function fed 200 batch sizes, 1 to 200: the pool kept one free buffer
   per (shape, dtype) it had ever seen.

Printed after each epoch and at the end: the pool's free buffers and bytes, and the RSS.

    .venv/bin/python benchmarks/memory_flat.py            # the 60,000 MNIST images
    .venv/bin/python benchmarks/memory_flat.py --samples 20000
"""
from __future__ import annotations

import argparse
import os

import numpy as np

import minikeras as mk
from minikeras.datasets import mnist
from minikeras.layers import Dense

K = mk.backend
MB = 1 << 20


def rss_mb() -> float:
    """Resident memory of this process now (Linux)."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / MB


def three_relu_epochs(samples: int) -> None:
    (x, y), _ = mnist.load_data()
    x = x[:samples].reshape(-1, 784).astype(np.float32) / 255
    y = mk.utils.to_categorical(y[:samples], 10)
    mk.set_seed(0)
    model = mk.Sequential([Dense(500, activation="relu", input_shape=(784,)),
                           Dense(500, activation="relu"), Dense(10, activation="softmax")])
    model.compile("sgd", "categorical_crossentropy")

    class Report(mk.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            (train, _), = [v for k, v in model._functions.items() if k[0] == "train"]
            print(f"  epoch {epoch + 1}: pool {len(train.pool)} free buffers, "
                  f"{train.pool.nbytes / MB:.1f} MB; RSS {rss_mb():.0f} MB", flush=True)

    print(f"relu MLP, {samples} samples, batch 200:")
    model.fit(x, y, batch_size=200, epochs=3, verbose=0, callbacks=[Report()])


def two_hundred_batch_sizes() -> None:
    x = K.placeholder(shape=(None, 784))
    w = K.variable(np.full((784, 500), 0.01))
    f = K.function([x], [K.sum(K.relu(K.dot(x, w) + 1.0), axis=1)])
    before = rss_mb()
    for n in range(1, 201):
        f([np.ones((n, 784), "float32")])
    print(f"one function, batch sizes 1..200: pool {len(f.pool)} free buffers, "
          f"{f.pool.nbytes / MB:.1f} MB; RSS grew {rss_mb() - before:.0f} MB")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=60000)
    args = parser.parse_args()
    three_relu_epochs(args.samples)
    two_hundred_batch_sizes()


if __name__ == "__main__":
    main()
