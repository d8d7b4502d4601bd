"""``minikeras.ops`` is Keras 3's ``keras.ops`` (issue 18, item 2): arrays in, arrays out
now; graph tensors in, graph nodes out; one implementation (the primitive ops).

Values are checked against NumPy (the definition of the functions) and hand-worked
numbers; tests/interop/test_ops_parity.py checks them against real Keras 3.
"""
import numpy as np
import pytest

import minikeras as keras
import minikeras.backend as K
from minikeras import layers, ops
from minikeras.ops.core import ShapeError
from minikeras.tensor import Tensor

X = np.arange(12.0).reshape(3, 4) - 5.0


def test_arrays_in_arrays_out():
    y = ops.matmul(X, X.T)
    assert isinstance(y, np.ndarray) and not isinstance(y, Tensor)
    np.testing.assert_array_equal(y, X @ X.T)
    assert isinstance(ops.sum(X), np.ndarray) and float(ops.sum(X)) == X.sum()


def test_tensors_in_nodes_out_through_the_same_primitive():
    x = K.placeholder((None, 4))
    y = ops.matmul(x, X.T)
    assert isinstance(y, Tensor) and y.op.name == "matmul" and y.shape == (None, 3)
    f = K.function([x], [ops.mean(ops.square(y), axis=-1)])
    np.testing.assert_allclose(f([X])[0], np.mean((X @ X.T) ** 2, axis=-1), rtol=1e-6)


def test_results_feed_fit_predict_and_numpy():
    model = keras.Sequential([layers.Input((4,)), layers.Dense(1, kernel_initializer="ones")])
    x = ops.ones((5, 4))
    assert np.allclose(model.predict(x, verbose=0), 4.0)
    model.compile("sgd", "mse")
    model.fit(ops.zeros((5, 4)), ops.zeros((5, 1)), verbose=0)
    assert np.exp(ops.log(ops.ones(2))).tolist() == [1.0, 1.0]


