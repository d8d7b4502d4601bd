"""The one-pass and in-place Numba kernels equal their NumPy references (same arithmetic,
same order)."""
import numpy as np
import pytest

from minikeras.devices import cpu
from minikeras.devices.reference import KERNELS as REF

SHAPES = [(1,), (7,), (3, 1), (1, 5), (4, 33), (2, 3, 4), (0, 5)]


def _arrays(shape, dtype, n, rng):
    return [rng.normal(size=shape).astype(dtype) for _ in range(n)]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("name", ["tanh_grad", "sigmoid_grad"])
def test_activation_grads(name, shape, dtype):
    rng = np.random.default_rng(0)
    g, y = _arrays(shape, dtype, 2, rng)
    y = np.tanh(y)
    want = REF[name](g, y)
    got = cpu.KERNELS[name](g, y)
    assert got.dtype == want.dtype and got.shape == want.shape
    np.testing.assert_array_equal(got, want)
    # non-contiguous inputs, a given out buffer, and broadcasting (handed to the reference)
    if len(shape) == 2 and shape[0] > 1:
        np.testing.assert_array_equal(cpu.KERNELS[name](g.T, y.T), REF[name](g.T, y.T))
        out = np.empty_like(g)
        assert cpu.KERNELS[name](g, y, out=out) is out
        np.testing.assert_array_equal(out, want)
        np.testing.assert_array_equal(cpu.KERNELS[name](g[0], y), REF[name](g[0], y))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("loop", ["serial", "parallel"])
