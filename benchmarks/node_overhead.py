"""Per-node execution overhead of a compiled function.

A chain of 1,000 small elementwise ops on a 4-element vector is compiled once with
K.function and called many times. The same chain written as plain NumPy calls runs
side by side in the same process; the difference is what the graph executor adds per node.

    .venv/bin/python benchmarks/node_overhead.py
"""
from __future__ import annotations

import time

import numpy as np

import minikeras as mk

K = mk.backend
N_NODES = 1000
REPEATS = 200


def build_chain(x):
    y = x
    for i in range(N_NODES):
        y = y * 1.0001 if i % 2 else y + 0.5
    return y


def numpy_chain(x):
    a, b = np.float32(1.0001), np.float32(0.5)
    y = x
    for i in range(N_NODES):
        y = np.multiply(y, a) if i % 2 else np.add(y, b)
    return y


def best_of(fn, repeats=REPEATS, rounds=5):
    best = float("inf")
    for _ in range(rounds):
        t = time.perf_counter()
        for _ in range(repeats):
            fn()
        best = min(best, (time.perf_counter() - t) / repeats)
    return best


def main():
    x = K.placeholder(shape=(4,), name="x")
    t = time.perf_counter()
    f = K.function([x], [build_chain(x)])
    compile_s = time.perf_counter() - t
    data = np.arange(4, dtype="float32")
    np.testing.assert_allclose(f([data])[0], numpy_chain(data), rtol=1e-5)
    ours = best_of(lambda: f([data]))
    plain = best_of(lambda: numpy_chain(data))
    n_nodes = len(f.steps)
    print(f"chain of {n_nodes} op nodes on a (4,) float32 vector")
    print(f"  build + compile: {compile_s * 1e3:.1f} ms")
    print(f"  minikeras call:  {ours * 1e6 / n_nodes:.2f} us/node")
    print(f"  plain NumPy:     {plain * 1e6 / n_nodes:.2f} us/op")
    print(f"  overhead:        {(ours - plain) * 1e6 / n_nodes:.2f} us/node "
          f"(ratio {ours / plain:.2f}x NumPy)")


if __name__ == "__main__":
    main()
