"""Peak memory of one training epoch of the seed MLP, against what it must hold.

What training needs at least: the data (60,000 x 784 float32 pixels and the one-hot
labels), the parameters with their optimizer slots, and one batch's activations and
gradients. The target (issue 17) is a peak of at most 1.2x that. Measured with tracemalloc, which
sees every NumPy allocation.

    .venv/bin/python benchmarks/memory_peak.py
"""
from __future__ import annotations

import tracemalloc

import numpy as np

import minikeras as mk
from minikeras.datasets import mnist
from minikeras.layers import Activation, Dense, Dropout

MB = 1 << 20


def main():
    tracemalloc.start()
    (x, y), _ = mnist.load_data()
    x = (x.reshape(len(x), 784) / 255.0).astype(np.float32)
    y = np.eye(10, dtype=np.float32)[y]
    data = x.nbytes + y.nbytes
    mk.set_seed(0)
    model = mk.Sequential([Dense(500, input_shape=(784,)), Activation("tanh"), Dropout(0.5),
                           Dense(500), Activation("tanh"), Dropout(0.5), Dense(10),
                           Activation("softmax")])
    model.compile(loss="categorical_crossentropy",
                  optimizer=mk.optimizers.SGD(0.01, momentum=0.9, nesterov=True))
    params = sum(w.value.nbytes for w in model.weights) * 2  # weights + momentum slots
    batch = 200
    # per sample: input 784, two hidden layers (pre-activation, activation, mask, dropped)
    # and their gradients, 10 outputs: a generous count of one batch's arrays
    activations = batch * 4 * (784 + 2 * 500 * 8 + 10 * 4)
    needed = data + params + activations
    print(f"data {data / MB:.1f} MB, parameters + slots {params / MB:.1f} MB, one batch's "
          f"activations {activations / MB:.1f} MB: needed {needed / MB:.1f} MB")
    # the first epoch also imports Numba and loads (or compiles) its kernels: Python
    # objects that tracemalloc counts too; the second is what every later epoch costs
    for label in ("first epoch (Numba imported and loaded in it)", "second epoch"):
        tracemalloc.reset_peak()
        before, _ = tracemalloc.get_traced_memory()
        model.fit(x, y, batch_size=batch, epochs=1, verbose=0)
        _, peak = tracemalloc.get_traced_memory()
        extra = peak - before
        print(f"{label}: allocated during fit, at the peak: {extra / MB:.1f} MB on top of "
              f"the {before / MB:.1f} MB already held; peak / needed = "
              f"{(before + extra) / needed:.2f} (target <= 1.2)")


if __name__ == "__main__":
    main()
