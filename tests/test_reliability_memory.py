"""Memory stays flat: the buffer pool neither leaks nor keeps every shape it ever saw.

Issue 10, items 1-3. The bounds are generous (a leak grows without limit, so it fails
them by far); nothing here measures time.
"""
import os
import sys

import numpy as np
import pytest

import minikeras as mk
from minikeras import kernels
from minikeras.layers import Dense
from minikeras.memory import BufferPool

K = mk.backend

UFUNC_KERNELS = ["add", "subtract", "multiply", "divide", "power", "maximum", "minimum",
                 "greater", "greater_equal", "less", "less_equal", "equal", "not_equal",
                 "logical_and", "logical_or", "negative", "abs", "sign", "exp", "log",
                 "sqrt", "square", "tanh", "logical_not"]
NEEDS_BOOLS = {"logical_and", "logical_or", "logical_not"}


def _rss_mb() -> float:
    """The process's resident memory now (Linux), in MiB."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


needs_proc = pytest.mark.skipif(not sys.platform.startswith("linux"),
                                reason="reads /proc/self/statm")


@pytest.mark.parametrize("table", ["numpy", "cpu"])
@pytest.mark.parametrize("name", UFUNC_KERNELS)
@pytest.mark.parametrize("dtype", ["float32", "float64", "int64"])
def test_elementwise_kernels_write_into_an_out_buffer_that_fits(name, dtype, table,
                                                                monkeypatch):
    """The kernel contract: a kernel that accepts ``out`` uses a buffer of its result's
    shape and dtype (a comparison's result is bool, whatever its inputs are)."""
    monkeypatch.setenv("MINIKERAS_KERNELS", table)
    kernels.reset()
    try:
        kernel = kernels.lookup(name)
        rng = np.random.default_rng(0)
        dtype = "bool" if name in NEEDS_BOOLS else dtype
        a = (rng.uniform(1, 3, (3, 2048)) * 4).astype(dtype)
        b = (rng.uniform(1, 3, (2048,)) * 4).astype(dtype)
        args = (a,) if name in ("negative", "abs", "sign", "exp", "log", "sqrt", "square",
                                "tanh", "logical_not") else (a, b)
        first = kernel(*args)
        buffer = np.empty_like(first)
        again = kernel(*args, out=buffer)
        used_it = again is buffer
        assert used_it, f"{name} refused a {buffer.dtype}{buffer.shape} buffer"
        np.testing.assert_array_equal(again, first)
    finally:
        kernels.reset()


def test_comparison_on_many_elements_does_not_grow_the_pool():
    """relu's backward compares (greater(x, 0)): its bool result must reuse its buffer."""
    x = K.placeholder(shape=(None, 2048))
    f = K.function([x], [K.sum(K.cast(K.greater(x, 0.0), "float32"))])
    data = np.ones((1, 2048), "float32")
    f([data])
    f([data])
    steady = len(f.pool), f.pool.nbytes
    for _ in range(300):
        f([data])
    assert (len(f.pool), f.pool.nbytes) == steady


def _mnist_like(n: int):
    """MNIST-shaped data (28x28 uint8 pixels scaled to [0, 1], 10 one-hot classes)."""
    rng = np.random.default_rng(0)
    x = rng.integers(0, 256, size=(n, 784), dtype=np.uint8).astype("float32") / 255
    y = np.eye(10, dtype="float32")[rng.integers(0, 10, n)]
    return x, y


@needs_proc
def test_pool_and_rss_stay_flat_over_three_epochs_of_a_relu_mlp():
    """The MNIST relu MLP that grew ~70 MB per epoch (one bool buffer per relu per step)."""
    x, y = _mnist_like(20000)
    model = mk.Sequential([Dense(500, activation="relu", input_shape=(784,)),
                           Dense(500, activation="relu"), Dense(10, activation="softmax")])
    model.compile("sgd", "categorical_crossentropy")
    seen = []

    class Probe(mk.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            (train, _), = [v for k, v in model._functions.items() if k[0] == "train"]
            seen.append((len(train.pool), train.pool.nbytes, _rss_mb()))

    model.fit(x, y, batch_size=100, epochs=3, verbose=0, callbacks=[Probe()])
    (n1, bytes1, rss1), _, (n3, bytes3, rss3) = seen
    assert n3 <= n1 + 2 and bytes3 <= bytes1 * 1.05, seen  # leaked 400 buffers an epoch
    assert rss3 - rss1 < 20, seen  # MiB; the leak added 20 MB an epoch here


@needs_proc
def test_pool_and_rss_stay_bounded_over_200_batch_sizes():
    """One free buffer per (shape, dtype) ever seen kept 145 MB for 150 batch sizes."""
    x = K.placeholder(shape=(None, 784))
    w = K.variable(np.full((784, 500), 0.01))
    f = K.function([x], [K.sum(K.relu(K.dot(x, w) + 1.0), axis=1)])
    biggest = np.ones((200, 784), "float32")
    f([biggest])
    f([biggest])
    one_call = f.pool.nbytes  # what a call at the biggest batch size needs
    rss_before = _rss_mb()
    for n in range(1, 201):
        out, = f([np.ones((n, 784), "float32")])
        assert out.shape == (n,)
        assert f.pool.nbytes <= 2.5 * one_call, (n, f.pool.nbytes, one_call)
    assert len(f.pool) <= 10
    assert _rss_mb() - rss_before < 30  # MiB; keeping every size held ~100 MB


def test_pool_keeps_no_more_than_the_last_call_touched():
    pool = BufferPool()
    for n in range(1, 100):      # 99 calls, each with its own size: only the last stays
        pool.give(pool.adopt(np.zeros(1000 + n)))
        pool.end_call()
    assert len(pool) == 1 and pool.nbytes == 8 * 1099


def test_pool_forgets_buffers_a_failed_call_never_gave_back():
    pool = BufferPool()
    pool.adopt(np.zeros(1000))   # taken by a step, then the call raised
    pool.end_call()
    assert pool._in_use == {} and len(pool) == 0


def test_pool_hands_out_the_same_buffer_once():
    pool = BufferPool()
    a = pool.adopt(np.zeros(1000))
    pool.give(a)
    pool.give(a)                 # given twice: still one free buffer
    assert pool.take((1000,), a.dtype) is a
    assert pool.take((1000,), a.dtype) is None
