"""The Numba CPU recurrence kernels give what the NumPy reference kernels give.

Awkward shapes (one timestep, one unit, batch one, an empty batch), fully masked
sequences and masked first/last steps, recurrent dropout masks, every activation, both
GRU variants, non-contiguous inputs, saturating and NaN values, float32 and float64.
"""
from __future__ import annotations

import numpy as np
import pytest

from minikeras.devices import cpu_rnn, reference_rnn

pytestmark = pytest.mark.skipif(not cpu_rnn.KERNELS, reason="no BLAS library found for Numba")

REF, CPU = reference_rnn.KERNELS, cpu_rnn.KERNELS
SHAPES = [(1, 1, 1), (1, 5, 3), (3, 1, 2), (2, 4, 1), (0, 4, 3), (5, 7, 6)]
GATES = {"simple_rnn": 1, "lstm": 4, "gru": 3, "gru_reset_before": 3}
ACTS = ["tanh", "sigmoid", "relu", "linear", "hard_sigmoid", "hard_sigmoid_keras2"]
rng = np.random.default_rng(7)


def tolerance(dtype):
    # float32: the rational tanh is within 4e-7 of tanh, and errors add up over steps
    return {"rtol": 2e-5, "atol": 5e-6} if dtype == np.float32 else {"rtol": 1e-12,
                                                                   "atol": 1e-12}


def inputs(kind, shape, dtype, masked, dropped, scale=1.0):
    """(forward kernel name, positional arrays, attrs) for one case."""
    B, T, u = shape
    G = GATES[kind]
    xz = (rng.normal(size=(B, T, G * u)) * scale).astype(dtype)
    U = (rng.normal(size=(u, G * u)) * 0.6).astype(dtype)
    h0, c0 = rng.normal(size=(2, B, u)).astype(dtype)
    attrs = {"masked": masked, "dropped": dropped}
    if kind == "simple_rnn":
        args = [xz, U, h0]
    elif kind == "lstm":
        args = [xz, U, h0, c0]
    else:
        args = [xz, U, rng.normal(size=G * u).astype(dtype), h0]
        attrs["reset_after"] = kind == "gru"
    if masked:
        mask = rng.random((B, T)) > 0.4
        if B > 1:
            mask[1] = False           # a fully masked sequence
        if B and T > 1:
            mask[0, 0] = mask[-1, -1] = False
        args.append(mask)
    if dropped:
        args.append((rng.random((B, G, u)) > 0.5).astype(dtype) * 2)
    return ("gru" if kind.startswith("gru") else kind) + "_scan", args, attrs


def activations(kind, act="tanh", ract="sigmoid"):
    return {"activation": act} if kind == "simple_rnn" else {"activation": act,
                                                             "recurrent_activation": ract}


def check(name, args, attrs, dtype):
    want = REF[name](*[np.copy(a) for a in args], **attrs)
    got = CPU[name](*args, **attrs)
    assert got.shape == want.shape and got.dtype == want.dtype
    np.testing.assert_allclose(got, want, equal_nan=True, **tolerance(dtype))
    g = rng.normal(size=want.shape).astype(dtype)
    grad_want = REF[name + "_grad"](g, want, *[np.copy(a) for a in args], **attrs)
    grad_got = CPU[name + "_grad"](g, want, *args, **attrs)
    assert grad_got.shape == grad_want.shape and grad_got.dtype == grad_want.dtype
    np.testing.assert_allclose(grad_got, grad_want, equal_nan=True, **tolerance(dtype))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("dropped", [False, True], ids=["", "dropout"])
@pytest.mark.parametrize("masked", [False, True], ids=["", "masked"])
@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: "x".join(map(str, s)))
@pytest.mark.parametrize("kind", list(GATES))
def test_kernels_equal_the_reference(kind, shape, masked, dropped, dtype):
    name, args, attrs = inputs(kind, shape, dtype, masked, dropped)
    check(name, args, {**attrs, **activations(kind)}, dtype)


@pytest.mark.parametrize("act", ACTS)
@pytest.mark.parametrize("kind", list(GATES))
def test_every_activation(kind, act):
    name, args, attrs = inputs(kind, (3, 4, 5), np.float32, True, False, scale=2.0)
    ract = ACTS[(ACTS.index(act) + 1) % len(ACTS)]
    check(name, args, {**attrs, **activations(kind, act, ract)}, np.float32)


@pytest.mark.parametrize("kind", list(GATES))
def test_non_contiguous_inputs(kind):
    name, args, attrs = inputs(kind, (4, 5, 3), np.float64, True, True)
    strided = [np.repeat(a, 2, axis=-1)[..., ::2] if a.ndim > 1 and a.dtype != bool else a
               for a in args]
    assert not strided[0].flags.c_contiguous
    check(name, strided, {**attrs, **activations(kind)}, np.float64)


@pytest.mark.parametrize("kind", list(GATES))
def test_saturating_and_nan_values(kind):
    name, args, attrs = inputs(kind, (3, 4, 4), np.float32, False, False, scale=60.0)
    check(name, args, {**attrs, **activations(kind)}, np.float32)
    args[0][0, 1, 0] = np.nan
    got = CPU[name](*args, **attrs, **activations(kind))
    want = REF[name](*args, **attrs, **activations(kind))
    np.testing.assert_array_equal(np.isnan(got), np.isnan(want))


def test_the_rational_tanh_is_close_to_tanh_everywhere():
    x = np.concatenate([np.linspace(-12, 12, 200_001), [0.0, 1e-30, -1e-30, np.inf, -np.inf,
                                                         np.nan]]).astype(np.float32)
    y = np.empty_like(x)
    cpu_rnn.activate(cpu_rnn.TANH, x, y)
    want = np.tanh(x.astype(np.float64))
    np.testing.assert_allclose(y, want, rtol=4e-7, atol=4e-7, equal_nan=True)
    assert np.all(np.abs(y[:-1]) <= 1.0)
    np.testing.assert_array_equal(y[:200_001], -y[:200_001][::-1])      # odd
    sig = np.empty_like(x)
    cpu_rnn.activate(cpu_rnn.SIGMOID, x, sig)
    np.testing.assert_allclose(sig, 1 / (1 + np.exp(-x.astype(np.float64))), atol=3e-7,
                               equal_nan=True)


def test_the_kernels_write_into_an_offered_buffer():
    name, args, attrs = inputs("lstm", (2, 3, 4), np.float32, False, False)
    attrs = {**attrs, **activations("lstm")}
    buffer = np.empty((2, 3, 28), np.float32)
    assert CPU[name](*args, **attrs, out=buffer) is buffer
    np.testing.assert_allclose(buffer, REF[name](*args, **attrs), **tolerance(np.float32))
    assert CPU[name](*args, **attrs, out=np.empty((2, 3, 5), np.float32)).shape == (2, 3, 28)


def test_other_dtypes_use_the_reference():
    name, args, attrs = inputs("simple_rnn", (2, 3, 2), np.float16, False, False)
    attrs = {**attrs, **activations("simple_rnn")}
    np.testing.assert_array_equal(CPU[name](*args, **attrs), REF[name](*args, **attrs))
