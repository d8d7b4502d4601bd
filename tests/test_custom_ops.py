"""Ops a learner defines at run time (ops.custom.define_op): a NumPy forward, a backward
rule written with ops, and the shape rule; lesson 03 builds its extension exercise on it."""
import numpy as np
import pytest

import minikeras.backend as K
from minikeras import config
from minikeras.autograd import check_gradients
from minikeras.ops import REGISTRY, define_op, unbroadcast
from minikeras.ops.core import broadcasting
from minikeras.ops.custom import USER_OPS


def swish_grad(y, g):
    s = K.sigmoid(y.inputs[0])
    return [g * (s + y * (1.0 - s))]


def test_forward_backward_and_second_derivative():
    swish = define_op("test_swish", lambda x: x / (1.0 + np.exp(-x)), swish_grad)
    x = np.linspace(-4.0, 4.0, 9)
    np.testing.assert_allclose(K.eval(swish(K.constant(x, dtype="float64"))),
                               x / (1.0 + np.exp(-x)))
    assert check_gradients(swish, [x])[0].ok
    # the rule is a graph of ops, so it can be differentiated again
    assert check_gradients(lambda t: K.gradients(K.sum(swish(t)), t)[0], [x])[0].ok
    assert swish.op.name == "test_swish" and swish(K.placeholder((None, 3))).shape == (None, 3)


def test_a_wrong_rule_is_caught_by_check_gradients():
    bad = define_op("test_bad_swish", lambda x: x / (1.0 + np.exp(-x)),
                    lambda y, g: [g * K.sigmoid(y.inputs[0])])      # product rule forgotten
    with pytest.raises(AssertionError, match="MISMATCH"):
        check_gradients(bad, [np.array([0.5, -1.0, 2.0])])


def test_a_binary_op_with_a_shape_rule_and_broadcasting():
    def hypot_grad(y, g):
        a, b = y.inputs
        return [unbroadcast(g * a / y, a), unbroadcast(g * b / y, b)]

    hypot = define_op("test_hypot", np.hypot, hypot_grad, infer=broadcasting)
    a, b = np.array([[3.0, 1.0, -2.0], [0.5, 2.0, 1.0]]), np.array([4.0, -1.0, 0.7])
    assert hypot(K.constant(a), K.constant(b)).shape == (2, 3)
    np.testing.assert_allclose(K.eval(hypot(K.constant(a, dtype="float64"),
                                            K.constant(b, dtype="float64"))), np.hypot(a, b))
    reports = check_gradients(hypot, [a, b])
    assert all(r.ok for r in reports)


def test_defining_again_replaces_and_library_names_are_taken():
    first = define_op("test_twice", lambda x: x * 2.0, lambda y, g: [g * 2.0])
    second = define_op("test_twice", lambda x: x * 3.0, lambda y, g: [g * 3.0])
    assert K.eval(first(K.constant(1.0))) == 2.0      # graphs built before keep their op
    assert K.eval(second(K.constant(1.0))) == 3.0
    assert USER_OPS["test_twice"] is second.op
    assert "test_twice" not in REGISTRY                 # the library's registry is untouched
    with pytest.raises(ValueError, match="one of minikeras's own ops"):
        define_op("tanh", np.tanh)
    with pytest.raises(TypeError, match="forward must be a function"):
        define_op("test_no_forward", None)


def test_an_op_without_a_rule_lets_no_gradient_through():
    step = define_op("test_step", lambda x: (x > 0).astype(x.dtype))
    x = K.variable([-1.0, 2.0])
    (g,) = K.gradients(K.sum(step(x)) + K.sum(x), [x])
    np.testing.assert_array_equal(K.eval(g), [1.0, 1.0])


def test_defined_ops_run_on_the_cpu_only(monkeypatch):
    double = define_op("test_double", lambda x: x * 2.0, lambda y, g: [g * 2.0])
    x = K.placeholder(shape=(2,))
    monkeypatch.setattr(config, "device", lambda: "cuda")
    with pytest.raises((NotImplementedError, RuntimeError), match="CPU only|cuda"):
        K.function([x], [double(x)])
