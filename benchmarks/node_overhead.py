"""Per-node execution overhead of a compiled function.

A chain of 1,000 small elementwise ops on a 4-element vector is compiled once with
K.function and called many times. The same chain written as plain NumPy calls runs
side by side in the same process; the difference is what the graph executor adds per node.
Both wall time and CPU time (``time.process_time``) are measured, best of 7 rounds; on a
busy machine the CPU time is the steadier of the two.

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


def best_of(fn, clock, repeats=REPEATS, rounds=7):
    best = float("inf")
    for _ in range(rounds):
        t = clock()
        for _ in range(repeats):
            fn()
        best = min(best, (clock() - t) / repeats)
    return best


def main():
    x = K.placeholder(shape=(4,), name="x")
    t = time.perf_counter()
    f = K.function([x], [build_chain(x)])
    compile_s = time.perf_counter() - t
    data = np.arange(4, dtype="float32")
    np.testing.assert_allclose(f([data])[0], numpy_chain(data), rtol=1e-5)
    n_nodes = len(f.steps)
    print(f"chain of {n_nodes} op nodes on a (4,) float32 vector; build + compile: "
          f"{compile_s * 1e3:.1f} ms")
    print(f"{'':10}{'minikeras':>12}{'plain NumPy':>14}{'overhead':>12}   (us per node)")
    for label, clock in (("wall", time.perf_counter), ("CPU", time.process_time)):
        ours = best_of(lambda: f([data]), clock)
        plain = best_of(lambda: numpy_chain(data), clock)
        print(f"{label:10}{ours * 1e6 / n_nodes:12.2f}{plain * 1e6 / n_nodes:14.2f}"
              f"{(ours - plain) * 1e6 / n_nodes:12.2f}   (ratio {ours / plain:.2f}x NumPy)")


if __name__ == "__main__":
    main()
