"""Convnets cross both ways between minikeras and real Keras 3 as ``.keras`` files: every
convolution, pooling and resizing layer, 1-D, 2-D and 3-D, both data formats. A file
written by one library opens in the other with the same predictions and weights, and
training resumed from it continues as the writer would (three more Adam steps agree).
Files written by minikeras open in Keras 3.0 too, and Keras 3.0's open in minikeras."""
import inspect
import os
import pickle
import subprocess
import warnings
from pathlib import Path

import keras
import numpy as np
import pytest
from parity import assert_close

import minikeras as mk

ROOT = Path(__file__).resolve().parents[2]
KERAS30_PY = ROOT / ".venv-keras30" / ("Scripts" if os.name == "nt" else "bin") / "python"
rng = np.random.default_rng(17)


def mnist_cnn(lib):
    L = lib.layers
    return lib.Sequential([L.Input(shape=(12, 12, 1)), L.Conv2D(4, 3, activation="relu"),
                           L.MaxPooling2D(), L.Conv2D(6, 3, activation="relu"), L.Flatten(),
                           L.Dense(8, activation="relu"), L.Dense(3, activation="softmax")])


def zoo_2d(lib, interpolation):
    L = lib.layers
    f = {"data_format": "channels_first"}
    return lib.Sequential([
        L.Input(shape=(3, 10, 10)), L.Conv2D(4, 3, padding="same", activation="relu", **f),
        L.DepthwiseConv2D(3, depth_multiplier=2, **f), L.SeparableConv2D(4, 2, strides=2, **f),
        L.Conv2DTranspose(4, 2, strides=2, **f), L.ZeroPadding2D(1, **f),
        L.Cropping2D(((1, 0), (0, 1)), **f),
        L.UpSampling2D(2, interpolation=interpolation, **f), L.AveragePooling2D(2, **f),
        L.MaxPooling2D(2, **f), L.Conv2D(4, 1, groups=2, **f), L.GlobalAveragePooling2D(**f),
        L.Dense(3, activation="softmax")])


def zoo_2d_channels_first(lib):
    return zoo_2d(lib, "bilinear")


def zoo_2d_nearest(lib):  # Keras 3.0 on torch resizes bilinearly only with torchvision
    return zoo_2d(lib, "nearest")


def zoo_1d(lib):
    L = lib.layers
    return lib.Sequential([
        L.Input(shape=(12, 3)), L.Conv1D(4, 3, padding="causal", dilation_rate=2),
        L.SeparableConv1D(4, 2, depth_multiplier=2), L.DepthwiseConv1D(2),
        L.Conv1DTranspose(3, 2, strides=2), L.ZeroPadding1D(1), L.Cropping1D((1, 0)),
        L.UpSampling1D(2), L.MaxPooling1D(2), L.AveragePooling1D(2), L.GlobalMaxPooling1D(),
        L.Dense(3, activation="softmax")])


def zoo_3d(lib):
    L = lib.layers
    return lib.Sequential([
        L.Input(shape=(4, 6, 6, 2)), L.Conv3D(3, 2, padding="same", activation="relu"),
        L.Conv3DTranspose(2, 2, strides=(1, 2, 2)), L.MaxPooling3D(2),
        L.AveragePooling3D((1, 2, 2)), L.ZeroPadding3D(1), L.Cropping3D(1),
        L.UpSampling3D((1, 2, 2)), L.GlobalAveragePooling3D(keepdims=True), L.Flatten(),
        L.Dense(3, activation="softmax")])


def zoo_global_channels_first(lib):
    """The global poolings the other zoos leave out, and channels_first in 1-D and 3-D:
    a functional model with three inputs."""
    L = lib.layers
    f = {"data_format": "channels_first"}
    steps, volume, image = L.Input(shape=(3, 12)), L.Input(shape=(2, 4, 6, 6)), \
        L.Input(shape=(6, 6, 2))
    a = L.MaxPooling1D(2, **f)(L.Conv1D(4, 3, **f)(steps))
    a = L.GlobalAveragePooling1D(**f)(a)
    b = L.AveragePooling3D((1, 2, 2), **f)(L.Conv3D(3, 2, strides=(1, 1, 1), **f)(volume))
    b = L.GlobalMaxPooling3D(**f)(b)
    c = L.GlobalMaxPooling2D(keepdims=True)(L.Conv2D(3, 3, activation="relu")(image))
    merged = L.Concatenate()([a, b, L.Flatten()(c)])
    return lib.Model([steps, volume, image], L.Dense(3, activation="softmax")(merged))


