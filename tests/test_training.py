"""compile / fit / evaluate / predict: semantics checked with hand-computed numbers."""
import inspect
import re

import numpy as np
import pytest

import minikeras.backend as K
from minikeras import regularizers
from minikeras.callbacks import Callback, EarlyStopping, History
from minikeras.layers import Activation, Dense, Dropout, Input, Lambda
from minikeras.models import Model, Sequential
from minikeras.ops.random import set_seed
from minikeras.optimizers import SGD

# a linear model with kernel [[1], [1]] and bias 0 predicts the sum of the two features
X5 = np.array([[1, 0], [0, 1], [1, 1], [2, 2], [3, 3]], dtype="float32")  # sums 1 1 2 4 6
Y5 = np.array([0, 1, 2, 0, 0], dtype="float32")


def here() -> int:
    return inspect.currentframe().f_back.f_lineno


def fixed_linear(lr=0.0, metrics=None, **compile_kwargs):
    """Dense(1) summing its 2 inputs; with lr=0 its weights never move."""
    model = Sequential([Dense(1, input_shape=(2,), kernel_initializer="ones",
                              bias_initializer="zeros")])
    model.compile(optimizer=SGD(learning_rate=lr), loss="mse", metrics=metrics,
                  **compile_kwargs)
    return model


def sgd_by_hand(w, b, x, y, lr, batch_size):
    """Mini-batch SGD on mse for y ~ x w + b, batches in order, in float64."""
    w, b = w.astype(np.float64), b.astype(np.float64)
    for start in range(0, len(x), batch_size):
        xb, yb = x[start:start + batch_size], y[start:start + batch_size]
        err = xb @ w + b - yb
        w = w - lr * 2 * xb.T @ err / err.size
        b = b - lr * 2 * err.sum(0) / err.size
    return w, b


# ---------------------------------------------------------------- fit and History


def test_fit_returns_history_with_per_epoch_keys():
    model = fixed_linear(lr=0.01, metrics=["mae"])
    history = model.fit(X5, Y5, epochs=3, batch_size=2, validation_split=0.4, verbose=0)
    assert isinstance(history, History) and model.history is history
    assert history.epoch == [0, 1, 2]
    assert set(history.history) == {"loss", "mae", "val_loss", "val_mae"}
    assert all(len(v) == 3 for v in history.history.values())
    assert all(isinstance(v, float) for v in history.history["loss"])
    assert history.history["loss"][-1] < history.history["loss"][0]  # it learns


def test_validation_split_takes_the_last_samples_before_shuffling():
    model = fixed_linear(lr=0.0, metrics=["mae"])
    history = model.fit(X5, Y5, validation_split=0.4, epochs=2, batch_size=2, shuffle=True,
                        verbose=0)
    # train on the first 3: predictions 1 1 2 vs 0 1 2 -> mse 1/3, mae 1/3
    # validate on the last 2: predictions 4 6 vs 0 0 -> mse (16 + 36) / 2 = 26, mae 5
    np.testing.assert_allclose(history.history["loss"], [1 / 3] * 2, rtol=1e-6)
    np.testing.assert_allclose(history.history["mae"], [1 / 3] * 2, rtol=1e-6)
    np.testing.assert_allclose(history.history["val_loss"], [26.0] * 2, rtol=1e-6)
    np.testing.assert_allclose(history.history["val_mae"], [5.0] * 2, rtol=1e-6)


def test_validation_data():
    model = fixed_linear()
    history = model.fit(X5, Y5, validation_data=(X5[:2], np.array([3.0, 1.0])), verbose=0)
    assert history.history["val_loss"] == [pytest.approx((4 + 0) / 2)]


def test_validation_split_that_leaves_nothing_is_an_error():
    with pytest.raises(ValueError, match="validation_split=0.1 leaves no samples"):
        fixed_linear().fit(X5, Y5, validation_split=0.1, verbose=0)
    with pytest.raises(ValueError, match="between 0 and 1"):
        fixed_linear().fit(X5, Y5, validation_split=1.5, verbose=0)


