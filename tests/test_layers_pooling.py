"""Pooling layers, against hand-computed numbers and the independent loops of
``naive_conv.py``, gradients included."""
import numpy as np
import pytest
from naive_conv import naive_pool

import minikeras.backend as K
from minikeras import config
from minikeras.layers import (
    AveragePooling1D,
    AveragePooling2D,
    AveragePooling3D,
    AvgPool2D,
    Embedding,
    GlobalAveragePooling1D,
    GlobalAveragePooling2D,
    GlobalAveragePooling3D,
    GlobalAvgPool1D,
    GlobalMaxPooling1D,
    GlobalMaxPooling2D,
    GlobalMaxPooling3D,
    Masking,
    MaxPool2D,
    MaxPooling1D,
    MaxPooling2D,
    MaxPooling3D,
)
from minikeras.models import Sequential

RNG = np.random.default_rng(3)
CL, CF = "channels_last", "channels_first"


def layout(shape, data_format):
    return shape if data_format == CL else (shape[0], shape[-1], *shape[1:-1])


def distinct(*shape):
    n = int(np.prod(shape))
    return (RNG.permutation(n) * 0.5 - n / 4).reshape(shape).astype("float32")


def gradient(layer, x, g):
    xp = K.placeholder(shape=x.shape)
    return K.function([xp], K.gradients(K.sum(layer(xp) * K.constant(g)), [xp]))([x])[0]


# ---------------------------------------------------------------- values
def test_max_and_average_pooling_hand_computed():
    x = np.array([[1.0, 2.0, 5.0, 0.0, 7.0],
                  [3.0, 4.0, 1.0, 1.0, 8.0],
                  [0.0, 9.0, 2.0, 2.0, 1.0]]).reshape(1, 3, 5, 1)
    np.testing.assert_array_equal(MaxPooling2D()(x)[0, :, :, 0], [[4.0, 5.0]])
    np.testing.assert_array_equal(MaxPooling2D(padding="same")(x)[0, :, :, 0],
                                  [[4.0, 5.0, 8.0], [9.0, 2.0, 1.0]])
    # 'same': the windows at the edges hold fewer real cells, and only they count
    np.testing.assert_allclose(AveragePooling2D(padding="same")(x)[0, :, :, 0],
                               [[2.5, 1.75, 7.5], [4.5, 2.0, 1.0]])
    np.testing.assert_allclose(AveragePooling2D((3, 3), strides=1)(x)[0, :, :, 0],
                               [[27 / 9, 26 / 9, 27 / 9]])


def test_max_pooling_same_ignores_padding_of_negative_inputs():
    x = -np.arange(1.0, 6.0).reshape(1, 5, 1)
    np.testing.assert_array_equal(MaxPooling1D(2, padding="same")(x)[0, :, 0],
                                  [-1.0, -3.0, -5.0])


POOL_SETTINGS = [
    (MaxPooling1D, (2, 9, 3), {"pool_size": 3, "strides": 2, "padding": "same"}),
    (AveragePooling1D, (2, 9, 3), {"pool_size": 2}),
    (MaxPooling2D, (2, 7, 6, 2), {"pool_size": (3, 2), "strides": (2, 1)}),
    (AveragePooling2D, (2, 7, 6, 2), {"pool_size": 3, "strides": 2, "padding": "same"}),
    (MaxPooling3D, (1, 5, 4, 4, 2), {"pool_size": 2, "padding": "same"}),
    (AveragePooling3D, (1, 5, 4, 4, 2), {"pool_size": (2, 1, 3), "strides": 2}),
]


