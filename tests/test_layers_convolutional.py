"""Convolution layers, checked against numbers worked out by hand or by the independent
one-cell-at-a-time NumPy loops of ``naive_conv.py``, gradients included."""
import numpy as np
import pytest
from naive_conv import naive_conv

import minikeras.backend as K
from minikeras import config, regularizers
from minikeras.layers import (
    AtrousConvolution1D,
    Conv1D,
    Conv1DTranspose,
    Conv2D,
    Conv2DTranspose,
    Conv3D,
    Conv3DTranspose,
    Convolution1D,
    Convolution2D,
    Convolution2DTranspose,
    Dense,
    DepthwiseConv1D,
    DepthwiseConv2D,
    Flatten,
    MaxPooling2D,
    SeparableConv1D,
    SeparableConv2D,
    SeparableConvolution2D,
)
from minikeras.layers.convolutional_transpose import transposed_length
from minikeras.models import Sequential
from minikeras.ops.core import ShapeError

RNG = np.random.default_rng(5)
CL, CF = "channels_last", "channels_first"


def normal(*shape):
    return RNG.normal(size=shape).astype("float32")


def built(layer, x, weights=None):
    """Call ``layer`` once on ``x`` (builds it), optionally set its weights; return it."""
    layer(x)
    if weights is not None:
        layer.set_weights(weights)
    return layer


def layout(shape, data_format):
    """A channels_last shape in ``data_format``."""
    return shape if data_format == CL else (shape[0], shape[-1], *shape[1:-1])


def gradients_of(layer, x, g):
    """d sum(layer(x) * g) / d(x, each weight), by our autodiff."""
    xp = K.placeholder(shape=x.shape)
    y = layer(xp)
    loss = K.sum(y * K.constant(g))
    return K.function([xp], K.gradients(loss, [xp] + layer.trainable_weights))([x])


def numpy_gradients(f, x, weights, g):
    """The same gradients from any *linear-in-each-argument* NumPy function f(x, *w):
    d <f, g> / d a[i] = <f(..., e_i, ...), g> with e_i the i-th unit array."""
    args = [np.asarray(x, np.float64)] + [np.asarray(w, np.float64) for w in weights]
    grads = []
    for i, a in enumerate(args):
        grad = np.zeros(a.shape)
        for idx in np.ndindex(a.shape):
            unit = np.zeros(a.shape)
            unit[idx] = 1.0
            others = [unit if j == i else b for j, b in enumerate(args)]
            grad[idx] = np.sum(f(*others) * g)
        grads.append(grad)
    return grads


# ---------------------------------------------------------------- Conv1D
def test_conv1d_hand_computed():
    x = np.array([[[1.0], [2.0], [4.0], [8.0]]])
    layer = built(Conv1D(1, 2), x, [np.array([1.0, -1.0]).reshape(2, 1, 1), np.array([0.5])])
    # y[t] = x[t] - x[t+1] + 0.5
    np.testing.assert_allclose(layer(x)[0, :, 0], [-0.5, -1.5, -3.5])


def test_conv1d_causal_sees_only_the_past():
    x = np.array([[[1.0], [2.0], [4.0], [8.0], [16.0]]])
    kernel = np.array([1.0, 10.0, 100.0]).reshape(3, 1, 1)  # y[t] = x[t-4] + 10 x[t-2] + 100 x[t]
    layer = built(Conv1D(1, 3, padding="causal", dilation_rate=2, use_bias=False), x, [kernel])
    np.testing.assert_allclose(layer(x)[0, :, 0], [100.0, 200.0, 410.0, 820.0, 1641.0])
    strided = built(Conv1D(1, 3, padding="causal", strides=2, use_bias=False), x, [kernel])
    assert strided(x).shape == (1, 3, 1)  # ceil(5 / 2)


def test_conv1d_same_puts_the_odd_padding_cell_at_the_end():
    x = np.arange(1.0, 5.0).reshape(1, 4, 1)
    layer = built(Conv1D(1, 2, padding="same", use_bias=False), x,
                  [np.array([1.0, 1.0]).reshape(2, 1, 1)])
    np.testing.assert_allclose(layer(x)[0, :, 0], [3.0, 5.0, 7.0, 4.0])  # last reads a 0