FAMILIES = [mnist_cnn, zoo_2d_channels_first, zoo_1d, zoo_3d, zoo_global_channels_first]
FAMILIES_30 = [mnist_cnn, zoo_2d_nearest, zoo_1d, zoo_3d, zoo_global_channels_first]


def data(build):
    shapes = {mnist_cnn: [(12, 12, 1)], zoo_2d_channels_first: [(3, 10, 10)],
              zoo_2d_nearest: [(3, 10, 10)], zoo_1d: [(12, 3)], zoo_3d: [(4, 6, 6, 2)],
              zoo_global_channels_first: [(3, 12), (2, 4, 6, 6), (6, 6, 2)]}[build]
    source = np.random.default_rng(3)
    xs = [source.normal(size=(16, *shape)).astype("float32") for shape in shapes]
    y = np.eye(3, dtype="float32")[np.random.default_rng(4).integers(0, 3, 16)]
    return (xs[0] if len(xs) == 1 else xs), y


def train(model, x, y, steps):
    for _ in range(steps):
        model.train_on_batch(x, y)


@pytest.mark.parametrize("build", FAMILIES)
def test_minikeras_file_opens_in_keras(tmp_path, build):
    x, y = data(build)
    ours = build(mk)
    ours.compile(mk.optimizers.Adam(0.01), "categorical_crossentropy")
    train(ours, x, y, 3)
    path = tmp_path / "from_minikeras.keras"
    ours.save(path)
    theirs = keras.saving.load_model(path)
    assert_close(theirs.get_weights(), ours.get_weights(), tol=0)
    assert_close(theirs.predict(x, verbose=0), ours.predict(x, verbose=0))
    resumed = mk.models.load_model(path)
    train(theirs, x, y, 3)
    train(resumed, x, y, 3)
    assert_close(theirs.get_weights(), resumed.get_weights(), tol=5e-5)


@pytest.mark.parametrize("build", FAMILIES)
def test_keras_file_opens_in_minikeras(tmp_path, build):
    x, y = data(build)
    theirs = build(keras)
    theirs.compile(keras.optimizers.Adam(0.01), "categorical_crossentropy")
    train(theirs, x, y, 3)
    path = tmp_path / "from_keras.keras"
    theirs.save(path)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # every key of Keras 3.15's file is understood
        ours = mk.models.load_model(path)
    # (by name: a functional model with branches lists its layers in another order than
    # Keras's; the weights, compared in order below, agree)
    assert {layer.name: type(layer).__name__ for layer in ours.layers} == \
        {layer.name: type(layer).__name__ for layer in theirs.layers}
    assert_close(ours.get_weights(), theirs.get_weights(), tol=0)
    assert_close(ours.predict(x, verbose=0), theirs.predict(x, verbose=0))
    train(theirs, x, y, 3)
    train(ours, x, y, 3)
    assert_close(ours.get_weights(), theirs.get_weights(), tol=5e-5)


def test_output_padding_opens_in_keras_3_15(tmp_path):
    """Keras 3.0's transposed convolutions had no output_padding; 3.15's have."""
    ours = mk.Sequential([mk.layers.Input(shape=(4, 4, 2)),
                          mk.layers.Conv2DTranspose(3, 3, strides=2, output_padding=1)])
    ours.save(tmp_path / "op.keras")
    theirs = keras.saving.load_model(tmp_path / "op.keras")
    x = rng.normal(size=(2, 4, 4, 2)).astype("float32")
    assert theirs.output_shape == ours.output_shape == (None, 10, 10, 3)
    assert_close(theirs.predict(x, verbose=0), ours.predict(x, verbose=0))


