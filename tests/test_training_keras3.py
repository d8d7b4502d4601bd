"""Training options the Keras 3 way (issue 18, items 4-5): add_loss, compile without a
loss, metrics_names, sample and class weights, masks, schedules, dict outputs, layers
called with two tensors, from_config. Numbers by hand (tests/interop: against Keras)."""
import numpy as np
import pytest

import minikeras as mk
from minikeras import layers, ops
from minikeras.optimizers import SGD, schedules

X = np.array([[1.0], [2.0], [3.0], [4.0]])
Y = np.array([[0.0], [0.0], [0.0], [0.0]])


def doubling(**compile_args):
    """y = 2x, weights fixed (learning rate 0): the squared errors are 4, 16, 36, 64."""
    model = mk.Sequential([layers.Input((1,)), layers.Dense(1, kernel_initializer="ones",
                                                            bias_initializer="zeros")])
    model.set_weights([np.array([[2.0]]), np.array([0.0])])
    model.compile(SGD(0.0), "mse", **compile_args)
    return model


# ---------------------------------------------------------------- sample and class weights

def test_sample_weights_weight_each_sample_over_the_batch_size():
    """Keras 3's sum_over_batch_size: sum(w * e) / n, not / sum(w)."""
    model = doubling()
    w = np.array([1.0, 0.0, 0.5, 2.0])
    loss = model.evaluate(X, Y, sample_weight=w, batch_size=4, verbose=0)
    assert loss == pytest.approx((4 + 0 + 18 + 128) / 4)
    # in batches of 2 the epoch loss is the mean of batch losses weighted by their size
    loss2 = model.evaluate(X, Y, sample_weight=w, batch_size=2, verbose=0)
    assert loss2 == pytest.approx(((4 + 0) / 2 * 2 + (18 + 128) / 2 * 2) / 4)


def test_weighted_metrics_divide_by_the_weights_and_metrics_ignore_them():
    model = doubling(metrics=["mae"], weighted_metrics=["mae"])
    w = np.array([1.0, 0.0, 0.5, 2.0])
    logs = model.evaluate(X, Y, sample_weight=w, verbose=0, return_dict=True)
    assert logs["mae"] == pytest.approx((2 + 4 + 6 + 8) / 4)
    assert logs["weighted_mae"] == pytest.approx((2 * 1 + 6 * 0.5 + 8 * 2) / 3.5)


def test_class_weights_are_sample_weights_by_class():
    model = mk.Sequential([layers.Input((2,)), layers.Dense(2, activation="softmax",
                                                            kernel_initializer="zeros")])
    model.compile(SGD(0.0), "sparse_categorical_crossentropy")
    x, y = np.ones((3, 2)), np.array([0, 1, 1])   # every prediction 0.5: each loss log 2
    plain = model.evaluate(x, y, verbose=0)
    assert plain == pytest.approx(np.log(2))
    history = model.fit(x, y, class_weight={1: 3.0}, verbose=0, shuffle=False)
    assert history.history["loss"][0] == pytest.approx(np.log(2) * (1 + 3 + 3) / 3)
    with pytest.raises(ValueError, match="class_weight.*sample_weight"):
        model.fit(x, y, class_weight={1: 3.0}, sample_weight=np.ones(3), verbose=0)


def test_sample_weights_change_the_gradient_step():
    """One SGD step on y = w x: d/dw of sum(s_i (w x_i - y_i)^2) / n."""
    model = mk.Sequential([layers.Input((1,)), layers.Dense(1, use_bias=False,
                                                            kernel_initializer="zeros")])
    model.compile(SGD(0.1), "mse")
    x, y, s = np.array([[1.0], [2.0]]), np.array([[1.0], [1.0]]), np.array([3.0, 1.0])
    model.fit(x, y, sample_weight=s, batch_size=2, epochs=1, verbose=0, shuffle=False)
    grad = (3.0 * 2 * (0 - 1) * 1 + 1.0 * 2 * (0 - 1) * 2) / 2
    assert model.get_weights()[0][0, 0] == pytest.approx(-0.1 * grad)


def test_validation_split_takes_the_sample_weights_along():
    model = doubling()
    w = np.array([1.0, 1.0, 1.0, 0.0])
    history = model.fit(X, Y, sample_weight=w, validation_split=0.25, verbose=0)
    assert history.history["val_loss"] == [pytest.approx(0.0)]   # the last sample: weight 0
    history = model.fit(X, Y, validation_data=(X, Y, w), verbose=0)
    assert history.history["val_loss"] == [pytest.approx((4 + 16 + 36) / 4)]