# ---------------------------------------------------------------- Conv2D / Conv3D
CONV_SETTINGS = [
    # layer class, x shape (channels last), kwargs
    (Conv1D, (2, 9, 3), {"filters": 4, "kernel_size": 3, "strides": 2, "padding": "same"}),
    (Conv1D, (2, 9, 4), {"filters": 6, "kernel_size": 2, "dilation_rate": 3, "groups": 2}),
    (Conv2D, (2, 7, 6, 3), {"filters": 4, "kernel_size": (3, 2), "padding": "same"}),
    (Conv2D, (2, 8, 8, 2), {"filters": 3, "kernel_size": 4, "strides": (2, 3)}),
    (Conv2D, (1, 9, 7, 4), {"filters": 4, "kernel_size": 3, "dilation_rate": (2, 1),
                            "groups": 4, "padding": "same"}),
    (Conv3D, (1, 5, 4, 6, 2), {"filters": 3, "kernel_size": (2, 3, 2), "strides": 2,
                               "padding": "same"}),
]


@pytest.mark.parametrize("data_format", [CL, CF])
@pytest.mark.parametrize("cls, x_shape, kwargs", CONV_SETTINGS)
def test_conv_layers_match_independent_numpy(cls, x_shape, kwargs, data_format):
    x = normal(*layout(x_shape, data_format))
    layer = built(cls(data_format=data_format, **kwargs), x)
    kernel, bias = [normal(*w.shape) for w in layer.weights]
    layer.set_weights([kernel, bias])
    rank = x.ndim - 2
    attrs = (layer.strides, layer.padding, layer.dilation_rate, layer.groups, data_format)
    want = naive_conv(x.astype(float), kernel, *attrs)
    want += bias.reshape((-1,) + (1,) * rank) if data_format == CF else bias
    np.testing.assert_allclose(layer(x), want, rtol=1e-4, atol=1e-4)
    assert kernel.shape == (*layer.kernel_size, x_shape[-1] // layer.groups, layer.filters)


@pytest.mark.parametrize("data_format", [CL, CF])
def test_conv2d_gradients_match_independent_numpy(data_format):
    x = normal(*layout((2, 5, 4, 2), data_format))
    layer = Conv2D(3, (3, 2), strides=(2, 1), padding="same", data_format=data_format)
    built(layer, x)
    kernel, _ = layer.get_weights()
    y = layer(x)
    g = normal(*y.shape)
    got = gradients_of(layer, x, g)
    want = numpy_gradients(lambda a, w: naive_conv(a, w, (2, 1), "same", (1, 1), 1,
                                                   data_format), x, [kernel], g)
    for a, b in zip(got[:2], want):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-4)
    axes = (0, 2, 3) if data_format == CF else (0, 1, 2)
    np.testing.assert_allclose(got[2], g.sum(axis=axes), rtol=1e-5)  # the bias


def test_conv2d_mnist_shapes_weights_and_param_count():
    model = Sequential([Conv2D(32, (3, 3), activation="relu", input_shape=(28, 28, 1)),
                        MaxPooling2D((2, 2)), Conv2D(64, (3, 3), activation="relu"),
                        MaxPooling2D((2, 2)), Flatten(), Dense(128, activation="relu"),
                        Dense(10, activation="softmax")])
    assert model.output_shape == (None, 10)
    assert [lay.output_shape for lay in model.layers[:4]] == [
        (None, 26, 26, 32), (None, 13, 13, 32), (None, 11, 11, 64), (None, 5, 5, 64)]
    # 3*3*1*32 + 32, 3*3*32*64 + 64, 1600*128 + 128, 128*10 + 10
    assert model.count_params() == 320 + 18496 + 204928 + 1290
    conv = model.layers[0]
    assert [w.name for w in conv.weights] == [f"{conv.name}/kernel", f"{conv.name}/bias"]
    assert conv.name.startswith("conv2d")


def test_kernel_layout_does_not_depend_on_data_format():
    a = built(Conv2D(5, (2, 3)), np.zeros((1, 6, 6, 4)))
    b = built(Conv2D(5, (2, 3), data_format="channels_first"), np.zeros((1, 4, 6, 6)))
    assert a.kernel.shape == b.kernel.shape == (2, 3, 4, 5)


