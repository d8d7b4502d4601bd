"""Each Numba CPU kernel against its NumPy reference, at a training-batch size and a big one.

This is the measurement behind which generic kernels ``devices/cpu.py`` dispatches (KERNELS):
on these machines NumPy's own vectorised transcendental loops beat Numba's per-element
libm calls, while Numba wins where it saves passes (bias add, batch-axis sums, softmax).

    .venv/bin/python benchmarks/kernels_vs_numpy.py
"""
from __future__ import annotations

import time

import numpy as np

from minikeras import kernels
from minikeras.devices.reference import KERNELS as REF

kernels.table("cpu")  # sets Numba up exactly as training does (threading layer included)
from minikeras.devices import cpu


def best(fn, *args, repeats=20, **kw):
    fn(*args, **kw)
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn(*args, **kw)
        times.append(time.perf_counter() - t)
    return min(times)


def main():
    rng = np.random.default_rng(0)
    cpu.PARALLEL_MIN_SIZE = 0  # measure the Numba loops themselves at every size
    print(f"{'kernel':14}{'shape':>14}{'numba ms':>10}{'numpy ms':>10}{'numpy/numba':>13}"
          f"{'dispatched':>12}")
    for shape in [(200, 500), (2000, 1000)]:
        x = rng.normal(size=shape).astype(np.float32)
        bias = rng.normal(size=shape[1:]).astype(np.float32)
        cases = {name: (x,) for name in ("tanh", "exp", "sigmoid", "relu", "softplus")}
        cases.update({"elu": (x, 1.0), "add (bias)": (x, bias), "multiply": (x, x),
                      "sum axis 0": (x, (0,), False), "softmax": (x, 1)})
        for label, args in cases.items():
            name = label.split(" ")[0]
            t_numba = best(cpu.GENERIC[name], *args)
            t_numpy = best(REF[name], *args)
            print(f"{label:14}{shape!s:>14}{t_numba * 1e3:10.3f}{t_numpy * 1e3:10.3f}"
                  f"{t_numpy / t_numba:13.2f}{'yes' if name in cpu.KERNELS else 'no':>12}")


if __name__ == "__main__":
    main()