def test_masked_timesteps_do_not_count_and_weights_multiply_in():
    x = np.zeros((2, 3, 2))
    x[0, 0], x[1, :2] = [1.0, 0.0], [[0.0, 2.0], [1.0, 1.0]]   # kept: 1 step and 2 steps
    model = mk.Sequential([layers.Input((3, 2)), layers.Masking(0.0),
                           layers.Activation("softmax")])
    model.compile("sgd", "sparse_categorical_crossentropy")
    y = np.array([[0, 1, 1], [1, 0, 0]])
    p = np.exp(x) / np.exp(x).sum(-1, keepdims=True)
    ce = -np.log(np.take_along_axis(p, y[..., None], -1)[..., 0])
    kept = np.array([[1, 0, 0], [1, 1, 0]])
    assert model.evaluate(x, y, verbose=0) == pytest.approx((ce * kept).sum() / 3, rel=1e-6)
    w = np.array([[2.0, 1.0, 1.0], [1.0, 3.0, 1.0]])
    assert model.evaluate(x, y, sample_weight=w, verbose=0) == \
        pytest.approx((ce * kept * w).sum() / 3, rel=1e-6)   # / kept entries, not / weights
    with pytest.raises(ValueError, match="one weight per entry"):
        model.evaluate(x, y, sample_weight=np.ones(2), verbose=0)  # as Keras: not per sample


# ---------------------------------------------------------------- add_loss, metrics_names

class ActivityPenalty(layers.Layer):
    def __init__(self, rate, **kwargs):
        super().__init__(**kwargs)
        self.rate = rate

    def call(self, inputs):
        self.add_loss(self.rate * ops.sum(ops.abs(inputs)))
        return inputs


def test_add_loss_is_part_of_the_loss_and_reset_each_call():
    inputs = mk.Input((1,))
    outputs = ActivityPenalty(0.5)(layers.Dense(1, kernel_initializer="ones")(inputs))
    model = mk.Model(inputs, outputs)
    model.compile(SGD(0.0), "mse")
    # mse (1 + 4 + 9 + 16) / 4 = 7.5, penalty 0.5 * |1 + 2 + 3 + 4| = 5 for the one batch
    assert model.evaluate(X, Y, verbose=0) == pytest.approx(7.5 + 5.0)
    assert model.evaluate(X, Y, verbose=0) == pytest.approx(7.5 + 5.0)   # not doubled
    model.compile(SGD(0.0))                     # no compiled loss: only the added one
    assert model.evaluate(X, Y, verbose=0) == pytest.approx(5.0)


def test_layer_losses_after_an_eager_call_are_values():
    layer = ActivityPenalty(2.0)
    layer(np.array([[1.0, -2.0]]))
    assert len(layer.losses) == 1 and float(layer.losses[0]) == 6.0
    layer(np.array([[1.0]]))
    assert [float(v) for v in layer.losses] == [2.0]     # the latest call's only


def test_activity_regularizer_is_per_sample():
    """Keras 3 divides the penalty by the batch size."""
    model = mk.Sequential([layers.Input((1,)), layers.Dense(
        1, kernel_initializer="ones", activity_regularizer=mk.regularizers.L1(1.0))])
    model.compile(SGD(0.0), "mse")
    assert model.evaluate(X, Y, verbose=0) == pytest.approx(7.5 + 10 / 4)


def test_metrics_names_as_keras_3():
    model = doubling()
    assert model.metrics_names == ["loss"]
    model.compile("sgd", "mse", metrics=["mae"])
    assert model.metrics_names == ["loss", "compile_metrics"]
    assert model.evaluate(X, Y, verbose=0) == pytest.approx([30.0, 5.0])


def test_train_on_batch_resets_the_metrics():
    model = doubling(metrics=["mae"])
    first = model.train_on_batch(X[:2], Y[:2], return_dict=True)
    second = model.train_on_batch(X[2:], Y[2:], return_dict=True)
    assert first == {"loss": pytest.approx(10.0), "mae": pytest.approx(3.0)}
    assert second == {"loss": pytest.approx(50.0), "mae": pytest.approx(7.0)}


# ---------------------------------------------------------------- schedules

def test_a_schedule_gives_each_step_its_rate():
    """Gradient of mean((w x - y)^2) at w = 0 with x = 1, y = 1 is -2: w moves 2 lr per
    step while the rate decays 0.5 per step."""
    model = mk.Sequential([layers.Input((1,)), layers.Dense(1, use_bias=False,
                                                            kernel_initializer="zeros")])
    opt = SGD(schedules.ExponentialDecay(0.1, decay_steps=1, decay_rate=0.5))
    model.compile(opt, "mse")
    model.fit(np.ones((1, 1)), np.ones((1, 1)), epochs=1, verbose=0)
    assert model.get_weights()[0][0, 0] == pytest.approx(0.2)        # step 0: lr 0.1
    assert float(opt.learning_rate.numpy()) == pytest.approx(0.05)   # the next step's
    model.fit(np.ones((1, 1)), np.ones((1, 1)), epochs=1, verbose=0)
    w = 0.2 + 0.05 * 2 * (1 - 0.2)
    assert model.get_weights()[0][0, 0] == pytest.approx(w)
    with pytest.raises(TypeError, match="not settable"):
        opt.learning_rate = 0.3