def test_data_format_comes_from_the_config_and_takes_keras1_names():
    config.set_image_data_format("th")
    try:
        assert Conv2D(2, 3).data_format == CF
    finally:
        config.set_image_data_format("channels_last")
    assert Conv2D(2, 3).data_format == CL
    assert Conv2D(2, 3, data_format="th").data_format == CF
    assert Conv2D(2, 3, data_format="TF").data_format == CL


def test_glorot_fans_of_a_conv_kernel():
    """fan_in = kh*kw*in, fan_out = kh*kw*filters: limit sqrt(6 / (9*8 + 9*16))."""
    layer = built(Conv2D(16, 3), np.zeros((1, 5, 5, 8)))
    limit = np.sqrt(6.0 / (9 * 8 + 9 * 16))
    kernel = layer.get_weights()[0]
    assert np.abs(kernel).max() <= limit and np.abs(kernel).max() > 0.9 * limit
    np.testing.assert_array_equal(layer.get_weights()[1], 0.0)


def test_activation_regularizers_and_integer_inputs():
    x = np.arange(12).reshape(1, 3, 4, 1)  # integers: computed in float32
    layer = Conv2D(2, 2, activation="relu", kernel_initializer="ones",
                   bias_initializer="ones", kernel_regularizer=regularizers.l2(0.5),
                   use_bias=True)
    y = layer(x)
    assert y.dtype == np.float32
    np.testing.assert_allclose(y[0, 0, 0], [1 + 0 + 1 + 4 + 5] * 2)
    assert len(layer.losses) == 1
    np.testing.assert_allclose(K.eval(layer.losses[0]), 0.5 * 8)  # 0.5 * sum(1^2 over 8)
    assert Conv2D(2, 2, use_bias=False)(np.zeros((1, 3, 3, 1))).shape == (1, 2, 2, 2)


# ---------------------------------------------------------------- Transposed convolutions
@pytest.mark.parametrize("k, s, padding, op, want", [
    # §1.3 of the Keras reference, input length 5
    (3, 2, "valid", None, 11), (3, 2, "same", None, 10), (3, 2, "valid", 1, 12),
    (4, 2, "valid", None, 12), (1, 3, "valid", None, 15), (2, 3, "valid", None, 15),
    (5, 3, "same", 0, 13), (5, 3, "same", 2, 15)])
def test_transposed_output_lengths(k, s, padding, op, want):
    assert transposed_length(5, k, s, 1, padding, op)[0] == want
    layer = Conv1DTranspose(1, k, strides=s, padding=padding, output_padding=op)
    assert layer(np.zeros((1, 5, 1))).shape == (1, want, 1)


@pytest.mark.parametrize("k, s, padding, op, crop", [
    (3, 2, "same", None, (0, 1)), (4, 2, "same", None, (1, 1)), (5, 3, "same", 0, (2, 2)),
    (4, 2, "same", 1, (1, 2)), (3, 2, "valid", 1, (0, -1))])
def test_transposed_crops_as_keras(k, s, padding, op, crop):
    assert transposed_length(5, k, s, 1, padding, op)[1] == crop


@pytest.mark.parametrize("data_format", [CL, CF])
@pytest.mark.parametrize("cls, x_shape, kwargs", [
    (Conv1DTranspose, (2, 5, 3), {"filters": 2, "kernel_size": 3, "strides": 2}),
    (Conv2DTranspose, (1, 4, 3, 2), {"filters": 3, "kernel_size": (3, 4), "strides": 2,
                                     "padding": "same"}),
    (Conv2DTranspose, (1, 3, 3, 2), {"filters": 2, "kernel_size": 3, "strides": 3,
                                     "output_padding": 1}),
    (Conv2DTranspose, (2, 3, 4, 1), {"filters": 2, "kernel_size": 2, "dilation_rate": 2}),
    (Conv3DTranspose, (1, 2, 3, 2, 2), {"filters": 2, "kernel_size": 2, "strides": (1, 2, 2),
                                        "padding": "same", "output_padding": (0, 1, 0)}),
])
def test_transposed_conv_is_the_adjoint_of_the_conv(cls, x_shape, kwargs, data_format):
    """<convT(x; K), z> = <x, conv(z; K)>, the conv computed by the independent loops with
    the padding that Keras's cropping rule implies."""
    x = normal(*layout(x_shape, data_format))
    layer = built(cls(data_format=data_format, use_bias=False, **kwargs), x)
    y = np.asarray(layer(x), np.float64)
    z = RNG.normal(size=y.shape)
    spatial = x.shape[2:] if data_format == CF else x.shape[1:-1]
    pads = [transposed_length(n, k, s, d, layer.padding, p)[1] for n, k, s, d, p in zip(
        spatial, layer.kernel_size, layer.strides, layer.dilation_rate,
        layer.output_padding or (None,) * len(spatial))]
    back = naive_conv(z, layer.get_weights()[0].astype(float), layer.strides, pads,
                      layer.dilation_rate, 1, data_format)
    np.testing.assert_allclose(np.vdot(y, z), np.vdot(x, back), rtol=1e-4)


