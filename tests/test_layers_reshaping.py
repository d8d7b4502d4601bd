"""ZeroPadding, Cropping and UpSampling, against NumPy's pad, slicing and repeat."""
import numpy as np
import pytest

import minikeras.backend as K
from minikeras.layers import (
    Cropping1D,
    Cropping2D,
    Cropping3D,
    UpSampling1D,
    UpSampling2D,
    UpSampling3D,
    ZeroPadding1D,
    ZeroPadding2D,
    ZeroPadding3D,
)
from minikeras.layers.reshaping import linear_resize_matrix

RNG = np.random.default_rng(8)
CL, CF = "channels_last", "channels_first"


def normal(*shape):
    return RNG.normal(size=shape).astype("float32")


def value_and_gradient(layer, x, g_fn):
    xp = K.placeholder(shape=x.shape)
    y = layer(xp)
    g = g_fn(y.shape)
    return K.function([xp], [y] + K.gradients(K.sum(y * K.constant(g)), [xp]))([x]), g


def layout(shape, data_format):
    """A channels_last shape in ``data_format``."""
    return shape if data_format == CL else (shape[0], shape[-1], *shape[1:-1])


def spatial_widths(pairs, ndim, data_format):
    widths = [(0, 0)] * ndim
    first = 2 if data_format == CF else 1
    for i, p in enumerate(pairs):
        widths[first + i] = p
    return widths


@pytest.mark.parametrize("data_format", [CL, CF])
@pytest.mark.parametrize("cls, shape, padding, pairs", [
    (ZeroPadding2D, (2, 3, 4, 2), (1, 2), [(1, 1), (2, 2)]),
    (ZeroPadding2D, (2, 3, 4, 2), ((1, 0), (0, 3)), [(1, 0), (0, 3)]),
    (ZeroPadding3D, (1, 2, 3, 2, 2), 1, [(1, 1)] * 3),
])
def test_zero_padding_and_its_gradient(cls, shape, padding, pairs, data_format):
    x = normal(*layout(shape, data_format))
    widths = spatial_widths(pairs, x.ndim, data_format)
    (y, dx), g = value_and_gradient(cls(padding, data_format=data_format), x,
                                    lambda s: RNG.normal(size=s))
    np.testing.assert_array_equal(y, np.pad(x, widths))
    crop = tuple(slice(b, g.shape[i] - a) for i, (b, a) in enumerate(widths))
    np.testing.assert_allclose(dx, g[crop], rtol=1e-6)


@pytest.mark.parametrize("data_format", [CL, CF])
@pytest.mark.parametrize("cls, shape, cropping, pairs", [
    (Cropping2D, (2, 5, 6, 2), ((1, 2), (0, 3)), [(1, 2), (0, 3)]),
    (Cropping2D, (2, 5, 6, 2), 1, [(1, 1), (1, 1)]),
    (Cropping3D, (1, 4, 5, 3, 2), (1, 2, 0), [(1, 1), (2, 2), (0, 0)]),
])
def test_cropping_and_its_gradient(cls, shape, cropping, pairs, data_format):
    x = normal(*layout(shape, data_format))
    widths = spatial_widths(pairs, x.ndim, data_format)
    (y, dx), g = value_and_gradient(cls(cropping, data_format=data_format), x,
                                    lambda s: RNG.normal(size=s))
    crop = tuple(slice(b, x.shape[i] - a) for i, (b, a) in enumerate(widths))
    np.testing.assert_array_equal(y, x[crop])
    np.testing.assert_allclose(dx, np.pad(g, widths), rtol=1e-6)


@pytest.mark.parametrize("padding, pair", [(2, (2, 2)), ((1, 3), (1, 3))])
def test_zero_padding1d_and_its_gradient(padding, pair):
    x = normal(2, 4, 3)
    (y, dx), g = value_and_gradient(ZeroPadding1D(padding), x, lambda s: RNG.normal(size=s))
    np.testing.assert_array_equal(y, np.pad(x, [(0, 0), pair, (0, 0)]))
    np.testing.assert_allclose(dx, g[:, pair[0]:g.shape[1] - pair[1]], rtol=1e-6)
    assert "data_format" not in ZeroPadding1D().get_config()  # as Keras 3.0-3.14
    cf = ZeroPadding1D(1, data_format="channels_first")
    assert cf.get_config()["data_format"] == "channels_first"
    assert cf(np.ones((1, 2, 3))).shape == (1, 2, 5)


