"""The Keras 2 backend functions added for issue 18 (item 5): values by hand or NumPy."""
import numpy as np
import pytest

import minikeras.backend as K
from minikeras.layers import Dense


def run(t, feed=None):
    if feed is None:
        return K.eval(t)
    x, value = feed
    return K.function([x], [t])([value])[0]


def test_shape_is_known_when_data_flows():
    x = K.placeholder(shape=(None, 3, 2))
    np.testing.assert_array_equal(run(K.shape(x), (x, np.zeros((5, 3, 2)))), [5, 3, 2])
    np.testing.assert_array_equal(K.eval(K.shape(K.ones((2, 4)))), [2, 4])
    assert K.int_shape(x) == (None, 3, 2)


@pytest.mark.parametrize("build, expected", [
    (lambda v: K.any(v > 2.0, axis=1), [False, True]),
    (lambda v: K.all(v > 0.0, axis=0), [True, True]),
    (lambda v: K.cumsum(v, axis=1), [[1, 3], [3, 7]]),
    (lambda v: K.reverse(v, 0), [[3, 4], [1, 2]]),
    (lambda v: K.repeat_elements(v, 2, 1), [[1, 1, 2, 2], [3, 3, 4, 4]]),
    (lambda v: K.logsumexp(v, axis=1), np.log(np.exp([[1, 2], [3, 4]]).sum(1))),
    (lambda v: K.round(v / 4), [[0, 0], [1, 1]]),        # halves go to even: 0.5 -> 0
    (lambda v: K.sin(v), np.sin([[1, 2], [3, 4]])),
    (lambda v: K.bias_add(v, K.constant([10.0, 20.0])), [[11, 22], [13, 24]]),
    (lambda v: K.identity(v), [[1, 2], [3, 4]]),
    (lambda v: K.temporal_padding(K.expand_dims(v, 0), (1, 0))[0], [[0, 0], [1, 2], [3, 4]]),
])
def test_math(build, expected):
    v = K.constant([[1.0, 2.0], [3.0, 4.0]])
    np.testing.assert_allclose(run(build(v)), expected, rtol=1e-6)


def test_in_top_k_and_arange_and_count_params():
    p = K.constant([[0.1, 0.7, 0.2], [0.5, 0.3, 0.2]])
    np.testing.assert_array_equal(K.eval(K.in_top_k(p, K.constant([2, 1], "int32"), 2)),
                                  [True, True])
    np.testing.assert_array_equal(K.eval(K.in_top_k(p, K.constant([2, 2], "int32"), 1)),
                                  [False, False])
    assert K.eval(K.arange(3)).dtype == np.int32
    assert K.count_params(K.zeros((3, 4))) == 12


def test_batch_normalization_functions():
    x = K.constant([[1.0, 10.0], [3.0, 30.0]])
    normed, mean, var = K.normalize_batch_in_training(x, None, None, [0], epsilon=0.0)
    np.testing.assert_allclose(K.eval(normed), [[-1, -1], [1, 1]], rtol=1e-6)
    np.testing.assert_allclose(K.eval(mean), [2, 20])
    np.testing.assert_allclose(K.eval(var), [1, 100])
    out = K.batch_normalization(x, K.constant([2.0, 20.0]), K.constant([1.0, 100.0]),
                                K.constant([0.5, 0.5]), K.constant([2.0, 2.0]), epsilon=0.0)
    np.testing.assert_allclose(K.eval(out), [[-1.5, -1.5], [2.5, 2.5]], rtol=1e-6)


def test_moving_average_update_and_random_variables():
    v = K.variable([1.0])
    f = K.function([], [], updates=[K.moving_average_update(v, K.constant([3.0]), 0.75)])
    f([])
    np.testing.assert_allclose(v.numpy(), [1.5])
    r = K.random_normal_variable((1000,), 2.0, 0.5, seed=1)
    assert abs(r.numpy().mean() - 2.0) < 0.1 and abs(r.numpy().std() - 0.5) < 0.05
    u = K.random_uniform_variable((1000,), -1.0, 1.0, seed=2)
    assert u.numpy().min() >= -1.0 and u.numpy().max() < 1.0


def test_uids_and_clear_session():
    K.reset_uids()
    assert [K.get_uid("x"), K.get_uid("x"), K.get_uid("y")] == [1, 2, 1]
    Dense(1)
    K.clear_session()
    assert Dense(1).name == "dense" and K.get_uid("x") == 1
    assert K.is_keras_tensor(Dense(1)(K.placeholder((None, 2)))) is True
    assert not K.is_keras_tensor(K.placeholder((None, 2)))