def test_conv2d_transpose_hand_computed_and_gradients():
    x = np.array([[[[1.0], [2.0]], [[3.0], [4.0]]]])  # 2x2, one channel
    layer = built(Conv2DTranspose(1, 2, strides=2), x,
                  [np.array([[1.0, 2.0], [3.0, 4.0]]).reshape(2, 2, 1, 1), np.array([0.0])])
    want = np.kron(x[0, :, :, 0], [[1.0, 2.0], [3.0, 4.0]])  # each pixel times the kernel
    np.testing.assert_allclose(layer(x)[0, :, :, 0], want)
    g = normal(1, 4, 4, 1)
    got = gradients_of(layer, x, g)
    blocks = g[0, :, :, 0].reshape(2, 2, 2, 2).transpose(0, 2, 1, 3)  # (i, j, di, dj)
    np.testing.assert_allclose(got[0][0, :, :, 0], np.einsum("ijab,ab->ij", blocks,
                                                             [[1.0, 2.0], [3.0, 4.0]]),
                               rtol=1e-5)
    np.testing.assert_allclose(got[1][:, :, 0, 0], np.einsum("ijab,ij->ab", blocks,
                                                             x[0, :, :, 0]), rtol=1e-5)


def test_transposed_kernel_is_out_before_in():
    layer = built(Conv2DTranspose(7, (2, 3)), np.zeros((1, 4, 4, 5)))
    assert layer.kernel.shape == (2, 3, 7, 5) and layer.bias.shape == (7,)
    assert layer.count_params() == 2 * 3 * 7 * 5 + 7
    assert Convolution2DTranspose is Conv2DTranspose


# ---------------------------------------------------------------- Depthwise / separable
@pytest.mark.parametrize("data_format", [CL, CF])
def test_depthwise_conv2d_channel_order_matches_keras(data_format):
    """Output channel c * dm + m is input channel c convolved with kernel[..., c, m]."""
    x = normal(*layout((2, 6, 5, 3), data_format))
    layer = built(DepthwiseConv2D(3, depth_multiplier=2, padding="same", strides=2,
                                  dilation_rate=1, data_format=data_format), x)
    kernel, bias = normal(3, 3, 3, 2), normal(6)
    layer.set_weights([kernel, bias])
    axis = 1 if data_format == CF else -1
    got = np.asarray(layer(x))
    for c in range(3):
        channel = np.take(x, [c], axis=axis).astype(float)
        for m in range(2):
            want = naive_conv(channel, kernel[:, :, c:c + 1, m:m + 1], (2, 2), "same", (1, 1), 1,
                              data_format)
            np.testing.assert_allclose(np.take(got, [c * 2 + m], axis=axis),
                                       want + bias[c * 2 + m], rtol=1e-4, atol=1e-5)
    assert [w.name.split("/")[1] for w in layer.weights] == ["kernel", "bias"]


def test_depthwise_allows_strides_with_dilation_as_keras():
    assert DepthwiseConv2D(3, strides=2, dilation_rate=2)(np.zeros((1, 9, 9, 2))).shape == \
        (1, 3, 3, 2)
    assert DepthwiseConv1D(2, depth_multiplier=3)(np.zeros((2, 5, 4))).shape == (2, 4, 12)


