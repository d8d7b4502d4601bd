"""Fused kernels with several results (tanh + dropout, an activation's gradient + the bias
gradient, the crossentropy + the softmax its gradient needs): the plan rewriter picks
them, the unfused plan (MINIKERAS_FUSE=0) gives the same numbers, and each kernel equals
its NumPy reference and the unfused kernels on awkward arrays."""
import numba
import numpy as np
import pytest

import minikeras as mk
from minikeras import kernels
from minikeras.devices import cpu
from minikeras.devices.reference import KERNELS as REF
from minikeras.layers import Activation, Dense, Dropout
from minikeras.ops import random as random_ops

K = mk.backend


def _mlp(seed, activation="tanh"):
    mk.set_seed(seed)
    model = mk.Sequential([Dense(7, input_shape=(5,)), Activation(activation), Dropout(0.5),
                           Dense(6), Activation(activation), Dropout(0.25),
                           Dense(3), Activation("softmax")])
    model.compile(loss="categorical_crossentropy",
                  optimizer=mk.optimizers.SGD(learning_rate=0.1, momentum=0.9, nesterov=True))
    return model


def _data(n=23):
    rng = np.random.default_rng(3)
    x = rng.normal(size=(n, 5)).astype("float32")
    y = np.eye(3, dtype="float32")[rng.integers(0, 3, n)]
    return x, y


def _train(fuse, monkeypatch, activation="tanh"):
    monkeypatch.setenv("MINIKERAS_FUSE", fuse)
    model = _mlp(11, activation)
    x, y = _data()
    history = model.fit(x, y, batch_size=8, epochs=3, verbose=0, shuffle=True)
    fn = next(iter(model._functions.values()))[0]
    return model.get_weights(), history.history["loss"], [p.kernel for p in fn.plan]


def test_the_mlp_plan_uses_the_fused_kernels(monkeypatch):
    _, _, fused = _train("1", monkeypatch)
    _, _, plain = _train("0", monkeypatch)
    for name in ("bias_tanh_dropout", "tanh_grad_scaled_bias", "softmax_crossentropy_softmax",
                 "softmax_crossentropy_grad_from_softmax"):
        assert fused.count(name) == (2 if "tanh" in name else 1), (name, fused)
        assert name not in plain
    assert "bernoulli_like" not in fused and "bernoulli_like" in plain
    assert len(fused) < len(plain) - 6


@pytest.mark.parametrize("activation", ["tanh", "sigmoid"])
def test_fused_and_unfused_training_agree_to_the_bit(activation, monkeypatch):
    """Same masks (the same draws), same arithmetic in the same order: same weights."""
    weights_1, loss_1, _ = _train("1", monkeypatch, activation)
    weights_0, loss_0, _ = _train("0", monkeypatch, activation)
    assert loss_1 == loss_0
    for a, b in zip(weights_1, weights_0):
        np.testing.assert_array_equal(a, b)


def test_the_graph_and_its_printout_do_not_change(monkeypatch):
    """Fusion rewrites only the plan: the nodes the learner sees are all still there."""
    monkeypatch.setenv("MINIKERAS_FUSE", "1")
    x = K.placeholder(shape=(None, 4), name="x")
    y = random_ops.dropout(K.tanh(K.dot(x, K.variable(np.ones((4, 3)))) + K.variable(np.ones(3))),
                       0.5)
    f = K.function([x], [y])
    assert [p.kernel for p in f.plan] == ["matmul", "bias_tanh_dropout"]
    text = f.describe()
    for op in ("matmul(", "add(", "tanh(", "bernoulli_like(", "multiply("):
        assert op in text
    out = f([np.ones((2, 4), "float32")])[0]
    assert set(np.unique(out)) <= {0.0, np.float32(2 * np.tanh(5.0))}


