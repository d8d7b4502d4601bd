"""The CUDA convolution and pooling kernels give what the NumPy reference gives.

Without a GPU these run on Numba's CUDA simulator (``NUMBA_ENABLE_CUDASIM=1``, set by
``python dev.py test`` and by this file), where every GPU thread is a Python thread: the
arrays are tiny, and the shapes are chosen to be awkward instead (size-1 spatial axes,
kernels as large as the input, strides past the kernel, odd 'same' padding, groups,
dilation, channels_first, non-contiguous host arrays, empty batches).
"""
from __future__ import annotations

import importlib
import os

import numpy as np
import pytest

os.environ.setdefault("NUMBA_ENABLE_CUDASIM", "1")
try:
    gpu = importlib.import_module("minikeras.devices.cuda")
    conv_gpu = importlib.import_module("minikeras.devices.cuda_conv")
except ImportError as e:  # numba was imported earlier in this process, without the
    pytest.skip(f"CUDA kernels unavailable here: {e}", allow_module_level=True)  # simulator

import minikeras as mk
from minikeras.devices import reference_conv as ref

RNG = np.random.default_rng(4)
CL, CF = "channels_last", "channels_first"


def normal(*shape, dtype=np.float32):
    return RNG.normal(size=shape).astype(dtype)


def distinct(*shape, dtype=np.float32):
    n = int(np.prod(shape))
    return (RNG.permutation(n) * 0.5 - n / 4).reshape(shape).astype(dtype)


def layout(shape, data_format):
    return shape if data_format == CL else (shape[0], shape[-1], *shape[1:-1])


def check(name, *arrays, **attrs):
    """The CUDA kernel's answer (back on the host) equals the reference's."""
    want = ref.KERNELS[name](*arrays, **attrs)
    got = conv_gpu.KERNELS[name](*(None if a is None else gpu.to_device(a) for a in arrays),
                                 **attrs)
    assert gpu._is_device(got), f"{name} returned {type(got).__name__}"
    got = gpu.to_host(got)
    assert got.shape == want.shape and got.dtype == want.dtype, (got.shape, want.shape)
    tol = 1e-5 if want.dtype == np.float32 else 1e-12
    np.testing.assert_allclose(got, want, rtol=tol, atol=tol, equal_nan=True)


def test_the_family_is_complete():
    assert set(conv_gpu.KERNELS) == set(ref.KERNELS)
    table = mk.kernels._cuda_table()
    assert all(table[name] is kernel for name, kernel in conv_gpu.KERNELS.items())


# x shape (channels_last), kernel shape, strides, padding, dilation, groups
CONV_CASES = [
    ((2, 5, 3), (3, 3, 2), (1,), "valid", (1,), 1),
    ((1, 7, 2), (3, 2, 3), (2,), "causal", (2,), 1),
    ((1, 5, 4, 2), (2, 3, 2, 3), (2, 2), "same", (1, 1), 1),      # odd 'same', even kernel
    ((1, 6, 5, 4), (3, 2, 2, 4), (1, 1), "same", (2, 1), 2),      # groups and dilation
    ((2, 3, 3, 1), (3, 3, 1, 2), (1, 1), "valid", (1, 1), 1),     # kernel = input
    ((1, 7, 7, 1), (2, 2, 1, 1), (3, 3), "valid", (1, 1), 1),     # stride past kernel
    ((2, 1, 1, 2), (1, 1, 2, 2), (1, 1), "same", (1, 1), 1),      # size-1 spatial
    ((1, 3, 4, 2, 2), (2, 2, 1, 2, 2), (1, 2, 1), "same", (1, 1, 1), 1),
    ((1, 4, 4, 3), (2, 2, 1, 6), (1, 1), ((1, 0), (0, 1)), (1, 1), 3),  # depthwise
    ((0, 4, 4, 2), (3, 3, 2, 2), (1, 1), "same", (1, 1), 1),      # empty batch
]


@pytest.mark.parametrize("data_format", [CL, CF])
@pytest.mark.parametrize("x_shape, w_shape, strides, padding, dilation, groups", CONV_CASES)
def test_conv_and_its_gradients(x_shape, w_shape, strides, padding, dilation, groups,
                                data_format):
    attrs = {"strides": strides, "padding": padding, "dilation": dilation, "groups": groups,
             "data_format": data_format}
    x, w = normal(*layout(x_shape, data_format)), normal(*w_shape)
    check("conv", x, w, **attrs)
    g = normal(*ref.conv(x, w, **attrs).shape)
    check("conv_transpose", g, w, x, output_size=None, **attrs)
    check("conv_transpose", g, w, None, output_size=ref.spatial_sizes(x, data_format), **attrs)
    check("conv_kernel_grad", x, g, kernel_size=w_shape[:-2], **attrs)