@pytest.mark.parametrize("data_format", [CL, CF])
def test_separable_conv_is_depthwise_then_pointwise(data_format):
    x = normal(*layout((2, 7, 6, 3), data_format))
    layer = built(SeparableConv2D(4, (3, 2), depth_multiplier=2, strides=(2, 1),
                                  data_format=data_format), x)
    names = [w.name.split("/")[1] for w in layer.weights]
    assert names == ["depthwise_kernel", "pointwise_kernel", "bias"]
    depthwise, pointwise, bias = normal(3, 2, 3, 2), normal(1, 1, 6, 4), normal(4)
    layer.set_weights([depthwise, pointwise, bias])
    grouped = depthwise.reshape(3, 2, 1, 6).astype(float)  # one group per input channel
    inside = naive_conv(x.astype(float), grouped, (2, 1), "valid", (1, 1), 3, data_format)
    want = naive_conv(inside, pointwise.astype(float), (1, 1), "valid", (1, 1), 1, data_format)
    want += bias.reshape(-1, 1, 1) if data_format == CF else bias
    np.testing.assert_allclose(layer(x), want, rtol=1e-4, atol=1e-4)
    assert layer.count_params() == 3 * 2 * 3 * 2 + 6 * 4 + 4
    assert SeparableConvolution2D is SeparableConv2D


def test_separable_conv1d():
    layer = SeparableConv1D(5, 3, depth_multiplier=2, padding="same")
    assert layer(np.zeros((2, 8, 3))).shape == (2, 8, 5)
    assert [w.shape for w in layer.weights] == [(3, 3, 2), (1, 6, 5), (5,)]


# ---------------------------------------------------------------- errors
def _raises(fn, *patterns):
    with pytest.raises(ValueError) as info:
        fn()
    message = str(info.value)
    for p in patterns:
        assert p in message, f"{p!r} not in: {message}"
    assert "test_layers_convolutional.py" in message  # the learner's line
    return message


def test_error_kernel_larger_than_the_input():
    _raises(lambda: Conv2D(4, 5, name="big")(K.placeholder(shape=(None, 3, 8, 1))),
            'layer "big"', "(None, 3, 8, 1)", "(5, 5, 1, 4)", "larger than the input")


@pytest.mark.parametrize("make, shape, kernel", [
    (lambda: Conv1D(2, 7, name="big"), (None, 5, 3), "(7, 3, 2)"),
    (lambda: Conv3D(2, 3, name="big"), (None, 2, 5, 5, 3), "(3, 3, 3, 3, 2)"),
    (lambda: DepthwiseConv2D(5, name="big"), (None, 3, 8, 3), "(5, 5, 1, 3)"),
    (lambda: SeparableConv1D(2, 6, name="big"), (None, 5, 3), "(6, 1, 3)"),
    (lambda: Conv2D(2, 3, data_format="channels_first", name="big"), (None, 3, 2, 8),
     "(3, 3, 3, 2)"),
    (lambda: Conv1D(2, 2, dilation_rate=5, padding="valid", name="big"), (None, 5, 3),
     "spanning 6 cells"),
])
def test_error_kernel_larger_than_the_input_in_every_kind(make, shape, kernel):
    _raises(lambda: make()(K.placeholder(shape=shape)), 'layer "big"', str(shape), kernel,
            "larger than the input")


@pytest.mark.parametrize("make, first, second, weights", [
    (lambda: Conv2D(4, 3, name="c3"), (None, 8, 8, 3), (None, 8, 8, 4),
     "kernel (3, 3, 3, 4), bias (4,)"),
    (lambda: Conv1D(2, 3, data_format="channels_first", name="c3"), (None, 3, 8),
     (None, 5, 8), "kernel (3, 3, 2)"),
    (lambda: DepthwiseConv2D(3, name="c3"), (None, 8, 8, 3), (None, 8, 8, 2),
     "kernel (3, 3, 3, 1)"),
    (lambda: SeparableConv2D(2, 3, name="c3"), (None, 8, 8, 3), (None, 8, 8, 4),
     "depthwise_kernel (3, 3, 3, 1), pointwise_kernel (1, 1, 3, 2)"),
    (lambda: Conv2DTranspose(2, 3, name="c3"), (None, 8, 8, 3), (None, 8, 8, 4),
     "kernel (3, 3, 2, 3)"),
])
def test_error_channels_do_not_match_the_weights(make, first, second, weights):
    layer = make()
    layer(K.placeholder(shape=first))
    axis = 1 if layer.data_format == "channels_first" else -1
    _raises(lambda: layer(K.placeholder(shape=second)), '"c3"',
            f"axis {axis} of input shape to have value {first[axis]}", str(second), weights)


