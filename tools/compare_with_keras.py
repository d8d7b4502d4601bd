"""Check minikeras against real Keras 3: same weights in, same numbers out.

Needs an environment with Keras 3 and a backend (e.g. ``pip install keras jax jaxlib``);
minikeras is imported from this repository and runs on its NumPy reference kernels, so
Numba is not needed there:

    KERAS_BACKEND=jax MINIKERAS_KERNELS=numpy PYTHONPATH=. python tools/compare_with_keras.py

For each case the weights of a minikeras model are copied into the same Keras model with
``get_weights`` / ``set_weights`` (unchanged: same shapes, same order), and predictions,
parameter counts, training steps and losses are compared.
"""
from __future__ import annotations

import os
import sys

import numpy as np

os.environ.setdefault("MINIKERAS_KERNELS", "numpy")

import keras

import minikeras as mk

RESULTS = []


def report(name, got, want, tol=1e-5):
    got = [np.asarray(g, np.float64) for g in (got if isinstance(got, list) else [got])]
    want = [np.asarray(w, np.float64) for w in (want if isinstance(want, list) else [want])]
    same_shapes = [g.shape for g in got] == [w.shape for w in want]
    diff = max((float(np.max(np.abs(g - w))) for g, w in zip(got, want) if g.size),
               default=0.0) if same_shapes else float("inf")
    ok = same_shapes and diff <= tol
    RESULTS.append(ok)
    print(f"{'PASS' if ok else 'FAIL'}  {name:58s} max |diff| {diff:.2e}")


def both(build):
    """The same architecture in minikeras and in Keras, Keras holding minikeras' weights."""
    ours, theirs = build(mk), build(keras)
    theirs.set_weights(ours.get_weights())
    return ours, theirs


def seed_mlp(lib):
    L = lib.layers
    return lib.Sequential([L.Input(shape=(784,)), L.Dense(500), L.Activation("tanh"),
                           L.Dropout(0.5), L.Dense(500), L.Activation("tanh"),
                           L.Dropout(0.5), L.Dense(10), L.Activation("softmax")])


def shared_functional(lib):
    L = lib.layers
    a, b = L.Input(shape=(6,)), L.Input(shape=(6,))
    shared = L.Dense(8, activation="relu")
    merged = L.Concatenate()([shared(a), shared(b), L.Multiply()([a, b])])
    out = L.Dense(3, activation="softmax")(L.Dense(5, activation="sigmoid")(merged))
    return lib.Model([a, b], out)


def embedding_model(lib):
    L = lib.layers
    return lib.Sequential([L.Input(shape=(7,)), L.Embedding(20, 4), L.Flatten(),
                           L.Dense(2, activation="elu")])


def channels_first_flatten(lib):
    L = lib.layers
    return lib.Sequential([L.Input(shape=(3, 4, 5)), L.Permute((2, 3, 1)),
                           L.Reshape((20, 3)), L.Flatten(data_format="channels_first"),
                           L.Dense(4)])


def main():
    rng = np.random.default_rng(0)
    mk.set_seed(0)
    keras.utils.set_random_seed(0)

    ours, theirs = both(seed_mlp)
    x = rng.random((16, 784), dtype=np.float32)
    report("seed MLP: parameter count (648,010)", ours.count_params(), theirs.count_params(), 0)
    report("seed MLP: predictions with the same weights", ours.predict(x, verbose=0),
           theirs.predict(x, verbose=0))

    ours, theirs = both(shared_functional)
    a, b = rng.normal(size=(9, 6)).astype("float32"), rng.normal(size=(9, 6)).astype("float32")
    report("functional, shared layer, merges: predictions", ours.predict([a, b], verbose=0),
           theirs.predict([a, b], verbose=0))

    ours, theirs = both(embedding_model)
    ids = rng.integers(0, 20, size=(5, 7))
    report("Embedding + Flatten + Dense(elu): predictions", ours.predict(ids, verbose=0),
           theirs.predict(ids, verbose=0))

    ours, theirs = both(channels_first_flatten)
    cube = rng.normal(size=(4, 3, 4, 5)).astype("float32")
    report("Permute, Reshape, Flatten(channels_first): predictions",
           ours.predict(cube, verbose=0), theirs.predict(cube, verbose=0))

    # three training steps from the same weights (no dropout: its random draws differ)
    def small(lib):
        L = lib.layers
        return lib.Sequential([L.Input(shape=(10,)), L.Dense(16, activation="tanh"),
                               L.Dense(4, activation="softmax")])
    xb = rng.normal(size=(32, 10)).astype("float32")
    yb = np.eye(4, dtype="float32")[rng.integers(0, 4, 32)]
    for opt_name, kwargs in [("SGD", {"learning_rate": 0.1}),
                             ("SGD", {"learning_rate": 0.1, "momentum": 0.9, "nesterov": True}),
                             ("Adam", {"learning_rate": 0.01}), ("RMSprop", {}),
                             ("Adagrad", {"learning_rate": 0.1}), ("Adadelta", {"learning_rate": 1.0}),
                             ("Adamax", {}), ("Nadam", {})]:
        ours, theirs = both(small)
        ours.compile(getattr(mk.optimizers, opt_name)(**kwargs), "categorical_crossentropy")
        theirs.compile(getattr(keras.optimizers, opt_name)(**kwargs), "categorical_crossentropy")
        for _ in range(3):
            ours.train_on_batch(xb, yb)
            theirs.train_on_batch(xb, yb)
        report(f"3 train_on_batch steps, {opt_name}{kwargs}: weights", ours.get_weights(),
               theirs.get_weights(), tol=2e-5)

    y_true = rng.random((6, 5)).astype("float32")
    y_pred = rng.random((6, 5)).astype("float32") + 0.05
    for name in ["mean_squared_error", "mean_absolute_error",
                 "mean_absolute_percentage_error", "mean_squared_logarithmic_error",
                 "binary_crossentropy", "categorical_crossentropy", "kl_divergence",
                 "hinge", "poisson", "cosine_similarity"]:
        got = mk.backend.eval(mk.losses.get(name)(mk.backend.constant(y_true),
                                                  mk.backend.constant(y_pred)))
        want = keras.ops.convert_to_numpy(keras.losses.get(name)(y_true, y_pred))
        report(f"loss {name}", got, want, tol=1e-5)

    print(f"{sum(RESULTS)}/{len(RESULTS)} agree with Keras {keras.__version__} "
          f"({keras.backend.backend()} backend)")
    return 0 if all(RESULTS) else 1


if __name__ == "__main__":
    sys.exit(main())
