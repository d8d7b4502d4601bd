"""Convolution, pooling and resizing layers: the same weights give the same numbers as
Keras 3, in both data formats, and models report the same parameters and shapes."""

import io

import keras
import numpy as np
import pytest
from parity import assert_close

import minikeras as mk

rng = np.random.default_rng(1)
CF = {"data_format": "channels_first"}

# (id, input shape without the batch axis, layer class name, arguments)
CASES = [
    ("conv1d_valid", (9, 3), "Conv1D", {"filters": 4, "kernel_size": 3}),
    (
        "conv1d_same_stride2",
        (9, 3),
        "Conv1D",
        {"filters": 4, "kernel_size": 4, "strides": 2, "padding": "same"},
    ),
    (
        "conv1d_causal_dilated",
        (10, 2),
        "Conv1D",
        {"filters": 3, "kernel_size": 3, "padding": "causal", "dilation_rate": 2},
    ),
    ("conv1d_groups_cf", (4, 9), "Conv1D", dict(filters=6, kernel_size=2, groups=2, **CF)),
    ("conv2d_relu", (8, 7, 3), "Conv2D", {"filters": 5, "kernel_size": 3, "activation": "relu"}),
    (
        "conv2d_same_stride2_even",
        (8, 7, 3),
        "Conv2D",
        {"filters": 4, "kernel_size": (4, 2), "strides": 2, "padding": "same"},
    ),
    (
        "conv2d_dilated_groups",
        (9, 9, 4),
        "Conv2D",
        {"filters": 6, "kernel_size": 3, "dilation_rate": 2, "groups": 2},
    ),
    (
        "conv2d_cf_same_stride3",
        (3, 10, 8),
        "Conv2D",
        dict(filters=4, kernel_size=3, strides=3, padding="same", **CF),
    ),
    ("conv2d_no_bias", (6, 6, 2), "Conv2D", {"filters": 3, "kernel_size": 2, "use_bias": False}),
    (
        "conv3d_same",
        (5, 4, 6, 2),
        "Conv3D",
        {"filters": 3, "kernel_size": (2, 3, 2), "strides": (1, 2, 2), "padding": "same"},
    ),
    ("conv3d_cf", (2, 5, 4, 4), "Conv3D", dict(filters=2, kernel_size=2, **CF)),
    (
        "separable1d",
        (9, 3),
        "SeparableConv1D",
        {"filters": 4, "kernel_size": 3, "depth_multiplier": 2, "padding": "same"},
    ),
    (
        "separable2d_strides",
        (9, 8, 3),
        "SeparableConv2D",
        {"filters": 5, "kernel_size": 3, "strides": 2, "depth_multiplier": 2},
    ),
    (
        "separable2d_cf_dilated",
        (3, 9, 9),
        "SeparableConv2D",
        dict(filters=4, kernel_size=2, dilation_rate=2, padding="same", **CF),
    ),
    ("depthwise1d", (8, 3), "DepthwiseConv1D", {"kernel_size": 3, "depth_multiplier": 2}),
    (
        "depthwise2d_strides_dilation",
        (9, 9, 3),
        "DepthwiseConv2D",
        {"kernel_size": 3, "strides": 2, "dilation_rate": 2, "depth_multiplier": 2},
    ),
    (
        "depthwise2d_cf_same",
        (2, 7, 6),
        "DepthwiseConv2D",
        dict(kernel_size=(3, 2), padding="same", **CF),
    ),
    ("conv1d_transpose", (5, 3), "Conv1DTranspose", {"filters": 2, "kernel_size": 3, "strides": 2}),
    (
        "conv2d_transpose_same",
        (5, 4, 3),
        "Conv2DTranspose",
        {"filters": 4, "kernel_size": 3, "strides": 2, "padding": "same"},
    ),
    (
        "conv2d_transpose_even_same",
        (5, 5, 2),
        "Conv2DTranspose",
        {"filters": 2, "kernel_size": 4, "strides": 2, "padding": "same"},
    ),
    (
        "conv2d_transpose_output_padding",
        (4, 5, 2),
        "Conv2DTranspose",
        {"filters": 3, "kernel_size": 3, "strides": (2, 3), "output_padding": (1, 2)},
    ),
    (
        "conv2d_transpose_same_op",
        (5, 5, 2),
        "Conv2DTranspose",
        {"filters": 2, "kernel_size": 5, "strides": 3, "padding": "same", "output_padding": 0},
    ),
    (
        "conv2d_transpose_stride_past_kernel",
        (3, 3, 2),
        "Conv2DTranspose",
        {"filters": 2, "kernel_size": 2, "strides": 3},
    ),
    (
        "conv2d_transpose_dilated_cf",
        (2, 4, 5),
        "Conv2DTranspose",
        dict(filters=3, kernel_size=3, dilation_rate=2, **CF),
    ),
    (
        "conv3d_transpose",
        (2, 3, 3, 2),
        "Conv3DTranspose",
        {"filters": 2, "kernel_size": 2, "strides": 2, "padding": "same"},
    ),
    ("maxpool1d_same", (9, 3), "MaxPooling1D", {"pool_size": 3, "strides": 2, "padding": "same"}),
    ("maxpool2d", (8, 7, 3), "MaxPooling2D", {}),
    (
        "maxpool2d_cf_same",
        (3, 7, 5),
        "MaxPooling2D",
        dict(pool_size=3, strides=2, padding="same", **CF),
    ),
    ("maxpool3d", (4, 5, 6, 2), "MaxPooling3D", {"pool_size": 2, "padding": "same"}),
    ("avgpool1d", (9, 3), "AveragePooling1D", {"pool_size": 2}),
    # 'same' padding split evenly (see the test at the end for uneven splits on torch)
    (
        "avgpool2d_same",
        (7, 5, 2),
        "AveragePooling2D",
        {"pool_size": 3, "strides": 1, "padding": "same"},
    ),
    (
        "avgpool2d_cf_overlap",
        (2, 7, 7),
        "AveragePooling2D",
        dict(pool_size=3, strides=2, padding="same", **CF),
    ),
    ("avgpool3d_cf", (2, 4, 5, 4), "AveragePooling3D", dict(pool_size=2, **CF)),
    ("gmp1d", (6, 3), "GlobalMaxPooling1D", {}),
    ("gap1d_cf_keepdims", (3, 6), "GlobalAveragePooling1D", dict(keepdims=True, **CF)),
    ("gmp2d_cf_keepdims", (4, 5, 3), "GlobalMaxPooling2D", dict(keepdims=True, **CF)),
    ("gap2d", (4, 5, 3), "GlobalAveragePooling2D", {}),
    ("gmp3d_keepdims", (2, 3, 4, 2), "GlobalMaxPooling3D", {"keepdims": True}),
    ("gap3d_cf", (2, 3, 4, 2), "GlobalAveragePooling3D", CF),
    ("zeropad1d", (5, 2), "ZeroPadding1D", {"padding": (1, 2)}),
    ("zeropad2d_cf", (2, 3, 4), "ZeroPadding2D", dict(padding=((1, 0), (2, 3)), **CF)),
    ("zeropad3d", (2, 3, 2, 1), "ZeroPadding3D", {"padding": (1, 0, 2)}),
    ("crop1d", (6, 2), "Cropping1D", {"cropping": (2, 1)}),
    ("crop2d_cf", (2, 6, 5), "Cropping2D", dict(cropping=((1, 2), (0, 1)), **CF)),
    ("crop3d", (4, 5, 3, 2), "Cropping3D", {"cropping": (1, 2, 0)}),
    ("upsample1d", (4, 2), "UpSampling1D", {"size": 3}),
    ("upsample2d_cf", (2, 3, 4), "UpSampling2D", dict(size=(2, 3), **CF)),
    (
        "upsample2d_bilinear",
        (3, 4, 2),
        "UpSampling2D",
        {"size": (3, 2), "interpolation": "bilinear"},
    ),
    (
        "upsample2d_bilinear_cf",
        (2, 3, 4),
        "UpSampling2D",
        dict(size=2, interpolation="bilinear", **CF),
    ),
    ("upsample3d", (2, 2, 3, 1), "UpSampling3D", {"size": (1, 2, 3)}),
]