def test_shuffle_false_is_minibatch_sgd_in_order():
    w0 = np.array([[0.5], [-1.0]], "float32")
    b0 = np.array([0.25], "float32")
    x = np.array([[1, 2], [3, 4], [5, 6], [7, 8]], "float32")
    y = np.array([[1], [2], [3], [4]], "float32")
    model = Sequential([Dense(1, input_shape=(2,))])
    model.set_weights([w0, b0])
    model.compile(SGD(learning_rate=0.01), "mse")
    model.fit(x, y, batch_size=2, epochs=1, shuffle=False, verbose=0)
    w, b = sgd_by_hand(w0, b0, x, y, 0.01, 2)
    np.testing.assert_allclose(model.get_weights()[0], w, rtol=1e-5)
    np.testing.assert_allclose(model.get_weights()[1], b, rtol=1e-5)
    # one batch of 4 is a different (batch gradient descent) step
    w_full, _ = sgd_by_hand(w0, b0, x, y, 0.01, 4)
    assert not np.allclose(w, w_full)


def test_shuffle_true_changes_the_batch_order():
    x = np.arange(16, dtype="float32").reshape(8, 2) / 8
    y = np.arange(8, dtype="float32")[:, None]
    final = []
    for shuffle in (False, True):
        model = Sequential([Dense(1, input_shape=(2,), kernel_initializer="zeros")])
        model.compile(SGD(learning_rate=0.05), "mse")
        model.fit(x, y, batch_size=2, epochs=2, shuffle=shuffle, verbose=0)
        final.append(model.get_weights()[0])
    expected, _ = sgd_by_hand(np.zeros((2, 1), "float32"), np.zeros(1, "float32"), x, y,
                              0.05, 2)
    expected, _ = sgd_by_hand(expected, _, x, y, 0.05, 2)
    np.testing.assert_allclose(final[0], expected, rtol=1e-5)
    assert not np.allclose(final[1], expected, rtol=1e-5)


def test_last_batch_may_be_smaller_and_epoch_loss_is_sample_weighted():
    model = fixed_linear(lr=0.0)
    history = model.fit(X5, Y5, batch_size=2, epochs=1, shuffle=False, verbose=0)
    # per-sample squared errors 1 0 0 16 36: batches (1+0)/2, (0+16)/2, 36/1
    assert history.history["loss"][0] == pytest.approx(53 / 5)


# ---------------------------------------------------------------- evaluate / predict


def test_evaluate_scalar_without_metrics_list_with_them():
    loss = fixed_linear().evaluate(X5, Y5, verbose=0)
    assert isinstance(loss, float) and loss == pytest.approx(53 / 5)
    result = fixed_linear(metrics=["mae", "mse"]).evaluate(X5, Y5, batch_size=2, verbose=0)
    assert isinstance(result, list) and len(result) == 3
    np.testing.assert_allclose(result, [53 / 5, (1 + 0 + 0 + 4 + 6) / 5, 53 / 5], rtol=1e-6)
    as_dict = fixed_linear(metrics=["mae"]).evaluate(X5, Y5, verbose=0, return_dict=True)
    assert as_dict == {"loss": pytest.approx(10.6), "mae": pytest.approx(2.2)}


def test_accuracy_metric_hand_computed():
    model = Sequential([Dense(2, input_shape=(2,), activation="softmax",
                              kernel_initializer="identity", bias_initializer="zeros")])
    model.compile("sgd", "categorical_crossentropy", metrics=["accuracy"])
    x = np.array([[2.0, 0.0], [0.0, 1.0], [1.0, 3.0], [5.0, 4.0]])
    y = np.eye(2)[[0, 0, 1, 1]]  # predicted classes 0 1 1 0 -> 2 of 4 right
    loss, acc = model.evaluate(x, y, verbose=0)
    assert acc == pytest.approx(0.5)
    p = np.exp(x) / np.exp(x).sum(1, keepdims=True)
    assert loss == pytest.approx(float(np.mean(-np.log((p * y).sum(1)))), rel=1e-5)


