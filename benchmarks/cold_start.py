"""Start-up costs: `import minikeras`, and the first `fit` step of the seed MLP with an
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
from minikeras.layers import Activation, Dense, Dropout
model = mk.Sequential([Dense(500, input_shape=(784,)), Activation("tanh"), Dropout(0.5),
                       Dense(500), Activation("tanh"), Dropout(0.5), Dense(10),
                       Activation("softmax")])
model.compile(loss="categorical_crossentropy",
              optimizer=mk.optimizers.SGD(0.01, momentum=0.9, nesterov=True))
rng = np.random.default_rng(1)
x = rng.random((200, 784), dtype=np.float32)
y = np.eye(10, dtype=np.float32)[rng.integers(0, 10, 200)]
t2 = time.perf_counter()
model.fit(x, y, batch_size=200, epochs=1, verbose=0)
t3 = time.perf_counter()
model.fit(x, y, batch_size=200, epochs=1, verbose=0)
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
    print("the seed MLP: import, build + compile, first fit step (batch 200), second step;"
          " fresh processes")
    print(f"{'':14}{'cold cache':>12}{'warm cache':>12}")
    for key in ("import", "build", "first_call", "second_call"):
        print(f"{key:14}{cold[key]:>11.3f}s{warm[key]:>11.3f}s")


if __name__ == "__main__":
    main()
