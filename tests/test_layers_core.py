"""Core layers, checked against numbers worked out by hand or with plain NumPy."""
import math

import numpy as np
import pytest

import minikeras.backend as K
from minikeras import regularizers
from minikeras.layers import (
    Activation,
    Dense,
    Dropout,
    Embedding,
    Flatten,
    Input,
    InputLayer,
    Lambda,
    Masking,
    Permute,
    RepeatVector,
    Reshape,
)
from minikeras.models import Model, Sequential
from minikeras.optimizers import SGD

KERNEL = np.array([[1.0, 0.0, -1.0],
                   [2.0, 1.0, 0.0]], dtype="float32")
BIAS = np.array([0.5, -0.5, 1.0], dtype="float32")


def dense(units=3, **kwargs):
    layer = Dense(units, **kwargs)
    layer(np.zeros((1, 2), dtype="float32"))  # build for 2 input features
    layer.set_weights([KERNEL, BIAS] if layer.use_bias else [KERNEL])
    return layer


# ---------------------------------------------------------------- Dense


def test_dense_hand_computed():
    x = np.array([[1.0, 2.0], [3.0, -1.0]])
    # [1, 2] . K = [1+4, 0+2, -1+0] = [5, 2, -1]; [3, -1] . K = [3-2, -1, -3] = [1, -1, -3]
    np.testing.assert_allclose(dense()(x), [[5.5, 1.5, 0.0], [1.5, -1.5, -2.0]])
    np.testing.assert_allclose(dense(use_bias=False)(x), [[5.0, 2.0, -1.0], [1.0, -1.0, -3.0]])
    np.testing.assert_allclose(dense(activation="relu")(x), [[5.5, 1.5, 0.0], [1.5, 0.0, 0.0]])


def test_dense_weight_shapes_and_names_follow_keras():
    layer = Dense(4, name="d4")
    layer(np.zeros((2, 7)))
    kernel, bias = layer.weights
    assert kernel.shape == (7, 4) and bias.shape == (4,)
    assert kernel.name == "d4/kernel" and bias.name == "d4/bias"
    np.testing.assert_array_equal(bias.numpy(), np.zeros(4))  # bias_initializer='zeros'
    assert len(Dense(4, use_bias=False)(np.zeros((1, 7))).shape) == 2


def test_dense_on_3d_input_multiplies_the_last_axis():
    x = np.array([[[1.0, 2.0], [3.0, -1.0]],
                  [[0.0, 1.0], [-1.0, 0.0]]])
    y = dense(activation="tanh")(x)
    # [0, 1] . K = [2, 1, 0]; [-1, 0] . K = [-1, 0, 1]; then + bias and tanh
    expected = np.tanh([[[5.5, 1.5, 0.0], [1.5, -1.5, -2.0]],
                        [[2.5, 0.5, 1.0], [-0.5, -0.5, 2.0]]])
    assert y.shape == (2, 2, 3)
    np.testing.assert_allclose(y, expected, rtol=1e-6)
    assert Dense(5)(Input(shape=(4, 2))).shape == (None, 4, 5)


def test_dense_computes_integer_inputs_in_floatx():
    assert Dense(2)(Input(shape=(3,), dtype="int32")).dtype == "float32"
    y = dense()(np.array([[1, 2], [3, -1]], dtype="int64"))
    assert y.dtype == np.float32
    np.testing.assert_array_equal(y, [[5.5, 1.5, 0.0], [1.5, -1.5, -2.0]])


def test_dense_with_unknown_last_axis_is_an_error():
    with pytest.raises(ValueError, match="last axis.*known size"):
        Dense(2, name="dense_unknown")(Input(batch_shape=(None, None)))
    with pytest.raises(ValueError, match="positive number of units"):
        Dense(0)


def test_dense_regularizers_add_penalties_to_losses():
    layer = Dense(3, kernel_regularizer=regularizers.L2(0.1),
                  bias_regularizer=regularizers.L1(0.5))
    layer(np.zeros((1, 2)))
    layer.set_weights([KERNEL, BIAS])
    kernel_penalty, bias_penalty = (float(K.eval(p)) for p in layer.losses)
    assert kernel_penalty == pytest.approx(0.1 * (1 + 1 + 4 + 1))  # sum of squares = 7
    assert bias_penalty == pytest.approx(0.5 * (0.5 + 0.5 + 1.0))
    assert Dense(3).losses == []


def test_regularizers_module():
    assert float(K.eval(regularizers.L1L2(l1=0.1, l2=0.2)(K.constant([1.0, -2.0])))) == \
        pytest.approx(0.1 * 3 + 0.2 * 5)
    assert regularizers.get("l1").get_config() == {"l1": 0.01}
    assert regularizers.get(None) is None
    l2 = regularizers.get({"class_name": "L2", "config": {"l2": 0.3}})
    assert regularizers.serialize(l2) == {"class_name": "L2", "config": {"l2": 0.3}}
    with pytest.raises(ValueError, match="unknown regularizer 'l3'"):
        regularizers.get("l3")