def test_predict_runs_batches_and_concatenates_them():
    # the layer subtracts its batch's mean, so the output shows how samples were batched
    model = Sequential([Lambda(lambda t: t - K.mean(t, axis=0), input_shape=(1,))])
    x = np.array([[1.0], [3.0], [10.0], [20.0], [7.0]])
    np.testing.assert_allclose(model.predict(x, batch_size=2, verbose=0),
                               [[-1], [1], [-5], [5], [0]])
    np.testing.assert_allclose(model.predict_on_batch(x), x - x.mean(), rtol=1e-6)
    np.testing.assert_allclose(model.predict(x, verbose=0), x - x.mean(), rtol=1e-6)
    assert model.predict(np.zeros((0, 1)), verbose=0).shape == (0, 1)


def test_predict_of_a_multi_output_model_returns_a_list():
    inp = Input(shape=(2,))
    model = Model(inp, [Dense(1, kernel_initializer="ones")(inp),
                        Dense(3, kernel_initializer="zeros")(inp)])
    y1, y2 = model.predict(X5, batch_size=2, verbose=0)
    np.testing.assert_allclose(y1, X5.sum(1, keepdims=True))
    assert y2.shape == (5, 3)


def test_train_test_predict_on_batch():
    w0, b0 = np.array([[0.5], [-1.0]], "float32"), np.array([0.25], "float32")
    model = Sequential([Dense(1, input_shape=(2,))])
    model.set_weights([w0, b0])
    model.compile(SGD(learning_rate=0.1), "mse", metrics=["mae"])
    x, y = X5[:3], Y5[:3, None]
    err = x @ w0 + b0 - y
    loss, mae = model.test_on_batch(x, y)
    assert loss == pytest.approx(float(np.mean(err ** 2)))
    assert mae == pytest.approx(float(np.mean(np.abs(err))))
    np.testing.assert_array_equal(model.get_weights()[0], w0)  # test: no update
    loss, _ = model.train_on_batch(x, y)
    assert loss == pytest.approx(float(np.mean(err ** 2)))  # the loss before the update
    w, b = sgd_by_hand(w0, b0, x, y, 0.1, 3)
    np.testing.assert_allclose(model.get_weights()[0], w, rtol=1e-5)
    np.testing.assert_allclose(model.predict_on_batch(x), x @ w + b, rtol=1e-5)
    assert model.train_on_batch(x, y, return_dict=True).keys() == {"loss", "mae"}


def test_integer_and_uint8_inputs_are_cast_to_floatx():
    pixels = np.array([[200, 100], [3, 4]], dtype="uint8")  # 200 + 100 overflows uint8
    for model in (fixed_linear(), Sequential([Dense(1, kernel_initializer="ones")])):
        model.compile(SGD(learning_rate=0.0), "mse")
        for dtype in ("uint8", "int32", "int64"):
            out = model.predict(pixels.astype(dtype), verbose=0)
            assert out.dtype == np.float32
            np.testing.assert_array_equal(out, [[300.0], [7.0]])
        assert model.evaluate(pixels, np.array([300, 7], "uint16"), verbose=0) == 0.0
    for dtype in ("int32", "int64"):  # a model built from integer data still runs in floatx
        model = Sequential([Dense(1, kernel_initializer="ones")])
        out = model.predict(pixels.astype(dtype), verbose=0)
        assert model.inputs[0].dtype == "float32" and out.dtype == np.float32
        np.testing.assert_array_equal(out, [[300.0], [7.0]])


