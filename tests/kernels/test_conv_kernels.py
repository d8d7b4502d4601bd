"""Convolution and pooling kernels.

First the NumPy reference itself, against a different way of computing the same thing:
loops over every output cell that read the input through explicit index arithmetic
(``naive_conv``, ``naive_pool``), and the adjoint identities the gradient ops must
satisfy. Then the Numba CPU kernels against the reference, on awkward shapes: size-1
spatial axes, kernels as large as the input, strides past the kernel, odd 'same'
padding, channels_first and non-contiguous inputs, empty batches.
"""
from __future__ import annotations

import numpy as np
import pytest
from naive_conv import naive_conv, naive_pool

from minikeras.devices import reference_conv as ref

RNG = np.random.default_rng(11)


def normal(*shape, dtype=np.float64):
    return RNG.normal(size=shape).astype(dtype)


def distinct(*shape, dtype=np.float64):
    n = int(np.prod(shape))
    return (RNG.permutation(n) * 0.25 - n / 8).reshape(shape).astype(dtype)


CL, CF = "channels_last", "channels_first"
# x shape (channels_last), kernel shape, strides, padding, dilation, groups
CONV_CASES = [
    ((2, 7, 3), (3, 3, 4), (1,), "valid", (1,), 1),
    ((2, 7, 2), (3, 2, 3), (1,), "causal", (2,), 1),
    ((1, 9, 2), (2, 2, 2), (4,), "same", (1,), 1),          # stride past the kernel
    ((2, 6, 5, 3), (3, 3, 3, 2), (1, 1), "same", (1, 1), 1),
    ((2, 7, 6, 3), (4, 3, 3, 2), (2, 2), "same", (1, 1), 1),  # odd 'same' totals
    ((1, 8, 7, 4), (2, 3, 2, 6), (2, 1), ((1, 0), (2, 1)), (1, 2), 2),
    ((2, 3, 3, 2), (3, 3, 2, 2), (1, 1), "valid", (1, 1), 1),  # kernel = input
    ((2, 1, 1, 3), (1, 1, 3, 2), (1, 1), "same", (1, 1), 1),   # size-1 spatial
    ((1, 4, 5, 3, 2), (2, 3, 2, 2, 3), (1, 2, 1), "same", (1, 1, 1), 1),
    ((2, 5, 4, 3), (3, 3, 1, 6), (1, 1), "same", (1, 1), 3),   # depthwise, multiplier 2
]


def _layout(x_shape, data_format):
    return x_shape if data_format == CL else (x_shape[0], x_shape[-1], *x_shape[1:-1])


