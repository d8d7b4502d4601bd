"""Models: Sequential, functional graphs (several inputs/outputs, shared layers, nested
models), subclassed models, get_layer and summary."""
import numpy as np
import pytest

import minikeras.backend as K
from minikeras.layers import Activation, Add, Concatenate, Dense, Dropout, Input, Subtract
from minikeras.models import Model, Sequential
from minikeras.optimizers import SGD

X = np.array([[1.0, -2.0, 0.5], [0.0, 3.0, -1.0], [2.0, 2.0, 2.0]], dtype="float32")


def relu(a):
    return np.maximum(a, 0)


def seed_model():
    """The MNIST MLP from the seeds (Keras 2 spelling)."""
    model = Sequential()
    model.add(Dense(500, input_shape=(784,)))
    model.add(Activation("tanh"))
    model.add(Dropout(0.5))
    model.add(Dense(500))
    model.add(Activation("tanh"))
    model.add(Dropout(0.5))
    model.add(Dense(10))
    model.add(Activation("softmax"))
    return model


# ---------------------------------------------------------------- Sequential


def test_sequential_add_pop_layers_and_output_shape():
    model = Sequential(name="stack")
    first = Dense(4, input_shape=(3,), activation="relu")
    model.add(first)
    assert model.built and model.output_shape == (None, 4) and model.input_shape == (None, 3)
    second = Dense(2)
    model.add(second)
    assert model.layers == [first, second]  # the InputLayer is not listed, as in Keras
    assert model.output_shape == (None, 2)
    w1, b1 = first.get_weights()
    w2, b2 = second.get_weights()
    np.testing.assert_allclose(model.predict(X, verbose=0), relu(X @ w1 + b1) @ w2 + b2,
                               rtol=1e-5)
    model.pop()
    assert model.layers == [first] and model.output_shape == (None, 4)
    assert len(model.weights) == 2
    np.testing.assert_allclose(model.predict(X, verbose=0), relu(X @ w1 + b1), rtol=1e-5)
    model.pop()
    with pytest.raises(ValueError, match="no layers to pop"):
        model.pop()


def test_sequential_from_a_list_and_input_first():
    model = Sequential([Input(shape=(3,)), Dense(2, kernel_initializer="ones")])
    assert len(model.layers) == 1 and model.output_shape == (None, 2)
    np.testing.assert_array_equal(model.predict(X, verbose=0), [[-0.5] * 2, [2.0] * 2,
                                                                 [6.0] * 2])
    with pytest.raises(ValueError, match="Input can only be the first"):
        model.add(Input(shape=(3,)))


def test_sequential_add_errors():
    model = Sequential([Dense(2, input_shape=(3,), name="twice")])
    with pytest.raises(ValueError, match='"twice" is already in this model'):
        model.add(model.layers[0])
    with pytest.raises(TypeError, match="takes a layer"):
        model.add("dense")


def test_sequential_built_from_data_without_an_input_shape():
    model = Sequential([Dense(3), Dense(1)])
    assert not model.built
    with pytest.raises(AttributeError, match="not built yet"):
        _ = model.output_shape
    y = model.predict(np.ones((4, 5)), verbose=0)
    assert y.shape == (4, 1) and model.built
    assert model.input_shape == (None, 5) and model.output_shape == (None, 1)
    assert [w.shape for w in model.weights] == [(5, 3), (3,), (3, 1), (1,)]


def test_sequential_build_with_a_shape():
    model = Sequential([Dense(3)])
    model.build((None, 7))
    assert model.output_shape == (None, 3) and model.count_params() == 7 * 3 + 3


def test_sequential_is_callable_like_a_layer():
    model = Sequential([Dense(2, input_shape=(3,))])
    kernel, bias = model.get_weights()
    np.testing.assert_allclose(model(X), X @ kernel + bias, rtol=1e-6)  # eager call
    x = Input(shape=(3,))
    y = model(x)
    assert y.shape == (None, 2) and y._keras_history[0] is model


# ---------------------------------------------------------------- summary


def test_seed_model_summary(capsys):
    model = seed_model()
    model.summary()
    out = capsys.readouterr().out
    assert "Total params: 648,010" in out
    assert "Trainable params: 648,010" in out and "Non-trainable params: 0" in out
    rows = [line for line in out.splitlines() if "(Dense)" in line]
    assert len(rows) == 3
    for row, params, shape in zip(rows, ["392,500", "250,500", "5,010"],
                                  ["(None, 500)", "(None, 500)", "(None, 10)"]):
        assert params in row and shape in row
    assert 784 * 500 + 500 == 392_500 and 500 * 500 + 500 == 250_500
    assert model.count_params() == 648_010
    dropout_rows = [line for line in out.splitlines() if "(Dropout)" in line]
    assert len(dropout_rows) == 2 and all(line.rstrip("│ ").endswith("0")
                                          for line in dropout_rows)