def test_uint8_fit_equals_float_fit():
    x = np.array([[1, 2], [3, 4], [5, 6], [7, 8]], dtype="uint8")
    y = np.array([1, 2, 3, 4], dtype="uint8")
    weights = []
    for xs in (x, x.astype("float32")):
        model = Sequential([Dense(1, input_shape=(2,), kernel_initializer="zeros")])
        model.compile(SGD(learning_rate=0.01), "mse")
        model.fit(xs, y, batch_size=2, shuffle=False, verbose=0)
        weights.append(model.get_weights())
    for a, b in zip(*weights):
        np.testing.assert_array_equal(a, b)


# ---------------------------------------------------------------- errors


def test_fit_before_compile():
    model = Sequential([Dense(1, input_shape=(2,))])
    for call in (lambda: model.fit(X5, Y5), lambda: model.evaluate(X5, Y5),
                 lambda: model.train_on_batch(X5, Y5), lambda: model.test_on_batch(X5, Y5)):
        with pytest.raises(RuntimeError, match="compile"):
            call()
    np.testing.assert_array_equal(model.predict(X5, verbose=0).shape, (5, 1))  # no compile


def test_compile_errors():
    with pytest.raises(ValueError, match="compile needs a loss"):
        fixed_linear().compile("sgd")
    with pytest.raises(TypeError, match="lossy"):
        fixed_linear().compile("sgd", "mse", lossy=1)


def test_fit_input_shape_error_names_the_first_layer_and_both_shapes():
    model = Sequential([Dense(500, input_shape=(784,), name="first_dense"),
                        Activation("tanh"), Dense(10, activation="softmax")])
    model.compile("sgd", "categorical_crossentropy")
    images = np.zeros((6, 28, 28), dtype="uint8")
    with pytest.raises(ValueError) as info:
        line = here(); model.fit(images, np.zeros((6, 10)), verbose=0)
    message = str(info.value)
    assert 'layer "first_dense"' in message
    assert "expected shape=(None, 784)" in message and "found shape=(6, 28, 28)" in message
    assert f'File "{__file__}", line {line}' in message
    with pytest.raises(ValueError, match="first_dense.*found shape=\\(6, 28, 28\\)"):
        model.predict(images, verbose=0)


def test_mismatched_sample_counts_and_missing_targets():
    model = fixed_linear()
    with pytest.raises(ValueError, match="different numbers of samples: 5 and 4"):
        model.fit(X5, Y5[:4], verbose=0)
    with pytest.raises(ValueError, match="fit needs targets"):
        model.fit(X5, verbose=0)


# ---------------------------------------------------------------- epochs, callbacks, output


def test_initial_epoch(capsys):
    history = fixed_linear(lr=0.01).fit(X5, Y5, epochs=4, initial_epoch=2, verbose=1)
    assert history.epoch == [2, 3] and len(history.history["loss"]) == 2
    out = capsys.readouterr().out
    assert "Epoch 3/4" in out and "Epoch 4/4" in out and "Epoch 1/4" not in out


def test_nb_epoch_keras1_spelling():
    assert fixed_linear().fit(X5, Y5, nb_epoch=3, verbose=0).epoch == [0, 1, 2]


class Recorder(Callback):
    def __init__(self):
        super().__init__()
        self.events = []

    def on_train_begin(self, logs=None):
        self.events.append(("train_begin",))

    def on_epoch_begin(self, epoch, logs=None):
        self.events.append(("epoch_begin", epoch))

    def on_train_batch_begin(self, batch, logs=None):
        self.events.append(("batch_begin", batch))

    def on_train_batch_end(self, batch, logs=None):
        self.events.append(("batch_end", batch, sorted(logs)))

    def on_epoch_end(self, epoch, logs=None):
        self.events.append(("epoch_end", epoch, sorted(logs)))

    def on_train_end(self, logs=None):
        self.events.append(("train_end",))


