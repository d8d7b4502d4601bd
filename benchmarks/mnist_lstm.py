"""LSTM(128) on row-wise MNIST, side by side: minikeras vs PyTorch eager ``nn.LSTM`` (CPU).

Each image is a sequence of 28 rows of 28 pixels; an LSTM(128) reads it and a Dense(10)
softmax classifies its last output. Batch 64, Adam(1e-3), categorical crossentropy.
Both contenders train on the same 100 batches per round; rounds are interleaved (A B A B
...) so that both see the same machine state, and the median of the per-round ratios is
reported.

    PYTHONPATH=. .venv-keras/bin/python benchmarks/mnist_lstm.py [--rounds 5] [--profile]
                                                                  [--threads N]

(``.venv-keras`` has PyTorch; ``PYTHONPATH=.`` makes it import this tree's minikeras.)
``--profile`` also prints where minikeras's time goes, per op, for one round.
``--threads N`` gives both contenders N threads (BLAS and PyTorch's); by default both use
every core. On a machine shared with other work, one thread each is the steadier
comparison: threads that wait for each other lose the most when the cores are busy.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections import defaultdict

if "--threads" in sys.argv:  # before NumPy and PyTorch start their thread pools
    _n = sys.argv[sys.argv.index("--threads") + 1]
    for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[_var] = _n

import numpy as np

import minikeras as mk
from minikeras.datasets import mnist

BATCH, UNITS, STEPS, LR = 64, 128, 100, 1e-3


def load(n=BATCH * STEPS):
    (x, y), _ = mnist.load_data()
    x = (x[:n] / 255.0).astype(np.float32)  # (n, 28, 28): 28 steps of 28 features
    return x, np.eye(10, dtype=np.float32)[y[:n]], y[:n].astype(np.int64)


def make_minikeras():
    from minikeras.layers import LSTM, Dense, Input
    mk.set_seed(0)
    model = mk.Sequential([Input(shape=(28, 28)), LSTM(UNITS), Dense(10, activation="softmax")])
    model.compile(mk.optimizers.Adam(LR), "categorical_crossentropy")
    # the compiled training step (a K.function), as fit builds it for one-hot targets
    fn = model._step(True, [np.zeros((1, 10), np.float32)], None)

    def run(x, y_onehot, y_int):
        for i in range(0, len(x), BATCH):
            fn([x[i:i + BATCH], y_onehot[i:i + BATCH]])
    return run, fn


def make_torch():
    import torch
    torch.manual_seed(0)
    torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", len(os.sched_getaffinity(0)))))

    class Net(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.lstm = torch.nn.LSTM(28, UNITS, batch_first=True)
            self.dense = torch.nn.Linear(UNITS, 10)

        def forward(self, x):
            out, _ = self.lstm(x)
            return self.dense(out[:, -1])

    net = Net()
    opt = torch.optim.Adam(net.parameters(), lr=LR)
    loss_fn = torch.nn.CrossEntropyLoss()

    def run(x, y_onehot, y_int):
        tx, ty = torch.from_numpy(x), torch.from_numpy(y_int)
        for i in range(0, len(tx), BATCH):
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(net(tx[i:i + BATCH]), ty[i:i + BATCH])
            loss.backward()
            opt.step()
    return run


def profile(fn, x, y):
    """CPU seconds per op name over one round, timing every step of the compiled function
    (CPU time, not wall time: on a shared machine it counts the work, not the waiting)."""
    totals = defaultdict(float)
    steps = []
    for step in fn.steps:
        kernel, name = step.kernel, fn.nodes[step.output].op.name

        def timed(*args, _k=kernel, _n=name, **kwargs):
            t = time.process_time()
            out = _k(*args, **kwargs)
            totals[_n] += time.process_time() - t
            return out
        timed.accepts_out = getattr(kernel, "accepts_out", False)
        steps.append(step._replace(kernel=timed))
    original, fn.steps = fn.steps, steps
    in_place = fn.in_place_steps
    fn.in_place_steps = [((lambda *a, _k=k, **kw: _time_in_place(totals, _k, *a, **kw)),
                          v, i, at) for k, v, i, at in in_place]
    start = time.process_time()
    for i in range(0, len(x), BATCH):
        fn([x[i:i + BATCH], y[i:i + BATCH]])
    wall = time.process_time() - start
    fn.steps, fn.in_place_steps = original, in_place
    return wall, totals


def _time_in_place(totals, kernel, *args, **kwargs):
    t = time.process_time()
    kernel(*args, **kwargs)
    totals["optimizer steps (in place)"] += time.process_time() - t


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--threads", type=int, default=None)
    args = parser.parse_args()
    x, y_onehot, y_int = load()
    ours, fn = make_minikeras()
    contenders = {"minikeras": ours}
    try:
        contenders["PyTorch eager nn.LSTM"] = make_torch()
    except ImportError:
        print("PyTorch is not installed: only minikeras is timed")
    for run in contenders.values():  # warm up: compile kernels, allocate buffers
        run(x[:BATCH * 2], y_onehot[:BATCH * 2], y_int[:BATCH * 2])
    times = {name: [] for name in contenders}
    cpu = {name: [] for name in contenders}
    for _ in range(args.rounds):
        for name, run in contenders.items():
            start, start_cpu = time.perf_counter(), time.process_time()
            run(x, y_onehot, y_int)
            times[name].append(time.perf_counter() - start)
            cpu[name].append(time.process_time() - start_cpu)
    threads = args.threads or len(os.sched_getaffinity(0))
    print(f"LSTM({UNITS}) on 28x28 row-wise MNIST, batch {BATCH}, Adam({LR}); seconds per "
          f"{STEPS} training batches, median of {args.rounds} interleaved rounds, {threads} "
          f"thread(s) each; load average {os.getloadavg()[0]:.1f} on "
          f"{os.cpu_count()} cores")
    print("| contender | seconds / 100 batches | minikeras / this | CPU seconds | "
          "minikeras / this (CPU) |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for name, ts in times.items():
        ratios = [a / b for a, b in zip(times["minikeras"], ts)]
        cpu_ratios = [a / b for a, b in zip(cpu["minikeras"], cpu[name])]
        print(f"| {name} | {statistics.median(ts):.3f} | {statistics.median(ratios):.2f} | "
              f"{statistics.median(cpu[name]):.3f} | {statistics.median(cpu_ratios):.2f} |")
    if args.profile:
        wall, totals = profile(fn, x, y_onehot)
        print(f"\nprofile of one round, CPU time ({wall:.3f} s, of which kernels "
              f"{sum(totals.values()):.3f} s):")
        for name, t in sorted(totals.items(), key=lambda kv: -kv[1])[:15]:
            print(f"  {name:<28} {t * 1e3 / STEPS:7.3f} ms/batch")


if __name__ == "__main__":
    main()
