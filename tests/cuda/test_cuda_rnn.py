"""The CUDA recurrence kernels give what the NumPy reference kernels give (on Numba's
CUDA simulator without a GPU, so the sequences are tiny: the shapes are awkward instead).

Each case runs the forward kernel and the backward kernel (fed the reference's record)
and compares both: one timestep, one unit, batch one, an empty batch, a fully masked
sequence, masked first and last steps, recurrent dropout masks, every activation, both
GRU variants, float32 and float64. A layer trained on the 'cuda' device is compared with
the same layer on the CPU.
"""
from __future__ import annotations

import importlib
import os

import numpy as np
import pytest

from minikeras.devices import reference_rnn

os.environ.setdefault("NUMBA_ENABLE_CUDASIM", "1")
try:
    gpu_rnn = importlib.import_module("minikeras.devices.cuda_rnn")
    gpu = importlib.import_module("minikeras.devices.cuda")
except ImportError as e:
    pytest.skip(f"CUDA kernels unavailable here: {e}", allow_module_level=True)

REF, GPU = reference_rnn.KERNELS, gpu_rnn.KERNELS
GATES = {"simple_rnn": 1, "lstm": 4, "gru": 3, "gru_reset_before": 3}
SHAPES = [(1, 1, 1), (2, 3, 2), (0, 2, 2), (3, 2, 1)]
rng = np.random.default_rng(11)


def tolerance(dtype):
    return {"rtol": 1e-5, "atol": 1e-6} if dtype == np.float32 else {"rtol": 1e-12,
                                                                   "atol": 1e-12}


def case(kind, shape, dtype, masked, dropped, act="tanh", ract="sigmoid"):
    B, T, u = shape
    G = GATES[kind]
    xz = rng.normal(size=(B, T, G * u)).astype(dtype)
    U = (rng.normal(size=(u, G * u)) * 0.7).astype(dtype)
    h0, c0 = rng.normal(size=(2, B, u)).astype(dtype)
    attrs = {"masked": masked, "dropped": dropped, "activation": act}
    if kind == "simple_rnn":
        args = [xz, U, h0]
    elif kind == "lstm":
        args, attrs["recurrent_activation"] = [xz, U, h0, c0], ract
    else:
        args = [xz, U, rng.normal(size=G * u).astype(dtype), h0]
        attrs.update(recurrent_activation=ract, reset_after=kind == "gru")
    if masked:
        mask = rng.random((B, T)) > 0.4
        if B > 1:
            mask[1] = False
        if B and T > 1:
            mask[0, 0] = mask[-1, -1] = False
        args.append(mask)
    if dropped:
        args.append((rng.random((B, G, u)) > 0.5).astype(dtype) * 2)
    return ("gru" if kind.startswith("gru") else kind) + "_scan", args, attrs


def compare(name, args, attrs, dtype):
    want = REF[name](*args, **attrs)
    got = gpu.to_host(GPU[name](*[gpu.to_device(a) for a in args], **attrs))
    assert got.shape == want.shape and got.dtype == want.dtype
    np.testing.assert_allclose(got, want, **tolerance(dtype))
    g = rng.normal(size=want.shape).astype(dtype)
    grad_want = REF[name + "_grad"](g, want, *args, **attrs)
    grad_got = gpu.to_host(GPU[name + "_grad"](gpu.to_device(g), gpu.to_device(want),
                                                *[gpu.to_device(a) for a in args], **attrs))
    assert grad_got.shape == grad_want.shape
    np.testing.assert_allclose(grad_got, grad_want, **tolerance(dtype))


@pytest.mark.parametrize("options", [(False, False), (True, False), (True, True)],
                         ids=["plain", "masked", "masked_dropout"])
@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: "x".join(map(str, s)))
@pytest.mark.parametrize("kind", list(GATES))
def test_kernels_equal_the_reference(kind, shape, options):
    dtype = np.float64 if shape[0] % 2 else np.float32
    name, args, attrs = case(kind, shape, dtype, *options)
    compare(name, args, attrs, dtype)


@pytest.mark.parametrize("act, ract", [("relu", "hard_sigmoid"), ("linear", "tanh"),
                                       ("sigmoid", "hard_sigmoid_keras2")])
@pytest.mark.parametrize("kind", list(GATES))
def test_other_activations(kind, act, ract):
    name, args, attrs = case(kind, (2, 3, 2), np.float64, True, False, act, ract)
    compare(name, args, attrs, np.float64)


@pytest.mark.parametrize("zero_output", [False, True])
def test_rnn_output(zero_output):
    h = rng.normal(size=(3, 4, 2)).astype(np.float32)
    mask = np.array([[0, 1, 0, 1], [0, 0, 0, 0], [1, 1, 0, 0]], bool)
    got = gpu.to_host(GPU["rnn_output"](gpu.to_device(h), gpu.to_device(mask), zero_output))
    np.testing.assert_array_equal(got, REF["rnn_output"](h, mask, zero_output))


def test_a_layer_trains_the_same_on_the_cuda_device():
    import minikeras as mk
    from minikeras import config, kernels
    x = rng.normal(size=(3, 4, 2)).astype(np.float32)
    y = rng.normal(size=(3, 3)).astype(np.float32)
    x[1, 2:] = 0.0
    results = []
    for device in ("cpu", "cuda"):
        kernels.use_device(device)
        try:
            mk.set_seed(0)
            inp = mk.layers.Input(shape=(4, 2))
            h = mk.layers.LSTM(3, return_sequences=True, go_backwards=True)(
                mk.layers.Masking(0.0)(inp))
            model = mk.Model(inp, mk.layers.GRU(3)(h))
            model.compile(mk.optimizers.SGD(0.1), "mse")
            model.train_on_batch(x, y)
            results.append([model.predict(x, verbose=0)] + model.get_weights())
        finally:
            config.set_device("cpu")
    for a, b in zip(*results):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)