@pytest.mark.parametrize("call, expected", [
    (lambda: ops.sum(X, axis=0), X.sum(0)),
    (lambda: ops.mean(X, axis=1, keepdims=True), X.mean(1, keepdims=True)),
    (lambda: ops.max(X), X.max()),
    (lambda: ops.min(X, axis=0), X.min(0)),
    (lambda: ops.prod(X[:, :2] + 6, axis=1), (X[:, :2] + 6).prod(1)),
    (lambda: ops.var(X), X.var()),
    (lambda: ops.std(X, axis=0), X.std(0)),
    (lambda: ops.exp(X / 10), np.exp(X / 10)),
    (lambda: ops.log(X + 6), np.log(X + 6)),
    (lambda: ops.sqrt(X + 6), np.sqrt(X + 6)),
    (lambda: ops.square(X), X ** 2),
    (lambda: ops.abs(X), np.abs(X)),
    (lambda: ops.sin(X), np.sin(X)),
    (lambda: ops.cos(X), np.cos(X)),
    (lambda: ops.tan(X / 10), np.tan(X / 10)),
    (lambda: ops.log1p(X + 5.5), np.log1p(X + 5.5)),
    (lambda: ops.expm1(X / 10), np.expm1(X / 10)),
    (lambda: ops.floor(X / 3), np.floor(X / 3)),
    (lambda: ops.ceil(X / 3), np.ceil(X / 3)),
    (lambda: ops.round(X / 4), np.round(X / 4)),
    (lambda: ops.mod(X, 3.0), np.mod(X, 3.0)),
    (lambda: ops.floor_divide(X, 3.0), np.floor_divide(X, 3.0)),
    (lambda: ops.where(X > 0, X, -1.0), np.where(X > 0, X, -1.0)),
    (lambda: ops.clip(X, -2, 2), np.clip(X, -2, 2)),
    (lambda: ops.maximum(X, 0.5), np.maximum(X, 0.5)),
    (lambda: ops.stack([X, X], axis=1), np.stack([X, X], axis=1)),
    (lambda: ops.concatenate([X, X]), np.concatenate([X, X])),          # axis=0
    (lambda: ops.concatenate([X, X], axis=-1), np.concatenate([X, X], -1)),
    (lambda: ops.reshape(X, (2, -1)), X.reshape(2, -1)),
    (lambda: ops.transpose(X), X.T),
    (lambda: ops.transpose(X[None], (2, 0, 1)), X[None].transpose(2, 0, 1)),
    (lambda: ops.expand_dims(X, 1), X[:, None]),
    (lambda: ops.squeeze(X[None, :, None]), X),                          # all size-1 axes
    (lambda: ops.tile(X, 2), np.tile(X, 2)),
    (lambda: ops.tile(X[0], (2, 2)), np.tile(X[0], (2, 2))),
    (lambda: ops.repeat(X, 2, axis=0), np.repeat(X, 2, axis=0)),
    (lambda: ops.repeat(X, 3), np.repeat(X, 3)),
    (lambda: ops.flip(X, 1), np.flip(X, 1)),
    (lambda: ops.cumsum(X, axis=1), np.cumsum(X, 1)),
    (lambda: ops.cumsum(X), np.cumsum(X)),
    (lambda: ops.sort(-X, axis=0), np.sort(-X, axis=0)),
    (lambda: ops.argsort(np.array([3.0, 1.0, 2.0])), [1, 2, 0]),
    (lambda: ops.argmax(X), 11),                               # flattened: Keras 3's None
    (lambda: ops.argmax(X, axis=0), [2, 2, 2, 2]),
    (lambda: ops.argmin(X, axis=1, keepdims=True), [[0], [0], [0]]),
    (lambda: ops.take(X, np.array([0, 2]), axis=1), np.take(X, [0, 2], axis=1)),
    (lambda: ops.take(X, np.array([[1], [5]])), np.take(X, [[1], [5]])),
    (lambda: ops.take_along_axis(X, np.array([[3], [0], [1]]), axis=1),
     np.take_along_axis(X, np.array([[3], [0], [1]]), 1)),
    (lambda: ops.broadcast_to(X[0], (2, 4)), np.broadcast_to(X[0], (2, 4))),
    (lambda: ops.pad(X, ((1, 0), (0, 2))), np.pad(X, ((1, 0), (0, 2)))),
    (lambda: ops.tril(X), np.tril(X)),
    (lambda: ops.triu(X, 1), np.triu(X, 1)),
    (lambda: ops.outer(X[0], X[1]), np.outer(X[0], X[1])),
    (lambda: ops.dot(X, X.T), X @ X.T),
    (lambda: ops.norm(X), np.linalg.norm(X)),
    (lambda: ops.norm(X, axis=1), np.linalg.norm(X, axis=1)),
    (lambda: ops.norm(X, ord=1, axis=0), np.linalg.norm(X, 1, axis=0)),
    (lambda: ops.moveaxis(X[None], 0, -1), np.moveaxis(X[None], 0, -1)),
    (lambda: ops.swapaxes(X, 0, 1), X.T),
    (lambda: ops.arange(2, 7, 2), np.arange(2, 7, 2)),
    (lambda: ops.linspace(0, 1, 5), np.linspace(0, 1, 5)),
    (lambda: ops.eye(3, k=1), np.eye(3, k=1)),
    (lambda: ops.identity(2), np.eye(2)),
    (lambda: ops.full((2, 2), 7), np.full((2, 2), 7.0)),
    (lambda: ops.zeros_like(X), np.zeros_like(X)),
    (lambda: ops.count_nonzero(X), np.count_nonzero(X)),
    (lambda: ops.any(X > 5), True),
    (lambda: ops.all(X > -6, axis=0), [True] * 4),
    (lambda: ops.average(X, axis=1, weights=np.array([1.0, 0, 0, 1])),
     np.average(X, axis=1, weights=[1.0, 0, 0, 1])),
    (lambda: ops.divide_no_nan(np.array([1.0, 2.0]), np.array([0.0, 4.0])), [0.0, 0.5]),
    (lambda: ops.nan_to_num(np.array([np.nan, 1.0])), [0.0, 1.0]),
    (lambda: ops.isclose(np.array([1.0, 2.0]), np.array([1.0, 2.1])), [True, False]),
    (lambda: ops.logical_xor(X > 0, X > 3), np.logical_xor(X > 0, X > 3)),
    (lambda: ops.split(X, 2, axis=1)[1], X[:, 2:]),
    (lambda: ops.split(X, [1], axis=0)[1], X[1:]),
    (lambda: ops.unstack(X)[2], X[2]),
    (lambda: ops.slice(X, (1, 1), (2, 2)), X[1:3, 1:3]),
    (lambda: ops.logsumexp(np.array([1000.0, 1000.0])), 1000.0 + np.log(2.0)),
    (lambda: ops.rsqrt(np.array([4.0])), [0.5]),
])
def test_values_are_numpys(call, expected):
    np.testing.assert_allclose(call(), expected, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("call, expected", [
    (lambda: ops.relu(np.array([-1.0, 2.0])), [0.0, 2.0]),
    (lambda: ops.relu6(np.array([-1.0, 8.0])), [0.0, 6.0]),
    (lambda: ops.sigmoid(np.array([0.0])), [0.5]),
    (lambda: ops.softmax(np.array([[0.0, np.log(3.0)]])), [[0.25, 0.75]]),
    (lambda: ops.log_softmax(np.array([0.0, 0.0])), [-np.log(2.0)] * 2),
    (lambda: ops.softplus(np.array([0.0])), [np.log(2.0)]),
    (lambda: ops.silu(np.array([1.0])), [1 / (1 + np.exp(-1.0))]),
    (lambda: ops.leaky_relu(np.array([-10.0])), [-2.0]),
    (lambda: ops.elu(np.array([-100.0])), [-1.0]),
    (lambda: ops.log_sigmoid(np.array([-1000.0])), [-1000.0]),
    # Keras 3's ops.gelu defaults to the tanh approximation
    (lambda: ops.gelu(np.array([1.0])),
     [0.5 * (1 + np.tanh(np.sqrt(2 / np.pi) * (1 + 0.044715)))]),
    (lambda: ops.gelu(np.array([1.0]), approximate=False), [0.8413447]),
    (lambda: ops.one_hot(np.array([0, 2]), 3), np.eye(3)[[0, 2]]),
    (lambda: ops.one_hot(np.array([0, 2]), 3, axis=0), np.eye(3)[[0, 2]].T),
    (lambda: ops.multi_hot(np.array([[0, 2], [1, 1]]), 3), [[1, 0, 1], [0, 1, 0]]),
    (lambda: ops.binary_crossentropy(np.array([1.0, 0.0]), np.array([0.9, 0.2])),
     [-np.log(0.9), -np.log(0.8)]),
    (lambda: ops.categorical_crossentropy(np.array([[0.0, 1.0]]), np.array([[0.5, 0.5]])),
     [np.log(2.0)]),
    (lambda: ops.sparse_categorical_crossentropy(np.array([1]), np.array([[0.0, 0.0]]),
                                                 from_logits=True), [np.log(2.0)]),
    (lambda: ops.normalize(np.array([[3.0, 4.0]])), [[0.6, 0.8]]),
    (lambda: ops.moments(X, axes=[0])[1], X.var(0)),
    (lambda: ops.batch_normalization(X, X.mean(0), X.var(0), axis=-1),
     (X - X.mean(0)) / np.sqrt(X.var(0) + 1e-3)),
    (lambda: ops.top_k(np.array([1.0, 9.0, 4.0, 9.0]), 3)[0], [9.0, 9.0, 4.0]),
    (lambda: ops.top_k(np.array([1.0, 9.0, 4.0, 9.0]), 3)[1], [1, 3, 2]),  # ties: first
    (lambda: ops.in_top_k(np.array([2, 0]), np.array([[0.1, 0.5, 0.4], [0.1, 0.5, 0.4]]),
                          2), [True, False]),
    (lambda: ops.erf(np.array([0.5])), [0.5204999]),
])
def test_nn_and_math(call, expected):
    np.testing.assert_allclose(call(), expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("call, dtype", [
    (lambda: ops.convert_to_tensor([1, 2]), "int32"),
    (lambda: ops.convert_to_tensor([1.0, 2]), "float32"),
    (lambda: ops.convert_to_tensor([True]), "bool"),
    (lambda: ops.convert_to_tensor(np.arange(3)), "int64"),   # arrays keep their dtype
    (lambda: ops.convert_to_tensor([1, 2], dtype="float64"), "float64"),
    (lambda: ops.ones((2,)), "float32"),
    (lambda: ops.arange(3), "int32"),
    (lambda: ops.arange(3.0), "float32"),
    (lambda: ops.sum([1, 2, 3]), "int32"),
    (lambda: ops.mean(np.array([True, False])), "float32"),
    (lambda: ops.argmax(X), "int32"),
    (lambda: ops.one_hot([0], 2), "float32"),
    (lambda: ops.cast(X, "int32"), "int32"),
    (lambda: ops.divide(np.array([1], "int32"), 2), "float32"),
])
def test_dtypes_are_keras_3s(call, dtype):
    assert np.asarray(call()).dtype == np.dtype(dtype)


def test_shape_gives_ints_and_sizes_known_only_from_data():
    assert ops.shape(X) == (3, 4)
    x = K.placeholder((None, 4))
    batch, width = ops.shape(x)
    assert width == 4 and isinstance(batch, Tensor) and batch.shape == ()
    f = K.function([x], [ops.zeros((batch, 2)), ops.reshape(x, (batch, 2, 2)),
                         ops.broadcast_to(ops.ones((1, 4)), (batch, 4))])
    a, b, c = f([np.ones((5, 4))])
    assert a.shape == (5, 2) and b.shape == (5, 2, 2) and c.shape == (5, 4)


def test_an_unknown_size_in_a_shape_is_a_clear_error():
    with pytest.raises(ShapeError, match=r"ops.shape\(x\)\[i\]"):
        keras.random.normal((None, 3))


class Noise(layers.Layer):
    """The Keras 3 guide's sampling layer, in our own words: noise of the input's shape."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.seeds = keras.random.SeedGenerator(7)

    def call(self, inputs):
        batch, width = ops.shape(inputs)
        return inputs + keras.random.normal((batch, width), seed=self.seeds)


def test_random_in_a_layer_draws_anew_each_batch():
    x = keras.Input((3,))
    model = keras.Model(x, Noise()(x))
    a = model.predict(np.zeros((4, 3)), verbose=0)
    b = model.predict(np.zeros((4, 3)), verbose=0)
    assert a.shape == (4, 3) and not np.allclose(a, b)
    assert abs(a.mean()) < 1.5 and 0.3 < a.std() < 2.0


def test_ops_without_tensor_arguments_stay_symbolic_inside_a_layer():
    class AddOnes(layers.Layer):
        def call(self, inputs):
            one = ops.ones((1, 3))
            assert isinstance(one, Tensor)
            return inputs + one
    x = K.placeholder((None, 3))
    assert AddOnes()(x).op.name == "add"


def test_random_outside_a_model_is_now_and_repeatable():
    a = keras.random.normal((2, 3), seed=1)
    assert isinstance(a, np.ndarray) and a.shape == (2, 3) and a.dtype == np.float32
    np.testing.assert_array_equal(a, keras.random.normal((2, 3), seed=1))
    u = keras.random.uniform((1000,), minval=2.0, maxval=3.0, seed=2)
    assert 2.0 <= u.min() and u.max() < 3.0 and abs(u.mean() - 2.5) < 0.03
    i = keras.random.randint((1000,), 0, 3, seed=3)
    assert set(np.unique(i)) == {0, 1, 2} and i.dtype == np.int32
    t = keras.random.truncated_normal((1000,), seed=4)
    assert np.abs(t).max() <= 2.0
    gen = keras.random.SeedGenerator(5)
    assert not np.array_equal(keras.random.normal((3,), seed=gen),
                              keras.random.normal((3,), seed=gen))
    d = keras.random.dropout(np.ones((1000,)), 0.5, seed=6)
    assert set(np.unique(d)) == {0.0, 2.0}
    s = keras.random.shuffle(np.arange(10), seed=7)
    assert sorted(s.tolist()) == list(range(10)) and s.tolist() != list(range(10))
    c = keras.random.categorical(np.log([[0.0001, 0.9999]]), 50, seed=8)
    assert c.shape == (1, 50) and c.sum() > 45


def test_keras_3_signatures_where_k_differs():
    """The Keras 2 K functions keep their own defaults (issue 18 asks for both)."""
    assert K.concatenate([K.constant(X), K.constant(X)]).shape == (3, 8)   # last axis
    assert ops.concatenate([X, X]).shape == (6, 4)                          # axis=0
    assert K.argmax(K.constant(X)).shape == (3,)
    assert ops.argmax(X).shape == ()
    assert K.eval(K.repeat(K.constant(X[:1]), 2)).shape == (1, 2, 4)
    assert ops.repeat(X[:1], 2).shape == (8,)


def test_a_graph_tensor_anywhere_in_a_list_makes_it_symbolic():
    x = K.placeholder((None, 4))
    assert isinstance(ops.concatenate([X, x]), Tensor)
    assert isinstance(ops.stack([x, x]), Tensor)


def test_convert_to_numpy_evaluates_graph_tensors():
    v = K.variable([1.0, 2.0])
    assert ops.convert_to_numpy(ops.sum(v)) == 3.0      # a variable stays symbolic
    assert isinstance(ops.sum(v), Tensor)


def test_keras_random_is_public():
    assert keras.random.normal is not None and ops.nn.relu is ops.relu
    assert ops.numpy.mean is ops.mean and ops.math.top_k is ops.top_k
