"""Shared test setup: an isolated settings folder and a fixed seed for every test."""
import numpy as np
import pytest


@pytest.fixture(autouse=True)
def _isolated(tmp_path, monkeypatch):
    from minikeras import config
    from minikeras.ops.random import set_seed
    monkeypatch.setenv("MINIKERAS_HOME", str(tmp_path / "mkhome"))
    monkeypatch.delenv("MINIKERAS_DEVICE", raising=False)
    config.reload()
    set_seed(1234)
    np.random.seed(1234)
    yield
    config.reload()


@pytest.fixture
def plain_step():
    """The oracle of the in-place optimizer kernels: what the optimizer's own plain update
    pairs do (they define the step; the kernels only do it in one pass).

    ``plain_step(kernel, state, g, lr, attrs)`` -> (the kernel's input arrays, the new
    state), for ``state`` = [weight, *slots] as the kernel takes them."""
    def run(name, state, g, lr, attrs):
        import minikeras.backend as K
        from minikeras import optimizers
        make, slot_names = {
            "sgd_momentum_step": (lambda: optimizers.SGD(momentum=attrs["momentum"],
                                                         nesterov=attrs["nesterov"]),
                                  ["momentums"]),
            "adam_step": (lambda: optimizers.Adam(**attrs), ["momentums", "velocities"]),
            "rmsprop_step": (lambda: optimizers.RMSprop(**attrs), ["velocities"]),
        }[name]
        dtype = state[0].dtype
        opt, p = make(), K.variable(state[0], dtype=dtype)
        opt.build([p])
        slots = [getattr(opt, n)[0] for n in slot_names]
        for slot, value in zip(slots, state[1:]):
            K.set_value(slot, value)
        (update,) = opt.update_step(K.constant(g, dtype=dtype), p, K.constant(lr, dtype=dtype))
        assert update.kernel == name and update.attrs == attrs
        inputs = [np.asarray(K.eval(t)) for t in update.inputs]
        K.function([], [], updates=update.pairs)([])
        return inputs, [K.get_value(v) for v in [p, *slots]]
    return run