def test_a_bias_gradient_that_is_also_needed_whole_still_fuses_correctly(monkeypatch):
    """The activation's gradient is an output too: the fused kernel hands back both."""
    x = K.placeholder(shape=(None, 3), name="x")
    b = K.variable(np.array([0.1, -0.2, 0.3]))
    y = K.tanh(x + b)
    loss = K.sum(y * y)
    gz, gb = K.gradients(loss, [x, b])
    data = np.random.default_rng(2).normal(size=(4, 3)).astype("float32")
    results = {}
    for fuse in ("1", "0"):
        monkeypatch.setenv("MINIKERAS_FUSE", fuse)
        f = K.function([x], [gz, gb])
        results[fuse] = f([data])
        assert ("tanh_grad_bias" in [p.kernel for p in f.plan]) == (fuse == "1")
    for a, c in zip(results["1"], results["0"]):
        np.testing.assert_array_equal(a, c)
    t = np.tanh(data + np.float32([0.1, -0.2, 0.3]))
    np.testing.assert_allclose(results["1"][1], (2 * t * (1 - t * t)).sum(0), rtol=1e-5)


def test_a_failing_fused_kernel_names_itself_and_the_learners_node(monkeypatch):
    monkeypatch.setenv("MINIKERAS_FUSE", "1")
    x = K.placeholder(shape=(None, 4), name="x")
    y = random_ops.dropout(K.tanh(K.dot(x, K.variable(np.ones((4, 3)))) + K.variable(np.ones(3))),
                       0.5)
    f = K.function([x], [y])
    step = next(s for s in f.steps if s.kernel.__name__ == "bias_tanh_dropout")

    def broken(*args, **kwargs):
        raise ValueError("boom")
    broken.__name__ = "bias_tanh_dropout"
    f.steps = [s._replace(kernel=broken) if s is step else s for s in f.steps]
    with pytest.raises(RuntimeError, match="fused kernel 'bias_tanh_dropout', which also "
                                           "computes") as info:
        f([np.ones((2, 4), "float32")])
    assert "test_fusion_two_outputs.py" in str(info.value) and "boom" in str(info.value)


# ---- the kernels, against the reference and the unfused kernels ----
SHAPES = [(1, 1), (1, 5), (4, 1), (6, 33), (2, 3, 4), (0, 3)]


def _awkward(shape, dtype, rng, n):
    """n arrays of ``shape``: normal values, with some extreme ones where there is room."""
    arrays = [rng.normal(size=shape).astype(dtype) for _ in range(n)]
    for a in arrays:
        if a.size >= 4:
            a.reshape(-1)[:3] = [1e30, -1e30, 0.0]
    return arrays


def _non_contiguous(a):
    """The same values in a non-contiguous array (every other element of a bigger one)."""
    big = np.empty(a.shape[:-1] + (2 * a.shape[-1],), a.dtype)
    big[..., ::2] = a
    return big[..., ::2]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("name", ["tanh_grad", "sigmoid_grad", "tanh_grad_scaled",
                                  "sigmoid_grad_scaled"])
@pytest.mark.parametrize("layout", ["contiguous", "non-contiguous"])
@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # 1e30 * 1e30 overflows, as it should
def test_gradient_with_bias_gradient(name, shape, dtype, layout):
    rng = np.random.default_rng(4)
    g, s, y = _awkward(shape, dtype, rng, 3)
    y = np.tanh(y)
    if layout == "non-contiguous":
        g, s, y = map(_non_contiguous, (g, s, y))
    bias = np.zeros(shape[-1:], dtype)
    inputs = (g, s, y, y) if "scaled" in name else (g, y)
    d_want = REF[name](*inputs)
    db_want = REF["sum_like"](d_want, bias)
    for fused in (REF[name + "_bias"], cpu.KERNELS[name + "_bias"]):
        d, db = fused(*inputs, bias)
        assert d.dtype == db.dtype == np.dtype(dtype) and db.shape == bias.shape
        np.testing.assert_array_equal(d, d_want)
        np.testing.assert_array_equal(db, db_want)
    np.testing.assert_array_equal(cpu.KERNELS[name](*inputs), d_want)  # as the unfused plan


