"""The backend K: the seeds' examples, empty shells, feeding, updates, errors."""
import numpy as np
import pytest

import minikeras as mk
from minikeras.graph import FeedError

K = mk.backend


def test_seed_axis_example():
    a = K.variable([[1, 2], [3, 4]])
    np.testing.assert_array_equal(K.eval(K.sum(a, axis=0)), [4, 6])
    np.testing.assert_array_equal(K.eval(K.sum(a, axis=1)), [3, 7])


def test_placeholder_graph_is_an_empty_shell_until_fed():
    x = K.placeholder(shape=(None, 2), name="x")
    y = K.sum(x * x, axis=1)
    assert y.shape == (None,) and not hasattr(y, "value")
    with pytest.raises(FeedError, match="placeholder\\(s\\) 'x'"):
        K.eval(y)
    f = K.function([x], [y])
    np.testing.assert_allclose(f([np.array([[1.0, 2.0], [3.0, 4.0]])])[0], [5.0, 25.0])


def test_feeding_wrong_shape_or_dtype_names_the_placeholder():
    x = K.placeholder(shape=(None, 3), name="pixels")
    f = K.function([x], [x * 2.0])
    with pytest.raises(FeedError, match="'pixels' expects shape \\(None, 3\\).*\\(2, 4\\)"):
        f([np.zeros((2, 4))])
    i = K.placeholder(shape=(2,), dtype="int32", name="ids")
    g = K.function([i], [i + 1])
    with pytest.raises(FeedError, match="'ids' holds int32.*float64"):
        g([np.zeros(2)])
    np.testing.assert_array_equal(f([np.ones((1, 3), dtype="uint8")])[0], [[2, 2, 2]])


def test_shape_error_names_op_shapes_and_learner_line():
    a = K.placeholder(shape=(None, 3))
    b = K.placeholder(shape=(None, 4))
    with pytest.raises(ValueError) as info:
        a + b  # this line must appear in the message
    msg = str(info.value)
    assert "add" in msg and "(None, 3)" in msg and "(None, 4)" in msg
    assert "test_backend.py" in msg and "a + b  # this line" in msg


def test_updates_use_old_values_then_assign():
    a = K.variable(1.0)
    b = K.variable(10.0)
    f = K.function([], [a + b], updates=[(a, b), (b, a)])  # a swap
    out = f([])
    assert out[0] == 11.0
    assert K.get_value(a) == 10.0 and K.get_value(b) == 1.0


def test_update_add_and_assign_add():
    v = K.variable([1.0, 2.0])
    f = K.function([], [], updates=[K.update_add(v, [1.0, 1.0])])
    f([])
    f([])
    np.testing.assert_array_equal(K.get_value(v), [3.0, 4.0])
    v.assign_add(K.sum(K.constant([[1.0, 1.0], [2.0, 2.0]]), axis=0))
    np.testing.assert_array_equal(K.get_value(v), [6.0, 7.0])


def test_second_derivative():
    x = K.variable(3.0)
    dy = K.gradients(x ** 3, [x])[0]
    d2y = K.gradients(dy, [x])[0]
    assert K.eval(dy) == 27.0 and K.eval(d2y) == 18.0


def test_gradients_of_one_variable_is_a_list():
    """Keras 2 accepts a single variable for ``wrt`` and still returns a list."""
    w = K.variable([1.0, 2.0])
    grads = K.gradients(K.sum(w * w), w)
    assert isinstance(grads, list) and len(grads) == 1
    np.testing.assert_array_equal(K.eval(grads[0]), [2.0, 4.0])
    (dw,) = K.gradients(K.sum(w * w), w)
    np.testing.assert_array_equal(K.eval(dw), [2.0, 4.0])


def test_softmax_and_crossentropy_finite_for_huge_logits():
    logits = K.constant([[1e4, -1e4, 0.0], [-1e4, -1e4, 1e4]])
    target = K.constant([[0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
    for out in (K.softmax(logits), K.log_softmax(logits),
                K.categorical_crossentropy(target, K.softmax(logits)),
                K.categorical_crossentropy(target, logits, from_logits=True),
                K.binary_crossentropy(target, K.sigmoid(logits)),
                K.binary_crossentropy(target, logits, from_logits=True)):
        assert np.all(np.isfinite(K.eval(out))), out
    np.testing.assert_allclose(K.eval(K.categorical_crossentropy(target, logits,
                                                                 from_logits=True)),
                               [2e4, 0.0])


def test_learning_phase_switch():
    x = K.placeholder(shape=(2,))
    y = K.in_train_phase(x * 2.0, x)
    f = K.function([x, K.learning_phase()], [y])
    np.testing.assert_array_equal(f([np.ones(2), True])[0], [2, 2])
    np.testing.assert_array_equal(f([np.ones(2), False])[0], [1, 1])
    g = K.function([x], [y])  # the learning phase defaults to test
    np.testing.assert_array_equal(g([np.ones(2)])[0], [1, 1])


def test_image_dim_ordering_aliases():
    assert K.image_dim_ordering() == "tf"
    K.set_image_dim_ordering("th")
    assert K.image_data_format() == "channels_first"
    K.set_image_data_format("channels_last")
    with pytest.raises(ValueError, match="channels_last"):
        K.set_image_data_format("rgb_last")


def test_asking_for_cuda_where_there_is_none_is_a_clear_error():
    import numba.cuda
    if numba.cuda.is_available():
        pytest.skip("this machine has CUDA")
    with pytest.raises(RuntimeError, match="CUDA kernels are not available"):
        mk.set_device("cuda")
    assert mk.config.device() == "cpu"  # no silent switch, and no half-switched state


def test_updates_apply_constraints_and_check_shapes():
    """Both kinds of update (plain pairs, fused in-place steps) keep a variable's
    constraint, and a new value of the wrong shape is an error naming the variable."""
    from minikeras import optimizers
    def clip(a):
        return np.clip(a, -1.0, 1.0)
    v = K.variable([3.0, -4.0, 0.5], constraint=clip)
    K.function([], [], updates=[(v, v * 2.0)])([])
    np.testing.assert_array_equal(K.get_value(v), [1.0, -1.0, 1.0])
    w = K.variable([0.9, -0.9], name="w", constraint=clip)
    opt = optimizers.SGD(1.0, momentum=0.9)
    f = K.function([], [], updates=opt.get_updates(K.sum(-3.0 * w * w), [w]))
    f([])
    assert any(u.kernel == "sgd_momentum_step" for u in f.in_place)  # the fused path
    np.testing.assert_array_equal(K.get_value(w), [1.0, -1.0])
    x = K.placeholder(shape=(None,))
    u = K.variable([1.0, 2.0], name="u")
    g = K.function([x], [], updates=[(u, x)])
    with pytest.raises(ValueError, match="'u': new value has shape \\(3,\\)"):
        g([[1.0, 2.0, 3.0]])