def test_error_from_the_backend_functions_names_the_op():
    x = K.placeholder(shape=(None, 8, 8, 3))
    _raises(lambda: K.conv2d(x, K.zeros((3, 3, 4, 2))), "conv:", "expects 4 input channels",
            "(None, 8, 8, 3)", "(3, 3, 4, 2)")
    _raises(lambda: K.conv2d(x, K.zeros((3, 3, 3, 2)), data_format="nhwc"), "conv:",
            "'nhwc'")
    _raises(lambda: K.conv2d(x, K.zeros((3, 3, 3, 2)), strides=(1, 0)), "conv:", "strides")
    _raises(lambda: K.pool2d(x, (2, 2), padding="causal"), "max_pool:", "'causal'")
    _raises(lambda: K.pool2d(x, (9, 2)), "max_pool:", "(None, 8, 8, 3)", "larger than")


def test_error_strides_with_dilation_and_bad_arguments():
    _raises(lambda: Conv2D(2, 3, strides=2, dilation_rate=2, name="sd"), '"sd"',
            "strides > 1 cannot be combined with dilation_rate > 1")
    _raises(lambda: Conv2DTranspose(2, 3, strides=2, dilation_rate=2), "strides")
    _raises(lambda: Conv2D(2, 3, data_format="channels_middle", name="fmt"), '"fmt"',
            "'channels_middle'", "channels_first")
    _raises(lambda: Conv2D(2, 3, padding="causal"), "padding must be one of")
    _raises(lambda: Conv2D(3, 3, groups=2), "multiple of groups")
    _raises(lambda: Conv2D(4, 3, groups=2)(K.placeholder(shape=(None, 5, 5, 3))),
            "3 channels", "groups=2")
    _raises(lambda: Conv2D(2, 0), "kernel_size must be positive")
    _raises(lambda: Conv2DTranspose(2, 3, strides=2, output_padding=2), "output_padding")
    _raises(lambda: Conv2D(2, 3)(K.placeholder(shape=(None, 8, 8))), "order 4", "(None, 8, 8)")


def test_error_from_the_op_names_the_layer_for_negative_output():
    message = _raises(lambda: Conv1D(1, 3, strides=1, dilation_rate=4, name="dil")(
        K.placeholder(shape=(None, 6, 2))), '"dil"', "spanning 9 cells", "(None, 6, 2)")
    assert isinstance(ShapeError(message), ValueError)


# ---------------------------------------------------------------- Keras 1 and 2 spellings
def test_keras1_convolution2d_arguments():
    old = Convolution2D(8, 3, 5, border_mode="same", subsample=(2, 1), dim_ordering="th",
                        init="ones", bias=False, W_regularizer=regularizers.l2(0.1),
                        input_shape=(2, 10, 10))
    new = Conv2D(8, (3, 5), padding="same", strides=(2, 1), data_format="channels_first",
                 kernel_initializer="ones", use_bias=False,
                 kernel_regularizer=regularizers.l2(0.1))
    drop = ("name",)
    assert {k: v for k, v in old.get_config().items() if k not in drop + ("batch_input_shape",)} \
        == {k: v for k, v in new.get_config().items() if k not in drop}
    assert type(old) is Conv2D and old.get_config()["batch_input_shape"] == [None, 2, 10, 10]
    assert Conv2D(nb_filter=4, nb_row=2, nb_col=3).kernel_size == (2, 3)
    assert Convolution2D(8, (3, 3), 2).strides == (2, 2)  # Keras 3 positional order


def test_keras1_convolution1d_input_dim_and_atrous():
    layer = Convolution1D(nb_filter=4, filter_length=3, subsample_length=2, input_dim=6,
                          input_length=11)
    model = Sequential([layer])
    assert model.output_shape == (None, 5, 4)
    assert AtrousConvolution1D(2, 3, atrous_rate=2).dilation_rate == (2,)
    with pytest.raises(ValueError, match="border_mode='full'"):
        Convolution2D(2, 3, 3, border_mode="full")


