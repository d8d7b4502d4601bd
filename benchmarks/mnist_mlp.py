"""The seed's MNIST MLP, one epoch, side by side: minikeras fit vs PyTorch eager vs a NumPy
loop, plus the 8 matmuls alone (the BLAS floor). Epochs are interleaved (A B C D A B C D
...) so that all contenders see the same machine state; each round gives a ratio per
contender (minikeras / this), and the medians of the times and of the ratios are
reported, for wall time and for CPU time (all threads of the process: on a busy machine
CPU time counts the work, not the waiting, and a thread that spins while it waits shows).

Model: 784-500-500-10, tanh, Dropout 0.5, softmax crossentropy, SGD lr 0.01 momentum 0.9
nesterov, batch 200, 60,000 samples (pixels / 255).

    PYTHONPATH=. .venv-keras/bin/python benchmarks/mnist_mlp.py [--rounds 5] [--threads N]
                                                    [--profile] [--samples 60000]
                                                    [--unfused]

(``.venv-keras`` has PyTorch; ``PYTHONPATH=.`` makes it import this tree's minikeras;
``.venv/bin/python`` runs it without the PyTorch column.) ``--threads N`` gives every
contender N threads (BLAS, Numba and PyTorch's); by default they use every core.
``--profile`` also prints where minikeras's step goes, in CPU time per kernel.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections import defaultdict

if "--threads" in sys.argv:  # before NumPy, Numba and PyTorch start their thread pools
    _n = sys.argv[sys.argv.index("--threads") + 1]
    for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS",
                 "NUMBA_NUM_THREADS"):
        os.environ[_var] = _n

import numpy as np

import minikeras as mk
from minikeras.datasets import mnist

BATCH, HIDDEN, LR, MOMENTUM = 200, 500, 0.01, 0.9


def load():
    (x, y), _ = mnist.load_data()
    x = (x.reshape(len(x), 784) / 255.0).astype(np.float32)
    return x, np.eye(10, dtype=np.float32)[y], y.astype(np.int64)


# ---------------------------------------------------------------- minikeras
def make_model():
    from minikeras.layers import Activation, Dense, Dropout
    mk.set_seed(0)
    model = mk.Sequential([Dense(HIDDEN, input_shape=(784,)), Activation("tanh"), Dropout(0.5),
                           Dense(HIDDEN), Activation("tanh"), Dropout(0.5),
                           Dense(10), Activation("softmax")])
    model.compile(loss="categorical_crossentropy",
                  optimizer=mk.optimizers.SGD(learning_rate=LR, momentum=MOMENTUM, nesterov=True))
    return model


def make_minikeras(model=None, fuse="1"):
    model = model or make_model()

    def epoch(x, y_onehot, y_int):
        before = os.environ.get("MINIKERAS_FUSE")
        os.environ["MINIKERAS_FUSE"] = fuse  # read when fit first compiles the step
        try:
            model.fit(x, y_onehot, batch_size=BATCH, epochs=1, verbose=0, shuffle=True)
        finally:
            if before is None:
                del os.environ["MINIKERAS_FUSE"]
            else:
                os.environ["MINIKERAS_FUSE"] = before
    return epoch


# ---------------------------------------------------------------- PyTorch eager
def make_torch(threads):
    import torch
    torch.manual_seed(0)
    torch.set_num_threads(threads)
    net = torch.nn.Sequential(
        torch.nn.Linear(784, HIDDEN), torch.nn.Tanh(), torch.nn.Dropout(0.5),
        torch.nn.Linear(HIDDEN, HIDDEN), torch.nn.Tanh(), torch.nn.Dropout(0.5),
        torch.nn.Linear(HIDDEN, 10))
    opt = torch.optim.SGD(net.parameters(), lr=LR, momentum=MOMENTUM, nesterov=True)
    loss_fn = torch.nn.CrossEntropyLoss()

    def epoch(x, y_onehot, y_int):
        tx, ty = torch.from_numpy(x), torch.from_numpy(y_int)  # no copy
        order = torch.randperm(len(tx))
        net.train()
        for i in range(0, len(tx), BATCH):
            idx = order[i:i + BATCH]
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(net(tx[idx]), ty[idx])
            loss.backward()
            opt.step()
    return epoch


# ---------------------------------------------------------------- NumPy by hand
def make_numpy():
    rng = np.random.default_rng(0)

    def glorot(n_in, n_out):
        limit = np.sqrt(6 / (n_in + n_out))
        return rng.uniform(-limit, limit, (n_in, n_out)).astype(np.float32)

    params = [glorot(784, HIDDEN), np.zeros(HIDDEN, np.float32), glorot(HIDDEN, HIDDEN),
              np.zeros(HIDDEN, np.float32), glorot(HIDDEN, 10), np.zeros(10, np.float32)]
    moms = [np.zeros_like(p) for p in params]

    def epoch(x, y_onehot, y_int):
        order = rng.permutation(len(x))
        for i in range(0, len(x), BATCH):
            idx = order[i:i + BATCH]
            xb, yb = x[idx], y_onehot[idx]
            w1, b1, w2, b2, w3, b3 = params
            h1 = np.tanh(xb @ w1 + b1)
            m1 = (rng.random(h1.shape, dtype=np.float32) < 0.5) * np.float32(2.0)
            d1 = h1 * m1
            h2 = np.tanh(d1 @ w2 + b2)
            m2 = (rng.random(h2.shape, dtype=np.float32) < 0.5) * np.float32(2.0)
            d2 = h2 * m2
            z = d2 @ w3 + b3
            z -= z.max(axis=1, keepdims=True)
            p = np.exp(z)
            p /= p.sum(axis=1, keepdims=True)
            g3 = (p - yb) / np.float32(len(xb))
            g2 = (g3 @ w3.T) * m2 * (1 - h2 * h2)
            g1 = (g2 @ w2.T) * m1 * (1 - h1 * h1)
            grads = [xb.T @ g1, g1.sum(0), d1.T @ g2, g2.sum(0), d2.T @ g3, g3.sum(0)]
            for prm, mom, g in zip(params, moms, grads):
                mom *= MOMENTUM
                mom -= LR * g
                prm += MOMENTUM * mom - LR * g
    return epoch


# ---------------------------------------------------------------- the BLAS floor
def make_matmuls():
    """The step's 8 products on arrays of the step's shapes, each operand its own array.

    (An operand must not share memory with its partner: NumPy computes ``h.T @ h`` with
    SYRK, a product with itself, in 60 % of a GEMM's time, which the MLP never gets: its
    dW2 is ``d1.T @ g2``. An earlier version of this floor did that and was 7 % too low.)
    """
    rng = np.random.default_rng(0)
    a = {name: rng.random(shape, dtype=np.float32) for name, shape in [
        ("x", (BATCH, 784)), ("w1", (784, HIDDEN)), ("d1", (BATCH, HIDDEN)),
        ("w2", (HIDDEN, HIDDEN)), ("d2", (BATCH, HIDDEN)), ("w3", (HIDDEN, 10)),
        ("g3", (BATCH, 10)), ("g2", (BATCH, HIDDEN)), ("g1", (BATCH, HIDDEN))]}

    def epoch(x, y_onehot, y_int):
        for _ in range(0, len(x), BATCH):
            a["x"] @ a["w1"]          # forward: layer 1, 2, 3
            a["d1"] @ a["w2"]
            a["d2"] @ a["w3"]
            a["d2"].T @ a["g3"]       # backward: dW3, dD2, dW2, dD1, dW1
            a["g3"] @ a["w3"].T
            a["d1"].T @ a["g2"]
            a["g2"] @ a["w2"].T
            a["x"].T @ a["g1"]
    return epoch


# ---------------------------------------------------------------- where the step goes
def profile(model, x, y_onehot):
    """CPU seconds per kernel over one epoch of ``fit``, grouped by kernel name and the
    value's shape (the executor's steps are wrapped in timers, then restored)."""
    fn = next(f for key, (f, _) in model._functions.items() if key[0] == "train")
    totals = defaultdict(float)

    def timed(kernel, label):
        def run(*args, **kwargs):
            start = time.process_time()
            result = kernel(*args, **kwargs)
            totals[label] += time.process_time() - start
            return result
        run.accepts_out = getattr(kernel, "accepts_out", False)
        return run

    steps, in_place = fn.steps, fn.in_place_steps
    fn.steps = [step._replace(kernel=timed(step.kernel, f"{step.kernel.__name__} "
                                           f"{fn.nodes[step.output].shape}"))
                for step in steps]
    fn.in_place_steps = [(timed(k, f"{k.__name__} (in place)"), *rest)
                         for k, *rest in in_place]
    start = time.process_time()
    model.fit(x, y_onehot, batch_size=BATCH, epochs=1, verbose=0, shuffle=True)
    total = time.process_time() - start
    fn.steps, fn.in_place_steps = steps, in_place
    return total, totals


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--unfused", action="store_true",
                        help="also run minikeras with plan fusion off (MINIKERAS_FUSE=0)")
    parser.add_argument("--samples", type=int, default=60000,
                        help="train on the first N samples (a shorter 'epoch', same steps)")
    args = parser.parse_args()
    threads = args.threads or len(os.sched_getaffinity(0))
    x, y_onehot, y_int = (a[:args.samples] for a in load())
    load_before = os.getloadavg()[0]
    model = make_model()
    contenders = {"minikeras fit": lambda: make_minikeras(model)}
    if args.unfused:
        contenders["minikeras fit, MINIKERAS_FUSE=0"] = lambda: make_minikeras(fuse="0")
    try:
        import torch  # noqa: F401
        contenders["PyTorch eager"] = lambda: make_torch(threads)
    except ImportError:
        print("(PyTorch not installed: run with .venv-keras/bin/python for that column)")
    contenders["NumPy loop"] = make_numpy
    contenders["8 matmuls (floor)"] = make_matmuls
    runs = {name: make() for name, make in contenders.items()}
    for run in runs.values():  # warm up: JIT, caches, first allocations
        run(x[:2000], y_onehot[:2000], y_int[:2000])
    wall = {name: [] for name in runs}
    cpu = {name: [] for name in runs}
    for r in range(args.rounds):
        for name, run in runs.items():
            start, start_cpu = time.perf_counter(), time.process_time()
            run(x, y_onehot, y_int)
            wall[name].append(time.perf_counter() - start)
            cpu[name].append(time.process_time() - start_cpu)
        print(f"(round {r + 1}: " + ", ".join(f"{n} {wall[n][-1]:.2f}s/{cpu[n][-1]:.2f}s CPU"
                                              for n in runs) + ")", file=sys.stderr, flush=True)
    print(f"one epoch of the seed MLP ({len(x):,} samples, batch {BATCH}), median of "
          f"{args.rounds} interleaved rounds, {threads} thread(s) each; load average "
          f"{load_before:.1f} -> {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print("| contender | wall s | minikeras / this | CPU s | minikeras / this (CPU) |")
    print("| --- | ---: | ---: | ---: | ---: |")
    ours = "minikeras fit"
    for name in runs:
        ratio = statistics.median(a / b for a, b in zip(wall[ours], wall[name]))
        ratio_cpu = statistics.median(a / b for a, b in zip(cpu[ours], cpu[name]))
        print(f"| {name} | {statistics.median(wall[name]):.3f} | {ratio:.2f} | "
              f"{statistics.median(cpu[name]):.3f} | {ratio_cpu:.2f} |")
    if args.profile:
        total, totals = profile(model, x, y_onehot)
        steps = len(x) // BATCH
        print(f"\nwhere a step's {total * 1e3 / steps:.2f} ms of CPU go (one epoch of fit; "
              f"kernels {sum(totals.values()) * 1e3 / steps:.2f} ms):")
        for label, t in sorted(totals.items(), key=lambda kv: -kv[1]):
            print(f"  {label:<48} {t * 1e6 / steps:8.1f} us")


if __name__ == "__main__":
    main()
