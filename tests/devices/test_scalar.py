"""The per-element rules of ``scalar.py``, run as plain Python, agree with the NumPy
reference kernels, special values included (inf, NaN, signed zeros, huge magnitudes).

These are the very functions ``cpu.py`` compiles with Numba and ``cuda.py`` with
numba.cuda (and the CUDA simulator runs as plain Python, as here)."""
import math

import numpy as np
import pytest

from minikeras.devices import scalar
from minikeras.devices.reference import KERNELS as REF

SPECIAL = [0.0, -0.0, 1e4, -1e4, 100.0, 710.0, -710.0, math.inf, -math.inf, math.nan, 1.5,
           -2.5, 0.25]


def same(got, want):
    got, want = float(got), float(want)
    if math.isnan(want):
        return math.isnan(got)
    return got == want or math.isclose(got, want, rel_tol=1e-12, abs_tol=1e-300)


@pytest.mark.parametrize("name", sorted(scalar.UNARY))
def test_unary_rules_equal_the_reference(name):
    xs = np.array(SPECIAL)
    with np.errstate(all="ignore"):
        want = REF[name](xs)
    for x, w in zip(SPECIAL, want):
        assert same(scalar.unary(scalar.UNARY[name], x, 0.0, 0.0), w), (name, x)


def test_rules_with_attributes():
    for x in SPECIAL:
        with np.errstate(all="ignore"):
            assert same(scalar.unary(scalar.ELU, x, 0.7, 0.0), REF["elu"](np.array(x), 0.7))
            assert same(scalar.unary(scalar.CLIP, x, -2.0, 3.0),
                        REF["clip"](np.array(x), -2.0, 3.0))
        assert same(scalar.unary(scalar.SCALE, x, 2.0, 0.0), x * 2.0)


@pytest.mark.parametrize("name", sorted(scalar.BINARY))
def test_binary_rules_equal_the_reference(name):
    a, b = np.meshgrid(np.array(SPECIAL), np.array(SPECIAL))
    with np.errstate(all="ignore"):
        want = REF[name](a, b)
    for x, y, w in zip(a.ravel(), b.ravel(), want.ravel()):
        with np.errstate(all="ignore"):
            got = scalar.binary(scalar.BINARY[name], x, y)  # NumPy scalars: no errors
        assert same(got, w), (name, x, y)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_one_pass_rules_equal_the_reference_in_the_data_type(dtype):
    rng = np.random.default_rng(0)
    g, y, z, b = (rng.normal(size=50).astype(dtype) for _ in range(4))
    y = np.tanh(y)
    one = dtype(1)
    for name, rule, args in [
            ("tanh_grad", lambda u, v: scalar.activation_grad(scalar.TANH_GRAD, u, v, one),
             (g, y)),
            ("sigmoid_grad",
             lambda u, v: scalar.activation_grad(scalar.SIGMOID_GRAD, u, v, one), (g, y)),
            ("bias_relu", lambda u, v: scalar.bias_activation(scalar.BIAS_RELU, u, v),
             (z[None], b)),
            ("bias_tanh", lambda u, v: scalar.bias_activation(scalar.BIAS_TANH, u, v),
             (z[None], b))]:
        want = np.asarray(REF[name](*args)).ravel()
        got = np.array([rule(u, v) for u, v in zip(args[0].ravel(), args[1].ravel())], dtype)
        if name == "bias_tanh":  # math.tanh computes in float64
            np.testing.assert_allclose(got, want, rtol=1e-6)
        else:  # bit for bit: `one` keeps float32 arithmetic in float32
            np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("name, code, start", [("sum", scalar.SUM, 0.0),
                                               ("prod", scalar.PROD, 1.0),
                                               ("max", scalar.MAX, -math.inf),
                                               ("min", scalar.MIN, math.inf)])
def test_reductions_fold_like_the_reference(name, code, start):
    assert scalar.start_value(code) == start
    for values in ([1.5, -2.0, 4.0], [3.0, math.nan, 1.0], [-math.inf, 2.0]):
        acc = scalar.start_value(code)
        for v in values:
            acc = scalar.combine(code, acc, v)
        assert same(acc, REF[name](np.array(values), None, False)), (name, values)


def test_optimizer_rules_equal_the_optimizers_plain_updates(plain_step):
    rng = np.random.default_rng(1)
    p, g = rng.normal(size=20), rng.normal(size=20)
    m, v = rng.normal(size=20), np.abs(rng.normal(size=20))
    cases = [("sgd_momentum_step", scalar.sgd_momentum, [p, m],
              {"momentum": 0.9, "nesterov": True}, (0.9, True)),
             ("sgd_momentum_step", scalar.sgd_momentum, [p, m],
              {"momentum": 0.5, "nesterov": False}, (0.5, False)),
             ("adam_step", scalar.adam, [p, m, v],
              {"beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-7}, (1 - 0.9, 1 - 0.999, 1e-7)),
             ("rmsprop_step", scalar.rmsprop, [p, v], {"rho": 0.9, "epsilon": 1e-7},
              (0.9, 1 - 0.9, 1e-7))]
    for name, rule, state, attrs, scalars in cases:
        (grad, lr), want = plain_step(name, state, g, 0.01, attrs)
        for i in range(20):
            got = rule(*(a[i] for a in state), grad[i], float(lr), *scalars)
            np.testing.assert_allclose(got, [w[i] for w in want], rtol=1e-14, err_msg=name)