def test_relu_grad(shape, dtype, loop, monkeypatch):
    """Both loops: big arrays take the parallel one (cpu.PARALLEL_ONE_PASS_MIN_SIZE)."""
    if loop == "parallel":
        monkeypatch.setattr(cpu, "PARALLEL_ONE_PASS_MIN_SIZE", 1)
    rng = np.random.default_rng(2)
    g, y = _arrays(shape, dtype, 2, rng)
    y = np.maximum(y, 0)  # a relu output: zeros and positives
    if y.size:
        y.flat[0], g.flat[-1] = np.nan, np.inf  # NaN is not > 0; inf passes through
    if y.size > 2:
        y.flat[1], g.flat[1] = 0.0, -np.inf  # stopped by y = 0: 0, not NaN
    want = REF["relu_grad"](g, y)
    got = cpu.KERNELS["relu_grad"](g, y)
    assert got.dtype == want.dtype and got.shape == want.shape
    np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(want, np.where(y > 0, g, 0))
    if len(shape) == 2 and shape[0] > 1:
        np.testing.assert_array_equal(cpu.KERNELS["relu_grad"](g.T, y.T), want.T)
        out = np.empty_like(g)
        assert cpu.KERNELS["relu_grad"](g, y, out=out) is out
        np.testing.assert_array_equal(out, want)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("name, n_slots, attrs", [
    ("sgd_momentum_step", 1, {"momentum": 0.9, "nesterov": True}),
    ("sgd_momentum_step", 1, {"momentum": 0.5, "nesterov": False}),
    ("adam_step", 2, {"beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-7}),
    ("rmsprop_step", 1, {"rho": 0.9, "epsilon": 1e-7}),
])
def test_optimizer_steps_in_place(name, n_slots, attrs, shape, dtype, plain_step):
    """Three steps in place give what the optimizer's plain update pairs give."""
    rng = np.random.default_rng(1)
    p, g = _arrays(shape, dtype, 2, rng)
    slots = [np.abs(a) for a in _arrays(shape, dtype, n_slots, rng)]  # v >= 0
    state = [p.copy()] + [s.copy() for s in slots]
    for _ in range(3):
        inputs, want = plain_step(name, state, g, 0.05, attrs)
        assert cpu.KERNELS[name](*state, *inputs, **attrs) is None
        for a, b in zip(state, want):
            np.testing.assert_allclose(a, b, rtol=2e-7 if dtype == "float32" else 1e-15,
                                       atol=0)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("shape", [(1, 1), (3, 5), (4, 1), (2, 3, 4), (0, 3)])
def test_bias_relu_equals_reference(shape, dtype):
    rng = np.random.default_rng(2)
    z = rng.normal(size=shape).astype(dtype)
    b = rng.normal(size=shape[-1:]).astype(dtype)
    want = REF["bias_relu"](z, b)
    np.testing.assert_array_equal(cpu.KERNELS["bias_relu"](z, b), want)
    if z.ndim == 2 and z.shape[0] > 1:  # non-contiguous input, and a given out buffer
        zt = np.ascontiguousarray(z.T).T
        np.testing.assert_array_equal(cpu.KERNELS["bias_relu"](zt, b), REF["bias_relu"](zt, b))
        out = np.empty_like(z)
        assert cpu.KERNELS["bias_relu"](z, b, out=out) is out
        np.testing.assert_array_equal(out, want)


@pytest.mark.parametrize("p", [0.0, 0.2, 0.5, 0.8, 1.0])
@pytest.mark.parametrize("shape", [(1,), (3, 7), (0, 4), (5, 3, 2)])
def test_dropout_mask_equals_reference_draw_for_draw(p, shape):
    x = np.zeros(shape, np.float32)
    want = REF["bernoulli_like"](x, p, 2.5, np.random.default_rng(9))
    got = cpu.KERNELS["bernoulli_like"](x, p, 2.5, np.random.default_rng(9))
    assert got.dtype == want.dtype and got.shape == want.shape
    np.testing.assert_array_equal(got, want)


def test_reference_bias_kernels_equal_the_unfused_ops():
    rng = np.random.default_rng(3)
    z, b = rng.normal(size=(6, 5)).astype("float32"), rng.normal(size=5).astype("float32")
    np.testing.assert_array_equal(REF["bias_tanh"](z, b), np.tanh(z + b))
    np.testing.assert_array_equal(REF["bias_relu"](z, b), np.maximum(z + b, 0))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("shape", [(1,), (3, 1), (4, 33), (2, 3, 4), (0, 5)])
@pytest.mark.parametrize("name, plain", [("tanh_grad_scaled", "tanh_grad"),
                                         ("sigmoid_grad_scaled", "sigmoid_grad")])
def test_scaled_activation_grads_equal_the_unfused_pair(name, plain, shape, dtype):
    rng = np.random.default_rng(4)
    g, s, y = (rng.normal(size=shape).astype(dtype) for _ in range(3))
    y = np.tanh(y)
    want = REF[plain](g * s, y)
    np.testing.assert_array_equal(cpu.KERNELS[name](g, s, y, y), want)
    np.testing.assert_array_equal(REF[name](g, s, y, y), want)


@pytest.mark.parametrize("table_shape, ids", [
    ((10, 3), [[1, 2], [2, 9]]),          # repeated ids add up
    ((5,), [0, 0, 4, -1]),                # a 1-D table and a negative id
    ((4, 2, 3), [3, 1]),                  # rows that are matrices
    ((6, 4), np.zeros((0,), int)),        # no ids at all
])
def test_embedding_gradient_scatter_add(table_shape, ids):
    rng = np.random.default_rng(5)
    ids = np.asarray(ids)
    table = np.zeros(table_shape, np.float32)
    g = rng.normal(size=ids.shape + table_shape[1:]).astype(np.float32)
    want = REF["gather_grad"](g, table, ids)
    got = cpu.KERNELS["gather_grad"](g, table, ids)
    assert got.dtype == want.dtype and got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-6)


def test_embedding_gradient_out_of_range_id_is_numpys_error():
    with pytest.raises(IndexError):
        cpu.KERNELS["gather_grad"](np.ones((1, 2), np.float32), np.zeros((3, 2)), [7])
