"""The Layer base class: writing layers (the Keras docs' recipes), weights, calls, configs
and the shape errors a learner meets."""
import inspect

import numpy as np
import pytest

import minikeras.backend as K
from minikeras.layers import Dense, Flatten, Input, InputSpec, Layer, RepeatVector, Reshape
from minikeras.layers.base import Array
from minikeras.models import Model, Sequential
from minikeras.tensor import Tensor


def here() -> int:
    """The line number of the caller (for checking where errors point)."""
    return inspect.currentframe().f_back.f_lineno


# ---------------------------------------------------------------- the Keras docs' layers


class SimpleDense(Layer):
    """Keras 3 docs: y = inputs . w + b, weights made with add_weight(shape=...)."""

    def __init__(self, units=32, **kwargs):
        super().__init__(**kwargs)
        self.units = units

    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1], self.units),
                                 initializer="random_normal", trainable=True)
        self.b = self.add_weight(shape=(self.units,), initializer="random_normal",
                                 trainable=True)

    def call(self, inputs):
        return K.dot(inputs, self.w) + self.b

    def get_config(self):
        return {**super().get_config(), "units": self.units}


class MyLayer(Layer):
    """Keras 2 docs: add_weight(name=..., shape=...), super().build, compute_output_shape."""

    def __init__(self, output_dim, **kwargs):
        self.output_dim = output_dim
        super().__init__(**kwargs)

    def build(self, input_shape):
        self.kernel = self.add_weight(name="kernel", shape=(input_shape[1], self.output_dim),
                                      initializer="uniform", trainable=True)
        super().build(input_shape)

    def call(self, x):
        return K.dot(x, self.kernel)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.output_dim)


class ComputeSum(Layer):
    """Keras docs: a non-trainable weight that accumulates the column sums of its inputs."""

    def __init__(self, input_dim):
        super().__init__()
        self.total = self.add_weight(initializer="zeros", shape=(input_dim,), trainable=False)

    def call(self, inputs):
        self.total.assign_add(K.sum(inputs, axis=0))
        return self.total


def test_simple_dense_keras3_recipe_computes_inputs_dot_w_plus_b():
    layer = SimpleDense(units=4)
    x = np.array([[1.0, 2.0], [-3.0, 0.5]], dtype="float32")
    y = layer(x)
    assert len(layer.weights) == 2 and len(layer.trainable_weights) == 2
    w, b = layer.get_weights()
    assert w.shape == (2, 4) and b.shape == (4,)
    assert not np.all(b == 0)  # random_normal, not the default zeros
    np.testing.assert_allclose(y, x @ w + b, rtol=1e-6)
    assert layer.built


def test_keras2_recipe_name_first_and_compute_output_shape():
    layer = MyLayer(3)
    x = np.arange(8, dtype="float32").reshape(2, 4)
    y = layer(x)
    (kernel,) = layer.weights
    assert "kernel" in kernel.name and kernel.shape == (4, 3)
    np.testing.assert_allclose(y, x @ kernel.numpy(), rtol=1e-6)
    assert layer.compute_output_shape((None, 4)) == (None, 3)


def test_compute_sum_accumulates_across_eager_calls():
    x = np.ones((2, 2))
    my_sum = ComputeSum(2)
    y = my_sum(x)
    np.testing.assert_array_equal(y.numpy(), [2.0, 2.0])
    y = my_sum(x)
    np.testing.assert_array_equal(y.numpy(), [4.0, 4.0])
    assert my_sum.weights == [my_sum.total]
    assert my_sum.non_trainable_weights == [my_sum.total]
    assert my_sum.trainable_weights == []
    # a different input adds its own column sums
    np.testing.assert_array_equal(my_sum(np.array([[1.0, -10.0]])).numpy(), [5.0, -6.0])


def test_compute_sum_inside_a_model_accumulates_on_every_run_as_keras3():
    """Assigning in call inside a graph becomes an update that runs with the graph: each
    predict batch adds its column sums, and the output is the new total (Keras 3 on
    torch gives [2, 2] for the first predict too)."""
    layer = ComputeSum(2)
    x = Input(shape=(2,))
    model = Model(x, layer(x))
    np.testing.assert_array_equal(layer.total.numpy(), [0.0, 0.0])   # building runs nothing
    np.testing.assert_array_equal(model.predict(np.ones((2, 2)), verbose=0), [2.0, 2.0])
    out = model.predict(np.array([[1.0, 2.0], [1.0, 2.0], [3.0, 0.0]]), batch_size=2,
                        verbose=0)
    np.testing.assert_array_equal(out, [4.0, 6.0, 7.0, 6.0])           # two batches
    np.testing.assert_array_equal(layer.total.numpy(), [7.0, 6.0])
    np.testing.assert_array_equal(model(np.ones((1, 2))), [8.0, 7.0])  # eager call too
    seq = Sequential([Input(shape=(2,)), ComputeSum(2)])
    np.testing.assert_array_equal(seq.predict(np.ones((3, 2)), verbose=0), [3.0, 3.0])