@pytest.mark.parametrize("data_format", [CL, CF])
@pytest.mark.parametrize("x_shape, w_shape, strides, padding, dilation, groups", CONV_CASES)
def test_reference_conv_against_loops(x_shape, w_shape, strides, padding, dilation, groups,
                                      data_format):
    x, w = normal(*_layout(x_shape, data_format)), normal(*w_shape)
    attrs = {"strides": strides, "padding": padding, "dilation": dilation, "groups": groups,
             "data_format": data_format}
    np.testing.assert_allclose(ref.conv(x, w, **attrs),
                               naive_conv(x, w, strides, padding, dilation, groups,
                                          data_format), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("data_format", [CL, CF])
@pytest.mark.parametrize("x_shape, w_shape, strides, padding, dilation, groups", CONV_CASES)
def test_reference_gradients_are_adjoints(x_shape, w_shape, strides, padding, dilation,
                                          groups, data_format):
    """<conv(x, w), g> = <x, conv_transpose(g, w)> = <w, conv_kernel_grad(x, g)>."""
    x, w = normal(*_layout(x_shape, data_format)), normal(*w_shape)
    attrs = {"strides": strides, "padding": padding, "dilation": dilation, "groups": groups,
             "data_format": data_format}
    y = ref.conv(x, w, **attrs)
    g = normal(*y.shape)
    dx = ref.conv_transpose(g, w, x, output_size=None, **attrs)
    dw = ref.conv_kernel_grad(x, g, kernel_size=w_shape[:-2], **attrs)
    assert dx.shape == x.shape and dw.shape == w.shape
    np.testing.assert_allclose(np.vdot(y, g), np.vdot(x, dx), rtol=1e-12)
    np.testing.assert_allclose(np.vdot(y, g), np.vdot(w, dw), rtol=1e-12)


# x shape (channels_last), pool size, strides, padding
POOL_CASES = [
    ((2, 7, 3), (2,), (2,), "valid"),
    ((2, 7, 3), (3,), (2,), "same"),
    ((2, 5, 6, 2), (3, 3), (2, 2), "same"),      # overlapping windows
    ((1, 5, 5, 2), (2, 3), (1, 1), "same"),      # odd totals: extra cell at the end
    ((1, 7, 7, 1), (2, 2), (3, 3), "valid"),     # stride past the window
    ((2, 3, 4, 2), (3, 4), (1, 1), "valid"),     # window = input
    ((2, 1, 1, 3), (1, 1), (1, 1), "same"),      # size-1 spatial
    ((1, 4, 4, 3, 2), (2, 2, 2), (2, 2, 2), "same"),
]


@pytest.mark.parametrize("mode", ["max", "avg"])
@pytest.mark.parametrize("data_format", [CL, CF])
@pytest.mark.parametrize("x_shape, pool_size, strides, padding", POOL_CASES)
def test_reference_pooling_against_loops(x_shape, pool_size, strides, padding, data_format,
                                         mode):
    x = normal(*_layout(x_shape, data_format)) - 3.0  # mostly negative: padding must lose
    attrs = {"pool_size": pool_size, "strides": strides, "padding": padding,
             "data_format": data_format}
    got = (ref.max_pool if mode == "max" else ref.avg_pool)(x, **attrs)
    np.testing.assert_allclose(got, naive_pool(x, pool_size, strides, padding, data_format,
                                               mode), rtol=1e-12, atol=1e-12)


def test_average_pooling_excludes_padding_as_keras():
    """The 5x5 ramp, pool 2 'same' (stride 2): the corner window holds only cell 24."""
    ramp = np.arange(25.0).reshape(1, 5, 5, 1)
    y = ref.avg_pool(ramp, pool_size=(2, 2), strides=(2, 2), padding="same",
                     data_format=CL)[0, :, :, 0]
    assert y[2, 2] == 24.0 and y[0, 0] == (0 + 1 + 5 + 6) / 4
    ones = ref.avg_pool(np.ones((1, 5, 5, 1)), pool_size=(3, 3), strides=(2, 2),
                        padding="same", data_format=CL)
    np.testing.assert_array_equal(ones, 1.0)


@pytest.mark.parametrize("data_format", [CL, CF])
@pytest.mark.parametrize("x_shape, pool_size, strides, padding", POOL_CASES)
def test_reference_pooling_gradients_are_adjoints(x_shape, pool_size, strides, padding,
                                                  data_format):
    x = distinct(*_layout(x_shape, data_format))
    attrs = {"pool_size": pool_size, "strides": strides, "padding": padding,
             "data_format": data_format}
    y = ref.max_pool(x, **attrs)
    g, h = normal(*y.shape), normal(*x.shape)
    np.testing.assert_allclose(np.vdot(ref.max_pool_grad(x, g, **attrs), h),
                               np.vdot(g, ref.max_pool_gather(x, h, **attrs)), rtol=1e-12)
    np.testing.assert_array_equal(ref.max_pool_gather(x, x, **attrs), y)  # the winners
    np.testing.assert_allclose(np.vdot(ref.avg_pool(h, **attrs), g),
                               np.vdot(h, ref.avg_pool_grad(g, x, **attrs)), rtol=1e-12)


def test_max_pool_gradient_goes_to_the_first_of_tied_cells():
    x = np.zeros((1, 2, 2, 1))
    dx = ref.max_pool_grad(x, np.ones((1, 1, 1, 1)), pool_size=(2, 2), strides=(2, 2),
                           padding="valid", data_format=CL)
    np.testing.assert_array_equal(dx[0, :, :, 0], [[1.0, 0.0], [0.0, 0.0]])


def test_explicit_padding_rules():
    assert ref.explicit_padding("same", (5,), (3,), (2,), (1,)) == [(1, 1)]
    assert ref.explicit_padding("same", (6,), (3,), (2,), (1,)) == [(0, 1)]  # extra at end
    assert ref.explicit_padding("same", (5,), (3,), (1,), (2,)) == [(2, 2)]
    assert ref.explicit_padding("causal", (7,), (3,), (1,), (2,)) == [(4, 0)]
    assert ref.explicit_padding("valid", (7, 2), (3, 2), (1, 1), (1, 1)) == [(0, 0), (0, 0)]
    assert ref.explicit_padding(((1, -1),), (7,), (3,), (1,), (1,)) == [(1, -1)]
    with pytest.raises(ValueError, match="unknown padding"):
        ref.explicit_padding("full", (5,), (3,), (1,), (1,))