def test_gradient_with_bias_gradient_writes_into_offered_buffers():
    rng = np.random.default_rng(5)
    g, s, y = (rng.normal(size=(5, 4)).astype("float32") for _ in range(3))
    bias = np.zeros(4, "float32")
    out = (np.empty((5, 4), "float32"), np.empty(4, "float32"))
    d, db = cpu.KERNELS["tanh_grad_scaled_bias"](g, s, y, y, bias, out=out)
    assert d is out[0] and db is out[1]
    want = REF["tanh_grad_scaled_bias"](g, s, y, y, bias)
    np.testing.assert_array_equal(d, want[0])
    np.testing.assert_array_equal(db, want[1])
    wrong = (np.empty((4, 5), "float32"), None)  # a buffer that does not fit is not used
    d, _ = cpu.KERNELS["tanh_grad_scaled_bias"](g, s, y, y, bias, out=wrong)
    assert d is not wrong[0]


def test_gradient_with_bias_gradient_falls_back_when_the_product_was_broadcast():
    rng = np.random.default_rng(6)
    g, s = rng.normal(size=(4, 3)), rng.normal(size=(4, 3))
    y, like = np.tanh(rng.normal(size=(1, 3))), np.zeros((1, 3))
    bias = np.zeros(3)
    d, db = cpu.KERNELS["tanh_grad_scaled_bias"](g, s, y, like, bias)
    want = REF["tanh_grad"](REF["sum_like"](g * s, like), y)
    np.testing.assert_array_equal(d, want)
    np.testing.assert_array_equal(db, want.sum(0))


def test_parallel_gradient_with_bias_gradient_gives_the_serial_bits(monkeypatch):
    """Big arrays run on several threads, cut by columns: each column's sum keeps its
    order, so the bits are the serial loop's."""
    rng = np.random.default_rng(7)
    g, s, y = (rng.normal(size=(300, 37)).astype("float32") for _ in range(3))
    bias = np.zeros(37, "float32")
    serial = cpu.KERNELS["tanh_grad_scaled_bias"](g, s, y, y, bias)
    monkeypatch.setattr(cpu, "GRAD_BIAS_PARALLEL_MIN_SIZE", 1)
    parallel = cpu.KERNELS["tanh_grad_scaled_bias"](g, s, y, y, bias)
    for a, b in zip(serial, parallel):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("p", [0.5, 1.0, 0.0])
def test_bias_tanh_dropout(shape, dtype, p):
    rng = np.random.default_rng(8)
    z, = _awkward(shape, dtype, rng, 1)
    b = rng.normal(size=shape[-1:]).astype(dtype)
    value = 1.0 / p if p else 1.0
    y_want = REF["tanh"](REF["add"](z, b))
    m_want = REF["bernoulli_like"](y_want, p, value, np.random.default_rng(9))
    for fused in (REF["bias_tanh_dropout"], cpu.KERNELS["bias_tanh_dropout"]):
        y, m, d = fused(z, b, p, value, np.random.default_rng(9))
        np.testing.assert_array_equal(y, y_want)
        np.testing.assert_array_equal(m, m_want)
        np.testing.assert_array_equal(d, REF["multiply"](y_want, m_want))
        assert y.dtype == m.dtype == d.dtype == np.dtype(dtype)
    # the unfused CPU mask kernel draws the same
    np.testing.assert_array_equal(
        cpu.KERNELS["bernoulli_like"](y_want, p, value, np.random.default_rng(9)), m_want)


def test_bias_tanh_dropout_non_contiguous_and_offered_buffers():
    rng = np.random.default_rng(10)
    z = _non_contiguous(rng.normal(size=(5, 6)).astype("float32"))
    b = rng.normal(size=6).astype("float32")
    out = tuple(np.empty((5, 6), "float32") for _ in range(3))
    got = cpu.KERNELS["bias_tanh_dropout"](z, b, 0.5, 2.0, np.random.default_rng(1), out=out)
    assert all(a is o for a, o in zip(got, out))
    want = REF["bias_tanh_dropout"](z, b, 0.5, 2.0, np.random.default_rng(1))
    for a, w in zip(got, want):
        np.testing.assert_array_equal(a, w)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("shape, axis", [((1, 1), 1), ((4, 3), 1), ((4, 3), 0),
                                         ((2, 3, 5), 2), ((0, 3), 1)])