class Counter(Layer):
    """Counts the samples it has seen in a non-trainable weight; passes its input on."""

    def build(self, input_shape):
        self.seen = self.add_weight(shape=(), initializer="zeros", trainable=False)

    def call(self, inputs):
        self.seen.assign_add(K.sum(K.ones_like(inputs[:, 0])))
        self.seen.assign_add(K.sum(K.ones_like(inputs[:, 0])))  # twice: counts double
        return inputs * 2.0


def test_assignments_in_call_run_once_per_batch_with_the_functions_that_use_them():
    counter = Counter()
    model = Sequential([Input(shape=(3,)), counter, Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    model.fit(np.ones((10, 3)), np.ones((10, 1)), batch_size=4, epochs=1, verbose=0)
    assert float(counter.seen.numpy()) == 20.0     # 10 samples, counted twice, in 3 batches
    model.evaluate(np.ones((5, 3)), np.ones((5, 1)), verbose=0)
    assert float(counter.seen.numpy()) == 30.0
    # a function that does not compute the layer's output does not run its update
    K.function([model.inputs[0]], [model.inputs[0] * 1.0])([np.ones((2, 3))])
    assert float(counter.seen.numpy()) == 30.0


def test_assigning_a_placeholder_value_outside_a_layer_says_to_use_updates():
    v = K.variable([0.0, 0.0], name="total")
    x = K.placeholder(shape=(None, 2))
    with pytest.raises(TypeError, match=r"cannot take its value now.*updates of K.function"):
        v.assign_add(K.sum(x, axis=0))
    with pytest.raises(TypeError, match="cannot take its value now"):
        v.assign(K.sum(x, axis=0))
    v.assign_add(K.sum(K.constant([[1.0, 2.0]]), axis=0))   # no placeholder: done now
    np.testing.assert_array_equal(v.numpy(), [1.0, 2.0])


def test_build_called_by_hand_marks_the_layer_built_as_keras3():
    """Keras 3's recipe for a copy: from_config, build(input_shape), set_weights. The first
    call must not build again (a second, random set of weights)."""
    original = Dense(3, activation="tanh")
    x = np.arange(8, dtype="float32").reshape(2, 4)
    before = original(x)
    copy = Dense.from_config(original.get_config())
    copy.build((None, 4))
    assert copy.built
    copy.set_weights(original.get_weights())
    np.testing.assert_allclose(copy(x), before, rtol=1e-6)
    assert len(copy.weights) == 2
    layer = SimpleDense(units=2)          # a learner's build, without super().build()
    layer.build((None, 3))
    layer(np.ones((1, 3), dtype="float32"))
    assert layer.built and len(layer.weights) == 2


class PositionalWeights(Layer):
    def build(self, input_shape):
        self.a = self.add_weight((2, 3), "ones")                 # Keras 3: shape, initializer
        self.b = self.add_weight((3,), name="total", initializer="zeros")
        self.c = self.add_weight("c", (2,), "ones")              # Keras 2: name, shape, ...
        self.d = self.add_weight(4, initializer="ones", trainable=False)  # an int shape


def test_add_weight_positional_keras3_and_keras2_orders():
    layer = PositionalWeights()
    layer(np.zeros((1, 1)))
    np.testing.assert_array_equal(layer.a.numpy(), np.ones((2, 3)))
    assert layer.b.name.endswith("total") and layer.b.shape == (3,)
    assert layer.c.name.endswith("/c")
    np.testing.assert_array_equal(layer.c.numpy(), [1.0, 1.0])
    assert layer.d.shape == (4,) and not layer.d.trainable


def test_add_weight_rejects_a_value_given_twice():
    class Twice(Layer):
        def build(self, input_shape):
            self.add_weight((2,), shape=(3,))

    with pytest.raises(TypeError, match="shape"):
        Twice()(np.zeros((1, 1)))


def test_add_weight_default_initializer_is_glorot_uniform_for_floats():
    class Default(Layer):
        def build(self, input_shape):
            self.w = self.add_weight(shape=(50, 40))
            self.n = self.add_weight(shape=(3,), dtype="int32")

    layer = Default()
    layer(np.zeros((1, 1)))
    w = layer.w.numpy()
    limit = np.sqrt(6.0 / (50 + 40))
    assert np.all(np.abs(w) <= limit) and w.std() > limit / 3
    assert layer.n.dtype == "int32"
    np.testing.assert_array_equal(layer.n.numpy(), [0, 0, 0])


# ---------------------------------------------------------------- eager vs symbolic calls


def test_eager_call_on_numpy_returns_values():
    layer = Dense(2, kernel_initializer="ones", bias_initializer="zeros")
    y = layer(np.array([[1.0, 2.0, 3.0]]))
    assert isinstance(y, np.ndarray) and isinstance(y, Array)
    np.testing.assert_array_equal(y.numpy(), [[6.0, 6.0]])
    assert type(y.numpy()) is np.ndarray
    assert y.dtype == np.float32
    assert layer._inbound_nodes == []  # eager calls leave no nodes behind


def test_symbolic_call_builds_nodes_and_holds_no_data():
    layer = Dense(3)
    assert not layer.built
    x = Input(shape=(5,))
    y = layer(x)
    assert isinstance(y, Tensor) and y.shape == (None, 3)
    assert layer.built and len(layer._inbound_nodes) == 1
    assert y._keras_history[0] is layer
    assert layer.output is y and layer.input is x
    assert layer.input_shape == (None, 5) and layer.output_shape == (None, 3)
    y2 = layer(Input(shape=(5,)))
    assert len(layer._inbound_nodes) == 2 and y2 is not y
    # the graph computes x . kernel + bias once data flows
    f = K.function([x], [y])
    data = np.arange(10, dtype="float32").reshape(2, 5)
    kernel, bias = layer.get_weights()
    np.testing.assert_allclose(f([data])[0], data @ kernel + bias, rtol=1e-6)


def test_uncalled_layer_has_no_output():
    with pytest.raises(AttributeError, match="not been called"):
        _ = Dense(2, name="lonely").output


# ---------------------------------------------------------------- weights


class Mixed(Layer):
    """Own weights created in the order non-trainable, trainable, non-trainable, trainable,
    plus a sub-layer."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.inner = Dense(2, name="mixed_inner")

    def build(self, input_shape):
        self.n1 = self.add_weight(name="n1", shape=(1,), trainable=False)
        self.t1 = self.add_weight(name="t1", shape=(2,))
        self.n2 = self.add_weight(name="n2", shape=(3,), trainable=False)
        self.t2 = self.add_weight(name="t2", shape=(4,))

    def call(self, inputs):
        return self.inner(inputs)


def test_weights_order_trainable_then_non_trainable_then_sublayers():
    layer = Mixed()
    layer(np.zeros((1, 3)))
    names = [w.name.split("/")[-1] for w in layer.weights]
    assert names == ["t1", "t2", "n1", "n2", "kernel", "bias"]
    assert [w.name.split("/")[-1] for w in layer.trainable_weights] == \
        ["t1", "t2", "kernel", "bias"]
    assert [w.name.split("/")[-1] for w in layer.non_trainable_weights] == ["n1", "n2"]
    assert [a.shape for a in layer.get_weights()] == [(2,), (4,), (1,), (3,), (3, 2), (2,)]
    assert layer.count_params() == 2 + 4 + 1 + 3 + 6 + 2


def test_trainable_false_freezes_the_layer_and_its_sublayers():
    layer = Mixed()
    layer(np.zeros((1, 3)))
    layer.trainable = False
    assert layer.trainable_weights == []
    assert len(layer.non_trainable_weights) == 6
    assert layer.inner.trainable is False and layer.inner.trainable_weights == []
    layer.trainable = True
    assert len(layer.trainable_weights) == 4


def test_dense_kernel_is_in_by_out_and_set_weights_roundtrip():
    layer = Dense(3, input_dim=4)
    layer(np.zeros((1, 4)))
    kernel = np.arange(12, dtype="float32").reshape(4, 3)
    bias = np.array([1.0, -1.0, 0.5], dtype="float32")
    layer.set_weights([kernel, bias])
    got = layer.get_weights()
    np.testing.assert_array_equal(got[0], kernel)
    np.testing.assert_array_equal(got[1], bias)
    got[0][0, 0] = 99.0  # get_weights returns copies
    assert layer.get_weights()[0][0, 0] == 0.0


def test_set_weights_errors_name_the_layer_and_shapes():
    layer = Dense(2, name="dense_errs")
    layer(np.zeros((1, 5)))
    with pytest.raises(ValueError, match=r'"dense_errs" expects 2 weight arrays, got 1'):
        layer.set_weights([np.zeros((5, 2))])
    with pytest.raises(ValueError) as info:
        layer.set_weights([np.zeros((2, 5)), np.zeros(2)])
    message = str(info.value)
    assert "dense_errs" in message and "(5, 2)" in message and "(2, 5)" in message


def test_count_params_and_its_error_before_build():
    layer = Dense(3, name="unbuilt_dense")
    with pytest.raises(ValueError, match="unbuilt_dense.*no weights yet"):
        layer.count_params()
    layer(np.zeros((2, 4)))
    assert layer.count_params() == 4 * 3 + 3
    assert Dense(3, use_bias=False)(np.zeros((1, 4))).shape == (1, 3)


# ---------------------------------------------------------------- configs


def test_get_config_from_config_roundtrip_custom_layer():
    layer = SimpleDense(units=7, name="sd", trainable=False)
    config = layer.get_config()
    assert config == {"name": "sd", "trainable": False, "dtype": "float32", "units": 7}
    clone = SimpleDense.from_config(config)
    assert isinstance(clone, SimpleDense) and clone.units == 7 and clone.name == "sd"
    assert clone.trainable is False and clone.get_config() == config


def test_get_config_from_config_roundtrip_dense():
    layer = Dense(5, activation="relu", use_bias=False, kernel_initializer="ones",
                  kernel_regularizer="l2", input_dim=3, name="dense_cfg")
    config = layer.get_config()
    assert config["units"] == 5 and config["activation"] == "relu"
    assert config["use_bias"] is False and config["batch_input_shape"] == [None, 3]
    assert config["kernel_regularizer"] == {"class_name": "L2", "config": {"l2": 0.01}}
    clone = Dense.from_config(config)
    assert clone.get_config() == config
    x = np.array([[1.0, -2.0, 3.0]])
    np.testing.assert_array_equal(clone(x), [[2.0] * 5])  # relu(1 - 2 + 3), ones kernel


def test_unknown_keyword_is_an_error():
    with pytest.raises(TypeError, match="Dense got unexpected keyword argument.*unitz"):
        Dense(3, unitz=4)


def test_input_dim_alias_sets_input_shape():
    layer = Dense(3, input_dim=4)
    assert layer._batch_input_shape == (None, 4)
    model = Sequential([layer])
    assert model.input_shape == (None, 4) and model.output_shape == (None, 3)
    assert Dense(3, input_shape=(4,), batch_size=8)._batch_input_shape == (8, 4)


# ---------------------------------------------------------------- InputSpec and shapes


def test_input_spec_mismatch_messages():
    assert InputSpec(min_ndim=2, axes={-1: 784}).mismatch((None, 28, 28)) == \
        "expected axis -1 of input shape to have value 784"
    assert InputSpec(ndim=2).mismatch((None, 2, 3)) == "expected ndim=2"
    assert InputSpec(min_ndim=3).mismatch((None, 2)) == "expected min_ndim=3"
    assert InputSpec(max_ndim=2).mismatch((None, 2, 3)) == "expected max_ndim=2"
    assert InputSpec(shape=(None, 3)).mismatch((None, 4)) == "expected shape=(None, 3)"
    assert InputSpec(shape=(None, 3)).mismatch((7, 3)) is None
    assert InputSpec(min_ndim=2, axes={-1: 784}).mismatch((None, 784)) is None


def test_input_spec_error_names_layer_both_shapes_and_the_callers_line():
    class NeedsThree(Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.input_spec = InputSpec(shape=(None, 3))

    layer = NeedsThree(name="needs_three")
    x = Input(shape=(4,))
    with pytest.raises(ValueError) as info:
        line = here(); layer(x)
    message = str(info.value)
    assert message.startswith('Input 0 of layer "needs_three" is incompatible')
    assert "expected shape=(None, 3)" in message
    assert "received input with shape (None, 4)" in message
    assert f'File "{__file__}", line {line}' in message
    assert "layer(x)" in message  # the learner's code is quoted


def test_built_dense_rejects_a_different_feature_size_eagerly_and_symbolically():
    layer = Dense(2, name="dense_built5")
    layer(np.ones((1, 5)))
    with pytest.raises(ValueError) as info:
        line = here(); layer(np.ones((1, 4)))
    message = str(info.value)
    assert '"dense_built5"' in message and "value 5" in message and "(1, 4)" in message
    assert f"line {line}" in message
    with pytest.raises(ValueError, match=r"dense_built5.*value 5.*\(None, 4\)"):
        layer(Input(shape=(4,)))


def test_ndim_spec_error():
    with pytest.raises(ValueError, match=r'layer "rv".*expected ndim=2.*\(None, 2, 3\)'):
        RepeatVector(2, name="rv")(Input(shape=(2, 3)))


def test_compute_output_shape():
    assert Dense(3).compute_output_shape((None, 5)) == (None, 3)
    assert Dense(3).compute_output_shape((None, 7, 5)) == (None, 7, 3)
    assert Flatten().compute_output_shape((None, 2, 3, 4)) == (None, 24)
    assert Reshape((-1, 2)).compute_output_shape((None, 6)) == (None, 3, 2)
    assert Layer().compute_output_shape((None, 4)) == (None, 4)