def test_conv_float64_and_non_contiguous_host_arrays():
    attrs = {"strides": (1, 2), "padding": "same", "dilation": (1, 1), "groups": 1,
             "data_format": CL}
    x = normal(2, 5, 8, 2, dtype=np.float64)[:, :, ::2]  # a strided view, uploaded as a copy
    w = normal(3, 3, 2, 2, dtype=np.float64)
    check("conv", x, w, **attrs)
    check("conv_kernel_grad", x, normal(2, 5, 2, 2, dtype=np.float64), kernel_size=(3, 3),
          **attrs)


# x shape (channels_last), pool size, strides, padding
POOL_CASES = [
    ((2, 5, 2), (2,), (2,), "valid"),
    ((1, 5, 5, 2), (3, 3), (2, 2), "same"),        # overlapping windows
    ((1, 5, 4, 1), (2, 3), (1, 1), "same"),        # odd 'same' totals
    ((1, 5, 5, 1), (2, 2), (3, 3), "valid"),       # stride past the window
    ((2, 2, 3, 1), (2, 3), (1, 1), "valid"),       # window = input
    ((1, 1, 1, 2), (1, 1), (1, 1), "same"),        # size-1 spatial
    ((1, 2, 3, 2, 1), (2, 2, 2), (1, 2, 2), "same"),
    ((0, 4, 4, 1), (2, 2), (2, 2), "valid"),       # empty batch
]


@pytest.mark.parametrize("data_format", [CL, CF])
@pytest.mark.parametrize("x_shape, pool_size, strides, padding", POOL_CASES)
def test_pooling_and_its_gradients(x_shape, pool_size, strides, padding, data_format):
    attrs = {"pool_size": pool_size, "strides": strides, "padding": padding,
             "data_format": data_format}
    x = distinct(*layout(x_shape, data_format)) - 2.0
    check("max_pool", x, **attrs)
    check("avg_pool", x, **attrs)
    y = ref.max_pool(x, **attrs)
    g, h = normal(*y.shape), normal(*x.shape)
    check("max_pool_grad", x, g, **attrs)
    check("max_pool_gather", x, h, **attrs)
    check("avg_pool_grad", g, x, **attrs)


def test_max_pooling_with_extreme_values_and_ties():
    attrs = {"pool_size": (2,), "strides": (2,), "padding": "valid", "data_format": CL}
    x = np.array([[[-np.inf], [-1e30], [np.inf], [1e30], [np.nan], [0.0], [2.0], [2.0]]],
                 np.float32)
    check("max_pool", x, **attrs)
    check("max_pool_grad", x, normal(1, 4, 1), **attrs)  # ties: the first cell
    same = dict(attrs, padding="same", pool_size=(3,), strides=(1,))
    lonely = np.array([[[np.nan], [-np.inf], [-np.inf], [-np.inf]]], np.float32)
    check("max_pool_grad", lonely, normal(1, 4, 1), **same)
    check("max_pool_gather", lonely, normal(1, 4, 1), **same)


def _train_convnet(device, data_format):
    mk.set_device(device)
    try:
        mk.set_seed(3)
        L = mk.layers
        shape = (6, 6, 2) if data_format == CL else (2, 6, 6)
        f = {"data_format": data_format}
        model = mk.Sequential([
            L.Conv2D(3, 3, padding="same", activation="relu", input_shape=shape, **f),
            L.MaxPooling2D(2, **f), L.DepthwiseConv2D(2, **f), L.AveragePooling2D(1, **f),
            L.Conv2DTranspose(2, 2, strides=2, **f), L.Flatten(**f),
            L.Dense(3, activation="softmax")])
        model.compile(optimizer=mk.optimizers.Adam(0.01), loss="categorical_crossentropy")
        rng = np.random.default_rng(5)
        x = rng.normal(size=(4, *shape)).astype("float32")
        y = np.eye(3, dtype="float32")[rng.integers(0, 3, 4)]
        losses = [model.train_on_batch(x, y) for _ in range(2)]
        return model.get_weights(), losses
    finally:
        mk.set_device("cpu")


@pytest.mark.parametrize("data_format", [CL, CF])
def test_training_a_convnet_on_cuda_matches_the_cpu(data_format):
    cpu_weights, cpu_losses = _train_convnet("cpu", data_format)
    gpu_weights, gpu_losses = _train_convnet("cuda", data_format)
    np.testing.assert_allclose(gpu_losses, cpu_losses, rtol=1e-5, atol=1e-6)
    for a, b in zip(gpu_weights, cpu_weights):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("data_format", [CL, CF])
def test_conv_bias_relu(data_format):
    attrs = {"strides": (1, 2), "padding": "same", "dilation": (1, 1), "groups": 1,
             "data_format": data_format}
    x, w, b = normal(*layout((1, 4, 5, 2), data_format)), normal(2, 3, 2, 3), normal(3)
    check("conv_bias_relu", x, w, b, **attrs)