def test_crossentropy_with_its_softmax(shape, axis, dtype):
    rng = np.random.default_rng(11)
    logits = rng.normal(size=shape).astype(dtype) * 3
    if logits.size >= 3:
        logits.reshape(-1)[:2] = [1e4, -1e4]  # the shift keeps exp finite
    target = rng.random(size=shape).astype(dtype)
    loss, probs = REF["softmax_crossentropy_softmax"](target, logits, axis)
    np.testing.assert_array_equal(loss, REF["softmax_crossentropy"](target, logits, axis))
    np.testing.assert_array_equal(probs, REF["softmax"](logits, axis))
    g = rng.random(size=loss.shape).astype(dtype)
    np.testing.assert_array_equal(
        REF["softmax_crossentropy_grad_from_softmax"](g, target, probs, axis),
        REF["softmax_crossentropy_grad"](g, target, logits, axis))
    # non-contiguous logits
    t_logits, t_target = logits.T, target.T
    t_axis = logits.ndim - 1 - axis
    loss_t, _ = REF["softmax_crossentropy_softmax"](t_target, t_logits, t_axis)
    np.testing.assert_array_equal(loss_t, REF["softmax_crossentropy"](t_target, t_logits,
                                                                      t_axis))


XENT = ["softmax_crossentropy", "softmax_crossentropy_softmax",
        "softmax_crossentropy_grad", "softmax_crossentropy_grad_from_softmax"]


def _xent_all(table, target, logits, g, axis):
    """Every crossentropy kernel of ``table``: the loss and softmax both ways, the
    gradient both ways (from the logits, and from the fused kernel's softmax)."""
    loss, probs = table["softmax_crossentropy_softmax"](target, logits, axis)
    return {"loss": table["softmax_crossentropy"](target, logits, axis), "fused loss": loss,
            "softmax": probs,
            "grad": table["softmax_crossentropy_grad"](g, target, logits, axis),
            "fused grad": table["softmax_crossentropy_grad_from_softmax"](g, target, probs,
                                                                          axis)}


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("shape, axis", [((1, 1), 1), ((5, 1), -1), ((1, 10), 1),
                                         ((200, 10), 1), ((3, 4, 5), 2), ((0, 10), 1),
                                         ((4, 3), 0), ((7, 40), 1)])
@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # inf - inf, as it should
def test_cpu_crossentropy_kernels_against_the_reference(shape, axis, dtype):
    """The row-by-row CPU kernels (few classes, last axis) equal NumPy's to rounding, and
    the plain and fused kernels give the same bits (one softmax routine); other shapes go
    to the reference itself."""
    rng = np.random.default_rng(12)
    logits = (rng.normal(size=shape) * 3).astype(dtype)
    if logits.size >= 8:
        logits.reshape(-1)[:4] = [1e4, -1e4, 88.0, -88.0]  # extremes the shift must tame
    target = rng.random(size=shape).astype(dtype)
    g = rng.random(size=shape[:axis] + shape[axis + 1:] if axis >= 0 else shape[:-1])
    g = g.astype(dtype)
    got, want = _xent_all(cpu.KERNELS, target, logits, g, axis), \
        _xent_all(REF, target, logits, g, axis)
    tol = 1e-5 if dtype == "float32" else 1e-12
    for key in want:
        assert got[key].shape == want[key].shape and got[key].dtype == want[key].dtype, key
        np.testing.assert_allclose(got[key], want[key], rtol=tol, atol=tol, err_msg=key)
    np.testing.assert_array_equal(got["loss"], got["fused loss"])
    np.testing.assert_array_equal(got["grad"], got["fused grad"])
    rows = cpu._as_rows(axis, target, logits) is not None
    assert rows == (axis in (-1, len(shape) - 1) and 0 < shape[-1] <= 16 and logits.size > 0)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_cpu_crossentropy_kernels_keep_nan_and_inf_where_numpy_does():
    logits = np.array([[0.0, np.nan, 1.0], [0.0, np.inf, 1.0], [-np.inf, 0.0, 1.0],
                       [-np.inf, -np.inf, -np.inf]], "float32")
    target = np.array([[0, 1, 0], [0, 1, 0], [0, 0, 1], [1, 0, 0]], "float32")
    g = np.ones(4, "float32")
    got, want = _xent_all(cpu.KERNELS, target, logits, g, 1), _xent_all(REF, target, logits, g, 1)
    for key in want:
        np.testing.assert_allclose(got[key], want[key], rtol=1e-6, err_msg=key)  # NaN == NaN