def test_callbacks_are_called_in_order():
    rec = Recorder()
    model = fixed_linear(lr=0.01, metrics=["mae"])
    model.fit(X5[:4], Y5[:4], epochs=2, batch_size=2, validation_split=0.5, verbose=0,
              callbacks=[rec])
    assert rec.model is model
    assert rec.params["epochs"] == 2 and rec.params["steps"] == 1
    expected = [("train_begin",)]
    for epoch in range(2):
        expected += [("epoch_begin", epoch), ("batch_begin", 0),
                     ("batch_end", 0, ["loss", "mae"]),
                     ("epoch_end", epoch, ["loss", "mae", "val_loss", "val_mae"])]
    assert rec.events == expected + [("train_end",)]


def test_early_stopping_stops_training():
    model = fixed_linear(lr=0.0)  # the loss never improves
    history = model.fit(X5, Y5, epochs=10, shuffle=False, verbose=0,
                        callbacks=[EarlyStopping(monitor="loss", patience=1)])
    assert history.epoch == [0, 1]
    history = model.fit(X5, Y5, epochs=10, shuffle=False, verbose=0,
                        callbacks=[EarlyStopping(monitor="loss", patience=3)])
    assert history.epoch == [0, 1, 2, 3]


def test_stop_training_from_a_batch_hook():
    class StopAfterTwo(Callback):
        def on_train_batch_end(self, batch, logs=None):
            self.model.stop_training = batch == 1

    model = fixed_linear(lr=0.0)
    history = model.fit(X5, Y5, epochs=5, batch_size=1, shuffle=False, verbose=0,
                        callbacks=[StopAfterTwo()])
    assert history.epoch == [0]
    assert history.history["loss"] == [pytest.approx((1 + 0) / 2)]  # 2 samples seen


def test_verbose_0_prints_nothing(capsys):
    model = fixed_linear(lr=0.01, metrics=["mae"])
    model.fit(X5, Y5, epochs=2, validation_split=0.2, verbose=0)
    model.evaluate(X5, Y5, verbose=0)
    model.predict(X5, verbose=0)
    assert capsys.readouterr().out == ""


def test_verbose_2_prints_one_line_per_epoch(capsys):
    model = fixed_linear(lr=0.01)
    model.fit(X5, Y5, batch_size=2, epochs=1, verbose=2)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 1
    assert re.fullmatch(r"3/3 - \S+ - \S+/step - loss: \d+\.\d{4}", lines[0]), lines
    model.fit(X5, Y5, batch_size=2, epochs=3, verbose=2)
    lines = capsys.readouterr().out.splitlines()
    assert [line for line in lines if line.startswith("Epoch")] == \
        ["Epoch 1/3", "Epoch 2/3", "Epoch 3/3"]
    summaries = [line for line in lines if not line.startswith("Epoch")]
    assert len(summaries) == 3 and all(line.startswith("3/3 - ") for line in summaries)
    assert "━" not in "".join(lines)


def test_verbose_1_prints_epoch_lines_and_a_bar(capsys):
    model = fixed_linear(lr=0.01, metrics=["mae"])
    model.fit(X5, Y5, batch_size=5, epochs=2, verbose=1)
    out = capsys.readouterr().out
    assert out.startswith("Epoch 1/2\n")
    assert "\nEpoch 2/2\n" in out
    assert out.count("1/1 ━━━━━━━━━━━━━━━━━━━━") >= 2
    assert "loss:" in out and "mae:" in out
    assert out.endswith("\n")


# ---------------------------------------------------------------- reproducibility


def train_once(seed):
    set_seed(seed)
    model = Sequential([Dense(8, input_shape=(3,), activation="tanh"), Dropout(0.5),
                        Dense(1)])
    model.compile(SGD(learning_rate=0.1), "mse")
    x = np.linspace(-1, 1, 60, dtype="float32").reshape(20, 3)
    model.fit(x, x.sum(1), epochs=3, batch_size=4, verbose=0)  # shuffles, drops out
    return model.get_weights()