# ---------------------------------------------------------------- Activation

X = np.array([[-3.0, -1.0, -0.5, 0.0, 0.5, 1.0, 3.0]])
SELU_ALPHA, SELU_SCALE = 1.6732632423543772, 1.0507009873554805
_erf = np.vectorize(math.erf)

EXPECTED = {
    "linear": X,
    "relu": np.maximum(X, 0),
    "tanh": np.tanh(X),
    "sigmoid": 1 / (1 + np.exp(-X)),
    "softmax": np.exp(X) / np.exp(X).sum(),
    "log_softmax": X - np.log(np.exp(X).sum()),
    "elu": np.where(X > 0, X, np.exp(X) - 1),
    "selu": SELU_SCALE * np.where(X > 0, X, SELU_ALPHA * (np.exp(X) - 1)),
    "softplus": np.log1p(np.exp(X)),
    "softsign": X / (1 + np.abs(X)),
    "hard_sigmoid": np.clip(X / 6 + 0.5, 0, 1),  # Keras 3: relu6(x + 3) / 6
    "exponential": np.exp(X),
    "silu": X / (1 + np.exp(-X)),
    "swish": X / (1 + np.exp(-X)),
    "relu6": np.clip(X, 0, 6),
    "leaky_relu": np.where(X >= 0, X, 0.2 * X),
    "gelu": 0.5 * X * (1 + _erf(X / np.sqrt(2))),
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_activation_layer(name):
    np.testing.assert_allclose(Activation(name)(X), EXPECTED[name], rtol=1e-5, atol=1e-6)


def test_activation_hand_values_and_callables():
    np.testing.assert_array_equal(Activation("relu")(np.array([[-1.0, 2.0]])), [[0.0, 2.0]])
    np.testing.assert_allclose(Activation("sigmoid")(np.array([[0.0]])), [[0.5]])
    # softmax of [0, ln 3] is [1/4, 3/4]
    np.testing.assert_allclose(Activation("softmax")(np.array([[0.0, np.log(3.0)]])),
                               [[0.25, 0.75]], rtol=1e-6)
    np.testing.assert_allclose(Activation(lambda t: t * 3)(np.array([[1.0, -2.0]])),
                               [[3.0, -6.0]])
    assert Activation("tanh").get_config()["activation"] == "tanh"
    with pytest.raises(ValueError, match="unknown activation 'tanhh'"):
        Activation("tanhh")


# ---------------------------------------------------------------- Dropout


def test_dropout_is_the_identity_at_inference():
    x = np.random.default_rng(0).normal(size=(4, 50)).astype("float32")
    np.testing.assert_array_equal(Dropout(0.5)(x), x)
    model = Sequential([Dropout(0.9, input_shape=(50,))])
    np.testing.assert_array_equal(model.predict(x, verbose=0), x)


def test_dropout_in_training_zeroes_a_fraction_rate_and_scales_the_rest():
    rate = 0.3
    x = K.placeholder(shape=(None, 1000))
    y = Dropout(rate)(x, training=True)
    f = K.function([x], [y])
    data = np.random.default_rng(1).uniform(1.0, 2.0, size=(100, 1000)).astype("float32")
    out = f([data])[0]
    dropped = out == 0
    assert abs(dropped.mean() - rate) < 0.01  # 100,000 draws: std of the mean ~0.0015
    np.testing.assert_allclose(out[~dropped], data[~dropped] / (1 - rate), rtol=1e-6)
    # every run of the graph draws a fresh mask
    assert not np.array_equal(f([data])[0] == 0, dropped)


def test_dropout_follows_the_learning_phase_when_training_is_not_given():
    x = K.placeholder(shape=(None, 2000))
    y = Dropout(0.5)(x)
    f = K.function([x, K.learning_phase()], [y])
    ones = np.ones((1, 2000), dtype="float32")
    np.testing.assert_array_equal(f([ones, False])[0], ones)
    trained = f([ones, True])[0]
    assert set(np.unique(trained)) == {0.0, 2.0}
    assert abs((trained == 0).mean() - 0.5) < 0.05


def test_dropout_is_on_in_fit_and_off_in_evaluate():
    # Dense with all-ones kernel sums the inputs: 100 without dropout, a random other
    # value (the kept count times 2) with it.
    model = Sequential([Dropout(0.5, input_shape=(100,)),
                        Dense(1, kernel_initializer="ones", use_bias=False)])
    model.compile(SGD(learning_rate=0.0), "mse")
    x, y = np.ones((8, 100)), np.full((8, 1), 100.0)
    assert model.test_on_batch(x, y) == 0.0
    assert model.train_on_batch(x, y) > 1.0
    np.testing.assert_array_equal(model.predict(x, verbose=0), y)


def test_dropout_arguments():
    x = K.placeholder(shape=(None, 3))
    f = K.function([x], [Dropout(0.0)(x, training=True)])  # rate 0: nothing dropped
    np.testing.assert_array_equal(f([np.ones((2, 3))])[0], np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"rate must be in \[0, 1\), got 1.5"):
        Dropout(1.5)
    assert Dropout(0.25, seed=3).get_config()["rate"] == 0.25


# ---------------------------------------------------------------- Flatten, Reshape, Permute


def test_flatten_channels_last_keeps_c_order():
    x = np.arange(24, dtype="float32").reshape(1, 2, 3, 4)
    np.testing.assert_array_equal(Flatten()(x), [list(range(24))])
    assert Flatten()(Input(shape=(28, 28))).shape == (None, 784)


def test_flatten_channels_first_moves_channels_last_first():
    # x[0, c, h, w] = 12c + 4h + w; flattening (h, w, c) in that order:
    x = np.arange(24, dtype="float32").reshape(1, 2, 3, 4)
    expected = [12 * c + 4 * h + w for h in range(3) for w in range(4) for c in range(2)]
    assert expected[:6] == [0, 12, 1, 13, 2, 14]
    np.testing.assert_array_equal(Flatten(data_format="channels_first")(x), [expected])
    K.set_image_data_format("channels_first")  # the global default ('th')
    layer = Flatten()
    assert layer.data_format == "channels_first"
    np.testing.assert_array_equal(layer(x), [expected])


def test_flatten_of_2d_and_1d_inputs():
    x = np.array([[1.0, 2.0], [3.0, 4.0]])
    np.testing.assert_array_equal(Flatten()(x), x)
    np.testing.assert_array_equal(Flatten()(np.array([1.0, 2.0])), [[1.0], [2.0]])


def test_reshape_with_minus_one():
    x = np.arange(12, dtype="float32").reshape(2, 6)
    y = Reshape((3, -1))(x)
    assert y.shape == (2, 3, 2)
    np.testing.assert_array_equal(y[1], [[6, 7], [8, 9], [10, 11]])
    assert Reshape((28, 28))(Input(shape=(784,))).shape == (None, 28, 28)
    assert Reshape((-1,))(Input(shape=(2, 3, 4))).shape == (None, 24)
    assert Reshape((2, 3)).get_config()["target_shape"] == [2, 3]


def test_reshape_error_names_the_layer_and_shapes():
    with pytest.raises(ValueError, match=r'"reshape_bad".*\(6,\) into \(4,\)'):
        Reshape((4,), name="reshape_bad")(Input(shape=(6,)))


def test_permute_moves_axes_but_not_the_batch_axis():
    x = np.arange(24, dtype="float32").reshape(1, 2, 3, 4)
    y = Permute((3, 1, 2))(x)
    assert y.shape == (1, 4, 2, 3)
    for i in range(2):
        for j in range(3):
            for k in range(4):
                assert y[0, k, i, j] == x[0, i, j, k]
    np.testing.assert_array_equal(Permute((2, 1))(np.array([[[1.0, 2.0, 3.0],
                                                              [4.0, 5.0, 6.0]]])),
                                  [[[1.0, 4.0], [2.0, 5.0], [3.0, 6.0]]])
    with pytest.raises(ValueError, match="permutation of 1..2"):
        Permute((0, 1))


def test_repeat_vector():
    y = RepeatVector(3)(np.array([[1.0, 2.0], [3.0, 4.0]]))
    np.testing.assert_array_equal(y, [[[1, 2], [1, 2], [1, 2]], [[3, 4], [3, 4], [3, 4]]])
    assert RepeatVector(5)(Input(shape=(7,))).shape == (None, 5, 7)


# ---------------------------------------------------------------- Lambda


def test_lambda_layer():
    np.testing.assert_array_equal(Lambda(lambda t: t ** 2 + 1)(np.array([[1.0, -2.0, 3.0]])),
                                  [[2.0, 5.0, 10.0]])
    scale = Lambda(lambda t, k: t * k, arguments={"k": 3.0})
    np.testing.assert_array_equal(scale(np.array([[1.0, 2.0]])), [[3.0, 6.0]])
    inp = Input(shape=(3,))
    model = Model(inp, Lambda(lambda t: K.sum(t, axis=1, keepdims=True))(inp))
    assert model.output_shape == (None, 1)
    np.testing.assert_array_equal(model.predict(np.array([[1.0, 2.0, 3.0]]), verbose=0),
                                  [[6.0]])


# ---------------------------------------------------------------- Masking


def test_masking_zeroes_masked_timesteps_and_computes_the_mask():
    x = np.array([[[5.0, 5.0], [1.0, 5.0], [5.0, 5.0], [0.0, 2.0]]])
    layer = Masking(mask_value=5.0)
    np.testing.assert_array_equal(layer(x), [[[0, 0], [1, 5], [0, 0], [0, 2]]])
    mask = K.eval(layer.compute_mask(K.constant(x)))
    np.testing.assert_array_equal(mask, [[False, True, False, True]])


def test_masking_mask_travels_with_the_symbolic_output():
    inp = Input(shape=(3, 2))
    out = Masking(0.0)(inp)
    assert out._keras_mask is not None and out._keras_mask.shape == (None, 3)
    after = Activation("relu")(out)  # supports masking: the mask passes through
    f = K.function([inp], [out._keras_mask, after._keras_mask])
    x = np.array([[[1.0, 2.0], [0.0, 0.0], [0.0, -3.0]]])
    m1, m2 = f([x])
    np.testing.assert_array_equal(m1, [[True, False, True]])
    np.testing.assert_array_equal(m2, m1)


# ---------------------------------------------------------------- Embedding


TABLE = np.arange(15, dtype="float32").reshape(5, 3)


def test_embedding_gathers_rows():
    emb = Embedding(5, 3)
    ids = np.array([[0, 4, 2], [1, 1, 3]])
    emb(ids)
    (table,) = emb.weights
    assert table.shape == (5, 3) and table.name.endswith("embeddings")
    emb.set_weights([TABLE])
    y = emb(ids)
    assert y.shape == (2, 3, 3)
    np.testing.assert_array_equal(y[0], [[0, 1, 2], [12, 13, 14], [6, 7, 8]])
    np.testing.assert_array_equal(y[1], [TABLE[1], TABLE[1], TABLE[3]])
    np.testing.assert_array_equal(emb(ids.astype("float32")), y)  # float ids are cast


def test_embedding_mask_zero():
    emb = Embedding(5, 3, mask_zero=True)
    ids = np.array([[0, 4, 2], [1, 0, 0]])
    emb(ids)
    emb.set_weights([TABLE])
    mask = K.eval(emb.compute_mask(K.constant(ids, dtype="int64")))
    np.testing.assert_array_equal(mask, [[False, True, True], [True, False, False]])
    inp = Input(shape=(3,), dtype="int32")
    out = emb(inp)
    f = K.function([inp], [out, out._keras_mask])
    values, mask = f([ids.astype("int32")])
    np.testing.assert_array_equal(values, TABLE[ids])
    np.testing.assert_array_equal(mask, ids != 0)
    assert Embedding(5, 3).compute_mask(K.constant(ids, dtype="int64")) is None


def test_embedding_in_a_sequential_model_built_from_integer_data():
    model = Sequential([Embedding(5, 3, input_length=2), Flatten()])
    assert model.output_shape == (None, 6)
    model.layers[0].set_weights([TABLE])
    ids = np.array([[4, 0], [2, 2]], dtype="int64")
    np.testing.assert_array_equal(model.predict(ids, verbose=0),
                                  [[12, 13, 14, 0, 1, 2], [6, 7, 8, 6, 7, 8]])
    built_from_data = Sequential([Embedding(5, 2, embeddings_initializer="ones"), Flatten()])
    assert built_from_data.predict(np.array([[1, 2, 3]]), verbose=0).shape == (1, 6)


# ---------------------------------------------------------------- Input and configs


def test_input_layer():
    layer = InputLayer(shape=(784,))
    assert layer.output.shape == (None, 784)
    assert Input(batch_shape=(8, 3)).shape == (8, 3)
    assert Input(shape=(2,), dtype="int32").dtype == "int32"
    with pytest.raises(ValueError, match="needs a shape"):
        Input()


@pytest.mark.parametrize("layer", [
    Dense(3, activation="tanh", use_bias=False, input_shape=(4,)),
    Activation("softmax"),
    Dropout(0.4, seed=7),
    Flatten(data_format="channels_first"),
    Reshape((2, -1)),
    Permute((2, 1)),
    RepeatVector(4),
    Masking(-1.0),
    Embedding(10, 4, mask_zero=True),
    InputLayer(shape=(3, 2)),
], ids=lambda layer: type(layer).__name__)
def test_get_config_from_config_roundtrip(layer):
    config = layer.get_config()
    clone = type(layer).from_config(config)
    assert type(clone) is type(layer) and clone.get_config() == config
    assert clone.name == layer.name
