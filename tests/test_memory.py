"""The executor's memory: buffers reused across calls, freed after last use, never
handed out while the caller (or a view) still holds them; fused and unfused paths agree."""
import tracemalloc

import numpy as np
import pytest

import minikeras as mk
from minikeras import kernels
from minikeras.memory import BufferPool, liveness

K = mk.backend


def _mlp_function():
    x = K.placeholder(shape=(None, 50), name="x")
    w = K.variable(np.random.default_rng(0).normal(size=(50, 40)) * 0.1)
    h = K.tanh(K.dot(x, w) + 0.5)
    return x, K.function([x], [K.sum(h * h, axis=1), K.reshape(h, (-1,))])


@pytest.mark.parametrize("sizes", [[200, 1, 200, 5, 200], [3, 7, 3, 1, 1, 3]])
def test_changing_batch_sizes_give_fresh_correct_results(sizes):
    """A buffer from a bigger batch must never swallow a smaller one (ufuncs would
    broadcast into it silently)."""
    x, f = _mlp_function()
    rng = np.random.default_rng(1)
    for n in sizes:
        data = rng.normal(size=(n, 50)).astype("float32")
        fresh = K.function([x], f.outputs)([data])  # a new function: no reuse at all
        got = f([data])
        assert got[0].shape == (n,)
        np.testing.assert_array_equal(got[0], fresh[0])
        np.testing.assert_array_equal(got[1], fresh[1])


def test_outputs_are_never_overwritten_by_later_calls():
    """Outputs (even views of pooled buffers, like a reshape) belong to the caller."""
    _, f = _mlp_function()
    first = f([np.ones((4, 50), "float32")])
    kept = [a.copy() for a in first]
    for _ in range(3):
        f([np.full((4, 50), -2.0, "float32")])
    for a, b in zip(first, kept):
        np.testing.assert_array_equal(a, b)


def test_steady_state_calls_allocate_almost_nothing():
    _, f = _mlp_function()
    data = np.random.default_rng(2).normal(size=(256, 50)).astype("float32")
    f([data])  # first call: buffers are made and adopted

    def allocated():
        tracemalloc.start()
        f([data])
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        return peak

    f([data])
    steady = allocated()
    one_activation = 256 * 40 * 4
    # only the outputs (which leave the pool) and small scalars are new
    assert steady < 3 * one_activation, steady


def test_intermediates_are_freed_after_their_last_use():
    """A chain of 20 ops on a 4 MB array must not hold 20 arrays at once."""
    x = K.placeholder(shape=(1024, 1024), name="x")
    y = x
    for _ in range(20):
        y = K.tanh(y) * 1.5
    f = K.function([x], [K.sum(y)])
    data = np.zeros((1024, 1024), "float32")
    f([data])
    tracemalloc.start()
    f([data])
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < 4 * data.nbytes, peak / data.nbytes


def test_liveness_keeps_a_buffer_while_its_views_are_used():
    x = K.placeholder(shape=(2, 3))
    a = x * 2.0                 # a buffer
    v = K.reshape(a, (3, 2))    # a view of it
    m = v * 3.0                 # reads the view after `a` itself was last read
    out = K.sum(m)
    from minikeras.tensor import topological_order
    nodes = topological_order([out])
    slot = {id(n): i for i, n in enumerate(nodes)}
    steps = [(slot[id(n)], kernels.returns_view(kernels.lookup(n.op.name)),
              tuple(slot[id(t)] for t in n.inputs))
             for n in nodes if n.op is not None]
    root, frees_after, _ = liveness(steps, len(nodes), {slot[id(out)]})
    ia, iv, im = slot[id(a)], slot[id(v)], slot[id(m)]
    assert root[iv] == ia
    position_of_m = [s for s, _, _ in steps].index(im)
    freed_at = [p for p, rs in frees_after.items() if ia in rs]
    assert freed_at == [position_of_m]  # not at the reshape: the view is still read by m


def test_pool_hands_out_only_what_it_adopted():
    pool = BufferPool()
    stranger = np.zeros(4)
    pool.give(stranger)
    assert pool.take((4,), stranger.dtype) is None
    mine = pool.adopt(np.zeros(4))
    view = mine[:2]
    pool.adopt(view)  # views are never adopted
    pool.give(view)
    assert len(pool) == 0
    pool.give(mine)
    assert pool.take((4,), mine.dtype) is mine


def _train_three_steps(fuse: str, monkeypatch, optimizer):
    monkeypatch.setenv("MINIKERAS_FUSE", fuse)
    mk.set_seed(3)
    from minikeras.layers import Activation, Dense, Dropout
    model = mk.Sequential([Dense(16, input_shape=(8,)), Activation("tanh"), Dropout(0.5),
                           Dense(4, activation="sigmoid"), Dense(3),
                           Activation("softmax")])
    model.compile(optimizer=optimizer, loss="categorical_crossentropy")
    rng = np.random.default_rng(4)
    x = rng.normal(size=(10, 8)).astype("float32")
    y = np.eye(3, dtype="float32")[rng.integers(0, 3, 10)]
    for _ in range(3):
        model.train_on_batch(x, y)
    return model.get_weights()


@pytest.mark.parametrize("make", [
    lambda: mk.optimizers.SGD(0.1, momentum=0.9, nesterov=True),
    lambda: mk.optimizers.SGD(0.1, momentum=0.5),
    lambda: mk.optimizers.Adam(0.01),
    lambda: mk.optimizers.RMSprop(0.01)], ids=["nesterov", "momentum", "adam", "rmsprop"])
def test_fused_and_unfused_training_give_the_same_weights(make, monkeypatch):
    fused = _train_three_steps("1", monkeypatch, make())
    plain = _train_three_steps("0", monkeypatch, make())
    for a, b in zip(fused, plain):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)


def test_fused_path_really_is_fused(monkeypatch):
    monkeypatch.setenv("MINIKERAS_FUSE", "1")
    x = K.placeholder(shape=(None, 3))
    w = K.variable(np.ones((3, 2)))
    loss = K.sum(K.tanh(K.dot(x, w)))
    opt = mk.optimizers.SGD(0.1, momentum=0.9)
    updates = opt.get_updates(loss, [w])
    assert any(type(u).__name__ == "FusedUpdate" for u in updates)
    f = K.function([x], [loss], updates)
    names = {n.op.name for n in f.nodes if n.op}
    assert "tanh_grad" in names and "sgd_momentum_step" not in names  # runs after the graph
    assert [u.kernel for u in f.in_place] == ["sgd_momentum_step"]
    monkeypatch.setenv("MINIKERAS_FUSE", "0")  # the same updates, compiled plain
    assert K.function([x], [loss], updates).in_place == []