def test_set_seed_makes_training_bit_identical():
    first, second = train_once(7), train_once(7)
    assert len(first) == 4
    for a, b in zip(first, second):
        assert a.tobytes() == b.tobytes()
    other = train_once(8)
    assert not np.array_equal(first[0], other[0])


# ---------------------------------------------------------------- several outputs


def two_output_model():
    inp = Input(shape=(2,))
    o1 = Dense(1, name="o1", kernel_initializer="ones", bias_initializer="zeros")(inp)
    o2 = Dense(1, name="o2", kernel_initializer="zeros", bias_initializer="zeros")(inp)
    return Model(inp, [o1, o2])


XM = np.array([[1.0, 2.0], [3.0, 4.0]])  # o1 predicts 3, 7; o2 predicts 0, 0
Y1, Y2 = np.array([1.0, 1.0]), np.array([1.0, -3.0])
# o1: mse (4 + 36) / 2 = 20, mae (2 + 6) / 2 = 4; o2: mse (1 + 9) / 2 = 5, mae 2


def test_multi_output_loss_weights_and_metric_names():
    model = two_output_model()
    model.compile(SGD(learning_rate=0.0), loss=["mse", "mse"], loss_weights=[0.5, 2.0],
                  metrics=["mae"])
    result = model.evaluate(XM, [Y1, Y2], verbose=0, return_dict=True)
    assert result == {"loss": pytest.approx(0.5 * 20 + 2.0 * 5), "o1_loss": pytest.approx(20),
                      "o2_loss": pytest.approx(5), "o1_mae": pytest.approx(4),
                      "o2_mae": pytest.approx(2)}
    history = model.fit(XM, [Y1, Y2], epochs=1, validation_data=(XM, [Y1, Y2]), verbose=0)
    assert set(history.history) == {"loss", "o1_loss", "o2_loss", "o1_mae", "o2_mae",
                                     "val_loss", "val_o1_loss", "val_o2_loss", "val_o1_mae",
                                     "val_o2_mae"}
    assert history.history["val_loss"] == [pytest.approx(20.0)]


def test_multi_output_losses_and_metrics_by_output_name():
    model = two_output_model()
    model.compile(SGD(learning_rate=0.0), loss={"o1": "mae", "o2": "mse"},
                  loss_weights={"o1": 1.0, "o2": 0.1}, metrics={"o2": ["mae"]})
    result = model.evaluate(XM, {"o1": Y1, "o2": Y2}, verbose=0, return_dict=True)
    assert result == {"loss": pytest.approx(4 + 0.1 * 5), "o1_loss": pytest.approx(4),
                      "o2_loss": pytest.approx(5), "o2_mae": pytest.approx(2)}