def test_cropping1d_and_errors():
    x = np.arange(6.0).reshape(1, 6, 1)
    np.testing.assert_array_equal(Cropping1D()(x)[0, :, 0], [1, 2, 3, 4])
    np.testing.assert_array_equal(Cropping1D((0, 4))(x)[0, :, 0], [0, 1])
    assert Cropping1D((2, 3)).get_config()["cropping"] == [2, 3]
    with pytest.raises(ValueError, match='(?s)"crop".*leaves nothing.*test_layers_reshaping.py'):
        Cropping2D(((2, 2), (0, 0)), name="crop")(K.placeholder(shape=(None, 4, 4, 1)))
    with pytest.raises(ValueError, match="must not be negative"):
        ZeroPadding2D(-1)
    with pytest.raises(ValueError, match="2 .before, after. pairs"):
        ZeroPadding2D((1, 2, 3))


@pytest.mark.parametrize("data_format", [CL, CF])
@pytest.mark.parametrize("cls, shape, size", [
    (UpSampling2D, (2, 3, 2, 2), (2, 3)),
    (UpSampling3D, (1, 2, 3, 2, 2), (3, 1, 2)),
])
def test_nearest_upsampling_and_its_gradient(cls, shape, size, data_format):
    x = normal(*layout(shape, data_format))
    (y, dx), g = value_and_gradient(cls(size, data_format=data_format), x,
                                    lambda s: RNG.normal(size=s))
    first = 2 if data_format == CF else 1
    want = x
    for i, s in enumerate(size):
        want = np.repeat(want, s, axis=first + i)
    np.testing.assert_array_equal(y, want)
    blocks = g  # the gradient of a repeat adds up each block
    for i, s in enumerate(size):
        axis = first + i
        split = blocks.shape[:axis] + (blocks.shape[axis] // s, s) + blocks.shape[axis + 1:]
        blocks = blocks.reshape(split).sum(axis=axis + 1)
    np.testing.assert_allclose(dx, blocks, rtol=1e-5)


def test_upsampling1d():
    x = np.array([[[1.0, -1.0], [2.0, -2.0]]])
    np.testing.assert_array_equal(UpSampling1D(2)(x)[0], [[1, -1], [1, -1], [2, -2], [2, -2]])
    assert UpSampling1D(3).get_config()["size"] == 3


def test_bilinear_upsampling_hand_computed():
    # half-pixel centres: out cell i sits at (i + 0.5) / 2 - 0.5 = -0.25, 0.25, 0.75, 1.25
    np.testing.assert_allclose(linear_resize_matrix(2, 2),
                               [[1, 0], [0.75, 0.25], [0.25, 0.75], [0, 1]])
    x = np.array([[0.0, 4.0], [8.0, 12.0]]).reshape(1, 2, 2, 1)
    y = UpSampling2D(2, interpolation="bilinear")(x)[0, :, :, 0]
    m = linear_resize_matrix(2, 2)
    np.testing.assert_allclose(y, m @ x[0, :, :, 0] @ m.T, rtol=1e-6)
    np.testing.assert_allclose(y[0], [0.0, 1.0, 3.0, 4.0])
    cf = UpSampling2D((3, 2), data_format=CF, interpolation="bilinear")(np.ones((1, 2, 2, 3)))
    np.testing.assert_allclose(cf, np.ones((1, 2, 6, 6)), rtol=1e-6)
    with pytest.raises(ValueError, match="interpolation"):
        UpSampling2D(interpolation="bicubic")


def test_reshaping_configs_round_trip():
    for layer in [ZeroPadding1D((1, 2)), ZeroPadding2D(((1, 2), (3, 4)), data_format=CF),
                  ZeroPadding3D(2), Cropping2D(1), Cropping3D(), UpSampling2D(3),
                  UpSampling2D(interpolation="bilinear"), UpSampling3D((1, 2, 3))]:
        config = layer.get_config()
        assert type(layer).from_config(config).get_config() == config
    assert ZeroPadding2D(((1, 2), (3, 4))).get_config()["padding"] == [[1, 2], [3, 4]]
    assert ZeroPadding1D().get_config()["padding"] == [1, 1]