def test_keras1_spelled_convnet_opens_in_keras(tmp_path):
    """The seeds' spelling (Convolution2D(8, 3, 3, border_mode=..., dim_ordering='th'))
    is written as Keras 3's Conv2D, which Keras opens."""
    L = mk.layers
    ours = mk.Sequential([L.Input(shape=(2, 8, 8)),
                          L.Convolution2D(4, 3, 3, border_mode="same", dim_ordering="th",
                                          activation="relu"),
                          L.MaxPooling2D(pool_size=(2, 2), dim_ordering="th"), L.Flatten(),
                          L.Dense(3)])
    ours.save(tmp_path / "k1.keras")
    theirs = keras.saving.load_model(tmp_path / "k1.keras")
    assert [type(layer).__name__ for layer in theirs.layers] == \
        ["Conv2D", "MaxPooling2D", "Flatten", "Dense"]
    assert theirs.layers[0].data_format == "channels_first"
    x = rng.normal(size=(2, 2, 8, 8)).astype("float32")
    assert_close(theirs.predict(x, verbose=0), ours.predict(x, verbose=0))


# ---------------------------------------------------------------- Keras 3.0
KERAS30_LOAD = """
import sys, numpy as np, keras, pickle
assert keras.__version__.startswith("3.0"), keras.__version__
for path, inputs in pickle.load(open(sys.argv[1], "rb")):
    model = keras.saving.load_model(path)
    np.save(path + ".pred.npy", model.predict(inputs, verbose=0))
"""

KERAS30_SAVE = """
import sys, numpy as np, keras, pickle
assert keras.__version__.startswith("3.0"), keras.__version__
for name in sys.argv[2:]:
    x, y = pickle.load(open(sys.argv[1] + name + ".data", "rb"))
    model = globals()[name](keras)
    model.compile(keras.optimizers.Adam(0.01), "categorical_crossentropy")
    for _ in range(2):
        model.train_on_batch(x, y)
    model.save(sys.argv[1] + name + ".keras")
    np.save(sys.argv[1] + name + ".pred.npy", model.predict(x, verbose=0))
"""


def _keras30(*args):
    if not KERAS30_PY.exists():
        pytest.fail("Keras 3.0 is not installed: `python3 dev.py test` creates "
                    ".venv-keras30/ for this test")
    run = subprocess.run([str(KERAS30_PY), "-c", *args], capture_output=True, text=True,
                         env=dict(os.environ, KERAS_BACKEND="torch"))
    assert run.returncode == 0, run.stderr[-3000:]


def test_minikeras_convnets_open_in_keras_3_0(tmp_path):
    jobs, expected = [], []
    for build in FAMILIES_30:
        x, y = data(build)
        ours = build(mk)
        ours.compile(mk.optimizers.Adam(0.01), "categorical_crossentropy")
        train(ours, x, y, 2)
        path = str(tmp_path / f"{build.__name__}.keras")
        ours.save(path)
        jobs.append((path, x))
        expected.append(ours.predict(x, verbose=0))
    with open(tmp_path / "jobs.pkl", "wb") as f:
        pickle.dump(jobs, f)
    _keras30(KERAS30_LOAD, str(tmp_path / "jobs.pkl"))
    for (path, _), want in zip(jobs, expected):
        assert_close(np.load(path + ".pred.npy"), want)


def test_keras_3_0_convnets_open_in_minikeras(tmp_path):
    prefix = str(tmp_path) + "/"
    for build in FAMILIES_30:
        with open(prefix + build.__name__ + ".data", "wb") as f:
            pickle.dump(data(build), f)
    builders = "\n".join(inspect.getsource(b) for b in [zoo_2d, *FAMILIES_30])  # same models
    _keras30(builders + KERAS30_SAVE, prefix, *(build.__name__ for build in FAMILIES_30))
    for build in FAMILIES_30:
        x, _ = data(build)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            ours = mk.models.load_model(prefix + build.__name__ + ".keras")
        assert_close(ours.predict(x, verbose=0), np.load(prefix + build.__name__ + ".pred.npy"))
