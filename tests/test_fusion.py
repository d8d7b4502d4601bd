"""Plan rewrites: a Dense bias add feeding only an activation runs as one kernel, the
graph itself is untouched, and the unfused plan gives the same numbers."""
import numpy as np
import pytest

import minikeras as mk
from minikeras.fusion import plan

K = mk.backend


def _dense(activation):
    x = K.placeholder(shape=(None, 4), name="x")
    w = K.variable(np.random.default_rng(0).normal(size=(4, 3)))
    b = K.variable([0.5, -0.5, 0.1])
    return x, activation(K.dot(x, w) + b)


@pytest.mark.parametrize("activation, fused", [(K.tanh, "bias_tanh"),
                                               (lambda t: mk.ops.relu(t), "bias_relu")])
def test_bias_then_activation_becomes_one_kernel(activation, fused, monkeypatch):
    x, y = _dense(activation)
    data = np.random.default_rng(1).normal(size=(5, 4)).astype("float32")
    f = K.function([x], [y])
    names = [name for _, name, _, _ in f.plan]
    assert fused in names and "add" not in names
    assert any(n.op is not None and n.op.name == "add" for n in f.nodes)  # graph unchanged
    monkeypatch.setenv("MINIKERAS_FUSE", "0")
    g = K.function([x], [y])
    assert "add" in [name for _, name, _, _ in g.plan]
    np.testing.assert_array_equal(f([data])[0], g([data])[0])


def test_no_fusion_when_the_sum_is_needed_elsewhere():
    x, _ = _dense(K.tanh)
    w = K.variable(np.ones((4, 3)))
    z = K.dot(x, w) + K.variable([1.0, 2.0, 3.0])
    f = K.function([x], [K.tanh(z), z])          # the sum itself is an output
    g = K.function([x], [K.tanh(z) + z])         # the sum has two readers
    for fn in (f, g):
        assert "bias_tanh" not in [name for _, name, _, _ in fn.plan]
    data = np.ones((2, 4), "float32")
    np.testing.assert_allclose(f([data])[1], [[5.0, 6.0, 7.0]] * 2)


def test_no_fusion_for_a_broadcast_that_is_not_a_bias():
    x = K.placeholder(shape=(None, 3))
    y = K.tanh(x + K.variable(np.ones((2, 1, 3))))  # not a 1-D bias: adds an axis
    names = [name for _, name, _, _ in plan(K.function([x], [y]).nodes)]
    assert "bias_tanh" not in names


def test_training_with_and_without_fusion_matches(monkeypatch):
    def run(fuse):
        monkeypatch.setenv("MINIKERAS_FUSE", fuse)
        mk.set_seed(5)
        from minikeras.layers import Dense
        model = mk.Sequential([Dense(8, activation="relu", input_shape=(3,)),
                               Dense(6, activation="tanh"), Dense(2)])
        model.compile("sgd", "mse")
        rng = np.random.default_rng(6)
        x, y = rng.normal(size=(20, 3)), rng.normal(size=(20, 2))
        model.fit(x, y, batch_size=5, epochs=2, verbose=0)
        return model.get_weights()
    for a, b in zip(run("1"), run("0")):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)


def test_gradient_through_dropout_and_tanh_is_one_kernel(monkeypatch):
    mk.set_seed(8)
    from minikeras.layers import Dense, Dropout
    model = mk.Sequential([Dense(6, activation="tanh", input_shape=(4,)), Dropout(0.5),
                           Dense(2)])
    model.compile("sgd", "mse")
    rng = np.random.default_rng(9)
    x, y = rng.normal(size=(7, 4)), rng.normal(size=(7, 2))
    model.train_on_batch(x, y)
    fn = next(iter(model._functions.values()))[0]
    names = [name for _, name, _, _ in fn.plan]
    assert "tanh_grad_scaled" in names and "tanh_grad" not in names


def test_fused_scaled_gradient_falls_back_when_the_product_was_broadcast():
    """If g * s had to be summed back to `like` (a broadcast batch), the kernel does it."""
    from minikeras.devices import cpu
    from minikeras.devices.reference import KERNELS as REF
    rng = np.random.default_rng(10)
    g, s = rng.normal(size=(4, 3)).astype("float32"), rng.normal(size=(4, 3)).astype("float32")
    y = np.tanh(rng.normal(size=(1, 3))).astype("float32")
    like = np.zeros((1, 3), "float32")
    want = REF["tanh_grad"](REF["sum_like"](g * s, like), y)
    for name in ("tanh_grad_scaled",):
        np.testing.assert_array_equal(cpu.KERNELS[name](g, s, y, like), want)
        np.testing.assert_array_equal(REF[name](g, s, y, like), want)


def test_training_on_the_numpy_reference_kernels_matches(monkeypatch):
    """MINIKERAS_KERNELS=numpy (the reference alone, no Numba, no fused kernels from
    cpu.py) trains to the weights the default 'cpu' table gives."""
    from minikeras import kernels
    from minikeras.layers import Dense, Dropout

    def run(kernel_set):
        monkeypatch.setenv("MINIKERAS_KERNELS", kernel_set)
        kernels.reset()
        try:
            from minikeras.devices.reference import KERNELS as REF
            assert (kernels.lookup("tanh_grad") is REF["tanh_grad"]) == (kernel_set == "numpy")
            mk.set_seed(7)
            model = mk.Sequential([Dense(8, activation="relu", input_shape=(3,)),
                                   Dense(6, activation="tanh"), Dropout(0.5),
                                   Dense(2, activation="sigmoid")])
            model.compile(mk.optimizers.SGD(0.1, momentum=0.9, nesterov=True), "mse")
            rng = np.random.default_rng(8)
            x, y = rng.normal(size=(20, 3)), rng.normal(size=(20, 2))
            model.fit(x, y, batch_size=5, epochs=2, verbose=0)
            return model.get_weights()
        finally:
            monkeypatch.delenv("MINIKERAS_KERNELS")
            kernels.reset()
    for a, b in zip(run("numpy"), run("numba")):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)


def test_relu_gradient_becomes_one_kernel(monkeypatch):
    """where(greater(y, 0), g, 0) runs as relu_grad(g, y): same gradients, no mask."""
    x, y = _dense(lambda t: mk.ops.relu(t))
    data = np.random.default_rng(2).normal(size=(6, 4)).astype("float32")
    grad = K.gradients(K.sum(y * y), [x])[0]
    f = K.function([x], [grad])
    names = [name for _, name, _, _ in f.plan]
    assert "relu_grad" in names and "greater" not in names and "where" not in names
    monkeypatch.setenv("MINIKERAS_FUSE", "0")
    g = K.function([x], [grad])
    assert "where" in [name for _, name, _, _ in g.plan]
    np.testing.assert_array_equal(f([data])[0], g([data])[0])