@pytest.mark.parametrize("data_format", [CL, CF])
@pytest.mark.parametrize("cls, x_shape, kwargs", POOL_SETTINGS)
def test_pooling_matches_independent_numpy(cls, x_shape, kwargs, data_format):
    x = distinct(*layout(x_shape, data_format))
    layer = cls(data_format=data_format, **kwargs)
    mode = "max" if cls.mode == "max" else "avg"
    want = naive_pool(x.astype(float), layer.pool_size, layer.strides, layer.padding,
                      data_format, mode)
    np.testing.assert_allclose(layer(x), want, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("data_format", [CL, CF])
@pytest.mark.parametrize("cls, x_shape, kwargs", POOL_SETTINGS)
def test_pooling_gradients_match_independent_numpy(cls, x_shape, kwargs, data_format):
    """Pooling is linear in x near a point without ties (max: the winners stay), so the
    gradient of <pool(x), g> at x is <pool(e_i), g>-like: computed here cell by cell with
    the naive loops on x + a small bump (max) or on unit arrays (average)."""
    x = distinct(*layout(x_shape, data_format)).astype(np.float64)
    layer = cls(data_format=data_format, dtype="float64", **kwargs)
    mode = "max" if cls.mode == "max" else "avg"
    args = (layer.pool_size, layer.strides, layer.padding, data_format, mode)
    y = naive_pool(x, *args)
    g = RNG.normal(size=y.shape)
    want = np.zeros(x.shape)
    for idx in np.ndindex(x.shape):
        bump = x.copy()
        bump[idx] += 1e-3  # smaller than the gaps between values
        want[idx] = np.sum((naive_pool(bump, *args) - y) * g) / 1e-3
    np.testing.assert_allclose(gradient(layer, x, g), want, rtol=1e-6, atol=1e-8)


def test_max_pool_gradient_goes_to_the_winner_only():
    x = np.array([[1.0, 3.0], [2.0, 0.0]]).reshape(1, 2, 2, 1)
    np.testing.assert_array_equal(gradient(MaxPooling2D(), x, np.ones((1, 1, 1, 1)))[0, :, :, 0],
                                  [[0.0, 1.0], [0.0, 0.0]])
    overlap = gradient(MaxPooling2D((2, 2), strides=1), np.array(
        [[1.0, 2.0, 1.0], [1.0, 9.0, 1.0], [1.0, 1.0, 1.0]]).reshape(1, 3, 3, 1),
        np.ones((1, 2, 2, 1)))
    assert overlap[0, 1, 1, 0] == 4.0 and overlap.sum() == 4.0  # 9 wins all four windows


def test_pooling_defaults_configs_and_aliases():
    assert MaxPooling2D().pool_size == MaxPooling2D().strides == (2, 2)
    assert MaxPooling1D().pool_size == (2,) and MaxPooling3D().pool_size == (2, 2, 2)
    assert MaxPool2D is MaxPooling2D and AvgPool2D is AveragePooling2D
    cfg = AveragePooling2D(3, name="avg").get_config()
    assert cfg == {"name": "avg", "trainable": True, "dtype": "float32", "pool_size": [3, 3],
                   "padding": "valid", "strides": [3, 3], "data_format": "channels_last"}
    assert AveragePooling2D.from_config(cfg).get_config() == cfg
    layer = MaxPooling2D()
    layer(np.zeros((1, 4, 4, 1)))
    assert layer.get_weights() == [] and layer.count_params() == 0


def test_pooling_keras1_arguments():
    old = MaxPooling1D(pool_length=3, stride=1, border_mode="same")
    assert (old.pool_size, old.strides, old.padding) == ((3,), (1,), "same")
    th = MaxPooling2D(pool_size=(2, 2), dim_ordering="th")
    assert th.data_format == CF
    assert th(np.zeros((1, 3, 8, 6))).shape == (1, 3, 4, 3)


def test_pooling_errors_name_the_layer_and_the_line():
    with pytest.raises(ValueError) as info:
        MaxPooling2D((5, 5), name="mp")(K.placeholder(shape=(None, 4, 8, 3)))
    message = str(info.value)
    for part in ('"mp"', "(None, 4, 8, 3)", "larger than the input",
                 "test_layers_pooling.py"):
        assert part in message
    with pytest.raises(ValueError, match="padding must be 'valid' or 'same'"):
        MaxPooling1D(padding="causal")
    with pytest.raises(ValueError, match="data_format"):
        AveragePooling2D(2, data_format="nchw")


# ---------------------------------------------------------------- global pooling
@pytest.mark.parametrize("keepdims", [False, True])
@pytest.mark.parametrize("data_format", [CL, CF])
def test_global_pooling(data_format, keepdims):
    for cls, rank in [(GlobalMaxPooling1D, 1), (GlobalMaxPooling2D, 2), (GlobalMaxPooling3D, 3),
                      (GlobalAveragePooling1D, 1), (GlobalAveragePooling2D, 2),
                      (GlobalAveragePooling3D, 3)]:
        x = distinct(*layout((2, *range(3, 3 + rank), 4), data_format))
        axes = tuple(range(2, 2 + rank)) if data_format == CF else tuple(range(1, 1 + rank))
        reduce = np.max if cls.mode == "max" else np.mean
        got = cls(data_format=data_format, keepdims=keepdims)(x)
        np.testing.assert_allclose(got, reduce(x, axis=axes, keepdims=keepdims), rtol=1e-6)
        assert cls(keepdims=keepdims).get_config()["keepdims"] is keepdims


def test_global_max_pooling_channels_first_keepdims_as_keras():
    layer = GlobalMaxPooling2D(data_format="channels_first", keepdims=True)
    assert layer(np.zeros((2, 4, 5, 3))).shape == (2, 4, 1, 1)
    assert GlobalAvgPool1D is GlobalAveragePooling1D


def test_global_average_pooling_1d_leaves_masked_steps_out():
    ids = np.array([[3, 5, 0, 0], [2, 0, 0, 0]])
    model = Sequential([Embedding(8, 2, mask_zero=True, input_shape=(4,)),
                        GlobalAveragePooling1D()])
    model.layers[0].set_weights([np.arange(16.0).reshape(8, 2)])
    np.testing.assert_allclose(model.predict(ids, verbose=0),
                               [[(6 + 10) / 2, (7 + 11) / 2], [4.0, 5.0]])
    x = np.array([[[1.0], [0.0], [5.0]]])
    masked = Sequential([Masking(0.0, input_shape=(3, 1)), GlobalAveragePooling1D()])
    np.testing.assert_allclose(masked.predict(x, verbose=0), [[3.0]])


def test_global_pooling_follows_the_config_data_format():
    config.set_image_data_format("channels_first")
    try:
        assert GlobalAveragePooling2D()(np.ones((2, 3, 4, 5))).shape == (2, 3)
    finally:
        config.set_image_data_format("channels_last")
