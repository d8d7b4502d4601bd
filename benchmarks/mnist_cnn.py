"""The MNIST convnet, 100 training batches, side by side: minikeras vs PyTorch eager on the
CPU (NCHW, and PyTorch's channels_last memory format). Rounds are interleaved (A B C A B
C ...) so that all contenders see the same machine state; medians and ratios are printed.

Model: Conv2D 32 (3x3, relu) -> MaxPool 2 -> Conv2D 64 (3x3, relu) -> MaxPool 2 ->
Flatten -> Dense 128 (relu) -> Dense 10 (softmax), sparse categorical crossentropy,
Adam(1e-3), batch 128, pixels / 255, channels_last for minikeras.

    .venv-keras/bin/python benchmarks/mnist_cnn.py [--rounds 5]   # with PYTHONPATH=. if
                                                                  # minikeras is not installed
    .venv/bin/python benchmarks/mnist_cnn.py --profile            # where one step's time goes

PyTorch is optional (it lives in .venv-keras); without it only minikeras is timed.
"""
from __future__ import annotations

import argparse
import collections
import os
import statistics
import time

import numpy as np

import minikeras as mk
from minikeras.datasets import mnist

BATCH, STEPS = 128, 100


def load():
    (x, y), _ = mnist.load_data()
    x = (x[:BATCH * STEPS] / 255.0).astype(np.float32)
    return x, y[:BATCH * STEPS].astype(np.int64)


# ---------------------------------------------------------------- minikeras
def build_minikeras(data_format="channels_last"):
    from minikeras.layers import Conv2D, Dense, Flatten, MaxPooling2D
    mk.set_seed(0)
    f = {"data_format": data_format}
    shape = (28, 28, 1) if data_format == "channels_last" else (1, 28, 28)
    model = mk.Sequential([
        Conv2D(32, (3, 3), activation="relu", input_shape=shape, **f), MaxPooling2D((2, 2), **f),
        Conv2D(64, (3, 3), activation="relu", **f), MaxPooling2D((2, 2), **f), Flatten(**f),
        Dense(128, activation="relu"), Dense(10, activation="softmax")])
    model.compile(optimizer=mk.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy")
    return model


def make_minikeras():
    model = build_minikeras()

    def run(x, y):
        model.fit(x[..., None], y, batch_size=BATCH, epochs=1, verbose=0, shuffle=False)
    return run


# ---------------------------------------------------------------- PyTorch eager
def make_torch(channels_last: bool):
    import torch
    from torch import nn
    torch.manual_seed(0)
    torch.set_num_threads(len(os.sched_getaffinity(0)))
    net = nn.Sequential(nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(32, 64, 3),
                        nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(1600, 128),
                        nn.ReLU(), nn.Linear(128, 10))
    memory_format = torch.channels_last if channels_last else torch.contiguous_format
    net = net.to(memory_format=memory_format)
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()

    def run(x, y):
        tx = torch.from_numpy(x).unsqueeze(1).contiguous(memory_format=memory_format)
        ty = torch.from_numpy(y)
        net.train()
        for i in range(0, len(tx), BATCH):
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(net(tx[i:i + BATCH]), ty[i:i + BATCH])
            loss.backward()
            opt.step()
    return run


# ---------------------------------------------------------------- where a step's time goes
def profile(steps: int = 20) -> None:
    """Time every kernel of the training function over ``steps`` batches (after warming
    up), grouped by op; plus the executor's own overhead. The machine is shared, so each
    kernel's *fastest* time over the steps is reported (closest to what it costs alone),
    and the step time beside it as the fastest whole step."""
    x, y = load()
    model = build_minikeras()
    xb, yb = x[:BATCH, ..., None], y[:BATCH]
    model.train_on_batch(xb, yb)
    (fn,) = [f[0] if isinstance(f, tuple) else f for f in model._functions.values()]
    spent = collections.defaultdict(list)  # plan position -> seconds, one per step

    def timed(kernel, position):
        def run(*args, **kwargs):
            start = time.perf_counter()
            result = kernel(*args, **kwargs)
            spent[position].append(time.perf_counter() - start)
            return result
        run.accepts_out = getattr(kernel, "accepts_out", False)
        return run

    names = [name for _, name, _, _ in fn.plan] + ["adam_step (in place)"] * len(
        fn.in_place_steps)
    fn.steps = [(timed(k, i), *rest) for i, (k, *rest) in enumerate(fn.steps)]
    fn.in_place_steps = [(timed(k, len(fn.steps) + i), *rest)
                         for i, (k, *rest) in enumerate(fn.in_place_steps)]
    step_times = []
    for _ in range(steps):
        start = time.perf_counter()
        model.train_on_batch(xb, yb)
        step_times.append(time.perf_counter() - start)
    by_op, calls = collections.defaultdict(float), collections.Counter()
    for position, times in spent.items():
        by_op[names[position]] += min(times) * 1e3
        calls[names[position]] += 1
    fastest = min(step_times) * 1e3
    print(f"one training step, batch {BATCH}: fastest {fastest:.1f} ms, median "
          f"{statistics.median(step_times) * 1e3:.1f} ms (of {steps})")
    print(f"{'op (fastest time of each call)':34}{'ms/step':>9}{'calls':>7}")
    for name, t in sorted(by_op.items(), key=lambda kv: -kv[1]):
        print(f"{name:34}{t:9.2f}{calls[name]:7d}")
    print(f"{'sum of kernels':34}{sum(by_op.values()):9.2f}")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    if args.profile:
        profile()
        return
    x, y = load()
    contenders = {"minikeras (channels_last)": make_minikeras}
    try:
        import torch  # noqa: F401
        contenders["PyTorch eager NCHW"] = lambda: make_torch(False)
        contenders["PyTorch eager channels_last"] = lambda: make_torch(True)
    except ImportError:
        print("(PyTorch not installed here: run with .venv-keras/bin/python for its columns)")
    runs = {name: make() for name, make in contenders.items()}
    for run in runs.values():  # warm up: JIT, caches, first allocations
        run(x[:BATCH * 5], y[:BATCH * 5])
    times = {name: [] for name in runs}
    for _ in range(args.rounds):
        for name, run in runs.items():
            start = time.perf_counter()
            run(x, y)
            times[name].append(time.perf_counter() - start)
    med = {name: statistics.median(t) for name, t in times.items()}
    ours = med["minikeras (channels_last)"]
    print(f"{STEPS} training batches of the MNIST convnet (batch {BATCH}, Adam 1e-3), "
          f"median of {args.rounds} interleaved rounds")
    print(f"{'':30}{'seconds':>9}{'minikeras / this':>18}")
    for name, t in med.items():
        print(f"{name:30}{t:9.3f}{ours / t:18.2f}")


if __name__ == "__main__":
    main()
