"""The two full MNIST runs lesson 05 shows as stored results (too slow for the notebook).

    .venv/bin/python lessons/figures/05_full_runs.py [seed] [fixed] [--out FILE.json]

1. the seed program as written: raw 0-255 pixels, Dense(500, tanh) x 2 with Dropout(0.5),
   softmax, SGD(lr=0.01, decay=1e-6, momentum=0.9, nesterov=True), batch 200, 50 epochs,
   validation_split=0.3;
2. the same program with the two fixes of the lesson: pixels scaled to [0, 1], relu.

Each run is seeded (mk.set_seed(0)). The file (``05_full_runs.json`` beside this script
unless ``--out`` says otherwise) holds each run's History, and is rewritten after every
epoch, so a run stopped early leaves an honest record of the epochs it finished
(``"finished": false``, no test numbers). A finished run adds the test loss and accuracy
on all 10,000 test digits, and how long it took (wall clock and CPU time) on which machine.
"""
import json
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np

import minikeras as mk
from minikeras.layers import Activation, Dense, Dropout

EPOCHS = 50
RUNS = {"seed": ("tanh", 1.0), "fixed": ("relu", 255.0)}


def machine() -> str:
    """The processor and the versions, for the lesson to say where the run was made."""
    cpu = platform.machine()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        names = [line.split(":", 1)[1].strip() for line in cpuinfo.read_text().splitlines()
                 if line.startswith("model name")]
        cpu = names[0] if names else cpu
    threads = os.environ.get("OMP_NUM_THREADS", "not set")
    return (f"{cpu}, {os.cpu_count()} cores, OMP_NUM_THREADS {threads}; minikeras "
            f"{mk.__version__}, numpy {np.__version__}")


def record(out: Path, name: str, entry: dict) -> None:
    """Put one run's entry into the file, keeping the other runs' (written atomically)."""
    runs = json.loads(out.read_text()) if out.exists() else {}
    runs[name] = entry
    partial = out.with_suffix(".tmp")
    partial.write_text(json.dumps(runs, indent=1) + "\n")
    partial.replace(out)


def run(name: str, out: Path) -> dict:
    activation, scale = RUNS[name]
    mk.set_seed(0)
    (x_train, y_train), (x_test, y_test) = mk.datasets.mnist.load_data()
    x_train = x_train.reshape(60000, 784).astype("float32") / scale
    x_test = x_test.reshape(10000, 784).astype("float32") / scale
    y_train = (np.arange(10) == y_train[:, None]).astype(int)
    y_test = (np.arange(10) == y_test[:, None]).astype(int)
    model = mk.Sequential([Dense(500, input_shape=(784,)), Activation(activation), Dropout(0.5),
                           Dense(500), Activation(activation), Dropout(0.5),
                           Dense(10), Activation("softmax")])
    model.compile(loss="categorical_crossentropy", metrics=["accuracy"],
                  optimizer=mk.optimizers.SGD(lr=0.01, decay=1e-6, momentum=0.9, nesterov=True))
    entry = {"activation": activation, "pixels_divided_by": scale, "epochs": 0,
             "finished": False, "history": {}, "machine": machine()}
    start, cpu_start = time.perf_counter(), time.process_time()

    def after_epoch(epoch, logs):
        for key, value in logs.items():
            entry["history"].setdefault(key, []).append(round(float(value), 4))
        entry.update(epochs=epoch + 1, seconds=round(time.perf_counter() - start),
                     cpu_seconds=round(time.process_time() - cpu_start))
        record(out, name, entry)

    model.fit(x_train, y_train, batch_size=200, epochs=EPOCHS, shuffle=True, verbose=2,
              validation_split=0.3, callbacks=[mk.callbacks.LambdaCallback(on_epoch_end=after_epoch)])
    loss, accuracy = model.evaluate(x_test, y_test, batch_size=200, verbose=0)
    entry.update(finished=True, test_loss=round(float(loss), 4),
                 test_accuracy=round(float(accuracy), 4))
    record(out, name, entry)
    print(f"{name} ({activation}, pixels / {scale:g}): test accuracy {accuracy:.4f} "
          f"({entry['seconds']} s, {entry['cpu_seconds']} s of CPU)", flush=True)
    return entry


if __name__ == "__main__":
    # one run per process if named (python 05_full_runs.py fixed), else both; each run is
    # seeded on its own, so the results do not depend on which runs share a process
    args = sys.argv[1:]
    out = Path(__file__).with_suffix(".json")
    if "--out" in args:
        at = args.index("--out")
        out = Path(args[at + 1])
        del args[at:at + 2]
    unknown = [a for a in args if a not in RUNS]
    if unknown:
        sys.exit(f"unknown runs {unknown}: choose from {list(RUNS)}")
    for name in args or list(RUNS):
        run(name, out)
        print(f"wrote {out} ({name})", flush=True)
