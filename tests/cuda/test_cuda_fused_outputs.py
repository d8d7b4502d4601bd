"""The CUDA fused kernels with several results give what the reference kernels give (on
Numba's CUDA simulator without a GPU: tiny, awkward arrays)."""
from __future__ import annotations

import copy
import importlib
import os

import numpy as np
import pytest

from minikeras.devices import reference

os.environ.setdefault("NUMBA_ENABLE_CUDASIM", "1")  # before numba is first imported
try:
    gpu = importlib.import_module("minikeras.devices.cuda")
except ImportError as e:
    pytest.skip(f"CUDA kernels unavailable here: {e}", allow_module_level=True)

REF = reference.KERNELS
pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")


def _close(got, want):
    got = gpu.to_host(got)
    assert got.shape == want.shape and got.dtype == want.dtype
    tol = 1e-5 if want.dtype == np.float32 else 1e-12
    np.testing.assert_allclose(got, want, rtol=tol, atol=tol, equal_nan=True)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(1, 1), (3, 5), (2, 2, 3), (0, 3)])
@pytest.mark.parametrize("name", ["tanh_grad", "sigmoid_grad", "tanh_grad_scaled",
                                  "sigmoid_grad_scaled"])
def test_gradient_with_bias_gradient(name, shape, dtype):
    rng = np.random.default_rng(0)
    g, s, y = (rng.normal(size=shape).astype(dtype) for _ in range(3))
    if g.size >= 2:
        g.reshape(-1)[:2] = [1e30, -0.0]
    y = np.tanh(y)
    bias = np.zeros(shape[-1:], dtype)
    inputs = (g, s, y, y) if "scaled" in name else (g, y)
    want = REF[name + "_bias"](*inputs, bias)
    got = gpu.KERNELS[name + "_bias"](*(gpu.to_device(a) for a in inputs), bias)
    for a, w in zip(got, want):
        _close(a, w)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(1, 1), (3, 4), (0, 2)])
@pytest.mark.parametrize("p", [0.5, 1.0])
def test_bias_tanh_dropout_draws_what_the_reference_draws(shape, dtype, p):
    rng = np.random.default_rng(1)
    z = rng.normal(size=shape).astype(dtype) * 10
    b = rng.normal(size=shape[-1:]).astype(dtype)
    draws = np.random.default_rng(2)
    twin = copy.deepcopy(draws)
    want = REF["bias_tanh_dropout"](z, b, p, 1.0 / p, twin)
    got = gpu.KERNELS["bias_tanh_dropout"](gpu.to_device(z), gpu.to_device(b), p, 1.0 / p,
                                           draws)
    for a, w in zip(got, want):
        _close(a, w)
    assert draws.random() == twin.random()  # both moved on by the same amount


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape, axis", [((1, 1), 1), ((3, 4), 1), ((3, 4), 0)])
def test_crossentropy_with_its_softmax(shape, axis, dtype):
    rng = np.random.default_rng(3)
    logits = rng.normal(size=shape).astype(dtype)
    logits.reshape(-1)[0] = 1e4
    target = rng.random(size=shape).astype(dtype)
    want_loss, want_probs = REF["softmax_crossentropy_softmax"](target, logits, axis)
    loss, probs = gpu.KERNELS["softmax_crossentropy_softmax"](
        gpu.to_device(target), gpu.to_device(logits), axis)
    _close(loss, want_loss)
    _close(probs, want_probs)
    g = rng.random(size=want_loss.shape).astype(dtype)
    want = REF["softmax_crossentropy_grad_from_softmax"](g, target, want_probs, axis)
    _close(gpu.KERNELS["softmax_crossentropy_grad_from_softmax"](
        gpu.to_device(g), gpu.to_device(target), probs, axis), want)