def one_layer(shape, name, kwargs):
    def build(lib):
        return lib.Sequential([lib.layers.Input(shape=shape), getattr(lib.layers, name)(**kwargs)])

    return build


@pytest.mark.parametrize("shape, name, kwargs", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_layer_predictions_with_copied_weights(both, shape, name, kwargs):
    ours, theirs = both(one_layer(shape, name, kwargs))
    assert ours.count_params() == theirs.count_params()
    assert ours.output_shape == theirs.output_shape
    assert [w.shape for w in ours.get_weights()] == [tuple(w.shape) for w in theirs.get_weights()]
    ours.set_weights([rng.normal(size=w.shape).astype("float32") for w in ours.get_weights()])
    theirs.set_weights(ours.get_weights())
    x = rng.normal(size=(3, *shape)).astype("float32")
    assert_close(ours.predict(x, verbose=0), theirs.predict(x, verbose=0), tol=2e-5)


def test_keras1_spelling_equals_keras3_layer(both):
    """Keras 1's Convolution2D(8, 3, 3, border_mode='same', dim_ordering='th') is Keras 3's
    Conv2D(8, (3, 3), padding='same', data_format='channels_first')."""
    ours = mk.Sequential(
        [
            mk.layers.Input(shape=(2, 7, 7)),
            mk.layers.Convolution2D(
                8, 3, 3, border_mode="same", dim_ordering="th", subsample=(2, 2)
            ),
        ]
    )
    theirs = keras.Sequential(
        [
            keras.layers.Input(shape=(2, 7, 7)),
            keras.layers.Conv2D(8, (3, 3), padding="same", data_format="channels_first", strides=2),
        ]
    )
    theirs.set_weights(ours.get_weights())
    x = rng.normal(size=(2, 2, 7, 7)).astype("float32")
    assert_close(ours.predict(x, verbose=0), theirs.predict(x, verbose=0))


def convnet(data_format):
    shape = (28, 28, 1) if data_format == "channels_last" else (1, 28, 28)

    def build(lib):
        L = lib.layers
        f = {"data_format": data_format}
        return lib.Sequential(
            [
                L.Input(shape=shape),
                L.Conv2D(32, (3, 3), activation="relu", name="conv_a", **f),
                L.MaxPooling2D((2, 2), name="pool_a", **f),
                L.Conv2D(64, (3, 3), activation="relu", name="conv_b", **f),
                L.MaxPooling2D((2, 2), name="pool_b", **f),
                L.Flatten(name="flat", **f),
                L.Dense(128, activation="relu", name="hidden"),
                L.Dense(10, activation="softmax", name="probs"),
            ],
            name="mnist_cnn",
        )

    return build


def _rows(summary: str):
    """(layer (type), output shape, params) of each row of a Keras 3 style summary."""
    rows = []
    for line in summary.splitlines():
        cells = [c.strip() for c in line.strip("│┃").split("│")]
        if len(cells) == 3 and "(" in cells[0] and cells[2].replace(",", "").isdigit():
            rows.append(tuple(cells))
    return rows


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_mnist_convnet_summary_params_and_predictions(both, data_format, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")  # Keras sizes its table to the terminal: 76 wide
    ours, theirs = both(convnet(data_format))
    assert ours.count_params() == theirs.count_params() == 225_034
    text = io.StringIO()
    theirs.summary(print_fn=lambda line, **kw: text.write(line))
    assert len(_rows(text.getvalue())) == 7
    assert _summary_text(ours) == text.getvalue().rstrip("\n")  # the very same table
    x = rng.random((8, *ours.input_shape[1:]), dtype=np.float32)
    assert_close(ours.predict(x, verbose=0), theirs.predict(x, verbose=0))


def _summary_text(model) -> str:
    lines = []
    model.summary(print_fn=lines.append)
    return "\n".join(lines)


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_three_adam_steps_of_a_convnet(both, data_format):
    """The gradients of every conv/pool op, through Adam, as Keras (on torch) computes them."""
    shape = (10, 9, 2) if data_format == "channels_last" else (2, 10, 9)

    def build(lib):
        L = lib.layers
        f = {"data_format": data_format}
        return lib.Sequential(
            [
                L.Input(shape=shape),
                L.Conv2D(4, 3, padding="same", activation="relu", **f),
                L.AveragePooling2D(2, padding="same", **f),
                L.DepthwiseConv2D(2, depth_multiplier=2, activation="tanh", **f),
                L.MaxPooling2D(2, strides=1, **f),
                L.Conv2DTranspose(3, 2, strides=2, **f),
                L.SeparableConv2D(3, 3, strides=2, **f),
                L.GlobalAveragePooling2D(**f),
                L.Dense(3, activation="softmax"),
            ]
        )

    ours, theirs = both(build)
    x = rng.normal(size=(16, *shape)).astype("float32")
    y = np.eye(3, dtype="float32")[rng.integers(0, 3, 16)]
    ours.compile(mk.optimizers.Adam(0.01), "categorical_crossentropy")
    theirs.compile(keras.optimizers.Adam(0.01), "categorical_crossentropy")
    for _ in range(3):
        ours.train_on_batch(x, y)
        theirs.train_on_batch(x, y)
    assert_close(ours.get_weights(), theirs.get_weights(), tol=5e-5)


def test_average_pooling_with_uneven_same_padding_on_the_torch_backend():
    """Keras defines 'same' average pooling as the mean over the real cells of each window
    (TensorFlow and JAX do that; so does minikeras, see tests/test_layers_pooling.py).
    Keras 3.15's *torch* backend pads an uneven split by repeating the edge cells
    ("replicate") and counts them: there, and only there, the two differ. This test pins
    that down, so that the day the backend changes, we notice."""
    x = rng.normal(size=(1, 5, 1)).astype("float32")
    ours = mk.layers.AveragePooling1D(2, padding="same")(x)[0, :, 0]
    theirs = keras.ops.convert_to_numpy(keras.layers.AveragePooling1D(2, padding="same")(x))
    cells = x[0, :, 0]
    np.testing.assert_allclose(ours, [cells[:2].mean(), cells[2:4].mean(), cells[4]], rtol=1e-6)
    np.testing.assert_allclose(
        theirs[0, :, 0], [cells[:2].mean(), cells[2:4].mean(), cells[4]], rtol=1e-6
    )  # (x4 + x4) / 2
    y = rng.normal(size=(1, 6, 1)).astype("float32")  # pool 3 stride 2: pads (0, 1)
    ours = mk.layers.AveragePooling1D(3, strides=2, padding="same")(y)[0, :, 0]
    theirs = keras.ops.convert_to_numpy(
        keras.layers.AveragePooling1D(3, strides=2, padding="same")(y)
    )[0, :, 0]
    c = y[0, :, 0]
    np.testing.assert_allclose(ours, [c[:3].mean(), c[2:5].mean(), c[4:].mean()], rtol=1e-6)
    np.testing.assert_allclose(
        theirs, [c[:3].mean(), c[2:5].mean(), (c[4] + 2 * c[5]) / 3], rtol=1e-6
    )
