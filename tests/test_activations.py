"""Activations: values against NumPy formulas, gradients, extreme inputs, lookup by name."""
import math

import numpy as np
import pytest

from minikeras import activations
from minikeras import backend as K
from minikeras.autograd import check_gradients

X = np.array([-7.0, -3.0, -1.5, -0.3, 0.2, 0.9, 2.5, 8.0])  # no point sits on a kink


def ev(fn, x=X, **kwargs):
    return K.eval(fn(K.constant(x, dtype="float64"), **kwargs))


def np_sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


REFERENCE = {
    "linear": lambda x: x,
    "relu": lambda x: np.maximum(x, 0.0),
    "leaky_relu": lambda x: np.where(x >= 0, x, 0.2 * x),
    "relu6": lambda x: np.clip(x, 0.0, 6.0),
    "tanh": np.tanh,
    "sigmoid": np_sigmoid,
    "elu": lambda x: np.where(x > 0, x, np.exp(x) - 1.0),
    "selu": lambda x: 1.0507009873554805 * np.where(x > 0, x, 1.6732632423543772 *
                                                    (np.exp(x) - 1.0)),
    "softplus": lambda x: np.log1p(np.exp(x)),
    "softsign": lambda x: x / (1.0 + np.abs(x)),
    "hard_sigmoid": lambda x: np.clip(x / 6.0 + 0.5, 0.0, 1.0),
    "exponential": np.exp,
    "silu": lambda x: x * np_sigmoid(x),
    "swish": lambda x: x * np_sigmoid(x),
    "gelu": lambda x: 0.5 * x * (1.0 + np.array([math.erf(v / math.sqrt(2)) for v in x])),
}


@pytest.mark.parametrize("name", sorted(REFERENCE))
def test_values_match_numpy_formulas(name):
    np.testing.assert_allclose(ev(activations.get(name)), REFERENCE[name](X), rtol=1e-6,
                               atol=1e-6)


def test_relu_options_as_keras_3():
    x = np.array([-10.0, -5.0, 0.0, 5.0, 10.0])
    np.testing.assert_array_equal(ev(activations.relu, x), [0, 0, 0, 5, 10])
    np.testing.assert_array_equal(ev(activations.relu, x, negative_slope=0.5),
                                  [-5, -2.5, 0, 5, 10])
    np.testing.assert_array_equal(ev(activations.relu, x, max_value=5.0), [0, 0, 0, 5, 5])
    np.testing.assert_array_equal(ev(activations.relu, x, threshold=5.0), [0, 0, 0, 0, 10])
    # all three together: slope below the threshold, cap above it
    got = ev(activations.relu, x, negative_slope=0.1, max_value=8.0, threshold=1.0)
    np.testing.assert_allclose(got, [-1.1, -0.6, -0.1, 5.0, 8.0])


def test_leaky_relu_slope_and_elu_alpha():
    np.testing.assert_allclose(ev(activations.leaky_relu, X, negative_slope=0.5),
                               np.where(X >= 0, X, 0.5 * X))
    np.testing.assert_allclose(ev(activations.elu, X, alpha=2.0),
                               np.where(X > 0, X, 2.0 * (np.exp(X) - 1)))


def test_softmax_and_log_softmax_along_an_axis():
    x = np.array([[1.0, 2.0, 3.0], [0.0, 0.0, 10.0]])
    for axis in (0, 1, -1):
        e = np.exp(x - x.max(axis=axis, keepdims=True))
        want = e / e.sum(axis=axis, keepdims=True)
        np.testing.assert_allclose(ev(activations.softmax, x, axis=axis), want, rtol=1e-12)
        np.testing.assert_allclose(ev(activations.log_softmax, x, axis=axis), np.log(want),
                                   rtol=1e-12)


def test_gelu_tanh_approximation():
    want = 0.5 * X * (1 + np.tanh(math.sqrt(2 / math.pi) * (X + 0.044715 * X ** 3)))
    np.testing.assert_allclose(ev(activations.gelu, approximate=True), want, rtol=1e-12)
    # the two forms agree to about 1e-3, as they should
    np.testing.assert_allclose(ev(activations.gelu, approximate=True), ev(activations.gelu),
                               atol=2e-3)


def test_extreme_inputs_stay_finite():
    big = np.array([-1e4, -100.0, 100.0, 1e4])
    for name in ("sigmoid", "tanh", "softplus", "softsign", "elu", "selu", "silu", "gelu",
                 "hard_sigmoid", "relu6", "leaky_relu", "softmax", "log_softmax"):
        out = K.eval(activations.get(name)(K.constant(big)))
        assert np.all(np.isfinite(out)), name
    np.testing.assert_array_equal(K.eval(activations.sigmoid(K.constant(big))), [0, 0, 1, 1])


@pytest.mark.parametrize("name", ["relu", "leaky_relu", "relu6", "tanh", "sigmoid", "elu",
                                  "selu", "softplus", "softsign", "hard_sigmoid",
                                  "exponential", "silu", "gelu", "softmax", "log_softmax"])
def test_gradients_match_finite_differences(name):
    x = np.array([[-2.2, -0.4, 0.3, 1.7], [0.6, -1.1, 2.4, -0.05]])
    check_gradients(activations.get(name), [x])


def test_gradients_of_relu_options_and_tanh_gelu():
    x = np.array([-2.2, -0.4, 0.3, 1.7, 4.5])
    check_gradients(lambda t: activations.relu(t, 0.3, 4.0, 0.1), [x])
    check_gradients(lambda t: activations.gelu(t, approximate=True), [x])


def test_get_none_name_and_callable():
    assert activations.get(None) is activations.linear
    assert activations.get("relu") is activations.relu
    assert activations.get("swish") is activations.silu

    def my(t):
        return t * 2

    assert activations.get(my) is my


def test_unknown_name_lists_the_valid_ones():
    with pytest.raises(ValueError, match="valid names.*'relu'.*'tanh'"):
        activations.get("rleu")
    with pytest.raises(ValueError):
        activations.get(3)


@pytest.mark.parametrize("name", sorted(set(REFERENCE) - {"swish"}) + ["log_softmax"])
def test_serialize_round_trip(name):
    fn = activations.get(name)
    assert activations.serialize(fn) == name
    assert activations.deserialize(activations.serialize(fn)) is fn
    assert activations.deserialize({"class_name": "function", "config": name}) is fn


def test_serialize_refuses_unknown_functions():
    with pytest.raises(ValueError, match="cannot serialize"):
        activations.serialize(lambda t: t)
