"""Core layers, optimizers and losses: the same weights give the same numbers as Keras 3."""
import keras
import numpy as np
import pytest
from parity import assert_close

import minikeras as mk


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


def small(lib):
    L = lib.layers
    return lib.Sequential([L.Input(shape=(10,)), L.Dense(16, activation="tanh"),
                           L.Dense(4, activation="softmax")])


rng = np.random.default_rng(0)


def test_seed_mlp_parameters_and_predictions(both):
    ours, theirs = both(seed_mlp)
    assert ours.count_params() == theirs.count_params() == 648_010
    x = rng.random((16, 784), dtype=np.float32)
    assert_close(ours.predict(x, verbose=0), theirs.predict(x, verbose=0))


def test_functional_shared_layer_and_merges(both):
    ours, theirs = both(shared_functional)
    a, b = rng.normal(size=(2, 9, 6)).astype("float32")
    assert_close(ours.predict([a, b], verbose=0), theirs.predict([a, b], verbose=0))


def test_embedding_flatten(both):
    ours, theirs = both(embedding_model)
    ids = rng.integers(0, 20, size=(5, 7))
    assert_close(ours.predict(ids, verbose=0), theirs.predict(ids, verbose=0))


def test_permute_reshape_flatten_channels_first(both):
    ours, theirs = both(channels_first_flatten)
    cube = rng.normal(size=(4, 3, 4, 5)).astype("float32")
    assert_close(ours.predict(cube, verbose=0), theirs.predict(cube, verbose=0))


@pytest.mark.parametrize("name, kwargs", [
    ("SGD", {"learning_rate": 0.1}),
    ("SGD", {"learning_rate": 0.1, "momentum": 0.9, "nesterov": True}),
    ("Adam", {"learning_rate": 0.01}), ("RMSprop", {}),
    ("Adagrad", {"learning_rate": 0.1}), ("Adadelta", {"learning_rate": 1.0}),
    ("Adamax", {}), ("Nadam", {})])
def test_three_training_steps(both, name, kwargs):
    """No dropout here: the two libraries draw different random masks."""
    xb = rng.normal(size=(32, 10)).astype("float32")
    yb = np.eye(4, dtype="float32")[rng.integers(0, 4, 32)]
    ours, theirs = both(small)
    ours.compile(getattr(mk.optimizers, name)(**kwargs), "categorical_crossentropy")
    theirs.compile(getattr(keras.optimizers, name)(**kwargs), "categorical_crossentropy")
    for _ in range(3):
        ours.train_on_batch(xb, yb)
        theirs.train_on_batch(xb, yb)
    assert_close(ours.get_weights(), theirs.get_weights(), tol=2e-5)


@pytest.mark.parametrize("name", [
    "mean_squared_error", "mean_absolute_error", "mean_absolute_percentage_error",
    "mean_squared_logarithmic_error", "binary_crossentropy", "categorical_crossentropy",
    "kl_divergence", "hinge", "poisson", "cosine_similarity"])
def test_losses(name):
    y_true = rng.random((6, 5)).astype("float32")
    y_pred = rng.random((6, 5)).astype("float32") + 0.05
    got = mk.backend.eval(mk.losses.get(name)(mk.backend.constant(y_true),
                                              mk.backend.constant(y_pred)))
    want = keras.ops.convert_to_numpy(keras.losses.get(name)(y_true, y_pred))
    assert_close(got, want)


@pytest.mark.parametrize("name, args", [("MaxNorm", {"max_value": 1.5, "axis": 0}),
                                        ("NonNeg", {}), ("UnitNorm", {"axis": 1}),
                                        ("MinMaxNorm", {"min_value": 0.5, "max_value": 1.5,
                                                        "rate": 0.7, "axis": 0})])
def test_constraints_match_keras(name, args):
    w = rng.normal(size=(6, 4)).astype("float32")
    ours = getattr(mk.constraints, name)(**args)(w.copy())
    theirs = keras.ops.convert_to_numpy(getattr(keras.constraints, name)(**args)(w.copy()))
    assert_close(ours, theirs)
    assert getattr(mk.constraints, name)(**args).get_config() == \
        getattr(keras.constraints, name)(**args).get_config()
