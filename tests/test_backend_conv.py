"""Keras 2's backend functions for convolution and pooling (K.conv2d, K.pool2d, ...),
against the independent loops of naive_conv.py."""
import numpy as np
import pytest
from naive_conv import naive_conv, naive_pool

import minikeras.backend as K

RNG = np.random.default_rng(9)


def run(fn, *arrays):
    """fn on float64 placeholders fed with ``arrays``."""
    xs = [K.placeholder(shape=a.shape, dtype="float64") for a in arrays]
    return K.function(xs, [fn(*xs)])(list(arrays))[0]


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_conv1d_conv2d_conv3d(data_format):
    for rank, fn in [(1, K.conv1d), (2, K.conv2d), (3, K.conv3d)]:
        x = RNG.normal(size=(2, *[5] * rank, 3) if data_format == "channels_last" else
                       (2, 3, *[5] * rank))
        w = RNG.normal(size=(*[2] * rank, 3, 4))
        got = run(lambda a, b, f=fn: f(a, b, strides=2, padding="same",
                                       data_format=data_format), x, w)
        want = naive_conv(x, w, (2,) * rank, "same", (1,) * rank, 1, data_format)
        np.testing.assert_allclose(got, want, rtol=1e-12)


def test_conv2d_transpose_is_the_adjoint_of_conv2d():
    g, w = RNG.normal(size=(1, 3, 3, 4)), RNG.normal(size=(3, 3, 2, 4))
    y = run(lambda a, b: K.conv2d_transpose(a, b, (1, 6, 5, 2), strides=(2, 2),
                                            padding="same"), g, w)
    assert y.shape == (1, 6, 5, 2)
    z = RNG.normal(size=y.shape)
    forward = naive_conv(z, w, (2, 2), "same", (1, 1), 1, "channels_last")
    np.testing.assert_allclose(np.vdot(y, z), np.vdot(g, forward), rtol=1e-12)


def test_depthwise_and_separable_conv2d():
    x, dw, pw = RNG.normal(size=(1, 5, 5, 2)), RNG.normal(size=(3, 3, 2, 2)), \
        RNG.normal(size=(1, 1, 4, 3))
    inside = naive_conv(x, dw.reshape(3, 3, 1, 4), (1, 1), "valid", (1, 1), 2, "channels_last")
    np.testing.assert_allclose(run(K.depthwise_conv2d, x, dw), inside, rtol=1e-12)
    np.testing.assert_allclose(run(K.separable_conv2d, x, dw, pw),
                               naive_conv(inside, pw, (1, 1), "valid", (1, 1), 1,
                                          "channels_last"), rtol=1e-12)


def test_pool2d_and_pool3d_keep_keras2_default_strides():
    x = RNG.normal(size=(1, 4, 5, 2))
    np.testing.assert_allclose(run(lambda a: K.pool2d(a, (2, 2)), x),
                               naive_pool(x, (2, 2), (1, 1), "valid", "channels_last", "max"))
    np.testing.assert_allclose(run(lambda a: K.pool2d(a, (2, 2), (2, 2), "same",
                                                      pool_mode="avg"), x),
                               naive_pool(x, (2, 2), (2, 2), "same", "channels_last", "avg"))
    v = RNG.normal(size=(1, 2, 3, 4, 5))
    np.testing.assert_allclose(run(lambda a: K.pool3d(a, 2, 2, "same", "channels_first"), v),
                               naive_pool(v, (2, 2, 2), (2, 2, 2), "same", "channels_first",
                                          "max"))
    with pytest.raises(ValueError, match="pool_mode"):
        K.pool2d(K.placeholder(shape=(1, 4, 4, 1)), 2, pool_mode="min")
