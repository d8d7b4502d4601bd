"""Serial vs Numba-parallel one-pass kernels, per size, under the library's threading.

The one-pass kernels of the MLP's step (``devices/cpu.py``): an activation's gradient
with the bias gradient (``tanh_grad_scaled_bias``), the dropout mask with its product,
and the SGD momentum step. Each runs as its serial loop and as its ``prange`` twin (both
in ``cpu.py``), at the MLP's shapes (a (200, 500) activation, the 784 x 500 weight) and
bigger ones, best of several rounds, wall and CPU time (a parallel loop's CPU time
counts every thread). The 'workqueue' threading layer is the library's (threads sleep
between kernels, so they do not fight BLAS for the cores);
``cpu.PARALLEL_ONE_PASS_MIN_SIZE`` and ``cpu.GRAD_BIAS_PARALLEL_MIN_SIZE`` come from it.

    .venv/bin/python benchmarks/parallel_vs_serial.py [--rounds 7]
"""
from __future__ import annotations

import argparse
import os
import time

import numpy as np

from minikeras import kernels

kernels.table("cpu")  # sets the threading layer before Numba starts
import numba

from minikeras.devices import cpu, scalar

SHAPES = [(200, 500), (784, 500), (1000, 1000), (1500, 1500), (2000, 2000), (3000, 3000)]


def best(fn, rounds, repeats):
    wall = cpu_time = float("inf")
    for _ in range(rounds):
        w, c = time.perf_counter(), time.process_time()
        for _ in range(repeats):
            fn()
        wall = min(wall, (time.perf_counter() - w) / repeats)
        cpu_time = min(cpu_time, (time.process_time() - c) / repeats)
    return wall, cpu_time


def contenders(shape, rng):
    g, s, y = (rng.normal(size=shape).astype("float32") for _ in range(3))
    out, bias = np.empty(shape, "float32"), np.empty(shape[-1], "float32")
    one, n = np.float32(1), numba.get_num_threads()
    grad = (scalar.TANH_GRAD, True, g, s, y, out, bias, one)
    bits = rng.integers(0, 65536, size=g.size, dtype=np.uint16)
    mask, prod = np.empty(g.size, "float32"), np.empty(g.size, "float32")
    drop = (y.reshape(-1), bits, 32768, np.float32(2.0), mask, prod)
    p, m = g.copy().reshape(-1), s.copy().reshape(-1)
    sgd = (p, m, y.reshape(-1), np.float32(1e-6), np.float32(0.9), True)
    return {
        "activation grad + bias grad": (lambda: cpu._grad_bias(*grad),
                                        lambda: cpu._grad_bias_parallel(*grad, n)),
        "dropout mask + product": (lambda: cpu._dropout_product(*drop),
                                   lambda: cpu._dropout_product_parallel(*drop)),
        "SGD momentum step": (lambda: cpu._sgd_momentum_loop(*sgd),
                              lambda: cpu._sgd_momentum_loop_parallel(*sgd)),
    }


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    print(f"{numba.get_num_threads()} Numba threads, threading layer "
          f"{numba.config.THREADING_LAYER}; load average {os.getloadavg()[0]:.1f} on "
          f"{os.cpu_count()} cores; best of {args.rounds} rounds, microseconds per call")
    print("| kernel | shape | serial wall | parallel wall | serial / parallel (wall) | "
          "serial CPU | parallel CPU |")
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: |")
    for shape in SHAPES:
        repeats = max(3, int(2e7 // (shape[0] * shape[1] * 10)))
        for name, (serial, parallel) in contenders(shape, rng).items():
            serial(), parallel()  # compile (or load from the cache)
            sw, sc = best(serial, args.rounds, repeats)
            pw, pc = best(parallel, args.rounds, repeats)
            print(f"| {name} | {shape[0]} x {shape[1]} | {sw * 1e6:.0f} | {pw * 1e6:.0f} | "
                  f"{sw / pw:.2f} | {sc * 1e6:.0f} | {pc * 1e6:.0f} |", flush=True)


if __name__ == "__main__":
    main()