def test_schedules_by_their_formulas():
    assert float(schedules.InverseTimeDecay(1.0, 2, 0.5)(4)) == pytest.approx(1 / (1 + 1))
    assert float(schedules.PiecewiseConstantDecay([3], [1.0, 0.1])(3)) == 1.0
    assert float(schedules.PiecewiseConstantDecay([3], [1.0, 0.1])(4)) == pytest.approx(0.1)
    cosine = schedules.CosineDecay(1.0, 10, alpha=0.2)
    assert float(cosine(5)) == pytest.approx(0.8 * 0.5 + 0.2)
    assert float(cosine(20)) == pytest.approx(0.2)
    warm = schedules.CosineDecay(0.0, 10, warmup_target=1.0, warmup_steps=4)
    assert float(warm(2)) == pytest.approx(0.5) and float(warm(4)) == pytest.approx(1.0)
    config = SGD(cosine).get_config()["learning_rate"]
    assert config["class_name"] == "CosineDecay"
    assert isinstance(SGD.from_config(SGD(cosine).get_config())._schedule,
                      schedules.CosineDecay)


# ---------------------------------------------------------------- outputs, calls, configs

def test_dict_outputs_with_dict_losses_and_targets():
    x = mk.Input((1,), name="x")
    model = mk.Model(x, {"big": layers.Dense(1, kernel_initializer="ones", name="d1")(x),
                         "small": layers.Dense(1, kernel_initializer="zeros", name="d2")(x)})
    model.compile(SGD(0.0), {"big": "mse", "small": "mae"}, loss_weights={"small": 10.0})
    targets = {"big": np.zeros((4, 1)), "small": np.ones((4, 1))}
    logs = model.evaluate(X, targets, verbose=0, return_dict=True)
    assert logs == {"loss": pytest.approx(7.5 + 10 * 1.0), "big_loss": pytest.approx(7.5),
                    "small_loss": pytest.approx(1.0)}
    prediction = model.predict(X, verbose=0)
    assert sorted(prediction) == ["big", "small"]
    np.testing.assert_allclose(prediction["big"], X)


def test_a_layer_called_with_two_tensors():
    class WeightedSum(layers.Layer):
        def build(self, a_shape, b_shape):
            self.w = self.add_weight(shape=(), initializer="ones")

        def call(self, a, b):
            return a + self.w * b

    a, b = mk.Input((2,)), mk.Input((2,))
    model = mk.Model([a, b], WeightedSum()(a, b))
    out = model.predict([np.ones((1, 2)), 2 * np.ones((1, 2))], verbose=0)
    np.testing.assert_allclose(out, [[3.0, 3.0]])
    np.testing.assert_allclose(WeightedSum()(np.ones((1, 2)), np.ones((1, 2))), [[2.0, 2.0]])
    copy = mk.Model.from_config(model.get_config(), custom_objects={"WeightedSum": WeightedSum})
    copy.set_weights(model.get_weights())
    np.testing.assert_allclose(copy.predict([np.ones((1, 2)), 2 * np.ones((1, 2))],
                                            verbose=0), out)


def test_model_and_sequential_from_config():
    x = mk.Input((3,), name="x")
    model = mk.Model(x, layers.Dense(2, name="d")(layers.Dense(4, name="h")(x)))
    copy = mk.Model.from_config(model.get_config())
    assert [l.name for l in copy.layers] == ["x", "h", "d"] and copy.output_shape == (None, 2)
    seq = mk.Sequential([layers.Input((3,)), layers.Dense(2)], name="s")
    again = mk.Sequential.from_config(seq.get_config())
    assert again.name == "s" and again.output_shape == (None, 2)
    with pytest.raises(ValueError, match="custom_objects"):
        mk.Model.from_config({"name": "m", "layers": [
            {"class_name": "Mystery", "config": {}, "name": "q", "inbound_nodes": []}],
            "input_layers": [], "output_layers": []})


def test_get_config_dtype_is_a_dtype_policy_and_strings_are_accepted():
    config = layers.Dense(2, dtype="float64").get_config()
    assert config["dtype"] == {"module": "keras", "class_name": "DTypePolicy",
                               "config": {"name": "float64"}, "registered_name": None}
    assert layers.Dense.from_config({**config, "units": 2}).dtype == "float64"
    assert layers.Dense.from_config({**config, "dtype": "float64"}).dtype == "float64"
    assert layers.InputLayer(shape=(2,)).get_config()["dtype"] == "float32"  # as Keras 3
