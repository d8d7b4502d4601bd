"""Training on the 'cuda' device (Numba's simulator in CI) gives the CPU's weights."""
import os

os.environ.setdefault("NUMBA_ENABLE_CUDASIM", "1")

import numpy as np
import pytest

import minikeras as mk
from minikeras.layers import Activation, Dense, Dropout


def _train(device, optimizer):
    mk.set_device(device)
    try:
        mk.set_seed(11)
        model = mk.Sequential([Dense(6, input_shape=(5,)), Activation("tanh"), Dropout(0.5),
                               Dense(3), Activation("softmax")])
        model.compile(optimizer=optimizer, loss="categorical_crossentropy",
                      metrics=["accuracy"])
        rng = np.random.default_rng(12)
        x = rng.normal(size=(8, 5)).astype("float32")
        y = np.eye(3, dtype="float32")[rng.integers(0, 3, 8)]
        losses = [model.train_on_batch(x, y)[0] for _ in range(3)]
        return model.get_weights(), losses, model.predict(x, verbose=0)
    finally:
        mk.set_device("cpu")


@pytest.mark.parametrize("make", [lambda: mk.optimizers.SGD(0.1, momentum=0.9, nesterov=True),
                                  lambda: mk.optimizers.Adam(0.01)], ids=["nesterov", "adam"])
def test_three_steps_on_cuda_match_cpu(make):
    cpu_weights, cpu_losses, cpu_pred = _train("cpu", make())
    gpu_weights, gpu_losses, gpu_pred = _train("cuda", make())
    np.testing.assert_allclose(gpu_losses, cpu_losses, rtol=1e-5, atol=1e-6)
    for a, b in zip(gpu_weights, cpu_weights):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(gpu_pred, cpu_pred, rtol=1e-5, atol=1e-6)


def test_parameters_stay_on_the_gpu_between_steps():
    mk.set_device("cuda")
    try:
        model = mk.Sequential([Dense(2, input_shape=(3,))])
        model.compile(optimizer="sgd", loss="mse")
        x, y = np.ones((4, 3), "float32"), np.zeros((4, 2), "float32")
        model.train_on_batch(x, y)
        kernel = model.layers[0].kernel
        on_gpu = kernel._device
        assert on_gpu is not None and kernel._device_is_newer
        model.train_on_batch(x, y)
        assert kernel._device is not on_gpu or kernel._device_is_newer  # updated there
        before = kernel.value.copy()  # reading the value brings it back to the host
        assert not kernel._device_is_newer
        np.testing.assert_array_equal(before, kernel.numpy())
    finally:
        mk.set_device("cpu")


def test_updates_on_the_gpu_keep_constraints_and_check_shapes():
    import minikeras.backend as K
    mk.set_device("cuda")
    try:
        v = K.variable([3.0, -4.0, 0.5], constraint=lambda a: np.clip(a, -1.0, 1.0))
        f = K.function([], [], updates=[(v, v * 2.0)])
        f([])
        f([])
        np.testing.assert_array_equal(v.numpy(), [1.0, -1.0, 1.0])
        x = K.placeholder(shape=(None,))
        u = K.variable([1.0, 2.0], name="u")
        g = K.function([x], [], updates=[(u, x)])
        with pytest.raises(ValueError, match="'u': new value has shape \\(3,\\)"):
            g([[1.0, 2.0, 3.0]])
    finally:
        mk.set_device("cpu")
