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


# ---------------------------------------------------------------- the Numba CPU kernels
cpu = pytest.importorskip("minikeras.devices.cpu_conv")
FLOATS = [np.float32, np.float64]


def tolerance(dtype):
    return {"rtol": 2e-5, "atol": 2e-5} if dtype == np.float32 else {"rtol": 1e-12,
                                                                     "atol": 1e-12}


def assert_same(got, want):
    assert got.shape == want.shape and got.dtype == want.dtype, (got.shape, want.shape)
    np.testing.assert_allclose(got, want, equal_nan=True, **tolerance(want.dtype))


def views(x):
    """x, and a non-contiguous array with the same values (every other element of a
    bigger one)."""
    yield x
    wide = np.repeat(x, 2, axis=-1)[..., ::2]
    assert not wide.flags.c_contiguous or x.size <= 1
    yield wide


# (x shape channels_last, kernel shape, strides, padding, dilation, groups): the awkward ones
CPU_CONV_CASES = CONV_CASES + [
    ((3, 5, 5, 2), (5, 5, 2, 3), (1, 1), "valid", (1, 1), 1),   # kernel = input
    ((2, 9, 9, 2), (2, 2, 2, 3), (4, 3), "valid", (1, 1), 1),   # stride past the kernel
    ((2, 7, 7, 3), (2, 2, 3, 4), (2, 2), "same", (1, 1), 1),    # even kernel, odd 'same'
    ((0, 6, 6, 2), (3, 3, 2, 2), (1, 1), "same", (1, 1), 1),    # empty batch
    ((2, 1, 7, 2), (1, 3, 2, 2), (1, 2), "same", (1, 1), 1),    # a size-1 spatial axis
    ((1, 6, 2), (3, 1, 4), (1,), "causal", (2,), 2),
    ((2, 5, 5, 4), (3, 3, 1, 4), (2, 1), "same", (1, 1), 4),    # depthwise, multiplier 1
    ((1, 4, 5, 3, 2), (2, 2, 3, 1, 2), (1, 1, 2), "same", (2, 1, 1), 2),  # depthwise 3-D
]


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("data_format", [CL, CF])
@pytest.mark.parametrize("x_shape, w_shape, strides, padding, dilation, groups",
                         CPU_CONV_CASES)
def test_cpu_conv_kernels_match_the_reference(x_shape, w_shape, strides, padding, dilation,
                                              groups, data_format, dtype):
    attrs = {"strides": strides, "padding": padding, "dilation": dilation, "groups": groups,
             "data_format": data_format}
    x0, w = normal(*_layout(x_shape, data_format), dtype=dtype), normal(*w_shape, dtype=dtype)
    for x in views(x0):
        y = ref.conv(x, w, **attrs)
        assert_same(cpu.conv(x, w, **attrs), y)
        g = normal(*y.shape, dtype=dtype)
        for gv in views(g):
            assert_same(cpu.conv_transpose(gv, w, x, output_size=None, **attrs),
                        ref.conv_transpose(gv, w, x, output_size=None, **attrs))
            assert_same(cpu.conv_kernel_grad(x, gv, kernel_size=w_shape[:-2], **attrs),
                        ref.conv_kernel_grad(x, gv, kernel_size=w_shape[:-2], **attrs))
    sizes = ref.spatial_sizes(x0, data_format)  # output_size instead of like
    assert_same(cpu.conv_transpose(g, w, output_size=sizes, **attrs),
                ref.conv_transpose(g, w, output_size=sizes, **attrs))


def test_depthwise_kernel_gradient_has_the_same_bits_on_any_number_of_threads():
    """Its samples are summed in a fixed number of parts, not one per thread: the same
    order of sums, so the same numbers on a 2-core laptop and a 64-core server."""
    import numba
    attrs = {"strides": (1, 1), "padding": "same", "dilation": (1, 1), "groups": 4,
             "data_format": CL}
    x, g = normal(37, 6, 5, 4, dtype=np.float32), normal(37, 6, 5, 8, dtype=np.float32)
    before = numba.get_num_threads()
    results = []
    try:
        for threads in sorted({1, before}):
            numba.set_num_threads(threads)
            results.append(cpu.conv_kernel_grad(x, g, kernel_size=(3, 3), **attrs))
    finally:
        numba.set_num_threads(before)
    for r in results[1:]:
        np.testing.assert_array_equal(r, results[0])
    assert_same(results[0], ref.conv_kernel_grad(x, g, kernel_size=(3, 3), **attrs))


def test_cpu_conv_writes_into_an_offered_buffer_and_reuses_its_scratch():
    attrs = {"strides": (1, 1), "padding": "same", "dilation": (1, 1), "groups": 1,
             "data_format": CL}
    x, w = normal(2, 6, 5, 3, dtype=np.float32), normal(3, 3, 3, 4, dtype=np.float32)
    out = np.full((2, 6, 5, 4), np.nan, np.float32)
    assert cpu.conv(x, w, out=out, **attrs) is out
    assert_same(out, ref.conv(x, w, **attrs))
    small = normal(1, 3, 3, 3, dtype=np.float32)  # a smaller im2col in the same scratch
    assert_same(cpu.conv(small, w, **attrs), ref.conv(small, w, **attrs))
    assert_same(cpu.conv(x, w, **attrs), ref.conv(x, w, **attrs))


def test_cpu_conv_hands_other_dtypes_to_the_reference():
    attrs = {"strides": (1,), "padding": "valid", "dilation": (1,), "groups": 1,
             "data_format": CL}
    x, w = np.arange(12).reshape(1, 6, 2), np.ones((2, 2, 1), np.int64)
    np.testing.assert_array_equal(cpu.conv(x, w, **attrs), ref.conv(x, w, **attrs))
    mixed = cpu.conv(x.astype(np.float32), w.astype(np.float64), **attrs)
    assert mixed.dtype == np.float64