def test_cpu_crossentropy_kernels_on_non_contiguous_arrays_use_the_reference():
    rng = np.random.default_rng(13)
    logits = _non_contiguous(rng.normal(size=(6, 4)).astype("float32"))
    target = _non_contiguous(rng.random(size=(6, 4)).astype("float32"))
    g = rng.random(6).astype("float32")
    got, want = _xent_all(cpu.KERNELS, target, logits, g, 1), _xent_all(REF, target, logits, g, 1)
    for key in want:
        np.testing.assert_array_equal(got[key], want[key], err_msg=key)


def test_every_fused_kernel_declares_its_pattern_once():
    table = kernels.fusions("cpu")
    assert table[("bias_tanh", "dropout")] == "bias_tanh_dropout"
    assert table[("tanh_grad_scaled", "bias_gradient")] == "tanh_grad_scaled_bias"
    assert table[("softmax_crossentropy", "loss_gradient")] == "softmax_crossentropy_softmax"


def test_parallel_dropout_product_and_sgd_step_give_the_serial_bits(monkeypatch):
    """Big arrays (cpu.PARALLEL_ONE_PASS_MIN_SIZE) take the prange loops: elementwise, so
    the same numbers, and the dropout mask comes from the same draws."""
    rng = np.random.default_rng(14)
    z = rng.normal(size=(37, 29)).astype("float32")
    b = rng.normal(size=29).astype("float32")
    p, m, g = (rng.normal(size=(41, 13)).astype("float32") for _ in range(3))
    runs, taken = [], []
    for min_size in (cpu.PARALLEL_ONE_PASS_MIN_SIZE, 1):
        monkeypatch.setattr(cpu, "PARALLEL_ONE_PASS_MIN_SIZE", min_size)
        taken.append(cpu._parallel(z.size))
        dropped = cpu.KERNELS["bias_tanh_dropout"](z, b, 0.3, 1 / 0.7, np.random.default_rng(2))
        p2, m2 = p.copy(), m.copy()
        cpu.KERNELS["sgd_momentum_step"](p2, m2, g, 0.01, 0.9, True)
        runs.append((*dropped, p2, m2))
    assert taken == [False, numba.get_num_threads() > 1]
    for serial, parallel in zip(*runs):
        np.testing.assert_array_equal(serial, parallel)
    want = REF["bias_tanh_dropout"](z, b, 0.3, 1 / 0.7, np.random.default_rng(2))
    for got, w in zip(runs[1][:3], want):
        np.testing.assert_array_equal(got, w)
    # the prange loops themselves, whatever the thread count
    bits = rng.integers(0, 65536, size=z.size, dtype=np.uint16)
    outs = [tuple(np.empty(z.size, "float32") for _ in range(2)) for _ in range(2)]
    for loop, (mask, product) in zip((cpu._dropout_product, cpu._dropout_product_parallel),
                                     outs):
        loop(z.reshape(-1), bits, 20000, np.float32(1.5), mask, product)
    for a, c in zip(*outs):
        np.testing.assert_array_equal(a, c)
