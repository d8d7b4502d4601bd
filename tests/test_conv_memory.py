"""Training a convnet holds a bounded amount of memory: after the first steps, every step
reuses the buffers of the last (the executor's pool, the im2col scratch) and nothing
accumulates, with fusion on or off, across epochs with a short last batch and
validation. (Before house stage 2, comparisons such as relu's mask leaked one buffer
per step; a convnet's activations made that 10 GB in six epochs of MNIST.)"""
import tracemalloc

import numpy as np
import pytest

import minikeras as mk
from minikeras.layers import Conv2D, Dense, Flatten, MaxPooling2D

MB = 1 << 20


def convnet():
    mk.set_seed(0)
    model = mk.Sequential([Conv2D(8, 3, activation="relu", input_shape=(14, 14, 1)),
                           MaxPooling2D(), Conv2D(16, 3, activation="relu"), MaxPooling2D(),
                           Flatten(), Dense(10, activation="softmax")])
    model.compile(optimizer=mk.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model


def data(n=300):
    rng = np.random.default_rng(0)
    return rng.random((n, 14, 14, 1), dtype=np.float32), rng.integers(0, 10, n)


def _held(fn, *args, **kwargs) -> int:
    """Bytes still allocated (by NumPy and Python) after ``fn`` returns."""
    before = tracemalloc.get_traced_memory()[0]
    fn(*args, **kwargs)
    return tracemalloc.get_traced_memory()[0] - before


@pytest.mark.parametrize("fuse", ["1", "0"])
def test_training_steps_hold_no_more_memory_after_the_first(fuse, monkeypatch):
    monkeypatch.setenv("MINIKERAS_FUSE", fuse)
    model = convnet()
    x, y = data(64)
    tracemalloc.start()
    try:
        for _ in range(3):  # the pool and the scratch buffers fill up
            model.train_on_batch(x, y)
        grown = _held(lambda: [model.train_on_batch(x, y) for _ in range(30)])
    finally:
        tracemalloc.stop()
    # one batch's activations are ~1.7 MB (64 x 12 x 12 x 8 floats, ...): 30 more steps
    # must not add even one of them
    assert grown < 0.25 * MB, f"30 training steps kept {grown / MB:.2f} MB more"


def test_epochs_with_a_short_last_batch_and_validation_stay_bounded():
    model = convnet()
    x, y = data(300)  # batches of 64: the last one has 44 samples
    tracemalloc.start()
    try:
        fit = {"batch_size": 64, "epochs": 1, "verbose": 0,
               "validation_data": (x[:100], y[:100])}
        model.fit(x, y, **fit)
        model.fit(x, y, **fit)  # both batch shapes and the validation function exist now
        grown = _held(lambda: [model.fit(x, y, **fit) for _ in range(3)])
    finally:
        tracemalloc.stop()
    assert grown < 0.5 * MB, f"3 more epochs kept {grown / MB:.2f} MB more"