CPU_POOL_CASES = POOL_CASES + [
    ((0, 4, 4, 2), (2, 2), (2, 2), "valid"),   # empty batch
    ((2, 6, 1), (4,), (1,), "same"),           # even window, 'same'
]


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("data_format", [CL, CF])
@pytest.mark.parametrize("x_shape, pool_size, strides, padding", CPU_POOL_CASES)
def test_cpu_pooling_kernels_match_the_reference(x_shape, pool_size, strides, padding,
                                                 data_format, dtype):
    attrs = {"pool_size": pool_size, "strides": strides, "padding": padding,
             "data_format": data_format}
    x0 = distinct(*_layout(x_shape, data_format), dtype=dtype)
    for x in views(x0):
        y = ref.max_pool(x, **attrs)
        assert_same(cpu.max_pool(x, **attrs), y)
        assert_same(cpu.avg_pool(x, **attrs), ref.avg_pool(x, **attrs))
        g, h = normal(*y.shape, dtype=dtype), normal(*x.shape, dtype=dtype)
        assert_same(cpu.max_pool_grad(x, g, **attrs), ref.max_pool_grad(x, g, **attrs))
        assert_same(cpu.max_pool_gather(x, h, **attrs), ref.max_pool_gather(x, h, **attrs))
        assert_same(cpu.avg_pool_grad(g, x, **attrs), ref.avg_pool_grad(g, x, **attrs))


@pytest.mark.parametrize("data_format", [CL, CF])
def test_cpu_pooling_gradients_fill_an_offered_buffer_with_garbage_in_it(data_format):
    """The executor offers reused buffers: every cell must be written, zeros included
    (the last row and column here belong to no window)."""
    attrs = {"pool_size": (2, 2), "strides": (2, 2), "padding": "valid",
             "data_format": data_format}
    x = distinct(*_layout((3, 5, 7, 4), data_format), dtype=np.float32)
    g = normal(*ref.max_pool(x, **attrs).shape, dtype=np.float32)
    for name, args in (("max_pool_grad", (x, g)), ("avg_pool_grad", (g, x))):
        out = np.full(x.shape, np.nan, np.float32)
        got = getattr(cpu, name)(*args, out=out, **attrs)
        assert got is out
        assert_same(out, ref.KERNELS[name](*args, **attrs))


def test_cpu_max_pool_with_extreme_values():
    x = np.array([[[-np.inf], [-1e30], [np.inf], [1e30], [np.nan], [0.0]]], np.float32)
    attrs = {"pool_size": (2,), "strides": (2,), "padding": "valid", "data_format": CL}
    assert_same(cpu.max_pool(x, **attrs), ref.max_pool(x, **attrs))
    g = np.array([[[np.inf], [1.0], [-np.inf]]], np.float32)  # no 0 * inf = NaN elsewhere
    h = np.array([[[np.inf], [2.0], [np.nan], [3.0], [-np.inf], [np.inf]]], np.float32)
    assert_same(cpu.max_pool_grad(x, g, **attrs), ref.max_pool_grad(x, g, **attrs))
    assert_same(cpu.max_pool_gather(x, h, **attrs), ref.max_pool_gather(x, h, **attrs))
    # windows with nothing above -inf: the first cell wins, if it is not padding
    odd = np.array([[[np.nan], [-np.inf], [-np.inf], [-np.inf], [-np.inf]]], np.float32)
    same = dict(attrs, padding="same", pool_size=(3,), strides=(1,))
    g5 = normal(1, 5, 1, dtype=np.float32)
    assert_same(cpu.max_pool_grad(odd, g5, **same), ref.max_pool_grad(odd, g5, **same))
    assert_same(cpu.max_pool_gather(odd, g5, **same), ref.max_pool_gather(odd, g5, **same))
    ties = np.zeros((1, 4, 1), np.float64)  # the first of tied cells gets the gradient
    assert_same(cpu.max_pool_grad(ties, np.ones((1, 2, 1)), **attrs),
                ref.max_pool_grad(ties, np.ones((1, 2, 1)), **attrs))


def test_every_cpu_kernel_has_a_reference():
    assert set(cpu.KERNELS) <= set(ref.KERNELS)
    assert set(cpu.KERNELS) == set(ref.KERNELS)  # the whole family is fast on the CPU


@pytest.mark.parametrize("data_format", [CL, CF])
@pytest.mark.parametrize("dtype", FLOATS)
def test_cpu_conv_bias_relu(data_format, dtype):
    attrs = {"strides": (2, 1), "padding": "same", "dilation": (1, 1), "groups": 1,
             "data_format": data_format}
    x = normal(*_layout((2, 7, 6, 3), data_format), dtype=dtype)
    w, b = normal(3, 2, 3, 4, dtype=dtype), normal(4, dtype=dtype)
    want = ref.conv_bias_relu(x, w, b, **attrs)
    assert (want == 0).any() and (want > 0).any()
    assert_same(cpu.conv_bias_relu(x, w, b, **attrs), want)
    out = np.empty(want.shape, dtype)
    assert cpu.conv_bias_relu(x, w, b, out=out, **attrs) is out
    assert_same(out, want)
    nan = b.copy()
    nan[0] = np.nan  # NaN stays NaN, as np.maximum
    assert_same(cpu.conv_bias_relu(x, w, nan, **attrs), ref.conv_bias_relu(x, w, nan, **attrs))