def test_summary_counts_frozen_weights_as_non_trainable():
    model = Sequential([Dense(4, input_shape=(3,)), Dense(2)])
    model.layers[0].trainable = False
    lines = []
    model.summary(print_fn=lines.append)
    text = "\n".join(lines)
    assert "Total params: 26" in text
    assert "Trainable params: 10" in text and "Non-trainable params: 16" in text


def test_functional_summary_shows_connections(capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    a, b = Input(shape=(2,), name="in_a"), Input(shape=(3,), name="in_b")
    out = Dense(1, name="head")(Concatenate(name="join")([a, b]))
    Model([a, b], out, name="two_inputs").summary()
    text = capsys.readouterr().out
    assert 'Model: "two_inputs"' in text
    # 80 columns: the cell wraps in its column, as rich does for Keras
    assert "Connected to" in text and "│ in_a[0][0],  " in text and "│ in_b[0][0]  " in text
    assert "Total params: 6" in text


# ---------------------------------------------------------------- functional models


def test_functional_multi_input_multi_output():
    a = Input(shape=(3,), name="a")
    b = Input(shape=(2,), name="b")
    joined = Concatenate(name="joined")([Dense(4, activation="relu", name="da")(a), b])
    out1 = Dense(1, name="out1")(joined)
    out2 = Dense(2, activation="softmax", name="out2")(joined)
    model = Model(inputs=[a, b], outputs=[out1, out2])
    assert model.input_names == ["a", "b"] and model.output_names == ["out1", "out2"]
    assert model.input_shape == [(None, 3), (None, 2)]
    assert model.output_shape == [(None, 1), (None, 2)]
    xb = np.array([[1.0, 0.0], [-1.0, 2.0], [0.5, 0.5]], dtype="float32")
    p1, p2 = model.predict([X, xb], verbose=0)
    wa, ba = model.get_layer("da").get_weights()
    w1, b1 = model.get_layer("out1").get_weights()
    w2, b2 = model.get_layer("out2").get_weights()
    h = np.concatenate([relu(X @ wa + ba), xb], axis=1)
    logits = h @ w2 + b2
    np.testing.assert_allclose(p1, h @ w1 + b1, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(p2, np.exp(logits) / np.exp(logits).sum(1, keepdims=True),
                               rtol=1e-5)
    # a dict keyed by input name works too
    q1, _ = model.predict({"b": xb, "a": X}, verbose=0)
    np.testing.assert_array_equal(q1, p1)


def test_shared_layer_has_two_nodes_and_one_set_of_weights():
    a, b = Input(shape=(3,)), Input(shape=(3,))
    shared = Dense(2, name="shared")
    model = Model([a, b], Subtract()([shared(a), shared(b)]))
    assert len(shared._inbound_nodes) == 2
    assert shared._inbound_nodes[0].input_tensors[0] is a
    assert shared._inbound_nodes[1].input_tensors[0] is b
    assert [layer.name for layer in model.layers].count("shared") == 1
    assert model.count_params() == 3 * 2 + 2 and len(model.weights) == 2
    kernel, bias = shared.get_weights()
    xb = X[::-1].copy()
    np.testing.assert_allclose(model.predict([X, xb], verbose=0),
                               (X @ kernel + bias) - (xb @ kernel + bias), rtol=1e-5,
                               atol=1e-6)
    # changing the one kernel changes both branches
    shared.set_weights([np.ones((3, 2), "float32"), np.zeros(2, "float32")])
    np.testing.assert_allclose(model.predict([X, xb], verbose=0),
                               np.repeat((X.sum(1) - xb.sum(1))[:, None], 2, axis=1))


def test_nested_model_used_as_a_layer():
    inner = Sequential([Dense(4, input_shape=(3,), activation="relu"), Dense(2)],
                       name="inner")
    x = Input(shape=(3,))
    head = Dense(1, name="outer_head")
    outer = Model(x, head(inner(x)))
    assert [layer.name for layer in outer.layers][1:] == ["inner", "outer_head"]
    assert outer.count_params() == inner.count_params() + 3 == 4 * 3 + 4 + 4 * 2 + 2 + 3
    assert all(any(w is v for v in outer.weights) for w in inner.weights)  # same variables
    w1, b1, w2, b2 = inner.get_weights()
    w3, b3 = head.get_weights()
    expected = (relu(X @ w1 + b1) @ w2 + b2) @ w3 + b3
    np.testing.assert_allclose(outer.predict(X, verbose=0), expected, rtol=1e-5, atol=1e-6)
    inner.set_weights([np.zeros_like(w) for w in inner.get_weights()])
    np.testing.assert_allclose(outer.predict(X, verbose=0), np.tile(b3, (3, 1)))


def test_a_model_called_twice_shares_its_weights():
    encoder = Sequential([Dense(2, input_shape=(3,), kernel_initializer="ones")])
    a, b = Input(shape=(3,)), Input(shape=(3,))
    siamese = Model([a, b], Add()([encoder(a), encoder(b)]))
    assert siamese.count_params() == encoder.count_params() == 8
    xb = 2 * X
    np.testing.assert_allclose(siamese.predict([X, xb], verbose=0),
                               np.repeat((3 * X.sum(1))[:, None], 2, axis=1))


def test_get_layer_by_name_and_index():
    inp = Input(shape=(3,), name="the_input")
    h = Dense(4, name="hidden")(inp)
    model = Model(inp, Dense(1, name="final")(h))
    assert model.get_layer("hidden").name == "hidden"
    assert model.get_layer(index=0).name == "the_input"
    assert model.get_layer(index=-1).name == "final"
    with pytest.raises(ValueError) as info:
        model.get_layer("missing")
    assert "'missing'" in str(info.value) and "'hidden'" in str(info.value)
    with pytest.raises(ValueError, match="index 7 is out of range.*3 layers"):
        model.get_layer(index=7)


def test_functional_model_errors():
    a = Input(shape=(3,))
    stray = Input(shape=(3,))
    with pytest.raises(ValueError, match="both inputs= and outputs="):
        Model(inputs=a)
    with pytest.raises(ValueError, match="not in the model's inputs"):
        Model(a, Add()([Dense(3)(a), stray]))
    h = Dense(3)(a)
    with pytest.raises(ValueError, match="must come from Input"):
        Model(h, Dense(1)(h))
    model = Model(a, Dense(1)(a), name="one_input")
    with pytest.raises(ValueError, match='"one_input" takes 1 input'):
        model([Input(shape=(3,)), Input(shape=(3,))])


def test_functional_model_as_a_layer_on_numpy_and_symbolic():
    inp = Input(shape=(3,))
    model = Model(inp, Dense(2, activation="tanh")(inp))
    kernel, bias = model.get_weights()
    np.testing.assert_allclose(model(X), np.tanh(X @ kernel + bias), rtol=1e-5)
    y = model(Input(shape=(3,)))
    assert y.shape == (None, 2)


# ---------------------------------------------------------------- subclassed models


class TwoStep(Model):
    """A subclassed model whose call depends on `training`: training zeroes the hidden
    layer, so the output is then just the last bias."""

    def __init__(self, units=4, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.hidden = Dense(units, activation="relu")
        self.head = Dense(1)

    def call(self, inputs, training=None):
        h = self.hidden(inputs)
        if training:
            h = h * 0.0
        return self.head(h)


def test_subclassed_model_tracks_layers_and_weights():
    model = TwoStep()
    assert model.layers == [model.hidden, model.head]
    y = model(X)  # eager call builds it
    assert y.shape == (3, 1) and model.built
    assert [w.shape for w in model.weights] == [(3, 4), (4,), (4, 1), (1,)]
    w1, b1, w2, b2 = model.get_weights()
    np.testing.assert_allclose(y, relu(X @ w1 + b1) @ w2 + b2, rtol=1e-5, atol=1e-6)


def test_subclassed_model_training_argument():
    model = TwoStep()
    model.compile(SGD(learning_rate=0.0), "mse")
    predicted = model.predict(X, verbose=0)
    w1, b1, w2, b2 = model.get_weights()
    np.testing.assert_allclose(predicted, relu(X @ w1 + b1) @ w2 + b2, rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(model(X, training=True), np.zeros((3, 1)))  # bias is 0
    np.testing.assert_allclose(model(X, training=False), predicted, rtol=1e-6)
    target = np.zeros((3, 1))
    assert model.train_on_batch(X, target) == 0.0           # built with training=True
    assert model.evaluate(X, target, verbose=0) == pytest.approx(
        float(np.mean(predicted ** 2)), rel=1e-5)            # built with training=False
    assert model.input_shape == (None, 3) and model.output_shape == (None, 1)


def test_subclassed_model_without_call():
    with pytest.raises(NotImplementedError, match="define call"):
        Model()(X)


def test_freezing_a_nested_model_freezes_its_layers():
    inner = Sequential([Dense(2, input_shape=(3,))])
    x = Input(shape=(3,))
    outer = Model(x, Dense(1)(inner(x)))
    inner.trainable = False
    assert inner.layers[0].trainable is False
    assert len(outer.trainable_weights) == 2 and len(outer.non_trainable_weights) == 2
    assert all(w is not v for w in outer.trainable_weights for v in inner.weights)
    assert K.get_value(outer.weights[0]).shape == (3, 2)
