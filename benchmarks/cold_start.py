"""Start-up costs: `import minikeras`, and the first call of a compiled function with an
empty (cold) and a filled (warm) Numba cache. Each measurement is a fresh process.

    .venv/bin/python benchmarks/cold_start.py
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile

CHILD = r"""
import json, time
t0 = time.perf_counter()
import minikeras as mk
t1 = time.perf_counter()
import numpy as np
K = mk.backend
x = K.placeholder(shape=(None, 784))
W = K.variable(np.random.default_rng(0).normal(size=(784, 500)) * 0.05)
b = K.zeros((500,))
h = K.tanh(K.dot(x, W) + b)
loss = K.mean(K.sum(K.square(h), axis=1))
grads = K.gradients(loss, [W, b])
f = K.function([x], [loss], updates=[(p, p - 0.01 * g) for p, g in zip([W, b], grads)])
data = np.random.default_rng(1).random((200, 784), dtype=np.float32)
t2 = time.perf_counter()
f([data])
t3 = time.perf_counter()
f([data])
t4 = time.perf_counter()
print(json.dumps({"import": t1 - t0, "build": t2 - t1, "first_call": t3 - t2,
                  "second_call": t4 - t3}))
"""


def run(cache_dir: str) -> dict:
    env = dict(os.environ, NUMBA_CACHE_DIR=cache_dir)
    out = subprocess.run([sys.executable, "-c", CHILD], env=env, capture_output=True,
                         text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main():
    with tempfile.TemporaryDirectory() as cache:
        cold = run(cache)
        warm = run(cache)
    print("one training step of a 784-500 tanh layer (batch 200), fresh processes")
    print(f"{'':14}{'cold cache':>12}{'warm cache':>12}")
    for key in ("import", "build", "first_call", "second_call"):
        print(f"{key:14}{cold[key]:>11.3f}s{warm[key]:>11.3f}s")


if __name__ == "__main__":
    main()