def test_multi_output_spec_errors():
    model = two_output_model()
    model.compile("sgd", loss="mse", loss_weights=[1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="loss_weights has 3 entries for 2 output"):
        model.evaluate(XM, [Y1, Y2], verbose=0)
    model.compile("sgd", loss={"o3": "mse"})
    with pytest.raises(ValueError, match=r"unknown output\(s\) \['o3'\]"):
        model.evaluate(XM, [Y1, Y2], verbose=0)


# ---------------------------------------------------------------- regularization, freezing


def test_weight_and_activity_penalties_are_added_to_the_loss_once():
    model = Sequential([Dense(2, input_shape=(2,), kernel_initializer="ones",
                              kernel_regularizer=regularizers.L2(0.1),
                              activity_regularizer=regularizers.L1(0.5))])
    model.compile(SGD(learning_rate=0.0), "mse")
    x, y = np.array([[1.0, 2.0]]), np.array([[3.0, 3.0]])  # predictions are exactly 3, 3
    expected = 0.1 * 4 + 0.5 * (3 + 3)
    assert model.evaluate(x, y, verbose=0) == pytest.approx(expected)
    assert model.train_on_batch(x, y) == pytest.approx(expected)
    assert model.evaluate(x, y, verbose=0) == pytest.approx(expected)  # still once


def test_frozen_layer_is_not_trained():
    frozen = Dense(3, input_shape=(2,), name="frozen")
    model = Sequential([frozen, Dense(1)])
    frozen.trainable = False
    model.compile(SGD(learning_rate=0.1), "mse")
    before = model.get_weights()
    model.fit(X5, Y5, epochs=2, batch_size=2, verbose=0)
    after = model.get_weights()
    np.testing.assert_array_equal(before[0], after[0])
    np.testing.assert_array_equal(before[1], after[1])
    assert not np.array_equal(before[2], after[2])


def test_targets_of_the_wrong_width_are_a_clear_error():
    model = Sequential([Dense(10, input_shape=(4,), activation="softmax")])
    model.compile("sgd", "categorical_crossentropy")
    with pytest.raises(ValueError) as info:
        model.fit(np.zeros((5, 4)), np.zeros((5, 3)), verbose=0)  # 3 classes, not 10
    message = str(info.value)
    assert "(5, 3)" in message and "(None, 10)" in message and "to_categorical" in message
    assert "test_training.py" in message
    sparse = Sequential([Dense(10, input_shape=(4,), activation="softmax")])
    sparse.compile("sgd", "sparse_categorical_crossentropy")
    sparse.fit(np.zeros((5, 4)), np.arange(5), verbose=0)  # class ids are fine here


def test_an_unknown_loss_name_fails_at_compile():
    model = Sequential([Dense(2, input_shape=(3,))])
    with pytest.raises(ValueError, match="msee"):
        model.compile("sgd", "msee")


def test_an_unknown_metric_name_fails_at_compile():
    model = Sequential([Dense(2, input_shape=(3,))])
    with pytest.raises(ValueError, match="acuracy"):
        model.compile("sgd", "mse", metrics=["acuracy"])
    model.compile("sgd", "mse", metrics=["acc", "mae"])  # Keras's short names still work


@pytest.mark.parametrize("call, arg", [
    (lambda m, x, y: m.compile("sgd", "mse", weighted_metrics=["mae"]), "weighted_metrics"),
    (lambda m, x, y: m.compile("sgd", "mse", run_eagerly=True), "run_eagerly"),
    (lambda m, x, y: m.compile("sgd", "mse", steps_per_execution=4), "steps_per_execution"),
    (lambda m, x, y: m.compile("sgd", "mse", sample_weight_mode="temporal"),
     "sample_weight_mode"),
    (lambda m, x, y: m.fit(x, y, sample_weight=np.ones(4), verbose=0), "sample_weight"),
    (lambda m, x, y: m.fit(x, y, class_weight={0: 1.0}, verbose=0), "class_weight"),
    (lambda m, x, y: m.fit(x, y, steps_per_epoch=2, verbose=0), "steps_per_epoch"),
    (lambda m, x, y: m.evaluate(x, y, sample_weight=np.ones(4), verbose=0), "sample_weight"),
    (lambda m, x, y: m.evaluate(x, y, steps=1, verbose=0), "steps"),
    (lambda m, x, y: m.evaluate(x, y, callbacks=[], verbose=0), "callbacks"),
    (lambda m, x, y: m.predict(x, steps=1, verbose=0), "steps"),
    (lambda m, x, y: m.predict(x, callbacks=[], verbose=0), "callbacks"),
])
def test_arguments_accepted_but_not_implemented_are_errors(call, arg):
    model = Sequential([Dense(1, input_shape=(2,))])
    model.compile("sgd", "mse", run_eagerly=False, jit_compile=True, steps_per_execution=1)
    x, y = np.ones((4, 2)), np.ones((4, 1))
    with pytest.raises(NotImplementedError, match=f"{arg}=.*not supported"):
        call(model, x, y)