# ---------------------------------------------------------------- configs
@pytest.mark.parametrize("make", [
    lambda: Conv1D(3, 2, padding="causal", dilation_rate=2, activation="relu"),
    lambda: Conv2D(4, (2, 3), strides=2, padding="same", groups=2, data_format=CF,
                   kernel_initializer="he_normal", kernel_regularizer=regularizers.l1(0.01)),
    lambda: Conv3D(2, 2, use_bias=False),
    lambda: Conv2DTranspose(3, 3, strides=2, output_padding=1, padding="same"),
    lambda: Conv3DTranspose(2, (1, 2, 3)),
    lambda: DepthwiseConv2D(3, depth_multiplier=2, depthwise_initializer="ones"),
    lambda: SeparableConv2D(5, 3, depth_multiplier=3, pointwise_initializer="zeros"),
])
def test_config_round_trip(make):
    layer = make()
    config_ = layer.get_config()
    again = type(layer).from_config(config_)
    assert again.get_config() == config_
    assert all(isinstance(v, list) for k, v in config_.items()
               if k in ("kernel_size", "strides", "dilation_rate"))


def test_conv2d_config_has_keras3_keys_in_order():
    assert list(Conv2D(2, 3).get_config()) == [
        "name", "trainable", "dtype", "filters", "kernel_size", "strides", "padding",
        "data_format", "dilation_rate", "groups", "activation", "use_bias",
        "kernel_initializer", "bias_initializer", "kernel_regularizer", "bias_regularizer",
        "activity_regularizer", "kernel_constraint", "bias_constraint"]


# ---------------------------------------------------------------- training
@pytest.mark.parametrize("data_format", [CL, CF])
def test_a_small_convnet_learns(data_format):
    """Bright top half vs bright bottom half: a conv net separates them after a few steps."""
    rng = np.random.default_rng(0)
    x = rng.random((64, 6, 6, 1)).astype("float32") * 0.2
    y = rng.integers(0, 2, 64)
    x[y == 1, :3] += 1.0
    x[y == 0, 3:] += 1.0
    if data_format == CF:
        x = np.moveaxis(x, -1, 1)
    model = Sequential([Conv2D(4, 3, activation="relu", padding="same", data_format=data_format,
                               input_shape=x.shape[1:]),
                        MaxPooling2D(data_format=data_format), Flatten(data_format=data_format),
                        Dense(2, activation="softmax")])
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(x, y, epochs=30, batch_size=16, verbose=0)
    assert history.history["accuracy"][-1] == 1.0
    assert history.history["loss"][-1] < 0.5 * history.history["loss"][0]


# ---------------------------------------------------------------- fusion
def _plan_names(fn):
    return [name for _, name, _, _ in fn.plan]


def _one_step(fuse, monkeypatch):
    monkeypatch.setenv("MINIKERAS_FUSE", fuse)
    rng = np.random.default_rng(2)
    model = Sequential([Conv2D(3, 3, activation="relu", input_shape=(6, 6, 2)), Flatten(),
                        Dense(2)])
    model.compile("sgd", "mse")
    model.set_weights([rng.normal(size=w.shape).astype("float32") * 0.3
                       for w in model.get_weights()])
    x, y = rng.normal(size=(4, 6, 6, 2)).astype("float32"), np.ones((4, 2), "float32")
    model.train_on_batch(x, y)
    (fn,) = [f[0] if isinstance(f, tuple) else f for f in model._functions.values()]
    return _plan_names(fn), model.get_weights()


def test_conv_bias_relu_is_one_kernel_in_training_and_gives_the_same_numbers(monkeypatch):
    fused, fused_weights = _one_step("1", monkeypatch)
    plain, plain_weights = _one_step("0", monkeypatch)
    assert "conv_bias_relu" in fused and "conv" not in fused  # the forward conv is fused
    assert "conv_bias_relu" not in plain and "conv" in plain
    for a, b in zip(fused_weights, plain_weights):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)


def test_conv_bias_relu_is_not_fused_for_channels_first():
    x = K.placeholder(shape=(None, 2, 6, 6))
    fn = K.function([x], [Conv2D(3, 3, activation="relu", data_format=CF)(x)])
    assert "conv_bias_relu" not in _plan_names(fn)
